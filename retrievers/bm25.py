"""BM25 lexical retrieval on an embedded tantivy index.

Scoring is Okapi BM25 (Robertson & Zaragoza, "The Probabilistic Relevance
Framework: BM25 and Beyond", 2009) as implemented by tantivy, computed per
field. A query is built per token as a disjunction-max over the boosted fields
(the best field wins, the others add ``tie_breaker`` of their score), summed
over tokens, plus a bonus when the whole query occurs as a phrase in the title
— the usual "best fields" shape for short, name-like queries.

The popularity prior is additive and evaluated inside the engine, so the
top-k is exact at any catalog size: each entity is indexed with the tokens of
every popularity tier up to its own (``t1 … tN``), and the query adds one
constant-score clause of weight ``prior_weight / N`` per tier. An entity of
tier ``n`` therefore gains ``prior_weight * n / N``; ``prior_weight = 0``
switches the prior off.

Besides the analyzed text fields, every entity carries exact-match keys for
structured search (``retrievers.structured``): names normalized with
:func:`retrievers.normalize.normalize_query` (``title_key``, ``artist_key``,
``album_key``, ``show_key``, ``genre_key``, ``mood_key``, ``tag_key``), the raw
link ids (``artist_id``, ``album_id``, ``show_id``; an artist entity lists its
own id) and a fast ``popularity`` column used to weight or order constrained
queries.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import tantivy
from pydantic import BaseModel, ConfigDict, Field
from tantivy import Query

from catalog.model import Entity, EntityType
from retrievers.base import (
    Candidate,
    QuerySupport,
    RetrievalQuery,
    SearchFilters,
    rank_candidates,
)
from retrievers.normalize import normalize_query

ANALYZER = "ltrr"
SCHEMA_VERSION = 2
TEXT_FIELDS = ("title", "artist", "album", "show", "tags", "description")
KEY_FIELDS = (
    "title_key",
    "artist_key",
    "album_key",
    "show_key",
    "genre_key",
    "mood_key",
    "tag_key",
)
"""Exact-match fields holding names normalized by ``normalize_query``."""
LINK_FIELDS = ("artist_id", "album_id", "show_id")
"""Raw ids of the linked artist, album and show entities."""


class Bm25Config(BaseModel):
    """Tunable scoring of the lexical retriever (``LTRR_BM25__*``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field_boosts: dict[str, float] = Field(
        default_factory=lambda: {
            "title": 3.0,
            "artist": 2.0,
            "album": 1.0,
            "show": 1.5,
            "tags": 1.0,
            "description": 0.4,
        },
        description="Per-field boost; a field with boost 0 is not searched.",
    )
    tie_breaker: float = Field(default=0.2, ge=0.0, le=1.0)
    title_phrase_boost: float = Field(default=3.0, ge=0.0)
    prior_weight: float = Field(
        default=2.0, ge=0.0, description="Additive popularity prior at popularity 100; 0 = off."
    )
    prior_tiers: int = Field(default=10, ge=1, le=100)


def build_analyzer() -> Any:
    """Tokenize on non-alphanumerics, lowercase, and fold accents (``Beyoncé`` → ``beyonce``)."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(64))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


def build_schema() -> Any:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("type", tokenizer_name="raw")
    for name in TEXT_FIELDS:
        builder.add_text_field(name, tokenizer_name=ANALYZER)
    builder.add_text_field("genre", tokenizer_name="raw")
    builder.add_text_field("language", tokenizer_name="raw")
    builder.add_text_field("explicit", tokenizer_name="raw")
    builder.add_text_field("pop_tier", tokenizer_name="whitespace")
    builder.add_integer_field("year", indexed=True, fast=True)
    for name in (*KEY_FIELDS, *LINK_FIELDS):
        builder.add_text_field(name, tokenizer_name="raw")
    builder.add_float_field("popularity", fast=True)
    return builder.build()


def popularity_tier(popularity: float, tiers: int) -> int:
    """Map popularity 0..100 to a tier 0..tiers (0 only for popularity 0)."""
    return min(tiers, math.ceil(popularity / 100.0 * tiers))


class TantivyBM25:
    """Fielded BM25 over a persisted tantivy index, with filters and incremental updates."""

    name = "bm25"

    def __init__(self, path: Path, config: Bm25Config | None = None) -> None:
        self.path = path
        self.config = config or Bm25Config()
        path.mkdir(parents=True, exist_ok=True)
        self._check_version()
        self._schema = build_schema()
        self._analyzer = build_analyzer()
        self._index = tantivy.Index(self._schema, path=str(path), reuse=True)
        self._index.register_tokenizer(ANALYZER, self._analyzer)
        self._write_lock = threading.Lock()
        self._searcher = self._index.searcher()

    # -- persistence -----------------------------------------------------------------

    def _check_version(self) -> None:
        marker = self.path / "ltrr-schema-version"
        if marker.exists():
            found = marker.read_text().strip()
            if found != str(SCHEMA_VERSION):
                raise RuntimeError(
                    f"BM25 index at {self.path} has schema version {found}, this build needs "
                    f"{SCHEMA_VERSION}: rebuild it with `ltrr index`"
                )
        else:
            marker.write_text(str(SCHEMA_VERSION))

    @property
    def num_docs(self) -> int:
        return int(self._searcher.num_docs)

    # -- indexing --------------------------------------------------------------------

    def _document(self, entity: Entity) -> Any:
        tier = popularity_tier(entity.popularity, self.config.prior_tiers)
        doc = tantivy.Document(
            id=entity.id,
            type=entity.type.value,
            title=entity.title,
            explicit="true" if entity.explicit else "false",
        )
        for artist in entity.artists:
            doc.add_text("artist", artist)
        if entity.album:
            doc.add_text("album", entity.album)
        if entity.show:
            doc.add_text("show", entity.show)
        for tag in (*entity.genres, *entity.moods, *entity.tags):
            doc.add_text("tags", tag)
        for genre in entity.genres:
            doc.add_text("genre", genre)
        if entity.description:
            doc.add_text("description", entity.description)
        if entity.language:
            doc.add_text("language", entity.language)
        if entity.release_year is not None:
            doc.add_integer("year", entity.release_year)
        if tier:
            doc.add_text("pop_tier", " ".join(f"t{n}" for n in range(1, tier + 1)))
        self._add_structured_fields(doc, entity)
        return doc

    @staticmethod
    def _add_structured_fields(doc: Any, entity: Entity) -> None:
        """Exact keys, link ids and popularity used by structured search."""
        keys: dict[str, list[str]] = {
            "title_key": [entity.title],
            "artist_key": entity.artists,
            "album_key": [entity.album] if entity.album else [],
            "show_key": [entity.show] if entity.show else [],
            "genre_key": entity.genres,
            "mood_key": entity.moods,
            "tag_key": entity.tags,
        }
        for field_name, values in keys.items():
            for value in dict.fromkeys(normalize_query(v) for v in values):
                if value:
                    doc.add_text(field_name, value)
        artist_ids = list(entity.artist_ids)
        if entity.type is EntityType.ARTIST and entity.id not in artist_ids:
            artist_ids.append(entity.id)
        for artist_id in artist_ids:
            doc.add_text("artist_id", artist_id)
        if entity.album_id:
            doc.add_text("album_id", entity.album_id)
        if entity.show_id:
            doc.add_text("show_id", entity.show_id)
        doc.add_float("popularity", float(entity.popularity))

    def upsert(self, entities: Iterable[Entity], *, heap_bytes: int = 200_000_000) -> int:
        """Insert or replace entities by id and commit; searches see them on return."""
        with self._write_lock:
            # One indexing thread: with several, documents land in per-thread segments in
            # whatever order the threads interleave, and equal scores rank by that order —
            # fresh indexes of the same catalog would rank ties differently.
            writer = self._index.writer(heap_bytes, 1)
            count = 0
            try:
                for entity in entities:
                    writer.delete_documents_by_term("id", entity.id)
                    writer.add_document(self._document(entity))
                    count += 1
                writer.commit()
                writer.wait_merging_threads()
            except BaseException:
                writer.rollback()
                raise
            self._reload()
            return count

    def delete(self, entity_ids: Sequence[str]) -> int:
        """Delete entities by id and commit."""
        with self._write_lock:
            writer = self._index.writer(50_000_000, 1)
            for entity_id in entity_ids:
                writer.delete_documents_by_term("id", entity_id)
            writer.commit()
            writer.wait_merging_threads()
            self._reload()
            return len(entity_ids)

    def _reload(self) -> None:
        self._index.reload()
        self._searcher = self._index.searcher()

    # -- search ----------------------------------------------------------------------

    def analyze(self, text: str) -> list[str]:
        """Tokens of ``text`` exactly as the index sees them."""
        return list(self._analyzer.analyze(text))

    def build_query(self, query: RetrievalQuery) -> Any | None:
        """The tantivy query for a search, or None when the text has no searchable token."""
        tokens = list(dict.fromkeys(self.analyze(query.text)))
        if not tokens:
            return None
        cfg = self.config

        fields = [(f, w) for f, w in cfg.field_boosts.items() if w > 0]
        per_token = [
            Query.disjunction_max_query(
                [Query.boost_query(Query.term_query(self._schema, f, tok), w) for f, w in fields],
                cfg.tie_breaker,
            )
            for tok in tokens
        ]
        text_query = Query.boolean_query([(tantivy.Occur.Should, q) for q in per_token])
        clauses: list[tuple[Any, Any]] = [(tantivy.Occur.Must, text_query)]
        all_tokens = self.analyze(query.text)
        if cfg.title_phrase_boost > 0 and len(all_tokens) > 1:
            phrase_terms: list[str | tuple[int, str]] = list(all_tokens)
            phrase = Query.phrase_query(self._schema, "title", phrase_terms)
            clauses.append(
                (tantivy.Occur.Should, Query.boost_query(phrase, cfg.title_phrase_boost))
            )
        if cfg.prior_weight > 0:
            step = cfg.prior_weight / cfg.prior_tiers
            for tier in range(1, cfg.prior_tiers + 1):
                tier_query = Query.term_query(self._schema, "pop_tier", f"t{tier}")
                clauses.append((tantivy.Occur.Should, Query.const_score_query(tier_query, step)))
        clauses.extend((tantivy.Occur.Must, q) for q in self.filter_clauses(query.filters))
        return Query.boolean_query(clauses)

    def doc_freq(self, field_name: str, value: str) -> int:
        """How many documents hold the term ``value`` in ``field_name`` (an index statistic)."""
        return int(self._searcher.doc_freq(field_name, value))

    def support(self, query: RetrievalQuery) -> QuerySupport:
        """An upper bound on the documents the query can match (its tokens' document
        frequencies summed over the boosted fields; filters not applied), and the share of
        its tokens the index holds at all (a misspelled token is in no document)."""
        tokens = list(dict.fromkeys(self.analyze(query.text)))
        if not tokens:
            return QuerySupport(matches=0, coverage=0.0)
        fields = [f for f, w in self.config.field_boosts.items() if w > 0]
        freqs = [sum(self.doc_freq(f, tok) for f in fields) for tok in tokens]
        return QuerySupport(
            matches=min(sum(freqs), self.num_docs),
            coverage=sum(1 for n in freqs if n > 0) / len(tokens),
        )

    @property
    def schema(self) -> Any:
        """The tantivy schema, for callers composing their own queries."""
        return self._schema

    def filter_clauses(self, filters: SearchFilters) -> list[Any]:
        """Filters as zero-scoring queries, each to be added as a MUST clause.

        They restrict, never reorder: a query with these clauses scores every
        surviving entity exactly as it would without them.
        """

        schema = self._schema

        def any_of(field_name: str, values: Iterable[str]) -> Any:
            terms = [
                (tantivy.Occur.Should, Query.term_query(schema, field_name, v)) for v in values
            ]
            return Query.const_score_query(Query.boolean_query(terms), 0.0)

        out: list[Any] = []
        if filters.types is not None:
            out.append(any_of("type", [t.value for t in filters.types]))
        if filters.genres is not None:
            out.append(any_of("genre", [g.lower() for g in filters.genres]))
        if filters.languages is not None:
            out.append(any_of("language", filters.languages))
        if filters.explicit is not None:
            out.append(any_of("explicit", ["true" if filters.explicit else "false"]))
        if filters.year_min is not None or filters.year_max is not None:
            years = Query.range_query(
                schema, "year", tantivy.FieldType.Integer, filters.year_min, filters.year_max
            )
            out.append(Query.const_score_query(years, 0.0))
        return out

    def search_tantivy(
        self, query: Any, k: int, *, weight_by_popularity: bool = False
    ) -> list[tuple[str, float]]:
        """Run a prepared tantivy query: ``(entity_id, score)`` pairs, best first.

        With ``weight_by_popularity`` each score is multiplied by
        ``log2(2 + popularity)`` inside the engine, so the top-k stays exact.
        """
        if k <= 0:
            return []
        searcher = self._searcher
        weight = "popularity" if weight_by_popularity else None
        hits = searcher.search(query, limit=k, count=False, weight_by_field=weight).hits
        return [
            (str(searcher.doc(address).get_first("id")), float(score)) for score, address in hits
        ]

    def search(self, query: RetrievalQuery, k: int) -> list[Candidate]:
        tantivy_query = self.build_query(query)
        if tantivy_query is None or k <= 0:
            return []
        return rank_candidates(self.search_tantivy(tantivy_query, k), self.name)
