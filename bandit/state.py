"""Listener and query state the bandit reads as context: query frequency and tastes.

* how often each normalized query has been searched (head / torso / tail);
* each listener's tastes: decayed weights of the genres and podcast topics of
  what they engaged with, from which the top few are read per search.

SQLite in the data dir by default; Redis (hashes) when ``REDIS_URL`` is set, so
every replica sees the same counts and tastes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from service.sqlite_local import ThreadLocalSqlite

TOP_TASTES = 3
TASTE_DECAY = 0.95
"""Each new engagement multiplies a listener's older weights by this."""


class ListenerState(Protocol):
    def count_query(self, key: str) -> int:
        """Count one search of ``key``; returns how many came before it."""
        ...

    def tastes(self, user_id: str) -> list[tuple[str, float]]: ...

    def record_taste(self, user_id: str, labels: Iterable[str]) -> None: ...

    def close(self) -> None: ...


def _top(weights: dict[str, float]) -> list[tuple[str, float]]:
    total = sum(weights.values())
    if total <= 0:
        return []
    best = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TASTES]
    return [(name, round(w / total, 4)) for name, w in best]


class SqliteListenerState:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = ThreadLocalSqlite(path, synchronous="NORMAL", autocommit=True)
        self._conn().executescript(
            """
            CREATE TABLE IF NOT EXISTS query_counts (key TEXT PRIMARY KEY, n INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS tastes (
                user_id TEXT NOT NULL, label TEXT NOT NULL, weight REAL NOT NULL,
                PRIMARY KEY (user_id, label)
            );
            """
        )

    def _conn(self) -> sqlite3.Connection:
        return self._db.get()

    def count_query(self, key: str) -> int:
        row = self._conn().execute(
            "INSERT INTO query_counts VALUES (?, 1) ON CONFLICT(key) DO UPDATE SET n = n + 1"
            " RETURNING n",
            (key,),
        )
        return int(row.fetchone()[0]) - 1

    def tastes(self, user_id: str) -> list[tuple[str, float]]:
        rows = self._conn().execute(
            "SELECT label, weight FROM tastes WHERE user_id = ?", (user_id,)
        )
        return _top(dict(rows.fetchall()))

    def record_taste(self, user_id: str, labels: Iterable[str]) -> None:
        labels = sorted(set(labels))
        if not labels:
            return
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "UPDATE tastes SET weight = weight * ? WHERE user_id = ?", (TASTE_DECAY, user_id)
            )
            conn.executemany(
                "INSERT INTO tastes VALUES (?, ?, 1.0) ON CONFLICT(user_id, label)"
                " DO UPDATE SET weight = weight + 1.0",
                [(user_id, label) for label in labels],
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._db.close()


class RedisListenerState:
    """``{prefix}q`` hash of query counts and one ``{prefix}t:{user}`` hash per listener."""

    def __init__(self, client: Any, *, prefix: str = "ltrr:bandit:") -> None:
        self._redis = client
        self._prefix = prefix

    def count_query(self, key: str) -> int:
        return int(self._redis.hincrby(f"{self._prefix}q", key, 1)) - 1

    def tastes(self, user_id: str) -> list[tuple[str, float]]:
        raw = self._redis.hgetall(f"{self._prefix}t:{user_id}")
        return _top({k.decode(): float(v) for k, v in raw.items()})

    def record_taste(self, user_id: str, labels: Iterable[str]) -> None:
        labels = sorted(set(labels))
        if not labels:
            return
        key = f"{self._prefix}t:{user_id}"
        current = {k.decode(): float(v) for k, v in self._redis.hgetall(key).items()}
        updated = {k: v * TASTE_DECAY for k, v in current.items()}
        for label in labels:
            updated[label] = updated.get(label, 0.0) + 1.0
        self._redis.hset(key, mapping=updated)

    def close(self) -> None:
        return None
