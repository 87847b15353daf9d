"""The streaming job on one machine against the Google Cloud CLI's Pub/Sub emulator, in two commands:

    python deploy/local_pubsub.py serve [--port 8085] [--output out/stream] [storybeam stream options]
    python deploy/local_pubsub.py publish [--port 8085] FILE.jsonl ...

``serve`` starts the emulator on 127.0.0.1:PORT, creates the topic ``articles`` and the subscription
``storybeam`` (project ``storybeam-test``) and runs ``storybeam stream`` on them until Ctrl-C (which
cancels the job and stops the emulator). ``publish`` sends every line of the files as one message.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests import pubsub_emulator  # noqa: E402

TOPIC, SUBSCRIPTION = "articles", "storybeam"


def serve(port: int, output: str, rest: list[str]) -> int:
    from pipelines import stream

    reason = pubsub_emulator.missing()
    if reason:
        print(f"local_pubsub: {reason}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as data, pubsub_emulator.pubsub_emulator(Path(data), port=port) as host:
        _, subscription = pubsub_emulator.create_subscription(TOPIC, SUBSCRIPTION)
        print(f"local_pubsub: emulator on {host}; publish with: python deploy/local_pubsub.py publish "
              f"--port {port} FILE.jsonl", file=sys.stderr)
        return stream.main(["--subscription", subscription, "--output", output, *rest])


def publish(port: int, files: list[str]) -> int:
    os.environ["PUBSUB_EMULATOR_HOST"] = f"127.0.0.1:{port}"
    from google.cloud import pubsub_v1

    topic = pubsub_v1.PublisherClient.topic_path(pubsub_emulator.PROJECT, TOPIC)
    lines = [line for f in files for line in Path(f).read_bytes().splitlines() if line.strip()]
    ids = pubsub_emulator.publish(topic, lines)
    print(f"local_pubsub: published {len(ids)} messages to {topic}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, default=8085)
    s.add_argument("--output", default="out/stream")
    p = sub.add_parser("publish")
    p.add_argument("--port", type=int, default=8085)
    p.add_argument("files", nargs="+")
    args, rest = parser.parse_known_args()
    if args.command == "serve":
        return serve(args.port, args.output, rest)
    return publish(args.port, args.files)


if __name__ == "__main__":
    sys.exit(main())
