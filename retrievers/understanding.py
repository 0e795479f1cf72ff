"""Query understanding: what a search query asks for, as slots with confidences.

A query is normalized (:func:`retrievers.normalize.normalize_query`, the same
form the Q2E memory keys on) and split into tokens. Then:

1. **Readings.** Every n-gram of up to five tokens is read against the fixed
   vocabularies of :mod:`retrievers.query_vocabulary` (types, decades, years,
   languages, explicitness) and, when none applies, against the catalog's names
   in the :class:`retrievers.gazetteer.Gazetteer` (artist, album, show, genre,
   mood, tag): exactly, by alias ("beatles"), or — for n-grams holding a token
   no title or name contains — fuzzily with rapidfuzz (``tayler swfit`` →
   Taylor Swift). Tokens read as title words are spell-corrected the same way
   (``rapsody`` → ``rhapsody``).
2. **Confidence of a reading** (0..1) multiplies a prior per kind by the name's
   strength, with penalties and bonuses: artist and show names are as strong as
   their most popular carrier (Queen at 88 is a strong hint, the band Love at 42
   a weak one); genres, moods and tags by how many entities carry them; a name
   whose words are common title words loses up to half its confidence ("love"
   occurs in dozens of titles; commonness is relative to the catalog's size and
   multiplies over a name's words); names of several tokens gain (a two-word
   coincidence is rarer); a fuzzy match keeps 55 to 90% depending on its
   similarity above the cutoff, and only names within ``fuzzy_tie_margin`` of the
   closest one compete (popularity breaks near-ties, not distant ones). A title
   word is worth 0.25 to 0.5 by how many titles contain it, 0.1 if no title or
   name does.
3. **Interpretations.** A beam search (:mod:`retrievers.segmentation`) segments
   the tokens: each token is covered by one reading, read as a title word, or
   skipped as a function word. A segmentation scores the geometric mean of the
   confidences of the tokens it explains, so readings compete on equal terms
   whatever their length, times ``segment_penalty`` per slot beyond the first,
   so that a title is not needlessly cut around a coincidental tag ("smells
   like *teen* spirit"). The best
   segmentations within ``relative_floor`` of the top one are kept; their
   ``confidence`` is their share of the kept scores, so an ambiguous query
   ("love": title words, the tag, the band) keeps several with similar shares.
4. **Aggregates.** Each distinct slot is listed once, at its confidence in the
   likeliest interpretation holding it, times that interpretation's score
   relative to the best one (a reading the query barely supports cannot yield a
   confident slot). Entity-type
   probabilities mix, over interpretations, the types named by type words, or
   else those the slots point at (an artist alone: the artist or its tracks; a
   genre: the types its carriers have).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from catalog.model import EntityType
from retrievers.gazetteer import NAME_KINDS, Gazetteer, NameHit
from retrievers.normalize import normalize_query
from retrievers.query_parse import (
    ENTITY_NAME_KINDS,
    Interpretation,
    QueryParse,
    Slot,
    SlotKind,
    clamp_confidence,
)

__all__ = [
    "Interpretation",
    "QueryParse",
    "QueryUnderstanding",
    "Slot",
    "SlotKind",
    "UnderstandingConfig",
]
from retrievers.query_vocabulary import (
    ALL_STOPWORDS,
    ATTRIBUTE_TYPES,
    NAME_TYPES,
    NAME_WITH_TITLE_TYPES,
    TITLE_WORD_TYPES,
    TYPE_DISTRIBUTIONS,
    VocabMatch,
    guess_language,
    vocabulary_matches,
)
from retrievers.segmentation import Reading, Segmentation, Word, segmentations

_KIND_PRIOR: Final = {
    "artist": (0.35, 0.6),
    "show": (0.35, 0.6),
    "album": (0.25, 0.5),
    "genre": (0.75, 0.15),
    "mood": (0.55, 0.2),
    "tag": (0.25, 0.35),
}
"""Per kind: (base, gain); gain scales popularity (names) or carrier count (facets)."""
_COMMON_WORD_PENALTY: Final = {
    "artist": 0.5,
    "album": 0.6,
    "show": 0.4,
    "genre": 0.15,
    "mood": 0.3,
    "tag": 0.3,
}


class UnderstandingConfig(BaseModel):
    """Bounds and thresholds of query understanding."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_tokens: int = Field(default=16, ge=1, description="Tokens read; the rest are ignored.")
    max_name_tokens: int = Field(default=5, ge=1)
    max_fuzzy_tokens: int = Field(default=4, ge=1)
    max_fuzzy_lookups: int = Field(default=16, ge=0)
    fuzzy_min_chars: int = Field(
        default=5, ge=2, description="Shorter n-grams and tokens are never corrected."
    )
    fuzzy_cutoff: float = Field(default=80.0, ge=50.0, le=100.0)
    fuzzy_cutoff_long: float = Field(
        default=78.0, ge=50.0, le=100.0, description="Cutoff for n-grams of 9+ characters."
    )
    fuzzy_tie_margin: float = Field(
        default=5.0, ge=0.0, description="Fuzzy names this far below the closest are dropped."
    )
    beam_width: int = Field(default=24, ge=1)
    max_interpretations: int = Field(default=5, ge=1)
    relative_floor: float = Field(default=0.3, ge=0.0, le=1.0)
    segment_penalty: float = Field(
        default=0.92, gt=0.0, le=1.0, description="Score factor per slot beyond the first."
    )


