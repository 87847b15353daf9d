"""Bylines, credits and datelines: who wrote an article and where it was filed.

Pure functions, no Beam. Lines are expected normalised (dashes folded to ``-``).

- **Byline** (:func:`parse_byline`): a short line ``By NAME[, NAME][ and NAME]`` (also ``Von``, ``Par``,
  ``Por``, ``Di``, ``Door``, ``Written by``, ``Words by``), cut at a date, a ``|`` or a spaced dash;
  roles ("Industry Correspondent", "Staff Writer") and places ("in Moscow") are dropped; every name
  must be one to five capitalised words (all-capital bylines are title-cased). "By choosing I Accept,
  you consent" or "By subject" are not bylines.
- **Credit line** (:func:`is_credit_line`): a wire trailer ``(Reporting by ...; Editing by ...)``,
  ``Additional reporting by ...``, ``Writing by ...``; its names are authors when the page has no byline.
- **Dateline** (:func:`parse_dateline`): the place (and wire credit) opening a report:
  ``WASHINGTON/MOSCOW/KYIV (Reuters) -``, ``VELDRA, March 18 (Meridian Press Agency) -``,
  ``Veldra, 18 March (MPA) -``, ``NEW YORK (AP) -``, ``BEIRUT -``. A capitalised (not upper-case)
  place needs a credit or a date after it, so "Meanwhile - the" is not a dateline.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

BYLINE_MAX_WORDS = 20
NAME_MAX_WORDS = 5

_BYLINE_START = re.compile(r"^(?:(?:written|words|reported|story|text)\s+by|by|von|par|por|di|door)\s+(?=\S)",
                           re.IGNORECASE)
_CREDIT_START = re.compile(r"^\(?\s*(?:additional\s+)?(?:reporting|writing|editing|compiled|reported)\s+by\b",
                           re.IGNORECASE)
# Where a byline's names end: a date, a time, "|", a spaced dash, "on <date>", "updated", a count.
_BYLINE_END = re.compile(
    r"\s(?:\||-{1,2}|/|·)\s|\s(?:on|am|le|el|il)\s+(?:\w+\s+)?\d|\s\d|,\s*\d|\s(?:updated|published|posted)\b|"
    r"\s(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|"
    r"\s(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|\s\d+\s+(?:comments?|hours?|days?|mins?)",
    re.IGNORECASE)
_NAME_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&|\bund\b|\bet\b|\by\b|\be\b)\s*", re.IGNORECASE)
_PLACE_TAIL = re.compile(r"\s+in\s+[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)*\s*$")
# Words of a role or a desk, not of a name.
_ROLE_WORDS = frozenset(
    "correspondent correspondents editor editors reporter reporters writer writers staff contributor "
    "contributors columnist producer analyst journalist bureau chief desk senior associated special "
    "political economics diplomatic investigations investigative affairs team photographer photographers "
    "video digital news agency agencies".split())
_CREDENTIAL = re.compile(r"^(?:[A-Z]{1,3}|Ph\.?D|M\.?D|Jr|Sr|I{2,3}|IV)\.?$")
_PARTICLES = frozenset("de da del della di van von der den la le du dos das al el bin ibn ben mac st.".split())
_NAME_WORD = re.compile(r"^(?:[A-Z][\w'.-]*|[A-Z]\.|Mc[A-Z]\w*|O'[A-Z]\w*)$", re.UNICODE)

_PLACE_UPPER = r"[A-Z][A-Z.'-]*(?:[ /][A-Z][A-Z.'-]*){0,4}"
_PLACE_TITLE = r"[A-Z][a-z.'-]+(?:[ /][A-Z][a-z.'-]+){0,3}"
_DATE_BIT = r"(?:[A-Z][a-z]{2,8}\.? \d{1,2}|\d{1,2} [A-Z][a-z]{2,8})(?:,? \d{4})?"
_DATELINE = re.compile(
    rf"^(?P<place>{_PLACE_UPPER}|{_PLACE_TITLE})"
    rf"(?:,\s*(?P<region>{_PLACE_TITLE}|{_PLACE_UPPER}))?"
    rf"(?:,\s*(?P<date>{_DATE_BIT}))?"
    r"(?:\s*\((?P<credit>[A-Z][\w.&' -]{0,40})\))?"
    r"\s*-{1,2}\s*(?=[\"'A-Z0-9\u00c0-\u024f])")


@dataclass(frozen=True)
class Dateline:
    place: str
    credit: str | None
    prefix_chars: int  # characters of the line the dateline takes (the story starts after them)


def _clean_name(name: str) -> str | None:
    name = _PLACE_TAIL.sub("", name.strip(" .,:;()"))
    tokens = name.split()
    if not 1 <= len(tokens) <= NAME_MAX_WORDS:
        return None
    if all(t.lower().strip(".,") in _ROLE_WORDS for t in tokens):
        return None  # "Staff Writer"
    if len(tokens) == 1 and (_CREDENTIAL.match(tokens[0]) or "." in tokens[0].strip(".")):
        return None  # "MS", "RD" after a name; "Cleveland.com"
    if not all(_NAME_WORD.match(t) or t.lower() in _PARTICLES for t in tokens):
        return None
    if not _NAME_WORD.match(tokens[0]):
        return None
    if all(t.isupper() and len(t) > 1 for t in tokens if t.isalpha()):
        name = " ".join(t.capitalize() for t in tokens)
    return " ".join(name.split())


def _names(text: str) -> list[str]:
    cut = _BYLINE_END.search(" " + text)
    if cut:
        text = (" " + text)[: cut.start()].strip()
    out: list[str] = []
    for part in _NAME_SPLIT.split(text):
        if not part.strip():
            continue
        # After a name, a part with a role word is that person's role ("Industry Correspondent").
        if out and any(t.lower().strip(".,") in _ROLE_WORDS for t in part.split()):
            continue
        name = _clean_name(part)
        if name is None:
            return []
        if name not in out:
            out.append(name)
    return out


def parse_byline(line: str) -> list[str]:
    """The authors named by a byline line, or [] when the line is not a byline."""
    line = line.strip()
    match = _BYLINE_START.match(line)
    if not match or len(line.split()) > BYLINE_MAX_WORDS:
        return []
    return _names(line[match.end():])


def is_byline(line: str) -> bool:
    return bool(parse_byline(line))


def is_credit_line(line: str) -> bool:
    return bool(_CREDIT_START.match(line.strip()))


def credit_authors(line: str) -> list[str]:
    """Reporters named in a wire credit line ("(Reporting by A and B in Moscow, C in Kyiv; Editing by D)")."""
    line = line.strip()
    if not is_credit_line(line):
        return []
    out: list[str] = []
    for clause in line.strip("()").split(";"):
        clause = clause.strip()
        match = re.match(r"^(?:additional\s+)?(?:reporting|writing|reported)\s+by\s+(.*)$", clause, re.IGNORECASE)
        if not match:
            continue  # editing, compiled-by credits name editors, not authors
        for part in _NAME_SPLIT.split(match.group(1)):
            name = _clean_name(part)
            if name and name not in out:
                out.append(name)
    return out


def parse_dateline(line: str) -> Dateline | None:
    """The dateline opening a paragraph, or None."""
    match = _DATELINE.match(line.strip())
    if not match:
        return None
    place, credit = match.group("place"), match.group("credit")
    is_upper = place.upper() == place and any(ch.isalpha() for ch in place)
    if not is_upper and not (credit or match.group("date")):
        return None
    if credit and (len(credit.split()) > NAME_MAX_WORDS or any(ch.isdigit() for ch in credit)):
        return None
    if len(place.replace("/", " ").split()) > 4 or len(place) < 2:
        return None
    return Dateline(place=place, credit=credit.strip() if credit else None,
                    prefix_chars=len(line) - len(line.lstrip()) + match.end())


def is_dateline_only(line: str) -> bool:
    """A line that is nothing but a dateline ("LONDON (Reuters) -")."""
    dateline = parse_dateline(line + " X") if line.rstrip().endswith("-") else None
    return dateline is not None and dateline.prefix_chars >= len(line.strip())
