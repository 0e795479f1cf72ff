"""One SQLite connection per thread on a WAL-mode file, shared by the service's logs."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class ThreadLocalSqlite:
    """Opens the file lazily in each thread that asks; WAL lets readers and a writer overlap.

    ``autocommit`` connections leave transactions to explicit ``BEGIN``/``COMMIT``;
    ``synchronous`` is ``FULL`` where an acknowledged write must survive a power loss.
    """

    def __init__(self, path: Path, *, synchronous: str = "NORMAL", autocommit: bool = False):
        self.path = path
        self._synchronous = synchronous
        self._autocommit = autocommit
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)

    def get(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._autocommit:
                conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            else:
                conn = sqlite3.connect(self.path, timeout=30.0)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Close this thread's connection (others close with their threads)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
