"""Boilerplate stripping: pure, Beam-free, line by line, every removal with a reason.

The input is one article's text *after* :func:`transforms.normalization.normalize_text`. The output
keeps a subset of its non-blank lines, in order, and says why each other line went.

How a page is read (each step names the reason it gives):

1. **Page title** (``page_title``): a short line (at most ``title_max_words``, not a list item) near
   the top or bottom of the form
   ``headline | section - Outlet`` / ``headline - Outlet`` (a headline and a short title-cased
   suffix after ``|`` or `` - ``) is the page's ``<title>``; its headline is returned as
   ``title_line``. Lines equal to that headline (``headline``) or to the caller's ``title`` go too:
   the headline is metadata, not body, and repeating it in the embedding text only adds weight.
2. **Phrases** (``share_widget``, ``login_prompt``, ``cookie_consent``, ``newsletter``,
   ``comment_widget``, ...): short lines matching the phrase sets of ``config.languages``
   (:mod:`transforms.boilerplate_phrases`).
3. **Site furniture** (``site_furniture``): lines whose :func:`line_key` is in ``furniture``, the
   set learned from the whole run by :func:`furniture_from_counts`.
4. **Main block** (``outside_main_block``): each remaining line gets a prose score: positive for
   prose (enough words, sentence punctuation, function words of the page's language), negative for
   menu items, link labels, dates, teasers cut with "..." (a paragraph of ``truncated_prose_min_words``
   or more stays prose). Rows of an ordered list, a bulleted list or a table of figures score a little
   above zero and lines between two rows zero: a list-shaped body is not pushed out, and menus (no
   numbers counting up, no bullets) are not pulled in. The kept region is the contiguous span of
   lines with the largest total score (maximum subarray, as in jusText's idea that body text comes
   in dense runs). Short lines *inside* the span (subheadings, one-line quotes, list items) are kept.
   When the article's own headline line lies before that span and the best span between the two is
   heavy enough, that earlier span is the body (see :func:`_anchor_at_headline`). A text with one
   paragraph left standing keeps it: it cannot be a teaser of anything.
   A line that reads as a whole sentence (``sentence_min_words`` words or more, sentence punctuation,
   some function words) never scores below zero, however many names it carries. The span then grows
   over the whole sentences right next to it ("No.", "Trust me.": a body written one sentence per
   line), across a quote cut with "..." when a sentence follows it, and across up to two datelines to
   a full sentence above them (a standfirst; the datelines crossed go as ``dateline``). A page of
   nothing but whole sentences is kept whole.
   Hard-wrapped text (markdown converters wrap at 60-100 columns) is judged by paragraph: the lines
   of one wrapped paragraph form one unit, kept or removed together, each removed line with the
   unit's reason.
   Before that, reader comments are cut (``comment_section``: comment headers such as
   "<name> says:" after the body), since comments are prose too; and a kept line repeating an
   earlier kept line goes afterwards (``repeated_line``).
5. **Section markers** (``after_section_marker:<kind>``): a short standalone line such as
   "Related Articles", "More from X" or "Leave a comment" inside the kept span, in its latter part,
   followed by little prose compared with what came before: everything from it to the end goes.

Deterministic: no randomness, no dict-order dependence; the same text and config give the same result.
"""
from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import NamedTuple

from transforms.boilerplate_phrases import (
    PHRASES,
    SHIPPED_LANGUAGES,
    PhraseMatcher,
    PhraseSet,
    fold_case,
    phrase_matcher,
)
from transforms.language import ALL_STOPWORDS, STOPWORDS, language_from_counts, letter_tokens
from transforms.normalization import normalize_line


