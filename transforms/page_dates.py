"""Dates a page states about itself: "Published On 19 May 2025", "Updated: 18 Nov 2019, 19:11",
"Tuesday 3 March 2026, 19:42", "March 3, 2026 12:05 PM".

Pure functions, no Beam.

- A **date line** is a short line (at most ``DATE_LINE_MAX_WORDS`` words) holding one calendar date with a
  year, optionally a time, a zone abbreviation, a weekday and a label (``Published``, ``Posted``,
  ``Updated``, ``First published``, ``Last updated``, ...). A byline may precede it ("By X | March 3, 2026").
- :func:`parse_page_date` reads such a line to ``(datetime in UTC, label kind)``; kinds are ``published``,
  ``updated`` and ``plain`` (no label). Relative dates ("2 days ago") and dates without a year are not
  read: there is no reliable anchor for them. A time without a zone is taken as UTC; a date without a time
  as 00:00 UTC.
- :func:`stated_publish_time` picks the page's publish time: the first ``published`` line anywhere, else
  the first ``plain`` date line in the page header (before the body, or in its first lines), else the
  first ``updated`` line. Dates before ``EARLIEST_YEAR`` or after the reference time (plus a skew) are
  ignored; anything ambiguous gives None.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

DATE_LINE_MAX_WORDS = 16
PLAIN_MAX_OTHER_WORDS = 3  # words besides the date and time an unlabelled date line may hold ("Tuesday")
EARLIEST_YEAR = 1990
MAX_FUTURE_SKEW = timedelta(days=2)

_MONTHS = {m: i + 1 for i, names in enumerate((
    "january jan", "february feb", "march mar", "april apr", "may", "june jun", "july jul",
    "august aug", "september sep sept", "october oct", "november nov", "december dec")) for m in names.split()}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_DATE_FORMS = (
    re.compile(rf"\b{_WEEKDAY}{_DAY}\s+{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE),        # 3 March 2026
    re.compile(rf"\b{_WEEKDAY}{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE),        # March 3, 2026
    re.compile(r"\b(?P<year>(?:19|20)\d{2})-(?P<month>\d{2})-(?P<day>\d{2})\b"),        # 2026-03-03
)
_TIME = re.compile(r"\b(?P<hour>\d{1,2})(?::|\.)(?P<minute>\d{2})(?:\s*(?P<ampm>[ap]\.?m\.?))?(?!\d)"
                   r"(?:\s*(?P<zone>[A-Z]{2,4})\b)?", re.IGNORECASE)
_TIME_COMPACT = re.compile(r"\b(?P<hour>[01]\d|2[0-3])(?P<minute>[0-5]\d)\s+(?P<zone>GMT|UTC)\b")
# Zone abbreviations seen on news pages, as hours from UTC (standard and daylight North American zones,
# Europe's, India's).
_ZONES = {"UTC": 0, "GMT": 0, "Z": 0, "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "IST": 5.5,
          "EST": -5, "EDT": -4, "ET": -5, "CST": -6, "CDT": -5, "CT": -6, "MST": -7, "MDT": -6, "MT": -7,
          "PST": -8, "PDT": -7, "PT": -8, "AEST": 10, "AEDT": 11, "JST": 9, "HKT": 8, "SGT": 8}
_LABEL = re.compile(
    r"^(?:(?P<published>(?:first\s+|originally\s+)?(?:published|posted|released|erschienen|publi[ée]|publicado|"
    r"pubblicato))|(?P<updated>(?:last\s+)?(?:updated|modified|edited|aktualisiert|mis\s+[àa]\s+jour|"
    r"actualizado|aggiornato)))\b(?:\s+(?:on|at|am|le|el|il))?\s*:?\s*", re.IGNORECASE)
_RELATIVE = re.compile(r"\bago\b|\byesterday\b|\btoday\b", re.IGNORECASE)


def _find_date(text: str) -> tuple[datetime, int, int] | None:
    """The first calendar date in ``text`` as a naive date, with its span."""
    best = None
    for form in _DATE_FORMS:
        match = form.search(text)
        if match and (best is None or match.start() < best.start()):
            best = match
    if best is None:
        return None
    month = best.group("month")
    month_no = int(month) if month.isdigit() else _MONTHS.get(month.lower().rstrip("."))
    try:
        day = datetime(int(best.group("year")), month_no or 0, int(best.group("day")))
    except (ValueError, TypeError):
        return None
    return day, best.start(), best.end()


def _find_time(text: str) -> tuple[int, int, float | None] | None:
    match = _TIME_COMPACT.search(text) or _TIME.search(text)
    if not match:
        return None
    hour, minute = int(match.group("hour")), int(match.group("minute"))
    ampm = (match.groupdict().get("ampm") or "").lower().replace(".", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    zone = match.groupdict().get("zone")
    offset = _ZONES.get(zone.upper()) if zone and zone.upper() in _ZONES else None
    return hour, minute, offset


def parse_page_date(line: str) -> tuple[datetime, str] | None:
    """``(UTC time, kind)`` of a date line, kind in {"published", "updated", "plain"}; None otherwise."""
    text = " ".join(line.split())
    if not text or len(text.split()) > DATE_LINE_MAX_WORDS or _RELATIVE.search(text):
        return None
    # A byline may share the line: "By Jason Cipriani | November 18, 2019 -- 19:14 GMT".
    kind = "plain"
    label = _LABEL.match(text)
    if label:
        kind = "published" if label.group("published") else "updated"
        text = text[label.end():]
        # "Updated Nov 19, 9:41 AM; Posted Nov 18, 8:19 PM": the first clause is this label's.
        text = re.split(r";|\s/\s(?=[^\W\d_])", text)[0]
    found = _find_date(text)
    if found is None:
        return None
    day, start, end = found
    if kind == "plain" and _other_words(text, start, end) > PLAIN_MAX_OTHER_WORDS:
        return None  # a sentence or a headline that mentions a date, not a date line
    moment = _find_time(text[end:]) or _find_time(text[:start])
    hour, minute, offset = moment if moment else (0, 0, 0.0)
    stamp = day.replace(hour=hour, minute=minute, tzinfo=timezone.utc) - timedelta(hours=offset or 0)
    return stamp, kind


def _other_words(text: str, start: int, end: int) -> int:
    rest = text[:start] + " " + text[end:]
    # A byline sharing the line ("By Jason Cipriani | November 18, 2019") is not counted.
    rest = re.sub(r"^\s*by\s[^|]*\|", " ", rest, flags=re.IGNORECASE)
    rest = _TIME.sub(" ", rest)
    return sum(1 for w in re.findall(r"[^\W\d_]+", rest) if w.upper() not in _ZONES)


def is_date_line(line: str) -> bool:
    return parse_page_date(line) is not None


def stated_publish_time(lines: list[str], body_start: int, reference_time: datetime | None,
                        header_extra_lines: int = 2) -> datetime | None:
    """The publish time a page states about itself (see the module docstring), or None."""
    found: dict[str, datetime] = {}
    header_end = min(len(lines), body_start + header_extra_lines)
    for i, line in enumerate(lines):
        parsed = parse_page_date(line)
        if parsed is None:
            continue
        stamp, kind = parsed
        if stamp.year < EARLIEST_YEAR or (reference_time is not None and stamp > reference_time + MAX_FUTURE_SKEW):
            continue
        if kind == "plain" and i >= header_end:
            continue
        found.setdefault(kind, stamp)
    for kind in ("published", "plain", "updated"):
        if kind in found:
            return found[kind]
    return None
