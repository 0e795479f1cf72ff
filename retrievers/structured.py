"""Structured search: query understanding's interpretations as fielded tantivy queries.

Each interpretation of a query (:mod:`retrievers.understanding`) becomes one
query on the BM25 index's exact-match fields (:mod:`retrievers.bm25`):

* **Constraints** (must match, add no score): every slot but title words — an
  interpretation is a conjunction. Type words stand for entity types
  ("podcast" → shows and episodes); genres, moods and tags match their exact
  normalized keys; a decade or year is a release-year range. An artist, album
  or show name matches the named entity itself *or* the entities linked to it,
  so an artist query also brings the artist's tracks and albums, and a show
  query its episodes.
* **Evidence** (adds score): title words, BM25 on the title field plus a
  phrase bonus.
* **Boosts**: the named entity itself ranks above its parts, unless title words
  say a part is wanted; the type a type word mostly means ranks above the
  others (a show above its episodes for "podcast").
* **Popularity**: every score is multiplied by ``log2(2 + popularity)`` inside
  the engine, so a list of equally matching entities comes out by popularity
  and the top-k stays exact.

Only interpretations with an *anchor* are run: a slot other than title words,
type words or explicitness whose confidence, discounted by the interpretation's
score relative to the best one (as in ``QueryParse.slots``), reaches
``min_slot_confidence``. Title words alone are the lexical retriever's job, and
"clean" is no reason to list the whole clean catalog; a query nothing was
recognized in returns no candidates instead of noise.

An interpretation that only weakens a likelier one that found results is
skipped: it reads as title words what the likelier one reads as constraints
(``90s`` + title word "rock" after ``90s`` + genre rock), or reads part of a
name as a name of the same kind (genre "rock" inside "classic rock"). It would
add noise, not a new hypothesis. When the stricter reading finds nothing
(Taylor Swift + album "Love Story"), the relaxed one (Taylor Swift + title
words "love story") runs.

The request's hard filters are added to every query. Lists are merged by
summing, over interpretations, the interpretation's confidence times
``0.5 + 0.5 * score / top score``, so an entity found by several likely
readings rises, and one found by an unlikely reading alone sinks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import tantivy
from pydantic import BaseModel, ConfigDict, Field
from tantivy import Occur, Query

from catalog.model import EntityType
from retrievers.base import (
    Candidate,
    QuerySupport,
    RetrievalQuery,
    SearchFilters,
    rank_candidates,
)
from retrievers.bm25 import TantivyBM25
from retrievers.query_parse import ENTITY_NAME_KINDS, Interpretation, QueryParse, Slot
from retrievers.query_vocabulary import TYPE_DISTRIBUTIONS
from retrievers.understanding import QueryUnderstanding

_FACET_FIELD = {
    "genre": "genre_key",
    "mood": "mood_key",
    "tag": "tag_key",
    "language": "language",
    "explicit": "explicit",
}
_ANCHOR_KINDS = frozenset({"genre", "mood", "tag", "language", "decade", "year"}) | (
    ENTITY_NAME_KINDS
)
_LINK_FIELD = {"artist": "artist_key", "album": "album_key", "show": "show_key"}


_SlotKey = tuple[str, str, int, int]


def _constraint_slots(interpretation: Interpretation) -> set[_SlotKey]:
    return {
        (slot.kind, slot.value, slot.start, slot.end)
        for slot in interpretation.slots
        if slot.kind != "title_words"
    }


def _relaxes(weaker: set[_SlotKey], stricter: set[_SlotKey]) -> bool:
    """Whether every constraint of ``weaker`` is one of ``stricter`` or a part of one.

    A part is a slot of the same kind read from inside another's span (genre
    "rock" inside genre "classic rock").
    """
    if weaker == stricter:
        return False
    return all(
        any(
            kind == other_kind and other_start <= start and end <= other_end
            for other_kind, _, other_start, other_end in stricter
        )
        for kind, _, start, end in weaker
    )


class StructuredConfig(BaseModel):
    """Which interpretations run, and how their evidence is weighed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_slot_confidence: float = Field(
        default=0.3,
        ge=0.0,
        le=1.0,
        description="An anchor slot needs at least this, discounted by its reading's score.",
    )
    min_interpretation_confidence: float = Field(default=0.05, ge=0.0, le=1.0)
    entity_boost: float = Field(
        default=4.0, ge=0.0, description="Extra score of the named artist, album or show itself."
    )
    type_boost: float = Field(
        default=2.0, ge=0.0, description="Extra score, times its share, of a type-word type."
    )
    track_boost: float = Field(
        default=0.5, ge=0.0, description="Tracks over albums among a name's related entities."
    )
    title_weight: float = Field(default=1.0, ge=0.0)
    title_phrase_boost: float = Field(default=2.0, ge=0.0)


