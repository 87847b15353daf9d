"""Headlines: clean page titles, tell a headline from a byline or a label, find headline lines in a page.

Pure functions, no Beam. Text is expected normalised (:mod:`transforms.normalization`: dashes folded to
``-``, typographic quotes to ASCII).

Rules (general, none written for one site):

- **Title cleaning** (:func:`clean_title`). A page title is split at spaced separators (``" - "``,
  ``" | "``, ``" :: "``, ``" » "``, ``" · "``, ``" / "``). Segments at either end are dropped while they
  read as a site name or a section label; the longest segment (the headline) always stays:

  * a segment naming a web address (``WALB.com``, ``WECT TV6-WECT.com:News``);
  * a segment that names the article's known source (its words or its web host);
  * a section label: a short segment ending in a section word (``Local News``, ``Russia-Ukraine war
    News``, ``Sports``, ``Weather``, ``Opinion``);
  * a name after the headline: every word capitalised, upper-case, a number or a connector (``The
    Independent``, ``KSLA News 12 Shreveport, Louisiana News Weather & Sports``, ``FOX5 Vegas``), at most
    ``NAME_MAX_WORDS`` words, not the longest segment, not opening with "And", "But", "How", ...;
  * a name before the headline: only a short upper-case brand or call sign (``CBS 58``, ``WKYC 3``).

  A leading editorial label (``UPDATE:``, ``BREAKING:``, ``WATCH:``) goes too. What is left must still
  read as a headline (:func:`is_headline_like`), else the title is unusable (``en``, a lone site name).
- **Headline-like** (:func:`is_headline_like`): 2 (in a page header: 4) to ``HEADLINE_MAX_WORDS`` words, mostly letters, not a
  byline, dateline, credit, copyright or date line, not a label ending in ``:``, not a bare site name,
  not two clauses split by a full stop after a lower-case word (a notice: "We use cookies ... on our site.
  Accept all cookies").
- **Headline lines in a page** (:func:`page_headline`): for a page without a title, the top one of the
  headline-like lines right above its byline or date line (the page header), before the body (the lines
  under it are a standfirst).
"""
from __future__ import annotations

import re

from transforms.bylines import is_byline, is_credit_line, is_dateline_only
from transforms.page_dates import is_date_line

HEADLINE_MIN_WORDS = 2
PAGE_HEADLINE_MIN_WORDS = 4
HEADLINE_MAX_WORDS = 40
NAME_MAX_WORDS = 12
_HEADER_LOOKBACK = 3

SEPARATOR = re.compile(r"\s+(\||-|::|»|·|/)\s+")
_WORD = re.compile(r"[^\W_]+(?:['.-][^\W_]+)*", re.UNICODE)
WEB_ADDRESS = re.compile(r"\b[\w-]+\.(?:com|net|org|co|tv|us|uk|ca|au|in|info|news|de|fr|es|it|ie|nz|example)\b",
                          re.IGNORECASE)
# Words that end a section label or a site tagline ("Local News", "News, Weather & Sports").
SECTION_WORDS = frozenset(
    "news sports sport weather business politics opinion opinions world entertainment lifestyle health "
    "technology tech science culture travel money markets economy local national international breaking "
    "video videos live blog blogs analysis features feature editorial editorials commentary region "
    "regional community crime education environment arts music".split())
# Lower-case words that may sit inside a name ("News, Weather and Sports", "Times of India").
_CONNECTORS = frozenset("and & of the on in at for a an de la le el du des der die das van von y e".split())
# A segment opening with one of these continues the headline's sentence; a site name never does.
_CLAUSE_OPENERS = frozenset("and but or so as with to after before while how why what who when where than".split())
_LEADING_LABEL = re.compile(
    r"^(?:update|updated|updates|breaking|breaking news|watch|video|photos|photo|gallery|live|exclusive|"
    r"opinion|analysis|editorial|listen|podcast|just in)\s*(?::|-)\s+", re.IGNORECASE)
_COPYRIGHT = re.compile(r"^(?:©|\(c\)|copyright\b)", re.IGNORECASE)
_FULL_STOP = re.compile(r"(?P<word>[^\W\d_]+)\.\s+(?=[A-Z])")


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def _is_name_word(word: str) -> bool:
    return word[:1].isupper() or word[:1].isdigit() or word.lower() in _CONNECTORS


_NOT_DISTINCTIVE = frozenset({"www", "com", "net", "org", "news", "the", "daily", "times", "post"})


def _host_words(source: str | None) -> set[str]:
    """The distinctive words of a source name or web host ("ksla.com" -> {"ksla"},
    "The Harbor Ledger" -> {"harbor", "ledger", "harborledger"})."""
    if not source:
        return set()
    parts = [w for w in re.split(r"[\W_]+", source.lower()) if w]
    out = {w for w in parts if len(w) >= 3 and w not in _CONNECTORS and w not in _NOT_DISTINCTIVE}
    joined = "".join(w for w in parts if w not in {"www", "com", "net", "org", "the"})
    if len(joined) >= 5:
        out.add(joined)
    return out


