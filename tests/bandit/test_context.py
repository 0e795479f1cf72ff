"""The query class the bandit keeps per-strategy hit rates for."""

from __future__ import annotations

from bandit.context import SearchContext, query_class
from catalog.model import EntityType
from retrievers.query_parse import QueryParse, Slot


def _parse(text: str, slots: list[Slot]) -> QueryParse:
    return QueryParse(
        text=text,
        normalized=text,
        tokens=text.split(),
        language=None,
        language_confidence=0.0,
        type_probabilities={EntityType.TRACK: 0.7, EntityType.ARTIST: 0.3},
        slots=slots,
        interpretations=[],
        corrections={},
    )


def _slot(kind: str, value: str, confidence: float) -> Slot:
    return Slot.model_validate(
        {
            "kind": kind,
            "value": value,
            "display": value,
            "confidence": confidence,
            "start": 0,
            "end": 1,
            "surface": value,
        }
    )


def test_attribute_queries_form_their_own_class() -> None:
    rock = _parse("90s rock", [_slot("decade", "1990", 0.9), _slot("genre", "rock", 0.8)])
    title = _parse("bohemian rhapsody", [_slot("title_words", "bohemian rhapsody", 0.9)])
    artist = _parse("queen", [_slot("artist", "queen", 0.9)])
    assert query_class(SearchContext(query="90s rock", parse=rock)) == "track+attr:tail"
    assert query_class(SearchContext(query="x", parse=title, query_count=25)) == "track:head"
    assert query_class(SearchContext(query="queen", parse=artist, query_count=3)) == "track:torso"


def test_a_doubtful_attribute_slot_does_not_make_an_attribute_query() -> None:
    love = _parse("love", [_slot("genre", "love songs", 0.3)])
    assert query_class(SearchContext(query="love", parse=love)) == "track:tail"
    assert query_class(SearchContext(query="love")) == "unknown:tail"


def test_support_is_one_coverage_and_one_capped_log_count_per_strategy() -> None:
    from bandit.context import context_features
    from retrievers.base import QuerySupport

    support = (
        ("bm25", QuerySupport(matches=100_000, coverage=0.5)),
        ("structured", QuerySupport(matches=0, coverage=0.0)),
        ("memory", QuerySupport(matches=3, coverage=1.0)),
    )
    x = context_features(SearchContext("bohemian rhapsodyy", support=support))["x"]
    assert x["bm25_cov"] == 0.5
    assert x["bm25_m"] == 1.0, "beyond the deepest depth: capped"
    assert x["structured_cov"] == 0.0
    assert x["structured_m"] == 0.0
    assert x["memory_cov"] == 1.0
    assert 0.0 < x["memory_m"] < 0.5
    assert context_features(SearchContext("no strategy told"))["x"] == {}
