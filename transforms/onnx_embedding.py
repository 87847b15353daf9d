"""A sentence-transformers model run by ONNX Runtime: exported once into a cache folder, optionally int8.

Beam-free. ``OnnxSentenceEncoder(model_dir, ...)`` exports the model's transformer with mean pooling and
L2 normalisation inside the graph (``torch.onnx.export``, TorchScript exporter, opset 17), quantises it
to int8 if asked (ONNX Runtime dynamic quantisation, **per channel**: per-tensor int8 loses too much,
cosine 0.78-0.85 to fp32 on news; weights in **7 bits**, see ``_quantize_int8``), and tokenises with the
model's own ``tokenizer.json`` (``tokenizers``), so it needs neither sentence-transformers nor torch at
inference time.

The exported files live in ``cache_dir/onnx/<model name>-<fingerprint>/``; the fingerprint covers the
model's files, the exporter's version and the opset, so a changed model is exported again. Files are
written under a temporary name and renamed into place, so processes exporting at the same time never
read half a file. Nothing is written into the model folder or site-packages.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Sequence

import numpy as np

OPSET = 17
# Files whose content decides the exported graph and the tokenisation.
_MODEL_FILES = ("config.json", "modules.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json",
                "1_Pooling/config.json")


def default_cache_dir() -> Path:
    """``$STORYBEAM_CACHE``, else ``$XDG_CACHE_HOME/storybeam``, else ``~/.cache/storybeam``."""
    if os.environ.get("STORYBEAM_CACHE"):
        return Path(os.environ["STORYBEAM_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "storybeam"


def check_exportable(model_dir: str | Path) -> None:
    """Raise ValueError unless the folder is a transformer + mean pooling (+ normalise) model."""
    folder = Path(model_dir)
    modules_file = folder / "modules.json"
    if not modules_file.is_file() or not (folder / "tokenizer.json").is_file():
        raise ValueError(f"the ONNX backend needs a sentence-transformers folder with modules.json and "
                         f"tokenizer.json: {folder}")
    kinds = [m["type"].rsplit(".", 1)[-1] for m in json.loads(modules_file.read_text())]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        raise ValueError(f"the ONNX backend supports Transformer + Pooling (+ Normalize) models, got {kinds}")
    pooling = json.loads((folder / modules_file_path(folder, "Pooling") / "config.json").read_text())
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
    if modes != ["pooling_mode_mean_tokens"]:
        raise ValueError(f"the ONNX backend supports mean pooling only, the model uses {modes}")


def modules_file_path(folder: Path, kind: str) -> str:
    for module in json.loads((folder / "modules.json").read_text()):
        if module["type"].endswith("." + kind):
            return module["path"]
    raise ValueError(f"no {kind} module in {folder}")


def fingerprint(model_dir: str | Path) -> str:
    """16 hex digits over the model's files, the torch version (the exporter) and the opset."""
    from importlib.metadata import version

    # The version from the package metadata: importing torch costs seconds, and a cached export needs none.
    digest = hashlib.sha1(f"opset={OPSET};torch={version('torch')}".encode())
    folder = Path(model_dir)
    for name in _MODEL_FILES:
        path = folder / name
        if path.is_file():
            digest.update(name.encode())
            with path.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:16]


