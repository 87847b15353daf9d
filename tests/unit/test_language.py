"""Unit tests of transforms.language.detect_language."""
from __future__ import annotations

import pytest

from transforms.language import detect_language, language_scores


@pytest.mark.parametrize(("text", "expected"), [
    ("The government said on Monday that it would begin talks with the rebels next week.", "en"),
    ("Die Regierung hat am Montag gesagt, dass sie in der nächsten Woche mit den Gesprächen beginnen wird.", "de"),
    ("Le gouvernement a déclaré lundi qu'il allait commencer les négociations avec les rebelles.", "fr"),
    ("El gobierno dijo el lunes que iniciará las conversaciones con los rebeldes la próxima semana.", "es"),
    ("Il governo ha detto lunedì che inizierà i colloqui con i ribelli la prossima settimana per la pace.", "it"),
    ("O governo disse na segunda-feira que vai iniciar as conversas com os rebeldes na próxima semana.", "pt"),
    ("De regering zei maandag dat zij volgende week met de rebellen over een bestand gaat praten.", "nl"),
])
def test_detects_language_of_a_sentence(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", [
    "",
    "Share",
    "Donald Trump Vladimir Putin",
    "12 34 56 78 90 12 34 56 78",
    "東京で会議が開かれ、両国の首脳が停戦について話し合った。これは重要な一歩である。",
])
def test_unsure_is_none(text):
    assert detect_language(text) is None


def test_scores_count_stopword_hits():
    assert language_scores("the cat and the dog")["en"] == 3
