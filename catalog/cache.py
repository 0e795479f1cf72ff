"""Entities kept in memory between searches, dropped as soon as the catalog changes.

Every search reads the fields of its whole candidate union (the ranker's features) and
of the results it returns. Parsing a few hundred entities from the store costs several
milliseconds per search; most of them were read by an earlier search. :class:`EntityCache`
keeps recently read entities and answers from memory, fetching only the missing ids in
one store call.

It never serves a stale entity for long: at most every ``check_s`` seconds it asks the
store for its change token (:meth:`catalog.store.EntityStore.change_token`, which moves
when any process commits to the catalog), and drops everything when it moved.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence

from catalog.model import Entity
from catalog.store import EntityStore


class EntityCache:
    """A bounded, least-recently-used cache of entities in front of an :class:`EntityStore`.

    Safe to share between threads. ``get_many`` has the store's contract: the entities
    found among ``ids``, in the order asked, missing ids absent.
    """

    def __init__(
        self, store: EntityStore, *, max_entities: int = 200_000, check_s: float = 1.0
    ) -> None:
        if max_entities < 1:
            raise ValueError(f"max_entities must be >= 1, but {max_entities} is given")
        if check_s < 0:
            raise ValueError(f"check_s must be >= 0, but {check_s} is given")
        self.store = store
        self.max_entities = max_entities
        self.check_s = check_s
        self._entries: OrderedDict[str, Entity] = OrderedDict()
        self._lock = threading.Lock()
        self._token = store.change_token()
        self._checked_at = time.monotonic()
        self.hits = 0
        self.misses = 0
        self.invalidations = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _check(self) -> None:
        now = time.monotonic()
        if now - self._checked_at < self.check_s:
            return
        token = self.store.change_token()
        with self._lock:
            self._checked_at = now
            if token != self._token:
                self._token = token
                self._entries.clear()
                self.invalidations += 1

    def invalidate(self) -> None:
        """Drop every entry now (the next reads go to the store)."""
        with self._lock:
            self._entries.clear()
            self._token = self.store.change_token()
            self.invalidations += 1

    def get_many(self, ids: Sequence[str]) -> dict[str, Entity]:
        self._check()
        wanted = list(dict.fromkeys(ids))
        found: dict[str, Entity] = {}
        missing: list[str] = []
        with self._lock:
            entries = self._entries
            for entity_id in wanted:
                entity = entries.get(entity_id)
                if entity is None:
                    missing.append(entity_id)
                else:
                    entries.move_to_end(entity_id)
                    found[entity_id] = entity
            token = self._token
            self.hits += len(wanted) - len(missing)
            self.misses += len(missing)
        if not missing:
            return found
        fetched = self.store.get_many(missing)
        with self._lock:
            if token == self._token:  # not invalidated while the store was read
                for entity_id, entity in fetched.items():
                    self._entries[entity_id] = entity
                while len(self._entries) > self.max_entities:
                    self._entries.popitem(last=False)
        found.update(fetched)
        return {i: found[i] for i in wanted if i in found}

    def get(self, entity_id: str) -> Entity | None:
        return self.get_many([entity_id]).get(entity_id)
