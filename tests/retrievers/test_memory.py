"""The Q2E memory, on both backends: every behaviour test runs on SQLite and on a real Redis."""

from __future__ import annotations

import itertools
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from catalog.ingest import CatalogReader, Upsert
from catalog.model import Entity, EntityType
from retrievers.base import (
    QuerySupport,
    RetrievalQuery,
    Retriever,
    SearchFilters,
    SupportEstimator,
    UpdatableIndex,
)
from retrievers.memory import Q2EMemory, memory_exists, open_store
from retrievers.memory_base import (
    Engagement,
    EngagementKind,
    EntityPredictions,
    MemoryConfig,
    Smoothing,
    UpdateOutcome,
    smoothed_score,
)
from retrievers.memory_redis import RedisMemoryStore
from retrievers.memory_sqlite import SqliteMemoryStore

FIXTURES = Path(__file__).resolve().parents[2] / "catalog" / "fixtures"
CATALOG: dict[str, Entity] = {
    change.entity.id: change.entity
    for change in CatalogReader(FIXTURES / "fixture_catalog.jsonl", strict=True)
    if isinstance(change, Upsert)
}
QUERIES = [
    line.split("\t", 1)[1]
    for line in (FIXTURES / "fixture_queries.tsv").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
LOVE_STORY = "fx:track:love-story-taylor-swift"
LOVE_STORY_TV = "fx:track:love-story-taylors-version-taylor-swift"
BOHEMIAN = "fx:track:bohemian-rhapsody-queen"
DAY = 86_400.0


def lookup(ids: Sequence[str]) -> dict[str, Entity]:
    return {i: CATALOG[i] for i in ids if i in CATALOG}


def play(at: float, duration_ms: int | None = None) -> Engagement:
    return Engagement(kind=EngagementKind.PLAY, at=at, duration_ms=duration_ms)


def top_ids(memory: Q2EMemory, text: str, k: int = 10) -> list[str]:
    return [c.entity_id for c in memory.search(RetrievalQuery(text), k)]


class Backend:
    """Opens memories on one durable location, so a reopened memory sees the same state."""

    def __init__(self, kind: str, data_dir: Path, redis_url: str | None) -> None:
        self.kind = kind
        self.data_dir = data_dir
        self.redis_url = redis_url
        self.opened: list[Q2EMemory] = []

    def open(self, config: MemoryConfig | None = None, *, catalog: bool = False) -> Q2EMemory:
        memory = Q2EMemory.open(
            self.data_dir, config, redis_url=self.redis_url, lookup=lookup, namespace="test:"
        )
        self.opened.append(memory)
        if catalog:
            memory.upsert(CATALOG.values())
        return memory

    def close(self) -> None:
        for memory in self.opened:
            memory.close()


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.integration)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    redis_url = None
    if request.param == "redis":
        request.getfixturevalue("redis_client")  # a flushed database
        redis_url = request.getfixturevalue("redis_url")
    opened = Backend(request.param, tmp_path, redis_url)
    yield opened
    opened.close()


# --- cold start ---------------------------------------------------------------------------


def test_memory_is_a_retriever_and_an_updatable_index(backend: Backend) -> None:
    memory = backend.open()
    assert isinstance(memory, Retriever)
    assert isinstance(memory, UpdatableIndex)
    assert memory.name == "memory"


def test_cold_start_finds_spearfishing_targets(backend: Backend) -> None:
    memory = backend.open(catalog=True)
    assert top_ids(memory, "bohemian rhapsody")[0] == BOHEMIAN
    assert top_ids(memory, "Taylor Swift — Love Story")[0] == LOVE_STORY
    assert top_ids(memory, "queen", 1) == ["fx:artist:queen"]
    results = memory.search(RetrievalQuery("bohemian rhapsody"), 5)
    assert [c.rank for c in results] == list(range(1, len(results) + 1))
    assert all(0 < c.score <= 1 and c.strategy == "memory" for c in results)


def test_misspelled_head_query_is_found_by_fuzzy_lookup(backend: Backend) -> None:
    memory = backend.open(catalog=True)
    assert memory.scores_for("tayler swfit love story", list(CATALOG)) == {}
    near = dict(memory.near_keys("tayler swfit love story"))
    assert near["taylor swift love story"] > 90
    results = memory.search(RetrievalQuery("tayler swfit love story"), 5)
    assert results[0].entity_id == LOVE_STORY
    exact = memory.search(RetrievalQuery("taylor swift love story"), 1)[0]
    assert results[0].score < exact.score, "near hits are discounted by similarity"


