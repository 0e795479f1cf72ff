"""A cold-start ranker, trained on synthetic queries before any listener has clicked.

A fresh install has no feedback, so :mod:`ranker.fit` has nothing to learn from and RRF
orders every search. Yet the catalog already says what listeners will type: the Q2E memory
starts from *predicted* query→entity pairs (:mod:`retrievers.query_generation`: an entity's
title, artist + title, artist, show, genre and mood phrases, misspellings). Turned around,
each predicted pair is a known-item search whose answer is known — the simulated-query
approach to known-item test collections (Azzopardi, de Rijke & Balog 2007, "Building
Simulated Queries for Known-Item Topics", SIGIR) — so a ranker can learn from them, and
serve until feedback-trained models replace it.

1. :func:`ranker.synthetic_queries.synthetic_queries` samples entities, stratified by
   type and weighted by popularity (head entities often, the tail too), generates each
   one's queries with the memory's own generator and picks one at random: a
   :class:`~ranker.synthetic_queries.SyntheticQuery` knows which entity it was typed for.
2. :func:`synthetic_training_set` runs every query through the real pipeline and ranking
   stage, as a search is served under the given plan (default: the service's), and labels
   the union (:data:`SOURCE_LABEL`, :data:`EXACT_LABEL`). A query whose entity retrieval
   did not bring is dropped and counted: that miss is retrieval's (the bandit's), not one a
   ranker of the union can repair.
3. :func:`train_coldstart` trains LambdaMART (:mod:`ranker.train`) on
   :data:`COLDSTART_FEATURES` only, each constrained to raise the score monotonically.

Why so few features, and why monotone: RRF already ranks a synthetic query's entity first
in almost every known-item query, so what these queries can teach is *when a candidate that
the query identifies should jump above RRF's order*. Every other column — the candidate's
popularity, type, age or duration, raw retriever scores and ranks, fuzzy similarities, the
query's shape — varies over all candidates of every query, and on generated queries it
separates the generating entity from its decoys by artifacts of the generator and the
sampler (the entity is popular because sampling is popularity-weighted; a misspelled query
misses dense retrieval). A model free to use them ranks queries unlike any generated one
(descriptive, partial) at random, and falls below RRF the longer it trains. Restricted to
RRF and identification evidence, and monotone in each (monotonicity as a prior that holds
beyond the training distribution: Gupta et al. 2016, "Monotonic Calibrated Interpolated
Look-Up Tables", JMLR 17; LightGBM's ``monotone_constraints``), it can only lift identified
candidates: where the evidence is silent, RRF's order stands. On the fixture catalog, with
every column free the model lands at nDCG@10 0.835 on the judged queries and 0.81 on
simulated listeners' queries, against RRF's 0.861 and 0.832; with these four, monotone, at
0.868 and 0.847 (``tests/ranker/test_coldstart.py`` pins them).

``ltrr ranker coldstart`` (:mod:`ranker.coldstart_cli`) registers the model as a version
trained on source ``synthetic``.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from ranker.dataset import DatasetError, RankingDataset
from ranker.registry import DataSpan
from ranker.synthetic_queries import SyntheticQuery, synthetic_queries
from ranker.train import TrainConfig, TrainedModel, split_by_time, train_lambdamart
from retrievers.base import RetrievalQuery

if TYPE_CHECKING:
    from service.app_state import Services
    from service.pipeline import RetrievalPlan

SOURCE_LABEL: Final = 2
"""Label of the entity a synthetic query was generated for."""
EXACT_LABEL: Final = 1
"""Label of another candidate that matches the query exactly (the ``exact_match`` feature:
the query is its title, one of its artists, or an artist and the title in either order).

