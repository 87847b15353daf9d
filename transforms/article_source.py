"""Which outlet an article comes from, when its record does not say: the folder it was filed in, or
what the page says about itself.

Pure functions, no Beam. Lines are expected normalised (dashes folded to ``-``, quotes to ASCII).

Signals, strongest first (the first one found wins; none found: None, never a guess):

1. ``folder``: a ``.txt`` file filed as ``.../articles/<outlet>/...``: the folder right below the last
   folder named ``articles`` (the layout of ``sample/articles/``).
2. ``page_title``: the page-title line at either edge of the page names the site after its headline
   (``headline | Section - The Harbor Ledger``, ``headline - The Independent``); a section label
   ("Russia-Ukraine war News") is not a site.
3. ``self_reference``: the page names itself in its own furniture: "updates from The Independent",
   "Follow the Riverbend Times on Facebook", "Riverbend Times is not responsible for the content of
   external sites".
4. ``copyright``: a copyright line with a year or "All rights reserved" ("(c) 2026 Harbor Ledger Media.
   All rights reserved."), company suffixes dropped; photo credits ("(c) Reuters") have neither.
5. ``reporter``: the outlet's own reporter in the story ("Al Jazeera's Yulia Shapovalova, reporting from
   Moscow").
6. ``wire_credit``: the wire credit in the dateline ("WASHINGTON (Reuters) -").
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath

from transforms.bylines import parse_dateline
from transforms.headlines import SEPARATOR, SECTION_WORDS, WEB_ADDRESS, is_headline_like, words

METHODS = ("folder", "page_title", "self_reference", "copyright", "reporter", "wire_credit")
NAME_MAX_WORDS = 6
TITLE_LINE_MAX_WORDS = 40
_EDGE_LINES = 3

_NAME_WORD = r"[A-Z][\w&'-]*(?:\.[\w&'-]+)*"
_NAME = rf"(?P<name>(?:The\s)?{_NAME_WORD}(?:\s(?:of\s|and\s|&\s|on\s)?{_NAME_WORD}){{0,5}})"
_SELF_REFERENCE = (
    re.compile(rf"\b(?:updates|offers|news|e-?mails?|newsletters?|alerts|stories)\s+from\s+(?:the\s)?{_NAME}"),
    re.compile(rf"\bfollow\s+(?:the\s)?{_NAME}\s+on\s+(?:facebook|twitter|instagram|x|linkedin|youtube|threads)\b",
               re.IGNORECASE),
    re.compile(rf"^(?:the\s)?{_NAME}\s+is\s+not\s+responsible\s+for\s+the\s+content\s+of\s+external"),
)
_SELF_REFERENCE_MAX_WORDS = 30
_COPYRIGHT = re.compile(r"^(?:©|\(c\)|copyright\b)", re.IGNORECASE)
_COPYRIGHT_LEAD = re.compile(r"^(?:\s|©|\(c\)|copyright\b|ⓒ|\d{4}(?:\s*-\s*\d{4})?|,|by\b)+", re.IGNORECASE)
_COPYRIGHT_END = re.compile(r"\.\s|\.$|\||,|\s-\s|\ball rights\b|\(|;", re.IGNORECASE)
_TRAILING_YEARS = re.compile(r"(?:[\s,]+(?:19|20)\d{2}(?:\s*-\s*(?:19|20)\d{2})?)+$")
_COMPANY = re.compile(r"(?:,?\s+(?:inc|llc|ltd|limited|plc|gmbh|pty|corp|corporation|co|s\.a|ag)\.?)+$",
                      re.IGNORECASE)
_REPORTER = re.compile(rf"{_NAME}'s\s+(?:[A-Z][\w'.-]*\s){{1,4}}?[A-Z][\w'.-]*,?\s+(?:reporting|reported)\s+from\b")
_CONNECTORS = frozenset("of and & on the".split())


def _is_name(name: str | None) -> bool:
    if not name:
        return False
    found = words(name)
    return (1 <= len(found) <= NAME_MAX_WORDS
            and all(w[:1].isupper() or w[:1].isdigit() or w.lower() in _CONNECTORS for w in found)
            and any(ch.isalpha() for ch in name))


def _trim(name: str) -> str:
    return name.strip(" .,:;-'\"")


def outlet_from_folder(input_file: str | None) -> str | None:
    """``.../articles/<outlet>/...file.txt`` -> ``<outlet>``."""
    if not input_file or not re.search(r"\.txt(\.gz)?$", input_file, re.IGNORECASE):
        return None
    parts = PurePosixPath(input_file.replace("\\", "/")).parts
    below = [i for i, part in enumerate(parts[:-2]) if part.lower() == "articles"]
    return parts[below[-1] + 1] if below else None


def outlet_from_title_line(line: str) -> str | None:
    """The site named at the end (or start) of a page-title line ("headline | Section - Site")."""
    line = " ".join(line.split())
    parts = SEPARATOR.split(line)
    segments = parts[0::2]
    # A paragraph ("WASHINGTON (Reuters) - U.S. President Donald Trump said ...") is not a page title.
    if len(segments) < 2 or len(line.split()) > TITLE_LINE_MAX_WORDS or parse_dateline(line) \
            or line.endswith((".", "!", "?")):
        return None
    for headline, site, leading in ((segments[0], segments[-1], False), (segments[-1], segments[0], True)):
        site = _trim(site)
        if not is_headline_like(headline) or len(words(headline)) <= len(words(site)):
            continue
        if leading and not (WEB_ADDRESS.search(site) or all(w.isupper() for w in words(site))):
            continue  # "Milan Design Week 2018 | headline": a leading segment is a site only if it is a brand
        if words(site) and words(site)[-1].lower() in SECTION_WORDS:
            continue  # "Local News": a section, not a site
        if _is_name(site) or (WEB_ADDRESS.fullmatch(site) is not None):
            return site
    return None


def outlet_from_copyright(line: str) -> str | None:
    line = line.strip()
    if not _COPYRIGHT.match(line) or len(line.split()) > 40:
        return None
    if not (re.search(r"\b(?:19|20)\d{2}\b", line) or re.search(r"all rights reserved", line, re.IGNORECASE)):
        return None  # "(c) Reuters" under a photo is a picture credit, not the page's owner
    rest = _COPYRIGHT_LEAD.sub("", line)
    cut = _COPYRIGHT_END.search(rest)
    name = _trim(_COMPANY.sub("", _TRAILING_YEARS.sub("", _trim(rest[: cut.start()] if cut else rest))))
    return name if _is_name(name) else None


def outlet_from_page(lines: list[str], wire_credit: str | None) -> tuple[str, str] | None:
    """``(outlet, method)`` from what the page says about itself (signals 2-6 above), or None."""
    non_empty = [ln.strip() for ln in lines if ln.strip()]
    edges = non_empty[:_EDGE_LINES] + non_empty[-_EDGE_LINES:][::-1]
    for line in edges:
        site = outlet_from_title_line(line)
        if site:
            return site, "page_title"
    for line in non_empty:
        if len(line.split()) > _SELF_REFERENCE_MAX_WORDS:
            continue
        for pattern in _SELF_REFERENCE:
            match = pattern.search(line)
            if match and _is_name(_trim(match.group("name"))):
                return _trim(match.group("name")), "self_reference"
    for line in reversed(non_empty):
        name = outlet_from_copyright(line)
        if name:
            return name, "copyright"
    for line in non_empty:
        match = _REPORTER.search(line)
        if match and _is_name(_trim(match.group("name"))):
            return _trim(match.group("name")), "reporter"
    if wire_credit and _is_name(wire_credit):
        return wire_credit, "wire_credit"
    return None
