"""Canonical event records: which article stands for an event, its id, headline and summary.

Pure functions, no Beam.

Rules (documented in the README, relied on by downstream jobs):
- **event_id** = ``"evt-" + sha1("event\\n" + founder)[:16]`` where the founder is the member published
  first (unknown times last), ties to the smallest article id. Later articles joining an event on the
  next run do not change its id; only an earlier report of the same event does.
- **canonical article**: among the event's near-duplicate representatives, the one most similar to the
  event as a whole (the clustering's similarity), ties to the earliest published, then the smallest id.
- **headline** (:func:`choose_headline`): the best real headline among the event's members: a member's
  title cleaned of site names and section tails (``transforms/headlines.py``) — the canonical article's
  when it has one, else the title of the member most similar to the event (then earliest published, then
  smallest id) —; without any usable title, a headline line found in a member's page header (same
  order); only when no member has either, the first sentence of the canonical story. Never a byline,
  dateline, credit or label. **summary**: the canonical story (bylines, credits, date lines and the
  dateline taken off, ``transforms/page_metadata.py:story_lines``): whole sentences up to
  ``SUMMARY_CHARS``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from schemas.records import Article, DupInfo
from schemas.tables import ArticleRow, EventRow
from transforms.article_parsing import content_sha1
from transforms.event_engine import event_id_for_founder
from transforms.headlines import clean_title, page_headline
from transforms.mentions import key_mentions, mentions
from transforms.page_metadata import body_start, story_lines

SUMMARY_CHARS = 400
HEADLINE_CHARS = 160
_LATEST = datetime.max.replace(tzinfo=timezone.utc)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9\u00C0-\u024F])")


@dataclass(frozen=True)
class EventMember:
    article: Article
    dup: DupInfo
    event_similarity: float


def _published(member: EventMember) -> datetime:
    return member.article.published_at or _LATEST


def event_id_for(members: list[EventMember]) -> str:
    founder = min(members, key=lambda m: (_published(m), m.article.article_id))
    return event_id_for_founder(founder.article.article_id)


def key_names_and_places(members: list[EventMember]) -> tuple[list[str], list[str]]:
    """The names and places the event's reports share (one report per near-duplicate group)."""
    reports = [m.article for m in members if m.dup.is_anchor] or [m.article for m in members]
    return key_mentions([mentions(f"{a.title}\n{a.clean_text or ''}" if a.title else a.clean_text or "")
                         for a in sorted(reports, key=lambda a: a.article_id)])


def choose_canonical(members: list[EventMember]) -> EventMember:
    representatives = [m for m in members if m.dup.is_anchor] or members
    return min(representatives, key=lambda m: (-round(m.event_similarity, 6), _published(m), m.article.article_id))


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:-")
    return cut + "..."


def sentences(text: str) -> list[str]:
    return [s.strip() for line in text.split("\n") for s in _SENTENCE_END.split(line) if s.strip()]


def title_of(article: Article) -> str | None:
    """The article's own title, cleaned (site names, section tails and labels off), or None if unusable."""
    return clean_title(article.title, article.source)


def page_headline_of(article: Article) -> str | None:
    """A headline line in the article's page header (for articles without a usable title): the one
    DescribeArticles found, else read from the page text."""
    if article.page_headline or not article.text:
        return article.page_headline
    lines = article.text.split("\n")
    return page_headline(lines, body_start(lines, article.clean_text or ""))


def lead_sentence_of(article: Article) -> str | None:
    first = sentences("\n".join(story_lines(article.clean_text or article.text)))
    return _cut(first[0], HEADLINE_CHARS) if first else None


def headline_of(article: Article) -> str:
    """One article's headline: its title, else a headline line of its page, else its lead sentence."""
    found = title_of(article) or page_headline_of(article) or lead_sentence_of(article)
    return _cut(found, HEADLINE_CHARS) if found else article.article_id


def choose_headline(members: list[EventMember], canonical: EventMember) -> str:
    """The event's headline; see the module docstring."""
    ranked = [canonical] + sorted(
        (m for m in members if m is not canonical),
        key=lambda m: (-round(m.event_similarity, 6), _published(m), m.article.article_id))
    for find in (title_of, page_headline_of):
        for member in ranked:
            found = find(member.article)
            if found:
                return _cut(found, HEADLINE_CHARS)
    lead = lead_sentence_of(canonical.article)
    return lead or canonical.article.article_id


def summary_of(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The lead of a story: whole sentences up to ``limit`` characters, from the story's first line on
    (bylines, credits, date lines and the dateline are not the story)."""
    out: list[str] = []
    length = 0
    for sentence in sentences("\n".join(story_lines(text))):
        if out and length + len(sentence) + 1 > limit:
            break
        out.append(sentence)
        length += len(sentence) + 1
    return _cut(" ".join(out), limit)


def build_event(members: list[EventMember], event_id: str | None = None) -> tuple[EventRow, list[ArticleRow]]:
    """All members of one event → its event row and its members' article rows (sorted by id).

    ``event_id``: the id the clustering gave the event (an earlier event's id when it continues
    one); by default the founder rule of :func:`event_id_for`."""
    members = sorted(members, key=lambda m: m.article.article_id)
    event_id = event_id or event_id_for(members)
    canonical = choose_canonical(members)
    times = [m.article.published_at for m in members if m.article.published_at is not None]
    sources = sorted({m.article.source for m in members if m.article.source})
    key_names, key_places = key_names_and_places(members)
    event = EventRow(
        event_id=event_id,
        headline=choose_headline(members, canonical),
        summary=summary_of(canonical.article.clean_text or ""),
        canonical_article_id=canonical.article.article_id,
        article_ids=[m.article.article_id for m in members],
        sources=sources,
        article_count=len(members),
        source_count=len(sources),
        dup_group_count=len({m.dup.dup_group_id for m in members}),
        first_published_at=min(times) if times else None,
        last_published_at=max(times) if times else None,
        cohesion=float(sum(m.event_similarity for m in members) / len(members)),
        languages=sorted({m.article.language for m in members if m.article.language}),
        key_names=key_names,
        key_places=key_places,
        total_article_count=len(members),
        total_dup_group_count=len({m.dup.dup_group_id for m in members}),
        total_first_published_at=min(times) if times else None,
        total_last_published_at=max(times) if times else None,
        total_sources=sources,
    )
    rows = [article_row(m, event_id, m is canonical) for m in members]
    return event, rows


def article_row(member: EventMember, event_id: str, is_canonical: bool) -> ArticleRow:
    a, dup = member.article, member.dup
    clean = a.clean_text or ""
    return ArticleRow(
        article_id=a.article_id,
        source=a.source,
        url=a.url,
        title=a.title,
        published_at=a.published_at,
        language=a.language,
        input_file=a.input_file,
        content_sha1=content_sha1(clean),
        clean_text=clean,
        word_count=len(clean.split()),
        removed_line_count=a.removed_line_count,
        removal_reasons=[{"reason": r, "lines": n} for r, n in a.removal_reasons],
        repair_notes=list(a.repair_notes),
        dup_group_id=dup.dup_group_id,
        dup_anchor_id=dup.anchor_id,
        dup_similarity=float(dup.similarity),
        is_duplicate=not dup.is_anchor,
        event_id=event_id,
        event_similarity=float(member.event_similarity),
        is_canonical=is_canonical,
        authors=list(a.authors),
        dateline=a.dateline,
        source_inferred=a.source_inferred,
        published_at_inferred=a.published_at_inferred,
    )