def _atomic_target(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    os.close(handle)
    return Path(name)


def _export_fp32(model_dir: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel

    class MeanPooledNormalised(torch.nn.Module):
        def __init__(self, transformer: torch.nn.Module) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                      token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    transformer = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")
    module = MeanPooledNormalised(transformer).eval()
    example = (torch.ones((2, 16), dtype=torch.long), torch.ones((2, 16), dtype=torch.long))
    temporary = _atomic_target(target)
    try:
        with torch.no_grad():
            torch.onnx.export(
                module, example, str(temporary), dynamo=False, opset_version=OPSET,
                input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding"],
                dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                              "sentence_embedding": {0: "batch"}},
            )
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


# Weights quantised to 7 bits (-64..64, ``reduce_range``). ONNX Runtime multiplies uint8 activations by int8
# weights; on CPUs without VNNI (AVX2 only, such as the AMD EPYC some of our machines have) it sums each
# pair of products in 16 bits (vpmaddubsw), which saturates when both weights are large: 2 * 255 * 127 >
# 32767. With VNNI the sums are 32 bits. So with 8-bit weights a text's vector depended on the CPU that ran
# it (the golden UCI run scored ARI 0.731 on an AVX2 machine, 0.759 with VNNI). With 7-bit weights no pair
# can saturate (2 * 255 * 64 = 32640), the integer products are the same on every CPU, and on AVX2 the
# vectors are closer to fp32 (mean cosine 0.9937 vs 0.9926 on 300 news texts); the speed is the same.
INT8_VARIANT = "per-channel-7bit"  # names the file, and the vectors caches made with it
INT8_FILE = f"model-int8-{INT8_VARIANT}.onnx"


def _quantize_int8(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    temporary = _atomic_target(target)
    try:
        quantize_dynamic(str(source), str(temporary), per_channel=True, reduce_range=True,
                         weight_type=QuantType.QInt8)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def exported_model(model_dir: str | Path, quantize: bool, cache_dir: str | Path | None = None) -> Path:
    """The .onnx file for the model (exported and quantised on first use, then reused)."""
    folder = Path(model_dir)
    check_exportable(folder)
    root = Path(cache_dir) if cache_dir else default_cache_dir()
    home = root / "onnx" / f"{folder.name}-{fingerprint(folder)}"
    fp32 = home / "model.onnx"
    if not fp32.is_file():
        _export_fp32(folder, fp32)
    if not quantize:
        return fp32
    int8 = home / INT8_FILE
    if not int8.is_file():
        _quantize_int8(fp32, int8)
    return int8


class OnnxSentenceEncoder:
    """``encode(texts) → float32[n, dim]``, L2-normalised, like ``SentenceTransformer.encode``.

    ``threads``: how many texts run at a time, each on one ONNX Runtime thread (0: one per core).
    Texts are cut at ``max_seq_length`` tokens (special tokens included), as sentence-transformers does.
    """

    def __init__(self, model_dir: str | Path, max_seq_length: int, quantize: bool, threads: int = 0,
                 cache_dir: str | Path | None = None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.path = exported_model(model_dir, quantize, cache_dir)
        # One text per run, each run on one thread, ``threads`` runs at a time (ONNX Runtime releases the
        # GIL and a session may run concurrently): a single-text run split over threads spends more on
        # hand-offs than it gains (README Speed, embedding backends).
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        self._workers = threads or os.cpu_count() or 1
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="onnx") if self._workers > 1 else None
        self._tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=max_seq_length)
        # A text runs alone, so it needs no padding; the model's tokenizer.json may pad every text to a fixed
        # length (all-MiniLM-L6-v2's pads to 128), which would cost a headline the compute of 128 tokens.
        self._tokenizer.no_padding()
        self.max_seq_length = max_seq_length
        self._dim = self._run(self._tokenizer.encode("")).shape[0]

    def encode(self, texts: Sequence[str], batch_size: int = 32, **_: Any) -> np.ndarray:
        """Embeddings in input order, each text run **on its own**: int8 quantises activations per call
        (one scale for the whole input tensor), so in a batch a text's vector would depend on the texts
        batched with it, and a rerun with other bundles would give other vectors. Alone, a text's vector is
        a function of the text, and it needs no padding: faster than batches here (README Speed).
        ``batch_size`` is accepted for sentence-transformers' signature and unused."""
        texts = list(texts)
        out = np.empty((len(texts), self._dim), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(texts)
        runs = self._pool.map(self._run, encodings) if self._pool and len(texts) > 1 else map(self._run, encodings)
        for i, vector in enumerate(runs):
            out[i] = vector
        return out

    def _run(self, encoding: Any) -> np.ndarray:
        ids = np.array([encoding.ids], dtype=np.int64)
        mask = np.array([encoding.attention_mask], dtype=np.int64)
        (vectors,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
        return vectors[0]
