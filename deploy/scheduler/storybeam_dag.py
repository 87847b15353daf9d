"""Airflow / Cloud Composer: launch the storybeam Flex Template once a day for the day before.

``{{ ds }}`` is the start of the run's data interval: the run scheduled for 02:30 on 2026-03-19 processes
2026-03-18, and a backfill (``airflow dags backfill -s 2026-03-01 -e 2026-03-07 storybeam_nightly``)
processes each date exactly once, one at a time (``max_active_runs=1``), each replacing only its own
``dt=`` partitions. Set the four constants (or Airflow Variables) for your project.
"""
from __future__ import annotations

import pendulum
from airflow import DAG
from airflow.providers.google.cloud.operators.dataflow import DataflowStartFlexTemplateOperator

PROJECT = "my-project"
REGION = "europe-west1"
BUCKET = "gs://my-news-bucket"
IMAGE = f"{REGION}-docker.pkg.dev/{PROJECT}/storybeam/storybeam:0.1.0"

with DAG(
    dag_id="storybeam_nightly",
    schedule="30 2 * * *",
    start_date=pendulum.datetime(2026, 3, 1, tz="UTC"),
    catchup=True,
    max_active_runs=1,
    tags=["storybeam"],
) as dag:
    DataflowStartFlexTemplateOperator(
        task_id="cluster_events",
        project_id=PROJECT,
        location=REGION,
        wait_until_finished=True,
        body={
            "launchParameter": {
                "jobName": "storybeam-{{ ds }}",
                "containerSpecGcsPath": f"{BUCKET}/templates/storybeam.json",
                "parameters": {
                    "input": BUCKET + "/raw/{{ ds }}/*.jsonl",
                    "output": f"{BUCKET}/storybeam",
                    "date": "{{ ds }}",
                    "sdk_container_image": IMAGE,
                },
                "environment": {
                    "numWorkers": 2,
                    "maxWorkers": 10,
                    "machineType": "n2-standard-4",
                    "tempLocation": f"{BUCKET}/tmp",
                },
            }
        },
    )
