"""The registry of retrieval strategies: names in settings → built retrievers.

Adding a strategy is one factory here plus its module in ``retrievers/``; an
unknown name fails at start-up and lists the valid ones. Strategies share
heavy resources through :class:`StrategyEnv` (one tantivy index for BM25 and
structured search, one gazetteer for query understanding), built lazily and
once per process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import tantivy

from catalog.store import EntityStore
from retrievers.base import Retriever
from retrievers.bm25 import TantivyBM25
from retrievers.dense import FaissDense
from retrievers.embedding import Encoder
from retrievers.gazetteer import Gazetteer
from retrievers.memory import Q2EMemory, memory_exists
from retrievers.structured import StructuredSearch
from retrievers.understanding import QueryUnderstanding
from service.settings import Settings

STORE_FILE = "catalog.sqlite"
"""The entity store inside a data dir."""

T = TypeVar("T")


class MissingIndexError(RuntimeError):
    """A strategy's index is absent from the data dir."""


def bm25_path(data_dir: Path) -> Path:
    return data_dir / "bm25"


def gazetteer_path(data_dir: Path) -> Path:
    return data_dir / "gazetteer"


def dense_path(data_dir: Path) -> Path:
    return data_dir / "dense"


def build_encoder(settings: Settings) -> Encoder:
    """The query/entity encoder (sentence-transformers model, ONNX export cached)."""
    return Encoder(settings.dense.embedding, export_dir=settings.model_export_dir)


def _rebuild_hint(settings: Settings) -> str:
    return f"build it with `ltrr index --catalog CATALOG --data-dir {settings.data_dir}`"


@dataclass
class StrategyEnv:
    """What strategy factories may use: settings, the entity store, shared indexes."""

    settings: Settings
    store: EntityStore
    _shared: dict[str, Any] = field(default_factory=dict)

    def shared(self, key: str, build: Callable[[], T]) -> T:
        if key not in self._shared:
            self._shared[key] = build()
        value: T = self._shared[key]
        return value

    def bm25(self) -> TantivyBM25:
        def build() -> TantivyBM25:
            path = bm25_path(self.settings.data_dir)
            if not tantivy.Index.exists(str(path)):
                raise MissingIndexError(f"no BM25 index in {path}: {_rebuild_hint(self.settings)}")
            return TantivyBM25(path, self.settings.bm25)

        return self.shared("bm25", build)

    def understanding(self) -> QueryUnderstanding:
        def build() -> QueryUnderstanding:
            path = gazetteer_path(self.settings.data_dir)
            if not path.exists():
                raise MissingIndexError(
                    f"no query-understanding gazetteer in {path}: {_rebuild_hint(self.settings)}"
                )
            return QueryUnderstanding(Gazetteer(path), self.settings.understanding)

        return self.shared("understanding", build)

    def dense(self) -> FaissDense:
        def build() -> FaissDense:
            path = dense_path(self.settings.data_dir)
            if not path.exists():
                raise MissingIndexError(f"no dense index in {path}: {_rebuild_hint(self.settings)}")
            return FaissDense(
                path,
                self.store.get_many,
                self.settings.dense,
                encoder=build_encoder(self.settings),
            )

        return self.shared("dense", build)

    def memory(self) -> Q2EMemory:
        def build() -> Q2EMemory:
            settings = self.settings
            if settings.redis_url is None and not memory_exists(settings.data_dir):
                raise MissingIndexError(
                    f"no Q2E memory in {settings.data_dir}: {_rebuild_hint(settings)}"
                )
            return Q2EMemory.open(
                settings.data_dir,
                settings.memory,
                redis_url=settings.redis_url,
                lookup=self.store.get_many,
            )

        return self.shared("memory", build)

    def close(self) -> None:
        for resource in self._shared.values():
            close = getattr(resource, "close", None)
            if callable(close):
                close()
        self._shared.clear()


StrategyFactory = Callable[[StrategyEnv], Retriever]


def _bm25(env: StrategyEnv) -> Retriever:
    return env.bm25()


def _structured(env: StrategyEnv) -> Retriever:
    return StructuredSearch(env.bm25(), env.understanding(), env.settings.structured)


def _memory(env: StrategyEnv) -> Retriever:
    return env.memory()


def _dense(env: StrategyEnv) -> Retriever:
    return env.dense()


STRATEGIES: dict[str, StrategyFactory] = {
    "bm25": _bm25,
    "dense": _dense,
    "structured": _structured,
    "memory": _memory,
}


def build_retrievers(settings: Settings, env: StrategyEnv | None = None) -> dict[str, Retriever]:
    """Open every configured strategy's index (never rebuilds)."""
    unknown = sorted(set(settings.pipeline.strategies) - set(STRATEGIES))
    if unknown:
        raise ValueError(f"unknown strategies {unknown}; valid strategies: {sorted(STRATEGIES)}")
    if env is None:
        store_path = settings.data_dir / STORE_FILE
        if not store_path.exists():
            raise MissingIndexError(f"no catalog store at {store_path}: {_rebuild_hint(settings)}")
        env = StrategyEnv(settings, EntityStore(store_path))
    return {name: STRATEGIES[name](env) for name in settings.pipeline.strategies}
