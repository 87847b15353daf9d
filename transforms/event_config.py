"""Settings of the event engine (one frozen dataclass, validated on construction)."""
from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["EventClusteringConfig"]


@dataclass(frozen=True)
class EventClusteringConfig:
    """Settings of the event clustering engine (see ``transforms/event_engine.py`` for how they act).

    threshold: least mean (locally scaled) similarity between two clusters for them to merge,
        average link, for full-length texts published at the same time.
    gap_penalty: evidence required grows with the time gap between two clusters: they merge when
        their mean similarity is at least ``threshold x (1 + gap_penalty x ln(1 + gap_days))``
        (same day x1, a week later x1.42, a month x1.69, a year x2.18 at 0.2). 0 turns it off.
    max_time_gap_hours: clusters whose known publish times would span more than this never merge
        (a hard cap that also bounds how far back the engine looks).
    embedding_weight, lexical_weight, names_weight: relative weights of the three signals; they are
        normalised to sum to 1, so the mixed similarity is a weighted mean of three cosines.
    scale_neighbours, min_scale: local scaling. Each story's similarities are divided by
        sqrt(its scale x the other's), its scale being the mean mixed similarity to its
        ``scale_neighbours`` most similar stories in its context (at least ``min_scale``); 0 turns
        it off. Makes ``threshold`` relative: "about as close as this story's own nearest neighbours".
    full_text_words, short_threshold: texts shorter than ``full_text_words`` words (headlines) get a
        threshold interpolated down to ``short_threshold`` and a names weight scaled by their length.
    centre_embeddings, centre_prior_docs, centre_neighbours: what a story's look-alikes share is
        subtracted from its embedding (so that "all of these are shooting reports" stops counting as
        similarity): for a full text (``full_text_words`` or more) the mean of its
        ``centre_neighbours`` nearest stories in the context (by embedding cosine), for a shorter text
        the context's mean (0 neighbours: the context's mean for every story); means are shrunk toward
        zero as if ``centre_prior_docs`` zero vectors were among them, so a context of one story is not
        centred away.
    block_docs: stories are clustered in time blocks of at least this many stories (consecutive
        hours), each block with the stories just before it as context; the blocks' clusters are
        then linked across blocks. Blocks are Beam keys, so big runs spread over workers.
    context_docs: how many of the stories published just before a block serve as its context
        (IDF, mean embedding, local scale); also how many recent stories the state keeps in full.
    near_days: clusters less than this many days apart are all compared with each other when
        blocks are linked; further apart (up to ``max_time_gap_hours``) only clusters that share a
        rare name (in at most ``rare_name_clusters`` clusters, and among the ``far_names`` names
        each is most sure of: named by most of its members, then rarest) are compared, and they are a candidate pair only when their similarity
        reaches what their gap requires.
    far_names: how many of a cluster's rare names can pair it with a cluster far away in time
        (the linking step sends the cluster to one grouping per such name).
    max_neighbours: at most this many candidate neighbours per story or cluster.
    state_features: an event kept in the state between runs keeps only its this many largest
        word and name weights (its dense sums in full).
    """

    # Chosen on the tuning parts of ECB+, GVA dev and UCI (mean B3 F1 of the representatives the job
    # clusters, copies collapsed as the job does; README, Quality).
    threshold: float = 0.64
    gap_penalty: float = 0.2
    max_time_gap_hours: float = 24.0 * 365
    embedding_weight: float = 1.0
    lexical_weight: float = 1.0
    names_weight: float = 2.0
    scale_neighbours: int = 10
    min_scale: float = 0.2
    full_text_words: int = 50
    short_threshold: float = 0.25
    centre_embeddings: bool = True
    centre_prior_docs: int = 10
    centre_neighbours: int = 20
    block_docs: int = 500
    context_docs: int = 500
    near_days: float = 3.0
    rare_name_clusters: int = 50
    far_names: int = 5
    max_neighbours: int = 100
    state_features: int = 300

    def __post_init__(self) -> None:
        if not 0.0 < self.min_scale <= 1.0:
            raise ValueError(f"min_scale must lie in (0, 1], got {self.min_scale}")
        # Local scaling divides by sqrt(scale_i * scale_j) >= min_scale: higher is never reachable.
        if not 0.0 < self.threshold <= 1.0 / self.min_scale:
            raise ValueError(f"threshold must lie in (0, 1 / min_scale], got {self.threshold}")
        if not (self.gap_penalty >= 0 and math.isfinite(self.gap_penalty)):
            raise ValueError(f"gap_penalty must be finite and >= 0, got {self.gap_penalty}")
        if not self.max_time_gap_hours > 0:
            raise ValueError(f"max_time_gap_hours must be > 0, got {self.max_time_gap_hours}")
        weights = (self.embedding_weight, self.lexical_weight, self.names_weight)
        if any(w < 0 or not math.isfinite(w) for w in weights) or sum(weights) <= 0:
            raise ValueError(f"signal weights must be finite, >= 0 and not all 0, got {weights}")
        for name in ("max_neighbours", "block_docs", "rare_name_clusters", "far_names", "state_features"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("scale_neighbours", "full_text_words", "centre_prior_docs", "centre_neighbours", "context_docs"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not self.near_days >= 0:
            raise ValueError(f"near_days must be >= 0, got {self.near_days}")
        if not 0.0 < self.short_threshold <= 1.0 / self.min_scale:
            raise ValueError(
                f"short_threshold must lie in (0, 1 / min_scale], got {self.short_threshold}"
            )

    @property
    def normalised_weights(self) -> tuple[float, float, float]:
        """(embedding, lexical, names) weights scaled to sum to 1."""
        total = self.embedding_weight + self.lexical_weight + self.names_weight
        return (self.embedding_weight / total, self.lexical_weight / total, self.names_weight / total)

    def required(self, gap_hours: float) -> float:
        """The mean similarity two clusters this far apart in time need to merge."""
        if not gap_hours > 0:  # 0, or NaN (a time unknown): no penalty
            return self.threshold
        return self.threshold * (1.0 + self.gap_penalty * math.log1p(gap_hours / 24.0))
