"""Feature values pinned exactly: models trained on logged rows depend on them.

Two fixed searches on the fixture catalog, one touching every feature group (a hand-built
parse with a slot of every kind, runs with ties, unknown ids and non-finite scores, memory
pairs, a request context, listener tastes) and one bare prefix query, with the float32 value
of every feature of every candidate as the implementation computed it when the table was
written. A faster rewrite of :mod:`ranker.features` must reproduce these bit for bit; a
change of meaning bumps ``FEATURE_REVISION`` and rewrites the tables.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pytest
from numpy.typing import NDArray

from catalog.model import Entity, EntityType
from ranker.feature_spec import FeatureSpec
from ranker.features import (
    EntityFeatureCache,
    RequestContext,
    SearchFeaturesInput,
    compute_features,
)
from retrievers.base import Candidate
from retrievers.memory_base import PairStats
from retrievers.query_parse import Interpretation, QueryParse, Slot, SlotKind
from tests.conftest import FIXTURE_CATALOG

STRATEGIES = ("bm25", "dense", "structured", "memory")
BARE = Entity(id="t:bare", type=EntityType.TRACK, title="Killer")
nan = math.nan


@pytest.fixture(scope="module")
def catalog() -> dict[str, Entity]:
    with FIXTURE_CATALOG.open() as handle:
        entities = [Entity.model_validate_json(line) for line in handle if line.strip()]
    return {entity.id: entity for entity in entities} | {BARE.id: BARE}


def _slot(kind: SlotKind, value: str, confidence: float) -> Slot:
    return Slot(
        kind=kind,
        value=value,
        display=value,
        confidence=confidence,
        start=0,
        end=1,
        surface=value,
    )


def _parse() -> QueryParse:
    slots = [
        _slot("artist", "queen", 0.9),
        _slot("title_words", "killer queen", 0.8),
        _slot("decade", "1970", 0.7),
        _slot("genre", "rock", 0.6),
        _slot("year", "1974", 0.55),
        _slot("type", "music", 0.5),
        _slot("language", "en", 0.45),
        _slot("explicit", "false", 0.4),
        _slot("mood", "happy", 0.35),
        _slot("tag", "70s", 0.3),
        _slot("album", "jazz", 0.25),
        _slot("show", "serial", 0.2),
        _slot("artist", "queen latifah", 0.15),
    ]
    best = Interpretation(slots=slots[:6], score=0.8, confidence=0.65)
    other = Interpretation(slots=slots[6:], score=0.3, confidence=0.35)
    return QueryParse(
        text="Queen: Killer-Queen!",
        normalized="queen killer queen",
        tokens=["queen", "killer", "queen"],
        language="en",
        language_confidence=0.9,
        type_probabilities={EntityType.TRACK: 0.7, EntityType.ARTIST: 0.2, EntityType.SHOW: 0.1},
        slots=slots,
        interpretations=[best, other],
        corrections={"quen": "queen"},
    )


RICH_IDS = (
    "fx:track:killer-queen-queen",
    "fx:artist:queen",
    "fx:album:jazz-queen",
    "fx:track:dancing-queen-abba",
    "fx:track:u-n-i-t-y-queen-latifah",
    "fx:artist:queen-latifah",
    "fx:episode:serial-the-alibi",
    "fx:show:serial",
    "fx:playlist:classic-rock-legends",
    "fx:artist:indila",
    BARE.id,
    "t:unknown",
)


def _rich(catalog: Mapping[str, Entity]) -> SearchFeaturesInput:
    ids = RICH_IDS

    def run(name: str, hits: Sequence[tuple[str, float]]) -> list[Candidate]:
        return [Candidate(i, s, rank, name) for rank, (i, s) in enumerate(hits, start=1)]

    runs = {
        "bm25": run(
            "bm25",
            [(ids[0], 14.5), (ids[1], 11.25), ("fx:artist:david-bowie", 9.0), (ids[3], 7.5),
             (ids[11], 6.0), (ids[4], 3.125), (ids[10], 2.0)],
        ),
        "dense": run(
            "dense",
            [(ids[1], 0.91), (ids[0], 0.875), (ids[5], nan), (ids[8], float("-inf")),
             (ids[2], 0.5), (ids[9], 0.125)],
        ),
        "structured": run("structured", [(ids[2], 1.0), (ids[0], 1.0), (ids[8], 1.0)]),
        "memory": run("memory", [(ids[0], 0.8), (ids[6], 0.3)]),
        "unregistered": run("unregistered", [(ids[7], 5.0)]),
    }  # fmt: skip
    memory = {
        ids[0]: PairStats("queen killer queen", ids[0], 0.8, 0.6, 4.0, 1.0, 9, 1.0),
        ids[1]: PairStats("queen killer queen", ids[1], 0.45, None, 2.0, 2.0, 3, 2.0),
        ids[6]: PairStats("queen killer queen", ids[6], 0.3, 0.3, 0.0, 0.0, 0, None),
        "fx:artist:david-bowie": PairStats("q", "fx:artist:david-bowie", 0.9, 0.9, 0, 0, 0, None),
    }
    return SearchFeaturesInput(
        query="Queen: Killer-Queen!",
        parse=_parse(),
        runs=runs,
        plan={"bm25": 150, "dense": 100, "structured": 75, "unregistered": 10},
        entities=catalog,
        reference_year=2025,
        memory=memory,
        context=RequestContext(locale="en_GB", device="Car", hour=7),
        affinity={"Rock": 0.8, "glam rock": 0.5, "true crime": 0.3, "90s": 0.6, "Jazz": 0.1},
        query_count=12,
    )


PREFIX_IDS = ("fx:artist:queen-latifah", "fx:track:u-n-i-t-y-queen-latifah", "fx:artist:queen")


def _prefix(catalog: Mapping[str, Entity]) -> SearchFeaturesInput:
    return SearchFeaturesInput(
        query="Queen L", parse=None, runs={}, plan={}, entities=catalog, reference_year=2024
    )


# -- the pinned values (float32, one value per candidate in id order) ----------------------

# fmt: off
RICH_EXPECTED: dict[str, list[float]] = {
    "found_bm25": [1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0],
    "rank_bm25": [1.0, 2.0, nan, 4.0, 6.0, nan, nan, nan, nan, nan, 7.0, 5.0],
    "score_bm25": [14.5, 11.25, nan, 7.5, 3.125, nan, nan, nan, nan, nan, 2.0, 6.0],
    "score_norm_bm25": [1.0, 0.74, nan, 0.44, 0.09, nan, nan, nan, nan, nan, 0.0, 0.32],
    "depth_bm25": [
        150.0, 150.0, 150.0, 150.0, 150.0, 150.0, 150.0, 150.0, 150.0, 150.0, 150.0, 150.0,
    ],
    "found_dense": [1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0],
    "rank_dense": [2.0, 1.0, 5.0, nan, nan, 3.0, nan, nan, 4.0, 6.0, nan, nan],
    "score_dense": [0.875, 0.91, 0.5, nan, nan, nan, nan, nan, nan, 0.125, nan, nan],
    "score_norm_dense": [0.955414, 1.0, 0.477707, nan, nan, nan, nan, nan, nan, 0.0, nan, nan],
    "depth_dense": [
        100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0,
    ],
    "found_structured": [1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
    "rank_structured": [2.0, nan, 1.0, nan, nan, nan, nan, nan, 3.0, nan, nan, nan],
    "score_structured": [1.0, nan, 1.0, nan, nan, nan, nan, nan, 1.0, nan, nan, nan],
    "score_norm_structured": [1.0, nan, 1.0, nan, nan, nan, nan, nan, 1.0, nan, nan, nan],
    "depth_structured": [75.0, 75.0, 75.0, 75.0, 75.0, 75.0, 75.0, 75.0, 75.0, 75.0, 75.0, 75.0],
    "found_memory": [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    "rank_memory": [1.0, nan, nan, nan, nan, nan, 2.0, nan, nan, nan, nan, nan],
    "score_memory": [0.8, nan, nan, nan, nan, nan, 0.3, nan, nan, nan, nan, nan],
    "score_norm_memory": [1.0, nan, nan, nan, nan, nan, 0.0, nan, nan, nan, nan, nan],
    "depth_memory": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    "n_strategies": [4.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.0, 0.0, 2.0, 1.0, 1.0, 1.0],
    "best_rank": [1.0, 1.0, 1.0, 4.0, 6.0, 3.0, 2.0, nan, 3.0, 6.0, 7.0, 5.0],
    "rrf_score": [
        0.06504495, 0.032522473, 0.031778056, 0.015625, 0.015151516, 0.015873017, 0.016129032, 0.0,
        0.031498015, 0.015151516, 0.014925373, 0.015384615,
    ],
    "text_title": [
        80.0, 43.47826, 0.0, 51.612904, 37.037037, 45.16129, 26.31579, 25.0, 31.578947, 25.0, 50.0,
        nan,
    ],
    "text_artist": [
        100.0, 100.0, 100.0, 0.0, 58.82353, 58.82353, nan, nan, nan, 22.222221, nan, nan,
    ],
    "text_collection": [33.333332, nan, nan, 16.0, 27.586206, nan, 25.0, nan, nan, nan, nan, nan],
    "text_all": [
        65.454544, 75.86207, 42.857143, 45.454544, 45.28302, 62.22222, 31.11111, 16.666666,
        31.578947, 25.806452, 50.0, nan,
    ],
    "exact_match": [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, nan],
    "title_prefix": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, nan],
    "title_in_query": [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, nan],
    "token_fraction": [1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.5, nan],
    "qu_artist": [0.9, 0.9, 0.9, 0.0, 0.15, 0.15, 0.0, 0.0, 0.0, 0.0, 0.0, nan],
    "qu_album_show": [0.0, 0.0, 0.25, 0.0, 0.0, 0.0, 0.2, 0.2, 0.0, 0.0, 0.0, nan],
    "qu_genre": [0.6, 0.6, 0.6, 0.0, 0.0, 0.0, 0.0, 0.0, 0.6, 0.0, 0.0, nan],
    "qu_mood_tag": [0.3, 0.0, 0.0, 0.35, 0.0, 0.0, 0.0, 0.0, 0.3, 0.0, 0.0, nan],
    "qu_decade": [0.7, nan, 0.7, 0.7, 0.0, nan, 0.0, 0.0, nan, nan, nan, nan],
    "qu_year": [0.55, nan, 0.0, 0.0, 0.0, nan, 0.0, 0.0, nan, nan, nan, nan],
    "qu_language": [0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.0, nan, nan],
    "qu_explicit": [0.4, 0.4, 0.4, 0.4, 0.0, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, nan],
    "qu_type": [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.5, nan],
    "qu_agreement": [
        1.0, 0.61538464, 0.83076924, 0.36923078, 0.15384616, 0.15384616, 0.0, 0.0, 0.33846155,
        0.15384616, 0.15384616, nan,
    ],
    "qu_type_prob": [0.7, 0.2, 0.0, 0.7, 0.7, 0.2, 0.0, 0.1, 0.0, 0.2, 0.7, nan],
    "entity_type": [0.0, 1.0, 2.0, 0.0, 0.0, 1.0, 5.0, 4.0, 3.0, 1.0, 0.0, nan],
    "log_popularity": [
        4.317488, 4.4886365, 4.1431346, 4.477337, 3.8066626, 3.9318256, 4.26268, 4.4886365,
        4.2904596, 4.158883, nan, nan,
    ],
    "years_since_release": [51.0, nan, 47.0, 49.0, 32.0, nan, 11.0, 11.0, nan, nan, nan, nan],
    "duration_min": [3.0, nan, nan, 3.85, 4.116667, nan, 53.533333, nan, nan, nan, nan, nan],
    "explicit": [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, nan],
    "language_match": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, nan, nan],
    "memory_score": [0.8, 0.45, nan, nan, nan, nan, 0.3, nan, nan, nan, nan, nan],
    "memory_predicted": [0.6, nan, nan, nan, nan, nan, 0.3, nan, nan, nan, nan, nan],
    "memory_log_events": [2.3025851, 1.3862944, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    "memory_learned": [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    "device": [5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0],
    "hour": [7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0],
    "listener_affinity": [0.8, 0.8, 0.8, 0.0, 0.6, 0.0, 0.3, 0.3, 0.8, 0.0, 0.0, nan],
    "query_tokens": [3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0],
    "query_chars": [18.0, 18.0, 18.0, 18.0, 18.0, 18.0, 18.0, 18.0, 18.0, 18.0, 18.0, 18.0],
    "query_log_count": [
        2.5649493, 2.5649493, 2.5649493, 2.5649493, 2.5649493, 2.5649493, 2.5649493, 2.5649493,
        2.5649493, 2.5649493, 2.5649493, 2.5649493,
    ],
    "qu_p_track": [0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7],
    "qu_p_artist": [0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2],
    "qu_p_album": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    "qu_p_playlist": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    "qu_p_show": [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
    "qu_p_episode": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    "qu_top_confidence": [0.65, 0.65, 0.65, 0.65, 0.65, 0.65, 0.65, 0.65, 0.65, 0.65, 0.65, 0.65],
    "qu_corrected": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
    "title_gap": [
        0.0, -36.52174, -80.0, -28.387096, -42.962963, -34.83871, -53.68421, -55.0, -48.42105,
        -55.0, -30.0, nan,
    ],
    "artist_gap": [0.0, 0.0, 0.0, -100.0, -41.17647, -41.17647, nan, nan, nan, -77.77778, nan, nan],
    "text_all_gap": [
        -10.407524, 0.0, -33.004925, -30.407524, -30.579048, -13.639847, -44.750957, -59.195404,
        -44.28312, -50.05562, -25.862068, nan,
    ],
    "token_fraction_gap": [0.0, -0.5, -0.5, -0.5, -0.5, -0.5, -1.0, -1.0, -1.0, -1.0, -0.5, nan],
    "popularity_gap": [
        -0.1711483, 0.0, -0.3455019, -0.01129961, -0.68197393, -0.55681086, -0.22595644, 0.0,
        -0.19817686, -0.3297534, nan, nan,
    ],
    "memory_gap": [0.0, -0.35000002, nan, nan, nan, nan, -0.5, nan, nan, nan, nan, nan],
    "rrf_share": [
        1.0, 0.5, 0.48855534, 0.2402185, 0.23293917, 0.24403152, 0.24796748, 0.0, 0.48424998,
        0.23293917, 0.22946244, 0.23652284,
    ],
}

PREFIX_EXPECTED: dict[str, list[float]] = {
    "found_bm25": [0.0, 0.0, 0.0],
    "rank_bm25": [nan, nan, nan],
    "score_bm25": [nan, nan, nan],
    "score_norm_bm25": [nan, nan, nan],
    "depth_bm25": [0.0, 0.0, 0.0],
    "found_dense": [0.0, 0.0, 0.0],
    "rank_dense": [nan, nan, nan],
    "score_dense": [nan, nan, nan],
    "score_norm_dense": [nan, nan, nan],
    "depth_dense": [0.0, 0.0, 0.0],
    "found_structured": [0.0, 0.0, 0.0],
    "rank_structured": [nan, nan, nan],
    "score_structured": [nan, nan, nan],
    "score_norm_structured": [nan, nan, nan],
    "depth_structured": [0.0, 0.0, 0.0],
    "found_memory": [0.0, 0.0, 0.0],
    "rank_memory": [nan, nan, nan],
    "score_memory": [nan, nan, nan],
    "score_norm_memory": [nan, nan, nan],
    "depth_memory": [0.0, 0.0, 0.0],
    "n_strategies": [0.0, 0.0, 0.0],
    "best_rank": [nan, nan, nan],
    "rrf_score": [0.0, 0.0, 0.0],
    "text_title": [70.0, 37.5, 83.333336],
    "text_artist": [83.333336, 83.333336, 100.0],
    "text_collection": [nan, 22.222221, nan],
    "text_all": [41.17647, 33.333332, 66.666664],
    "exact_match": [0.0, 0.0, 0.0],
    "title_prefix": [1.0, 0.0, 0.0],
    "title_in_query": [0.0, 0.0, 1.0],
    "token_fraction": [0.5, 0.5, 0.5],
    "qu_artist": [nan, nan, nan],
    "qu_album_show": [nan, nan, nan],
    "qu_genre": [nan, nan, nan],
    "qu_mood_tag": [nan, nan, nan],
    "qu_decade": [nan, nan, nan],
    "qu_year": [nan, nan, nan],
    "qu_language": [nan, nan, nan],
    "qu_explicit": [nan, nan, nan],
    "qu_type": [nan, nan, nan],
    "qu_agreement": [nan, nan, nan],
    "qu_type_prob": [nan, nan, nan],
    "entity_type": [1.0, 0.0, 1.0],
    "log_popularity": [3.9318256, 3.8066626, 4.4886365],
    "years_since_release": [nan, 31.0, nan],
    "duration_min": [nan, 4.116667, nan],
    "explicit": [0.0, 1.0, 0.0],
    "language_match": [nan, nan, nan],
    "memory_score": [nan, nan, nan],
    "memory_predicted": [nan, nan, nan],
    "memory_log_events": [0.0, 0.0, 0.0],
    "memory_learned": [0.0, 0.0, 0.0],
    "device": [nan, nan, nan],
    "hour": [nan, nan, nan],
    "listener_affinity": [nan, nan, nan],
    "query_tokens": [2.0, 2.0, 2.0],
    "query_chars": [7.0, 7.0, 7.0],
    "query_log_count": [0.0, 0.0, 0.0],
    "qu_p_track": [nan, nan, nan],
    "qu_p_artist": [nan, nan, nan],
    "qu_p_album": [nan, nan, nan],
    "qu_p_playlist": [nan, nan, nan],
    "qu_p_show": [nan, nan, nan],
    "qu_p_episode": [nan, nan, nan],
    "qu_top_confidence": [nan, nan, nan],
    "qu_corrected": [nan, nan, nan],
    "title_gap": [-13.333336, -45.833336, 0.0],
    "artist_gap": [-16.666664, -16.666664, 0.0],
    "text_all_gap": [-25.490192, -33.333332, 0.0],
    "token_fraction_gap": [0.0, 0.0, 0.0],
    "popularity_gap": [-0.55681086, -0.68197393, 0.0],
    "memory_gap": [nan, nan, nan],
    "rrf_share": [nan, nan, nan],
}

# fmt: on


Search = Callable[[Mapping[str, Entity]], SearchFeaturesInput]


@pytest.mark.parametrize(
    ("search", "ids", "expected"),
    [(_rich, RICH_IDS, RICH_EXPECTED), (_prefix, PREFIX_IDS, PREFIX_EXPECTED)],
    ids=["rich", "prefix"],
)
@pytest.mark.parametrize("cached", [False, True], ids=["uncached", "cached"])
def test_features_match_the_pinned_values(
    catalog: dict[str, Entity],
    search: Search,
    ids: tuple[str, ...],
    expected: dict[str, list[float]],
    cached: bool,
) -> None:
    spec = FeatureSpec.for_strategies(STRATEGIES)
    assert tuple(expected) == spec.names
    cache = EntityFeatureCache() if cached else None
    matrix = compute_features(search(catalog), list(ids), spec, cache=cache)
    if cache is not None:  # the second search reads the statics the first one stored
        matrix = compute_features(search(catalog), list(ids), spec, cache=cache)
    pinned = np.array([expected[name] for name in spec.names], dtype=np.float32).T
    for name, column in spec.index.items():
        np.testing.assert_array_equal(matrix[:, column], pinned[:, column], err_msg=name)
    # bit for bit (-0.0 is not 0.0), any NaN being NaN: LightGBM does not read NaN payloads
    np.testing.assert_array_equal(_bits(matrix), _bits(pinned))


def _bits(matrix: NDArray[np.float32]) -> NDArray[np.uint32]:
    return np.where(np.isnan(matrix), np.float32(nan), matrix).view(np.uint32)