@pytest.fixture(scope="module")
def cold_memory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Q2EMemory]:
    """A read-only cold-start memory of the fixture catalog (SQLite)."""
    memory = Q2EMemory.open(tmp_path_factory.mktemp("cold"), lookup=lookup)
    memory.upsert(CATALOG.values())
    yield memory
    memory.close()


@pytest.mark.parametrize(
    ("typed", "wanted"),
    [
        ("bohemain rhapsody", BOHEMIAN),  # transposition
        ("bohemian rapsody", BOHEMIAN),  # dropped letter
        ("queeen", "fx:artist:queen"),  # doubled letter
        ("lana del ray", "fx:artist:lana-del-rey"),  # vowel confusion
        ("billie eyelish", "fx:artist:billie-eilish"),  # two edits in a long word
        ("kendric lamar", "fx:artist:kendrick-lamar"),
        ("beatels", "fx:artist:the-beatles"),
        ("mr brightsid", "fx:track:mr-brightside-the-killers"),  # unfinished word
    ],
)
def test_typos_find_their_entity(cold_memory: Q2EMemory, typed: str, wanted: str) -> None:
    assert cold_memory.lookup_pair(typed, wanted) is None
    assert top_ids(cold_memory, typed, 3)[0] == wanted


def test_fuzzy_lookup_can_be_switched_off(backend: Backend) -> None:
    memory = backend.open(MemoryConfig(fuzzy=False), catalog=True)
    assert top_ids(memory, "tayler swfit love story") == []


def test_decades_are_never_corrected(backend: Backend) -> None:
    memory = backend.open(catalog=True)
    assert all("70s" not in key for key, _ in memory.near_keys("90s rock"))


def test_filters_are_honoured(backend: Backend) -> None:
    memory = backend.open(catalog=True)
    only_tracks = SearchFilters(types=[EntityType.TRACK])
    results = memory.search(RetrievalQuery("queen", only_tracks), 5)
    assert results
    assert all(CATALOG[c.entity_id].type is EntityType.TRACK for c in results)
    clean_90s = SearchFilters(year_min=1990, year_max=1999)
    assert memory.search(RetrievalQuery("bohemian rhapsody", clean_90s), 5)[0].entity_id == (
        "fx:track:bohemian-rhapsody-the-braids"
    )
    blind = Q2EMemory(memory.store, memory.config)
    with pytest.raises(RuntimeError, match="entity lookup"):
        blind.search(RetrievalQuery("queen", only_tracks), 5)


@pytest.mark.parametrize(("text", "k"), [("", 5), ("!!!", 5), ("queen", 0)])
def test_empty_searches(backend: Backend, text: str, k: int) -> None:
    assert backend.open(catalog=True).search(RetrievalQuery(text), k) == []


# --- learning -----------------------------------------------------------------------------


def test_ten_plays_teach_a_misspelled_query(backend: Backend) -> None:
    memory = backend.open(catalog=True)
    assert top_ids(memory, "tayler love")[:1] != [LOVE_STORY_TV]
    outcomes = [
        memory.update("tayler love", LOVE_STORY_TV, play(1000.0 + i), event_id=f"ev-{i}").outcome
        for i in range(10)
    ]
    assert outcomes == [UpdateOutcome.CREATED] + [UpdateOutcome.APPLIED] * 9
    assert top_ids(memory, "tayler love")[0] == LOVE_STORY_TV
    pair = memory.lookup_pair("Tayler  LOVE", LOVE_STORY_TV)
    assert pair is not None
    assert pair.predicted is None
    assert pair.events == 10
    assert pair.learned
    assert pair.score > 0.6
    assert "tayler love" in dict(memory.near_keys("tayler lovee")), "learned keys are found"


def test_support_counts_the_exact_query_pairs_only(backend: Backend) -> None:
    """What the memory holds for a query before searching: its pairs, not near keys'."""
    memory = backend.open(catalog=True)
    assert isinstance(memory, SupportEstimator)
    exact = memory.support(RetrievalQuery("Bohemian Rhapsody"))
    assert exact.coverage == 1.0
    assert exact.matches == len(memory.search(RetrievalQuery("bohemian rhapsody"), 100)) > 0
    nothing = QuerySupport(matches=0, coverage=0.0)
    assert memory.support(RetrievalQuery("tayler swfit love story")) == nothing
    assert memory.support(RetrievalQuery("   ")) == nothing
    memory.update("tayler swfit love story", LOVE_STORY, play(1.0))
    assert memory.support(RetrievalQuery("tayler swfit love story")).matches == 1


