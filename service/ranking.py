"""The ranking stage: order the fused union with the active ranker, or by RRF without one.

After retrieval and fusion, the stage reads the union's entities, computes every
candidate's ranking features (:mod:`ranker.features`), scores them with the active model
and orders the union by score (RRF order breaks ties). Features are computed even while
no model is active, so that the decision log holds exactly what a first model will be
trained on.

The active model lives in the model registry (files in the data dir, or Redis shared by
every replica). :class:`RankerHolder` polls the registry's activation token and loads a
newly activated model in the background; a search picks up the ranker object once, so
requests in flight finish on the model they started with and a reload never fails one.
A model that cannot be loaded, or that raises while scoring, leaves the search to RRF,
counted in ``ltrr_ranker_fallbacks``: ranking never turns a search into an error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from catalog.cache import EntityCache
from catalog.model import Entity
from ranker.config import RankerConfig
from ranker.feature_log import to_log
from ranker.feature_spec import FeatureSpec
from ranker.features import (
    EntityFeatureCache,
    MemoryPair,
    RequestContext,
    SearchFeaturesInput,
    compute_features,
)
from ranker.registry import LoadedModel
from ranker.serving import LightGBMRanker, Ranker
from retrievers.base import RetrievalQuery
from retrievers.memory_base import MemoryStore
from retrievers.normalize import normalize_query
from service.metrics import Metrics
from service.pipeline import FusedCandidate, PipelineResult

logger = logging.getLogger(__name__)


class ModelSource(Protocol):
    """Where the active model comes from (the model registry)."""

    def active(self) -> str | None: ...

    def active_token(self) -> str | None: ...

    def load(self, version: str, expected_spec: FeatureSpec | None = None) -> LoadedModel: ...


class RankerHolder:
    """The ranker this process serves, swapped when the registry activates another model."""

    def __init__(self, source: ModelSource | None, spec: FeatureSpec, metrics: Metrics) -> None:
        self.source = source
        self.spec = spec
        self.metrics = metrics
        self.ranker: Ranker | None = None
        self.error: str | None = None
        self._token: str | None = None
        self._pinned: dict[str, Ranker] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> bool:
        """Follow the registry's active pointer; True if the served ranker changed."""
        if self.source is None:
            return False
        with self._lock:
            try:
                token = self.source.active_token()
            except Exception as error:  # the registry is unreachable: keep serving
                logger.warning("ranker registry unreachable: %s", error)
                return False
            if token == self._token:
                return False
            version = self.source.active()
            try:
                ranker = None if version is None else self._load(version)
            except Exception as error:
                self._token = token  # do not retry a broken model every poll
                self.error = f"{type(error).__name__}: {error}"
                self.metrics.ranker_reloads.labels("refused").inc()
                logger.error("not serving ranker model %s: %s", version, error)
                return False
            self._token = token
            self.ranker, self.error = ranker, None
            self.metrics.ranker_reloads.labels("loaded").inc()
            self.metrics.ranker_active.set(0 if ranker is None else 1)
            logger.info("ranker now %s", "rrf" if ranker is None else ranker.version)
            return True

    def _load(self, version: str) -> Ranker:
        if self.source is None:
            raise LookupError(f"no model registry to load ranker {version} from")
        loaded = self.source.load(version, expected_spec=self.spec)
        return LightGBMRanker(version, loaded.spec, loaded.model)

    def get(self, version: str) -> Ranker:
        """A registered model by version (the active one, or one pinned by a request).

        Loaded models are kept (a few), so pinning a version costs one load per process.
        Raises the registry's error for an unknown version or another feature spec.
        """
        current = self.ranker
        if current is not None and current.version == version:
            return current
        with self._lock:
            ranker = self._pinned.get(version)
            if ranker is None:
                ranker = self._load(version)
                if len(self._pinned) >= 4:
                    del self._pinned[next(iter(self._pinned))]
                self._pinned[version] = ranker
            return ranker

    def start_refresh(self, every_s: float) -> None:
        if self.source is None or self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.wait(every_s):
                self.refresh()

        self._thread = threading.Thread(target=loop, name="ltrr-ranker-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


@dataclass(frozen=True)
class Listener:
    """What the service knows of the searching listener and query, read once per search."""

    query_count: int = 0
    tastes: Mapping[str, float] = field(default_factory=dict)


@dataclass
class RankOutcome:
    """The union in served order, and what the ranking knew about it."""

    ranked: list[FusedCandidate]
    entities: dict[str, Entity]
    ranker: str
    """The model version that ordered the union, or ``rrf``."""
    fallback: str | None = None
    """Why RRF ordered the union although a model was active."""
    ids: list[str] = field(default_factory=list)
    """Candidate ids in the rows of ``features`` (RRF order)."""
    features: NDArray[np.float32] | None = None
    scores: dict[str, float] = field(default_factory=dict)
    model: Ranker | None = None

    def feature_log(
        self, spec: FeatureSpec, shown: Sequence[str], sample: int, seed: int
    ) -> dict[str, Any] | None:
        """The log form of the shown rows (in shown order) and ``sample`` random unshown rows."""
        if self.features is None:
            return None
        row = {entity_id: i for i, entity_id in enumerate(self.ids)}
        shown_rows = [row[i] for i in shown if i in row]
        taken = set(shown_rows)
        rest = [i for i in range(len(self.ids)) if i not in taken]
        if sample and rest:
            rng = np.random.default_rng(seed)
            picked = rng.choice(len(rest), size=min(sample, len(rest)), replace=False)
            rest = [rest[i] for i in sorted(picked.tolist())]
        else:
            rest = []
        rows = shown_rows + rest
        payload = to_log(self.features[rows], spec, [self.ids[i] for i in rows])
        payload["shown"] = len(shown_rows)
        return payload

    def explain(self, entity_ids: Sequence[str], top: int) -> dict[str, list[tuple[str, float]]]:
        """Each listed entity's top feature contributions to its score (empty under RRF)."""
        if self.model is None or self.features is None:
            return {}
        row = {entity_id: i for i, entity_id in enumerate(self.ids)}
        present = [i for i in entity_ids if i in row]
        if not present:
            return {}
        contributions = self.model.explain(self.features[[row[i] for i in present]], top)
        return dict(zip(present, contributions, strict=True))


class RankStage:
    """Features, scoring and ordering of one search's fused union."""

    def __init__(
        self,
        holder: RankerHolder,
        entities: EntityCache,
        memory: MemoryStore | None,
        config: RankerConfig,
        metrics: Metrics,
    ) -> None:
        self.holder = holder
        self.entities = entities
        self.memory = memory
        self.config = config
        self.metrics = metrics
        self.spec = holder.spec
        self.feature_cache = EntityFeatureCache(max_entities=200_000)

    def active(self) -> Ranker | None:
        """The model that orders searches which do not pin one (None: RRF)."""
        return self.holder.ranker if self.config.enabled else None

    def rank(
        self,
        query: RetrievalQuery,
        result: PipelineResult,
        *,
        model: Ranker | None,
        listener: Listener,
        locale: str | None,
        device: str | None,
        when: datetime | None,
        size: int,
    ) -> RankOutcome:
        """Order ``result``'s union with ``model`` (None: RRF).

        Never raises for a model's failure: RRF takes over, and the reason is reported.
        """
        union = result.ranked[: self.config.rank_depth]
        ids = [c.entity_id for c in union]
        if model is None and not self.config.log_features:
            entities = self.entities.get_many(ids[:size])
            self.metrics.ranker_searches.labels("rrf").inc()
            return RankOutcome(result.ranked, entities, "rrf")

        entities = self.entities.get_many(ids)
        start = time.perf_counter()
        features = self._features(query, result, ids, entities, listener, locale, device, when)
        self.metrics.stage_latency.labels("features").observe(time.perf_counter() - start)
        outcome = RankOutcome(result.ranked, entities, "rrf", ids=ids, features=features)
        if model is None:
            self.metrics.ranker_searches.labels("rrf").inc()
            return outcome

        start = time.perf_counter()
        try:
            scores = model.score(features)
            if scores.shape != (len(ids),) or not np.all(np.isfinite(scores)):
                raise ValueError(f"model returned {scores.shape} scores, not finite per candidate")
        except Exception as error:
            logger.exception("ranker %s failed; RRF orders this search", model.version)
            self.metrics.ranker_fallbacks.labels(type(error).__name__).inc()
            self.metrics.ranker_searches.labels("rrf").inc()
            outcome.fallback = f"{type(error).__name__}: {error}"
            return outcome
        self.metrics.stage_latency.labels("score").observe(time.perf_counter() - start)
        order = np.argsort(-scores, kind="stable")  # ties keep RRF order
        outcome.ranked = [replace(union[i], score=float(scores[i])) for i in order] + result.ranked[
            len(union) :
        ]
        outcome.scores = {ids[i]: float(scores[i]) for i in range(len(ids))}
        outcome.ranker = model.version
        outcome.model = model
        self.metrics.ranker_searches.labels("model").inc()
        return outcome

    def _features(
        self,
        query: RetrievalQuery,
        result: PipelineResult,
        ids: list[str],
        entities: Mapping[str, Entity],
        listener: Listener,
        locale: str | None,
        device: str | None,
        when: datetime | None,
    ) -> NDArray[np.float32]:
        moment = when or datetime.now(UTC)
        memory: Mapping[str, MemoryPair] = {}
        key = normalize_query(query.text)
        if self.memory is not None and key and ids:
            memory = self.memory.pair_stats(key, ids)
        inputs = SearchFeaturesInput(
            query=query.text,
            parse=result.understanding,
            runs=result.runs,
            plan=result.plan.depths,
            entities=entities,
            reference_year=moment.year,
            memory=memory,
            context=RequestContext(locale=locale, device=device, hour=moment.hour),
            affinity=listener.tastes,
            query_count=listener.query_count,
        )
        return compute_features(inputs, ids, self.spec, cache=self.feature_cache)


def search_seed(search_id: str) -> int:
    """A per-search seed for the logged sample of unshown rows (reproducible from the id)."""
    return int.from_bytes(search_id.encode()[-8:], "big") % (2**63)
