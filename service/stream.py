"""The durable feedback stream between the API and the learning worker.

Accepted feedback is written to a stream before ``/feedback`` answers, so an
event the API accepted survives any crash. A worker reads entries, applies
them, and acknowledges them only afterwards: delivery is at-least-once, and
the appliers are idempotent by ``event_id``, which together make every
accepted event take effect exactly once.

Two backends with one interface:

* :class:`SqliteEventStream` (embedded default): a WAL-mode SQLite table in the
  data dir. Workers claim entries with a lease; a worker that dies leaves its
  claims to expire and be claimed again.
* :class:`RedisEventStream` (``REDIS_URL``): a Redis Stream with a consumer
  group. Pending entries of a dead consumer are taken over with ``XAUTOCLAIM``
  after the same lease.

Both deduplicate on ``event_id`` at append time (a retried batch is counted as
duplicates, not queued twice) and keep a dead-letter list of entries that could
not be applied, each with its reason.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import redis

from service.sqlite_local import ThreadLocalSqlite


@dataclass(frozen=True, slots=True)
class StreamEntry:
    """One queued event: its stream id, its event id and its JSON body."""

    entry_id: str
    event_id: str
    body: str


@dataclass(frozen=True, slots=True)
class DeadLetter:
    entry_id: str
    event_id: str
    body: str
    reason: str
    at: float


class EventStream(Protocol):
    """Append-with-dedup, claim, acknowledge, dead-letter."""

    def append(self, events: list[tuple[str, str]]) -> list[bool]:
        """Queue ``(event_id, body)`` pairs durably; True where new, False for duplicates."""
        ...

    def claim(self, consumer: str, count: int, block_ms: int = 0) -> list[StreamEntry]:
        """Up to ``count`` entries for ``consumer``: its own unacknowledged ones first,
        then entries whose lease expired, then new ones."""
        ...

    def ack(self, entry_ids: list[str]) -> None: ...

    def dead_letter(self, entry: StreamEntry, reason: str) -> None:
        """Move an entry that cannot be applied aside (and acknowledge it)."""
        ...

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]: ...

    def backlog(self) -> int:
        """Entries accepted but not yet acknowledged."""
        ...

    def close(self) -> None: ...


class SqliteEventStream:
    """The embedded stream: one SQLite file, safe across threads and processes."""

    def __init__(self, path: Path, *, lease_s: float = 30.0) -> None:
        self._path = path
        self._lease_s = lease_s
        self._db = ThreadLocalSqlite(path, synchronous="FULL", autocommit=True)
        conn = self._conn()
        conn.executescript(
            """
            CREATE TABLE IF NOT EXISTS events (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                event_id TEXT NOT NULL UNIQUE,
                body TEXT NOT NULL,
                accepted_at REAL NOT NULL,
                claimed_by TEXT,
                claimed_at REAL,
                acked_at REAL
            );
            CREATE INDEX IF NOT EXISTS events_open ON events(acked_at, seq);
            CREATE TABLE IF NOT EXISTS dead_letters (
                seq INTEGER PRIMARY KEY,
                event_id TEXT NOT NULL,
                body TEXT NOT NULL,
                reason TEXT NOT NULL,
                at REAL NOT NULL
            );
            """
        )
        conn.commit()

    def _conn(self) -> sqlite3.Connection:
        return self._db.get()

    def append(self, events: list[tuple[str, str]]) -> list[bool]:
        conn = self._conn()
        now = time.time()
        created: list[bool] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for event_id, body in events:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO events(event_id, body, accepted_at) VALUES (?, ?, ?)",
                    (event_id, body, now),
                )
                created.append(cursor.rowcount == 1)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return created

    def claim(self, consumer: str, count: int, block_ms: int = 0) -> list[StreamEntry]:
        deadline = time.monotonic() + block_ms / 1000.0
        while True:
            entries = self._claim_once(consumer, count)
            if entries or time.monotonic() >= deadline:
                return entries
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    def _claim_once(self, consumer: str, count: int) -> list[StreamEntry]:
        conn = self._conn()
        now = time.time()
        conn.execute("BEGIN IMMEDIATE")
        try:
            rows = conn.execute(
                "UPDATE events SET claimed_by = ?, claimed_at = ? WHERE seq IN ("
                " SELECT seq FROM events WHERE acked_at IS NULL AND ("
                "  claimed_by IS NULL OR claimed_by = ? OR claimed_at < ?)"
                " ORDER BY seq LIMIT ?)"
                " RETURNING seq, event_id, body",
                (consumer, now, consumer, now - self._lease_s, count),
            ).fetchall()
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        rows.sort(key=lambda row: int(row[0]))
        return [StreamEntry(str(seq), event_id, body) for seq, event_id, body in rows]

    def ack(self, entry_ids: list[str]) -> None:
        if not entry_ids:
            return
        conn = self._conn()
        now = time.time()
        conn.executemany(
            "UPDATE events SET acked_at = ? WHERE seq = ?", [(now, int(e)) for e in entry_ids]
        )

    def dead_letter(self, entry: StreamEntry, reason: str) -> None:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "INSERT OR REPLACE INTO dead_letters VALUES (?, ?, ?, ?, ?)",
                (int(entry.entry_id), entry.event_id, entry.body, reason, time.time()),
            )
            conn.execute(
                "UPDATE events SET acked_at = ? WHERE seq = ?", (time.time(), int(entry.entry_id))
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        rows = (
            self._conn()
            .execute(
                "SELECT seq, event_id, body, reason, at FROM dead_letters ORDER BY seq LIMIT ?",
                (limit,),
            )
            .fetchall()
        )
        return [DeadLetter(str(seq), eid, body, reason, at) for seq, eid, body, reason, at in rows]

    def backlog(self) -> int:
        row = self._conn().execute("SELECT COUNT(*) FROM events WHERE acked_at IS NULL").fetchone()
        return int(row[0])

    def close(self) -> None:
        self._db.close()


# Atomic dedup + append: the seen-marker and the stream entry are written together.
_APPEND_SCRIPT = """
local created = {}
for i = 1, #ARGV - 1, 2 do
  local seen_key = KEYS[2] .. ARGV[i]
  if redis.call('SET', seen_key, 1, 'NX', 'EX', tonumber(ARGV[#ARGV])) then
    redis.call('XADD', KEYS[1], '*', 'event_id', ARGV[i], 'body', ARGV[i + 1])
    created[#created + 1] = 1
  else
    created[#created + 1] = 0
  end
end
return created
"""


class RedisEventStream:
    """Redis Streams with one consumer group; dead letters in a second stream."""

    GROUP = "ltrr-workers"

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "ltrr:feedback",
        lease_s: float = 30.0,
        dedup_ttl_s: int = 7 * 24 * 3600,
    ) -> None:
        # redis-py's reply types are unions over every protocol version; replies are
        # decoded explicitly below, so the client is handled as untyped.
        self._redis: Any = client
        self._stream = f"{prefix}:stream"
        self._seen = f"{prefix}:seen:"
        self._dead = f"{prefix}:dead"
        self._lease_ms = int(lease_s * 1000)
        self._dedup_ttl_s = dedup_ttl_s
        self._append = client.register_script(_APPEND_SCRIPT)
        try:
            client.xgroup_create(self._stream, self.GROUP, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def append(self, events: list[tuple[str, str]]) -> list[bool]:
        if not events:
            return []
        args: list[str | int] = [part for pair in events for part in pair]
        args.append(self._dedup_ttl_s)
        created = self._append(keys=[self._stream, self._seen], args=args)
        return [bool(flag) for flag in created]

    @staticmethod
    def _entries(raw: list[tuple[bytes, dict[bytes, bytes]]]) -> list[StreamEntry]:
        out = []
        for entry_id, fields in raw:
            if not fields:  # deleted from the stream while pending
                continue
            out.append(
                StreamEntry(
                    entry_id.decode(),
                    fields.get(b"event_id", b"").decode(),
                    fields.get(b"body", b"").decode(),
                )
            )
        return out

    def claim(self, consumer: str, count: int, block_ms: int = 0) -> list[StreamEntry]:
        own = self._redis.xreadgroup(self.GROUP, consumer, {self._stream: "0"}, count=count)
        entries = self._entries(own[0][1]) if own else []
        if entries:
            return entries
        _, stolen, _ = self._redis.xautoclaim(
            self._stream, self.GROUP, consumer, self._lease_ms, start_id="0-0", count=count
        )
        entries = self._entries(stolen)
        if entries:
            return entries
        fresh = self._redis.xreadgroup(
            self.GROUP, consumer, {self._stream: ">"}, count=count, block=block_ms or None
        )
        return self._entries(fresh[0][1]) if fresh else []

    def ack(self, entry_ids: list[str]) -> None:
        if entry_ids:
            pipe = self._redis.pipeline(transaction=True)
            pipe.xack(self._stream, self.GROUP, *entry_ids)
            pipe.xdel(self._stream, *entry_ids)
            pipe.execute()

    def dead_letter(self, entry: StreamEntry, reason: str) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.xadd(
            self._dead,
            {
                "entry_id": entry.entry_id,
                "event_id": entry.event_id,
                "body": entry.body,
                "reason": reason,
                "at": repr(time.time()),
            },
        )
        pipe.xack(self._stream, self.GROUP, entry.entry_id)
        pipe.xdel(self._stream, entry.entry_id)
        pipe.execute()

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        out = []
        for _, fields in self._redis.xrange(self._dead, count=limit):
            text = {k.decode(): v.decode() for k, v in fields.items()}
            out.append(
                DeadLetter(
                    text["entry_id"],
                    text["event_id"],
                    text["body"],
                    text["reason"],
                    float(text["at"]),
                )
            )
        return out

    def backlog(self) -> int:
        return int(self._redis.xlen(self._stream))

    def close(self) -> None:
        self._redis.close()
