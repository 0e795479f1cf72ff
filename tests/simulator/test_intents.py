"""Latent intents: graded ground truth for every type, deterministic sampling, a shared head."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.model import EntityType
from simulator.intents import (
    GroundTruth,
    Intent,
    IntentType,
    attribute_truth,
    ground_truth,
    related_truth,
    spearfish_truth,
)
from simulator.population import Population, PopulationConfig
from simulator.queries import QueryConfig, QueryFormulator, partial_title
from simulator.sampling import IntentConfig, IntentSampler, zipf_index
from simulator.world import CatalogWorld, base_title, decades_of


@pytest.fixture(scope="module")
def sampler(world: CatalogWorld) -> IntentSampler:
    return IntentSampler(world, IntentConfig(), seed=3)


@pytest.fixture(scope="module")
def population(world: CatalogWorld) -> Population:
    return Population.generate(world, PopulationConfig(listeners=300), seed=3)


def _draw(
    sampler: IntentSampler, population: Population, n: int, seed: int
) -> list[tuple[Intent, bool]]:
    drawn = []
    for i in range(n):
        rng = random.Random(f"{seed}:{i}")
        drawn.append(sampler.sample(rng, population.pick(rng)))
    return drawn


def test_every_intent_type_has_graded_nonempty_ground_truth(
    world: CatalogWorld, sampler: IntentSampler, population: Population
) -> None:
    by_type: dict[IntentType, list[Intent]] = {}
    for intent, _ in _draw(sampler, population, 600, seed=1):
        by_type.setdefault(intent.type, []).append(intent)
    assert set(by_type) == set(IntentType)
    for kind, intents in by_type.items():
        grades_seen: Counter[int] = Counter()
        for intent in intents:
            truth = sampler.truth(intent)
            assert truth, f"{intent.key} has no intended entity"
            assert truth.targets
            assert all(1 <= g <= 3 for g in truth.grades.values())
            assert all(truth.grade(t) == truth.max_grade for t in truth.targets)
            assert all(eid in world.entities for eid in truth.grades)
            grades_seen.update(truth.grades.values())
        assert grades_seen[3] > 0, kind
        assert len(grades_seen) >= 2, f"{kind} judgments are not graded: {grades_seen}"


def test_spearfish_truth_grades_versions_and_neighbours(world: CatalogWorld) -> None:
    track = next(
        eid
        for eid in world.of_type(EntityType.TRACK)
        if world.get(eid).album_id in world.entities and world.get(eid).artist_ids
    )
    truth = spearfish_truth(world, track)
    entity = world.get(track)
    assert truth.targets == {track}
    assert truth.grade(track) == 3
    assert truth.grade(str(entity.album_id)) == 1
    assert truth.grade(entity.artist_ids[0]) == 1
    for eid, grade in truth.grades.items():
        if grade == 2:
            assert base_title(world.get(eid).title).casefold() == (
                base_title(entity.title).casefold()
            )


def test_attribute_truth_three_levels(world: CatalogWorld) -> None:
    truth = attribute_truth(
        world,
        frozenset({EntityType.TRACK, EntityType.PLAYLIST}),
        {"genre": "rock", "decade": "90s"},
    )
    assert truth.max_grade == 3
    music = (EntityType.TRACK, EntityType.PLAYLIST)
    for eid, grade in truth.grades.items():
        entity = world.get(eid)
        matches = ("rock" in entity.genres) + ("90s" in decades_of(entity))
        assert grade == (3 if matches == 2 and entity.type in music else 2 if matches == 2 else 1)
        if grade == 1:
            assert entity.type in music


def test_related_truth_of_an_artist(world: CatalogWorld) -> None:
    artist = world.of_type(EntityType.ARTIST)[0]
    truth = related_truth(world, artist)
    assert truth.grade(artist) == 2
    assert truth.targets
    assert all(world.get(eid).type is EntityType.TRACK for eid in truth.targets)
    assert all(artist in world.get(eid).artist_ids for eid in truth.targets)


def test_ideal_lists_the_best_grades_first() -> None:
    truth = GroundTruth({"a": 1, "b": 3, "c": 2, "d": 3})
    assert truth.ideal(3) == [("b", 3), ("d", 3), ("c", 2)]
    assert truth.targets == {"b", "d"}
    assert not GroundTruth({})


def test_intent_without_slots_is_refused() -> None:
    world = CatalogWorld.from_entities([])
    with pytest.raises(ValueError, match="lacks the slots it needs"):
        ground_truth(world, Intent("descriptive:?", IntentType.DESCRIPTIVE))


def test_same_seed_same_intents_and_queries(world: CatalogWorld) -> None:
    def draw(seed: int) -> list[tuple[str, str]]:
        population = Population.generate(world, PopulationConfig(listeners=200), seed)
        sampler = IntentSampler(world, IntentConfig(head_pool=50), seed)
        formulator = QueryFormulator(world, QueryConfig())
        out = []
        for i in range(150):
            rng = random.Random(f"{seed}:session:{i}")
            listener = population.pick(rng)
            intent, _ = sampler.sample(rng, listener)
            out.append((intent.key, formulator.formulate(intent, listener, rng).text))
        return out

    assert draw(5) == draw(5)
    assert draw(5) != draw(6)


def test_head_intents_repeat_and_tail_intents_are_spread(
    sampler: IntentSampler, population: Population
) -> None:
    drawn = _draw(sampler, population, 2_000, seed=9)
    head = Counter(intent.key for intent, is_head in drawn if is_head)
    tail = Counter(intent.key for intent, is_head in drawn if not is_head)
    assert 0.4 < sum(head.values()) / len(drawn) < 0.6
    assert head.most_common(1)[0][1] >= 20, "the top head intent is shared by many sessions"
    assert len(tail) > len(head) / 2


def test_canonical_phrasing_repeats_verbatim(world: CatalogWorld, sampler: IntentSampler) -> None:
    formulator = QueryFormulator(world, QueryConfig(canonical_share=1.0))
    population = Population.generate(world, PopulationConfig(listeners=50), seed=1)
    intent = sampler.head[0]
    texts = {
        formulator.formulate(intent, population.listeners[i], random.Random(i)).text
        for i in range(20)
    }
    assert len(texts) == 1


@given(
    st.lists(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzé", min_size=1, max_size=9),
        min_size=1,
        max_size=6,
    ),
    st.integers(0, 1000),
)
def test_partial_title_is_a_nonempty_prefix(words: list[str], seed: int) -> None:
    title = " ".join(words)
    part = partial_title(title, random.Random(seed))
    assert part
    assert title.startswith(part)
    if len(title) >= 4:
        assert len(part) < len(title)


def test_zipf_index_prefers_the_top() -> None:
    rng = random.Random(0)
    counts = Counter(zipf_index(rng, 100, 1.0) for _ in range(20_000))
    assert counts[0] > counts[1] > counts[9] > counts[99]
    assert counts[0] / counts[1] == pytest.approx(2.0, rel=0.15)
    with pytest.raises(ValueError, match="n must be at least 1, but 0 is given"):
        zipf_index(rng, 0, 1.0)


@pytest.mark.parametrize(
    ("title", "song"),
    [
        ("Love Story (feat. Ava Smith) - Live", "Love Story"),
        ("Ti Amo (Radio Edit)", "Ti Amo"),
        ("Run - Nova Remix", "Run"),
        ("Hold On - Remastered 2011", "Hold On"),
        ("Saudade (Deluxe Edition)", "Saudade"),
        (
            "Symphony No. 5 in C minor, Op. 67: I. Allegro",
            "Symphony No. 5 in C minor, Op. 67: I. Allegro",
        ),
        ("- Live", "- Live"),
    ],
)
def test_base_title_drops_versions_and_guests(title: str, song: str) -> None:
    assert base_title(title) == song
