"""What the feedback worker records for learning: training rows and strategy outcomes.

Every applied feedback event becomes

* a **training row** — the event joined with its search: query, context, plan,
  position, which strategies had found the entity and at which rank — that the
  ranker trains from (labels are derived from the event types per search and
  entity at training time, see ``docs/feedback.md``);
* once per search, its **served features** — the ranking features of the shown
  candidates (and a sample of unshown ones) exactly as the search computed them —
  that training rows are joined with (``ranker.logged``);
* for engagement events, one **strategy outcome** per strategy of the plan: was
  the engaged entity among that strategy's candidates, at which rank, with
  which depth drawn — the reward signal of the retrieval bandit.

Both are written in one SQLite transaction together with an ``applied`` marker
keyed by ``event_id``, so replaying an event (after a worker crash, before its
acknowledgement) changes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ranker.interventions import SWAP_JSON
from service.decisions import Decision
from service.events import EventType, FeedbackEvent
from service.sqlite_local import ThreadLocalSqlite

ENGAGEMENTS = frozenset({EventType.CLICK, EventType.PLAY, EventType.LIKE, EventType.ADD_TO_LIBRARY})


@dataclass(frozen=True, slots=True)
class StrategyOutcome:
    search_id: str
    strategy: str
    depth: int
    found: bool
    rank: int | None


def _swap_json(decision: Decision) -> str | None:
    return None if decision.swap is None else SWAP_JSON.dump_json(decision.swap).decode()


class LearningLog:
    """Training rows and per-strategy outcomes in one SQLite file (WAL)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._db = ThreadLocalSqlite(path, synchronous="FULL", autocommit=True)
        self._conn().executescript(
            """
            CREATE TABLE IF NOT EXISTS applied (
                event_id TEXT PRIMARY KEY, applied_at REAL NOT NULL
            );
            CREATE TABLE IF NOT EXISTS training_rows (
                event_id TEXT PRIMARY KEY,
                search_id TEXT NOT NULL,
                searched_at REAL NOT NULL,
                event_at REAL NOT NULL,
                query TEXT NOT NULL,
                user_id TEXT,
                context TEXT NOT NULL,
                plan TEXT NOT NULL,
                plan_source TEXT NOT NULL,
                propensity REAL NOT NULL,
                entity_id TEXT NOT NULL,
                position INTEGER NOT NULL,
                type TEXT NOT NULL,
                play_ms INTEGER,
                found_by TEXT NOT NULL
            );
            CREATE INDEX IF NOT EXISTS training_rows_search ON training_rows(search_id);
            CREATE TABLE IF NOT EXISTS search_features (
                search_id TEXT PRIMARY KEY,
                searched_at REAL NOT NULL,
                ranker TEXT NOT NULL,
                shown TEXT NOT NULL,
                features TEXT NOT NULL,
                swap TEXT
            );
            CREATE TABLE IF NOT EXISTS strategy_outcomes (
                event_id TEXT NOT NULL,
                strategy TEXT NOT NULL,
                search_id TEXT NOT NULL,
                entity_id TEXT NOT NULL,
                depth INTEGER NOT NULL,
                found INTEGER NOT NULL,
                rank INTEGER,
                PRIMARY KEY (event_id, strategy)
            );
            """
        )

    def _conn(self) -> sqlite3.Connection:
        return self._db.get()

    def is_applied(self, event_id: str) -> bool:
        row = self._conn().execute("SELECT 1 FROM applied WHERE event_id = ?", (event_id,))
        return row.fetchone() is not None

    def record(self, event: FeedbackEvent, decision: Decision, applied_at: float) -> bool:
        """Write the event's rows once; False (and no change) if it was recorded before."""
        found_by = {
            name: next((c.rank for c in run if c.entity_id == event.entity_id), None)
            for name, run in decision.candidates.items()
        }
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO applied VALUES (?, ?)", (event.event_id, applied_at)
            )
            if cursor.rowcount == 0:
                conn.execute("ROLLBACK")
                return False
            conn.execute(
                "INSERT INTO training_rows VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    event.event_id,
                    decision.search_id,
                    decision.created_at,
                    event.timestamp.timestamp(),
                    decision.query,
                    decision.user_id,
                    json.dumps(decision.context, sort_keys=True),
                    json.dumps(decision.plan, sort_keys=True),
                    decision.plan_source,
                    decision.propensity,
                    event.entity_id,
                    event.position,
                    event.type.value,
                    event.play_ms,
                    json.dumps({k: v for k, v in found_by.items() if v is not None}),
                ),
            )
            if decision.features is not None:
                conn.execute(
                    "INSERT OR IGNORE INTO search_features VALUES (?,?,?,?,?,?)",
                    (
                        decision.search_id,
                        decision.created_at,
                        decision.ranker,
                        json.dumps(decision.shown),
                        json.dumps(decision.features, separators=(",", ":")),
                        _swap_json(decision),
                    ),
                )
            if event.type in ENGAGEMENTS:
                conn.executemany(
                    "INSERT INTO strategy_outcomes VALUES (?,?,?,?,?,?,?)",
                    [
                        (
                            event.event_id,
                            strategy,
                            decision.search_id,
                            event.entity_id,
                            depth,
                            int(found_by.get(strategy) is not None),
                            found_by.get(strategy),
                        )
                        for strategy, depth in decision.plan.items()
                        if depth > 0
                    ],
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return True

    def count_rows(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM training_rows").fetchone()[0])

    def event_ids(self) -> list[str]:
        rows = self._conn().execute("SELECT event_id FROM training_rows ORDER BY event_id")
        return [row[0] for row in rows]

    def outcomes(self) -> Iterator[StrategyOutcome]:
        rows = self._conn().execute(
            "SELECT search_id, strategy, depth, found, rank FROM strategy_outcomes"
        )
        for search_id, strategy, depth, found, rank in rows:
            yield StrategyOutcome(search_id, strategy, depth, bool(found), rank)

    def close(self) -> None:
        self._db.close()
