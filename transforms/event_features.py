"""What the event engine knows of one story: its words, its names, its time, its embedding.

Pure functions, no Beam. A story's features do not depend on any other story, so they can be computed
anywhere (a worker, a streaming step) and kept in the engine's state; everything that does depend on
the other stories (IDF weights, the corpus mean embedding, local scale) is computed later from these
features by :mod:`transforms.event_engine`.

Words and names are hashed (xxh3, ``HASH_BITS`` bits) into one sparse feature space: lexical words
take ids ``[0, 2**HASH_BITS)`` and names ``[2**HASH_BITS, 2**(HASH_BITS + 1))``, so a state kept over
many nights needs no vocabulary.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import xxhash

from transforms.stop_words import ENGLISH_STOP_WORDS

__all__ = [
    "HASH_BITS",
    "DocFeatures",
    "EventDoc",
    "doc_features",
    "embedding_input",
    "lexical_tokens",
    "name_tokens",
    "feature_id",
]

HASH_BITS = 20
NAMES_OFFSET = 1 << HASH_BITS


@dataclass(frozen=True)
class EventDoc:
    """One story to cluster: a near-duplicate group's representative."""

    article_id: str
    embedding: np.ndarray  # float32, L2-normalised, of embedding_input(title, text)
    title: str | None
    text: str  # clean body text
    published_at: datetime | None  # tz-aware UTC, or None when unknown


@dataclass(frozen=True)
class DocFeatures:
    """A story as the engine keeps it: everything needed to compare it with any later story.

    hours: publish time in hours since the epoch (NaN when unknown).
    term_ids / term_counts: hashed lexical words (stop words dropped) and how often each occurs.
    names: the story's names and numbers (see :func:`name_tokens`), lower-cased, each once, sorted.
    words: the story's length in word tokens (title + text), for the short-text rule.
    """

    article_id: str
    hours: float
    embedding: np.ndarray
    term_ids: np.ndarray  # int64, sorted, unique
    term_counts: np.ndarray  # int32, same length
    names: tuple[str, ...]
    name_ids: np.ndarray  # int64, sorted, unique: the names' feature ids
    words: int


def embedding_input(title: str | None, text: str, max_chars: int = 2000) -> str:
    """The text fed to the embedding model: the title, then the body's lead, cut at a word boundary.

    The model reads a few hundred word pieces at most; 2,000 characters covers that for English news,
    so the lead (who, what, where, when) decides the embedding rather than the story's tail.
    """
    title = (title or "").strip()
    body = text.strip()
    joined = f"{title}\n{body}" if title and body else (title or body)
    if len(joined) <= max_chars:
        return joined
    cut = joined.rfind(" ", 0, max_chars + 1)
    return joined[: cut if cut > 0 else max_chars].rstrip()


# Tokens: words (letters, inner apostrophes/hyphens/periods as in "O'Brien", "U.S.") and numbers.
_TOKEN = re.compile(r"[^\W\d_](?:[\w'.\-]*\w)?|\d+(?:[.,:/]\d+)*", re.UNICODE)
_LEXICAL = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern
_SENTENCE_END = re.compile(r"(?<=[.!?:;\"'])\s+|\n+")
_CAPITALISED_SHARE_OF_TITLE_CASE = 0.6


def name_tokens(text: str) -> list[str]:
    """Names and numbers of a text, lower-cased: what tells look-alike events apart.

    A name is a capitalised word that does not open a sentence (so "The", "He" are not names) and is
    not a stop word; a number is a figure (thousand separators removed). Lines or sentences written
    in title case ("Fed Official Says Weak Data") give only their numbers: their capitals mean nothing.
    """
    names: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        tokens = _TOKEN.findall(sentence)
        words = [t for t in tokens if not t[0].isdigit()]
        title_case = bool(words) and (
            sum(w[0].isupper() for w in words) / len(words) >= _CAPITALISED_SHARE_OF_TITLE_CASE
            and len(words) >= 3
        )
        for position, token in enumerate(tokens):
            if token[0].isdigit():
                names.append(token.replace(",", ""))
            elif (
                not title_case
                and position > 0
                and token[0].isupper()
                and token.lower() not in ENGLISH_STOP_WORDS
            ):
                names.append(token.lower().strip(".'"))
    return names


def lexical_tokens(text: str) -> list[str]:
    """Lower-cased words of two or more characters, English stop words dropped."""
    return [t for t in _LEXICAL.findall(text.lower()) if t not in ENGLISH_STOP_WORDS]


def feature_id(token: str, names: bool = False) -> int:
    """The token's id in the engine's hashed feature space (names and words never share an id)."""
    base = xxhash.xxh3_64_intdigest(token.encode("utf-8")) & (NAMES_OFFSET - 1)
    return base + NAMES_OFFSET if names else base


def name_feature_ids(names: tuple[str, ...]) -> np.ndarray:
    return np.array(sorted({feature_id(n, names=True) for n in names}), dtype=np.int64)


def _hours(published_at: datetime | None) -> float:
    if published_at is None:
        return math.nan
    if published_at.tzinfo is None:
        raise ValueError("published_at must be timezone-aware")
    return published_at.timestamp() / 3600.0


def doc_features(doc: EventDoc) -> DocFeatures:
    """The features of one story (title + text). Raises ValueError on a naive ``published_at``."""
    text = f"{doc.title}\n{doc.text}" if doc.title else doc.text
    counts = Counter(feature_id(t) for t in lexical_tokens(text))
    ids = np.array(sorted(counts), dtype=np.int64)
    embedding = np.asarray(doc.embedding, dtype=np.float32).ravel()
    names = tuple(sorted(set(name_tokens(text))))
    return DocFeatures(
        article_id=doc.article_id,
        hours=_hours(doc.published_at),
        embedding=embedding,
        term_ids=ids,
        term_counts=np.array([counts[i] for i in ids.tolist()], dtype=np.int32),
        names=names,
        name_ids=name_feature_ids(names),
        words=len(_TOKEN.findall(text)),
    )
