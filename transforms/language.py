"""Small deterministic language identifier from stopword profiles (no model, no dependency).

Each language has a set of its most frequent function words. A text's score for a language is the
number of its word tokens found in that language's set; the best language wins when it has at least
``_MIN_HITS`` hits, covers at least ``_MIN_SHARE`` of the tokens and beats the runner-up by
``_MIN_MARGIN`` (ratio). Otherwise the answer is ``None`` ("unsure": too short or too mixed).
Ties are broken by the fixed order of ``STOPWORDS``, so the result never depends on dict or set order.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping

# Function words chosen to be frequent in one language and rare in the others; words shared by
# several languages (e.g. "a", "de", "la", "in", "en", "die") stay only where they are most telling
# and other hits usually outweigh them.
STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the and of to is in that it was for on are with as his they be at one have this from or had "
        "by not but what all were we when your can said there an which she do their if will would "
        "been has more who its than them these so he about out up into could our after also".split()),
    "de": frozenset(
        "der die und das ist nicht ein eine zu den von mit sich des auf für im dem als auch es an "
        "werden aus er hat dass sie nach wird bei einer um am sind noch wie einem über einen so zum "
        "war haben nur oder aber vor zur bis mehr durch man sein wurde sei ich wir ihr uns kann "
        "diese dieser wenn schon".split()),
    "fr": frozenset(
        "le la les et des est un une du en que qui dans pour pas sur au ce il elle ne se plus par "
        "avec sont ont été cette aux mais ou son sa ses nous vous leur comme tout fait être je ont "
        "aussi très".split()),
    "es": frozenset(
        "el la los las y del que en un una es por con para se no su al lo como más pero sus le ya "
        "fue este ha sí porque esta entre cuando muy sin sobre también hay donde desde todo nos "
        "durante están son ser tiene".split()),
    "it": frozenset(
        "il di che è e la per un una non sono del della le gli al nel si da con i lo ha anche come "
        "più ma ci questo sua suo dei delle alla nella degli essere stato tra quando già molto "
        "perché".split()),
    "pt": frozenset(
        "o a os as de do da dos das e que em um uma para com não por se na no mais mas foi como "
        "ao ele ela é são seu sua pelo pela também já está muito quando isso entre depois sem "
        "mesmo aos nos tem".split()),
    "nl": frozenset(
        "de het een en van ik te dat die in is niet op zijn voor met hij ze zich er maar om ook "
        "als dan bij nog wel naar uit wordt worden geen deze heeft door kan zo dit wat hun haar "
        "werd over tot".split()),
}

MIN_TOKENS = 8  # fewer word tokens than this: too short to tell
_MIN_HITS = 4
_MIN_SHARE = 0.12
_MIN_MARGIN = 1.2
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
ALL_STOPWORDS: frozenset[str] = frozenset().union(*STOPWORDS.values())
# Each function word's languages: a text's scores in one pass over its counted tokens.
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {
    word: tuple(lang for lang, words in STOPWORDS.items() if word in words) for word in ALL_STOPWORDS}
# ASCII text: every character that is not a letter becomes a space, so ``split()`` gives the same tokens
# as ``_WORD.findall`` (a str.translate with an ASCII table runs in C, several times faster than a regex).
_ASCII_NON_LETTERS = str.maketrans({chr(i): " " for i in range(128) if not chr(i).isalpha()})


def letter_tokens(text: str) -> list[str]:
    """The lower-cased word tokens (runs of letters) the identifier counts."""
    if text.isascii():
        return text.lower().translate(_ASCII_NON_LETTERS).split()
    tokens = _WORD.findall(text)
    # Lower-cased together: one call instead of one per token (a space never appears in a token).
    return " ".join(tokens).lower().split(" ") if tokens else []


def language_scores(text: str) -> dict[str, int]:
    """Stopword hits per language for ``text`` (lower-cased word tokens)."""
    tokens = letter_tokens(text)
    return {lang: sum(t in words for t in tokens) for lang, words in STOPWORDS.items()}


def language_from_counts(stopword_counts: Mapping[str, int], n_tokens: int) -> str | None:
    """The decision of :func:`detect_language` from a text's token counts (token -> count; tokens that
    are no function word may be left out) and its number of word tokens. Lets a caller that already counted the
    tokens of parts of a text (lines) decide for any union of the parts without tokenising again."""
    if n_tokens < MIN_TOKENS:
        return None
    scores = dict.fromkeys(STOPWORDS, 0)
    for token, count in stopword_counts.items():
        for lang in _LANGUAGES_OF.get(token, ()):
            scores[lang] += count
    ranked = sorted(STOPWORDS, key=lambda lang: -scores[lang])  # stable: ties keep STOPWORDS order
    best, second = ranked[0], ranked[1]
    if scores[best] < _MIN_HITS or scores[best] < _MIN_SHARE * n_tokens:
        return None
    if scores[best] < _MIN_MARGIN * scores[second]:
        return None
    return best


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the language of ``text`` ("en", "de", ...), or ``None`` when unsure."""
    tokens = letter_tokens(text)
    if len(tokens) < MIN_TOKENS:
        return None
    return language_from_counts(Counter(t for t in tokens if t in ALL_STOPWORDS), len(tokens))
