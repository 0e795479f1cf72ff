"""Training data from ltrr's own logs: served features joined with graded feedback labels.

Every search logs the ranking features of what it showed (and of a sample of unshown
candidates) with its decision; the feedback worker copies them into the learning log once
per search, beside one row per feedback event (:mod:`service.learning_log`). This module
joins the two into a :class:`ranker.dataset.RankingDataset`: one query group per search,
the features exactly as served, the label graded from what the listener did with each
shown entity, the display position it was shown at, and the search time (validation holds
out the latest searches).

Labels (:class:`LabelConfig`, documented in ``docs/ranker.md``):

* ``like`` or ``add_to_library`` → 3
* ``play`` of at least ``min_play_ms`` → 2
* ``click``, or a shorter play → 1
* shown without engagement → 0
* a ``skip`` takes one grade off what the entity earned (never below 0), unless it was
  liked or added: skipping a track right after clicking it says the click was a mistake.

Groups whose rows are all 0 carry no ranking signal for LambdaMART (no pair to order) and
are dropped. Unshown rows, when asked for, join as label 0 at one position past the page
(``position = shown``): they were never examined, but they are what the model must learn
to keep below the page, and a position-bias term or propensity weight for "not shown"
keeps them from being read as examined and rejected.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ranker.dataset import DatasetError, RankingDataset
from ranker.feature_log import FeatureRows
from ranker.feature_spec import FeatureSpec
from ranker.interventions import SWAP_JSON, Swap
from ranker.propensity import SwapObservation


class LabelConfig(BaseModel):
    """How feedback events grade a shown entity."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_play_ms: int = Field(30_000, ge=0, description="A play this long or longer grades 2.")
    like: int = Field(3, ge=0, le=30)
    long_play: int = Field(2, ge=0, le=30)
    click: int = Field(1, ge=0, le=30)
    skip_penalty: int = Field(1, ge=0, le=30)


def grade(events: list[tuple[str, int | None]], config: LabelConfig) -> int:
    """The label of one shown entity from its ``(type, play_ms)`` events."""
    label = 0
    liked = False
    skipped = False
    for kind, play_ms in events:
        if kind in ("like", "add_to_library"):
            label, liked = max(label, config.like), True
        elif kind == "play":
            long = play_ms is not None and play_ms >= config.min_play_ms
            label = max(label, config.long_play if long else config.click)
        elif kind == "click":
            label = max(label, config.click)
        elif kind == "skip":
            skipped = True
    if skipped and not liked:
        label = max(0, label - config.skip_penalty)
    return label


@dataclass(frozen=True)
class LoggedSearch:
    """One search as the learning log holds it."""

    search_id: str
    searched_at: float
    ranker: str
    rows: FeatureRows
    shown: int
    """The first ``shown`` rows are the shown entities, in shown order."""
    swap: Swap | None
    events: dict[str, list[tuple[str, int | None]]]
    """Entity id → its ``(type, play_ms)`` feedback events."""


@dataclass
class LoggedData:
    """A training set read from the logs, with what was read and left out."""

    dataset: RankingDataset
    searches: int
    first_search_at: float | None
    last_search_at: float | None
    skipped: dict[str, int] = field(default_factory=dict)


