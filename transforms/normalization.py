"""Text normalisation: the first thing every article goes through.

Pure functions, no Beam. Normalisation is idempotent: ``normalize_text(normalize_text(t)) == normalize_text(t)``.
"""
from __future__ import annotations

import re
import unicodedata

# Typographic quotes folded to ASCII so that the seeds' mix of „ “ ‚ ' ’ « » compares equal across outlets.
_QUOTE_MAP = {
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2033": '"', "\u301d": '"', "\u301e": '"',
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2039": "'", "\u203a": "'",
    "\u2032": "'", "\u0060": "'", "\u00b4": "'",
}
# Dashes and minus signs folded to "-" (en/em dashes keep their spaces, so "A – B" becomes "A - B").
_DASH_MAP = {c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"}
_TRANSLATION = str.maketrans({**_QUOTE_MAP, **_DASH_MAP, "\u00a0": " ", "\u2026": "..."})

# Zero-width and soft-hyphen characters carry no text; they are deleted, not turned into spaces.
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
# C0/C1 controls except tab and newline.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_HSPACE = re.compile(r"[^\S\n]+")
_BLANK_RUN = re.compile(r"\n{3,}")


def normalize_line(line: str) -> str:
    """Normalise one line: NFKC, folded quotes/dashes, no controls, single spaces, stripped."""
    line = unicodedata.normalize("NFKC", line)
    line = _INVISIBLE.sub("", line)
    line = line.translate(_TRANSLATION)
    line = _CONTROL.sub(" ", line)
    return _HSPACE.sub(" ", line).strip()


def normalize_text(text: str) -> str:
    """Normalise a whole article, keeping its line structure.

    Line endings (CRLF, CR, Unicode separators) become ``\\n``, each line goes through
    :func:`normalize_line`, and runs of blank lines collapse to one blank line.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n").replace("\x85", "\n")
    lines = [normalize_line(line) for line in text.split("\n")]
    joined = "\n".join(lines).strip("\n")
    return _BLANK_RUN.sub("\n\n", joined)