def test_learned_rate_replaces_the_prediction(backend: Backend) -> None:
    memory = backend.open(MemoryConfig(smoothing=Smoothing(half_life_s=None)), catalog=True)
    cold = memory.lookup_pair("love story", LOVE_STORY_TV)
    assert cold is not None
    assert cold.score == pytest.approx(cold.predicted)
    for i in range(200):
        memory.update("love story", LOVE_STORY_TV, play(float(i)))
    warm = memory.lookup_pair("love story", LOVE_STORY_TV)
    assert warm is not None
    assert warm.predicted == cold.predicted
    assert warm.score > 0.95
    assert warm.evidence == pytest.approx(200.0)


@pytest.mark.parametrize(
    "engagement",
    [
        Engagement(kind=EngagementKind.SKIP, at=10.0),
        Engagement(kind=EngagementKind.IMPRESSION, at=10.0),
        play(10.0, duration_ms=2_000),
    ],
    ids=["skip", "impression", "short-play"],
)
def test_negative_engagement_lowers_a_score(backend: Backend, engagement: Engagement) -> None:
    memory = backend.open(catalog=True)
    before = memory.lookup_pair("bohemian rhapsody", BOHEMIAN)
    result = memory.update("bohemian rhapsody", BOHEMIAN, engagement)
    assert result.outcome is UpdateOutcome.APPLIED
    assert before is not None
    assert result.pair is not None
    assert result.pair.score < before.score
    assert result.pair.negative > 0
    assert memory.lookup_pair("bohemian rhapsody", BOHEMIAN) == result.pair


def test_positive_engagement_raises_a_score(backend: Backend) -> None:
    memory = backend.open(catalog=True)
    before = memory.lookup_pair("bohemian rhapsody", BOHEMIAN)
    like = Engagement(kind=EngagementKind.LIKE, at=10.0)
    after = memory.update("bohemian rhapsody", BOHEMIAN, like).pair
    assert before is not None
    assert after is not None
    assert after.score > before.score


def test_negative_evidence_never_creates_a_pair(backend: Backend) -> None:
    memory = backend.open(catalog=True)
    skip = Engagement(kind=EngagementKind.SKIP, at=1.0)
    result = memory.update("a query nobody typed", BOHEMIAN, skip)
    assert result == type(result)(UpdateOutcome.NO_PAIR, None)
    assert memory.lookup_pair("a query nobody typed", BOHEMIAN) is None


def test_time_decay_shrinks_old_evidence(backend: Backend) -> None:
    config = MemoryConfig(smoothing=Smoothing(half_life_s=DAY))
    memory = backend.open(config, catalog=True)
    for i in range(4):
        memory.update("bohemian rhapsody", BOHEMIAN, play(0.0), event_id=f"p{i}")
    fresh = memory.lookup_pair("bohemian rhapsody", BOHEMIAN)
    assert fresh is not None
    assert fresh.positive == pytest.approx(4.0)
    ignored = Engagement(kind=EngagementKind.IMPRESSION, at=DAY)
    later = memory.update("bohemian rhapsody", BOHEMIAN, ignored).pair
    assert later is not None
    assert later.positive == pytest.approx(2.0)
    assert later.negative == pytest.approx(0.2)
    assert later.events == 5
    read_later = memory.lookup_pair("bohemian rhapsody", BOHEMIAN, now=3 * DAY)
    assert read_later is not None
    assert read_later.positive == pytest.approx(0.5)
    assert read_later.score < later.score
    assert memory.lookup_pair("bohemian rhapsody", BOHEMIAN) == later, "reads never write"


def test_event_decay_halves_evidence_every_n_events(backend: Backend) -> None:
    config = MemoryConfig(smoothing=Smoothing(half_life_s=None, half_life_events=1.0))
    memory = backend.open(config)
    for _ in range(3):
        pair = memory.update("q", "e:1", play(0.0)).pair
    assert pair is not None
    assert pair.positive == pytest.approx(1.75)  # 1 + 1/2 + 1/4


