"""BM25 on tantivy: quality on the fixture catalog, filters, updates and persistence."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from catalog.model import Entity, EntityType
from catalog.store import EntityStore
from retrievers.base import QuerySupport, RetrievalQuery, SearchFilters, SupportEstimator
from retrievers.bm25 import Bm25Config, TantivyBM25, popularity_tier
from service.strategies import STORE_FILE, bm25_path


@pytest.fixture(scope="module")
def bm25(fixture_data_dir: Path) -> TantivyBM25:
    return TantivyBM25(bm25_path(fixture_data_dir))


@pytest.fixture(scope="module")
def store(fixture_data_dir: Path) -> EntityStore:
    return EntityStore(fixture_data_dir / STORE_FILE)


def _top(
    bm25: TantivyBM25,
    store: EntityStore,
    text: str,
    k: int = 10,
    filters: SearchFilters | None = None,
) -> list[Entity]:
    query = RetrievalQuery(text, filters or SearchFilters())
    ids = [c.entity_id for c in bm25.search(query, k)]
    found = store.get_many(ids)
    return [found[i] for i in ids]


def test_bohemian_rhapsody_finds_queen_first(bm25: TantivyBM25, store: EntityStore) -> None:
    top = _top(bm25, store, "bohemian rhapsody")
    assert (top[0].title, top[0].artists, top[0].type) == (
        "Bohemian Rhapsody",
        ["Queen"],
        EntityType.TRACK,
    )


def test_taylor_swift_love_story_in_top_3(bm25: TantivyBM25, store: EntityStore) -> None:
    top = _top(bm25, store, "taylor swift love story", k=3)
    assert any(e.title == "Love Story" and "Taylor Swift" in e.artists for e in top)


def test_accents_and_case_fold(bm25: TantivyBM25) -> None:
    assert bm25.analyze("Beyoncé CRAZY in Love") == ["beyonce", "crazy", "in", "love"]


def test_candidates_are_ranked_and_named(bm25: TantivyBM25) -> None:
    candidates = bm25.search(RetrievalQuery("love"), 25)
    assert 1 < len(candidates) <= 25
    assert [c.rank for c in candidates] == list(range(1, len(candidates) + 1))
    assert all(c.strategy == "bm25" for c in candidates)
    scores = [c.score for c in candidates]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("text", ["", "   ", "!!! ???", "((("])
def test_queries_without_tokens_return_nothing(bm25: TantivyBM25, text: str) -> None:
    assert bm25.search(RetrievalQuery(text), 10) == []


def test_query_syntax_characters_are_plain_text(bm25: TantivyBM25) -> None:
    assert bm25.search(RetrievalQuery('love AND "story" OR title:(x'), 5)


FILTER_CASES = [
    SearchFilters(types=[EntityType.SHOW]),
    SearchFilters(genres=["rock"], year_min=1990, year_max=1999),
    SearchFilters(year_min=2000),
    SearchFilters(languages=["es", "fr"]),
    SearchFilters(explicit=True),
    SearchFilters(explicit=False, types=[EntityType.TRACK, EntityType.ALBUM]),
]


@pytest.mark.parametrize("filters", FILTER_CASES)
def test_filters_hold_for_every_result(
    bm25: TantivyBM25, store: EntityStore, filters: SearchFilters
) -> None:
    for text in ("love", "the", "rock", "history", "a"):
        for entity in _top(bm25, store, text, k=200, filters=filters):
            assert filters.matches(entity), (text, entity.id)


def test_filters_do_not_reorder(bm25: TantivyBM25) -> None:
    plain = bm25.search(RetrievalQuery("love"), 200)
    tracks = bm25.search(RetrievalQuery("love", SearchFilters(types=[EntityType.TRACK])), 200)
    assert {c.entity_id: c.score for c in tracks}.items() <= {
        c.entity_id: c.score for c in plain
    }.items()


def test_prior_can_be_switched_off(fixture_data_dir: Path) -> None:
    on = TantivyBM25(bm25_path(fixture_data_dir))
    off = TantivyBM25(bm25_path(fixture_data_dir), Bm25Config(prior_weight=0.0))
    query = RetrievalQuery("love")
    with_prior = {c.entity_id: c.score for c in on.search(query, 50)}
    without = {c.entity_id: c.score for c in off.search(query, 50)}
    shared = set(with_prior) & set(without)
    assert shared
    assert all(with_prior[i] >= without[i] - 1e-6 for i in shared)
    assert any(with_prior[i] > without[i] + 1e-3 for i in shared)


@pytest.mark.parametrize(
    ("popularity", "tier"), [(0, 0), (0.01, 1), (10, 1), (10.5, 2), (99.9, 10), (100, 10)]
)
def test_popularity_tier(popularity: float, tier: int) -> None:
    assert popularity_tier(popularity, 10) == tier


def _entity(eid: str, title: str, **fields: object) -> Entity:
    return Entity.model_validate({"id": eid, "type": "track", "title": title, **fields})


def test_upsert_delete_and_reload(tmp_path: Path) -> None:
    index = TantivyBM25(tmp_path / "bm25")
    index.upsert([_entity("a", "Paper Planes", artists=["M.I.A."]), _entity("b", "Paper Moon")])
    assert next(c.entity_id for c in index.search(RetrievalQuery("paper planes"), 5)) == "a"

    index.upsert([_entity("a", "Galang", artists=["M.I.A."])])  # update in place
    assert index.num_docs == 2
    assert [c.entity_id for c in index.search(RetrievalQuery("paper"), 5)] == ["b"]
    assert [c.entity_id for c in index.search(RetrievalQuery("galang"), 5)] == ["a"]

    index.delete(["b"])
    assert index.search(RetrievalQuery("paper"), 5) == []
    assert index.num_docs == 1

    reopened = TantivyBM25(tmp_path / "bm25")
    assert [c.entity_id for c in reopened.search(RetrievalQuery("galang mia"), 5)] == ["a"]


def test_save_and_reload_give_identical_results(fixture_data_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "bm25-copy"
    shutil.copytree(bm25_path(fixture_data_dir), copy)
    original = TantivyBM25(bm25_path(fixture_data_dir))
    reloaded = TantivyBM25(copy)
    for text in ("bohemian rhapsody", "love", "true crime", "90s rock", "taylor swift"):
        assert original.search(RetrievalQuery(text), 50) == reloaded.search(
            RetrievalQuery(text), 50
        )


def test_schema_version_mismatch_is_refused(tmp_path: Path) -> None:
    TantivyBM25(tmp_path / "bm25")
    (tmp_path / "bm25" / "ltrr-schema-version").write_text("0")
    with pytest.raises(RuntimeError, match="schema version 0"):
        TantivyBM25(tmp_path / "bm25")


def test_indexing_the_same_catalog_twice_ranks_ties_the_same(tmp_path: Path) -> None:
    """Equal scores keep the index's document order, so that order must not depend on how
    indexing threads happened to interleave: fresh indexes rank identically."""
    entities = [
        _entity(f"e{i:04d}", "Love", artists=[f"Artist {i % 7}"], popularity=50)
        for i in range(3000)
    ]
    rankings = []
    for build in range(3):
        index = TantivyBM25(tmp_path / f"bm25-{build}")
        index.upsert(entities)
        rankings.append([c.entity_id for c in index.search(RetrievalQuery("love"), 100)])
    assert rankings[0] == rankings[1] == rankings[2]


def test_support_counts_documents_and_the_tokens_the_index_holds(bm25: TantivyBM25) -> None:
    """Support comes from term statistics: a misspelled token is in no document, so half of
    ``bohemian rhapsodyy`` is covered; a query of unknown tokens has nothing to offer."""
    assert isinstance(bm25, SupportEstimator)
    exact = bm25.support(RetrievalQuery("bohemian rhapsody"))
    assert exact.coverage == 1.0
    assert 1 <= exact.matches <= bm25.num_docs
    hits = bm25.search(RetrievalQuery("bohemian rhapsody"), 1000)
    assert exact.matches >= len(hits), "an upper bound on what the search can return"
    typo = bm25.support(RetrievalQuery("bohemian rhapsodyy"))
    assert typo.coverage == 0.5
    assert 1 <= typo.matches <= exact.matches
    assert bm25.support(RetrievalQuery("zzzzq qqqqz")) == QuerySupport(matches=0, coverage=0.0)
    assert bm25.support(RetrievalQuery("!!!")) == QuerySupport(matches=0, coverage=0.0)


def test_support_bounds_every_fixture_query(bm25: TantivyBM25) -> None:
    """Every hit holds a query token, so the documents holding them bound the results."""
    path = Path(__file__).resolve().parents[2] / "catalog" / "fixtures" / "fixture_queries.tsv"
    queries = [line.split("\t", 1)[1] for line in path.read_text().splitlines() if "\t" in line]
    assert len(queries) > 20
    for text in queries:
        support = bm25.support(RetrievalQuery(text))
        found = bm25.search(RetrievalQuery(text), 1000)
        assert support.matches >= len(found), text
        assert (support.coverage > 0) == bool(found), text
