"""What a page says about itself: authors, dateline, outlet and publish time, and where its story starts.

Pure functions, no Beam; the rules for each piece are in :mod:`transforms.bylines`,
:mod:`transforms.article_source` and :mod:`transforms.page_dates`.

- The **page** is the article's normalised text (``Article.text``, boilerplate included: bylines, date
  lines and copyright lines are often outside the stripped body); the **body** is its ``clean_text``.
- **Authors**: the first byline in the page header (the lines before the body and its first
  ``BODY_HEADER_LINES`` lines); without one, the reporters of a wire credit line ("(Reporting by ...)").
- **Dateline**: the place opening the story's first paragraph, with its wire credit.
- **Source** and **publish time** are only ever filled where the record has none, and marked inferred.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from transforms.article_source import outlet_from_folder, outlet_from_page
from transforms.bylines import credit_authors, is_byline, is_credit_line, parse_byline, parse_dateline
from transforms.page_dates import is_date_line, stated_publish_time

BODY_HEADER_LINES = 3
STORY_SEARCH_LINES = 4
SHORT_LINE_WORDS = 6


@dataclass(frozen=True)
class PageMetadata:
    authors: tuple[str, ...]
    dateline: str | None
    wire_credit: str | None
    source: str | None
    source_method: str | None  # one of article_source.METHODS
    published_at: datetime | None
    published_method: str | None  # "page_date"


def body_start(page_lines: list[str], clean_text: str) -> int:
    """Index in ``page_lines`` of the body's first line (the page's length when it cannot be found)."""
    first = next((ln.strip() for ln in clean_text.split("\n") if ln.strip()), None)
    if first is None:
        return len(page_lines)
    return next((i for i, ln in enumerate(page_lines) if ln.strip() == first), len(page_lines))


def is_header_line(line: str) -> bool:
    """A byline, credit, date or bare dateline line: page furniture around the story, not the story."""
    line = line.strip()
    return is_byline(line) or is_credit_line(line) or is_date_line(line)


def story_lines(clean_text: str) -> list[str]:
    """The body from the story on: byline, credit and date lines dropped, and the dateline taken off the
    first paragraph ("WASHINGTON (Reuters) - U.S. President ..." -> "U.S. President ...")."""
    out: list[str] = []
    dateline_checked = False
    for line in clean_text.split("\n"):
        text = line.strip()
        if not text or is_header_line(text):
            continue
        if not dateline_checked and len(text.split()) > SHORT_LINE_WORDS:
            dateline_checked = True
            found = parse_dateline(text)
            if found:
                text = text[found.prefix_chars:].strip()
        if text:
            out.append(text)
    return out


def _dateline(clean_text: str) -> tuple[str | None, str | None]:
    seen = 0
    for line in clean_text.split("\n"):
        text = line.strip()
        if not text or is_header_line(text):
            continue
        found = parse_dateline(text)
        if found:
            return found.place, found.credit
        seen += 1
        if seen >= STORY_SEARCH_LINES:
            break
    return None, None


def _authors(page_lines: list[str], start: int) -> tuple[str, ...]:
    for line in page_lines[: start + BODY_HEADER_LINES]:
        names = parse_byline(line)
        if names:
            return tuple(names)
    for line in page_lines:
        names = credit_authors(line)
        if names:
            return tuple(names)
    return ()


def describe_page(text: str, clean_text: str, input_file: str | None, reference_time: datetime | None,
                  find_source: bool = True, find_published_at: bool = True) -> PageMetadata:
    """Everything the page says about itself; source and time only looked for when asked (where the
    record does not already have them)."""
    page_lines = text.split("\n")
    start = body_start(page_lines, clean_text)
    dateline, credit = _dateline(clean_text)
    source = method = None
    if find_source:
        source = outlet_from_folder(input_file)
        method = "folder" if source else None
        if source is None:
            found = outlet_from_page(page_lines, credit)
            source, method = found if found else (None, None)
    published_at = published_method = None
    if find_published_at:
        published_at = stated_publish_time(page_lines, start, reference_time)
        published_method = "page_date" if published_at else None
    return PageMetadata(authors=_authors(page_lines, start), dateline=dateline, wire_credit=credit,
                        source=source, source_method=method, published_at=published_at,
                        published_method=published_method)
