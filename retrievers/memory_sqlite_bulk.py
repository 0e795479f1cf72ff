"""Cold-start bulk load of the SQLite Q2E store: staged rows, then one sorted insert per table.

Upserting a million entities batch by batch inserts rows at random places in
large B-trees and commits after every batch, so most index pages are
rewritten (to the WAL and back) once per batch. Into an empty store the
predictions are instead appended to unindexed staging tables and copied into
each table in key order inside one transaction — the sort-then-build way to
create a B-tree — so every page is written about once.

The pairs and the vocabulary are the same as
:meth:`SqliteMemoryStore.replace_predicted` applied to each batch in turn
would leave (an entity that appears again replaces its earlier predictions);
a key's posting weight is the best prediction written for it during the load,
which differs only for a key that lost every pair and gained new ones later
in the same load (batch by batch, its old weight is forgotten).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Final

from retrievers.memory_base import (
    EntityPredictions,
    Smoothing,
    key_tokens,
    smoothed_score,
    token_blocks,
)

_STAGING: Final = (
    "CREATE TEMP TABLE staged_pairs (seq INTEGER, key TEXT, entity_id TEXT, predicted REAL, "
    "score REAL)",
    "CREATE TEMP TABLE staged_entities (entity_id TEXT PRIMARY KEY, seq INTEGER) WITHOUT ROWID",
    "CREATE TEMP TABLE staged_postings (token TEXT, key TEXT, weight REAL)",
)
_FILL_PAIRS: Final = (
    "INSERT INTO pairs (key, entity_id, predicted, positive, negative, events, updated_at, score) "
    "SELECT s.key, s.entity_id, s.predicted, 0.0, 0.0, 0, NULL, s.score "
    "FROM staged_pairs AS s JOIN staged_entities AS e ON e.entity_id = s.entity_id "
    "AND e.seq = s.seq ORDER BY s.key, s.entity_id"
)
_FILL_POSTINGS: Final = (
    "INSERT INTO postings (token, key, weight) "
    "SELECT token, key, max(weight) FROM staged_postings "
    "WHERE key IN (SELECT key FROM pairs) GROUP BY token, key ORDER BY token, key"
)


def bulk_load(
    conn: sqlite3.Connection,
    batches: Iterable[Sequence[EntityPredictions]],
    smoothing: Smoothing,
) -> None:
    """Fill the empty ``pairs``, ``postings`` and ``vocabulary`` tables, inside the
    caller's transaction."""
    for statement in _STAGING:
        conn.execute(statement)
    try:
        seq = 0
        for batch in batches:
            pairs: list[tuple[int, str, str, float, float]] = []
            entities: list[tuple[str, int]] = []
            weights: dict[str, float] = {}
            latest = {item.entity_id: item for item in batch}  # as replace_predicted reads it
            for item in latest.values():
                seq += 1
                entities.append((item.entity_id, seq))
                for key, predicted in item.predicted.items():
                    score = smoothed_score(predicted, 0.0, 0.0, smoothing)
                    pairs.append((seq, key, item.entity_id, predicted, score))
                    weights[key] = max(weights.get(key, 0.0), predicted)
            conn.executemany("INSERT INTO staged_pairs VALUES (?, ?, ?, ?, ?)", pairs)
            conn.executemany("INSERT OR REPLACE INTO staged_entities VALUES (?, ?)", entities)
            conn.executemany(
                "INSERT INTO staged_postings VALUES (?, ?, ?)",
                [(t, key, w) for key, w in weights.items() for t in key_tokens(key)],
            )
        conn.execute(_FILL_PAIRS)
        conn.execute(_FILL_POSTINGS)
        tokens = [token for (token,) in conn.execute("SELECT DISTINCT token FROM postings")]
        conn.executemany(
            "INSERT OR IGNORE INTO vocabulary (block, token) VALUES (?, ?)",
            sorted((block, token) for token in tokens for block in token_blocks(token)),
        )
    finally:
        for table in ("staged_pairs", "staged_entities", "staged_postings"):
            conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
