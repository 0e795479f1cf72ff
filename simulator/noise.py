"""How listeners mistype: keyboard slips, phonetic confusions, dropped and doubled letters.

Each operation is a pure function ``(text, rng) -> text`` that makes exactly the
change it names, or returns the text unchanged when it has nowhere to apply
(too short, no letters). The error classes follow the classic taxonomy of
spelling errors — insertion, deletion, substitution and transposition
(Damerau 1964), with substitutions drawn from keyboard neighbours (Kukich 1992,
"Techniques for automatically correcting words in text") — plus the
sound-alike spellings that query logs are full of (``ph``/``f``, ``c``/``k``).
This model is the simulator's own: it shares nothing with the service's
misspelling predictions, so the measurement does not grade its own homework.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _neighbours() -> dict[str, str]:
    """Keys that touch each letter on a QWERTY keyboard (same row and the rows around)."""
    where = {ch: (r, c) for r, row in enumerate(_ROWS) for c, ch in enumerate(row)}
    table: dict[str, str] = {}
    for ch, (r, c) in where.items():
        near = []
        for other, (r2, c2) in where.items():
            if other == ch:
                continue
            # Rows are staggered by about half a key: neighbours above sit at c, c+1.
            if (r2 == r and abs(c2 - c) == 1) or (
                abs(r2 - r) == 1 and c2 - c in ((0, 1) if r2 < r else (-1, 0))
            ):
                near.append(other)
        table[ch] = "".join(sorted(near))
    return table


KEYBOARD_NEIGHBOURS: dict[str, str] = _neighbours()
"""QWERTY adjacency, e.g. ``KEYBOARD_NEIGHBOURS["s"] == "adewxz"``."""

PHONETIC_CONFUSIONS: tuple[tuple[str, str], ...] = (
    ("ph", "f"),
    ("f", "ph"),
    ("ck", "k"),
    ("c", "k"),
    ("k", "c"),
    ("s", "z"),
    ("z", "s"),
    ("ee", "ea"),
    ("ea", "ee"),
    ("ie", "ei"),
    ("ei", "ie"),
    ("y", "ie"),
    ("ou", "ow"),
    ("oo", "u"),
    ("x", "ks"),
    ("qu", "kw"),
    ("wh", "w"),
    ("gh", "g"),
    ("tion", "shun"),
    ("er", "a"),
    ("i", "y"),
    ("v", "b"),
    ("b", "v"),
    ("j", "y"),
    ("ll", "y"),
)
"""Sound-alike spellings ``(written, typed)``, English and Spanish habits mixed."""


def _letter_positions(text: str, *, ascii_only: bool = False) -> list[int]:
    return [
        i
        for i, ch in enumerate(text)
        if ch.isalpha() and (not ascii_only or ch.lower() in KEYBOARD_NEIGHBOURS)
    ]


def adjacent_substitution(text: str, rng: random.Random) -> str:
    """Replace one ASCII letter with a keyboard neighbour (``love`` → ``lovr``)."""
    positions = _letter_positions(text, ascii_only=True)
    if not positions:
        return text
    i = rng.choice(positions)
    near = KEYBOARD_NEIGHBOURS[text[i].lower()]
    typed = rng.choice(near)
    return text[:i] + (typed.upper() if text[i].isupper() else typed) + text[i + 1 :]


def dropped_letter(text: str, rng: random.Random) -> str:
    """Delete one letter of a word of at least three letters (``swift`` → ``swit``)."""
    positions = [i for i in _letter_positions(text) if _word_length_at(text, i) >= 3]
    if not positions:
        return text
    i = rng.choice(positions)
    return text[:i] + text[i + 1 :]


def doubled_letter(text: str, rng: random.Random) -> str:
    """Type one letter twice (``taylor`` → ``tayylor``)."""
    positions = _letter_positions(text)
    if not positions:
        return text
    i = rng.choice(positions)
    return text[: i + 1] + text[i] + text[i + 1 :]


def transposition(text: str, rng: random.Random) -> str:
    """Swap two adjacent, different letters inside a word (``story`` → ``stroy``)."""
    positions = [
        i
        for i in range(len(text) - 1)
        if text[i].isalpha() and text[i + 1].isalpha() and text[i] != text[i + 1]
    ]
    if not positions:
        return text
    i = rng.choice(positions)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def phonetic_confusion(text: str, rng: random.Random) -> str:
    """Spell one sound the way it sounds (``phoenix`` → ``foenix``, ``rock`` → ``rok``).

    Matching ignores case; the replacement is written in lower case.
    """
    lower = text.lower()
    options = [
        (start, written, typed)
        for written, typed in PHONETIC_CONFUSIONS
        for start in _occurrences(lower, written)
    ]
    if not options:
        return text
    start, written, typed = rng.choice(options)
    return text[:start] + typed + text[start + len(written) :]


def dropped_word(text: str, rng: random.Random) -> str:
    """Leave out one word other than the first, in queries of three words or more."""
    parts = text.split()
    if len(parts) < 3:
        return text
    del parts[rng.randrange(1, len(parts))]
    return " ".join(parts)


def lowercase(text: str, rng: random.Random | None = None) -> str:
    """Type everything in lower case, as most search-box queries are."""
    return text.lower()


def strip_accents(text: str, rng: random.Random | None = None) -> str:
    """Leave out diacritics (``Beyoncé`` → ``Beyonce``), as phone keyboards invite."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", kept)


