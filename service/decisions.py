"""The decision log: what every search decided and showed, keyed by its search id.

Feedback joins against it (was this entity shown, at which position, which
strategies had found it), and it is the raw material for ranker training and
off-policy evaluation of retrieval plans. Entries expire after a TTL.

The embedded backend is SQLite in WAL mode in the data dir; with ``REDIS_URL``
set, every replica shares one log in Redis, so feedback for a search served by
one replica can be verified by any other.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from bandit.policy import PlanChoice
from ranker.interventions import Swap
from retrievers.base import SearchFilters
from service.sqlite_local import ThreadLocalSqlite


class LoggedCandidate(BaseModel):
    model_config = ConfigDict(frozen=True)

    entity_id: str
    rank: int
    score: float


class Decision(BaseModel):
    """One served search: its plan, each strategy's candidates, and what was shown."""

    model_config = ConfigDict(frozen=True)

    search_id: str
    created_at: float = Field(description="Unix time (s) when the search was served.")
    query: str
    user_id: str | None = None
    context: dict[str, str | int | float | None] = Field(default_factory=dict)
    filters: SearchFilters = Field(default_factory=SearchFilters)
    plan: dict[str, int]
    plan_source: str = Field(default="default", description="`default`, `pinned` or a policy.")
    propensity: float = Field(default=1.0, gt=0.0, le=1.0)
    candidates: dict[str, list[LoggedCandidate]] = Field(default_factory=dict)
    failed_strategies: dict[str, str] = Field(default_factory=dict)
    shown: list[str] = Field(default_factory=list, description="Entity ids in shown order.")
    ranker: str = Field(default="rrf", description="Model version that ordered the union, or rrf.")
    ranker_fallback: str | None = Field(
        default=None, description="Why RRF ordered the union although a model was active."
    )
    features: dict[str, Any] | None = Field(
        default=None,
        description=(
            "Ranking features as served (ranker.feature_log form): the shown candidates in "
            "shown order, then a random sample of unshown ones; `shown` counts the former."
        ),
    )
    swap: Swap | None = Field(
        default=None,
        description=(
            "The randomized swap applied to the shown order, for estimating position bias; "
            "None when the order was served as ranked."
        ),
    )
    retrieval_ms: float = Field(default=0.0, ge=0.0, description="Fan-out time of the plan.")
    bandit: PlanChoice | None = Field(
        default=None, description="The bandit's decision, when it chose the plan."
    )


class DecisionLog(Protocol):
    def record(self, decision: Decision) -> None: ...

    def get(self, search_id: str) -> Decision | None: ...


class SqliteDecisionLog:
    """Decision log in one SQLite file; safe across threads; expired entries are purged."""

    _PURGE_EVERY = 1000

    def __init__(self, path: Path, ttl_s: int) -> None:
        self._path = path
        self._ttl_s = ttl_s
        self._db = ThreadLocalSqlite(path, synchronous="NORMAL", autocommit=False)
        self._writes = 0
        self._write_lock = threading.Lock()
        conn = self._conn()
        conn.execute(
            "CREATE TABLE IF NOT EXISTS decisions ("
            " search_id TEXT PRIMARY KEY, created_at REAL NOT NULL, body TEXT NOT NULL)"
        )
        conn.execute("CREATE INDEX IF NOT EXISTS decisions_created ON decisions(created_at)")
        conn.commit()

    def _conn(self) -> sqlite3.Connection:
        return self._db.get()

    def record(self, decision: Decision) -> None:
        conn = self._conn()
        with self._write_lock:
            conn.execute(
                "INSERT OR REPLACE INTO decisions VALUES (?, ?, ?)",
                (decision.search_id, decision.created_at, decision.model_dump_json()),
            )
            self._writes += 1
            if self._writes % self._PURGE_EVERY == 0:
                conn.execute(
                    "DELETE FROM decisions WHERE created_at < ?", (time.time() - self._ttl_s,)
                )
            conn.commit()

    def get(self, search_id: str) -> Decision | None:
        row = (
            self._conn()
            .execute("SELECT body, created_at FROM decisions WHERE search_id = ?", (search_id,))
            .fetchone()
        )
        if row is None or row[1] < time.time() - self._ttl_s:
            return None
        return Decision.model_validate_json(row[0])


class RedisDecisionLog:
    """Decision log shared by every replica: one key per search with the TTL as expiry."""

    def __init__(self, client: Any, ttl_s: int, *, prefix: str = "ltrr:decision:") -> None:
        self._redis = client
        self._ttl_s = ttl_s
        self._prefix = prefix

    def record(self, decision: Decision) -> None:
        self._redis.set(
            self._prefix + decision.search_id, decision.model_dump_json(), ex=self._ttl_s
        )

    def get(self, search_id: str) -> Decision | None:
        body = self._redis.get(self._prefix + search_id)
        return None if body is None else Decision.model_validate_json(body)
