"""A small, deterministic stand-in for the sentence-transformers model in transform tests."""
from __future__ import annotations

import re
import zlib
from typing import Any, Iterable, Optional, Sequence

import numpy as np
from apache_beam.ml.inference.base import ModelHandler, PredictionResult

DIM = 64
_WORD = re.compile(r"[a-z0-9]+")


def fake_embedding(text: str) -> np.ndarray:
    """Hashed bag of lower-cased words (length > 3), L2-normalised: same words, same vector."""
    v = np.zeros(DIM, dtype=np.float32)
    for word in _WORD.findall(text.lower()):
        if len(word) > 3:
            v[zlib.crc32(word.encode()) % DIM] += 1.0
    norm = float(np.linalg.norm(v))
    return v / norm if norm else v


class _FakeModel:
    """Beam keeps models behind weak references; a plain ``object()`` cannot be one."""


class FakeEmbeddingHandler(ModelHandler[str, PredictionResult, Any]):
    """Hashed bag-of-words embeddings; no model files, no torch."""

    def load_model(self) -> Any:
        return _FakeModel()

    def run_inference(self, batch: Sequence[str], model: Any,
                      inference_args: Optional[dict[str, Any]] = None) -> Iterable[PredictionResult]:
        return [PredictionResult(text, fake_embedding(text)) for text in batch]