def read_searches(
    path: Path,
    spec: FeatureSpec,
    *,
    since: float | None = None,
    until: float | None = None,
) -> Iterator[LoggedSearch]:
    """Searches of the learning log at ``path`` with features logged under ``spec``, by time.

    Searches whose features were logged under another spec are skipped (a model can only
    learn from the columns it scores); the caller counts them through :func:`read_training`.
    """
    if not path.exists():
        raise FileNotFoundError(f"no learning log at {path}: serve searches and send feedback")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        where, params = "1=1", list[float]()
        if since is not None:
            where, params = where + " AND searched_at >= ?", [*params, since]
        if until is not None:
            where, params = where + " AND searched_at < ?", [*params, until]
        searches = conn.execute(
            "SELECT search_id, searched_at, ranker, features, swap FROM search_features"
            f" WHERE {where} ORDER BY searched_at, search_id",
            params,
        )
        for search_id, searched_at, ranker, features, swap in searches:
            payload = json.loads(features)
            if payload.get("spec") != spec.version:
                yield LoggedSearch(search_id, searched_at, ranker, _empty(spec), -1, None, {})
                continue
            events: dict[str, list[tuple[str, int | None]]] = {}
            for entity_id, kind, play_ms in conn.execute(
                "SELECT entity_id, type, play_ms FROM training_rows WHERE search_id = ?",
                (search_id,),
            ):
                events.setdefault(entity_id, []).append((kind, play_ms))
            yield LoggedSearch(
                search_id,
                float(searched_at),
                ranker,
                FeatureRows.from_log(payload, spec),
                int(payload.get("shown", 0)),
                None if swap is None else SWAP_JSON.validate_json(swap),
                events,
            )
    finally:
        conn.close()


def _empty(spec: FeatureSpec) -> FeatureRows:
    return FeatureRows(spec, (), np.empty((0, len(spec)), dtype=np.float32))


def read_training(
    path: Path,
    spec: FeatureSpec,
    labels: LabelConfig | None = None,
    *,
    include_unshown: bool = False,
    since: float | None = None,
    until: float | None = None,
) -> LoggedData:
    """The LambdaMART training set of the learning log at ``path`` (see the module docs)."""
    labels = labels or LabelConfig()
    features: list[np.ndarray] = []
    grades: list[int] = []
    positions: list[int] = []
    qids: list[int] = []
    times: list[float] = []
    skipped = {"other_spec": 0, "no_engagement": 0}
    for search in read_searches(path, spec, since=since, until=until):
        if search.shown < 0:
            skipped["other_spec"] += 1
            continue
        n = search.shown if not include_unshown else len(search.rows.entity_ids)
        ids = search.rows.entity_ids[:n]
        row_labels = [
            grade(search.events.get(entity_id, []), labels) if i < search.shown else 0
            for i, entity_id in enumerate(ids)
        ]
        if not any(row_labels):
            skipped["no_engagement"] += 1
            continue
        qid = len(times)
        features.append(search.rows.matrix[:n])
        grades.extend(row_labels)
        positions.extend(min(i, search.shown) for i in range(n))
        qids.extend([qid] * n)
        times.append(search.searched_at)
    if not times:
        raise DatasetError(
            f"the learning log at {path} holds no search with engagement and features under "
            f"spec {spec.version} (skipped: {skipped})"
        )
    dataset = RankingDataset.from_query_ids(
        np.concatenate(features),
        np.asarray(grades),
        np.asarray(qids),
        feature_names=spec.names,
        positions=np.asarray(positions),
        query_times=np.asarray(times),
    )
    return LoggedData(dataset, len(times), times[0], times[-1], skipped)


CLICKS = frozenset({"click", "play", "like", "add_to_library"})
"""Events that show a result was examined and chosen (the clicks of the position-bias model)."""


def swap_observations(path: Path, spec: FeatureSpec) -> list[SwapObservation]:
    """Each logged search as a swap observation: its swap (if any), clicked display positions.

    Estimating position bias compares swapped with unswapped searches, so every search that
    reached the learning log takes part. Clients must report impressions for every served
    page: a search only reaches the log through its feedback, and pages without a click
    would otherwise be missing.
    """
    observations: list[SwapObservation] = []
    for search in read_searches(path, spec):
        if search.shown < 0:
            continue
        shown = search.rows.entity_ids[: search.shown]
        clicked = frozenset(
            i
            for i, entity_id in enumerate(shown)
            if any(kind in CLICKS for kind, _ in search.events.get(entity_id, []))
        )
        observations.append(SwapObservation(search.swap, clicked, len(shown)))
    return observations