def _normalized(weights: dict[str, float]) -> dict[str, float]:
    total = sum(weights.values()) or 1.0
    return {key: value / total for key, value in weights.items()}


class QueryUnderstanding:
    """Parses queries against a gazetteer; safe to share between threads."""

    def __init__(self, gazetteer: Gazetteer, config: UnderstandingConfig | None = None) -> None:
        self.gazetteer = gazetteer
        self.config = config or UnderstandingConfig()

    def parse(self, text: str) -> QueryParse:
        """Read a query: tokens, language, slots, interpretations and entity types."""
        normalized = normalize_query(text)
        tokens = normalized.split()
        language, language_confidence = guess_language(text, tokens)
        work = tokens[: self.config.max_tokens]
        all_stop = all(token in ALL_STOPWORDS for token in work)
        words = [self._word(token, all_stop) for token in work]
        cfg = self.config
        kept = segmentations(
            work,
            self._readings(work),
            words,
            beam_width=cfg.beam_width,
            segment_penalty=cfg.segment_penalty,
            relative_floor=cfg.relative_floor,
            limit=cfg.max_interpretations,
        )
        total = sum(score for _, score, _ in kept) or 1.0
        interpretations = [
            Interpretation(
                slots=slots,
                score=clamp_confidence(score),
                confidence=clamp_confidence(score / total),
            )
            for slots, score, _ in kept
        ]
        return QueryParse(
            text=text,
            normalized=normalized,
            tokens=tokens,
            language=language,
            language_confidence=language_confidence,
            type_probabilities=self._type_probabilities(kept, total),
            slots=self._distinct_slots(interpretations),
            interpretations=interpretations,
            corrections=self._corrections(interpretations),
        )

    # -- readings ------------------------------------------------------------------

    def _readings(self, work: list[str]) -> dict[int, list[Reading]]:
        cfg, gazetteer = self.config, self.gazetteer
        unknown = [
            token not in ALL_STOPWORDS
            and not gazetteer.is_known(token)
            and not vocabulary_matches(token)
            for token in work
        ]
        budget = cfg.max_fuzzy_lookups
        out: dict[int, list[Reading]] = defaultdict(list)
        for start in range(len(work)):
            for end in range(start + 1, min(len(work), start + cfg.max_name_tokens) + 1):
                if end - start == 1 and work[start] in ALL_STOPWORDS:
                    continue
                ngram = " ".join(work[start:end])
                vocab = vocabulary_matches(ngram)
                if vocab:
                    out[start] += [self._vocab_reading(v, start, end, ngram) for v in vocab]
                    continue
                hits = [h for h in gazetteer.lookup(ngram) if h.stats.kind in NAME_KINDS]
                if (
                    not hits
                    and budget > 0
                    and any(unknown[start:end])
                    and end - start <= cfg.max_fuzzy_tokens
                    and len(ngram) >= cfg.fuzzy_min_chars
                ):
                    budget -= 1
                    cutoff = cfg.fuzzy_cutoff_long if len(ngram) >= 9 else cfg.fuzzy_cutoff
                    hits = [
                        h
                        for h in gazetteer.fuzzy_lookup(ngram, score_cutoff=cutoff, limit=5)
                        if h.stats.kind in NAME_KINDS
                    ]
                    # Popularity only breaks near-ties: a much closer name wins.
                    closest = max((h.score for h in hits), default=0.0)
                    hits = [h for h in hits if h.score >= closest - cfg.fuzzy_tie_margin]
                best: dict[tuple[str, str], Reading] = {}
                for hit in hits:
                    reading = self._name_reading(hit, start, end, ngram)
                    key = (hit.stats.kind, hit.stats.name)
                    if key not in best or best[key].slot.confidence < reading.slot.confidence:
                        best[key] = reading
                out[start] += sorted(best.values(), key=lambda r: -r.slot.confidence)[:6]
        return out

    def _vocab_reading(self, match: VocabMatch, start: int, end: int, ngram: str) -> Reading:
        confidence = match.confidence
        types = dict(ATTRIBUTE_TYPES)
        if match.kind == "language" and self.gazetteer.get("language", match.value) is None:
            confidence *= 0.6  # the catalog has nothing in that language
        if match.kind == "type":
            types = TYPE_DISTRIBUTIONS[match.value]
        slot = Slot(
            kind=match.kind,
            value=match.value,
            display=match.display,
            confidence=clamp_confidence(confidence),
            start=start,
            end=end,
            surface=ngram,
        )
        return Reading(slot, types)

    def _name_reading(self, hit: NameHit, start: int, end: int, ngram: str) -> Reading:
        stats = hit.stats
        base, gain = _KIND_PRIOR[stats.kind]
        if stats.kind in ENTITY_NAME_KINDS:
            strength = stats.max_popularity / 100.0
        else:
            strength = min(1.0, math.log1p(stats.count) / math.log1p(50))
        confidence = base + gain * strength
        confidence *= 1.0 - _COMMON_WORD_PENALTY[stats.kind] * self._commonness(stats.name)
        confidence = 1.0 - (1.0 - confidence) * 0.7 ** (len(stats.name.split()) - 1)
        fuzzy = hit.score < 100.0
        if fuzzy:
            cutoff = self.config.fuzzy_cutoff_long if len(ngram) >= 9 else self.config.fuzzy_cutoff
            quality = (hit.score - cutoff) / max(1e-6, 100.0 - cutoff)
            confidence *= 0.55 + 0.35 * min(1.0, max(0.0, quality))
        elif hit.alias:
            confidence *= 0.95
        slot = Slot(
            kind=stats.kind,
            value=stats.name,
            display=stats.surface,
            confidence=clamp_confidence(confidence),
            start=start,
            end=end,
            surface=ngram,
            fuzzy=fuzzy,
            similarity=round(hit.score, 2),
        )
        return Reading(slot, self._name_types(stats.kind, stats.type_counts))

    def _commonness(self, name: str) -> float:
        """How likely the name's words are plain title words, 0..1.

        Per word, its title frequency against a half-saturation that grows with the
        catalog (every word is frequent in a big one); multiplied over the words, as
        if they fell into a query together by chance.
        """
        half = max(5.0, 1e-4 * self.gazetteer.entity_count)
        commonness = 1.0
        for token in name.split():
            frequency = self.gazetteer.word_frequency(token)
            commonness *= frequency / (frequency + half)
        return commonness

    @staticmethod
    def _name_types(kind: str, counts: dict[str, int]) -> dict[str, float]:
        if kind in NAME_TYPES:
            return NAME_TYPES[kind]
        smoothed = {t.value: counts.get(t.value, 0) + 0.5 for t in EntityType}
        return _normalized(smoothed)

    def _word(self, token: str, all_stop: bool) -> Word:
        if token in ALL_STOPWORDS and not all_stop:
            return Word(0.0, token, stop=True)
        gazetteer = self.gazetteer
        frequency = gazetteer.word_frequency(token)
        if frequency:
            return Word(0.25 + 0.25 * min(1.0, math.log1p(frequency) / math.log1p(20)), token)
        if (
            gazetteer.is_known(token)
            or token.isdigit()
            or token in ALL_STOPWORDS
            or vocabulary_matches(token)
        ):
            return Word(0.3, token)
        if len(token) >= self.config.fuzzy_min_chars:
            cutoff = self.config.fuzzy_cutoff
            corrected = gazetteer.correct_word(token, score_cutoff=cutoff)
            if corrected is not None:
                word, similarity = corrected
                quality = (similarity - cutoff) / max(1e-6, 100.0 - cutoff)
                return Word(0.15 + 0.2 * quality, word, round(similarity, 2))
        return Word(0.1, token)

    # -- aggregates ----------------------------------------------------------------

    @staticmethod
    def _type_probabilities(kept: list[Segmentation], total: float) -> dict[EntityType, float]:
        mixture = dict.fromkeys((t.value for t in EntityType), 0.0)
        for _, score, readings in kept:
            typed = [r for r in readings if r.slot.kind == "type"]
            others = [r for r in readings if r.slot.kind != "type"]
            has_title = any(r.slot.kind == "title_words" for r in readings)
            dist = QueryUnderstanding._mix(others, has_title)
            if typed:
                named = QueryUnderstanding._mix(typed, has_title)
                dist = {t: 0.85 * named[t] + 0.15 * dist[t] for t in dist} if others else named
            for entity_type, share in dist.items():
                mixture[entity_type] += score / total * share
        if not kept:
            mixture = dict.fromkeys(mixture, 1.0 / len(mixture))
        norm = sum(mixture.values()) or 1.0
        return {EntityType(t): clamp_confidence(p / norm) for t, p in mixture.items()}

    @staticmethod
    def _mix(readings: list[Reading], has_title: bool) -> dict[str, float]:
        dist = dict.fromkeys((t.value for t in EntityType), 0.0)
        if not readings:
            return dict(_normalized({**dist, **TITLE_WORD_TYPES}))
        for reading in readings:
            types = reading.types
            if has_title and reading.slot.kind in ENTITY_NAME_KINDS:
                types = NAME_WITH_TITLE_TYPES[reading.slot.kind]
            for entity_type, share in types.items():
                dist[entity_type] += reading.slot.confidence * share
        return _normalized(dist)

    @staticmethod
    def _distinct_slots(interpretations: list[Interpretation]) -> list[Slot]:
        """Each distinct slot once, at its confidence in the likeliest reading holding it.

        A slot read only by a less plausible interpretation is discounted by the ratio
        of that interpretation's score to the best one's.
        """
        if not interpretations:
            return []
        top = interpretations[0].score or 1.0
        distinct: dict[tuple[str, str, int, int], Slot] = {}
        for interpretation in interpretations:
            for slot in interpretation.slots:
                key = (slot.kind, slot.value, slot.start, slot.end)
                confidence = clamp_confidence(
                    slot.confidence * min(1.0, interpretation.score / top)
                )
                if key not in distinct or distinct[key].confidence < confidence:
                    distinct[key] = slot.model_copy(update={"confidence": confidence})
        return sorted(distinct.values(), key=lambda s: (-s.confidence, s.start))

    @staticmethod
    def _corrections(interpretations: list[Interpretation]) -> dict[str, str]:
        """Fuzzy names by the query text they came from; corrected title words by token."""
        out: dict[str, str] = {}
        for interpretation in interpretations:
            for slot in (s for s in interpretation.slots if s.fuzzy):
                if slot.kind != "title_words":
                    out.setdefault(slot.surface, slot.display)
                    continue
                for typed, read in zip(slot.surface.split(), slot.value.split(), strict=True):
                    if typed != read:
                        out.setdefault(typed, read)
        return out
