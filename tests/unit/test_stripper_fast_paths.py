"""The stripper's fast paths give exactly the answers of the plain definitions they replace.

Each fast path (literal gates in front of the phrase patterns, a prefilter in front of the comment-header
pattern, bytes tables instead of regex scans for ASCII lines, the clean text's language from counted
line tokens) is checked against the plain definition on generated text that is dense in the cases
that matter: pattern fragments, upper case, the characters ``re.IGNORECASE`` folds specially (İ, ı, ſ),
digits, underscores, whitespace runs, non-ASCII letters.
"""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.boilerplate import (
    _COMMENT_HEADER,
    BoilerplateConfig,
    _is_comment_header,
    line_key,
    strip_boilerplate,
)
from transforms.boilerplate_phrases import PHRASES, PhraseMatcher, phrase_matcher
from transforms.language import detect_language
from transforms.normalization import normalize_line

_WIDGETS = tuple(entry for lang in PHRASES for entry in PHRASES[lang].widgets)
_MATCHER = PhraseMatcher(_WIDGETS)
# Words and pieces taken from the patterns themselves, so generated lines hit them often.
_ODD = {"İ", "ı", "ſ", "K", "©", "(c)", "2024", "_", "  ", "\t", ":", "...", "ü", "é", "SHARE", "Cookies"}
_PIECES = sorted({w for _, p in _WIDGETS for w in re.sub(r"[\\^$()?*+\[\]{}|.]", " ", p.pattern).split() if w} | _ODD)
_line = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=6)), max_size=8).map(" ".join)


def _first_widget(text: str) -> str | None:
    for reason, pattern in _WIDGETS:
        if pattern.search(text):
            return reason
    return None


@settings(max_examples=500, deadline=None)
@given(_line)
def test_phrase_matcher_answers_as_trying_every_pattern_in_order(text: str):
    assert _MATCHER.reason(text) == _first_widget(text)


def test_phrase_matcher_on_known_lines():
    matcher = phrase_matcher(tuple(PHRASES))
    for text, reason in [("Share", "share_widget"), ("12 shares", "share_widget"), ("SIGN UP for our newsletter",
                         "newsletter"), ("Accept all cookies", "cookie_consent"), ("© 2024 Example", "copyright"),
                         ("Jetzt abonnieren", "subscription"), ("The talks began.", None), ("", None)]:
        assert matcher.reason(text) == reason, text


_HEADER_PIECES = ["says", "Said:", "wrote", "at", "10:32", "pm", "a.m.", "said", "2019", "ago", "Reply", "Antworten",
                  "↓", "ha scritto", "İ", " ", ":", ".", "John", "um", "12h30", ",", "!", "P.M."]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_HEADER_PIECES), max_size=7).map(" ".join))
def test_comment_header_prefilter_never_hides_a_header(text: str):
    assert _is_comment_header(text) == bool(_COMMENT_HEADER.search(text))


def _line_key_by_definition(line: str) -> str:
    key = normalize_line(line).casefold()
    key = re.sub(r"\d+", "0", key)
    return re.sub(r"[\W_]+", " ", key).strip()


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(alphabet=st.characters(max_codepoint=127), max_size=60),
                 st.text(max_size=40), _line))
def test_line_key_fast_path_equals_its_definition(line: str):
    assert line_key(line) == _line_key_by_definition(line)


_page_line = st.one_of(
    st.sampled_from(["The talks will begin next week, the ministry said on Monday.", "Share", "Home",
                     "Die Gespräche beginnen in der nächsten Woche, sagte das Ministerium.", "© 2024 Example",
                     "Le gouvernement a déclaré lundi qu'il allait commencer les négociations.", "1) a", "2) b",
                     "East_west 12 of the 3", ""]),
    _line,
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_page_line, max_size=20).map("\n".join))
def test_strip_result_language_is_the_clean_texts_language(text: str):
    result = strip_boilerplate(text, BoilerplateConfig())
    assert result.language == detect_language(result.clean_text)
