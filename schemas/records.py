"""Records passed between stages inside the pipeline (not written as tables themselves)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Article:
    """One article as it moves through the stages.

    ``text`` is the decoded input text (normalised after the Normalize stage); ``clean_text`` is set by
    StripBoilerplate; ``authors``, ``dateline`` and ``page_headline`` by DescribeArticles, which also fills
    a missing ``source`` / ``published_at`` from the page and marks them inferred. After stripping (and
    describing) the job empties ``text``: nothing later reads it. Fields that a record did not carry are
    None.
    """

    article_id: str
    text: str
    title: str | None = None
    url: str | None = None
    source: str | None = None
    published_at: datetime | None = None
    language: str | None = None
    input_file: str | None = None
    record_no: int | None = None
    repair_notes: tuple[str, ...] = ()
    clean_text: str | None = None
    removal_reasons: tuple[tuple[str, int], ...] = ()
    removed_line_count: int = 0
    # Set by DescribeArticles: what the page says about itself (transforms/page_metadata.py).
    authors: tuple[str, ...] = ()
    dateline: str | None = None
    source_inferred: bool = False
    published_at_inferred: bool = False
    # A headline line found in the page's header (read from ``text`` before the job empties it).
    page_headline: str | None = None


@dataclass(frozen=True)
class DupInfo:
    """Near-duplicate membership of one article."""

    article_id: str
    dup_group_id: str
    anchor_id: str
    similarity: float
    is_anchor: bool


@dataclass(frozen=True)
class EventMembership:
    """Event membership of one near-duplicate group's anchor (copies inherit it).

    similarity: the anchor's mean similarity to the rest of its event, 0–1 (1.0 alone)."""

    anchor_id: str
    event_id: str
    similarity: float