def _occurrences(text: str, part: str) -> list[int]:
    found, start = [], text.find(part)
    while start != -1:
        found.append(start)
        start = text.find(part, start + 1)
    return found


def _word_length_at(text: str, i: int) -> int:
    start = i
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    end = i
    while end < len(text) and text[end].isalpha():
        end += 1
    return end - start


Typo = Callable[[str, random.Random], str]

TYPOS: dict[str, Typo] = {
    "adjacent_substitution": adjacent_substitution,
    "phonetic_confusion": phonetic_confusion,
    "dropped_letter": dropped_letter,
    "doubled_letter": doubled_letter,
    "transposition": transposition,
}
"""Misspelling operations by name; the names appear in session records."""


class NoiseConfig(BaseModel):
    """How often each kind of noise touches a query (probabilities per query)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lowercase: float = Field(
        default=0.75, ge=0, le=1, description="Query typed in lower case (most are)."
    )
    strip_accents: float = Field(
        default=0.4, ge=0, le=1, description="Diacritics left out, when the text has any."
    )
    misspelling: float = Field(
        default=0.12, ge=0, le=1, description="At least one misspelling in the query."
    )
    second_misspelling: float = Field(
        default=0.2, ge=0, le=1, description="A second one, given a first."
    )
    typo_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "adjacent_substitution": 0.35,
            "phonetic_confusion": 0.2,
            "dropped_letter": 0.2,
            "doubled_letter": 0.1,
            "transposition": 0.15,
        },
        description="Relative frequency of each misspelling operation.",
    )
    word_drop: float = Field(
        default=0.05, ge=0, le=1, description="One word left out (queries of 3+ words)."
    )


class NoiseModel:
    """Applies :class:`NoiseConfig` to a clean query; reports what it did."""

    def __init__(self, config: NoiseConfig) -> None:
        unknown = sorted(set(config.typo_weights) - set(TYPOS))
        if unknown:
            raise ValueError(f"unknown typo operations {unknown}; valid: {sorted(TYPOS)}")
        self.config = config
        self._names = list(config.typo_weights)
        self._weights = [config.typo_weights[name] for name in self._names]

    def apply(self, text: str, rng: random.Random) -> tuple[str, tuple[str, ...]]:
        """The noisy text and the names of the operations that changed it."""
        config, applied = self.config, []
        if rng.random() < config.word_drop:
            changed = dropped_word(text, rng)
            if changed != text:
                text = changed
                applied.append("dropped_word")
        if rng.random() < config.misspelling:
            count = 2 if rng.random() < config.second_misspelling else 1
            for _ in range(count):
                name = rng.choices(self._names, weights=self._weights)[0]
                changed = TYPOS[name](text, rng)
                if changed != text:
                    text = changed
                    applied.append(name)
        if rng.random() < config.strip_accents:
            changed = strip_accents(text)
            if changed != text:
                text = changed
                applied.append("strip_accents")
        if rng.random() < config.lowercase and text != text.lower():
            text = text.lower()
            applied.append("lowercase")
        return text, tuple(applied)
