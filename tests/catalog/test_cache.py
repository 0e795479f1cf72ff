"""The entity cache answers from memory and drops what it holds when the catalog changes."""

from __future__ import annotations

from pathlib import Path

from catalog.cache import EntityCache
from catalog.model import Entity, EntityType
from catalog.store import EntityStore


def _entity(entity_id: str, title: str) -> Entity:
    return Entity(id=entity_id, type=EntityType.TRACK, title=title, artists=["Someone"])


def test_hits_misses_and_lru_bound(tmp_path: Path) -> None:
    with EntityStore(tmp_path / "catalog.sqlite") as store:
        store.upsert(_entity(f"t{i}", f"Song {i}") for i in range(5))
        cache = EntityCache(store, max_entities=3, check_s=60)
        found = cache.get_many(["t0", "t1", "missing", "t0"])
        assert list(found) == ["t0", "t1"]
        assert (cache.hits, cache.misses) == (0, 3)
        assert cache.get_many(["t1", "t0"]) == {"t1": found["t1"], "t0": found["t0"]}
        assert cache.hits == 2
        cache.get_many(["t2", "t3"])  # holds t0, t2, t3: t1 was the least recently used
        assert len(cache) == 3
        misses = cache.misses
        cache.get_many(["t0", "t2", "t3"])
        assert cache.misses == misses
        cache.get_many(["t1"])
        assert cache.misses == misses + 1
        assert len(cache) == 3


def test_a_write_by_another_process_connection_invalidates(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    with EntityStore(path) as serving, EntityStore(path) as indexer:
        indexer.upsert([_entity("t1", "Old Title")])
        cache = EntityCache(serving, check_s=0)
        assert cache.get_many(["t1"])["t1"].title == "Old Title"
        indexer.upsert([_entity("t1", "New Title")])  # another connection commits
        assert cache.get_many(["t1"])["t1"].title == "New Title"
        assert cache.invalidations == 1
        indexer.delete(["t1"])
        assert cache.get_many(["t1"]) == {}


def test_own_writes_invalidate_too(tmp_path: Path) -> None:
    with EntityStore(tmp_path / "catalog.sqlite") as store:
        store.upsert([_entity("t1", "Old Title")])
        cache = EntityCache(store, check_s=0)
        cache.get_many(["t1"])
        store.upsert([_entity("t1", "New Title")])
        assert cache.get_many(["t1"])["t1"].title == "New Title"
