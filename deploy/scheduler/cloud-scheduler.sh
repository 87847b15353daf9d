#!/usr/bin/env bash
# Cloud Scheduler → Cloud Workflows → Dataflow Flex Template, every night at 02:30 UTC for yesterday.
# The service account needs roles/workflows.invoker, roles/dataflow.developer, roles/iam.serviceAccountUser
# (on the Dataflow worker service account) and read access to the template bucket.
set -euo pipefail
PROJECT=my-project
REGION=europe-west1
SA="storybeam-scheduler@${PROJECT}.iam.gserviceaccount.com"

gcloud workflows deploy storybeam-nightly --project "$PROJECT" --location "$REGION" \
  --source deploy/scheduler/workflow.yaml --service-account "$SA"

# The body is the workflow execution request: an empty argument means "yesterday";
# {"argument": "{\"date\": \"2026-03-18\"}"} runs one date (or run: gcloud workflows run ... --data).
gcloud scheduler jobs create http storybeam-nightly --project "$PROJECT" --location "$REGION" \
  --schedule "30 2 * * *" --time-zone "Etc/UTC" \
  --uri "https://workflowexecutions.googleapis.com/v1/projects/${PROJECT}/locations/${REGION}/workflows/storybeam-nightly/executions" \
  --http-method POST --headers "Content-Type=application/json" \
  --message-body '{"argument": "{}"}' \
  --oauth-service-account-email "$SA"

# Backfill one date by hand:
#   gcloud workflows run storybeam-nightly --location "$REGION" --data '{"date": "2026-03-18"}'
