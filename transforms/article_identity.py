"""Records that share an article id: identical repeats collapse, conflicting texts get distinct ids.

Pure function, no Beam.
"""
from __future__ import annotations

import dataclasses
from typing import Iterable

from schemas.records import Article
from transforms.article_parsing import content_sha1


RENAMED_CONFLICT = "id:renamed_conflict"  # another text under the same id in the same run
REVISED = "id:revised_text"  # the id was ingested earlier (a night, a stream window) with another text


def renamed(article: Article, note: str) -> Article:
    """``article`` under ``<id>#<first 8 hex of its text's sha1>``, with ``note``: a second text under one id
    is a second article, and no two articles of an output share an id (nor found two events of one id)."""
    return dataclasses.replace(article, article_id=f"{article.article_id}#{content_sha1(article.text)[:8]}",
                               repair_notes=article.repair_notes + (note,))


def original_id(article: Article) -> str:
    """The id the article arrived with (before ``renamed``): what repeats are recognised by."""
    if RENAMED_CONFLICT in article.repair_notes or REVISED in article.repair_notes:
        return article.article_id.rsplit("#", 1)[0]
    return article.article_id


def _order(article: Article) -> tuple[str, int]:
    return (article.input_file or "", article.record_no or 0)


def resolve_same_id(articles: Iterable[Article]) -> tuple[list[Article], list[Article]]:
    """Articles read under one id → (articles to keep, repeats collapsed into a kept one).

    Same id and same text is one record read twice: the first (by input file, then record number) is
    kept. Same id with different text is two articles: the text that comes first keeps the id, every
    other distinct text is renamed ``<id>#<first 8 hex of its text's sha1>`` with the note
    ``id:renamed_conflict``. The result does not depend on the order the records arrive in.
    """
    by_text: dict[str, list[Article]] = {}
    for article in sorted(articles, key=_order):
        by_text.setdefault(content_sha1(article.text), []).append(article)
    kept: list[Article] = []
    collapsed: list[Article] = []
    for i, group in enumerate(sorted(by_text.values(), key=lambda g: _order(g[0]))):
        kept.append(renamed(group[0], RENAMED_CONFLICT) if i > 0 else group[0])
        collapsed.extend(group[1:])
    return kept, collapsed
