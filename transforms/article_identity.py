"""Records that share an article id: identical repeats collapse, conflicting texts get distinct ids.

Pure function, no Beam.
"""
from __future__ import annotations

import dataclasses
from typing import Iterable

from schemas.records import Article
from transforms.article_parsing import content_sha1


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
    for i, (digest, group) in enumerate(sorted(by_text.items(), key=lambda kv: _order(kv[1][0]))):
        first = group[0]
        if i > 0:
            first = dataclasses.replace(
                first,
                article_id=f"{first.article_id}#{digest[:8]}",
                repair_notes=first.repair_notes + ("id:renamed_conflict",),
            )
        kept.append(first)
        collapsed.extend(group[1:])
    return kept, collapsed
