"""Apply catalog files to a data dir: the entity store and every strategy's index.

Changes stream from :class:`catalog.ingest.CatalogReader` in batches, so memory
stays bounded at any catalog size; upserts replace entities by id and deletes
remove them, in the store and the indexes alike, without a full rebuild.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from catalog.ingest import CatalogReader, Delete, RowError, Upsert
from catalog.model import Entity
from catalog.store import EntityStore
from retrievers.base import UpdatableIndex
from retrievers.bm25 import TantivyBM25
from retrievers.dense import FaissDense
from retrievers.gazetteer import Gazetteer
from retrievers.memory import Q2EMemory
from service.settings import Settings
from service.strategies import STORE_FILE, bm25_path, build_encoder, dense_path, gazetteer_path


@dataclass
class IndexReport:
    """What one catalog file did to the data dir."""

    path: Path
    rows: int = 0
    upserted: int = 0
    deleted: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    seconds: float = 0.0


def open_indexes(data_dir: Path, settings: Settings) -> dict[str, UpdatableIndex]:
    """The indexes that follow the catalog, created if missing.

    The lexical index (BM25 and structured search) and the query-understanding
    gazetteer are always built; other strategies' indexes when configured.
    """
    indexes: dict[str, UpdatableIndex] = {
        "bm25": TantivyBM25(bm25_path(data_dir), settings.bm25),
        "gazetteer": Gazetteer(gazetteer_path(data_dir)),
    }
    if "dense" in settings.pipeline.strategies:
        indexes["dense"] = FaissDense(
            dense_path(data_dir),
            _no_lookup,  # indexing never searches
            settings.dense,
            encoder=build_encoder(settings),
        )
    if "memory" in settings.pipeline.strategies:
        indexes["memory"] = Q2EMemory.open(data_dir, settings.memory, redis_url=settings.redis_url)
    return indexes


def _no_lookup(entity_ids: Sequence[str]) -> dict[str, Entity]:
    return {}


def _batches(reader: CatalogReader, batch_size: int) -> Iterator[tuple[list[Entity], list[str]]]:
    """Runs of same-kind changes, in file order, each at most ``batch_size`` long."""
    upserts: list[Entity] = []
    deletes: list[str] = []
    for change in reader:
        if isinstance(change, Upsert):
            if deletes:
                yield [], deletes
                deletes = []
            upserts.append(change.entity)
        elif isinstance(change, Delete):
            if upserts:
                yield upserts, []
                upserts = []
            deletes.append(change.id)
        if len(upserts) >= batch_size or len(deletes) >= batch_size:
            yield upserts, deletes
            upserts, deletes = [], []
    if upserts or deletes:
        yield upserts, deletes


def index_catalog(
    path: Path,
    data_dir: Path,
    settings: Settings,
    *,
    strict: bool = False,
    batch_size: int = 50_000,
    on_rows: Callable[[int], None] | None = None,
) -> IndexReport:
    """Upsert and delete the file's entities in the store and every index.

    In strict mode the first bad row raises :class:`catalog.ingest.CatalogError`
    before that batch is applied; otherwise bad rows are skipped and reported.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    report = IndexReport(path=path)
    start = time.perf_counter()
    reader = CatalogReader(path, strict=strict)
    indexes = open_indexes(data_dir, settings)
    with EntityStore(data_dir / STORE_FILE) as store, _closing(indexes):
        rows_before = 0
        for upserts, deletes in _batches(reader, batch_size):
            if upserts:
                store.upsert(upserts)
                for index in indexes.values():
                    index.upsert(upserts)
                report.upserted += len(upserts)
            if deletes:
                report.deleted += store.delete(deletes)
                for index in indexes.values():
                    index.delete(deletes)
            if on_rows is not None:
                on_rows(reader.rows_read - rows_before)
            rows_before = reader.rows_read
        if on_rows is not None:
            on_rows(reader.rows_read - rows_before)
    report.rows = reader.rows_read
    report.errors = list(reader.errors)
    report.error_count = reader.error_count
    report.seconds = time.perf_counter() - start
    return report


def delete_entities(data_dir: Path, settings: Settings, entity_ids: list[str]) -> int:
    """Delete entities from the store and every index; returns how many existed."""
    with EntityStore(data_dir / STORE_FILE) as store:
        existed = store.delete(entity_ids)
    indexes = open_indexes(data_dir, settings)
    with _closing(indexes):
        for index in indexes.values():
            index.delete(entity_ids)
    return existed


@contextmanager
def _closing(indexes: dict[str, UpdatableIndex]) -> Iterator[None]:
    """Close the indexes that hold files or connections open, whatever happens."""
    try:
        yield
    finally:
        for index in indexes.values():
            close = getattr(index, "close", None)
            if callable(close):
                close()