def _is_site_segment(segment: str, source_words: set[str], leading: bool = False) -> bool:
    seg_words = words(segment)
    if not seg_words:
        return True
    if seg_words[0].lower() in _CLAUSE_OPENERS:
        return False  # "... Are Here - And They're Not Great": the headline goes on
    if WEB_ADDRESS.search(segment):
        return True
    lower = [w.lower() for w in seg_words]
    compact = "".join(lower)
    if source_words and (any(w in source_words for w in lower) or any(
            len(w) >= 5 and w in compact for w in source_words)):
        return True
    if len(seg_words) <= 6 and lower[-1] in SECTION_WORDS:
        return True
    if leading:
        # Before the headline only a call sign or a short upper-case brand ("CBS 58", "WKYC 3") counts as a
        # name: "Take C.A.R.E. - comwrap auf der DMEXCO" or "Milan Design Week 2018 | ..." start headlines.
        return len(seg_words) <= 3 and all(w.isupper() or any(ch.isdigit() for ch in w) for w in seg_words)
    return len(seg_words) <= NAME_MAX_WORDS and all(_is_name_word(w) for w in seg_words)


def clean_title(title: str | None, source: str | None = None) -> str | None:
    """The headline inside a page title, without site names, section tails or labels; None if unusable."""
    if not title:
        return None
    text = " ".join(title.split())
    parts = SEPARATOR.split(text)
    segments, separators = parts[0::2], parts[1::2]
    if len(segments) > 1:
        source_words = _host_words(source)
        longest = max(range(len(segments)), key=lambda i: (len(words(segments[i])), -i))
        start, end = 0, len(segments)  # the kept segments are segments[start:end]
        # Trailing segments first (the common "headline - Site" form), then leading ones ("Site - headline").
        while end - 1 > start and end - 1 != longest and _is_site_segment(segments[end - 1], source_words):
            end -= 1
        while start < end - 1 and start != longest and _is_site_segment(segments[start], source_words, leading=True):
            start += 1
        kept = [segments[start]]
        for i in range(start + 1, end):
            kept += [separators[i - 1], segments[i]]
        text = " ".join(kept)
    text = _LEADING_LABEL.sub("", text).strip()
    return text if is_headline_like(text) else None


def is_headline_like(text: str, min_words: int = HEADLINE_MIN_WORDS) -> bool:
    """A line that can stand as a headline: see the module docstring."""
    text = text.strip()
    found = words(text)
    if not min_words <= len(found) <= HEADLINE_MAX_WORDS:
        return False
    letters = sum(ch.isalpha() for ch in text)
    if letters < 0.5 * len(text.replace(" ", "")):
        return False
    if text.endswith((":", ",", ";")) or text.endswith("...") and len(found) < 6:
        return False
    # A full stop after a lower-case word, between two clauses of three words or more, makes a notice or
    # a paragraph ("We use cookies ... on our site. Accept all cookies"), not a headline; "Reunited? Former
    # couple ...", "Jos. A. Bank", "Woman Problem. That's Why" and "U.S. Navy" read as headlines.
    if _is_notice(text):
        return False
    if _COPYRIGHT.match(text) or is_byline(text) or is_credit_line(text) or is_dateline_only(text) \
            or is_date_line(text):
        return False
    # A bare name ("Lowland Gazette", "Sign In | Register" style furniture) is not a headline either.
    return not (len(found) <= 4 and WEB_ADDRESS.search(text))


def _is_notice(text: str) -> bool:
    for stop in _FULL_STOP.finditer(text):
        word = stop.group("word")
        if word.islower() and len(word) >= 4 and len(words(text[: stop.start()])) >= 2 \
                and len(words(text[stop.end():])) >= 3:
            return True
    return False


def page_headline(lines: list[str], body_start: int) -> str | None:
    """The headline line of a page header: the headline-like line right above the byline or date line
    that opens the article (``lines`` the page's lines, ``body_start`` the index of its first body line)."""
    header_end = min(body_start, len(lines))
    anchors = [i for i in range(header_end) if is_byline(lines[i]) or is_date_line(lines[i])]
    if not anchors:
        return None
    anchor = anchors[0]
    # The run of headline-like lines right above the anchor: its top line is the headline, the ones
    # under it a standfirst ("Bank of Veltria cuts rates" over "First cut in two years as growth stalls").
    found: str | None = None
    for i in range(anchor - 1, max(-1, anchor - 1 - _HEADER_LOOKBACK), -1):
        line = lines[i].strip()
        if not (is_headline_like(line, PAGE_HEADLINE_MIN_WORDS) and not line.endswith((".", "!", "?"))):
            break
        found = line
    return clean_title(found) if found else None
