"""Candidate blocking for fuzzy name matching: first character, then length.

Fuzzy matching a query n-gram against every name of a million-entity catalog
would cost milliseconds per n-gram. Two cheap necessary conditions cut the
candidates to a slice: the first character must agree (typos rarely hit it,
and a listener reads it back), and the length must be within a small window
(a similarity cutoff around 80 allows only a few edits). Each first character
keeps its strings in two parallel lists sorted by length, so the window is a
pair of bisections and a list slice, and updates are a bisection and an insert.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter


class LengthBlocks:
    """Strings bucketed by first character, each bucket sorted by length.

    Adding a string twice needs two removals before it is gone (reference
    counted), so names shared by several entries can be added once per entry.
    """

    def __init__(self) -> None:
        self._lengths: dict[str, list[int]] = {}
        self._texts: dict[str, list[str]] = {}
        self._refs: Counter[str] = Counter()

    def add(self, text: str) -> None:
        self._refs[text] += 1
        if self._refs[text] == 1:
            lengths = self._lengths.setdefault(text[0], [])
            at = bisect_right(lengths, len(text))
            lengths.insert(at, len(text))
            self._texts.setdefault(text[0], []).insert(at, text)

    def discard(self, text: str) -> None:
        if self._refs[text] > 1:
            self._refs[text] -= 1
            return
        del self._refs[text]
        lengths, texts = self._lengths.get(text[0], []), self._texts.get(text[0], [])
        lo, hi = bisect_left(lengths, len(text)), bisect_right(lengths, len(text))
        for at in range(lo, hi):
            if texts[at] == text:
                del lengths[at], texts[at]
                return

    def window(self, text: str, slack: int, cap: int) -> list[str]:
        """The bucket's strings whose length is within ``slack`` of the text's, at most ``cap``."""
        lengths = self._lengths.get(text[0])
        if not lengths:
            return []
        lo = bisect_left(lengths, len(text) - slack)
        hi = bisect_right(lengths, len(text) + slack)
        if hi - lo > cap:
            mid = bisect_left(lengths, len(text))
            lo, hi = max(lo, mid - cap // 2), min(hi, mid + cap // 2)
        return self._texts[text[0]][lo:hi]
