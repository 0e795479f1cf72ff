"""The entity store: every entity's fields by id, in one SQLite file.

Retrievers and the ranker only hand around ids; the API reads the fields it
returns from here. SQLite in WAL mode lets many readers run while one writer
ingests, and survives restarts without a separate server.

Each thread gets its own connection (FastAPI runs sync endpoints in a thread
pool, and a SQLite connection must not be used by two threads at once), so
reads run in parallel; writes are serialized by a lock and each ``upsert`` or
``delete`` call is one transaction, all or nothing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import Final, Self

from catalog.model import Entity, EntityType

DEFAULT_FILENAME: Final = "catalog.sqlite"
"""The store's file name inside a data dir."""

SCHEMA_VERSION: Final = 1
_WRITE_BATCH: Final = 5_000
_LOOKUP_CHUNK: Final = 500  # well below SQLite's bound-parameter limit
_BUSY_TIMEOUT_S: Final = 30.0

_SCHEMA: Final = (
    """CREATE TABLE IF NOT EXISTS entities (
        id   TEXT PRIMARY KEY NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS entities_type ON entities (type, id)",
)
_UPSERT: Final = (
    "INSERT INTO entities (id, type, data) VALUES (?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET type = excluded.type, data = excluded.data"
)
_DELETE: Final = "DELETE FROM entities WHERE id = ?"


class StoreError(RuntimeError):
    """The store file cannot be used (not a database, newer schema, closed)."""


class EntityStore:
    """Entities by id in a SQLite file; safe to share between threads.

    Entities are stored as their JSON (defaults left out) next to ``id`` and
    ``type`` columns, so the schema need not change when the model grows an
    optional field.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._registry_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        self._writes = 0
        self._version_lock = threading.Lock()
        self._version_conn: sqlite3.Connection | None = None
        try:
            self._create_schema(self._conn())
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(f"{self.path}: cannot open entity store: {exc}") from exc

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> Self:
        """The store at its conventional place in a data dir."""
        return cls(Path(data_dir) / DEFAULT_FILENAME)

    def _connect(self) -> sqlite3.Connection:
        # Autocommit mode: transactions are begun explicitly, so that a write
        # takes the database lock up front (BEGIN IMMEDIATE) and never has to
        # upgrade a read lock, which can fail with "database is locked".
        conn = sqlite3.connect(
            self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints; safe with WAL
        return conn

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        if self._closed:
            raise StoreError(f"{self.path}: entity store is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with self._registry_lock:
                if self._closed:
                    raise StoreError(f"{self.path}: entity store is closed")
                conn = self._connect()
                self._connections.append(conn)
            self._local.conn = conn
        return conn

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                (version,) = conn.execute("PRAGMA user_version").fetchone()
                if version > SCHEMA_VERSION:
                    raise StoreError(
                        f"{self.path}: entity store schema version {version} is newer than "
                        f"this code's ({SCHEMA_VERSION})"
                    )
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _write(self, sql: str, rows: Iterator[tuple[str, ...]]) -> tuple[int, int]:
        """Run ``sql`` for every row in one transaction; (rows given, rows changed).

        Rows are pulled in batches so a generator over a huge file never has
        to be materialized.
        """
        conn = self._conn()
        given = 0
        with self._write_lock:
            before = conn.total_changes
            conn.execute("BEGIN IMMEDIATE")
            try:
                while batch := list(islice(rows, _WRITE_BATCH)):
                    conn.executemany(sql, batch)
                    given += len(batch)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            self._writes += 1
            return given, conn.total_changes - before

    def change_token(self) -> tuple[int, int]:
        """A value that changes whenever any connection, in any process, commits a change.

        SQLite's ``PRAGMA data_version`` on one dedicated connection moves when another
        connection commits; this store's own writes are counted beside it. Caches of
        entities compare tokens to know when to drop what they hold.
        """
        with self._version_lock:
            if self._version_conn is None:
                with self._registry_lock:
                    if self._closed:
                        raise StoreError(f"{self.path}: entity store is closed")
                    self._version_conn = self._connect()
                    self._connections.append(self._version_conn)
            (version,) = self._version_conn.execute("PRAGMA data_version").fetchone()
        return int(version), self._writes

    def upsert(self, entities: Iterable[Entity]) -> int:
        """Insert or replace entities by id; returns how many were given.

        If iterating ``entities`` raises (a strict catalog read hitting a bad
        row, say), nothing from this call is kept.
        """
        rows = (
            (entity.id, entity.type.value, entity.model_dump_json(exclude_defaults=True))
            for entity in entities
        )
        given, _ = self._write(_UPSERT, rows)
        return given

    def delete(self, ids: Iterable[str]) -> int:
        """Delete entities by id; returns how many existed (unknown ids are ignored)."""
        _, changed = self._write(_DELETE, ((entity_id,) for entity_id in ids))
        return changed

    def get(self, entity_id: str) -> Entity | None:
        """The entity with this id, or None."""
        row = self._conn().execute("SELECT data FROM entities WHERE id = ?", (entity_id,))
        found = row.fetchone()
        return None if found is None else Entity.model_validate_json(found[0])

    def get_many(self, ids: Sequence[str]) -> dict[str, Entity]:
        """The stored entities among ``ids``, in the order asked; missing ids are absent."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, str] = {}
        conn = self._conn()
        for start in range(0, len(wanted), _LOOKUP_CHUNK):
            chunk = wanted[start : start + _LOOKUP_CHUNK]
            marks = ", ".join("?" * len(chunk))
            sql = f"SELECT id, data FROM entities WHERE id IN ({marks})"
            found.update(conn.execute(sql, chunk).fetchall())
        return {i: Entity.model_validate_json(found[i]) for i in wanted if i in found}

    def __len__(self) -> int:
        (count,) = self._conn().execute("SELECT count(*) FROM entities").fetchone()
        return int(count)

    def __contains__(self, entity_id: object) -> bool:
        if not isinstance(entity_id, str):
            return False
        row = self._conn().execute("SELECT 1 FROM entities WHERE id = ?", (entity_id,))
        return row.fetchone() is not None

    def iter_all(
        self, batch_size: int = 10_000, *, entity_type: EntityType | None = None
    ) -> Iterator[Entity]:
        """Every entity (or every one of a type), ordered by id.

        Reads page by page after the last id seen, so memory stays bounded
        and no read transaction is held open between pages (a long one would
        keep the WAL from being checkpointed). Writes made meanwhile may or
        may not be seen.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        where = "id > ?" if entity_type is None else "type = ? AND id > ?"
        sql = f"SELECT id, data FROM entities WHERE {where} ORDER BY id LIMIT ?"
        prefix = () if entity_type is None else (entity_type.value,)
        last = ""
        while True:
            # Looked up per page: a generator may be resumed on another thread.
            rows = self._conn().execute(sql, (*prefix, last, batch_size)).fetchall()
            for _, data in rows:
                yield Entity.model_validate_json(data)
            if len(rows) < batch_size:
                return
            last = rows[-1][0]

    def close(self) -> None:
        """Close every thread's connection; the store cannot be used afterwards.

        Call it once no other thread is still using the store.
        """
        with self._registry_lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