@dataclass(frozen=True)
class BoilerplateConfig:
    """Thresholds of :func:`strip_boilerplate`; validated and derived in ``__post_init__``.

    The numeric defaults are checked on the tuning parts of the labelled sets only
    (``python -m evaluation.boilerplate_tuning``: coordinate descent over every field below, objective
    the Zyte mean page F1 and the snippets' balanced keep/drop rate; 2026-12 it moved only
    ``short_line_penalty``, 9 -> 11). The held-out parts are never used to choose them.

    languages: phrase sets applied (all of them, whatever the page's language: site chrome is often
        in another language than the article).
    furniture_min_articles / furniture_min_share: a line key seen in at least this many articles of one
        source *and* in at least this share of them is site furniture.
    furniture_max_body_share: furniture removal is skipped for prose lines when it would take more than
        this share of an article's prose words (the article is then a copy of another; that is the
        near-duplicate stage's business, not furniture).
    phrase_max_words: only lines of at most this many words are tested against the phrase sets.
    marker_max_words: a section marker is a standalone line of at most this many words.
    marker_min_position: ... and starts after this share of the kept span's prose words.
    marker_max_prose_after: ... and the prose words after it are at most this share of those before
        (``marker_max_prose_after_prose`` when the line right after the marker is itself prose).
    prose_min_words: a line of at least this many words is prose when it reads as a sentence.
    short_line_penalty: score of a line that is not prose (menu item, label, date).
    isolated_sentence_weight: weight of a one-sentence prose line of fewer than
        ``teaser_max_words`` words with no prose neighbour (how teasers of other stories look).
    repeat_min_words: a kept line of at least this many words seen earlier in the kept text goes.
    comment_min_headers / comment_min_prose_before: see :func:`_comment_section_start`.
    truncated_prose_min_words: a line ending in "..." is a teaser unless it has at least this many words.
    title_max_words: a page-title line (``headline | Outlet``) has at most this many words.
    list_item_weight: score per word (up to 10 words) of a non-prose line in an ordered list, a bulleted
        list or a table of figures (see :func:`_list_lines`).
    anchor_min_share / anchor_min_share_short / anchor_min_lines: see :func:`_anchor_at_headline`.
    sentence_min_words / sentence_floor_per_word: a line of at least ``sentence_min_words`` words that
        reads as a whole sentence (see :func:`_reads_as_sentence`) scores at least
        ``sentence_floor_per_word`` per word, however low its function-word density.
    """

    languages: tuple[str, ...] = SHIPPED_LANGUAGES
    furniture_min_articles: int = 3
    furniture_min_share: float = 0.3
    furniture_max_body_share: float = 0.5
    phrase_max_words: int = 30
    marker_max_words: int = 6
    marker_min_position: float = 0.5
    marker_max_prose_after: float = 0.5
    marker_max_prose_after_prose: float = 0.2
    prose_min_words: int = 8
    short_line_penalty: float = 11.0
    isolated_sentence_weight: float = 0.3
    teaser_max_words: int = 25
    repeat_min_words: int = 4
    comment_min_headers: int = 2
    comment_min_prose_before: float = 40.0
    truncated_prose_min_words: int = 150
    title_max_words: int = 30
    list_item_weight: float = 0.25
    anchor_min_share: float = 0.3
    anchor_min_share_short: float = 0.5
    anchor_min_lines: int = 3
    # Records of at most this many lines whose lines were all removed for structural reasons only
    # (outside the main block, page title) are headline-only items and kept whole.
    headline_record_max_lines: int = 2
    sentence_min_words: int = 6
    sentence_floor_per_word: float = 0.25
    phrase_sets: tuple[PhraseSet, ...] = field(init=False, repr=False, compare=False)
    phrase_matcher: PhraseMatcher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = [lang for lang in self.languages if lang not in PHRASES]
        if unknown:
            raise ValueError(f"no phrase set for languages {unknown}; shipped: {SHIPPED_LANGUAGES}")
        if len(set(self.languages)) != len(self.languages):
            raise ValueError(f"languages repeat: {self.languages}")
        if self.headline_record_max_lines < 0:
            raise ValueError("headline_record_max_lines must be >= 0")
        if self.furniture_min_articles < 2:
            raise ValueError("furniture_min_articles must be >= 2: one article cannot show a repeat")
        for name in ("furniture_min_share", "furniture_max_body_share", "marker_min_position",
                     "marker_max_prose_after", "marker_max_prose_after_prose",
                     "isolated_sentence_weight", "list_item_weight", "anchor_min_share",
                     "anchor_min_share_short", "sentence_floor_per_word"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        for name in ("phrase_max_words", "marker_max_words", "prose_min_words",
                     "truncated_prose_min_words", "title_max_words", "anchor_min_lines",
                     "sentence_min_words"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if self.short_line_penalty < 0:
            raise ValueError("short_line_penalty must be >= 0")
        if self.comment_min_headers < 1 or self.repeat_min_words < 1 or self.comment_min_prose_before < 0:
            raise ValueError("comment_min_headers and repeat_min_words must be >= 1, "
                             "comment_min_prose_before >= 0")
        object.__setattr__(self, "phrase_sets", tuple(PHRASES[lang] for lang in self.languages))
        object.__setattr__(self, "phrase_matcher", phrase_matcher(self.languages))


_new_removal = tuple.__new__


class LineRemoval(NamedTuple):
    # A named tuple, not a frozen dataclass: a page can have hundreds of removals and this is ~3x
    # cheaper to build.
    line_no: int  # 0-based index in ``text.split("\n")``
    text: str
    reason: str


@dataclass(frozen=True)
class StripResult:
    clean_text: str
    removals: tuple[LineRemoval, ...]
    title_line: str | None
    # detect_language(clean_text), computed from the kept lines' tokens (no second pass over the text).
    language: str | None = None


# ------------------------------------------------------------------ line features
_WORD = re.compile(r"\w+", re.UNICODE)
_LETTERS_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Scripts written without spaces: a character is worth about half a word.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_SENTENCE_END = re.compile(r"""[.!?;:\u3002\uff01\uff1f]["')\]]*$|["')\]]$""")
_DATE_LINE = re.compile(
    r"^[\w ,.:/|-]{0,40}\b(\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}|"
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4}|"
    r"\d{1,2}\.? (jan|feb|mär|mar|apr|mai|may|jun|jul|aug|sep|okt|oct|nov|dez|dec)[a-zä]*\.? \d{4})\b",
    re.IGNORECASE)
_TITLE_SEPARATOR = re.compile(r"\s(\||-|::|»|·)\s")
_ALL_STOPWORDS = ALL_STOPWORDS
_TAIL = 32
_MAX_WORD_CHARS = 25  # characters per word, generously: bounds how long a "short" line can be


class _Facts(NamedTuple):
    """What one unit's text alone says about it (nothing about the rest of the page)."""

    words: float          # word count, CJK characters counted as half words
    tokens: list[str]     # lower-cased \w+ tokens
    key: str              # line_key(text)
    letter_count: int     # letter tokens (what the language identifier counts)
    stopwords: list[str]  # those of them that are function words of some language, lower-cased
    has_digit: bool
    sentence_end: bool
    truncated: bool
    list_number: int | None  # the number opening an ordered-list row ("3) ...", "(3) ...")
    bullet: bool          # opens with a bullet
    numeric: bool         # a row of a table of figures
    comment_header: bool  # "<name> says:", "... at 10:32 pm", "Reply" (lines of at most 15 words)


@dataclass(slots=True)
class _Line:
    """One unit of the page (a line, or the lines of one hard-wrapped paragraph) and its features.

    The features that only some steps need are computed once, on first use (the ``_`` fields)."""

    line_no: int          # first input line of the unit
    members: tuple[int, ...]  # every input line of the unit (more than one for a hard-wrapped paragraph)
    text: str
    # the fields of _Facts, in order
    words: float
    tokens: list[str]
    key: str
    letter_count: int
    stopwords: list[str]
    has_digit: bool
    sentence_end: bool
    truncated: bool
    list_number: int | None
    bullet: bool
    numeric: bool
    comment_header: bool
    stop_share: float = 0.0  # share of tokens that are function words of the page's language
    _sentence_line: bool | None = None
    _dateline: bool | None = None


# ASCII units are tokenised with a bytes translation table + split instead of a regex scan (the same
# tokens, several times faster: sre scans cost tens of ns per character, bytes.translate about one).
def _ascii_table(keep: Callable[[str], bool]) -> bytes:
    return bytes(i if i < 128 and keep(chr(i)) else 32 for i in range(256))


_ASCII_WORD = _ascii_table(lambda ch: ch.isalnum() or ch == "_")   # \w
_ASCII_LETTER = _ascii_table(str.isalpha)                          # [^\W\d_]
_ASCII_KEY = _ascii_table(str.isalnum)                             # what line_key keeps
_ASCII_DIGITS_ZERO = bytes(48 if 48 <= i <= 57 else i for i in range(256))
_DIGITS_AND_UNDERSCORE = b"0123456789_"
_SENTENCE_END_CHARS = frozenset(".!?;:\u3002\uff01\uff1f\"')]")  # a unit ending in one: _SENTENCE_END holds
# A sentence closes with . ! ? (or their CJK forms), possibly followed by closing quotes or brackets; ":" and
# ";" close list labels and clauses, not sentences.
_SENTENCE_CLOSERS = "\"'\u201d\u2019\u00bb)]"
_SENTENCE_CLOSE_CHARS = frozenset(".!?\u3002\uff01\uff1f")
# Upper-case letters mapped to "U", lower-case to "l", the rest to spaces: " U" counts capitalised words.
_ASCII_CASE = bytes(85 if 65 <= i <= 90 else 108 if 97 <= i <= 122 else 32 for i in range(256))


# Short units recur across a site's pages (menus, share rows, footers) and across copies of one story:
# their facts are remembered, per process, up to a bound (the cache only ever returns what _facts_of
# would compute: the output does not depend on it).
_FACTS_CACHE: dict[str, _Facts] = {}
_FACTS_CACHE_ENTRIES = 20_000
_FACTS_CACHE_MAX_CHARS = 400


def _features(members: tuple[int, ...], text: str) -> _Line:
    """The unit's line: its facts (remembered for short units) and room for page-dependent features."""
    facts = _FACTS_CACHE.get(text)
    if facts is None:
        facts = _facts_of(text)
        if len(text) <= _FACTS_CACHE_MAX_CHARS:
            if len(_FACTS_CACHE) >= _FACTS_CACHE_ENTRIES:
                _FACTS_CACHE.clear()
            _FACTS_CACHE[text] = facts
    return _Line(members[0], members, text, *facts)


def _facts_of(text: str) -> _Facts:
    if text.isascii():
        low = text.lower().encode("ascii")
        tokens = low.translate(_ASCII_WORD).decode("ascii").split()
        words = float(len(tokens))
        plain = len(low.translate(None, _DIGITS_AND_UNDERSCORE)) == len(low)
        # Without digits or underscores the \w tokens are the letter tokens and the key's words.
        letters = tokens if plain else low.translate(_ASCII_LETTER).decode("ascii").split()
        key = " ".join(tokens) if plain else _ascii_line_key(low)
        has_digit = not plain and len(low.translate(None, _DIGITS_AND_UNDERSCORE[:-1])) != len(low)
    else:
        found = _WORD.findall(text)
        tokens = " ".join(found).lower().split(" ") if found else []
        cjk = len(_CJK.findall(text))
        words = float(len(tokens)) if not cjk else len([t for t in found if not _CJK.search(t)]) + cjk / 2.0
        letters = letter_tokens(text)
        key = line_key(text)
        has_digit = _DIGIT.search(text) is not None
    first = text[:1]
    # The list patterns are anchored: only a line opening with "(", a digit or a bullet can match.
    head = _LIST_NUMBER.match(text) if first == "(" or first.isdecimal() else None
    numeric = False
    if has_digit:
        row = text.split(None, 24)[:24]
        # Whole tokens that are figures, found in one scan of the tokens joined by single spaces.
        figures = len(_NUMBER_TOKEN.findall(" ".join(row)))
        numeric = figures >= 3 and figures >= 0.3 * len(row)
    # Built as a plain tuple (in _Facts' field order): the keyword constructor costs more than the rest.
    return _new_facts(_Facts, (
        words, tokens, key, len(letters), [t for t in letters if t in _ALL_STOPWORDS], has_digit,
        # Units are stripped: "ends with" is the end-of-line regex's answer without a scan.
        text[-1:] in _SENTENCE_END_CHARS, text.endswith(("..", "\u2026")),
        int(head.group(1)) if head else None,
        bool(first) and first in _BULLET_CHARS and bool(_BULLET.match(text)),
        numeric, words <= 15 and _is_comment_header(text),
    ))


_new_facts = tuple.__new__


def _stopword_counts(lines: list[_Line]) -> tuple[Counter[str], int]:
    """The stopwords of ``lines`` counted, and their number of letter tokens: what ``language_from_counts``
    decides on (detect_language of the text made of the lines)."""
    return Counter(chain.from_iterable(ln.stopwords for ln in lines)), sum(ln.letter_count for ln in lines)


def _language_without(counts: Counter[str], n_tokens: int, removed: list[_Line]) -> str | None:
    """detect_language of the text of the lines counted in ``counts`` / ``n_tokens`` less the ``removed``
    ones, counting only the removed lines (a page's boilerplate is short; its body is long). ``counts`` is
    changed."""
    gone, gone_tokens = _stopword_counts(removed)
    counts.subtract(gone)  # zero counts add nothing to a language's score
    return language_from_counts(counts, n_tokens - gone_tokens)


def _set_stop_share(line: _Line, stopwords: frozenset[str]) -> None:
    line.stop_share = sum(map(stopwords.__contains__, line.tokens)) / len(line.tokens) if line.tokens else 0.0


def _is_prose(line: _Line, config: BoilerplateConfig) -> bool:
    if line.truncated and line.words < config.truncated_prose_min_words:
        # A teaser cut with "..." is short; a long paragraph that merely ends in "..." is still prose.
        return False
    if line.words >= 2 * config.prose_min_words:
        return True
    return line.words >= config.prose_min_words and (line.sentence_end or line.stop_share >= 0.2)


def _prose_quality(line: _Line, has_stopwords: bool) -> float:
    """1.0 for a line that reads like running text of the page's language, down to 0.0 for a list of
    names, numbers or keywords. Pages of a language without a stopword profile fall back on
    sentence punctuation alone."""
    if not has_stopwords:
        return 1.0 if line.sentence_end else 0.6
    return min(1.0, max(0.0, (line.stop_share - 0.08) / 0.22))


_AGO = re.compile(r"^(updated )?\d+\s?(s|m|h|d|min|mins|hrs?|hours?|days?|minutes?)\.? ago\b", re.IGNORECASE)
_SENTENCE_SPLIT = re.compile(r"[.!?][\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9\u00c0-\u00de])")


def _is_dateline(line: _Line) -> bool:
    if line._dateline is None:
        # Both patterns need a digit.
        line._dateline = line.words <= 10 and line.has_digit and bool(
            _DATE_LINE.search(line.text) or _AGO.search(line.text))
    return line._dateline


def _sentences(text: str) -> int:
    return 1 + len(_SENTENCE_SPLIT.findall(text))


_TRUNCATED_SENTENCE = re.compile(r"""[^\W_]["'\u201d\u2019)\]]*\s*(\.\.\.|\.\.|\u2026)["'\u201d\u2019)\]]*\s*$""", re.UNICODE)
_SENTENCE_OPEN = re.compile(r"""^["'\u201c\u2018\u00ab(\[]*[^\W_]""", re.UNICODE)


def _is_sentence_line(line: _Line) -> bool:
    """True for a line that is one or more whole sentences: sentence punctuation at the end, not a teaser
    cut with "...", not a dateline, not a headline in title case. Menus, labels and headlines do not
    end that way; the body of an article written one sentence per line does, however short the
    sentence ("No.", "Trust me.")."""
    if line._sentence_line is None:
        line._sentence_line = _sentence_line(line)
    return line._sentence_line


def _sentence_line(line: _Line) -> bool:
    # Sentence punctuation before any closing quotes or brackets, looked for within the tail.
    if line.truncated or line.text[-_TAIL:].rstrip(_SENTENCE_CLOSERS)[-1:] not in _SENTENCE_CLOSE_CHARS \
            or _is_dateline(line):
        return False
    head = line.text[:_MAX_WORD_CHARS * 40]
    if head.isascii():
        # Letters map to "U" / "l", the rest to spaces: a word starts at each " U" or " l".
        shape = b" " + head.encode("ascii").translate(_ASCII_CASE)
        capitalised = shape.count(b" U")
        n_words = capitalised + shape.count(b" l")
    else:
        words = _LETTERS_WORD.findall(head)
        n_words = len(words)
        capitalised = sum(w[:1].isupper() for w in words) if n_words >= 3 else 0
    if n_words >= 3 and capitalised >= 0.6 * n_words:
        return False  # "Colts Beat Chiefs To Clinch Playoff Berth!": a headline, or shouting
    return n_words > 0


def _reads_as_sentence(line: _Line, min_words: int) -> bool:
    """A sentence line of at least ``min_words`` words that opens like a sentence and has function
    words: running text, whatever its density of names (which the prose quality penalises)."""
    if line.words < min_words or line.stop_share <= 0.0 or not _SENTENCE_OPEN.match(line.text):
        return False
    return _is_sentence_line(line)


def _is_teaser_context(lines: list[_Line], prose: list[bool], i: int, config: BoilerplateConfig) -> bool:
    """True when line ``i`` is a short prose line with no prose neighbour: how teaser lists look."""
    if i == 0 or i + 1 >= len(lines) or prose[i - 1] or prose[i + 1]:
        return False
    return lines[i].words < config.teaser_max_words


# Ordered-list and table shapes: "1) ...", "(2) ...", "3a etapa: ...", "4 Kyle Busch 5035 7 0 15 24".
_LIST_NUMBER = re.compile(r"^\(?(\d{1,3})(?:[a-z\u00aa\u00ba\u00b0]{1,2}\b|[).:]|\s)")
_BULLET_CHARS = "*\u2022\u00b7\u25aa\u25ba\u25e6\u2023\u2013-"
_BULLET = re.compile(rf"^[{re.escape(_BULLET_CHARS)}]\s?\w")
_NUMBER_TOKEN = re.compile(r"(?<!\S)\d+(?:[.,:/]\d+)*(?!\S)")  # a whole whitespace-separated token
_DIGIT = re.compile(r"\d")
_DATELINE_GAP = 2  # datelines ("Published: ...", "Updated: ...") the main block may grow across
_LIST_GAP = 2  # a list item may be followed by one line of its own (a link, a note) before the next


def _list_lines(lines: list[_Line], removed: set[int]) -> tuple[list[bool], list[bool]]:
    """(item, inside) per line: ``item`` for a line of an ordered list (numbers counting up), a bulleted
    list or a table of numbers, with a like neighbour at most ``_LIST_GAP`` lines on; ``inside`` for a
    line between two items of one list. Menus are lists too, but their items do not count and carry
    no bullets or numbers, so this does not rescue them."""
    n = len(lines)
    numbers = [ln.list_number for ln in lines]
    bullets = [ln.bullet for ln in lines]
    numeric = [ln.numeric for ln in lines]
    item = [False] * n
    inside = [False] * n
    if not (any(bullets) or any(numeric) or any(x is not None for x in numbers)):
        return item, inside  # no line that could be a row: nothing to pair
    for i in range(n):
        if lines[i].line_no in removed:
            continue
        for j in range(i + 1, min(n, i + 1 + _LIST_GAP)):
            if lines[j].line_no in removed:
                continue
            if (numbers[i] is not None and numbers[j] == numbers[i] + 1) or (bullets[i] and bullets[j]) \
                    or (numeric[i] and numeric[j]):
                item[i] = item[j] = True
                for k in range(i + 1, j):
                    inside[k] = True
                break
    return item, inside


def _line_scores(lines: list[_Line], removed: set[int], config: BoilerplateConfig,
                 has_stopwords: bool, list_item: list[bool], in_list: list[bool]) -> list[float]:
    """Prose score of every line; see the module docstring, step 4."""
    penalty = config.short_line_penalty
    prose = [(_is_prose(ln, config) and ln.line_no not in removed) for ln in lines]
    keys = [ln.key for ln in lines]
    seen: dict[str, int] = {}
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        seen[key] = seen.get(key, 0) + 1
        first.setdefault(key, i)
    scores: list[float] = []
    for i, ln in enumerate(lines):
        if ln.line_no in removed:
            scores.append(-2 * penalty)
        elif not prose[i] and (list_item[i] or in_list[i]):
            # A list or table row is body content that happens to be short (and may repeat, as table
            # cells do); a line between two items belongs to the list. Neither pulls a menu in (menus
            # carry no numbers or bullets) nor pushes a list-shaped body out.
            scores.append(config.list_item_weight * min(ln.words, 10.0) if list_item[i] else 0.0)
        elif seen[keys[i]] > 1 and ln.words >= 3 and (not prose[i] or first[keys[i]] != i):
            # The same sentence twice on one page is a teaser, a widget or a menu, not body.
            scores.append(-penalty)
        elif prose[i]:
            quality = _prose_quality(ln, has_stopwords)
            score = ln.words * quality - penalty * (1.0 - quality)
            if _reads_as_sentence(ln, config.sentence_min_words):
                # A whole sentence is body-like however many names it carries ("Perennial party girl Tara
                # Reid checked herself into Promises Treatment Center, her rep told People."): never below
                # a small positive weight.
                score = max(score, config.sentence_floor_per_word * ln.words)
            if _is_teaser_context(lines, prose, i, config) and _sentences(ln.text) == 1:
                # One sentence between a headline and a date (or two headlines) is a teaser of another story.
                score *= config.isolated_sentence_weight
            scores.append(score)
        elif _is_dateline(ln):
            scores.append(-2 * penalty)
        elif ln.truncated:
            scores.append(-penalty - 0.5 * ln.words)
        elif ln.sentence_end and ln.words >= 3:
            scores.append(0.5 * ln.words - 1.0)
        else:
            scores.append(-penalty)
    return scores


# ------------------------------------------------------------------ hard-wrapped text
_MAX_WRAP_WIDTH = 100   # text wrapped at a fixed width (markdown converters, mail) uses 60-100 columns
_MIN_WRAP_WIDTH = 40
_WRAP_SLACK = 20        # a wrapped line ends within this many characters of the width
_BLOCK_START = re.compile(r"^([#>|*\u2022+-]|\(?\d{1,3}[).:]\s)")


def _wrap_width(stripped: list[str]) -> int | None:
    """The column at which the text was hard-wrapped, or None when it was not.

    Wrapped text has many lines filled to within ``_WRAP_SLACK`` of one width of at most
    ``_MAX_WRAP_WIDTH`` columns, and (nearly) no text in longer lines; page text has its paragraphs on
    single long lines."""
    lengths = [len(line) for line in stripped if line]
    if len(lengths) < 4:
        return None
    short = [n for n in lengths if n <= _MAX_WRAP_WIDTH]
    if not short:
        return None
    width = max(short)
    if width < _MIN_WRAP_WIDTH:
        return None
    total = sum(lengths)
    beyond = sum(n for n in lengths if n > width)
    filled = [line for line in stripped if width - _WRAP_SLACK <= len(line) <= width]
    # A wrap cuts sentences: most filled lines stop mid-sentence (whole short paragraphs do not).
    mid_sentence = sum(line[-1:] not in _SENTENCE_END_CHARS for line in filled)  # lines are stripped
    if beyond > 0.1 * total or len(filled) < max(3, 0.3 * len(lengths)) or mid_sentence < 0.5 * len(filled):
        return None
    return width


def _units(stripped: list[str]) -> list[tuple[int, ...]]:
    """Groups of input line numbers judged together: one per non-blank line, except that the lines of
    a hard-wrapped paragraph form one unit (each piece alone is too short to read as prose)."""
    width = _wrap_width(stripped)
    units: list[tuple[int, ...]] = []
    current: list[int] = []
    for i, line in enumerate(stripped):
        if not line:
            if current:
                units.append(tuple(current))
            current = []
            continue
        continues = (width is not None and current and len(stripped[current[-1]]) >= width - _WRAP_SLACK
                     and current[-1] == i - 1 and not _BLOCK_START.match(line))
        if not continues and current:
            units.append(tuple(current))
            current = []
        current.append(i)
    if current:
        units.append(tuple(current))
    return units


# ------------------------------------------------------------------ furniture
_KEY_STRIP = re.compile(r"[\W_]+", re.UNICODE)
_KEY_DIGITS = re.compile(r"\d+")


def line_key(line: str) -> str:
    """Key under which the same furniture line is recognised across articles.

    Normalised, case-folded, digits collapsed to ``0`` (so "© 2019" and "© 2020" or "3 comments" and
    "12 comments" meet), punctuation and spacing reduced to single spaces.
    """
    if line.isascii():
        return _ascii_line_key(line.lower().encode("ascii"))
    key = normalize_line(line).casefold()
    key = _KEY_DIGITS.sub("0", key)
    return _KEY_STRIP.sub(" ", key).strip()


def _ascii_line_key(low: bytes) -> str:
    """:func:`line_key` of an ASCII line, given lower-cased and encoded. Normalisation only turns
    controls, runs of spacing and the backtick into spaces or quotes here, and all of those become one
    space in the key anyway; then every digit becomes "0" and runs of "0" shrink to one, which is what
    folding each digit run to "0" does."""
    key = low.translate(_ASCII_KEY)
    if len(key.translate(None, b"0123456789")) != len(key):
        key = key.translate(_ASCII_DIGITS_ZERO)
        while b"00" in key:
            key = key.replace(b"00", b"0")
    return " ".join(key.decode("ascii").split())


def article_line_keys(text: str) -> frozenset[str]:
    """Distinct non-empty line keys of one article: count each once per article, per source."""
    return frozenset(k for k in (line_key(line) for line in text.split("\n")) if k)


def furniture_from_counts(line_article_counts: Mapping[str, int], n_articles: int,
                          config: BoilerplateConfig) -> frozenset[str]:
    """Keys seen in ``>= furniture_min_articles`` articles and ``>= furniture_min_share`` of a source's
    ``n_articles`` articles. ``line_article_counts`` maps a key to the number of that source's articles
    containing it (each article counted once, see :func:`article_line_keys`)."""
    if n_articles < config.furniture_min_articles:
        return frozenset()
    return frozenset(
        key for key, count in line_article_counts.items()
        if key and count >= config.furniture_min_articles and count >= config.furniture_min_share * n_articles
    )


# ------------------------------------------------------------------ title
@functools.lru_cache(maxsize=None)
def _more_words_than(n: int) -> re.Pattern[str]:
    """Matches a text of more than ``n`` words (``_WORD`` runs), and stops reading at the ``n + 1``-th."""
    return re.compile(r"\W*(?:\w+\W+){%d}\w" % n, re.UNICODE)


def _split_title(line: str, max_words: int) -> str | None:
    """Headline of a ``headline | section - Outlet`` line, or None when the line is not of that form."""
    # A paragraph or a numbered list item with a dash in it is not a page title.
    if _more_words_than(max_words).match(line[:max_words * 40]) or _LIST_NUMBER.match(line):
        return None
    if _SENTENCE_END.search(line) and not line.endswith(")"):
        return None
    parts = _TITLE_SEPARATOR.split(line)
    if len(parts) < 3:
        return None
    headline = parts[0].strip()
    suffix = parts[-1].strip()
    suffix_words = _WORD.findall(suffix)
    if not suffix_words or len(suffix_words) > 6 or len(_WORD.findall(headline)) < 3:
        return None
    # The suffix is a name: title-cased or upper-case words (an outlet, a section), not a clause.
    capitalised = sum(w[:1].isupper() or w[:1].isdigit() for w in suffix_words)
    if capitalised < max(1, len(suffix_words) - 1):
        return None
    # Several separators: the headline is what precedes the first "|" (sections follow it).
    for index in range(1, len(parts) - 1, 2):
        if parts[index] == "|":
            return " ".join(parts[:index]).strip() if index > 1 else headline
    return " ".join(p for p in parts[:-2]).strip() or headline


def _title_key(text: str) -> str:
    return line_key(text)


# ------------------------------------------------------------------ main block
def _best_span(scores: list[float]) -> tuple[int, int, float]:
    """Maximum-sum contiguous span ``[start, end]`` (inclusive); ties go to the earliest span."""
    best = (0, -1, 0.0)
    start, running = 0, 0.0
    for i, s in enumerate(scores):
        if running <= 0:
            start, running = i, s
        else:
            running += s
        if running > best[2]:
            best = (start, i, running)
    return best


def _anchor_at_headline(lines: list[_Line], scores: list[float], reasons: Mapping[int, str],
                        start: int, end: int, config: BoilerplateConfig) -> tuple[int, int]:
    """The main block, moved up to the article's own headline when the densest span lies past it.

    The headline line (the page title's headline, seen again in the page) opens the article. When the
    densest span starts after it and the best span between the two scores at least
    ``anchor_min_share`` of the densest (``anchor_min_share_short`` when it has fewer than
    ``anchor_min_lines`` lines), that earlier span is the body (list- or table-shaped, hence less
    dense) and the denser one a sidebar or the reader's next stop.
    """
    anchor = next((i for i, ln in enumerate(lines) if reasons.get(ln.line_no) == "headline"), None)
    if anchor is None or start <= anchor + 1:
        return start, end
    local_start, local_end, local_score = _best_span(scores[anchor + 1:start])
    if local_end < local_start:
        return start, end
    # One or two lines under a headline are as often a standfirst as a short body: they must weigh more.
    share = config.anchor_min_share if local_end - local_start + 1 >= config.anchor_min_lines \
        else config.anchor_min_share_short
    if local_score < share * sum(scores[start:end + 1]):
        return start, end
    return anchor + 1 + local_start, anchor + 1 + local_end


def _extend_over_sentences(lines: list[_Line], reasons: Mapping[int, str], start: int, end: int,
                           config: BoilerplateConfig) -> tuple[int, int, list[int]]:
    """The main block grown over the whole sentences right next to it, on each side; also the indices
    of the datelines crossed on the way (removed as ``dateline``: they are not body text).

    A body written one sentence per line has short sentences ("No.", "Trust me.", "Get well soon!") and
    name-heavy ones that score low alone; next to the block they are its first or last sentences.
    A quote broken off with "..." is crossed when a whole sentence follows it on the far side (teasers
    cut with "..." come between headlines, not between sentences), and so are up to
    ``_DATELINE_GAP`` datelines between the block and a full sentence (a standfirst above the
    "Published ..." line). Growth stops at anything else (a headline, a menu item) or at a line
    already removed."""
    def grow(index: int, step: int) -> tuple[int, list[int]]:
        probe, pending, crossed = index + step, 0, []
        while 0 <= probe < len(lines) and lines[probe].line_no not in reasons:
            line = lines[probe]
            if _is_sentence_line(line) and (not pending or _reads_as_sentence(line, config.sentence_min_words)):
                crossed.extend(range(probe - step * pending, probe, step) if pending else ())
                index, pending = probe, 0
            elif line.truncated and _TRUNCATED_SENTENCE.search(line.text[-_TAIL:]) and not pending:
                pass
            elif _is_dateline(line) and pending < _DATELINE_GAP and index == probe - step:
                pending += 1
            else:
                break
            probe += step
        return index, crossed
    new_start, before = grow(start, -1)
    new_end, after = grow(end, 1)
    return new_start, new_end, [i for i in before + after if _is_dateline(lines[i])]


# ------------------------------------------------------------------ phrases
def _phrase_reason(text: str, words: float, config: BoilerplateConfig) -> str | None:
    # The character bound keeps a huge line without words (2 MB of punctuation) from ~160 searches.
    if words > config.phrase_max_words or len(text) > config.phrase_max_words * _MAX_WORD_CHARS:
        return None
    return config.phrase_matcher.reason(text)


_MARKER_TRIM = re.compile(r"^[\W_]+|[\W_]+$", re.UNICODE)


def _marker_kind(text: str, words: float, config: BoilerplateConfig) -> str | None:
    if words > config.marker_max_words or len(text) > config.marker_max_words * _MAX_WORD_CHARS:
        return None
    core = _MARKER_TRIM.sub("", text)
    for phrase_set in config.phrase_sets:
        for kind, pattern in phrase_set.markers:
            if pattern.fullmatch(core):
                return kind
    return None


# ------------------------------------------------------------------ comments
# A comment's header: "<name> says:", "<name> on <date> at <time> said:", "<date> at <time>", "Reply".
_COMMENT_HEADER = re.compile(
    r"(\b(says|said|wrote|schreibt|schrieb|sagt|sagte|meint|a écrit|dit|escribió|dice|dijo|scrive|"
    r"ha scritto|disse|schreef|zegt)\s*:?$"
    r"|\b(\d{4},?|ago) (at|um|à|a las|alle|às|om) \d{1,2}[:.h]\d{2}(\s?[ap]\.?m\.?)?( said:?)?$"
    r"|^(reply|antworten|répondre|responder|rispondi|responder|beantwoorden)( ↓)?$)",
    re.IGNORECASE)


_HEADER_VERBS = ("says", "said", "wrote", "schreibt", "schrieb", "sagt", "sagte", "meint", "a écrit", "dit",
                 "escribió", "dice", "dijo", "scrive", "ha scritto", "disse", "schreef", "zegt")
_HEADER_REPLIES = ("reply", "antworten", "répondre", "responder", "rispondi", "beantwoorden")


def _is_comment_header(text: str) -> bool:
    """``_COMMENT_HEADER.search(text)``, run only where the line's end (or start) can match it: a verb
    at the end, a time at the end ("... at 10:32 pm said:"), or a reply button. Most lines end otherwise."""
    last = text[-1:]
    if not (last.isalnum() or last in ":\u2193" or last.isspace() or (last == "." and text[-2:-1] in "mM")):
        return False  # every header ends in a letter, a digit, ":", "↓" or the "m." of "p.m."
    low = fold_case(text)
    tail = low[:-1] if low.endswith(":") else low
    if tail.rstrip().endswith(_HEADER_VERBS):
        return bool(_COMMENT_HEADER.search(text))
    if tail.endswith(" said"):
        tail = tail[:-5]
    if tail[-1:].isdigit() or tail.endswith(("m", "m.")) or low.startswith(_HEADER_REPLIES):
        return bool(_COMMENT_HEADER.search(text))
    return False


def _comment_section_start(lines: list[_Line], reasons: dict[int, str], config: BoilerplateConfig) -> int | None:
    """Index (into ``lines``) where a run of reader comments begins, or None.

    Comments are prose too, so the main-block score cannot tell them from the body; their headers can.
    At least ``comment_min_headers`` headers are needed, after at least ``comment_min_prose_before``
    prose words; the section opens at the nearest comments marker or comment widget shortly above the
    first header, else at the line before it (the commenter's name) or the header itself.
    """
    headers = [i for i, ln in enumerate(lines) if ln.comment_header]
    header_set = set(headers)
    if len(headers) < config.comment_min_headers:
        return None
    prose_before = 0.0
    first = None
    for i, ln in enumerate(lines):
        if i in header_set and prose_before >= config.comment_min_prose_before \
                and sum(h >= i for h in headers) >= config.comment_min_headers:
            first = i
            break
        if _is_prose(ln, config) and ln.line_no not in reasons:
            prose_before += ln.words
    if first is None:
        return None
    for j in range(first - 1, max(-1, first - 9), -1):
        ln = lines[j]
        if reasons.get(ln.line_no) == "comment_widget" or _marker_kind(ln.text, ln.words, config) == "comments":
            return j
    return first


# ------------------------------------------------------------------ entry point
_STRUCTURAL_REASONS = frozenset({"outside_main_block", "page_title", "headline"})
_BYLINE = re.compile(r"^(by|von|par|por|di|door)\s", re.IGNORECASE)


def _looks_like_headline(text: str, config: BoilerplateConfig) -> bool:
    """A line that reads as a headline: a few words, no sentence end, no byline, no label ("PUBLISHED:")."""
    words = text.split()
    return (4 <= len(words) <= config.title_max_words and not text.rstrip().endswith((".", ":", ";", ","))
            and ":" not in text[:20] and not _BYLINE.match(text)
            and sum(ch.isalpha() for ch in text) >= 0.7 * len(text.replace(" ", "")))


def strip_boilerplate(text: str, config: BoilerplateConfig, furniture: frozenset[str] = frozenset(),
                      title: str | None = None) -> StripResult:
    """Strip site boilerplate from one normalised article text; see the module docstring."""
    raw_lines = text.split("\n")
    stripped = [raw.strip() for raw in raw_lines]
    lines = [_features(members, " ".join(stripped[i] for i in members) if len(members) > 1 else stripped[members[0]])
             for members in _units(stripped)]
    # The page's language from the units' own tokens (the same tokens as detect_language(text)).
    counts, n_tokens = _stopword_counts(lines)
    language = language_from_counts(counts, n_tokens)
    stopwords = STOPWORDS.get(language, _ALL_STOPWORDS) if language else _ALL_STOPWORDS
    for line in lines:
        _set_stop_share(line, stopwords)
    reasons: dict[int, str] = {}

    # 1. Page title, near either end of the page.
    title_line: str | None = None
    title_keys: set[str] = set()
    if title and title.strip():
        title_keys.add(_title_key(title))
        headline = _split_title(normalize_line(title), config.title_max_words)
        if headline:
            title_keys.add(_title_key(headline))
    edge = lines[:3] + lines[-3:] if len(lines) > 6 else lines
    for line in edge:
        headline = _split_title(line.text, config.title_max_words)
        if headline and title_line is None:
            title_line = headline
            reasons[line.line_no] = "page_title"
            title_keys.add(_title_key(headline))
    if title_line is None and title and title.strip():
        title_line = _split_title(normalize_line(title), config.title_max_words) or normalize_line(title)
    title_key = _title_key(title) if title else None
    for line in lines:
        if line.line_no not in reasons and title_keys and line.key in title_keys:
            reasons[line.line_no] = "page_title" if title and line.key == title_key else "headline"

    # 2. Phrases. 3. Furniture (guarded: a copy of another article is not furniture).
    for line in lines:
        if line.line_no in reasons:
            continue
        reason = _phrase_reason(line.text, line.words, config)
        if reason:
            reasons[line.line_no] = reason
    if furniture:
        hits = [ln for ln in lines if ln.line_no not in reasons and ln.key in furniture]
        prose_words = sum(ln.words for ln in lines if _is_prose(ln, config))
        furniture_prose = sum(ln.words for ln in hits if _is_prose(ln, config))
        spare_prose = prose_words > 0 and furniture_prose > config.furniture_max_body_share * prose_words
        for ln in hits:
            if not (spare_prose and _is_prose(ln, config)):
                reasons[ln.line_no] = "site_furniture"

    # Reader comments: everything from their start is not the article.
    comments_at = _comment_section_start(lines, reasons, config)
    if comments_at is not None:
        for ln in lines[comments_at:]:
            reasons.setdefault(ln.line_no, "comment_section")

    # 4. Main block over the lines still standing; removed lines count as strong non-prose.
    list_item, in_list = _list_lines(lines, set(reasons))
    scores = _line_scores(lines, set(reasons), config, language is not None, list_item, in_list)
    start, end, _ = _best_span(scores)
    start, end = _anchor_at_headline(lines, scores, reasons, start, end, config)
    standing = [i for i, ln in enumerate(lines) if ln.line_no not in reasons]
    if len(standing) == 1 and lines[standing[0]].words >= config.prose_min_words:
        # One paragraph is all there is: there is no other text that it could be a teaser of.
        start = end = standing[0]
    datelines: list[int] = []
    if end >= start:
        start, end, datelines = _extend_over_sentences(lines, reasons, start, end, config)
    if standing and all(_is_sentence_line(lines[i]) for i in standing) \
            and any(_reads_as_sentence(lines[i], config.sentence_min_words) for i in standing):
        # Nothing but whole sentences: an article written one sentence per line, with no page around it.
        start, end = standing[0], standing[-1]
    block = set(range(start, end + 1))
    for index in datelines:
        reasons[lines[index].line_no] = "dateline"
    for index, ln in enumerate(lines):
        if index not in block and ln.line_no not in reasons:
            reasons[ln.line_no] = "outside_main_block"

    # A line already kept once adds nothing the second time (a pull quote, a repeated teaser).
    kept_keys: set[str] = set()
    for index, ln in enumerate(lines):
        # Table rows and list items repeat their shape (digits fold to 0 in the key), not their content.
        if ln.line_no in reasons or list_item[index]:
            continue
        key = ln.key
        if key in kept_keys and ln.words >= config.repeat_min_words:
            reasons[ln.line_no] = "repeated_line"
        kept_keys.add(key)

    # 5. Section markers in the latter part of the kept span.
    kept = [(i, ln) for i, ln in enumerate(lines) if ln.line_no not in reasons]
    prose = [ln.words if _is_prose(ln, config) else 0.0 for _, ln in kept]
    total_prose = sum(prose)
    before = 0.0
    for position, (_, ln) in enumerate(kept):
        kind = _marker_kind(ln.text, ln.words, config)
        if kind and total_prose > 0 and before >= config.marker_min_position * total_prose:
            after = total_prose - before
            # Body paragraphs right after a short line are a subheading's, not a list of other stories.
            next_is_prose = position + 1 < len(kept) and prose[position + 1] > 0
            if after <= config.marker_max_prose_after * before and (
                    not next_is_prose or after <= config.marker_max_prose_after_prose * before):
                for _, tail in kept[position:]:
                    reasons[tail.line_no] = f"after_section_marker:{kind}"
                break
        before += prose[position]

    # 6. A record that is only a headline (a feed of titles, a one-line teaser record): when the only
    #    removals are structural, there is no page around it to strip, and the short text is the article.
    if lines and len(lines) <= config.headline_record_max_lines and all(
            reasons.get(ln.line_no) in _STRUCTURAL_REASONS and 1 <= ln.words <= 3 * config.title_max_words
            for ln in lines):
        for ln in lines:
            del reasons[ln.line_no]
    # 7. No title recognised: a headline-like first line that fell outside the main block is the page's
    #    headline (kept as title_line, still not body), so it can still reach the embedding as the title.
    if title_line is None and lines and reasons.get(lines[0].line_no) == "outside_main_block" \
            and _looks_like_headline(lines[0].text, config):
        title_line = lines[0].text

    # Output lines are the input lines verbatim: stripping never rewrites text.
    removals = tuple(_new_removal(LineRemoval, (i, raw_lines[i], reasons[ln.line_no]))
                     for ln in lines if ln.line_no in reasons for i in ln.members)
    clean_text = "\n".join(raw_lines[i] for ln in lines if ln.line_no not in reasons for i in ln.members)
    return StripResult(clean_text=clean_text, removals=removals, title_line=title_line,
                       language=_language_without(counts, n_tokens, [ln for ln in lines if ln.line_no in reasons])
                       if reasons else language)
