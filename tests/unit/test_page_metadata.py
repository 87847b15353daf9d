"""Bylines, datelines, page dates, outlets and headlines read from page text (pure functions)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from transforms.article_source import outlet_from_copyright, outlet_from_folder, outlet_from_page, outlet_from_title_line
from transforms.bylines import credit_authors, parse_byline, parse_dateline
from transforms.headlines import clean_title, is_headline_like, page_headline
from transforms.page_dates import parse_page_date, stated_publish_time
from transforms.page_metadata import describe_page, story_lines

UTC = timezone.utc


@pytest.mark.parametrize("line,authors", [
    ("By Steve Holland, Guy Faulconbridge and Olena Harmash", ["Steve Holland", "Guy Faulconbridge", "Olena Harmash"]),
    ("By Hollis Brandt, Industry Correspondent", ["Hollis Brandt"]),
    ("By Jane Doe, Staff Writer", ["Jane Doe"]),
    ("By JERUSALEM POST STAFF", ["Jerusalem Post Staff"]),
    ("by Surur on November 19, 2019", ["Surur"]),
    ("By Jason Cipriani | November 18, 2019 -- 19:14 GMT", ["Jason Cipriani"]),
    ("By Maren Estrada 2 days ago", ["Maren Estrada"]),
    ("by Jeff Foust - November 18, 2019", ["Jeff Foust"]),
    ("Von Anna Schmidt und Jan de Vries", ["Anna Schmidt", "Jan de Vries"]),
    ("By Staff Writer", []),
    ("By subject", []),
    ("By choosing I Accept, you consent to our use of cookies", []),
    ("By the time police arrived, the man had fled", []),
    ("Byron Smith said the fire was out.", []),
])
def test_bylines(line, authors):
    assert parse_byline(line) == authors


def test_wire_credit_line_names_reporters_not_editors():
    line = ("(Reporting by Guy Faulconbridge and Vladimir Soldatkin in Moscow, Max Hunder in Kyiv; "
            "Editing by Clarence Fernandez)")
    assert credit_authors(line) == ["Guy Faulconbridge", "Vladimir Soldatkin", "Max Hunder"]
    assert credit_authors("Reporting from the scene was hard.") == []


@pytest.mark.parametrize("line,place,credit,rest", [
    ("WASHINGTON/MOSCOW/KYIV (Reuters) -U.S. President Donald Trump said", "WASHINGTON/MOSCOW/KYIV", "Reuters",
     "U.S. President Donald Trump said"),
    ("VELDRA, March 18 (Meridian Press Agency) - The Bank of Veltria cut", "VELDRA", "Meridian Press Agency",
     "The Bank of Veltria cut"),
    ("Veldra, 18 March (MPA) - The Bank of Veltria cut", "Veldra", "MPA", "The Bank of Veltria cut"),
    ("BEIRUT, Lebanon (AP) - Syrian troops", "BEIRUT", "AP", "Syrian troops"),
    ("LONDON - Britain's economy grew", "LONDON", None, "Britain's economy grew"),
])
def test_datelines(line, place, credit, rest):
    found = parse_dateline(line)
    assert (found.place, found.credit, line[found.prefix_chars:]) == (place, credit, rest)


@pytest.mark.parametrize("line", ["Meanwhile - the talks went on", "US President Donald Trump - who spoke",
                                  "Paris (Reuters)", "The talks (which began Monday) - ended"])
def test_not_datelines(line):
    assert parse_dateline(line) is None


@pytest.mark.parametrize("line,expected", [
    ("Published On 19 May 2025", (datetime(2025, 5, 19, tzinfo=UTC), "published")),
    ("Updated: 18 Nov 2019, 19:11", (datetime(2019, 11, 18, 19, 11, tzinfo=UTC), "updated")),
    ("Tuesday 3 March 2026, 19:42", (datetime(2026, 3, 3, 19, 42, tzinfo=UTC), "plain")),
    ("March 3, 2026 12:05 PM", (datetime(2026, 3, 3, 12, 5, tzinfo=UTC), "plain")),
    ("Published 7:07 PM EST Nov 19, 2019", (datetime(2019, 11, 20, 0, 7, tzinfo=UTC), "published")),
    ("Updated 5:27 am CST, Wednesday, November 20, 2019", (datetime(2019, 11, 20, 11, 27, tzinfo=UTC), "updated")),
    ("Updated on: November 19, 2019 / 10:07 AM / CBS News", (datetime(2019, 11, 19, 10, 7, tzinfo=UTC), "updated")),
    ("Updated 1909 GMT (0309 HKT) November 18, 2019", (datetime(2019, 11, 18, 19, 9, tzinfo=UTC), "updated")),
    ("By Jason Cipriani | November 18, 2019 -- 19:14 GMT", (datetime(2019, 11, 18, 19, 14, tzinfo=UTC), "plain")),
    ("2026-03-18", (datetime(2026, 3, 18, tzinfo=UTC), "plain")),
    ("Published 1 day ago", None),
    ("Storm hits coast on March 3, 2026", None),
    ("Posted March 3", None),
    ("31 February 2026", None),
])
def test_page_dates(line, expected):
    assert parse_page_date(line) == expected


def test_publish_time_prefers_published_then_header_date_then_updated_and_skips_the_future():
    ref = datetime(2026, 3, 30, tzinfo=UTC)
    lines = ["Headline here", "Updated: 20 March 2026", "Published: 19 March 2026", "Body line.", "More body."]
    assert stated_publish_time(lines, 3, ref) == datetime(2026, 3, 19, tzinfo=UTC)
    lines = ["Headline here", "Updated: 20 March 2026", "18 March 2026", "Body line."]
    assert stated_publish_time(lines, 3, ref) == datetime(2026, 3, 18, tzinfo=UTC)
    # A bare date far below the header is some other story's, not this page's.
    lines = ["Headline", "Body.", "b", "c", "d", "e", "17 March 2026"]
    assert stated_publish_time(lines, 1, ref) is None
    assert stated_publish_time(["Published: 19 March 2027", "Body."], 1, ref) is None
    assert stated_publish_time(["Published: 19 March 1975", "Body."], 1, ref) is None


@pytest.mark.parametrize("title,expected", [
    ("Victim identified in fatal overnight shooting in Shreveport - KSLA News 12 Shreveport, Louisiana News "
     "Weather & Sports", "Victim identified in fatal overnight shooting in Shreveport"),
    ("After Putin call, Trump says Russia, Ukraine will start ceasefire talks | Russia-Ukraine war News",
     "After Putin call, Trump says Russia, Ukraine will start ceasefire talks"),
    ("Ukraine-Russia war latest: Trump says talks will begin - The Independent",
     "Ukraine-Russia war latest: Trump says talks will begin"),
    ("Man arrested in fatal shooting at grocery store - WALB.com, South Georgia News, Weather, Sports",
     "Man arrested in fatal shooting at grocery store"),
    ("CBS 58 - Second suspect charged in double homicide", "Second suspect charged in double homicide"),
    ("2 teens shot in Richmond triple shooting - NBC12 - WWBT - Richmond, VA News On Your Side",
     "2 teens shot in Richmond triple shooting"),
    ("Korvel Plastics blaze: two hurt | Local News - Valley Courier", "Korvel Plastics blaze: two hurt"),
    ("UPDATE: No motive known for gunman", "No motive known for gunman"),
    ("Bridge closed", "Bridge closed"),
    ("Police: 4 shot, 1 dead in east Las Vegas - a quiet street", "Police: 4 shot, 1 dead in east Las Vegas - a quiet street"),
    ("en", None),
    ("By Steve Holland and Guy Faulconbridge", None),
    ("We use cookies to improve your experience on our site. Accept all cookies", None),
    ("", None),
])
def test_clean_title(title, expected):
    assert clean_title(title) == expected


def test_clean_title_drops_the_known_source_even_when_it_reads_like_words():
    assert clean_title("Storm batters the coast - Morning call daily", "morningcall.com") == "Storm batters the coast"
    assert clean_title("Storm batters the coast - Morning call daily") == "Storm batters the coast - Morning call daily"


@pytest.mark.parametrize("line", ["WASHINGTON (Reuters) -", "Tuesday 3 March 2026, 19:42",
                                  "(Reporting by Jo Bloggs; Editing by Al Smith)", "(c) 2026 Harbor Ledger Media",
                                  "Related stories:", "Lowland Gazette", "harborledger.example"])
def test_not_headlines(line):
    assert not is_headline_like(line, 3)


def test_page_headline_is_the_top_of_the_headline_lines_above_the_byline():
    lines = ["Skip to main content", "Business", "Bank of Veltria cuts interest rate to 3.25% as inflation eases",
             "First reduction in more than two years as growth stalls", "By Meridian Press Agency", "18 March 2026",
             "VELDRA, March 18 (Meridian Press Agency) - The Bank of Veltria cut its main rate."]
    assert page_headline(lines, 6) == "Bank of Veltria cuts interest rate to 3.25% as inflation eases"
    assert page_headline(lines[4:], 2) is None  # the byline opens the page: no headline line
    assert page_headline(["Some line of text here", "The story starts here and goes on."], 1) is None


def test_outlets():
    assert outlet_from_folder("/data/sample/articles/harbor-ledger/2026-03-03-fire.txt") == "harbor-ledger"
    assert outlet_from_folder("/data/articles/riverbend/2026/03/fire.txt.gz") == "riverbend"
    assert outlet_from_folder("/data/articles/fire.txt") is None
    assert outlet_from_folder("/data/articles/harbor/records.jsonl") is None
    assert outlet_from_title_line("Huge fire at plant sends smoke across town | News - The Harbor Ledger") == \
        "The Harbor Ledger"
    assert outlet_from_title_line("After Putin call, Trump says talks will start | Russia-Ukraine war News") is None
    assert outlet_from_copyright("(c) 2026 Harbor Ledger Media. All rights reserved.") == "Harbor Ledger Media"
    assert outlet_from_copyright("Copyright (c) 2019, Los Angeles Times | Terms of Service") == "Los Angeles Times"
    assert outlet_from_copyright("© 2019 The New York Times Company") == "The New York Times Company"
    assert outlet_from_copyright("© 2019 CNBC LLC. All Rights Reserved.") == "CNBC"
    assert outlet_from_copyright("© Reuters") is None  # a picture credit
    page = ["Share", "Al Jazeera's Yulia Shapovalova, reporting from Moscow, said the call mattered.", "Share"]
    assert outlet_from_page(page, None) == ("Al Jazeera", "reporter")
    page = ["I would like to be emailed about offers, events and updates from The Independent. Read our Privacy notice",
            "Body text of the story goes here."]
    assert outlet_from_page(page, "Reuters") == ("The Independent", "self_reference")
    assert outlet_from_page(["Follow the Riverbend Times on Facebook, Instagram and X", "Body."], None) == (
        "Riverbend Times", "self_reference")
    assert outlet_from_page(["WASHINGTON (Reuters) - Body of the story."], "Reuters") == ("Reuters", "wire_credit")
    assert outlet_from_page(["Body of the story with nothing to say about itself."], None) is None


def test_describe_page_and_story_start():
    page = ("By Steve Holland and Olena Harmash\n"
            "WASHINGTON/KYIV (Reuters) -U.S. President Donald Trump said on Monday talks would start at once.\n"
            "Published: 19 May 2025\nSecond paragraph of the story here.")
    clean = page
    meta = describe_page(page, clean, "/in/seeds/004.txt", datetime(2026, 1, 1, tzinfo=UTC))
    assert (meta.authors, meta.dateline, meta.wire_credit, meta.source, meta.source_method) == (
        ("Steve Holland", "Olena Harmash"), "WASHINGTON/KYIV", "Reuters", "Reuters", "wire_credit")
    assert (meta.published_at, meta.published_method) == (datetime(2025, 5, 19, tzinfo=UTC), "page_date")
    assert story_lines(clean) == ["U.S. President Donald Trump said on Monday talks would start at once.",
                                  "Second paragraph of the story here."]
    quiet = describe_page(page, clean, None, None, find_source=False, find_published_at=False)
    assert (quiet.source, quiet.published_at, quiet.authors) == (None, None, ("Steve Holland", "Olena Harmash"))


@pytest.mark.parametrize("title", [
    "Justin Bieber And Selena Gomez Reunited? Former Couple Indulge In Some ...",
    "Men's Wearhouse To Acquire Jos. A. Bank Clothiers",
    "True Detective Does Have a Woman Problem. That's Partly Why People Love It.",
    "Dick's Sporting Goods Inc. Q4 profit jumps 6.9 percent",
])
def test_question_marks_and_abbreviations_do_not_make_a_title_a_notice(title):
    assert clean_title(title) == title