def test_replayed_event_ids_are_applied_once(backend: Backend) -> None:
    memory = backend.open(catalog=True)
    first = memory.update("bohemian rhapsody", BOHEMIAN, play(5.0), event_id="evt-1")
    again = memory.update("bohemian rhapsody", BOHEMIAN, play(5.0), event_id="evt-1")
    assert first.outcome is UpdateOutcome.APPLIED
    assert again.outcome is UpdateOutcome.DUPLICATE
    reopened = backend.open()
    replay = reopened.update("bohemian rhapsody", BOHEMIAN, play(5.0), event_id="evt-1")
    assert replay.outcome is UpdateOutcome.DUPLICATE
    pair = reopened.lookup_pair("bohemian rhapsody", BOHEMIAN)
    assert pair is not None
    assert pair.events == 1
    assert reopened.forget_events(before=6.0) == 1
    assert reopened.update("bohemian rhapsody", BOHEMIAN, play(5.0), event_id="evt-1").outcome is (
        UpdateOutcome.APPLIED
    )


def test_concurrent_updates_are_not_lost(backend: Backend) -> None:
    memories = [backend.open(), backend.open()]  # two writers, as two worker processes

    def work(memory: Q2EMemory, worker: int) -> None:
        for i in range(40):
            memory.update("shared query", "e:1", play(float(i)), event_id=f"w{worker}-{i}")

    threads = [threading.Thread(target=work, args=(m, n)) for n, m in enumerate(memories)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pair = memories[0].lookup_pair("shared query", "e:1")
    assert pair is not None
    assert pair.events == 80


# --- catalog changes ----------------------------------------------------------------------


def test_upsert_replaces_predictions_but_keeps_learned_evidence(backend: Backend) -> None:
    memory = backend.open(catalog=True)
    for i in range(3):
        memory.update("taylor swift love story", LOVE_STORY, play(float(i)))
    memory.update("my favourite song", LOVE_STORY, play(3.0))
    learned = memory.lookup_pair("taylor swift love story", LOVE_STORY)
    assert learned is not None

    renamed = CATALOG[LOVE_STORY].model_copy(update={"title": "Love Story 2008", "popularity": 40})
    memory.upsert([renamed])
    kept = memory.lookup_pair("taylor swift love story", LOVE_STORY)
    assert kept is not None
    assert kept.predicted is None, "no longer predicted: the unknown-pair prior applies"
    assert (kept.positive, kept.events) == (learned.positive, learned.events)
    assert memory.lookup_pair("love story by taylor swift", LOVE_STORY) is None
    assert memory.lookup_pair("love story 2008", LOVE_STORY) is not None
    assert memory.lookup_pair("my favourite song", LOVE_STORY) is not None

    memory.upsert([CATALOG[LOVE_STORY]])
    restored = memory.lookup_pair("taylor swift love story", LOVE_STORY)
    assert restored is not None
    assert restored.predicted == learned.predicted
    assert restored.score == pytest.approx(learned.score)
    assert memory.lookup_pair("love story 2008", LOVE_STORY) is None
    assert "love story 2008" not in dict(memory.near_keys("love story 2008"))


def test_delete_removes_every_pair_and_its_keys(backend: Backend) -> None:
    memory = backend.open(catalog=True)
    memory.update("queens best song", BOHEMIAN, play(1.0))
    assert memory.delete([BOHEMIAN, "fx:track:no-such-thing"]) == 2
    assert BOHEMIAN not in top_ids(memory, "bohemian rhapsody")
    assert memory.lookup_pair("queens best song", BOHEMIAN) is None
    assert "queens best song" not in dict(memory.near_keys("queens best songs"))
    assert "queen bohemian rhapsody" not in dict(memory.near_keys("queen bohemian rhapsodi"))
    assert top_ids(memory, "bohemian rhapsody")[0] == "fx:track:bohemian-rhapsody-the-braids"


def test_clear_predicted_keeps_only_what_engagement_taught(backend: Backend) -> None:
    memory = backend.open(catalog=True)
    memory.update("queens best song", BOHEMIAN, play(1.0))
    for i in range(3):
        memory.update("taylor swift love story", LOVE_STORY, play(float(i)))
    learned = memory.lookup_pair("taylor swift love story", LOVE_STORY)
    assert learned is not None
    assert learned.predicted is not None
    assert len(top_ids(memory, "taylor swift love story")) > 1

    memory.clear_predicted()
    kept = memory.lookup_pair("taylor swift love story", LOVE_STORY)
    assert kept is not None
    assert kept.predicted is None, "no longer predicted: the unknown-pair prior applies"
    assert (kept.positive, kept.negative, kept.events) == (
        learned.positive,
        learned.negative,
        learned.events,
    )
    assert kept.score == pytest.approx(
        smoothed_score(None, kept.positive, kept.negative, MemoryConfig().smoothing)
    )
    assert top_ids(memory, "taylor swift love story") == [LOVE_STORY]
    assert top_ids(memory, "queens best song") == [BOHEMIAN]
    assert top_ids(memory, "bohemian rhapsody") == []
    assert "queens best song" in dict(memory.near_keys("queens best songs"))
    assert dict(memory.near_keys("queen bohemian rhapsodi")) == {}
    before = snapshot(memory)
    memory.clear_predicted()
    assert snapshot(memory) == before, "clearing twice changes nothing"


def test_a_cold_memory_cleared_of_predictions_is_empty(backend: Backend) -> None:
    memory = backend.open(catalog=True)
    assert top_ids(memory, "tayler swfit love story")
    memory.clear_predicted()
    for text in [*QUERIES, "tayler swfit love story", "bohemian rhap"]:
        assert top_ids(memory, text) == []
        assert memory.near_keys(text) == []
    memory.update("tayler love", LOVE_STORY_TV, play(1.0))
    assert top_ids(memory, "tayler love") == [LOVE_STORY_TV], "and learns from engagement"


# --- persistence and congruence ------------------------------------------------------------


def apply_script(memory: Q2EMemory) -> None:
    """A fixed sequence of engagements used by the reload and congruence tests."""
    kinds = itertools.cycle(list(EngagementKind))
    targets = itertools.cycle([LOVE_STORY_TV, BOHEMIAN, "fx:artist:queen", LOVE_STORY])
    for i, (text, kind, target) in enumerate(zip(QUERIES * 3, kinds, targets, strict=False)):
        duration = 12_000 if kind is EngagementKind.PLAY else None
        event = Engagement(kind=kind, at=1_000.0 + 3_600.0 * i, duration_ms=duration)
        memory.update(text, target, event, event_id=f"script-{i}")


def snapshot(memory: Q2EMemory) -> list[object]:
    results: list[object] = []
    for text in [*QUERIES, "tayler love", "tayler swfit love story", "bohemian rhap"]:
        results.append([(c.entity_id, c.score) for c in memory.search(RetrievalQuery(text), 10)])
        results.append(memory.near_keys(text))
        pairs = memory.scores_for(text, [LOVE_STORY_TV, BOHEMIAN, "fx:artist:queen", LOVE_STORY])
        results.append(sorted(pairs.items()))
    return results


def test_save_reload_gives_identical_results(backend: Backend) -> None:
    memory = backend.open(catalog=True)
    apply_script(memory)
    before = snapshot(memory)
    memory.close()
    assert snapshot(backend.open()) == before


@pytest.mark.integration
def test_backends_are_congruent(tmp_path: Path, redis_url: str, redis_client: object) -> None:
    sqlite = Backend("sqlite", tmp_path, None)
    redis_backend = Backend("redis", tmp_path, redis_url)
    try:
        memories = [sqlite.open(catalog=True), redis_backend.open(catalog=True)]
        for memory in memories:
            apply_script(memory)
            memory.upsert([CATALOG[LOVE_STORY].model_copy(update={"popularity": 10})])
            memory.delete(["fx:artist:queen"])
        assert snapshot(memories[0]) == snapshot(memories[1])
        for memory in memories:
            memory.clear_predicted()
        assert snapshot(memories[0]) == snapshot(memories[1])
    finally:
        sqlite.close()
        redis_backend.close()


def dump_tables(store: SqliteMemoryStore) -> dict[str, list[object]]:
    with sqlite3.connect(store.path) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("pairs", "postings", "vocabulary")
        }


