"""Query normalization shared by query understanding and the Q2E memory.

Both must agree on what "the same query" is: the memory is keyed by the
normalized text, and query understanding matches normalized n-grams against
its gazetteer. The rules are deliberately conservative — they only remove
differences a listener would not consider meaningful:

* Unicode compatibility forms are unified (NFKC) and case is folded;
* accents are stripped from Latin letters (``Beyoncé`` → ``beyonce``), other
  scripts are kept as they are;
* apostrophes inside words are dropped (``don't`` → ``dont``), every other
  punctuation or symbol character separates tokens;
* whitespace is collapsed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_APOSTROPHES = "'\u2019\u02bc`\u00b4"
_APOSTROPHE_IN_WORD = re.compile(rf"(?<=\w)[{_APOSTROPHES}](?=\w)")
_SEPARATORS = re.compile(r"[^\w]+|_+")


def _strip_latin_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    kept: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char) and kept and kept[-1].isascii():
            continue
        kept.append(char)
    return unicodedata.normalize("NFKC", "".join(kept))


@lru_cache(maxsize=65_536)
def normalize_query(text: str) -> str:
    """The canonical form of a query (or of a name it should match)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _strip_latin_accents(folded)
    folded = _APOSTROPHE_IN_WORD.sub("", folded)
    return " ".join(_SEPARATORS.sub(" ", folded).split())


def query_tokens(text: str) -> list[str]:
    """The tokens of the normalized query."""
    return normalize_query(text).split()
