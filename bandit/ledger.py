"""The reward ledger: every bandit-decided search closes exactly once, as success or failure.

A search opens when its first impression is applied. The first success event
(a click, a long enough play, a like...) closes it as a success; a search still
open ``window_s`` after its first impression closes as a failure, so the
learner sees failures, not only successes. Closing inserts one row keyed by
``search_id`` — a second close of the same search changes nothing — with a
sequence number; the learner applies rows in sequence order and its snapshots
record the last sequence they include, so after a crash it replays exactly the
rows it had not learned yet.
"""

from __future__ import annotations

import json
import sqlite3
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bandit.policy import Outcome, PlanChoice
from service.sqlite_local import ThreadLocalSqlite

SEEN_CACHE = 10_000
"""Searches recently opened by this process: their further impressions skip the database."""


@dataclass(frozen=True, slots=True)
class ClosedSearch:
    seq: int
    search_id: str
    choice: PlanChoice
    outcome: Outcome
    served_at: float
    closed_at: float
    reason: str


class RewardLedger:
    """Open searches and closed rewards in one SQLite file (WAL)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._db = ThreadLocalSqlite(path, synchronous="FULL", autocommit=True)
        self._conn().executescript(
            """
            CREATE TABLE IF NOT EXISTS open_searches (
                search_id TEXT PRIMARY KEY,
                opened_at REAL NOT NULL,
                served_at REAL NOT NULL,
                choice TEXT NOT NULL,
                drawn INTEGER NOT NULL,
                latency_ms REAL NOT NULL
            );
            CREATE INDEX IF NOT EXISTS open_by_time ON open_searches(opened_at);
            CREATE TABLE IF NOT EXISTS rewards (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                search_id TEXT NOT NULL UNIQUE,
                served_at REAL NOT NULL,
                closed_at REAL NOT NULL,
                reason TEXT NOT NULL,
                choice TEXT NOT NULL,
                outcome TEXT NOT NULL
            );
            """
        )

    def _conn(self) -> sqlite3.Connection:
        return self._db.get()

    def open(
        self,
        search_id: str,
        *,
        at: float,
        served_at: float,
        choice: PlanChoice,
        drawn: int,
        latency_ms: float,
    ) -> bool:
        """Start the no-engagement clock of a search (once); False if open or closed already."""
        if search_id in self._seen:
            return False
        conn = self._conn()
        if conn.execute("SELECT 1 FROM rewards WHERE search_id = ?", (search_id,)).fetchone():
            return False
        cursor = conn.execute(
            "INSERT OR IGNORE INTO open_searches VALUES (?, ?, ?, ?, ?, ?)",
            (search_id, at, served_at, choice.model_dump_json(), drawn, latency_ms),
        )
        # Remembered only once it is in the database: a failed write is retried in full.
        self._seen[search_id] = None
        if len(self._seen) > SEEN_CACHE:
            self._seen.popitem(last=False)
        return cursor.rowcount == 1

    def close(
        self,
        search_id: str,
        *,
        at: float,
        served_at: float,
        choice: PlanChoice,
        outcome: Outcome,
        reason: str,
    ) -> bool:
        """Close a search with its outcome; False (and no change) if it was closed before."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO rewards (search_id, served_at, closed_at, reason, choice,"
                " outcome) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    search_id,
                    served_at,
                    at,
                    reason,
                    choice.model_dump_json(),
                    outcome.model_dump_json(),
                ),
            )
            conn.execute("DELETE FROM open_searches WHERE search_id = ?", (search_id,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return cursor.rowcount == 1

    def expired(
        self, before: float, limit: int = 1000
    ) -> list[tuple[str, float, PlanChoice, int, float]]:
        """Open searches whose first impression is older than ``before``."""
        rows = self._conn().execute(
            "SELECT search_id, served_at, choice, drawn, latency_ms FROM open_searches"
            " WHERE opened_at < ? ORDER BY opened_at LIMIT ?",
            (before, limit),
        )
        return [
            (sid, served, PlanChoice.model_validate_json(choice), drawn, latency)
            for sid, served, choice, drawn, latency in rows
        ]

    def closed_after(self, seq: int, limit: int = 10_000) -> Iterator[ClosedSearch]:
        rows = self._conn().execute(
            "SELECT seq, search_id, choice, outcome, served_at, closed_at, reason FROM rewards"
            " WHERE seq > ? ORDER BY seq LIMIT ?",
            (seq, limit),
        )
        for seq_, sid, choice, outcome, served, closed, reason in rows.fetchall():
            yield ClosedSearch(
                seq_,
                sid,
                PlanChoice.model_validate_json(choice),
                Outcome.model_validate(json.loads(outcome)),
                served,
                closed,
                reason,
            )

    def counts(self) -> dict[str, int]:
        conn = self._conn()
        rows = conn.execute("SELECT reason, COUNT(*) FROM rewards GROUP BY reason")
        closed = dict(rows.fetchall())
        closed["open"] = int(conn.execute("SELECT COUNT(*) FROM open_searches").fetchone()[0])
        return {k: int(v) for k, v in closed.items()}

    def close_db(self) -> None:
        self._db.close()
