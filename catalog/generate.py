"""Deterministic synthetic music and podcast catalog.

Benchmarks, load tests and the listener simulator need a catalog that behaves like
a real one (Zipf popularity, title collisions, many languages, artist → album →
track nesting, podcasts with prose descriptions) without shipping licensed data.
Everything derives from ``(size, seed)``: the same pair yields byte-identical JSONL.
Entities are streamed artist by artist and show by show; any artist's profile is
recomputable from its index, so memory does not grow with the catalog size.
Names and titles come from ``catalog.vocabulary``; structure is decided here and in
the modules this one streams from: :mod:`catalog.shape` (counts, ids, ranking,
popularity), :mod:`catalog.artists` (artist profiles and the shared per-catalog
state), :mod:`catalog.music`, :mod:`catalog.playlists` and :mod:`catalog.podcasts`
(the entities).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

from catalog.artists import NOTABLE_ARTISTS, CatalogContext
from catalog.model import Entity
from catalog.music import music_entities
from catalog.playlists import playlist_entity
from catalog.podcasts import podcast_entities
from catalog.shape import LAST_YEAR, Counts, entity_id, type_counts

__all__ = [
    "LAST_YEAR",
    "NOTABLE_ARTISTS",
    "PROGRESS_EVERY",
    "Counts",
    "entity_id",
    "generate_catalog",
    "type_counts",
    "write_catalog_jsonl",
]

PROGRESS_EVERY = 5_000
"""Rows between two ``on_progress`` calls."""


def generate_catalog(size: int, seed: int) -> Iterator[Entity]:
    """Yield exactly ``size`` entities, deterministic for ``(size, seed)``, streaming.

    Raises ``ValueError`` at once (not at the first ``next``) for a bad size.
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive integer, but {size!r} is given")
    ctx = CatalogContext(type_counts(size), seed)
    return _stream(ctx)


def _stream(ctx: CatalogContext) -> Iterator[Entity]:
    """Music, then playlists, then podcasts, each from its own seeded stream."""
    yield from music_entities(ctx)
    playlists_rng = random.Random(f"{ctx.seed}:playlists")
    for _ in range(ctx.counts.playlists):
        yield playlist_entity(ctx, playlists_rng)
    yield from podcast_entities(ctx)


def write_catalog_jsonl(
    path: Path, size: int, seed: int, on_progress: Callable[[int], None] | None = None
) -> int:
    """Write ``generate_catalog(size, seed)`` as JSONL and return the row count.

    One ``model_dump_json(exclude_defaults=True)`` per line keeps files small;
    ``on_progress`` gets the rows written since its previous call.
    """
    entities = generate_catalog(size, seed)
    written = pending = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for entity in entities:
            out.write(entity.model_dump_json(exclude_defaults=True))
            out.write("\n")
            written += 1
            pending += 1
            if pending == PROGRESS_EVERY:
                if on_progress is not None:
                    on_progress(pending)
                pending = 0
    if pending and on_progress is not None:
        on_progress(pending)
    return written