Such a candidate is what a listener typing that query may well have meant — another
recording of the title, the tracks of the artist the query names — so labelling it
irrelevant would teach the model to push plausible answers below unrelated ones; the
higher grade keeps the generating entity first. Entities that merely share a genre phrase
with the query stay 0: the phrase fits too many of them for a label to say anything."""
COLDSTART_FEATURES: Final = ("rrf_score", "exact_match", "memory_score", "qu_agreement")
"""The columns a cold-start model reads: the fusion score it improves on, and evidence that
the query identifies the candidate (it names it exactly; the memory maps this query to it;
it agrees with the slots query understanding parsed). Each raises the score monotonically."""
VALID_FRACTION: Final = 0.2
"""Latest share of the synthetic queries held out to report validation NDCG."""
COLDSTART_CONFIG: Final = TrainConfig(early_stopping_rounds=None)
"""LightGBM's usual LambdaMART settings, 100 rounds without early stopping: NDCG on held-out
synthetic queries peaks within a few rounds, while quality on real queries keeps improving
(judged set: 0.862-0.866 early-stopped at round 1-3, 0.868 after 100). The narrow, monotone
feature set, not the round count, is what keeps the model from learning the generator."""

Progress = Callable[[], None]
"""Called once per query processed (to advance a progress bar)."""


class ColdStartStats(BaseModel):
    """What a synthetic training set holds, and what it had to drop."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    queries: int = Field(ge=0, description="Synthetic queries run.")
    groups: int = Field(ge=0, description="Queries kept: their entity was in the union.")
    missed: int = Field(
        ge=0, description="Queries dropped: retrieval did not bring their entity (incl. empty)."
    )
    empty: int = Field(ge=0, description="Queries whose union was empty.")
    rows: int = Field(ge=0, description="Candidate rows kept.")
    exact_rows: int = Field(ge=0, description=f"Rows labelled {EXACT_LABEL} (exact matches).")
    strategy_failures: int = Field(ge=0, description="Strategy calls that failed or timed out.")
    kinds: dict[str, int] = Field(default_factory=dict, description="Kept queries per kind.")
    missed_kinds: dict[str, int] = Field(
        default_factory=dict, description="Dropped queries per kind."
    )
    seconds: float = Field(0.0, ge=0.0, description="Time spent running the queries.")

    @property
    def recall(self) -> float:
        """Share of the queries whose entity retrieval brought (0 without queries)."""
        return self.groups / self.queries if self.queries else 0.0


# -- the training set ----------------------------------------------------------------------


def _labels(
    ids: Sequence[str], source: str, exact: NDArray[np.float32] | None
) -> NDArray[np.int32]:
    labels = np.zeros(len(ids), dtype=np.int32)
    if exact is not None:
        labels[np.nan_to_num(exact) >= 1.0] = EXACT_LABEL
    labels[ids.index(source)] = SOURCE_LABEL
    return labels


@dataclass
class _Group:
    index: int
    features: NDArray[np.float32]
    labels: NDArray[np.int32]


async def _collect(
    services: Services,
    queries: Sequence[SyntheticQuery],
    plan: RetrievalPlan,
    when: datetime,
    progress: Progress | None,
) -> tuple[list[_Group], ColdStartStats]:
    """Search every query, one after another on one event loop, and label the unions."""
    from service.ranking import Listener

    stage = services.ranking
    exact_column = stage.spec.index.get("exact_match")
    kept: list[_Group] = []
    kinds: Counter[str] = Counter()
    missed_kinds: Counter[str] = Counter()
    empty = failures = exact_rows = 0
    start = time.perf_counter()
    for index, synthetic in enumerate(queries):
        query = RetrievalQuery(synthetic.text)
        result = await services.pipeline.run(query, plan)
        failures += len(result.failures)
        outcome = stage.rank(
            query,
            result,
            model=None,
            listener=Listener(),
            locale=None,
            device=None,
            when=when,
            size=len(result.ranked),
        )
        if progress is not None:
            progress()
        if outcome.features is None:
            raise ValueError(
                "the ranking stage computed no features: a cold-start ranker needs "
                "LTRR_RANKER__LOG_FEATURES=true"
            )
        if not outcome.ids:
            empty += 1
        if synthetic.entity_id not in outcome.ids:
            missed_kinds[synthetic.kind.value] += 1
            continue
        exact = None if exact_column is None else outcome.features[:, exact_column]
        labels = _labels(outcome.ids, synthetic.entity_id, exact)
        exact_rows += int((labels == EXACT_LABEL).sum())
        kinds[synthetic.kind.value] += 1
        kept.append(_Group(index, outcome.features, labels))
    stats = ColdStartStats(
        queries=len(queries),
        groups=len(kept),
        missed=sum(missed_kinds.values()),
        empty=empty,
        rows=sum(len(group.labels) for group in kept),
        exact_rows=exact_rows,
        strategy_failures=failures,
        kinds=dict(sorted(kinds.items())),
        missed_kinds=dict(sorted(missed_kinds.items())),
        seconds=time.perf_counter() - start,
    )
    return kept, stats


