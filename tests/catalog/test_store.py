"""Tests for catalog.store: the SQLite entity store."""

from __future__ import annotations

import random
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from catalog.ingest import CatalogReader, Upsert
from catalog.model import Entity, EntityType
from catalog.store import DEFAULT_FILENAME, EntityStore, StoreError


def entity(entity_id: str, title: str = "Title", **fields: object) -> Entity:
    return Entity.model_validate({"id": entity_id, "type": "track", "title": title, **fields})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EntityStore]:
    with EntityStore(tmp_path / "entities.sqlite3") as opened:
        yield opened


def test_upsert_update_delete_get(store: EntityStore) -> None:
    assert store.upsert([entity("t1"), entity("t2")]) == 2
    assert store.get("t1") == entity("t1")
    assert store.upsert([entity("t1", "New title")]) == 1
    assert len(store) == 2
    assert store.get("t1") == entity("t1", "New title")
    assert store.delete(["t1", "nope"]) == 1
    assert store.get("t1") is None
    assert "t1" not in store
    assert "t2" in store
    assert store.delete(["t1"]) == 0


def test_empty_calls(store: EntityStore) -> None:
    assert store.upsert([]) == 0
    assert store.delete([]) == 0
    assert store.get_many([]) == {}
    assert len(store) == 0
    assert list(store.iter_all()) == []


def test_round_trip_keeps_every_field(store: EntityStore) -> None:
    full = Entity(
        id="ep:1",
        type=EntityType.EPISODE,
        title="Episode",
        artists=["Host"],
        artist_ids=["a:1"],
        show="Show",
        show_id="show:1",
        genres=["talk"],
        moods=["calm"],
        tags=["news"],
        language="en",
        release_year=2020,
        duration_ms=3_600_000,
        explicit=True,
        popularity=42.5,
        description="About things ✓",
        attributes={"int": 1, "float": 1.5, "bool": False, "str": "x"},
    )
    store.upsert([full])
    stored = store.get("ep:1")
    assert stored == full
    assert stored is not None
    assert type(stored.attributes["bool"]) is bool
    assert type(stored.attributes["int"]) is int


def test_type_can_change_on_update(store: EntityStore) -> None:
    store.upsert([entity("x1")])
    store.upsert([Entity(id="x1", type=EntityType.ALBUM, title="Now an album")])
    assert [e.id for e in store.iter_all(entity_type=EntityType.ALBUM)] == ["x1"]
    assert list(store.iter_all(entity_type=EntityType.TRACK)) == []


def test_get_many(store: EntityStore) -> None:
    store.upsert(entity(f"t{i}") for i in range(1200))
    ids = ["t1100", "missing", "t5", "t5", "t0"]
    assert list(store.get_many(ids)) == ["t1100", "t5", "t0"]
    assert store.get_many(ids)["t5"] == entity("t5")
    many = [f"t{i}" for i in range(0, 2400, 2)]  # more ids than one IN query takes
    assert list(store.get_many(many)) == [f"t{i}" for i in range(0, 1200, 2)]


def test_iter_all_is_ordered_by_id_across_batches(store: EntityStore) -> None:
    ids = [f"id{i:03d}" for i in range(25)]
    shuffled = ids.copy()
    random.Random(7).shuffle(shuffled)
    store.upsert(entity(i) for i in shuffled)
    for batch_size in (1, 3, 25, 26, 10_000):
        assert [e.id for e in store.iter_all(batch_size)] == ids


def test_iter_all_filters_by_type(store: EntityStore) -> None:
    store.upsert(
        Entity(id=f"e{i}", type=kind, title="x")
        for i, kind in enumerate([EntityType.TRACK, EntityType.SHOW] * 5)
    )
    shows = [e.id for e in store.iter_all(2, entity_type=EntityType.SHOW)]
    assert shows == ["e1", "e3", "e5", "e7", "e9"]


def test_iter_all_rejects_bad_batch_size(store: EntityStore) -> None:
    with pytest.raises(ValueError, match="batch_size must be positive"):
        next(store.iter_all(0))


def test_contains_only_strings(store: EntityStore) -> None:
    store.upsert([entity("t1")])
    assert "t1" in store
    assert 1 not in store
    assert None not in store


def test_failed_upsert_keeps_nothing(store: EntityStore) -> None:
    store.upsert([entity("t0")])

    def entities() -> Iterator[Entity]:
        yield entity("t1")
        raise RuntimeError("bad row")

    with pytest.raises(RuntimeError, match="bad row"):
        store.upsert(entities())
    assert len(store) == 1
    assert store.upsert([entity("t2")]) == 1  # still usable
    assert len(store) == 2


def test_reopen_persists(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "entities.sqlite3"
    with EntityStore(path) as store:
        store.upsert([entity("t1"), entity("t2")])
        store.delete(["t2"])
    with EntityStore(path) as store:
        assert [e.id for e in store.iter_all()] == ["t1"]


def test_in_data_dir(tmp_path: Path) -> None:
    with EntityStore.in_data_dir(tmp_path) as store:
        assert store.path == tmp_path / DEFAULT_FILENAME


def test_uses_wal_mode(store: EntityStore) -> None:
    store.upsert([entity("t1")])
    conn = sqlite3.connect(store.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("SELECT id, type FROM entities").fetchall() == [("t1", "track")]
    finally:
        conn.close()


def test_closed_store_refuses_work(tmp_path: Path) -> None:
    store = EntityStore(tmp_path / "e.sqlite3")
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.get("t1")


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "e.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open entity store"):
        EntityStore(path)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "e.sqlite3"
    EntityStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError, match="schema version 99 is newer"):
        EntityStore(path)


def test_concurrent_reads_while_writing(store: EntityStore) -> None:
    store.upsert(entity(f"t{i:04d}") for i in range(1000))
    ids = [f"t{i:04d}" for i in range(1000)]
    stop = threading.Event()

    def write() -> int:
        rounds = 0
        while not stop.is_set():
            store.upsert(entity(f"t{i:04d}", f"round {rounds}") for i in range(0, 1000, 7))
            rounds += 1
        return rounds

    def read(seed: int) -> int:
        rng = random.Random(seed)
        for _ in range(200):
            wanted = rng.sample(ids, 20)
            assert list(store.get_many(wanted)) == wanted
            one = rng.choice(ids)
            found = store.get(one)
            assert found is not None
            assert found.id == one
            assert one in store
        return len(store)

    with ThreadPoolExecutor(max_workers=9) as pool:
        writer = pool.submit(write)
        counts = list(pool.map(read, range(8)))
        stop.set()
        assert writer.result() >= 1
    assert counts == [1000] * 8


def test_concurrent_writers_are_serialized(store: EntityStore) -> None:
    def write(worker: int) -> int:
        return sum(store.upsert([entity(f"w{worker}-{i}")]) for i in range(50))

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert sum(pool.map(write, range(4))) == 200
    assert len(store) == 200


def test_reingesting_a_catalog_upserts_by_id(store: EntityStore, tmp_path: Path) -> None:
    path = tmp_path / "catalog.jsonl"
    path.write_text(
        '{"id": "t1", "type": "track", "title": "One"}\n'
        '{"id": "t2", "type": "track", "title": "Two"}\n'
    )
    for _ in range(2):
        store.upsert(c.entity for c in CatalogReader(path) if isinstance(c, Upsert))
    assert len(store) == 2
    path.write_text('{"id": "t1", "type": "track", "title": "One, remastered"}\n')
    store.upsert(c.entity for c in CatalogReader(path) if isinstance(c, Upsert))
    assert [e.title for e in store.iter_all()] == ["One, remastered", "Two"]
