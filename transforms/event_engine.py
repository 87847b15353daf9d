"""The event engine: which stories report the same real-world event. Pure functions, no Beam.

One engine serves a one-shot run, a night that continues earlier nights and a stream:

1. **Blocks.** Stories are cut into time blocks of at least ``block_docs`` stories (consecutive
   hours; stories without a time form one block of their own). Each block is clustered with the
   stories published just before it as its *context* (:func:`cluster_block`), so blocks are
   independent and a Beam runner can spread them over workers.
2. **Links.** The blocks' clusters, together with the events of earlier runs (their summaries from
   the state), are linked by the same average-link rule (:func:`transforms.event_linking.link_units`): a night's block is
   linked to the events of earlier nights exactly as a one-shot run's blocks are linked to each other.

How two stories are compared
----------------------------
Three signals, each a cosine of L2-normalised vectors, mixed with fixed weights:

* ``embedding``: the sentence embedding of title + lead, minus what its look-alikes share: for a full
  text the mean embedding of its ``centre_neighbours`` nearest stories in the context, for a shorter
  text the context's mean (both shrunk by ``centre_prior_docs``). What a story's look-alikes share ("a
  shooting report") is taken out, so what is left says which shooting — also in a feed where shootings
  are a few among stories on every other topic, whose global mean would not take "a shooting report"
  out.
* ``lexical``: TF-IDF of title + body (sublinear tf), IDF from the context.
* ``names``: the story's names and numbers (capitalised words inside sentences, figures), binary,
  IDF-weighted: who, where, when, how many — what tells look-alike events apart.

The mix is one unit vector per story (a story without names is compared on the signals it has),
then divided by the square root of the story's *local scale* (mean similarity to its
``scale_neighbours`` closest stories in the context), so the threshold means "as close as this
story's usual close neighbours". Short texts get a lower threshold (``short_threshold``) and a
smaller names weight, interpolated on their length.

How stories are grouped
-----------------------
Average link: repeatedly merge the two clusters whose mean pairwise similarity, relative to what
their time gap requires (:meth:`EventClusteringConfig.required`), is highest, while it is at least
that requirement. The requirement grows with the gap between the clusters' publish-time spans
(``threshold x (1 + gap_penalty x ln(1 + days))``): a same-day report joins on ordinary evidence,
a follow-up a month later only when names, places and words agree much more. A story joins a
cluster only when it is close to the cluster as a whole, so A~B~C with A far from C does not chain.

Because the mix is a weighted sum of dot products, the mean similarity between two clusters is
``(sum of A's vectors) . (sum of B's vectors) / (|A| |B|)``: a cluster (or an earlier event) is
carried as its summed vectors, never as its members.

Cost
----
A block of b stories with c context stories costs O(b (b + c) (d + s)) (d = 384 dense dimensions,
s the mean sparse overlap); with ``block_docs`` fixed, a run costs O(n) blocks' worth. Linking
compares clusters within ``near_days`` of each other in full, and clusters further apart only when
they share a rare name (and are kept as a pair only when close enough for their gap), so it grows with
n x (clusters per ``near_days``), not n^2; it runs per time window, name and component
(``transforms/event_linking.py``).
"""
from __future__ import annotations

import hashlib
import heapq
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from transforms.event_config import EventClusteringConfig
from transforms.event_features import DocFeatures

__all__ = [
    "BlockResult",
    "SparseVec",
    "ContextStats",
    "Unit",
    "block_of_hours",
    "cluster_block",
    "context_stats",
    "event_id_for_founder",
    "merge_units",
    "member_similarities",
    "plan_blocks",
]



# --- sparse vectors in the hashed feature space ---------------------------------------------------

