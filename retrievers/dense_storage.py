"""The files of a dense index directory: the faiss index, its keys, facets, input digests
and metadata.

``keys.txt`` stores the entity id of each faiss integer id (an empty line for a
deleted one) under a ``# generation`` header that must match the metadata. Each
file is written to a temporary file and renamed into place (input digests as both
old and new files agree on them, index, facets, keys, metadata, then every input
digest: see :mod:`retrievers.dense_inputs`); a directory whose files disagree, or
that was written for another format or vector width, is refused with a message
saying to rebuild it. A directory without input digests (saved before they
existed) loads with every digest unknown.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import faiss

from retrievers.dense_facets import Facets
from retrievers.dense_inputs import InputDigests

logger = logging.getLogger(__name__)

FORMAT_VERSION: Final = 1
INDEX_FILE: Final = "index.faiss"
KEYS_FILE: Final = "keys.txt"
META_FILE: Final = "meta.json"
FACETS_FILE: Final = "facets.npz"
INPUTS_FILE: Final = "inputs.npz"
MODELS_DIR: Final = "models"


@dataclass(frozen=True, slots=True)
class StoredIndex:
    """What a dense index directory holds, as read by :func:`load_index`."""

    index: Any
    facets: Facets
    keys: list[str | None]
    """The entity id of each integer id; None for a deleted one."""
    trained_size: int
    generation: int
    inputs: InputDigests
    """What each integer id's vector was encoded from (unknown for an older directory)."""


def load_index(path: Path, dimension: int, fingerprint: str) -> StoredIndex:
    """Read an index directory written by :func:`save_index` for vectors of ``dimension``.

    An index encoded by another encoder (``fingerprint``) loads with a warning.
    """
    meta = json.loads((path / META_FILE).read_text())
    if meta.get("format") != FORMAT_VERSION:
        raise RuntimeError(
            f"dense index at {path} has format {meta.get('format')}, this build needs "
            f"{FORMAT_VERSION}: rebuild it with `ltrr index`"
        )
    if meta["dimension"] != dimension:
        raise RuntimeError(
            f"dense index at {path} holds {meta['dimension']}-d vectors, the encoder "
            f"makes {dimension}-d ones: rebuild it with `ltrr index`"
        )
    if meta["fingerprint"] != fingerprint:
        logger.warning(
            "dense index at %s was encoded by %s, queries are encoded by %s: results may "
            "differ slightly; re-index to align them",
            path,
            meta["fingerprint"],
            fingerprint,
        )
    index = faiss.read_index(str(path / INDEX_FILE))
    lines = (path / KEYS_FILE).read_text(encoding="utf-8").split("\n")
    header, rows = lines[0], lines[1:-1]
    keys: list[str | None] = [row or None for row in rows]
    live = sum(1 for key in keys if key is not None)
    facets = Facets.load(path / FACETS_FILE, meta["vocabularies"])
    if (
        header != f"# generation {meta['generation']}"
        or live != index.ntotal
        or len(facets.types) != len(keys)
    ):
        raise RuntimeError(
            f"dense index at {path} is inconsistent (keys {header!r} with {live} ids, "
            f"metadata generation {meta['generation']}, index {index.ntotal} vectors): "
            "rebuild it with `ltrr index`"
        )
    generation = int(meta["generation"])
    return StoredIndex(
        index=index,
        facets=facets,
        keys=keys,
        trained_size=int(meta["trained_size"]),
        generation=generation,
        inputs=InputDigests.load(path / INPUTS_FILE, len(keys), generation),
    )


def save_index(
    path: Path,
    index: Any,
    facets: Facets,
    keys: Sequence[str | None],
    inputs: InputDigests,
    *,
    generation: int,
    fingerprint: str,
    dimension: int,
    kind: Literal["flat", "ivf"],
    nlist: int | None,
    trained_size: int,
    count: int,
) -> None:
    """Write the index, facets, keys, input digests and metadata atomically (each file
    renamed into place, the digests before and after the others)."""
    inputs.save_interim(path / INPUTS_FILE, len(keys), generation)
    index_tmp = path / f".{INDEX_FILE}.tmp"
    keys_tmp = path / f".{KEYS_FILE}.tmp"
    meta_tmp = path / f".{META_FILE}.tmp"
    facets_tmp = path / f".{FACETS_FILE}.tmp"
    faiss.write_index(index, str(index_tmp))
    facets.save(facets_tmp, len(keys))
    with keys_tmp.open("w", encoding="utf-8", newline="\n") as out:
        out.write(f"# generation {generation}\n")
        for key in keys:
            out.write(key or "")
            out.write("\n")
    meta = {
        "format": FORMAT_VERSION,
        "generation": generation,
        "fingerprint": fingerprint,
        "dimension": dimension,
        "kind": kind,
        "nlist": nlist,
        "trained_size": trained_size,
        "count": count,
        "vocabularies": facets.vocabularies(),
    }
    meta_tmp.write_text(json.dumps(meta, indent=2) + "\n")
    renames = (
        (index_tmp, INDEX_FILE),
        (facets_tmp, FACETS_FILE),
        (keys_tmp, KEYS_FILE),
        (meta_tmp, META_FILE),
    )
    for tmp, final in renames:
        os.replace(tmp, path / final)
    inputs.save_final(path / INPUTS_FILE, len(keys), generation)
