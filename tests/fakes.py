"""A small, deterministic stand-in for the sentence-transformers model in transform tests."""
from __future__ import annotations

import re
import zlib
from typing import Any, Sequence

import numpy as np

from transforms.embedding_model import EmbeddingHandler

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
    """Models are kept behind weak references (``Shared``); a plain ``object()`` cannot be one."""


class FakeEmbeddingHandler(EmbeddingHandler):
    """Hashed bag-of-words embeddings; no model files, no torch."""

    def load_model(self) -> Any:
        return _FakeModel()

    def embed(self, texts: Sequence[str], model: Any) -> np.ndarray:
        return np.stack([fake_embedding(text) for text in texts]) if texts else np.empty((0, DIM), np.float32)
