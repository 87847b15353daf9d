"""The Google Cloud CLI's Pub/Sub emulator on 127.0.0.1 for tests and the stream benchmark: start it on a
free port, create a topic and subscription, publish, stop it (its whole process group).

With ``PUBSUB_EMULATOR_HOST`` set, google-cloud-pubsub (and Beam's ``ReadFromPubSub`` on the direct
runner) talk to the emulator without credentials and reach nothing else.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from tests.gcs_emulator import free_port

PROJECT = "storybeam-test"


def missing() -> str | None:
    """Why the emulator cannot run here, or None."""
    for tool in ("gcloud", "java"):
        if shutil.which(tool) is None:
            return f"{tool} not found: the Pub/Sub emulator needs the Google Cloud CLI and Java"
    return None


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Pub/Sub emulator exited with code {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the Pub/Sub emulator did not listen on 127.0.0.1:{port} within {timeout} s")


@contextmanager
def pubsub_emulator(data_dir: Path, timeout: float = 60.0, port: int | None = None) -> Iterator[str]:
    """Run the emulator for the ``with`` block (on ``port``, or a free one); yields its ``host:port``. Sets
    ``PUBSUB_EMULATOR_HOST`` in this process for the block (and restores it after)."""
    port = port or free_port()
    host = f"127.0.0.1:{port}"
    log = open(data_dir / "pubsub-emulator.log", "wb")
    process = subprocess.Popen(
        ["gcloud", "beta", "emulators", "pubsub", "start", f"--host-port={host}", f"--project={PROJECT}",
         f"--data-dir={data_dir}", "--quiet"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    before = os.environ.get("PUBSUB_EMULATOR_HOST")
    try:
        _wait_for_port(port, process, timeout)
        os.environ["PUBSUB_EMULATOR_HOST"] = host
        yield host
    finally:
        if before is None:
            os.environ.pop("PUBSUB_EMULATOR_HOST", None)
        else:
            os.environ["PUBSUB_EMULATOR_HOST"] = before
        try:
            os.killpg(process.pid, signal.SIGTERM)  # gcloud and the java server it started
            process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def create_subscription(topic: str, subscription: str) -> tuple[str, str]:
    """Topic and subscription on the emulator; returns their full paths."""
    from google.cloud import pubsub_v1

    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    topic_path = publisher.topic_path(PROJECT, topic)
    sub_path = subscriber.subscription_path(PROJECT, subscription)
    publisher.create_topic(name=topic_path)
    subscriber.create_subscription(name=sub_path, topic=topic_path, ack_deadline_seconds=60)
    subscriber.close()
    return topic_path, sub_path


def publish(topic_path: str, payloads: Iterable[bytes]) -> list[str]:
    """Publish every payload and wait for each to be accepted; returns the message ids in order."""
    from google.cloud import pubsub_v1

    publisher = pubsub_v1.PublisherClient()
    futures = [publisher.publish(topic_path, data) for data in payloads]
    return [f.result(timeout=60) for f in futures]
