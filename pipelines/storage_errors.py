"""One short line for what went wrong with a storage location, whichever layer raised it.

Beam wraps file-system errors in ``BeamIOError`` (a dict of path → exception, sometimes nested twice),
google-cloud-storage raises ``NotFound``/``Forbidden`` with the server's message, and resumable uploads
raise ``InvalidResponse`` holding only the status code. Users should see "bucket 'x' does not exist" or
"permission denied", not three layers of reprs.
"""
from __future__ import annotations

from typing import Iterator

_MAX_DETAIL = 300


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error``, what it wraps (``BeamIOError.exception_details``, ``__cause__``), depth first."""
    seen: set[int] = set()
    stack = [error]
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        details = getattr(e, "exception_details", None)
        if isinstance(details, dict):
            stack.extend(v for v in details.values() if isinstance(v, BaseException))
        for inner in (e.__cause__, e.__context__):
            if inner is not None:
                stack.append(inner)


def _status(error: BaseException) -> int | None:
    code = getattr(error, "code", None)  # google.api_core.exceptions.GoogleAPICallError
    if isinstance(code, int):
        return code
    response = getattr(error, "response", None)  # google.resumable_media.common.InvalidResponse
    status = getattr(response, "status_code", None)
    if isinstance(status, int):
        return status
    if len(error.args) > 1 and error.args[0] == "Request failed with status code" and isinstance(error.args[1], int):
        return error.args[1]
    return None


def _server_message(error: BaseException) -> str:
    message = getattr(error, "message", None)  # GoogleAPICallError keeps the server's text apart
    return message if isinstance(message, str) else ""


def _bucket(location: str) -> str | None:
    if not location.startswith("gs://"):
        return None
    return location[len("gs://"):].split("/", 1)[0] or None


def storage_problem(location: str, error: BaseException, needs: str) -> str:
    """Why ``location`` could not be used, in one line. ``needs`` names the permission the step needs
    (e.g. ``storage.objects.list``), for the permission-denied hint."""
    bucket = _bucket(location)
    for e in _causes(error):
        status = _status(e)
        detail = _server_message(e)
        if status == 404 and bucket:
            return f"bucket {bucket!r} does not exist (or this account cannot see it)"
        if status == 403:
            hint = f"permission denied on gs://{bucket}" if bucket else "permission denied"
            return f"{hint}: the account running the job needs {needs}" + (f" ({detail})" if detail else "")
        if status == 401:
            return ("not authenticated: run 'gcloud auth application-default login' or point "
                    "GOOGLE_APPLICATION_CREDENTIALS at a service-account key")
        if isinstance(e, PermissionError):
            return f"permission denied: {e.filename or location}"
        if isinstance(e, FileNotFoundError):
            return f"no such file or folder: {e.filename or location}"
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 3] + "..."
