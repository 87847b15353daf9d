"""Hypothesis properties of transforms.boilerplate.strip_boilerplate on generated pages.

Whatever the input: stripping never adds or rewrites text (the kept lines are input lines, in input
order), every non-blank input line is either kept or removed with exactly one non-empty reason, and
blank lines are neither.
"""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transforms.boilerplate import BoilerplateConfig, strip_boilerplate
from transforms.normalization import normalize_text

CONFIG = BoilerplateConfig()

# Lines of the kinds a page is made of, so that every step of the stripper gets exercised.
_KNOWN_LINES = [
    "The two governments said on Monday that they would begin talks about a ceasefire next week.",
    "Officials from both sides are expected to meet in Geneva, according to a statement.",
    "Thousands of people were told to leave their homes on the coast as the storm...",
    "Ceasefire talks to begin next week | World News - Example Times",
    "Ceasefire talks to begin next week",
    "Share", "Home", "Related Articles", "Leave a comment", "Reply", "John says:",
    "March 3, 2024 at 10:15 am", "© 2024 Example Times. All rights reserved.",
    "1) First item", "2) Second item", "3) Third item", "* bullet", "1 Kyle Busch 5040 5 1 17 27",
    "Tags: politics, war", "Die Regierung hat am Montag angekündigt, dass die Gespräche beginnen.",
    "", "   ", "\t",
]
_line = st.one_of(
    st.sampled_from(_KNOWN_LINES),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=120),
    st.lists(st.sampled_from(["the", "talks", "said", "a", "of", "Geneva", "3", "...", ".", "-", "|"]),
             max_size=40).map(" ".join),
)
_page = st.lists(_line, max_size=40).map("\n".join)


def _check(text: str, furniture: frozenset[str] = frozenset(), title: str | None = None) -> None:
    result = strip_boilerplate(text, CONFIG, furniture=furniture, title=title)
    lines = text.split("\n")
    removed = [r.line_no for r in result.removals]
    # Exactly one reason per removed line, naming the line as it was.
    assert len(removed) == len(set(removed))
    assert removed == sorted(removed)
    for removal in result.removals:
        assert removal.reason
        assert lines[removal.line_no] == removal.text
        assert removal.text.strip()
    # Kept + removed = the non-blank input lines; kept lines are input lines verbatim, in order.
    non_blank = [i for i, line in enumerate(lines) if line.strip()]
    kept = [i for i in non_blank if i not in set(removed)]
    assert set(removed) <= set(non_blank)
    assert result.clean_text == "\n".join(lines[i] for i in kept)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_page)
def test_stripping_only_removes_whole_lines_each_with_one_reason(text: str):
    _check(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_page)
def test_properties_hold_after_normalisation(text: str):
    _check(normalize_text(text))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_page, st.sets(st.sampled_from(["share", "home", "the two governments said on monday that they would "
                                        "begin talks about a ceasefire next week"]), max_size=3),
       st.one_of(st.none(), st.sampled_from(_KNOWN_LINES)))
def test_properties_hold_with_furniture_and_title(text: str, furniture: set[str], title: str | None):
    _check(text, frozenset(furniture), title)


_NAMES = ["Geneva", "Vienna", "Oslo", "Doha", "Cairo", "Ankara", "Riga", "Lima", "Quito", "Accra",
          "Dakar", "Hanoi", "Manila", "Seoul", "Tokyo", "Lagos", "Nairobi", "Kigali", "Tunis", "Rabat"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_KNOWN_LINES[:2]), min_size=1, max_size=len(_NAMES)))
def test_a_page_that_is_all_prose_comes_out_whole(paragraphs: list[str]):
    # Distinct full sentences with no widget, title or list among them: nothing is boilerplate.
    text = "\n".join(f"{p} The delegation from {name} is expected to attend as well."
                     for p, name in zip(paragraphs, _NAMES))
    result = strip_boilerplate(text, CONFIG)
    assert result.clean_text == text
    assert result.removals == ()