class StructuredSearch:
    """Fielded search over the BM25 index driven by query understanding."""

    name = "structured"

    def __init__(
        self,
        bm25: TantivyBM25,
        understanding: QueryUnderstanding,
        config: StructuredConfig | None = None,
    ) -> None:
        self.bm25 = bm25
        self.understanding = understanding
        self.config = config or StructuredConfig()

    def search(self, query: RetrievalQuery, k: int) -> list[Candidate]:
        if k <= 0:
            return []
        parse = query.understanding or self.understanding.parse(query.text)
        return self.search_parsed(parse, query.filters, k)

    def search_parsed(self, parse: QueryParse, filters: SearchFilters, k: int) -> list[Candidate]:
        """Search with a parse the caller already has (the pipeline parses once)."""
        if k <= 0:
            return []
        merged: dict[str, float] = {}
        answered: list[set[tuple[str, str, int, int]]] = []
        for interpretation in self.runnable(parse):
            anchors = _constraint_slots(interpretation)
            if any(_relaxes(anchors, stricter) for stricter in answered):
                continue  # only weakens a likelier reading that found results
            tantivy_query = self.build_query(interpretation, filters)
            hits = self.bm25.search_tantivy(tantivy_query, k, weight_by_popularity=True)
            if not hits:
                continue
            answered.append(anchors)
            top = hits[0][1] or 1.0
            for entity_id, score in hits:
                gain = interpretation.confidence * (0.5 + 0.5 * score / top)
                merged[entity_id] = merged.get(entity_id, 0.0) + gain
        ranked = sorted(merged.items(), key=lambda item: (-item[1], item[0]))[:k]
        return rank_candidates(ranked, self.name)

    def support(self, query: RetrievalQuery) -> QuerySupport:
        """An estimate of how many entities the anchored readings can match (the largest
        of the readings' narrowest constraints, from the index's term statistics; filters
        not applied), and the share of the parse's confidence those readings hold: 0 when
        nothing in the query is anchored, and structured search would return nothing."""
        parse = query.understanding or self.understanding.parse(query.text)
        runnable = self.runnable(parse)
        if not runnable:
            return QuerySupport(matches=0, coverage=0.0)
        total = self.bm25.num_docs
        matches, answered = 0, list[set[_SlotKey]]()
        for interpretation in runnable:
            anchors = _constraint_slots(interpretation)
            if any(_relaxes(anchors, stricter) for stricter in answered):
                continue  # the search skips it too when the stricter reading finds results
            narrowest = self._narrowest(interpretation, total)
            if narrowest:
                answered.append(anchors)
            matches = max(matches, narrowest)
        coverage = min(1.0, sum(interpretation.confidence for interpretation in runnable))
        return QuerySupport(matches=min(matches, total), coverage=coverage)

    def _narrowest(self, interpretation: Interpretation, total: int) -> int:
        """Documents matching one reading's most selective constraint (a year range counts
        as unselective: ranges have no term statistics)."""
        df = self.bm25.doc_freq
        sizes = [total]
        for slot in interpretation.slots:
            if slot.kind == "type":
                sizes.append(sum(df("type", t) for t in TYPE_DISTRIBUTIONS[slot.value]))
            elif slot.kind in ENTITY_NAME_KINDS:
                sizes.append(df("title_key", slot.value) + df(_LINK_FIELD[slot.kind], slot.value))
            elif slot.kind in _FACET_FIELD:
                sizes.append(df(_FACET_FIELD[slot.kind], slot.value))
        return min(sizes)

    def runnable(self, parse: QueryParse) -> list[Interpretation]:
        """The interpretations worth a query: likely enough and anchored, best first."""
        cfg = self.config
        if not parse.interpretations:
            return []
        top = parse.interpretations[0].score or 1.0
        out = []
        for interpretation in parse.interpretations:
            discount = min(1.0, interpretation.score / top)
            if interpretation.confidence >= cfg.min_interpretation_confidence and any(
                slot.kind in _ANCHOR_KINDS and slot.confidence * discount >= cfg.min_slot_confidence
                for slot in interpretation.slots
            ):
                out.append(interpretation)
        return out

    # -- query building ------------------------------------------------------------

    def build_query(self, interpretation: Interpretation, filters: SearchFilters) -> Any:
        """The tantivy query for one interpretation under the request's filters."""
        cfg = self.config
        constraints: list[Any] = []
        scoring: list[Any] = []
        has_title = any(slot.kind == "title_words" for slot in interpretation.slots)
        has_type = any(slot.kind == "type" for slot in interpretation.slots)
        for slot in interpretation.slots:
            if slot.kind == "title_words":
                scoring += self._title_clauses(slot.value)
            elif slot.kind == "type":
                types = TYPE_DISTRIBUTIONS[slot.value]
                constraints.append(self._any_of("type", list(types)))
                if len(types) > 1:
                    scoring += [
                        Query.const_score_query(self._term("type", t), cfg.type_boost * share)
                        for t, share in types.items()
                    ]
            elif slot.kind in ENTITY_NAME_KINDS:
                itself = self._itself(slot)
                linked = self._term(_LINK_FIELD[slot.kind], slot.value)
                constraints.append(self._either(itself, linked))
                if not has_title and cfg.entity_boost > 0:
                    scoring.append(Query.const_score_query(itself, cfg.entity_boost))
                if not has_type and cfg.track_boost > 0 and slot.kind != "show":
                    track = self._term("type", EntityType.TRACK.value)
                    scoring.append(Query.const_score_query(track, cfg.track_boost))
            elif slot.kind in _FACET_FIELD:
                constraints.append(self._term(_FACET_FIELD[slot.kind], slot.value))
            else:
                first = int(slot.value)
                last = first + 9 if slot.kind == "decade" else first
                schema = self.bm25.schema
                years = Query.range_query(schema, "year", tantivy.FieldType.Integer, first, last)
                constraints.append(years)
        if not constraints:
            return Query.empty_query()
        base = Query.boolean_query([(Occur.Must, c) for c in constraints])
        clauses: list[tuple[Any, Any]] = [(Occur.Must, Query.const_score_query(base, 1.0))]
        clauses += [(Occur.Should, q) for q in scoring]
        clauses += [(Occur.Must, q) for q in self.bm25.filter_clauses(filters)]
        return Query.boolean_query(clauses)

    def _term(self, field: str, value: str) -> Any:
        return Query.term_query(self.bm25.schema, field, value)

    def _any_of(self, field: str, values: Sequence[str]) -> Any:
        return Query.boolean_query([(Occur.Should, self._term(field, v)) for v in values])

    @staticmethod
    def _either(*queries: Any) -> Any:
        return Query.boolean_query([(Occur.Should, q) for q in queries])

    def _itself(self, slot: Slot) -> Any:
        """The artist, album or show entity the slot names."""
        return Query.boolean_query(
            [
                (Occur.Must, self._term("type", slot.kind)),
                (Occur.Must, self._term("title_key", slot.value)),
            ]
        )

    def _title_clauses(self, text: str) -> list[Any]:
        cfg = self.config
        tokens = self.bm25.analyze(text)
        if not tokens or cfg.title_weight <= 0:
            return []
        clauses = [
            Query.boost_query(self._term("title", token), cfg.title_weight)
            for token in dict.fromkeys(tokens)
        ]
        if len(tokens) > 1 and cfg.title_phrase_boost > 0:
            phrase = Query.phrase_query(self.bm25.schema, "title", list(tokens))
            clauses.append(Query.boost_query(phrase, cfg.title_phrase_boost))
        return clauses
