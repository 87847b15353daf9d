"""Names and places a story mentions, for explaining events to a reader. Pure functions, no Beam.

A *mention* is a run of capitalised words inside a sentence ("Henry Jackson", "Bureau of Alcohol,
Tobacco and Firearms", "Hot Springs"), or an all-capitals dateline at the start of a line
("DOUGLAS, Ga. (AP)"). It is a **place** when the text says so by its shape: a dateline; after a
locative preposition ("in Hot Springs", "near Douglas", "outside Kyiv"); followed by a region
(", Ga.", ", Texas", ", Ukraine"); ending in a place word ("Lacey Street", "Coffee County"); or a
country or US state by name. Every other mention is a **name** (people, organisations, bodies).
Weekdays, months and lone sentence openers are never mentions; title-case lines (headlines) give
none, since their capitals mean nothing.

These never change a clustering decision (the engine compares name *tokens*, see
``transforms.event_features.name_tokens``); they say which names and places hold an event together.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from transforms.stop_words import ENGLISH_STOP_WORDS

__all__ = ["NAME", "PLACE", "key_mentions", "mentions"]

NAME, PLACE = "name", "place"

# Words (inner apostrophes, hyphens, periods as in "O'Brien", "St.", "N.Y.") and punctuation marks:
# a comma or a parenthesis ends a mention.
_TOKEN = re.compile(r"[^\W\d_][\w'’\-]*(?:\.(?=[A-Za-z]\.|\s|$|,)|(?<=\b[A-Z])\.)?|\d[\w.,:/]*|[^\w\s]", re.UNICODE)
_POSSESSIVE = re.compile(r"['’]s?$")
_SENTENCES = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z])|\n+")
_LOCATIVE = {"in", "near", "outside", "at", "across", "around", "inside", "into"}
_JOINERS = {"of", "de", "del", "la", "van", "von", "the", "&"}
# Titles before a person's name ("President Donald Trump", "Police Chief Ken Grace"): the name is
# what follows the last of them.
_TITLES = {
    "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "dr", "dr.", "president", "vice", "prime", "minister",
    "secretary", "chief", "officer", "sgt.", "sgt", "cpl.", "cpl", "lt.", "capt.", "det.", "detective",
    "deputy", "sheriff", "judge", "gov.", "governor", "sen.", "senator", "rep.", "mayor", "police",
    "general", "gen.", "king", "queen", "prince", "pope", "coach", "attorney", "spokesman",
    "spokeswoman", "commissioner", "superintendent", "trooper", "sergeant", "lieutenant", "captain",
}
_DEMONYM = re.compile(r"(?:ian|ean|ese|ish)$")
_PLACE_WORDS = {
    "street", "st.", "avenue", "ave.", "road", "rd.", "boulevard", "blvd.", "lane", "drive", "dr.",
    "highway", "county", "parish", "city", "town", "township", "park", "square", "bridge", "river",
    "lake", "mountain", "mountains", "island", "islands", "valley", "beach", "heights", "province",
    "region", "district", "village", "harbor", "harbour", "port", "bay", "coast", "street.",
}
_CALENDAR = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "jan.", "feb.", "mar.", "apr.", "aug.", "sept.", "sep.", "oct.", "nov.",
    "dec.",
}
# Regions a place is often followed by (", Ga."): US states (names, AP and postal abbreviations),
# Canadian provinces and countries. A general list, not one written for a data set.
_REGIONS = {
    "alabama", "ala.", "alaska", "arizona", "ariz.", "arkansas", "ark.", "california", "calif.",
    "colorado", "colo.", "connecticut", "conn.", "delaware", "del.", "florida", "fla.", "georgia",
    "ga.", "hawaii", "idaho", "illinois", "ill.", "indiana", "ind.", "iowa", "kansas", "kan.",
    "kentucky", "ky.", "louisiana", "la.", "maine", "maryland", "md.", "massachusetts", "mass.",
    "michigan", "mich.", "minnesota", "minn.", "mississippi", "miss.", "missouri", "mo.", "montana",
    "mont.", "nebraska", "neb.", "nevada", "nev.", "new hampshire", "n.h.", "new jersey", "n.j.",
    "new mexico", "n.m.", "new york", "n.y.", "north carolina", "n.c.", "north dakota", "n.d.",
    "ohio", "oklahoma", "okla.", "oregon", "ore.", "pennsylvania", "pa.", "rhode island", "r.i.",
    "south carolina", "s.c.", "south dakota", "s.d.", "tennessee", "tenn.", "texas", "utah",
    "vermont", "vt.", "virginia", "va.", "washington", "wash.", "west virginia", "w.va.",
    "wisconsin", "wis.", "wyoming", "wyo.", "d.c.", "ontario", "quebec", "alberta",
    "british columbia", "manitoba", "saskatchewan", "nova scotia",
    "afghanistan", "albania", "algeria", "argentina", "armenia", "australia", "austria",
    "azerbaijan", "bangladesh", "belarus", "belgium", "bolivia", "bosnia", "brazil", "bulgaria",
    "cambodia", "cameroon", "canada", "chile", "china", "colombia", "croatia", "cuba", "cyprus",
    "czech republic", "denmark", "ecuador", "egypt", "england", "estonia", "ethiopia", "finland",
    "france", "germany", "ghana", "greece", "guatemala", "haiti", "honduras", "hungary", "iceland",
    "india", "indonesia", "iran", "iraq", "ireland", "israel", "italy", "jamaica", "japan",
    "jordan", "kazakhstan", "kenya", "kosovo", "kuwait", "latvia", "lebanon", "libya",
    "lithuania", "malaysia", "mali", "mexico", "moldova", "morocco", "myanmar", "nepal",
    "netherlands", "new zealand", "nicaragua", "niger", "nigeria", "north korea", "norway",
    "pakistan", "palestine", "panama", "paraguay", "peru", "philippines", "poland", "portugal",
    "qatar", "romania", "russia", "rwanda", "saudi arabia", "scotland", "senegal", "serbia",
    "singapore", "slovakia", "slovenia", "somalia", "south africa", "south korea", "spain",
    "sri lanka", "sudan", "sweden", "switzerland", "syria", "taiwan", "tanzania", "thailand",
    "tunisia", "turkey", "uganda", "ukraine", "united kingdom", "united states", "uruguay",
    "venezuela", "vietnam", "wales", "yemen", "zambia", "zimbabwe", "u.s.", "u.k.", "gaza",
}
_DATELINE = re.compile(r"^\s*([A-Z][A-Z .'\-]{2,}?)(?:,\s*([A-Z][\w.]*(?: [A-Z][\w.]*)?))?\s*(?:\(|—|-{1,2}\s|:)")
_TITLE_CASE_SHARE = 0.6


def _is_capitalised(word: str) -> bool:
    return word[0].isupper() and not word.isupper() or (word.isupper() and len(word) > 1 and "." in word)


def _clean(span: list[str]) -> list[str]:
    while span and (span[-1].lower() in _JOINERS):
        span = span[:-1]
    while span and span[0].lower() in ENGLISH_STOP_WORDS:
        span = span[1:]
    return span


def mentions(text: str) -> list[tuple[str, str]]:
    """(surface, kind) of each mention in reading order; kind is :data:`NAME` or :data:`PLACE`."""
    out: list[tuple[str, str]] = []
    for line in text.split("\n"):
        dateline = _DATELINE.match(line)
        if dateline and dateline.group(1).strip().isupper() and len(dateline.group(1).strip()) >= 3:
            for part in re.split(r"\s*/\s*", dateline.group(1).strip()):
                if part:
                    out.append((part.title(), PLACE))
            line = line[dateline.end():]
        for sentence in _SENTENCES.split(line):
            out.extend(_sentence_mentions(sentence))
    # What the text calls a place once ("in Ardmore") is a place wherever it is named.
    places = {surface.lower() for surface, kind in out if kind == PLACE}
    return [(surface, PLACE if surface.lower() in places else kind) for surface, kind in out]


def _sentence_mentions(sentence: str) -> Iterable[tuple[str, str]]:
    tokens = _TOKEN.findall(sentence)
    words = [t for t in tokens if t[0].isalpha()]
    if len(words) >= 3 and sum(_is_capitalised(w) for w in words) / len(words) >= _TITLE_CASE_SHARE:
        return []
    found: list[tuple[str, str]] = []
    k = 0
    first_word = next((i for i, t in enumerate(tokens) if t[0].isalpha()), 0)
    while k < len(tokens):
        if not (tokens[k][0].isalpha() and _is_capitalised(tokens[k])) or tokens[k].lower() in _CALENDAR:
            k += 1
            continue
        start = k
        span = [tokens[k]]
        k += 1
        while k < len(tokens):
            word = tokens[k]
            if word[0].isalpha() and _is_capitalised(word) and word.lower() not in _CALENDAR:
                span.append(word)
                k += 1
            elif (word.lower() in _JOINERS and k + 1 < len(tokens) and tokens[k + 1][0].isalpha()
                  and _is_capitalised(tokens[k + 1])):
                span.append(word)
                k += 1
            else:
                break
        titled = [i for i, w in enumerate(span) if w.lower() in _TITLES]
        if titled and titled[-1] < len(span) - 1:
            span = span[titled[-1] + 1:]
        elif titled:
            continue  # only a title ("the President")
        span = _clean(span)
        if not span or (start == first_word and len(span) == 1):
            continue  # a lone sentence opener is not a name
        if span[-1][-2:] in ("'s", "’s") or span[-1][-1] in "'’":
            span[-1] = _POSSESSIVE.sub("", span[-1])
        surface = " ".join(span).rstrip(".")
        if surface.lower() in _CALENDAR:
            continue
        if len(span) == 1 and _DEMONYM.search(surface.lower()) and surface.lower() not in _REGIONS:
            continue  # "Russian", "European": an adjective, not a name
        before = tokens[start - 1].lower() if start > 0 else ""
        rest = tokens[k:k + 4]
        region_after = (len(rest) >= 2 and rest[0] == ","
                        and (rest[1].lower() in _REGIONS or " ".join(rest[1:3]).lower() in _REGIONS))
        is_place = (
            before in _LOCATIVE
            or span[-1].lower() in _PLACE_WORDS
            or surface.lower() in _REGIONS or surface.lower() + "." in _REGIONS
            or region_after
        )
        found.append((surface, PLACE if is_place else NAME))
    return found


def key_mentions(per_member: Sequence[Iterable[tuple[str, str]]], limit: int = 5,
                 ) -> tuple[list[str], list[str]]:
    """(key names, key places) of an event: the mentions most of its members share.

    A mention counts once per member; with two or more members only mentions shared by at least two
    count. Ranked by the number of members, then longer surface first, then alphabetically; each
    mention's most frequent spelling is shown. A place named as a place by any member is a place.
    """
    members = [set((s.lower(), kind) for s, kind in m) for m in per_member]
    spelling: dict[str, Counter] = {}
    for m in per_member:
        for surface, _ in m:
            spelling.setdefault(surface.lower(), Counter())[surface] += 1
    support: Counter = Counter()
    places: set[str] = set()
    for m in members:
        for key in {s for s, _ in m}:
            support[key] += 1
        places |= {s for s, kind in m if kind == PLACE}
    floor = 2 if len(members) >= 2 else 1
    ranked = sorted((k for k, n in support.items() if n >= floor),
                    key=lambda k: (-support[k], -len(k), k))
    # A shorter mention inside a longer one that is also kept ("Jackson" in "Henry Jackson") adds nothing.
    kept: list[str] = []
    for key in ranked:
        # (the substring test first: the word-bounded search only for the few that contain it)
        if not any(key != other and key in other and re.search(rf"\b{re.escape(key)}\b", other)
                   for other in ranked if support[other] >= support[key]):
            kept.append(key)

    def shown(key: str) -> str:
        return min(spelling[key].items(), key=lambda kv: (-kv[1], kv[0]))[0]

    names = [shown(k) for k in kept if k not in places][:limit]
    place_list = [shown(k) for k in kept if k in places][:limit]
    return names, place_list
