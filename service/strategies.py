"""The registry of retrieval strategies: names in settings → built retrievers.

Adding a strategy is one factory here plus its module in ``retrievers/``; an
unknown name fails at start-up and lists the valid ones.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import tantivy

from retrievers.base import Retriever
from retrievers.bm25 import TantivyBM25
from service.settings import Settings

StrategyFactory = Callable[[Settings], Retriever]

STORE_FILE = "catalog.sqlite"
"""The entity store inside a data dir."""


class MissingIndexError(RuntimeError):
    """A strategy's index is absent from the data dir."""


def bm25_path(data_dir: Path) -> Path:
    return data_dir / "bm25"


def _open_bm25(settings: Settings) -> Retriever:
    path = bm25_path(settings.data_dir)
    if not tantivy.Index.exists(str(path)):
        raise MissingIndexError(
            f"no BM25 index in {path}: build it with "
            f"`ltrr index --catalog CATALOG --data-dir {settings.data_dir}`"
        )
    return TantivyBM25(path, settings.bm25)


STRATEGIES: dict[str, StrategyFactory] = {"bm25": _open_bm25}


def build_retrievers(settings: Settings) -> dict[str, Retriever]:
    """Open every configured strategy's index (never rebuilds)."""
    unknown = sorted(set(settings.pipeline.strategies) - set(STRATEGIES))
    if unknown:
        raise ValueError(f"unknown strategies {unknown}; valid strategies: {sorted(STRATEGIES)}")
    return {name: STRATEGIES[name](settings) for name in settings.pipeline.strategies}