def test_bulk_cold_start_equals_batch_by_batch_upserts(tmp_path: Path) -> None:
    renamed = CATALOG[LOVE_STORY].model_copy(update={"title": "Love Story 2008"})
    entities = [renamed, *CATALOG.values(), renamed]  # re-upserts replace earlier predictions
    bulk = Q2EMemory.open(tmp_path / "bulk")
    bulk.upsert(entities)
    batches = Q2EMemory.open(tmp_path / "batches")
    batches.upsert(entities[:1])  # no longer empty: every later call goes batch by batch
    batches.upsert(entities[1:])
    try:
        assert isinstance(bulk.store, SqliteMemoryStore)
        assert isinstance(batches.store, SqliteMemoryStore)
        assert dump_tables(bulk.store) == dump_tables(batches.store)
        assert bulk.lookup_pair("love story 2008", LOVE_STORY) is not None
        assert bulk.lookup_pair("taylor swift love story", LOVE_STORY) is None
    finally:
        bulk.close()
        batches.close()


def test_clear_predicted_equals_replacing_every_prediction_with_none(tmp_path: Path) -> None:
    cleared = Q2EMemory.open(tmp_path / "cleared")
    replaced = Q2EMemory.open(tmp_path / "replaced")
    try:
        for memory in (cleared, replaced):
            memory.upsert(CATALOG.values())
            apply_script(memory)
        cleared.clear_predicted()
        replaced.store.replace_predicted([EntityPredictions(eid, {}) for eid in CATALOG])
        assert isinstance(cleared.store, SqliteMemoryStore)
        assert isinstance(replaced.store, SqliteMemoryStore)
        tables = dump_tables(cleared.store)
        assert tables == dump_tables(replaced.store)
        assert tables["pairs"], "learned pairs stay"
    finally:
        cleared.close()
        replaced.close()


