"""Segmentation: consistent readings of a whole query, found by beam search.

Query understanding (:mod:`retrievers.understanding`) reads each n-gram in
several ways; this module chooses how to cover the whole token sequence with
them. Each token is covered by exactly one reading, read as a title word, or —
for function words — skipped.

A segmentation scores the geometric mean of the confidences of the tokens it
explains (a reading covering three tokens counts three times), so readings of
different lengths compete on equal terms, times ``segment_penalty`` per slot
beyond the first, so that a title is not cut around a coincidental tag. Runs of
title words become one ``title_words`` slot. Function words next to a slot
belong to the phrasing ("podcast about the ...") and are trimmed; inside a run,
or when the run is the whole query, they belong to the title ("let it be").

A beam of ``beam_width`` partial segmentations per token position bounds the
work: at most ``beam_width`` times (1 + readings starting there) extensions per
token. Segmentations with the same slots are merged (best score kept).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from retrievers.query_parse import Slot, clamp_confidence
from retrievers.query_vocabulary import TITLE_WORD_TYPES


@dataclass(frozen=True, slots=True)
class Reading:
    """One way to read a span of the query: a slot, and the entity types it points at."""

    slot: Slot
    types: dict[str, float]


@dataclass(frozen=True, slots=True)
class Word:
    """A token read as a title word: its confidence and (possibly corrected) value."""

    confidence: float
    value: str
    similarity: float = 100.0
    stop: bool = False
    """A function word: explains nothing, costs nothing."""


Segmentation = tuple[list[Slot], float, list[Reading]]
"""Slots in query order, score, and the readings behind the slots."""


@dataclass(frozen=True, slots=True)
class _Path:
    items: tuple[tuple[int, int, Reading | None], ...]
    logsum: float
    content: int

    @property
    def score(self) -> float:
        return math.exp(self.logsum / self.content) if self.content else 0.0


def _beam(
    work: list[str], readings: dict[int, list[Reading]], words: list[Word], width: int
) -> list[_Path]:
    """Every complete segmentation the beam kept, best first."""
    beams: list[list[_Path]] = [[] for _ in range(len(work) + 1)]
    beams[0] = [_Path((), 0.0, 0)]
    for start in range(len(work)):
        beams[start].sort(key=lambda p: -p.score if p.content else -1.0)
        word = words[start]
        for path in beams[start][:width]:
            if word.stop:
                beams[start + 1].append(
                    _Path((*path.items, (start, start + 1, None)), path.logsum, path.content)
                )
            else:
                beams[start + 1].append(
                    _Path(
                        (*path.items, (start, start + 1, None)),
                        path.logsum + math.log(max(word.confidence, 1e-6)),
                        path.content + 1,
                    )
                )
            for reading in readings.get(start, ()):
                span = reading.slot.end - start
                beams[reading.slot.end].append(
                    _Path(
                        (*path.items, (start, reading.slot.end, reading)),
                        path.logsum + span * math.log(max(reading.slot.confidence, 1e-6)),
                        path.content + span,
                    )
                )
    return sorted(beams[len(work)], key=lambda p: -p.score)


def segmentations(
    work: list[str],
    readings: dict[int, list[Reading]],
    words: list[Word],
    *,
    beam_width: int,
    segment_penalty: float,
    relative_floor: float,
    limit: int,
) -> list[Segmentation]:
    """Distinct segmentations scoring at least ``relative_floor`` of the best, best first.

    ``readings`` maps a start token to the readings starting there; ``words`` gives
    every token's reading as a title word (or marks it a function word).
    """
    best: dict[tuple[tuple[str, str], ...], Segmentation] = {}
    for path in _beam(work, readings, words, beam_width):
        slots, used = _path_slots(work, path, words)
        score = path.score * segment_penalty ** max(0, len(slots) - 1)
        signature = tuple((s.kind, s.value) for s in slots)
        if signature not in best or best[signature][1] < score:
            best[signature] = (slots, score, used)
    ranked = sorted(best.values(), key=lambda item: -item[1])
    if not ranked:
        return []
    floor = relative_floor * ranked[0][1]
    kept = [item for item in ranked if item[1] >= floor and (item[0] or item is ranked[0])]
    return kept[:limit]


def _path_slots(
    work: list[str], path: _Path, words: list[Word]
) -> tuple[list[Slot], list[Reading]]:
    """The slots of a segmentation; runs of title words become one slot."""
    slots: list[Slot] = []
    readings: list[Reading] = []
    run: list[int] = []

    def flush() -> None:
        # Function words next to a slot belong to the phrasing ("podcast about
        # the ..."); inside a run, or where the run is the whole query, to the title.
        while run and run[0] > 0 and words[run[0]].stop:
            run.pop(0)
        while run and run[-1] < len(work) - 1 and words[run[-1]].stop:
            run.pop()
        if all(words[i].stop for i in run):
            run.clear()
        if run:
            content = [words[i] for i in run if not words[i].stop]
            confidence = math.exp(sum(math.log(max(w.confidence, 1e-6)) for w in content))
            confidence **= 1.0 / len(content)
            slot = Slot(
                kind="title_words",
                value=" ".join(words[i].value for i in run),
                display=" ".join(words[i].value for i in run),
                confidence=clamp_confidence(confidence),
                start=run[0],
                end=run[-1] + 1,
                surface=" ".join(work[i] for i in run),
                fuzzy=any(words[i].value != work[i] for i in run),
                similarity=min(words[i].similarity for i in run),
            )
            slots.append(slot)
            readings.append(Reading(slot, TITLE_WORD_TYPES))
        run.clear()

    for start, _, reading in path.items:
        if reading is None:
            run.append(start)
            continue
        flush()
        slots.append(reading.slot)
        readings.append(reading)
    flush()
    return slots, readings
