"""The embedded Q2E memory store: one SQLite file (WAL) in a directory of the data dir.

Pairs live in one table with their score materialized and indexed per key, so
reading the best entities of a key is an index range scan however many
entities share it. Every write is one ``BEGIN IMMEDIATE`` transaction: the
read-modify-write of an update cannot interleave with another writer (thread
or process), and the event id is recorded in the same transaction as the
evidence, so a replayed event is applied exactly once.

Each thread gets its own connection (as in :mod:`catalog.store`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from itertools import islice
from pathlib import Path
from typing import Final

from retrievers.memory_base import (
    EntityPredictions,
    Evidence,
    PairStats,
    Smoothing,
    UpdateOutcome,
    UpdateResult,
    decay_factor,
    key_tokens,
    smoothed_score,
    token_blocks,
)
from retrievers.memory_sqlite_bulk import bulk_load

FILENAME: Final = "q2e.sqlite"
SCHEMA_VERSION: Final = 1
_CHUNK: Final = 500
_BUSY_TIMEOUT_S: Final = 30.0
_BULK_CACHE_KIB: Final = 256 * 1024
"""Page cache of a connection that bulk-writes predictions (readers keep SQLite's default)."""

_SCHEMA: Final = (
    """CREATE TABLE IF NOT EXISTS pairs (
        key TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        predicted REAL,
        positive REAL NOT NULL,
        negative REAL NOT NULL,
        events INTEGER NOT NULL,
        updated_at REAL,
        score REAL NOT NULL,
        PRIMARY KEY (key, entity_id)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS pairs_by_score ON pairs (key, score)",
    "CREATE INDEX IF NOT EXISTS pairs_by_entity ON pairs (entity_id)",
    """CREATE TABLE IF NOT EXISTS postings (
        token TEXT NOT NULL, key TEXT NOT NULL, weight REAL NOT NULL,
        PRIMARY KEY (token, key)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS postings_by_weight ON postings (token, weight)",
    """CREATE TABLE IF NOT EXISTS vocabulary (
        block TEXT NOT NULL, token TEXT NOT NULL, PRIMARY KEY (block, token)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS applied_events (
        event_id TEXT PRIMARY KEY NOT NULL, at REAL NOT NULL
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS applied_events_by_time ON applied_events (at)",
)
_PAIR_COLUMNS: Final = "key, entity_id, predicted, positive, negative, events, updated_at, score"
_UPSERT_PAIR: Final = (
    f"INSERT INTO pairs ({_PAIR_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (key, entity_id) DO UPDATE SET predicted = excluded.predicted, "
    "positive = excluded.positive, negative = excluded.negative, events = excluded.events, "
    "updated_at = excluded.updated_at, score = excluded.score"
)
_UPSERT_POSTING: Final = (
    "INSERT INTO postings (token, key, weight) VALUES (?, ?, ?) "
    "ON CONFLICT (token, key) DO UPDATE SET weight = max(weight, excluded.weight)"
)
_ADD_VOCABULARY: Final = "INSERT OR IGNORE INTO vocabulary (block, token) VALUES (?, ?)"

_Row = tuple[str, str, float | None, float, float, int, float | None, float]


def _stats(row: _Row) -> PairStats:
    key, entity_id, predicted, positive, negative, events, updated_at, score = row
    return PairStats(key, entity_id, score, predicted, positive, negative, events, updated_at)


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, _CHUNK)):
        yield chunk


class SqliteMemoryStore:
    """Q2E pairs, token index and applied event ids in ``directory/q2e.sqlite``."""

    def __init__(self, directory: Path, smoothing: Smoothing | None = None) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / FILENAME
        self.smoothing = smoothing or Smoothing()
        self._local = threading.local()
        self._registry_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        with self._transaction() as conn:
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path}: Q2E memory schema version {version} is newer than this "
                    f"code's ({SCHEMA_VERSION})"
                )
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # -- connections -----------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise RuntimeError(f"{self.path}: Q2E memory store is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            with self._registry_lock:
                self._connections.append(conn)
            self._local.conn = conn
        return conn

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn(), self._write_lock)

    def close(self) -> None:
        with self._registry_lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()

    # -- writes ----------------------------------------------------------------------

    def replace_predicted(self, batch: Sequence[EntityPredictions]) -> None:
        by_entity = {item.entity_id: item.predicted for item in batch}
        self._conn().execute(f"PRAGMA cache_size = -{_BULK_CACHE_KIB}")
        with self._transaction() as conn:
            existing: dict[str, list[_Row]] = {}
            for chunk in _chunks(list(by_entity)):
                marks = ", ".join("?" * len(chunk))
                sql = f"SELECT {_PAIR_COLUMNS} FROM pairs WHERE entity_id IN ({marks})"
                for row in conn.execute(sql, chunk):
                    existing.setdefault(row[1], []).append(row)
            rows: list[_Row] = []
            dropped: list[tuple[str, str]] = []
            weights: dict[str, float] = {}
            for entity_id, predicted in by_entity.items():
                old = {row[0]: row for row in existing.get(entity_id, [])}
                for key, row in old.items():
                    if key in predicted:
                        continue
                    if row[5] == 0:
                        dropped.append((key, entity_id))
                    else:
                        rows.append(self._rescored(row, None))
                for key, score in predicted.items():
                    row = old.get(key) or (key, entity_id, None, 0.0, 0.0, 0, None, 0.0)
                    new = self._rescored(row, score)
                    rows.append(new)
                    weights[key] = max(weights.get(key, 0.0), score)
            rows.sort(key=lambda row: (row[0], row[1]))  # B-trees are then walked in order
            conn.executemany(_UPSERT_PAIR, rows)
            conn.executemany("DELETE FROM pairs WHERE key = ? AND entity_id = ?", dropped)
            self._index_keys(conn, weights)
            self._drop_if_empty(conn, {key for key, _ in dropped})

    def load(self, batches: Iterable[Sequence[EntityPredictions]]) -> None:
        """Into an empty store, a staged bulk load in one transaction
        (:mod:`retrievers.memory_sqlite_bulk`); otherwise batch by batch."""
        remaining = iter(batches)
        self._conn().execute(f"PRAGMA cache_size = -{_BULK_CACHE_KIB}")
        with self._transaction() as conn:
            empty = conn.execute("SELECT 1 FROM pairs LIMIT 1").fetchone() is None
            if empty:
                bulk_load(conn, remaining, self.smoothing)
        if not empty:
            for batch in remaining:
                self.replace_predicted(batch)

    def _rescored(self, row: _Row, predicted: float | None) -> _Row:
        key, entity_id, _, positive, negative, events, updated_at, _ = row
        score = smoothed_score(predicted, positive, negative, self.smoothing)
        return key, entity_id, predicted, positive, negative, events, updated_at, score

    def delete_entities(self, entity_ids: Sequence[str]) -> None:
        with self._transaction() as conn:
            keys: set[str] = set()
            for chunk in _chunks(list(dict.fromkeys(entity_ids))):
                marks = ", ".join("?" * len(chunk))
                found = conn.execute(f"SELECT key FROM pairs WHERE entity_id IN ({marks})", chunk)
                keys.update(key for (key,) in found)
                conn.execute(f"DELETE FROM pairs WHERE entity_id IN ({marks})", chunk)
            self._drop_if_empty(conn, keys)

    def clear_predicted(self) -> None:
        """Set-wise in one transaction: every pair is affected, so the index is pruned by two
        anti-joins rather than key by key as :meth:`_drop_if_empty` does."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM pairs WHERE events = 0")
            learned = conn.execute(
                f"SELECT {_PAIR_COLUMNS} FROM pairs WHERE predicted IS NOT NULL"
            ).fetchall()
            conn.executemany(_UPSERT_PAIR, [self._rescored(row, None) for row in learned])
            conn.execute(
                "DELETE FROM postings WHERE NOT EXISTS "
                "(SELECT 1 FROM pairs WHERE pairs.key = postings.key)"
            )
            conn.execute(
                "DELETE FROM vocabulary WHERE NOT EXISTS "
                "(SELECT 1 FROM postings WHERE postings.token = vocabulary.token)"
            )

    def apply(self, evidence: Evidence) -> UpdateResult:
        key, entity_id, at = evidence.query, evidence.entity_id, evidence.at
        with self._transaction() as conn:
            if evidence.event_id is not None:
                seen = conn.execute(
                    "SELECT 1 FROM applied_events WHERE event_id = ?", (evidence.event_id,)
                )
                if seen.fetchone() is not None:
                    return UpdateResult(UpdateOutcome.DUPLICATE, None)
                conn.execute(
                    "INSERT INTO applied_events (event_id, at) VALUES (?, ?)",
                    (evidence.event_id, at),
                )
            row = conn.execute(
                f"SELECT {_PAIR_COLUMNS} FROM pairs WHERE key = ? AND entity_id = ?",
                (key, entity_id),
            ).fetchone()
            if row is None and evidence.positive <= 0:
                return UpdateResult(UpdateOutcome.NO_PAIR, None)
            _, _, predicted, positive, negative, events, updated_at, _ = row or (
                key,
                entity_id,
                None,
                0.0,
                0.0,
                0,
                None,
                0.0,
            )
            elapsed = 0.0 if updated_at is None else at - updated_at
            factor = decay_factor(elapsed, self.smoothing)
            positive = positive * factor + evidence.positive
            negative = negative * factor + evidence.negative
            updated_at = at if updated_at is None else max(updated_at, at)
            score = smoothed_score(predicted, positive, negative, self.smoothing)
            new: _Row = (
                key,
                entity_id,
                predicted,
                positive,
                negative,
                events + 1,
                updated_at,
                score,
            )
            conn.execute(_UPSERT_PAIR, new)
            if row is None:
                self._index_keys(conn, {key: score})
            outcome = UpdateOutcome.CREATED if row is None else UpdateOutcome.APPLIED
            return UpdateResult(outcome, _stats(new))

    def forget_events(self, before: float) -> int:
        with self._transaction() as conn:
            return conn.execute("DELETE FROM applied_events WHERE at < ?", (before,)).rowcount

    @staticmethod
    def _index_keys(conn: sqlite3.Connection, weights: dict[str, float]) -> None:
        """File keys under their tokens, and new tokens under their blocks."""
        postings = sorted((t, key, w) for key, w in weights.items() for t in key_tokens(key))
        conn.executemany(_UPSERT_POSTING, postings)
        tokens = {token for token, _, _ in postings}
        vocabulary = [(block, t) for t in tokens for block in token_blocks(t)]
        conn.executemany(_ADD_VOCABULARY, vocabulary)

    @staticmethod
    def _drop_if_empty(conn: sqlite3.Connection, keys: Iterable[str]) -> None:
        """Unindex keys that have no pair left, and tokens that have no key left."""
        for key in keys:
            if conn.execute("SELECT 1 FROM pairs WHERE key = ? LIMIT 1", (key,)).fetchone():
                continue
            for token in key_tokens(key):
                conn.execute("DELETE FROM postings WHERE token = ? AND key = ?", (token, key))
                left = conn.execute("SELECT 1 FROM postings WHERE token = ? LIMIT 1", (token,))
                if left.fetchone() is None:
                    conn.executemany(
                        "DELETE FROM vocabulary WHERE block = ? AND token = ?",
                        [(block, token) for block in token_blocks(token)],
                    )

    # -- reads -----------------------------------------------------------------------

    def top_entities(self, keys: Sequence[str], limit: int) -> dict[str, list[tuple[str, float]]]:
        conn = self._conn()
        sql = (
            "SELECT entity_id, score FROM pairs WHERE key = ? "
            "ORDER BY score DESC, entity_id DESC LIMIT ?"
        )
        return {key: list(conn.execute(sql, (key, limit))) for key in dict.fromkeys(keys)}

    def pair_stats(self, key: str, entity_ids: Sequence[str]) -> dict[str, PairStats]:
        conn = self._conn()
        found: dict[str, PairStats] = {}
        for chunk in _chunks(list(dict.fromkeys(entity_ids))):
            marks = ", ".join("?" * len(chunk))
            sql = f"SELECT {_PAIR_COLUMNS} FROM pairs WHERE key = ? AND entity_id IN ({marks})"
            for row in conn.execute(sql, (key, *chunk)):
                found[row[1]] = _stats(row)
        return found

    def vocabulary(self, blocks: Sequence[str]) -> set[str]:
        conn = self._conn()
        tokens: set[str] = set()
        for chunk in _chunks(list(dict.fromkeys(blocks))):
            marks = ", ".join("?" * len(chunk))
            sql = f"SELECT token FROM vocabulary WHERE block IN ({marks})"
            tokens.update(token for (token,) in conn.execute(sql, chunk))
        return tokens

    def postings(self, tokens: Sequence[str], limit: int) -> dict[str, list[str]]:
        conn = self._conn()
        sql = "SELECT key FROM postings WHERE token = ? ORDER BY weight DESC, key DESC LIMIT ?"
        return {
            token: [key for (key,) in conn.execute(sql, (token, limit))]
            for token in dict.fromkeys(tokens)
        }

    def key_counts(self, tokens: Sequence[str], cap: int) -> dict[str, int]:
        conn = self._conn()
        sql = "SELECT count(*) FROM (SELECT 1 FROM postings WHERE token = ? LIMIT ?)"
        return {
            token: int(conn.execute(sql, (token, cap)).fetchone()[0])
            for token in dict.fromkeys(tokens)
        }


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error), serialized in-process."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock) -> None:
        self.conn = conn
        self.lock = lock

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.lock.release()
            raise
        return self.conn

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
        finally:
            self.lock.release()
