"""Near-exact keys of the Q2E memory for queries it does not hold (misspellings, variants).

Bounded work at any table size, in three steps:

1. **Token correction.** Each query token of at least ``min_fuzzy_token_length``
   characters is compared with the vocabulary tokens filed in the same blocks
   (first two letters, last two, outer pair — each by length, see
   :func:`retrievers.memory_base.token_blocks`) using the Damerau-Levenshtein
   distance (Damerau, 1964: most misspellings are one insertion, deletion,
   substitution or transposition); among tokens as close, the one in more
   keys wins (a word-frequency prior, as in noisy-channel spelling
   correction, Kernighan, Church & Gale 1990), then the closer Indel ratio.
2. **Candidate keys.** The corrected tokens are recombined in query order
   (a small beam, fewest edits first) — which recovers most single-typo
   queries exactly — and the capped postings of every corrected token add
   keys that differ in more than spelling (a missing or extra word), rarest
   tokens first.
3. **Key similarity.** rapidfuzz's normalized Indel similarity
   (``fuzz.ratio``) between the query and each candidate keeps those above
   ``fuzzy_cutoff``. Numbers and decades (``1989``, ``90s``) are typed on
   purpose: they are never corrected and a near key must carry the same ones.

All distances and similarities are computed by rapidfuzz.
"""

from __future__ import annotations

import re
from typing import Final

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from retrievers.memory_base import MemoryConfig, MemoryStore, probe_blocks

_DIGIT: Final = re.compile(r"\d")
_NO_NUMBERS: Final[frozenset[str]] = frozenset()

Correction = tuple[str, int, float]
"""A vocabulary token, its edit distance to the query token, and their Indel ratio."""


def numbers_in(key: str) -> frozenset[str]:
    """The tokens of a key that contain digits."""
    if _DIGIT.search(key) is None:
        return _NO_NUMBERS
    return frozenset(token for token in key.split() if _DIGIT.search(token))


def _best_corrections(
    token: str, near: list[tuple[str, int]], counts: dict[str, int], limit: int
) -> list[Correction]:
    """Fewest edits first, then the token in more keys, then the closer Indel ratio."""
    scored = [(m, distance, fuzz.ratio(token, m)) for m, distance in near]
    scored.sort(key=lambda c: (c[1], -counts.get(c[0], 0), -c[2], c[0]))
    return scored[:limit]


class NearKeyFinder:
    """Finds stored keys close to a normalized query (see the module docstring)."""

    def __init__(self, store: MemoryStore, config: MemoryConfig) -> None:
        self.store = store
        self.config = config

    def near_keys(self, key: str) -> list[tuple[str, float]]:
        """Stored keys within ``fuzzy_cutoff`` of ``key`` (itself excluded), with their
        rapidfuzz ratio, best first."""
        cfg = self.config
        words = key.split()
        tokens = words[: cfg.max_query_tokens]
        numbers = numbers_in(key)
        options = self._corrections(tokens, numbers)
        candidates: dict[str, None] = {}
        whole = len(words) == len(tokens)
        recombined = [k for k in self._recombinations(options) if k != key] if whole else []
        if recombined:
            found = self.store.top_entities(recombined, 1)
            candidates.update((k, None) for k in recombined if found[k])
        probes = list(dict.fromkeys(token for opts in options for token, _, _ in opts))
        postings = self.store.postings(probes, cfg.max_postings_per_token)
        for token in sorted(postings, key=lambda t: (len(postings[t]), t)):
            room = cfg.max_fuzzy_candidates - len(candidates)
            if room <= 0:
                break
            candidates.update((other, None) for other in postings[token][:room] if other != key)
        matches = process.extract(
            key,
            list(candidates),
            scorer=fuzz.ratio,
            score_cutoff=cfg.fuzzy_cutoff,
            limit=2 * cfg.max_fuzzy_keys,
        )
        near = [
            (match, float(score)) for match, score, _ in matches if numbers_in(match) == numbers
        ]
        near.sort(key=lambda item: (-item[1], item[0]))
        return near[: cfg.max_fuzzy_keys]

    def _corrections(self, tokens: list[str], numbers: frozenset[str]) -> list[list[Correction]]:
        """Per query token, the vocabulary tokens it may stand for, closest first."""
        cfg = self.config

        def fixed(token: str) -> bool:
            return len(token) < cfg.min_fuzzy_token_length or token in numbers

        blocks = [block for token in tokens if not fixed(token) for block in probe_blocks(token)]
        vocabulary = sorted(self.store.vocabulary(blocks)) if blocks else []
        close: list[list[tuple[str, int]]] = []
        for token in tokens:
            if fixed(token):
                close.append([(token, 0)])
                continue
            edits = cfg.max_token_edits if len(token) > cfg.short_token_length else 1
            found = process.extract(
                token,
                vocabulary,
                scorer=DamerauLevenshtein.distance,
                score_cutoff=edits,
                limit=None,
            )
            close.append([(match, int(distance)) for match, distance, _ in found])
        ambiguous = sorted({m for near in close if len(near) > 1 for m, _ in near})
        counts = self.store.key_counts(ambiguous, cfg.frequency_cap) if ambiguous else {}
        return [
            _best_corrections(token, near, counts, cfg.max_token_corrections)
            for token, near in zip(tokens, close, strict=True)
        ]

    def _recombinations(self, options: list[list[Correction]]) -> list[str]:
        """The likeliest rewrites of the whole query from per-token corrections."""
        if not options or any(not opts for opts in options):
            return []
        beam: list[tuple[int, float, tuple[str, ...]]] = [(0, 0.0, ())]
        for opts in options:
            grown = [
                (edits + distance, loss - ratio, (*words, token))
                for edits, loss, words in beam
                for token, distance, ratio in opts
            ]
            beam = sorted(grown)[: self.config.max_recombinations]
        return [" ".join(words) for edits, _, words in beam if edits > 0]