@dataclass(frozen=True)
class SparseVec:
    """A sparse vector over the engine's hashed feature ids (sorted, unique) — no vocabulary needed."""

    ids: np.ndarray  # int64, sorted, unique
    values: np.ndarray  # float64

    @staticmethod
    def empty() -> "SparseVec":
        return SparseVec(np.zeros(0, np.int64), np.zeros(0))

    def dot(self, other: "SparseVec") -> float:
        _, a, b = np.intersect1d(self.ids, other.ids, assume_unique=True, return_indices=True)
        return float(self.values[a] @ other.values[b])

    def scaled(self, factor: float) -> "SparseVec":
        return SparseVec(self.ids, self.values * factor)

    def in_float32(self) -> "SparseVec":
        """The same vector with float32 values (int32 ids: the feature space has 2**21 ids), for transport."""
        return SparseVec(self.ids.astype(np.int32), self.values.astype(np.float32))


def sparse_sum(vectors: Sequence[SparseVec]) -> SparseVec:
    if len(vectors) == 1:
        return vectors[0]
    ids = np.concatenate([v.ids for v in vectors])
    values = np.concatenate([v.values for v in vectors])
    unique, inverse = np.unique(ids, return_inverse=True)
    return SparseVec(unique, np.bincount(inverse, weights=values, minlength=len(unique)))


def _compact(rows: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[sp.csr_matrix, np.ndarray]:
    """Rows of (feature ids, values) as a CSR matrix over only the columns they use, and those ids.

    Matrix products then cost what the rows hold, not the 2**21 possible features."""
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(ids) for ids, _ in rows])
    ids = np.concatenate([ids for ids, _ in rows]) if rows else np.zeros(0, np.int64)
    values = np.concatenate([v for _, v in rows]) if rows else np.zeros(0)
    columns, inverse = np.unique(ids, return_inverse=True)
    matrix = sp.csr_matrix((values, inverse.astype(np.int64), indptr), shape=(len(rows), max(len(columns), 1)))
    matrix.sum_duplicates()
    return matrix, columns


# --- context statistics and vectors --------------------------------------------------------------

@dataclass(frozen=True)
class ContextStats:
    """What a block's stories are weighed against: document frequencies and the mean embedding."""

    n_docs: int
    feature_ids: np.ndarray  # int64, sorted
    doc_freq: np.ndarray  # int64, same length
    mean_embedding: np.ndarray  # float64, already shrunk toward zero

    def idf(self, ids: np.ndarray) -> np.ndarray:
        """Smoothed IDF (scikit-learn's): ln((1 + n) / (1 + df)) + 1; unseen ids count df = 0."""
        df = np.zeros(len(ids))
        if len(self.feature_ids) and len(ids):
            pos = np.minimum(np.searchsorted(self.feature_ids, ids), len(self.feature_ids) - 1)
            df = np.where(self.feature_ids[pos] == ids, self.doc_freq[pos], 0)
        return np.log((1.0 + self.n_docs) / (1.0 + df)) + 1.0


