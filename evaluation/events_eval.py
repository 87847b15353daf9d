"""Score event clustering on a labelled events JSONL, beside two peers on the same input.

Input records: ``id``, ``text``, ``label``, optional ``title``, and optional publish time as
``published_at`` (ISO 8601) or ``timestamp_ms``. Every function returns plain dicts.

Peers, each at its oracle-best threshold on a grid that covers its optimum (so they are upper bounds
of themselves):
* ``tfidf_average_link``: TF-IDF cosine of title + text, average-link agglomeration.
* ``minilm_average_link``: MiniLM cosine, average-link agglomeration.

Tuning and held-out parts: every labelled set is split in two by :func:`part_of` (ECB+ by topic
parity, every other set by a hash of the gold label, so a story's records stay on one side). The
engine's settings were chosen on the tuning part (0) only; :func:`part_reports` scores each part on
the whole-set run, counting a cluster's members from the other part as wrong for both.

Run: ``python -m evaluation.events_eval PATH.jsonl [--cache-dir DIR]``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import TfidfVectorizer

from evaluation.labelled_data import read_jsonl
from evaluation.metrics import clustering_report
from transforms.embedding_model import EmbeddingConfig, load_encoder
from transforms.event_clustering import (
    EventClusteringConfig,
    EventDoc,
    cluster_events,
    embedding_input,
)
from transforms.onnx_embedding import INT8_VARIANT

TFIDF_GRID = tuple(round(0.02 + 0.02 * i, 2) for i in range(45))  # 0.02 .. 0.90
MINILM_GRID = tuple(round(0.10 + 0.02 * i, 2) for i in range(44))  # 0.10 .. 0.96
TUNING, HELD_OUT = 0, 1


def part_of(record: dict) -> int:
    """Which part of its set a labelled record is in: TUNING (0) or HELD_OUT (1).

    ECB+ records (they carry ``topic``): topic parity, so both look-alike events of a topic fall
    together. Others: parity of sha1("split\n" + label), so every record of a story falls together.
    """
    if record.get("topic") is not None:
        return int(record["topic"]) % 2
    return int(hashlib.sha1(("split\n" + str(record["label"])).encode("utf-8")).hexdigest(), 16) % 2


def b_cubed_of_items(pred: dict, gold: dict, items: Sequence) -> dict:
    """B-cubed over ``items`` only, on the whole clustering: a predicted cluster's members outside
    ``items`` count as wrong (they belong to other gold clusters by construction of the parts)."""
    pred_size, gold_size = Counter(pred.values()), Counter(gold.values())
    joint = Counter((pred[i], gold[i]) for i in gold)
    if not items:
        return {"n_items": 0, "b3_precision": 0.0, "b3_recall": 0.0, "b3_f1": 0.0}
    precision = sum(joint[(pred[i], gold[i])] / pred_size[pred[i]] for i in items) / len(items)
    recall = sum(joint[(pred[i], gold[i])] / gold_size[gold[i]] for i in items) / len(items)
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return {"n_items": len(items), "b3_precision": precision, "b3_recall": recall, "b3_f1": f1}


def part_reports(pred: dict, gold: dict, parts: dict) -> dict:
    """B-cubed of the tuning part and of the held-out part, each within the whole-set clustering."""
    return {name: b_cubed_of_items(pred, gold, [i for i in gold if parts[i] == part])
            for name, part in (("tuning", TUNING), ("held_out", HELD_OUT))}


def published_at(record: dict) -> datetime | None:
    if record.get("published_at"):
        moment = datetime.fromisoformat(str(record["published_at"]).replace("Z", "+00:00"))
        return moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    if record.get("timestamp_ms") is not None:
        return datetime.fromtimestamp(int(record["timestamp_ms"]) / 1000, tz=timezone.utc)
    return None


def load_model(config: EmbeddingConfig | None = None):
    """The project's MiniLM, offline, as the job loads it: at the job's defaults unless ``config`` says
    otherwise (an object with sentence-transformers' ``encode``)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return load_encoder(config or EmbeddingConfig())


def peer_embedding() -> EmbeddingConfig:
    """MiniLM as a user of sentence-transformers runs it (torch, its own 256 tokens): the MiniLM peer's
    vectors, so the peer is not measured on storybeam's faster int8 / 128-token embedding."""
    return EmbeddingConfig(backend="torch", max_seq_length=256)


def load_peer_model():
    return load_model(peer_embedding())


def cache_name(stem: str, config: EmbeddingConfig | None = None) -> str:
    """A vectors cache file name that changes with the embedding (backend, its int8 model file, token budget)."""
    config = config or EmbeddingConfig()
    backend = config.backend
    if backend == "onnx-int8":  # vectors of an earlier int8 model (8-bit weights) are not reused
        backend += "-" + INT8_VARIANT
    return f"{stem}.{backend}-{config.max_seq_length}.npy"


def embed(records: Sequence[dict], model=None, cache: str | Path | None = None) -> np.ndarray:
    """L2-normalised float32 embeddings of embedding_input(title, text), cached as .npy if asked.
    ``model``: None is the job's default embedding (``load_model()``)."""
    if cache is not None and Path(cache).exists():
        cached = np.load(cache)
        if cached.shape[0] == len(records):
            return cached
    model = model or load_model()
    inputs = [embedding_input(r.get("title"), r["text"]) for r in records]
    vectors = model.encode(inputs, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    vectors = np.asarray(vectors, dtype=np.float32)
    if cache is not None:
        Path(cache).parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, vectors)
    return vectors


def event_docs(records: Sequence[dict], embeddings: np.ndarray) -> list[EventDoc]:
    return [
        EventDoc(
            article_id=str(r["id"]),
            embedding=embeddings[k],
            title=r.get("title"),
            text=r["text"],
            published_at=published_at(r),
        )
        for k, r in enumerate(records)
    ]


def score_storybeam(
    records: Sequence[dict],
    embeddings: np.ndarray,
    config: EventClusteringConfig | None = None,
    clusterer: Callable[[Sequence[EventDoc], EventClusteringConfig], list] = cluster_events,
) -> dict:
    config = config or EventClusteringConfig()
    docs = event_docs(records, embeddings)
    started = time.perf_counter()
    assignments = clusterer(docs, config)
    seconds = time.perf_counter() - started
    pred = {a.article_id: a.event_id for a in assignments}
    gold = {str(r["id"]): r["label"] for r in records}
    parts = part_reports(pred, gold, {str(r["id"]): part_of(r) for r in records})
    return {"method": "storybeam", "threshold": config.threshold, "seconds": round(seconds, 2),
            **clustering_report(pred, gold), **{f"{p}_b3_f1": r["b3_f1"] for p, r in parts.items()}}


def _best_over_grid(name: str, labels_at: Callable[[float], np.ndarray], grid: Sequence[float],
                    records: Sequence[dict]) -> dict:
    """The peer at its oracle-best threshold on the whole set, and its parts at that threshold."""
    gold = [r["label"] for r in records]
    best: dict | None = None
    best_labels = None
    for threshold in grid:
        labels = labels_at(threshold)
        report = clustering_report(list(labels), gold)
        if best is None or report["b3_f1"] > best["b3_f1"]:
            best, best_labels = {"method": name, "threshold": threshold, **report}, labels
    assert best is not None and best_labels is not None
    # A best threshold at the grid's edge would mean the grid may not cover the peer's optimum.
    best["threshold_at_grid_edge"] = best["threshold"] in (grid[0], grid[-1])
    ids = [str(r["id"]) for r in records]
    parts = part_reports(dict(zip(ids, best_labels.tolist())), dict(zip(ids, gold)),
                         {str(r["id"]): part_of(r) for r in records})
    return {**best, **{f"{part}_b3_f1": report["b3_f1"] for part, report in parts.items()}}


def _average_link_tree(similarity: np.ndarray) -> np.ndarray:
    distance = np.clip(1.0 - similarity, 0.0, None)
    np.fill_diagonal(distance, 0.0)
    return linkage(squareform((distance + distance.T) / 2, checks=False), "average")


def tfidf_average_link(records: Sequence[dict], grid: Sequence[float] = TFIDF_GRID) -> dict:
    texts = [f"{r['title']}\n{r['text']}" if r.get("title") else r["text"] for r in records]
    vectors = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(texts)
    tree = _average_link_tree((vectors @ vectors.T).toarray())
    return _best_over_grid("tfidf_average_link", lambda t: fcluster(tree, 1.0 - t, "distance"),
                           grid, records)


def minilm_average_link(records: Sequence[dict], embeddings: np.ndarray,
                        grid: Sequence[float] = MINILM_GRID) -> dict:
    tree = _average_link_tree(embeddings.astype(np.float64) @ embeddings.T.astype(np.float64))
    return _best_over_grid("minilm_average_link", lambda t: fcluster(tree, 1.0 - t, "distance"),
                           grid, records)


def evaluate_events(path: str | Path, config: EventClusteringConfig | None = None,
                    cache_dir: str | Path | None = None, model=None) -> dict:
    """storybeam at ``config`` (defaults) on the job's default embedding, and both peers (MiniLM's on
    its own torch / 256-token vectors) on one events JSONL."""
    records = read_jsonl(path)
    cache = Path(cache_dir) / cache_name(Path(path).stem) if cache_dir else None
    embeddings = embed(records, model=model, cache=cache)
    peer_cache = Path(cache_dir) / cache_name(Path(path).stem, peer_embedding()) if cache_dir else None
    return {
        "dataset": Path(path).name,
        "storybeam": score_storybeam(records, embeddings, config),
        "tfidf_average_link": tfidf_average_link(records),
        "minilm_average_link": minilm_average_link(records, embed(records, load_peer_model(), peer_cache)),
    }


def threshold_sensitivity(path: str | Path, thresholds: Sequence[float],
                          cache_dir: str | Path | None = None) -> list[dict]:
    """storybeam at each threshold, other settings at their defaults."""
    records = read_jsonl(path)
    cache = Path(cache_dir) / cache_name(Path(path).stem) if cache_dir else None
    embeddings = embed(records, cache=cache)
    return [score_storybeam(records, embeddings, EventClusteringConfig(threshold=t))
            for t in thresholds]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--sensitivity", default="", help="comma-separated thresholds")
    args = parser.parse_args(argv)
    for path in args.paths:
        print(json.dumps(evaluate_events(path, cache_dir=args.cache_dir), indent=1))
        if args.sensitivity:
            grid = [float(t) for t in args.sensitivity.split(",")]
            for row in threshold_sensitivity(path, grid, cache_dir=args.cache_dir):
                print(json.dumps({k: row[k] for k in ("threshold", "b3_f1", "pairwise_f1", "ari", "n_clusters")}))


if __name__ == "__main__":
    main()