def synthetic_training_set(
    services: Services,
    queries: Sequence[SyntheticQuery],
    *,
    plan: RetrievalPlan | None = None,
    when: datetime | None = None,
    progress: Progress | None = None,
) -> tuple[RankingDataset, ColdStartStats]:
    """The labelled features of every synthetic query's union, as the service computes them.

    Each query runs through ``services.pipeline`` under ``plan`` (default: the service's
    default plan) and ``services.ranking`` without a model, so the rows are the features a
    served search logs, every column of the service's feature spec. The generating entity
    is labelled :data:`SOURCE_LABEL`, other exact matches :data:`EXACT_LABEL`, the rest 0.
    Queries whose entity is not in the union are dropped and counted in the stats; if none
    is left, :class:`DatasetError`. A query's time (for
    :func:`ranker.train.split_by_time`) is its index in ``queries``.

    ``when`` is the moment every search is computed at (default: now, once for the whole
    batch), so time features do not drift during the run. The searches run one by one on
    one event loop (``asyncio.run``), so call this outside a running loop. ``progress`` is
    called once per query.
    """
    if not queries:
        raise ValueError("queries must not be empty")
    plan = plan or services.default_plan
    services.pipeline.check_plan(plan)
    moment = when or datetime.now(UTC)
    kept, stats = asyncio.run(_collect(services, queries, plan, moment, progress))
    if not kept:
        raise DatasetError(
            f"none of the {len(queries)} synthetic queries found its entity in the union: "
            "nothing to train on (check the plan and the indexes)"
        )
    sizes = [len(group.labels) for group in kept]
    dataset = RankingDataset.from_query_ids(
        np.concatenate([group.features for group in kept]),
        np.concatenate([group.labels for group in kept]),
        np.repeat(np.arange(len(kept)), sizes),
        feature_names=services.ranking.spec.names,
        query_times=np.array([group.index for group in kept], dtype=np.float64),
    )
    return dataset, stats


# -- training ------------------------------------------------------------------------------


def restrict_features(
    dataset: RankingDataset, keep: Sequence[str] = COLDSTART_FEATURES
) -> RankingDataset:
    """``dataset`` with every column but ``keep`` blanked (NaN), so no tree splits on them.

    The columns (and their names) stay, so the model scores the service's whole feature
    matrix; the blanked ones simply never matter.
    """
    unknown = sorted(set(keep) - set(dataset.feature_names))
    if unknown:
        raise DatasetError(f"features {unknown} are not columns of the dataset")
    columns = [dataset.feature_names.index(name) for name in keep]
    features = np.full_like(dataset.features, np.nan)
    features[:, columns] = dataset.features[:, columns]
    return RankingDataset(
        features,
        dataset.labels,
        dataset.group_sizes,
        feature_names=dataset.feature_names,
        positions=dataset.positions,
        weights=dataset.weights,
        query_times=dataset.query_times,
    )


def fit_coldstart(
    dataset: RankingDataset,
    config: TrainConfig | None = None,
    *,
    valid_fraction: float = VALID_FRACTION,
) -> TrainedModel:
    """LambdaMART on ``dataset``'s :data:`COLDSTART_FEATURES`, monotone increasing in each.

    The latest ``valid_fraction`` of the queries is held out; its NDCG (on synthetic labels)
    is reported in the model's ``valid_metrics``, and used for early stopping only if
    ``config`` asks for it (:data:`COLDSTART_CONFIG` does not).
    """
    restricted = restrict_features(dataset)
    train, valid = split_by_time(restricted, valid_fraction)
    config = (config or COLDSTART_CONFIG).model_copy(
        update={"monotone_constraints": dict.fromkeys(COLDSTART_FEATURES, 1)}
    )
    return train_lambdamart(train, valid, config)


def train_coldstart(
    services: Services,
    n_queries: int,
    seed: int,
    config: TrainConfig | None = None,
    *,
    plan: RetrievalPlan | None = None,
    exclude: Collection[str] = (),
    valid_fraction: float = VALID_FRACTION,
    when: datetime | None = None,
    progress: Progress | None = None,
) -> tuple[TrainedModel, DataSpan, ColdStartStats]:
    """Sample ``n_queries`` synthetic queries, search them, and fit a cold-start ranker.

    ``config`` defaults to :data:`COLDSTART_CONFIG` with ``seed`` as LightGBM's seed; keep
    its ``early_stopping_rounds`` at None, since NDCG on synthetic validation queries peaks
    within a few rounds, long before quality on real queries does. ``exclude`` keeps query
    texts (e.g. a judged evaluation set) out of training. The model scores
    ``services.ranking.spec``'s columns, ready to register under that spec.
    """
    config = config or COLDSTART_CONFIG.model_copy(update={"seed": seed})
    queries = synthetic_queries(
        services.store,
        n_queries,
        seed,
        generation=services.settings.memory.generation,
        exclude=exclude,
    )
    if not queries:
        raise DatasetError("no synthetic query is left once the excluded queries are removed")
    dataset, stats = synthetic_training_set(
        services, queries, plan=plan, when=when, progress=progress
    )
    model = fit_coldstart(dataset, config, valid_fraction=valid_fraction)
    span = DataSpan(source="synthetic", searches=dataset.n_queries, rows=dataset.n_rows)
    return model, span, stats