def context_stats(docs: Sequence[DocFeatures], config: EventClusteringConfig) -> ContextStats:
    if not docs:
        return ContextStats(0, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    ids = np.concatenate([np.concatenate([d.term_ids, d.name_ids]) for d in docs])
    feature_ids, doc_freq = np.unique(ids, return_counts=True)
    embeddings = np.stack([d.embedding.astype(np.float64) for d in docs])
    mean = embeddings.sum(axis=0) / (len(docs) + config.centre_prior_docs)
    if not config.centre_embeddings:
        mean = np.zeros_like(mean)
    return ContextStats(len(docs), feature_ids, doc_freq.astype(np.int64), mean)


def _length_share(docs: Sequence[DocFeatures], config: EventClusteringConfig) -> np.ndarray:
    """min(1, words / full_text_words) per story: how much of a full article's information it has."""
    if config.full_text_words == 0:
        return np.ones(len(docs))
    return np.minimum(1.0, np.array([d.words for d in docs], dtype=np.float64) / config.full_text_words)


def _unit_rows(ids: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    norm = float(np.sqrt(weights @ weights))
    return ids, (weights / norm if norm > 0 else weights)


@dataclass(frozen=True)
class Vectors:
    """Row i is story i's mixed signal vector: [dense | sparse]. ``sparse`` has one column per
    feature id in ``columns`` (only the features these stories use)."""

    dense: np.ndarray  # (n, d) float64
    sparse: sp.csr_matrix  # (n, len(columns))
    columns: np.ndarray  # int64 feature ids

    def __len__(self) -> int:
        return self.dense.shape[0]

    def scaled(self, factor: np.ndarray) -> "Vectors":
        return Vectors(self.dense * factor[:, None], sp.csr_matrix(sp.diags(factor) @ self.sparse), self.columns)

    def rows(self, index: np.ndarray | list[int]) -> "Vectors":
        index = np.asarray(index, dtype=np.int64)
        return Vectors(self.dense[index], self.sparse[index], self.columns)

    def dot(self, other: "Vectors") -> np.ndarray:
        """(len(self), len(other)) matrix of mixed similarities (same ``columns`` on both sides)."""
        out = self.dense @ other.dense.T
        out += (self.sparse @ other.sparse.T).toarray()
        return out

    def sparse_vec(self, i: int) -> SparseVec:
        row = self.sparse.getrow(i)
        order = np.argsort(self.columns[row.indices])
        return SparseVec(self.columns[row.indices][order], row.data[order].astype(np.float64))


def _local_means(embeddings: np.ndarray, rows: np.ndarray, config: EventClusteringConfig) -> np.ndarray:
    """For each of ``rows``: the mean embedding of its ``centre_neighbours`` nearest stories among all
    ``embeddings`` (cosine), shrunk toward zero by ``centre_prior_docs``: what the story's look-alikes
    share, whatever else the context holds."""
    k = min(config.centre_neighbours, len(embeddings) - 1)
    norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
    unit = np.divide(embeddings, norms, out=np.zeros_like(embeddings), where=norms > 0)
    out = np.zeros((len(rows), embeddings.shape[1]))
    for start in range(0, len(rows), 256):
        chunk = rows[start:start + 256]
        sims = unit[chunk] @ unit.T
        sims[np.arange(len(chunk)), chunk] = -np.inf
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        out[start:start + len(chunk)] = embeddings[top].sum(axis=1) / (k + config.centre_prior_docs)
    return out


def mixed_vectors(docs: Sequence[DocFeatures], stats: ContextStats,
                  config: EventClusteringConfig) -> Vectors:
    """Each story's unit-length mix of its three signals, weighed against ``stats``."""
    w_embedding, w_lexical, w_names = config.normalised_weights
    share = _length_share(docs, config)
    embeddings = np.stack([d.embedding.astype(np.float64) for d in docs])
    if config.centre_embeddings and config.centre_neighbours and len(docs) > 1:
        # A full text is centred on its look-alikes; a shorter text on the whole context (a headline has
        # too few words and names to hold a big story together once its look-alikes are taken out).
        centres = np.tile(stats.mean_embedding, (len(docs), 1))
        full = np.flatnonzero(share >= 1.0)
        if len(full):
            centres[full] = _local_means(embeddings, full, config)
        embeddings = embeddings - centres
    elif len(stats.mean_embedding):
        embeddings = embeddings - stats.mean_embedding
    norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
    dense = np.divide(embeddings, norms, out=np.zeros_like(embeddings), where=norms > 0) * math.sqrt(w_embedding)
    rows = []
    for d, s in zip(docs, share.tolist()):
        lex_ids, lex = _unit_rows(d.term_ids, (1.0 + np.log(d.term_counts.astype(np.float64))) * stats.idf(d.term_ids))
        name_ids, names = _unit_rows(d.name_ids, stats.idf(d.name_ids))
        # A headline's few names and numbers are noise, not evidence: names weight x length share.
        rows.append((np.concatenate([lex_ids, name_ids]),
                     np.concatenate([lex * math.sqrt(w_lexical), names * math.sqrt(w_names * s)])))
    sparse, columns = _compact(rows)
    # A story without names (or words) is compared on the signals it has: unit-length mix.
    squared = np.asarray(sparse.multiply(sparse).sum(axis=1)).ravel()
    factor = 1.0 / np.maximum(np.sqrt(np.einsum("ij,ij->i", dense, dense) + squared), 1e-12)
    return Vectors(dense * factor[:, None], sp.csr_matrix(sp.diags(factor) @ sparse), columns)


def _local_factors(block: Vectors, context: Vectors, self_index: np.ndarray,
                   share: np.ndarray, config: EventClusteringConfig) -> np.ndarray:
    """Per story: sqrt(threshold / (local scale x own threshold)); multiplies its vector.

    The local scale is the mean similarity to the ``scale_neighbours`` closest stories of the
    context (the story itself excluded), at least ``min_scale``. The own threshold falls from
    ``threshold`` (full texts) to ``short_threshold`` (no words) with the length share, so a pair
    is held to the geometric mean of the two stories' own thresholds.
    """
    n = len(block)
    scale = np.ones(n)
    k = min(config.scale_neighbours, len(context) - 1)
    if config.scale_neighbours and k >= 1:
        for start in range(0, n, 256):
            stop = min(n, start + 256)
            sims = block.rows(np.arange(start, stop)).dot(context)
            sims[np.arange(stop - start), self_index[start:stop]] = -np.inf
            top = -np.partition(-sims, k - 1, axis=1)[:, :k]
            scale[start:stop] = top.mean(axis=1)
        scale = np.maximum(scale, config.min_scale)
    short = min(config.short_threshold, config.threshold)
    own = short + (config.threshold - short) * share
    return np.sqrt(config.threshold / (scale * own))


# --- units: a story, a cluster of stories, or an earlier event -----------------------------------

@dataclass
class Unit:
    """What linking needs of a cluster: summed (scaled and raw) vectors, size, time span, names.

    key: the smallest member id for clusters of this run, the event id for an earlier event.
    event_id / founder: set for an event of an earlier run (its id never changes); founder =
        (hours, article_id) of the cluster's first story, hours = inf when unknown.
    members: the article ids of this run's stories in the cluster.
    absorbed: ids of earlier events that new evidence merged into this one (it keeps the id of
        the one founded first).
    """

    key: str
    size: int
    dense: np.ndarray
    sparse: SparseVec
    raw_dense: np.ndarray
    raw_sparse: SparseVec
    t_min: float
    t_max: float
    founder: tuple[float, str]
    names: Counter = field(default_factory=Counter)
    event_id: str | None = None
    members: list[str] = field(default_factory=list)
    absorbed: list[str] = field(default_factory=list)  # earlier events merged into this one

    @property
    def is_earlier_event(self) -> bool:
        return self.event_id is not None


@dataclass
class BlockResult:
    """A block's clusters, and each member's raw vector (for its similarity to its final event), held in
    float32: they travel to the similarity step one per story, and that precision is plenty for a
    similarity reported to six decimals."""

    units: list[Unit]
    member_vectors: dict[str, tuple[np.ndarray, SparseVec]]


def _founder(doc: DocFeatures) -> tuple[float, str]:
    return (doc.hours if math.isfinite(doc.hours) else math.inf, doc.article_id)


def event_id_for_founder(founder_id: str) -> str:
    """``evt-`` + 16 hex of sha1("event\\n" + founder article id): stable as later reports join."""
    return "evt-" + hashlib.sha1(("event\n" + founder_id).encode("utf-8")).hexdigest()[:16]


def _gap(t_min: np.ndarray, t_max: np.ndarray, a: int | np.ndarray, b: int | np.ndarray) -> np.ndarray:
    gap = np.maximum(0.0, np.maximum(t_min[b] - t_max[a], t_min[a] - t_max[b]))
    return np.where(np.isnan(gap), 0.0, gap)


def _required(gap_hours: np.ndarray, config: EventClusteringConfig) -> np.ndarray:
    return config.threshold * (1.0 + config.gap_penalty * np.log1p(np.asarray(gap_hours) / 24.0))


def _agglomerate(units: Sequence[Unit], edges: tuple[np.ndarray, np.ndarray],
                 config: EventClusteringConfig) -> list[list[int]]:
    """Greedy average link over the candidate graph ``edges`` (i < j); returns groups of unit indices.

    Clusters are named by their smallest unit index. The heap holds (-ratio, a, b, versions) where
    ratio = mean similarity / required(gap); stale entries are skipped; ties break on indices. Two
    clusters are neighbours when any of their units were: the mean similarity of a merged cluster
    to a third is a weighted mean of its parts', so a pair that can merge is always a neighbour.
    """
    n = len(units)
    if n == 0:
        return []
    size = np.array([u.size for u in units], dtype=np.float64)
    dense = np.stack([u.dense for u in units])
    matrix, _ = _compact([(u.sparse.ids, u.sparse.values) for u in units])
    # Sums as (column indices, values) in the compact space; one scratch row for dot products.
    sums: list[tuple[np.ndarray, np.ndarray]] = [
        (matrix.indices[matrix.indptr[i]:matrix.indptr[i + 1]].astype(np.int64),
         matrix.data[matrix.indptr[i]:matrix.indptr[i + 1]].copy()) for i in range(n)]
    scratch = np.zeros(matrix.shape[1])
    t_min = np.array([u.t_min for u in units], dtype=np.float64)
    t_max = np.array([u.t_max for u in units], dtype=np.float64)
    version = [0] * n
    members: list[list[int] | None] = [[i] for i in range(n)]
    neighbours: list[set[int]] = [set() for _ in range(n)]
    heap: list[tuple[float, int, int, int, int]] = []

    def means(keep: int, others: list[int]) -> np.ndarray:
        dot = dense[others] @ dense[keep]
        ids, values = sums[keep]
        scratch[ids] = values
        dot += np.array([scratch[sums[c][0]] @ sums[c][1] for c in others])
        scratch[ids] = 0.0
        return dot / (size[others] * size[keep])

    def push(a: int, others: list[int]) -> None:
        ratio = means(a, others) / _required(_gap(t_min, t_max, a, np.asarray(others)), config)
        for c, r in zip(others, ratio.tolist()):
            if r >= 1.0:
                lo, hi = (a, c) if a < c else (c, a)
                heapq.heappush(heap, (-r, lo, hi, version[lo], version[hi]))

    for i, j in zip(edges[0].tolist(), edges[1].tolist()):
        neighbours[i].add(j)
        neighbours[j].add(i)
    for i in range(n):
        later = sorted(c for c in neighbours[i] if c > i)
        if later:
            push(i, later)

    def span_ok(a: int, b: int) -> bool:
        earliest, latest = np.fmin(t_min[a], t_min[b]), np.fmax(t_max[a], t_max[b])
        return bool(np.isnan(earliest) or latest - earliest <= config.max_time_gap_hours)

    while heap:
        _, a, b, va, vb = heapq.heappop(heap)
        if version[a] != va or version[b] != vb or members[a] is None or members[b] is None:
            continue
        if not span_ok(a, b):
            # Clusters only grow, so these two can never merge: forget the edge.
            neighbours[a].discard(b)
            neighbours[b].discard(a)
            continue
        keep, gone = (a, b) if a < b else (b, a)
        members[keep].extend(members[gone])  # type: ignore[union-attr,arg-type]
        members[gone] = None
        size[keep] += size[gone]
        dense[keep] += dense[gone]
        ids = np.concatenate([sums[keep][0], sums[gone][0]])
        unique, inverse = np.unique(ids, return_inverse=True)
        sums[keep] = (unique, np.bincount(inverse, np.concatenate([sums[keep][1], sums[gone][1]]),
                                          minlength=len(unique)))
        t_min[keep] = np.fmin(t_min[keep], t_min[gone])
        t_max[keep] = np.fmax(t_max[keep], t_max[gone])
        version[keep] += 1
        version[gone] += 1
        around = (neighbours[keep] | neighbours[gone]) - {keep, gone}
        for c in neighbours[gone]:
            neighbours[c].discard(gone)
        neighbours[gone] = set()
        neighbours[keep] = around
        for c in around:
            neighbours[c].add(keep)
        if around:
            push(keep, sorted(around))
    return [sorted(m) for m in members if m is not None]


def _top_pairs(sims: np.ndarray, rows: np.ndarray, cols: np.ndarray, config: EventClusteringConfig,
               ) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (row id, col id) of a similarity block that reach the threshold, best max_neighbours per row."""
    keep = sims >= config.threshold
    if keep.sum(axis=1).max(initial=0) > config.max_neighbours:
        kth = -np.partition(-sims, config.max_neighbours - 1, axis=1)[:, config.max_neighbours - 1]
        keep &= sims >= kth[:, None]
    r, c = np.nonzero(keep)
    return rows[r], cols[c]


def _pairs_to_edges(i: np.ndarray, j: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    keep = lo != hi
    pairs = np.unique(lo[keep] * n + hi[keep])
    return pairs // n, pairs % n


# --- one block -----------------------------------------------------------------------------------

def cluster_block(block: Sequence[DocFeatures], context: Sequence[DocFeatures],
                  config: EventClusteringConfig) -> BlockResult:
    """Cluster one block's stories, weighed against ``context`` (stories published just before it).

    Returns the block's clusters as units (keyed by their smallest article id) and each member's
    raw vector. The order of ``block`` and ``context`` does not matter; a context story that is
    also in the block counts once.
    """
    block = sorted(block, key=lambda d: d.article_id)
    ids = [d.article_id for d in block]
    if len(set(ids)) != len(ids):
        raise ValueError("article_id values must be unique within a block")
    if not block:
        return BlockResult([], {})
    in_block = set(ids)
    context = sorted((d for d in context if d.article_id not in in_block), key=lambda d: d.article_id)
    everyone = list(block) + list(context)
    stats = context_stats(everyone, config)
    raw_all = mixed_vectors(everyone, stats, config)
    n = len(block)
    raw = raw_all.rows(np.arange(n))
    factor = _local_factors(raw, raw_all, np.arange(n), _length_share(block, config), config)
    scaled = raw.scaled(factor)
    hours = np.array([d.hours for d in block], dtype=np.float64)

    raw_vecs = [raw.sparse_vec(i) for i in range(n)]
    singles = [
        Unit(key=d.article_id, size=1, dense=scaled.dense[i].copy(),
             sparse=raw_vecs[i].scaled(float(factor[i])), raw_dense=raw.dense[i].copy(),
             raw_sparse=raw_vecs[i], t_min=hours[i], t_max=hours[i], founder=_founder(d),
             names=Counter(d.names), members=[d.article_id])
        for i, d in enumerate(block)
    ]
    found_i, found_j = [], []
    for start in range(0, n, 256):
        stop = min(n, start + 256)
        sims = scaled.rows(np.arange(start, stop)).dot(scaled)
        sims[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        i, j = _top_pairs(sims, np.arange(start, stop), np.arange(n), config)
        found_i.append(i)
        found_j.append(j)
    edges = _pairs_to_edges(np.concatenate(found_i), np.concatenate(found_j), n)
    units = [_in_float32(merge_units([singles[i] for i in g])) for g in _agglomerate(singles, edges, config)]
    member_vectors = {d.article_id: (raw.dense[i].astype(np.float32), raw_vecs[i].in_float32())
                      for i, d in enumerate(block)}
    return BlockResult(units, member_vectors)


def _in_float32(unit: Unit) -> Unit:
    """A block's cluster as it goes to linking: its sums in float32, as the state keeps events (the
    linking step gathers every block's clusters, so their size is its memory)."""
    return replace(unit, dense=unit.dense.astype(np.float32), raw_dense=unit.raw_dense.astype(np.float32),
                   sparse=unit.sparse.in_float32(), raw_sparse=unit.raw_sparse.in_float32())


def merge_units(parts: Sequence[Unit]) -> Unit:
    """One unit of several: sums added, spans joined; an earlier event among them lends its id."""
    if len(parts) == 1:
        return parts[0]
    earlier = [p for p in parts if p.is_earlier_event]
    survivor = min(earlier, key=lambda p: p.founder) if earlier else None
    names: Counter = Counter()
    for p in parts:
        names.update(p.names)
    return Unit(
        key=survivor.key if survivor else min(p.key for p in parts),
        size=sum(p.size for p in parts),
        dense=np.sum([p.dense for p in parts], axis=0),
        sparse=sparse_sum([p.sparse for p in parts]),
        raw_dense=np.sum([p.raw_dense for p in parts], axis=0),
        raw_sparse=sparse_sum([p.raw_sparse for p in parts]),
        t_min=float(np.fmin.reduce([p.t_min for p in parts])),
        t_max=float(np.fmax.reduce([p.t_max for p in parts])),
        founder=min(p.founder for p in parts),
        names=names,
        event_id=survivor.event_id if survivor else None,
        members=sorted(m for p in parts for m in p.members),
        absorbed=sorted({a for p in parts for a in p.absorbed}
                        | {p.event_id for p in earlier if p is not survivor and p.event_id}),
    )


def member_similarities(vectors: Sequence[tuple[np.ndarray, SparseVec]], raw_dense: np.ndarray,
                        raw_sparse: SparseVec, size: int) -> np.ndarray:
    """Each member's mean raw similarity to the rest of its event, clipped to [0, 1]; 1.0 alone.

    ``raw_dense`` / ``raw_sparse`` / ``size``: the event's summed raw vectors and member count. Raw =
    the unscaled mix: a weighted mean of three cosines (centred embedding, TF-IDF, names).
    """
    if size <= 1:
        return np.ones(len(vectors))
    out = []
    for dense, sparse in vectors:
        # (members' vectors may come in float32: the products are taken in float64)
        dense, values = dense.astype(np.float64), sparse.values.astype(np.float64)
        to_sum = float(dense @ raw_dense) + sparse.dot(raw_sparse)
        own = float(dense @ dense) + float(values @ values)
        out.append((to_sum - own) / (size - 1))
    return np.clip(np.array(out), 0.0, 1.0)


# --- blocks --------------------------------------------------------------------------------------

UNDATED = -1


def block_of_hours(hour_counts: dict[int, int], block_docs: int) -> dict[int, int]:
    """Consecutive hours grouped into blocks of at least ``block_docs`` stories (the last block may
    be smaller). ``hour_counts``: stories per whole hour since the epoch (UNDATED for no time).
    Returns hour -> block number (UNDATED stays UNDATED); numbers grow with time."""
    out: dict[int, int] = {}
    block, filled = 0, 0
    for hour in sorted(h for h in hour_counts if h != UNDATED):
        if filled >= block_docs:
            block, filled = block + 1, 0
        out[hour] = block
        filled += hour_counts[hour]
    if UNDATED in hour_counts:
        out[UNDATED] = UNDATED
    return out


def hour_of(doc: DocFeatures) -> int:
    return hour_at(doc.hours)


def hour_at(hours: float) -> int:
    """The whole hour since the epoch of a time in hours (UNDATED for NaN)."""
    return int(math.floor(hours)) if math.isfinite(hours) else UNDATED


def plan_blocks(docs: Sequence[DocFeatures], config: EventClusteringConfig,
                prior: Sequence[DocFeatures] = ()) -> list[tuple[list[DocFeatures], list[DocFeatures]]]:
    """(block, context) pairs: each dated block's context is the latest ``context_docs`` stories of
    the block before it; the first block's and the undated block's context is ``prior`` (the
    latest stories of earlier runs; none in a one-shot run)."""
    counts = Counter(hour_of(d) for d in docs)
    block_of = block_of_hours(counts, config.block_docs)
    blocks: dict[int, list[DocFeatures]] = {}
    for d in docs:
        blocks.setdefault(block_of[hour_of(d)], []).append(d)
    out = []
    for number in sorted(blocks):
        context = latest(blocks[number - 1], config.context_docs) if number > 0 else list(prior)
        out.append((blocks[number], context))
    return out


def latest(docs: Sequence[DocFeatures], n: int) -> list[DocFeatures]:
    """The n most recently published stories (ties: larger id first, so the choice is stable)."""
    ranked = sorted(docs, key=lambda d: (d.hours if math.isfinite(d.hours) else -math.inf, d.article_id))
    return ranked[-n:] if n else []
