"""A real GCS protocol server on 127.0.0.1 for tests: start, stop, buckets, uploads, and the environment
Beam's GCS file system needs to talk to it (and to nothing else).

The server is ``gcp-storage-emulator`` in its own process (it serves the JSON API, resumable uploads,
copy/rewrite and the batch API that Beam's sinks use at finalize). Nothing here reaches past loopback:
``NO_GCE_CHECK`` and the dead metadata address stop google-auth from probing the cloud metadata server,
and :func:`emulator_credentials_file` gives google-auth a credential that is already valid, so Beam does
not spend ~22 s per process retrying to find default credentials before it connects anonymously.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator, Mapping

PROJECT = "test-project"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def emulator_credentials_file(path: Path) -> Path:
    """Write a throwaway "authorized_user" credential holding an access token that never expires.

    google-auth loads it from ``GOOGLE_APPLICATION_CREDENTIALS`` without any network call, and because the
    token is valid it never refreshes it (a refresh would go to Google's token endpoint). The emulator
    ignores the ``Authorization`` header. Never use this file against real GCS: the token is fake.
    """
    path.write_text(json.dumps({
        "type": "authorized_user",
        "client_id": "storybeam-emulator",
        "client_secret": "not-a-secret",
        "refresh_token": "not-a-refresh-token",
        "token": "storybeam-emulator-token",
        "expiry": "2999-01-01T00:00:00Z",
        "quota_project_id": PROJECT,
    }))
    return path


def gcs_environment(endpoint: str, credentials_file: Path | None) -> dict[str, str]:
    """The environment that points google-cloud-storage (and so Beam) at ``endpoint`` and at nothing else."""
    env = {
        "STORAGE_EMULATOR_HOST": endpoint,
        "NO_GCE_CHECK": "true",
        "GCE_METADATA_HOST": "127.0.0.1:1",
        "GCE_METADATA_IP": "127.0.0.1:1",
        "GOOGLE_CLOUD_PROJECT": PROJECT,
        # gcloud's own configuration could otherwise supply a user's real credentials
        "CLOUDSDK_CONFIG": str(credentials_file.parent if credentials_file else "/nonexistent"),
    }
    if credentials_file is not None:
        env["GOOGLE_APPLICATION_CREDENTIALS"] = str(credentials_file)
    return env


@contextmanager
def patched_environ(values: Mapping[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gcp-storage-emulator exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"gcp-storage-emulator did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


class GcsEmulator:
    """``gcp-storage-emulator start --host 127.0.0.1 --port P --in-memory`` in a child process."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen | None = None

    def start(self) -> "GcsEmulator":
        self._process = subprocess.Popen(
            [sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1",
             "--port", str(self.port), "--in-memory", "--quiet"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for_port(self.port, self._process)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def __enter__(self) -> "GcsEmulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client(self):  # noqa: ANN201 (google.cloud.storage.Client, imported lazily)
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        return storage.Client(project=PROJECT, credentials=AnonymousCredentials(),
                              client_options={"api_endpoint": self.endpoint})

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(name)

    def upload(self, bucket: str, files: Mapping[str, Path]) -> None:
        """Upload local files: {object name: local path}."""
        target = self.client().bucket(bucket)
        for name, path in files.items():
            target.blob(name).upload_from_filename(str(path))

    def download(self, bucket: str, prefix: str) -> dict[str, bytes]:
        """Every object under ``prefix``: {object name: bytes}."""
        client = self.client()
        return {b.name: b.download_as_bytes() for b in client.list_blobs(bucket, prefix=prefix)}


class _Forbidden(BaseHTTPRequestHandler):
    """Answers every request the way GCS answers a caller without the needed IAM permission."""

    def _deny(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = json.dumps({"error": {
            "code": 403,
            "message": "storybeam-test@example.iam.gserviceaccount.com does not have storage.objects.list "
                       "access to the Google Cloud Storage bucket. Permission 'storage.objects.list' denied "
                       "on resource (or it may not exist).",
            "errors": [{"domain": "global", "reason": "forbidden", "message": "Permission denied"}],
        }}).encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _deny

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (BaseHTTPRequestHandler's name)
        pass


@contextmanager
def forbidding_gcs() -> Iterator[str]:
    """A loopback server that denies every GCS request with 403; yields its endpoint."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Forbidden)
    httpd.daemon_threads = True  # clients keep connections open; closing must not wait for them
    httpd.block_on_close = False
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
