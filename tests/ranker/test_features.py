"""Ranking features: the versioned spec, each feature group, NaN handling and the log form."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from catalog.model import Entity, EntityType
from ranker.feature_log import FeatureRows, from_log, to_log
from ranker.feature_spec import (
    DEVICE_CODES,
    RRF_K,
    FeatureDef,
    FeatureKind,
    FeatureSpec,
    FeatureSpecMismatch,
)
from ranker.features import (
    EntityFeatureCache,
    RequestContext,
    SearchFeaturesInput,
    compute_features,
)
from retrievers.base import Candidate
from retrievers.gazetteer import Gazetteer
from retrievers.memory_base import PairStats
from retrievers.query_parse import QueryParse
from retrievers.understanding import QueryUnderstanding
from service.decisions import LoggedCandidate

FIXTURE_CATALOG = Path(__file__).resolve().parents[2] / "catalog" / "fixtures"
FIXTURE_CATALOG /= "fixture_catalog.jsonl"
STRATEGIES = ("bm25", "dense", "structured", "memory")


@pytest.fixture(scope="module")
def catalog() -> dict[str, Entity]:
    with FIXTURE_CATALOG.open() as handle:
        entities = [Entity.model_validate_json(line) for line in handle if line.strip()]
    return {entity.id: entity for entity in entities}


@pytest.fixture(scope="module")
def qu(catalog: dict[str, Entity], tmp_path_factory: pytest.TempPathFactory) -> QueryUnderstanding:
    path = tmp_path_factory.mktemp("gazetteer")
    gazetteer = Gazetteer(path)
    gazetteer.upsert(list(catalog.values()))
    gazetteer.close()
    return QueryUnderstanding(Gazetteer(path))


@pytest.fixture(scope="module")
def spec() -> FeatureSpec:
    return FeatureSpec.for_strategies(STRATEGIES)


def _search(
    query: str,
    entities: Mapping[str, Entity],
    *,
    parse: QueryParse | None = None,
    runs: Mapping[str, Sequence[Candidate | LoggedCandidate]] | None = None,
    plan: Mapping[str, int] | None = None,
) -> SearchFeaturesInput:
    """A search with only what a test sets; ``dataclasses.replace`` adds the rest."""
    return SearchFeaturesInput(
        query=query,
        parse=parse,
        runs=runs or {},
        plan=plan or {},
        entities=entities,
        reference_year=2025,
    )


def _column(matrix: NDArray[np.float32], spec: FeatureSpec, name: str) -> NDArray[np.float32]:
    return matrix[:, spec.index[name]]


def _features(
    inputs: SearchFeaturesInput, ids: Sequence[str], spec: FeatureSpec
) -> dict[str, NDArray[np.float32]]:
    matrix = compute_features(inputs, ids, spec)
    return {name: _column(matrix, spec, name) for name in spec.names}


# -- the spec -------------------------------------------------------------------------------


def test_spec_names_kinds_and_shape(spec: FeatureSpec, catalog: dict[str, Entity]) -> None:
    assert len(spec) >= 25
    assert len(set(spec.names)) == len(spec)
    assert spec.names[:5] == (
        "found_bm25",
        "rank_bm25",
        "score_bm25",
        "score_norm_bm25",
        "depth_bm25",
    )
    assert spec.categorical == ("entity_type", "device")
    assert all(f.description for f in spec.features)
    ids = list(catalog)[:7]
    matrix = compute_features(_search("queen", catalog), ids, spec)
    assert matrix.shape == (7, len(spec))
    assert matrix.dtype == np.float32
    empty = compute_features(_search("queen", catalog), [], spec)
    assert empty.shape == (0, len(spec))


def test_strategies_change_the_names_and_the_version(spec: FeatureSpec) -> None:
    other = FeatureSpec.for_strategies(["bm25", "memory", "vector"])
    assert "found_vector" in other.names
    assert "found_vector" not in spec.names
    assert "found_dense" not in other.names
    assert other.version != spec.version
    reordered = FeatureSpec.for_strategies(["dense", "bm25", "structured", "memory"])
    assert set(reordered.names) == set(spec.names)
    assert reordered.version != spec.version
    assert FeatureSpec.for_strategies(list(STRATEGIES)).version == spec.version
    assert spec.version.startswith("1.")
    assert FeatureSpec.for_strategies(STRATEGIES, revision=2).version.startswith("2.")


@pytest.mark.parametrize(
    ("strategies", "match"),
    [
        ([], "at least one strategy"),
        (["bm25", "bm25"], "distinct"),
        (["BM 25"], "must match"),
    ],
)
def test_bad_strategy_lists(strategies: list[str], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        FeatureSpec.for_strategies(strategies)


def test_mismatch_names_the_differing_features(spec: FeatureSpec) -> None:
    served = FeatureSpec.for_strategies(["bm25", "structured", "memory", "vector"])
    with pytest.raises(FeatureSpecMismatch) as raised:
        spec.require_compatible(served)
    message = str(raised.value)
    assert spec.version in message
    assert served.version in message
    assert "missing: found_dense, rank_dense" in message
    assert "unexpected: found_vector" in message

    bumped = FeatureSpec.for_strategies(STRATEGIES, revision=2)
    with pytest.raises(FeatureSpecMismatch, match="revision 1 vs 2"):
        spec.require_compatible(bumped)

    recast = FeatureSpec(
        tuple(FeatureDef(f.name, FeatureKind.NUMERIC, f.description) for f in spec.features),
        spec.strategies,
    )
    with pytest.raises(FeatureSpecMismatch, match=r"kind changed: entity_type \(categorical"):
        spec.require_compatible(recast)

    spec.require_compatible(FeatureSpec.for_strategies(STRATEGIES))


def test_spec_round_trips_through_its_stored_form(spec: FeatureSpec) -> None:
    stored = json.loads(json.dumps(spec.to_dict()))
    again = FeatureSpec.from_dict(stored)
    assert again.version == spec.version
    assert again.names == spec.names
    spec.require_compatible(again)
    stored["features"].pop()
    with pytest.raises(FeatureSpecMismatch, match="hash to"):
        FeatureSpec.from_dict(stored)


def test_features_refuse_a_spec_of_another_revision(catalog: dict[str, Entity]) -> None:
    old = FeatureSpec.for_strategies(STRATEGIES, revision=0)
    with pytest.raises(FeatureSpecMismatch, match="revision"):
        compute_features(_search("queen", catalog), ["fx:artist:queen"], old)


# -- provenance ----------------------------------------------------------------------------


def test_provenance_of_a_hand_built_union(spec: FeatureSpec, catalog: dict[str, Entity]) -> None:
    a, b, c, d = "fx:artist:queen", "fx:track:bohemian-rhapsody-queen", "fx:album:x", "fx:y"
    runs: dict[str, Sequence[Candidate | LoggedCandidate]] = {
        "bm25": [
            Candidate(a, 10.0, 1, "bm25"),
            Candidate(b, 4.0, 2, "bm25"),
            Candidate("not-a-candidate", 3.0, 3, "bm25"),
            Candidate(c, 2.0, 4, "bm25"),
        ],
        "dense": [LoggedCandidate(entity_id=b, rank=1, score=0.5)],
        "unregistered": [Candidate(d, 1.0, 1, "unregistered")],
    }
    plan = {"bm25": 100, "dense": 50, "structured": 0, "unregistered": 5}
    f = _features(_search("queen", catalog, runs=runs, plan=plan), [a, b, c, d], spec)

    np.testing.assert_array_equal(f["found_bm25"], [1, 1, 1, 0])
    np.testing.assert_array_equal(f["rank_bm25"], [1, 2, 4, np.nan])
    np.testing.assert_array_equal(f["score_bm25"], [10, 4, 2, np.nan])
    np.testing.assert_allclose(f["score_norm_bm25"], [1.0, 0.25, 0.0, np.nan])
    np.testing.assert_array_equal(f["found_dense"], [0, 1, 0, 0])
    np.testing.assert_array_equal(f["score_norm_dense"], [np.nan, 1.0, np.nan, np.nan])
    np.testing.assert_array_equal(f["found_memory"], [0, 0, 0, 0])
    np.testing.assert_array_equal(f["n_strategies"], [1, 2, 1, 0])
    np.testing.assert_array_equal(f["best_rank"], [1, 1, 4, np.nan])
    np.testing.assert_allclose(
        f["rrf_score"],
        [1 / (RRF_K + 1), 1 / (RRF_K + 2) + 1 / (RRF_K + 1), 1 / (RRF_K + 4), 0.0],
        rtol=1e-6,
    )
    np.testing.assert_array_equal(f["depth_bm25"], [100] * 4)
    np.testing.assert_array_equal(f["depth_dense"], [50] * 4)
    np.testing.assert_array_equal(f["depth_structured"], [0] * 4)
    np.testing.assert_array_equal(f["depth_memory"], [0] * 4)


def test_non_finite_scores_become_nan(spec: FeatureSpec, catalog: dict[str, Entity]) -> None:
    a, b, c = "fx:artist:queen", "fx:artist:david-bowie", "fx:artist:george-gershwin"
    runs = {
        "dense": [
            Candidate(a, 0.9, 1, "dense"),
            Candidate(b, float("-inf"), 2, "dense"),
            Candidate(c, 0.3, 3, "dense"),
        ],
        "memory": [Candidate(a, float("nan"), 1, "memory")],
    }
    matrix = compute_features(_search("queen", catalog, runs=runs), [a, b, c], spec)
    assert not np.isinf(matrix).any()
    f = {name: _column(matrix, spec, name) for name in spec.names}
    np.testing.assert_array_equal(f["score_dense"], [np.float32(0.9), np.nan, np.float32(0.3)])
    np.testing.assert_allclose(f["score_norm_dense"], [1.0, np.nan, 0.0])
    np.testing.assert_array_equal(f["found_dense"], [1, 1, 1])
    np.testing.assert_array_equal(f["score_norm_memory"], [np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(f["found_memory"], [1, 0, 0])


# -- text ----------------------------------------------------------------------------------


def test_exact_title_beats_a_fuzzy_one(spec: FeatureSpec, catalog: dict[str, Entity]) -> None:
    exact, fuzzy = (
        "fx:track:bohemian-rhapsody-queen",
        "fx:track:bohemian-like-you-the-dandy-warhols",
    )
    f = _features(_search("Bohemian Rhapsody", catalog), [exact, fuzzy], spec)
    assert f["text_title"][0] == 100.0 > f["text_title"][1] > 0.0
    assert f["text_all"][0] > f["text_all"][1]
    np.testing.assert_array_equal(f["exact_match"], [1, 0])
    np.testing.assert_array_equal(f["title_in_query"], [1, 0])
    np.testing.assert_array_equal(f["token_fraction"], [1.0, 0.5])


def test_artist_title_queries_prefixes_and_fields(
    spec: FeatureSpec, catalog: dict[str, Entity]
) -> None:
    ids = [
        "fx:track:bohemian-rhapsody-queen",
        "fx:track:bohemian-rhapsody-the-braids",
        "fx:artist:queen",
        "fx:episode:serial-the-alibi",
    ]
    f = _features(_search("queen bohemian rhapsody", catalog), ids, spec)
    np.testing.assert_array_equal(f["exact_match"], [1, 0, 0, 0])
    np.testing.assert_array_equal(f["title_in_query"], [1, 1, 1, 0])
    assert f["text_artist"][0] == 100.0 > f["text_artist"][1]
    assert f["text_artist"][2] == 100.0  # an artist's own name
    assert math.isnan(f["text_artist"][3])  # episodes have no artist
    assert f["text_collection"][3] < 50.0  # the show, "Serial"
    assert math.isnan(f["text_collection"][2])
    np.testing.assert_allclose(f["token_fraction"], [1.0, 2 / 3, 1 / 3, 0.0])

    partial = _features(_search("bohemian rhap", catalog), ids[:1], spec)
    assert partial["title_prefix"][0] == 1.0
    assert partial["exact_match"][0] == 0.0


# -- query understanding -------------------------------------------------------------------


def test_90s_rock_agrees_with_a_1994_rock_track_not_a_2011_pop_one(
    spec: FeatureSpec, catalog: dict[str, Entity], qu: QueryUnderstanding
) -> None:
    rock, pop = "fx:track:black-hole-sun-soundgarden", "fx:track:rolling-in-the-deep-adele"
    assert catalog[rock].release_year == 1994
    assert "rock" in catalog[rock].genres
    assert catalog[pop].release_year == 2011
    assert "pop" in catalog[pop].genres
    parse = qu.parse("90s rock")
    f = _features(_search("90s rock", catalog, parse=parse), [rock, pop], spec)

    decade = next(s for s in parse.slots if s.kind == "decade")
    genre = next(s for s in parse.slots if s.kind == "genre")
    np.testing.assert_allclose(f["qu_decade"], [decade.confidence, 0.0], rtol=1e-6)
    np.testing.assert_allclose(f["qu_genre"], [genre.confidence, 0.0], rtol=1e-6)
    np.testing.assert_array_equal(f["qu_agreement"], [1.0, 0.0])
    for name in ("qu_artist", "qu_album_show", "qu_year", "qu_language", "qu_type"):
        assert np.isnan(f[name]).all(), name  # nothing of that kind was parsed
    probabilities = parse.type_probabilities
    np.testing.assert_allclose(f["qu_p_track"], probabilities[EntityType.TRACK], rtol=1e-6)
    np.testing.assert_allclose(f["qu_type_prob"], probabilities[EntityType.TRACK], rtol=1e-6)


def test_type_words_and_artists_agree(
    spec: FeatureSpec, catalog: dict[str, Entity], qu: QueryUnderstanding
) -> None:
    show, episode, track = (
        "fx:show:serial",
        "fx:episode:serial-the-alibi",
        "fx:track:creep-radiohead",
    )
    parse = qu.parse("true crime podcast")
    f = _features(_search("true crime podcast", catalog, parse=parse), [show, episode, track], spec)
    assert f["qu_type"][0] > 0
    assert f["qu_type"][1] > 0
    assert f["qu_type"][2] == 0
    assert f["qu_genre"][0] > 0
    assert f["qu_genre"][2] == 0
    assert f["qu_type_prob"][0] > f["qu_type_prob"][2]

    queen = qu.parse("queen bohemian rhapsody")
    ids = ["fx:track:bohemian-rhapsody-queen", "fx:track:bohemian-rhapsody-the-braids"]
    f = _features(_search("queen bohemian rhapsody", catalog, parse=queen), ids, spec)
    assert f["qu_artist"][0] > 0.5
    assert f["qu_artist"][1] == 0.0


# -- entity, memory, context, query --------------------------------------------------------


def test_entity_memory_context_and_query_features(
    spec: FeatureSpec, catalog: dict[str, Entity]
) -> None:
    rock, french = "fx:track:black-hole-sun-soundgarden", "fx:artist:queen"
    memory = {
        rock: PairStats("90s rock", rock, 0.4, None, 3.0, 1.0, 7, 1.0),
        french: PairStats("90s rock", french, 0.2, 0.2, 0.0, 0.0, 0, None),
    }
    inputs = replace(
        _search("  90s   Rock ", catalog),
        memory=memory,
        context=RequestContext(locale="en_GB", device="Smart_Speaker", hour=22),
        affinity={"Grunge": 0.9, "rock": 0.3, "jazz": 1.0},
        query_count=20,
    )
    f = _features(inputs, [rock, french], spec)
    entity = catalog[rock]
    assert entity.release_year is not None
    assert entity.duration_ms is not None
    np.testing.assert_array_equal(f["entity_type"], [0, 1])
    np.testing.assert_allclose(f["log_popularity"][0], math.log1p(entity.popularity), rtol=1e-6)
    assert f["years_since_release"][0] == 2025 - entity.release_year
    np.testing.assert_allclose(f["duration_min"][0], entity.duration_ms / 60_000, rtol=1e-6)
    np.testing.assert_array_equal(f["explicit"], [0, 0])
    np.testing.assert_array_equal(f["language_match"], [1, 1])
    np.testing.assert_allclose(f["memory_score"], [0.4, 0.2], rtol=1e-6)
    np.testing.assert_allclose(f["memory_predicted"], [np.nan, 0.2], rtol=1e-6)
    np.testing.assert_allclose(f["memory_log_events"], [math.log1p(7), 0.0], rtol=1e-6)
    np.testing.assert_array_equal(f["memory_learned"], [1, 0])
    np.testing.assert_array_equal(f["device"], [DEVICE_CODES["smart_speaker"]] * 2)
    np.testing.assert_array_equal(f["hour"], [22, 22])
    np.testing.assert_allclose(f["listener_affinity"], [0.9, 0.3], rtol=1e-6)
    np.testing.assert_array_equal(f["query_tokens"], [2, 2])
    np.testing.assert_array_equal(f["query_chars"], [8, 8])
    np.testing.assert_allclose(f["query_log_count"], math.log1p(20), rtol=1e-6)

    spanish = replace(
        _search("x", catalog), context=RequestContext(locale="es-ES", device="fridge")
    )
    g = _features(spanish, [rock], spec)
    assert g["language_match"][0] == 0.0
    assert g["device"][0] == 0.0  # an unknown device is "other", not missing


def test_missing_values_are_nan(spec: FeatureSpec, catalog: dict[str, Entity]) -> None:
    bare = Entity(id="t:bare", type=EntityType.TRACK, title="Bare")
    entities = {**catalog, bare.id: bare}
    f = _features(_search("bare", entities), [bare.id, "t:unknown"], spec)
    # an entity without popularity, year, duration or language
    for name in ("log_popularity", "years_since_release", "duration_min"):
        assert np.isnan(f[name]).all(), name
    # an id the catalog does not hold: every entity and text feature
    entity_and_text = (
        "text_title", "text_all", "exact_match", "token_fraction", "entity_type", "explicit",
    )  # fmt: skip
    for name in entity_and_text:
        assert np.isnan(f[name][1]), name
        assert not np.isnan(f[name][0]), name
    # no parse, no locale, no device, no hour, no tastes, no memory pair
    for name in spec.names:
        if name.startswith("qu_"):
            assert np.isnan(f[name]).all(), name
    for name in ("language_match", "device", "hour", "listener_affinity", "memory_score"):
        assert np.isnan(f[name]).all(), name
    np.testing.assert_array_equal(f["memory_learned"], [0, 0])
    np.testing.assert_array_equal(f["n_strategies"], [0, 0])
    blank = _features(_search("!!!", entities), [bare.id], spec)
    assert np.isnan(blank["text_title"]).all()
    assert blank["query_chars"][0] == 0


def test_bad_inputs_are_refused(spec: FeatureSpec, catalog: dict[str, Entity]) -> None:
    with pytest.raises(ValueError, match=r"hour must be in 0\.\.23, but 24"):
        RequestContext(hour=24)
    with pytest.raises(ValueError, match="query_count must be >= 0"):
        replace(_search("x", catalog), query_count=-1)
    with pytest.raises(ValueError, match="plan depths must be >= 0"):
        _search("x", catalog, plan={"bm25": -1})
    with pytest.raises(ValueError, match="candidate_ids must be distinct"):
        compute_features(_search("x", catalog), ["fx:artist:queen"] * 2, spec)


def test_cache_gives_the_same_features_and_follows_updates(
    spec: FeatureSpec, catalog: dict[str, Entity], qu: QueryUnderstanding
) -> None:
    ids = list(catalog)[:40]
    inputs = _search("queen 70s rock", catalog, parse=qu.parse("queen 70s rock"))
    cache = EntityFeatureCache(max_entities=30)
    plain = compute_features(inputs, ids, spec)
    np.testing.assert_array_equal(compute_features(inputs, ids, spec, cache=cache), plain)
    np.testing.assert_array_equal(compute_features(inputs, ids, spec, cache=cache), plain)
    assert len(cache) == 30

    queen = catalog["fx:artist:queen"]
    copy = Entity.model_validate_json(queen.model_dump_json())
    renamed = queen.model_copy(update={"title": "Queen Bee"})
    name = spec.index["exact_match"]
    for version, expected in ((copy, 1.0), (renamed, 0.0)):
        changed = _search("queen", {**catalog, queen.id: version})
        assert compute_features(changed, [queen.id], spec, cache=cache)[0, name] == expected


# -- the log -------------------------------------------------------------------------------


def test_log_round_trip_is_exact(
    spec: FeatureSpec, catalog: dict[str, Entity], qu: QueryUnderstanding
) -> None:
    ids = [*list(catalog)[:25], "t:unknown"]
    runs = {"bm25": [Candidate(i, 1.0 / r, r, "bm25") for r, i in enumerate(ids[:10], 1)]}
    inputs = _search("beatles albums", catalog, parse=qu.parse("beatles albums"), runs=runs)
    matrix = compute_features(inputs, ids, spec)
    assert np.isnan(matrix).any()

    payload = to_log(matrix, spec, ids)
    text = json.dumps(payload, allow_nan=False)  # JSON-safe: NaN became null
    rows = from_log(json.loads(text), spec)
    assert rows.entity_ids == tuple(ids)
    assert rows.matrix.dtype == np.float32
    np.testing.assert_array_equal(rows.matrix, matrix)  # NaN where NaN, bit-equal elsewhere
    assert payload["spec"] == spec.version
    empty = FeatureRows.from_log(to_log(matrix[:0], spec, []), spec)
    assert empty.matrix.shape == (0, len(spec))


def test_log_refuses_rows_of_another_spec_and_bad_values(
    spec: FeatureSpec, catalog: dict[str, Entity]
) -> None:
    other = FeatureSpec.for_strategies(["bm25", "memory"])
    matrix = compute_features(_search("queen", catalog), ["fx:artist:queen"], other)
    payload = to_log(matrix, other, ["fx:artist:queen"])
    with pytest.raises(FeatureSpecMismatch, match=r"logged rows do not fit.*missing: found_dense"):
        from_log(payload, spec)
    with pytest.raises(ValueError, match="infinity"):
        to_log(np.full((1, len(spec)), np.inf), spec, ["a"])
    with pytest.raises(ValueError, match="shape"):
        to_log(np.zeros((2, len(spec))), spec, ["a"])
    with pytest.raises(ValueError, match="need spec, names, ids and rows"):
        from_log({"spec": spec.version}, spec)
