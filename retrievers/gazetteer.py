"""The gazetteer: the names query understanding recognizes, with their statistics.

**What it holds.** Every name the catalog uses in a role a query can refer to —
artist names (credited on any entity, or an artist entity's own title), album
titles, show titles, genres, moods and tags — plus the languages entities are
in and the words of every title. Names are keyed by
:func:`retrievers.normalize.normalize_query`, the normalization queries get, so
a query n-gram and a name compare as plain strings. A name starting with "the"
is also reachable without it (``beatles`` → "The Beatles").

**Statistics** per (kind, name): how many entities carry it, how many *are* it
(``primary``: the artist entity titled "Queen", not the tracks crediting it),
how many of each entity type carry it, and the highest popularity among them.
They let query understanding weigh evidence: "love" as an artist name is weak
(one modest artist, and a word in many titles) while "queen" is strong. Word
statistics (document frequency over titles) say how common a token is as title
text and which tokens are known at all; unknown tokens are what typo
correction looks at.

**Following the catalog.** ``upsert`` and ``delete`` keep the statistics exact
without a rebuild: each entity's contributions (the name ids it added, its type
and popularity) are stored, so replacing or removing it subtracts exactly what
it added. The maximum popularity is kept as a sparse histogram (0.1 steps), so
it stays exact when the most popular holder leaves.

**Storage.** One SQLite file, ``gazetteer.sqlite`` in the given directory: a
``names`` table (one row per name) and an ``entities`` table (each entity's
packed contributions). Start-up reads only the names table; the entities table
is read on updates.

**Fuzzy lookup.** Names (and, separately, known tokens) are bucketed by first
character, each bucket sorted by length; a lookup scores only its bucket's
names within a length window with rapidfuzz's ``process.extract``, so the work
per lookup is bounded by a bucket slice, not by the catalog size. The price: a
typo in the first character is not corrected.

The names, their statistics and what an entity contributes are
:mod:`retrievers.gazetteer_names`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import islice
from pathlib import Path
from typing import Final

from rapidfuzz import fuzz, process

from catalog.model import Entity
from retrievers.gazetteer_names import (
    NAME_KINDS,
    NameHit,
    NameKind,
    NameRow,
    NameStats,
    alias_of,
    contributions,
)
from retrievers.name_blocks import LengthBlocks

__all__ = [
    "FILENAME",
    "NAME_KINDS",
    "SCHEMA_VERSION",
    "Gazetteer",
    "NameHit",
    "NameKind",
    "NameStats",
]

FILENAME: Final = "gazetteer.sqlite"
SCHEMA_VERSION: Final = 1
_POPULARITY_KINDS: Final = frozenset({"artist", "album", "show"})
_FUZZY_KINDS: Final = frozenset(NAME_KINDS)
_CHUNK: Final = 10_000
_LOOKUP_CHUNK: Final = 500
_SCHEMA: Final = (
    """CREATE TABLE IF NOT EXISTS names (
        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL,
        surface TEXT NOT NULL, count INTEGER NOT NULL, primary_count INTEGER NOT NULL,
        stats TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS entities (
        id TEXT PRIMARY KEY NOT NULL, type TEXT NOT NULL, pop INTEGER NOT NULL,
        names BLOB NOT NULL
    ) WITHOUT ROWID""",
)


class Gazetteer:
    """Names, words and their statistics, persisted in ``path`` and updated in place.

    Lookups need no lock and may run while an update is applied (one writer at a
    time); they then see each name's statistics either before or after its change,
    so a parse racing a large batch may mix both states, never crash.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._write_lock = threading.Lock()
        self._conn = sqlite3.connect(
            self.path / FILENAME, isolation_level=None, check_same_thread=False
        )
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._check_version()
        self.version = 0
        """Bumped by every write; lets callers drop cached parses."""
        self._load()

    # -- persistence -----------------------------------------------------------------

    def _check_version(self) -> None:
        (found,) = self._conn.execute("PRAGMA user_version").fetchone()
        tables = self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if tables and found != SCHEMA_VERSION:
            raise RuntimeError(
                f"gazetteer at {self.path} has schema version {found}, this build needs "
                f"{SCHEMA_VERSION}: rebuild it with `ltrr index`"
            )
        for statement in _SCHEMA:
            self._conn.execute(statement)
        self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _load(self) -> None:
        self._rows: dict[tuple[str, str], NameRow] = {}
        self._by_id: dict[int, NameRow] = {}
        self._exact: dict[str, list[NameRow]] = {}
        self._aliases: dict[str, list[NameRow]] = {}
        self._name_tokens: Counter[str] = Counter()
        self._names = LengthBlocks()
        self._tokens = LengthBlocks()
        self._next_id = 1
        self._entity_count = int(self._conn.execute("SELECT count(*) FROM entities").fetchone()[0])
        sql = "SELECT id, kind, name, surface, count, primary_count, stats FROM names"
        for row_id, kind, name, surface, count, primary, stats in self._conn.execute(sql):
            row = NameRow(row_id, kind, name, surface, count, primary)
            if stats is not None:
                data = json.loads(stats)
                row.types = data["t"]
                if "h" in data:
                    row.hist = {int(k): v for k, v in data["h"].items()}
            self._index(row)
            self._next_id = max(self._next_id, row_id + 1)

    def _index(self, row: NameRow) -> None:
        self._rows[(row.kind, row.name)] = row
        self._by_id[row.id] = row
        if row.kind == "word":
            self._tokens.add(row.name)
            return
        self._exact.setdefault(row.name, []).append(row)
        if row.kind == "language":
            return
        for token in row.name.split():
            if self._name_tokens[token] == 0:
                self._tokens.add(token)
            self._name_tokens[token] += 1
        alias = alias_of(row.name)
        if alias is not None:
            self._aliases.setdefault(alias, []).append(row)
        if row.kind in _FUZZY_KINDS:
            self._names.add(row.name)
            if alias is not None:
                self._names.add(alias)

    def _unindex(self, row: NameRow) -> None:
        del self._rows[(row.kind, row.name)]
        del self._by_id[row.id]
        if row.kind == "word":
            self._tokens.discard(row.name)
            return
        _remove(self._exact, row.name, row)
        if row.kind == "language":
            return
        for token in row.name.split():
            self._name_tokens[token] -= 1
            if self._name_tokens[token] <= 0:
                del self._name_tokens[token]
                self._tokens.discard(token)
        alias = alias_of(row.name)
        if alias is not None:
            _remove(self._aliases, alias, row)
        if row.kind in _FUZZY_KINDS:
            self._names.discard(row.name)
            if alias is not None:
                self._names.discard(alias)

    # -- updates ---------------------------------------------------------------------

    def upsert(self, entities: Iterable[Entity]) -> int:
        """Insert or replace entities by id; returns how many were given.

        Applied in chunks of 10,000, each one SQLite transaction.
        """
        given = 0
        iterator = iter(entities)
        while chunk := list(islice(iterator, _CHUNK)):
            latest = {entity.id: entity for entity in chunk}
            self._apply(list(latest.values()), [])
            given += len(chunk)
        return given

    def delete(self, entity_ids: Sequence[str]) -> int:
        """Remove entities by id (unknown ids are ignored); returns how many were asked."""
        ids = list(dict.fromkeys(entity_ids))
        for start in range(0, len(ids), _CHUNK):
            self._apply([], ids[start : start + _CHUNK])
        return len(entity_ids)

    def _apply(self, entities: list[Entity], deleted: list[str]) -> None:
        with self._write_lock:
            try:
                self._apply_locked(entities, deleted)
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                self._load()  # memory follows the last committed state
                raise
            finally:
                self.version += 1

    def _apply_locked(self, entities: list[Entity], deleted: list[str]) -> None:
        touched: dict[int, NameRow] = {}
        stored = self._stored([e.id for e in entities] + deleted)
        for entity_type, pop, codes in stored:
            for code in codes:
                row = self._by_id[code >> 1]
                row.change(-1, bool(code & 1), entity_type, pop)
                touched[row.id] = row
        entity_rows = []
        for entity in entities:
            pop = round(entity.popularity * 10)
            codes = array("q")
            for (kind, key), (surface, primary) in contributions(entity).items():
                row = self._rows.get((kind, key)) or self._new_row(kind, key, surface)
                if primary and row.surface != surface and not row.primary:
                    row.surface = surface
                row.change(+1, primary, entity.type.value, pop)
                touched[row.id] = row
                codes.append(row.id << 1 | primary)
            entity_rows.append((entity.id, entity.type.value, pop, codes.tobytes()))
        dead = [row for row in touched.values() if row.count <= 0]
        for row in dead:
            self._unindex(row)
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("DELETE FROM entities WHERE id = ?", [(i,) for i in deleted])
        conn.executemany("INSERT OR REPLACE INTO entities VALUES (?, ?, ?, ?)", entity_rows)
        conn.executemany("DELETE FROM names WHERE id = ?", [(row.id,) for row in dead])
        conn.executemany(
            "INSERT OR REPLACE INTO names VALUES (?, ?, ?, ?, ?, ?, ?)",
            [_record(row) for row in touched.values() if row.count > 0],
        )
        conn.execute("COMMIT")
        self._entity_count += len(entities) - len(stored)

    def _stored(self, ids: list[str]) -> list[tuple[str, int, array[int]]]:
        """The stored contributions of those ids that are in the gazetteer."""
        found = []
        for start in range(0, len(ids), _LOOKUP_CHUNK):
            chunk = ids[start : start + _LOOKUP_CHUNK]
            marks = ", ".join("?" * len(chunk))
            sql = f"SELECT type, pop, names FROM entities WHERE id IN ({marks})"
            for entity_type, pop, blob in self._conn.execute(sql, chunk):
                codes = array("q")
                codes.frombytes(blob)
                found.append((entity_type, pop, codes))
        return found

    def _new_row(self, kind: NameKind, key: str, surface: str) -> NameRow:
        row = NameRow(self._next_id, kind, key, surface)
        if kind != "word":
            row.types = {}
            row.hist = {} if kind in _POPULARITY_KINDS else None
        self._next_id += 1
        self._index(row)
        return row

    # -- lookups ---------------------------------------------------------------------

    def __len__(self) -> int:
        """How many names (of every kind, words included) the gazetteer holds."""
        return len(self._rows)

    @property
    def entity_count(self) -> int:
        """How many entities the statistics cover."""
        return self._entity_count

    def get(self, kind: NameKind, name: str) -> NameStats | None:
        row = self._rows.get((kind, name))
        return None if row is None else row.stats()

    def lookup(self, text: str) -> list[NameHit]:
        """Names (every kind but words) equal to the normalized ``text`` or to its alias."""
        hits = [NameHit(row.stats(), text, 100.0) for row in self._exact.get(text, ())]
        hits += [NameHit(r.stats(), text, 100.0, alias=True) for r in self._aliases.get(text, ())]
        return hits

    def fuzzy_lookup(
        self, text: str, *, score_cutoff: float, limit: int = 3, cap: int = 5_000
    ) -> list[NameHit]:
        """Names similar to ``text`` (rapidfuzz ``ratio`` ≥ ``score_cutoff``), best first."""
        if not text:
            return []
        window = self._names.window(text, max(2, len(text) // 4), cap)
        found = process.extract(
            text, window, scorer=fuzz.ratio, limit=limit, score_cutoff=score_cutoff
        )
        hits: list[NameHit] = []
        for matched, score, _ in found:
            hits += [NameHit(r.stats(), matched, score) for r in self._exact.get(matched, ())]
            hits += [
                NameHit(r.stats(), matched, score, alias=True)
                for r in self._aliases.get(matched, ())
            ]
        return hits

    def word_frequency(self, token: str) -> int:
        """How many entity titles contain the token."""
        row = self._rows.get(("word", token))
        return 0 if row is None else row.count

    def is_known(self, token: str) -> bool:
        """Whether the token occurs in any title or name."""
        return ("word", token) in self._rows or self._name_tokens[token] > 0

    def correct_word(
        self, token: str, *, score_cutoff: float, cap: int = 5_000
    ) -> tuple[str, float] | None:
        """The known token closest to an unknown one, preferring frequent ones on ties."""
        if not token:
            return None
        window = self._tokens.window(token, max(1, len(token) // 4), cap)
        found = process.extract(
            token, window, scorer=fuzz.ratio, limit=5, score_cutoff=score_cutoff
        )
        if not found:
            return None
        best = max(found, key=lambda hit: (hit[1], self.word_frequency(hit[0])))
        return str(best[0]), float(best[1])

    def close(self) -> None:
        self._conn.close()


def _remove(index: dict[str, list[NameRow]], key: str, row: NameRow) -> None:
    rows = [r for r in index.get(key, ()) if r is not row]
    if rows:
        index[key] = rows
    else:
        index.pop(key, None)


def _record(row: NameRow) -> tuple[int, str, str, str, int, int, str | None]:
    stats: str | None = None
    if row.types is not None:
        data: dict[str, object] = {"t": row.types}
        if row.hist is not None:
            data["h"] = row.hist
        stats = json.dumps(data, separators=(",", ":"))
    return (row.id, row.kind, row.name, row.surface, row.count, row.primary, stats)
