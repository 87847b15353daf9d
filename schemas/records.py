"""Records passed between stages inside the pipeline (not written as tables themselves)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Article:
    """One article as it moves through the stages.

    ``text`` is the decoded input text (normalised after the Normalize stage); ``clean_text`` is set by
    StripBoilerplate, after which the job empties ``text`` (nothing later reads it). Fields that a record
    did not carry are None.
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
    """Event membership of one near-duplicate group's anchor (copies inherit it)."""

    anchor_id: str
    cluster_key: str
    similarity: float