# --- invariants ---------------------------------------------------------------------------

_events = st.lists(
    st.tuples(
        st.sampled_from(["tayler love", "bohemian rhapsody", "x"]),
        st.sampled_from(["e:1", "e:2"]),
        st.sampled_from(list(EngagementKind)),
        st.integers(min_value=0, max_value=200_000),
        st.floats(min_value=0, max_value=1e7, allow_nan=False),
        st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
    ),
    max_size=25,
)
_namespaces = itertools.count()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("redis", marks=pytest.mark.integration)])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=_events)
def test_scores_stay_in_unit_interval_and_evidence_non_negative(
    kind: str,
    events: list[tuple[str, str, EngagementKind, int, float, str | None]],
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    smoothing = Smoothing(half_life_s=3_600.0, half_life_events=4.0)
    config = MemoryConfig(smoothing=smoothing)
    if kind == "sqlite":
        store = SqliteMemoryStore(tmp_path_factory.mktemp("prop"), smoothing)
    else:
        namespace = f"prop{next(_namespaces)}:"
        store = RedisMemoryStore(redis_url, smoothing, namespace=namespace)
    memory = Q2EMemory(store, config)
    try:
        memory.store.replace_predicted([])
        seen: set[str] = set()
        for text, entity_id, engagement_kind, duration, at, event_id in events:
            duration_ms = duration if engagement_kind is EngagementKind.PLAY else None
            engagement = Engagement(kind=engagement_kind, at=at, duration_ms=duration_ms)
            result = memory.update(text, entity_id, engagement, event_id=event_id)
            if event_id is not None and event_id in seen:
                assert result.outcome is UpdateOutcome.DUPLICATE
            if event_id is not None:
                seen.add(event_id)
            for pair in memory.scores_for(text, ["e:1", "e:2"], now=at).values():
                assert 0.0 <= pair.score <= 1.0
                assert pair.positive >= 0.0
                assert pair.negative >= 0.0
                assert pair.events >= 1
    finally:
        memory.close()


# --- configuration and bad inputs -------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Engagement(kind=EngagementKind.SKIP, at=1.0, duration_ms=5), "only meaningful"),
        (lambda: Engagement(kind=EngagementKind.PLAY, at=-1.0), "greater than or equal"),
        (lambda: MemoryConfig(fuzzy_cutoff=120), "less than or equal"),
        (lambda: MemoryConfig(half_life=3), "extra"),
        (lambda: Smoothing(prior_strength=0), "greater than 0"),
    ],
)
def test_invalid_configuration_is_rejected(build: object, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        build()  # type: ignore[operator]


def test_update_rejects_empty_queries(tmp_path: Path) -> None:
    memory = Q2EMemory.open(tmp_path)
    with pytest.raises(ValueError, match="no searchable characters"):
        memory.update("?!", "e:1", play(1.0))
    memory.close()


def test_store_selection_by_url(tmp_path: Path) -> None:
    assert not memory_exists(tmp_path)
    store = open_store(tmp_path)
    assert memory_exists(tmp_path)
    assert isinstance(store, SqliteMemoryStore)
    assert store.path.parent == tmp_path / "memory"
    store.close()
    with pytest.raises(ValueError, match=r"valid schemes: \['redis', 'rediss', 'unix'\]"):
        open_store(tmp_path, redis_url="http://localhost:6379")


def test_store_and_config_must_agree_on_smoothing(tmp_path: Path) -> None:
    store = SqliteMemoryStore(tmp_path, Smoothing(prior_strength=2.0))
    with pytest.raises(ValueError, match="different smoothing"):
        Q2EMemory(store, MemoryConfig())
    store.close()
