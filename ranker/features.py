"""Ranking features of one search's candidates, computed once at serve time.

The ranker sees each candidate of the retrieved union through the columns of a
:class:`ranker.feature_spec.FeatureSpec`: how each strategy found it (provenance), how well
its title, artists and album or show match the query (rapidfuzz), whether it agrees with
what query understanding read (artist, genre, decade, type...), what it is (type,
popularity, age, duration, explicitness, language), what the Q2E memory knows of this query
and entity, the listener's situation and tastes, and what kind of query was typed.

Values are computed for all candidates at once: one batched rapidfuzz ``cdist`` call per
text field, numpy columns elsewhere. What does not depend on the query (normalized names,
token sets, numeric attributes) is derived once per entity and can be kept in an
:class:`EntityFeatureCache` that lives as long as the service; numeric attributes arrive as
one packed matrix, so agreement on decade, year, language, explicitness and type is a column
comparison. Missing values are NaN, which LightGBM routes down a learned default branch;
each feature's description in :mod:`ranker.feature_spec` says when it is NaN.

The matrix is logged with the search (:mod:`ranker.feature_log`) so that training reads
exactly what the model saw.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Final

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz, process

from ranker.feature_inputs import (
    ENTITY_TYPES,
    EntityFeatureCache,
    EntityStatics,
    MemoryPair,
    RankedHit,
    RequestContext,
    SearchFeaturesInput,
    Static,
    code_of,
    uncached_statics,
)
from ranker.feature_spec import DEVICE_CODES, RRF_K, FeatureSpec
from retrievers.normalize import normalize_query
from retrievers.query_parse import QueryParse
from retrievers.query_vocabulary import TYPE_DISTRIBUTIONS

__all__ = [
    "EntityFeatureCache",
    "MemoryPair",
    "RankedHit",
    "RequestContext",
    "SearchFeaturesInput",
    "compute_features",
]

Floats = NDArray[np.float64]

_AGREEMENT: Final[Mapping[str, frozenset[str]]] = {
    "qu_artist": frozenset({"artist"}),
    "qu_album_show": frozenset({"album", "show"}),
    "qu_genre": frozenset({"genre"}),
    "qu_mood_tag": frozenset({"mood", "tag"}),
    "qu_decade": frozenset({"decade"}),
    "qu_year": frozenset({"year"}),
    "qu_language": frozenset({"language"}),
    "qu_explicit": frozenset({"explicit"}),
    "qu_type": frozenset({"type"}),
}
"""Agreement feature → the slot kinds it reads."""
_TEXT_FEATURES: Final = (
    "text_title",
    "text_artist",
    "text_collection",
    "text_all",
    "exact_match",
    "title_prefix",
    "title_in_query",
    "token_fraction",
)
_TYPE_CODES: Final = {t.value: float(i) for i, t in enumerate(ENTITY_TYPES)}


class _Columns:
    """The feature matrix, written feature by feature (by name).

    It is kept feature-major while written, so that a feature's values for all candidates are
    one contiguous row, and transposed once at the end. A feature with the same value for every
    candidate (a Python float) is set together with the others of its kind, in one numpy call.
    """

    def __init__(self, spec: FeatureSpec, n: int) -> None:
        self.by_feature = np.full((len(spec), n), np.nan, dtype=np.float32)
        self.index = spec.index
        self.written: set[str] = set()
        self._constants: dict[int, float] = {}

    def __setitem__(self, name: str, values: Floats | float) -> None:
        row = self.index[name]
        if isinstance(values, float):
            self._constants[row] = values
        else:
            self._constants.pop(row, None)  # the latest write wins
            self.by_feature[row] = values
        self.written.add(name)

    def set_rows(self, names: Sequence[str], values: NDArray[np.generic]) -> None:
        """Several features at once, one row of ``values`` each."""
        self.by_feature[[self.index[name] for name in names]] = values
        self.written.update(names)

    def __getitem__(self, name: str) -> Floats:
        self._set_constants()
        return self.by_feature[self.index[name], :].astype(np.float64)

    def stored(self, names: Sequence[str]) -> NDArray[np.float32]:
        """Several features as stored (float32), one row each."""
        self._set_constants()
        return self.by_feature[[self.index[name] for name in names]]

    def matrix(self) -> NDArray[np.float32]:
        """The ``(candidates, features)`` matrix."""
        self._set_constants()
        return np.ascontiguousarray(self.by_feature.T)

    def _set_constants(self) -> None:
        if self._constants:
            rows = list(self._constants)
            self.by_feature[rows] = np.array(list(self._constants.values()))[:, np.newaxis]
            self._constants.clear()


@lru_cache(maxsize=64)
def _computable_spec(strategies: tuple[str, ...]) -> FeatureSpec:
    return FeatureSpec.for_strategies(strategies)


def compute_features(
    inputs: SearchFeaturesInput,
    candidate_ids: Sequence[str],
    spec: FeatureSpec,
    *,
    cache: EntityFeatureCache | None = None,
) -> NDArray[np.float32]:
    """The ``(len(candidate_ids), len(spec))`` float32 feature matrix, rows in id order.

    ``spec`` must be one this code computes (``FeatureSpec.for_strategies``); a spec of
    another revision or feature set raises :class:`ranker.feature_spec.FeatureSpecMismatch`.
    Pass a long-lived ``cache`` at serve time so each entity's statics are derived once.
    """
    spec.require_compatible(_computable_spec(spec.strategies))
    n = len(candidate_ids)
    row = {entity_id: i for i, entity_id in enumerate(candidate_ids)}
    if len(row) != n:
        raise ValueError("candidate_ids must be distinct, but some id repeats")
    cols = _Columns(spec, n)
    if cache is None:
        statics = uncached_statics(candidate_ids, inputs.entities)
    else:
        statics = cache.lookup(candidate_ids, inputs.entities)
    block = np.frombuffer(b"".join([s.packed for s in statics]), dtype=np.float64)
    block = block.reshape(n, Static.WIDTH)
    known = ~np.isnan(block[:, Static.TYPE])

    _provenance(cols, inputs, row, spec.strategies, n)
    query = normalize_query(inputs.query)
    _text(cols, query, statics, block, known)
    _understanding(cols, inputs.parse, statics, block, known)
    _entity(cols, inputs, block)
    _memory(cols, inputs.memory, row, n)
    _context(cols, inputs, statics, known, query)
    _relative(cols)

    if len(cols.written) != len(spec):  # a feature of the spec that no code above computes
        missing = [name for name in spec.names if name not in cols.written]
        raise RuntimeError(f"features not computed: {missing}")
    return cols.matrix()


def _provenance(
    cols: _Columns,
    inputs: SearchFeaturesInput,
    row: Mapping[str, int],
    strategies: Sequence[str],
    n: int,
) -> None:
    for s in strategies:
        cols[f"depth_{s}"] = float(inputs.plan.get(s, 0))
    runs = [inputs.runs.get(s, ()) for s in strategies]
    hits = [hit for run in runs for hit in run]
    m = len(hits)
    # all strategies' hits at once: hit i was returned by strategies[strategy[i]]
    strategy = np.repeat(np.arange(len(strategies)), [len(run) for run in runs])
    scores = np.fromiter([h.score for h in hits], np.float64, m)
    finite = np.isfinite(scores)
    scores[~finite] = np.nan
    scaled = np.where(finite, 1.0, np.nan)  # where a strategy's finite scores all tie
    end = 0
    for run in runs:  # min-max scaling within each strategy's list
        start, end = end, end + len(run)
        ok = finite[start:end]
        if ok.any():
            values = scores[start:end][ok]
            lo, hi = values.min(), values.max()
            if hi > lo:
                scaled[start:end] = (scores[start:end] - lo) / (hi - lo)  # NaN stays NaN
    # strategy x candidate, plus a last column where hits outside the union land (dropped)
    at = np.fromiter([row.get(h.entity_id, n) for h in hits], np.intp, m)
    found = np.zeros((len(strategies), n + 1), dtype=bool)
    rank, score, norm = (np.full((len(strategies), n + 1), np.nan) for _ in range(3))
    found[strategy, at] = True
    rank[strategy, at] = np.fromiter([h.rank for h in hits], np.float64, m)
    score[strategy, at] = scores
    norm[strategy, at] = scaled
    found, rank, score, norm = found[:, :n], rank[:, :n], score[:, :n], norm[:, :n]
    cols.set_rows([f"found_{s}" for s in strategies], found)
    cols.set_rows([f"rank_{s}" for s in strategies], rank)
    cols.set_rows([f"score_{s}" for s in strategies], score)
    cols.set_rows([f"score_norm_{s}" for s in strategies], norm)
    cols["n_strategies"] = found.sum(axis=0, dtype=np.float64)
    cols["best_rank"] = np.fmin.reduce(rank, axis=0)
    fused = 1.0 / (RRF_K + rank)
    fused[~found] = 0.0
    rrf = np.zeros(n)
    for term in fused:  # in strategy order
        rrf += term
    cols["rrf_score"] = rrf


def _similarity(
    query: str, choices: list[str], scorer: Callable[..., float], present: NDArray[np.bool_]
) -> Floats:
    """One batched rapidfuzz call; NaN where the field is absent."""
    scores = process.cdist([query], choices, scorer=scorer, processor=None, workers=1)[0]
    return np.where(present, scores, np.nan)


def _text(
    cols: _Columns,
    query: str,
    statics: list[EntityStatics],
    block: Floats,
    known: NDArray[np.bool_],
) -> None:
    if not query or not statics:
        for name in _TEXT_FEATURES:
            cols[name] = np.nan
        return
    n = len(statics)
    titles = [s.title for s in statics]
    has_artist = block[:, Static.HAS_ARTIST] == 1.0
    has_collection = block[:, Static.HAS_COLLECTION] == 1.0
    sorted_query = " ".join(sorted(query.split()))
    cols["text_title"] = _similarity(query, titles, fuzz.ratio, known)
    artists = [s.artist for s in statics]
    cols["text_artist"] = _similarity(query, artists, fuzz.token_set_ratio, has_artist)
    collections = [s.collection for s in statics]
    cols["text_collection"] = _similarity(query, collections, fuzz.ratio, has_collection)
    everything = [s.sorted_text for s in statics]
    cols["text_all"] = _similarity(sorted_query, everything, fuzz.ratio, known)
    tokens = frozenset(query.split())
    exact = [query in s.exact_keys for s in statics]
    prefix = [title.startswith(query) for title in titles]
    inside = [title != "" and title in query for title in titles]
    for name, flags in (
        ("exact_match", exact),
        ("title_prefix", prefix),
        ("title_in_query", inside),
    ):
        cols[name] = np.where(known, np.fromiter(flags, bool, n), np.nan)
    shared = np.fromiter([len(tokens & s.tokens) for s in statics], np.float64, n)
    cols["token_fraction"] = np.where(known, shared / len(tokens), np.nan)


def _agrees(kind: str, value: str, statics: list[EntityStatics], block: Floats) -> Floats:
    """Per candidate: 1 if it has what a slot of ``kind`` names, 0 if not, NaN if unknown."""
    if kind == "artist":
        return np.array([value in s.artists for s in statics], dtype=np.float64)
    if kind in ("album", "show"):
        return np.array([value in s.collections for s in statics], dtype=np.float64)
    if kind == "genre":
        return np.array([value in s.genres for s in statics], dtype=np.float64)
    if kind in ("mood", "tag"):
        return np.array([value in s.moods_tags for s in statics], dtype=np.float64)
    if kind == "explicit":
        return np.equal(block[:, Static.EXPLICIT], float(value == "true")).astype(np.float64)
    if kind == "type":
        meant = TYPE_DISTRIBUTIONS.get(value, {value: 1.0})
        codes = [_TYPE_CODES[t] for t in meant if t in _TYPE_CODES]
        return np.isin(block[:, Static.TYPE], codes).astype(np.float64)
    if kind == "language":
        have = block[:, Static.LANGUAGE]
        return np.where(np.isnan(have), np.nan, have == code_of(value))
    if kind in ("decade", "year") and value.isdigit():
        year = block[:, Static.YEAR]
        have = year // 10 * 10 if kind == "decade" else year
        return np.where(np.isnan(year), np.nan, have == float(value))
    return np.zeros(len(statics))


def _understanding(
    cols: _Columns,
    parse: QueryParse | None,
    statics: list[EntityStatics],
    block: Floats,
    known: NDArray[np.bool_],
) -> None:
    type_names = [f"qu_p_{t.value}" for t in ENTITY_TYPES]
    if parse is None:
        for name in (*_AGREEMENT, "qu_agreement", "qu_type_prob", *type_names):
            cols[name] = np.nan
        cols["qu_top_confidence"] = np.nan
        cols["qu_corrected"] = np.nan
        return
    n = len(statics)
    masks: dict[tuple[str, str], Floats] = {}

    def agreement(kind: str, value: str) -> Floats:
        if (kind, value) not in masks:
            masks[kind, value] = _agrees(kind, value, statics, block)
        return masks[kind, value]

    slots = [slot for slot in parse.slots if slot.kind != "title_words"]
    for name, kinds in _AGREEMENT.items():
        of_kind = [slot for slot in slots if slot.kind in kinds]
        if not of_kind:
            cols[name] = np.nan
            continue
        column = np.where(known, 0.0, np.nan)
        for slot in of_kind:
            column = np.maximum(column, slot.confidence * agreement(slot.kind, slot.value))
        cols[name] = column

    best = parse.interpretations[0] if parse.interpretations else None
    weighted = [slot for slot in (best.slots if best else []) if slot.kind != "title_words"]
    total = sum(slot.confidence for slot in weighted)
    if total > 0:
        agreed = np.zeros(n)
        for slot in weighted:
            agreed += slot.confidence * np.nan_to_num(agreement(slot.kind, slot.value))
        cols["qu_agreement"] = np.where(known, agreed / total, np.nan)
    else:
        cols["qu_agreement"] = np.nan

    probabilities = [parse.type_probabilities.get(t, 0.0) for t in ENTITY_TYPES]
    for name, p in zip(type_names, probabilities, strict=True):
        cols[name] = float(p)
    lookup = np.array([*probabilities, np.nan])
    codes = np.where(known, block[:, Static.TYPE], len(ENTITY_TYPES)).astype(np.intp)
    cols["qu_type_prob"] = lookup[codes]
    cols["qu_top_confidence"] = best.confidence if best else np.nan
    cols["qu_corrected"] = 1.0 if parse.corrections else 0.0


def _entity(cols: _Columns, inputs: SearchFeaturesInput, block: Floats) -> None:
    cols["entity_type"] = block[:, Static.TYPE]
    cols["log_popularity"] = block[:, Static.LOG_POPULARITY]
    cols["years_since_release"] = inputs.reference_year - block[:, Static.YEAR]
    cols["duration_min"] = block[:, Static.MINUTES]
    cols["explicit"] = block[:, Static.EXPLICIT]
    language = inputs.context.language
    have = block[:, Static.LANGUAGE]
    cols["language_match"] = (
        np.nan if language is None else np.where(np.isnan(have), np.nan, have == code_of(language))
    )


def _memory(
    cols: _Columns, memory: Mapping[str, MemoryPair], row: Mapping[str, int], n: int
) -> None:
    score, predicted = np.full(n, np.nan), np.full(n, np.nan)
    events = np.zeros(n)
    for entity_id, pair in memory.items():
        i = row.get(entity_id)
        if i is None:
            continue
        score[i] = pair.score
        predicted[i] = math.nan if pair.predicted is None else pair.predicted
        events[i] = pair.events
    cols["memory_score"] = score
    cols["memory_predicted"] = predicted
    cols["memory_log_events"] = np.log1p(events)
    cols["memory_learned"] = (events > 0).astype(np.float64)


def _context(
    cols: _Columns,
    inputs: SearchFeaturesInput,
    statics: list[EntityStatics],
    known: NDArray[np.bool_],
    query: str,
) -> None:
    device = inputs.context.device
    cols["device"] = np.nan if device is None else float(DEVICE_CODES.get(device.lower(), 0))
    hour = inputs.context.hour
    cols["hour"] = np.nan if hour is None else float(hour)
    tastes = {genre.lower(): weight for genre, weight in inputs.affinity.items()}
    if tastes:
        keys = frozenset(tastes)
        affinity = np.array(
            [
                0.0 if keys.isdisjoint(s.facets) else max([tastes[g] for g in s.facets & keys])
                for s in statics
            ],
            dtype=np.float64,
        )
        cols["listener_affinity"] = np.where(known, affinity, np.nan)
    else:
        cols["listener_affinity"] = np.nan
    cols["query_tokens"] = float(len(query.split()))
    cols["query_chars"] = float(len(query))
    cols["query_log_count"] = math.log1p(inputs.query_count)


_GAPS: Final = (
    ("title_gap", "text_title"),
    ("artist_gap", "text_artist"),
    ("text_all_gap", "text_all"),
    ("token_fraction_gap", "token_fraction"),
    ("popularity_gap", "log_popularity"),
    ("memory_gap", "memory_score"),
)


def _relative(cols: _Columns) -> None:
    """Each candidate against the union's best on a signal: a model scoring one candidate at a
    time cannot otherwise tell "a good title match" from "the best title match here"."""
    signals = cols.stored([source for _, source in _GAPS]).astype(np.float64)
    for (name, _), values, present in zip(_GAPS, signals, ~np.isnan(signals), strict=True):
        best = values[present].max() if present.any() else np.nan
        cols[name] = values - best
    rrf = cols["rrf_score"]
    top = rrf.max() if len(rrf) else 0.0
    cols["rrf_share"] = rrf / top if top > 0 else np.nan
