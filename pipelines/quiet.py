"""Noise a user of storybeam should not see on every run, turned off before Beam or the model load.

- Beam logs "apitools not found, and bigquery client libraries are not available ..." on import whenever
  the BigQuery client extras are absent; storybeam never uses BigQuery. That one message is filtered out
  of the root logger (every other warning still shows).
- transformers draws a "Loading weights" progress bar each time a worker loads the model; the Hugging
  Face progress bars are off unless the user set ``HF_HUB_DISABLE_PROGRESS_BARS`` themselves. Worker
  processes inherit the setting.
"""
from __future__ import annotations

import logging
import os

_KNOWN_NOISE = ("apitools not found, and bigquery client libraries are not available",)


class _KnownNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(message.startswith(noise) for noise in _KNOWN_NOISE)


def quiet_known_noise() -> None:
    """Idempotent: safe to call from every entry point."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    root = logging.getLogger()
    if not any(isinstance(f, _KnownNoise) for f in root.filters):
        root.addFilter(_KnownNoise())
