"""What each dense vector was encoded from: a 64-bit digest per integer id.

Encoding dominates indexing (about 150 entities/s here, two hours for a
million), so an upsert skips every entity whose digest is unchanged: a
re-index of a mostly unchanged catalog encodes only what changed, and an
interrupted ``ltrr index`` resumes after the last saved batch.

The digest is BLAKE2b (RFC 7693), 8 bytes, of the encoder's fingerprint (model,
backend, sequence length) and the entity's embedding text
(:func:`retrievers.embedding_text.entity_text`, the text
:meth:`retrievers.embedding.Encoder.encode_entities` embeds): an entity is
skipped only when the same model would see the same text. Only one entity's
old and new digests are ever compared, so a false match takes a 2⁻⁶⁴ chance.
0 means unknown (never indexed, deleted, or written before digests existed)
and always re-encodes.

Saving must never leave a digest that claims a vector the index file does not
hold, whichever files a crash leaves renamed. The digests are therefore written
twice around the other files: first with every digest changed since the last
save zeroed (true of the old files and the new ones alike), tagged with both
generations, then in full, tagged with the new generation only. A file whose
generations do not include the metadata's is ignored (every digest unknown).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from catalog.model import Entity
from retrievers.embedding_text import entity_text

logger = logging.getLogger(__name__)

UNKNOWN: Final = 0


def input_digests(encoder_fingerprint: str, entities: Iterable[Entity]) -> list[int]:
    """The digest of what the encoder would embed for each entity (never ``UNKNOWN``)."""
    base = hashlib.blake2b(encoder_fingerprint.encode() + b"\0", digest_size=8)
    digests = []
    for entity in entities:
        hasher = base.copy()
        hasher.update(entity_text(entity).encode())
        digests.append(int.from_bytes(hasher.digest(), "little") or 1)
    return digests


class InputDigests:
    """The digest of every integer id's vector input, and the digests as last saved."""

    def __init__(self, values: npt.NDArray[np.uint64] | None = None) -> None:
        self.values = np.zeros(0, dtype=np.uint64) if values is None else values
        self._saved = self.values.copy()

    def get(self, number: int) -> int:
        return int(self.values[number]) if number < len(self.values) else UNKNOWN

    def set(self, number: int, digest: int) -> None:
        if number >= len(self.values):
            capacity = max(number + 1, 2 * len(self.values), 1024)
            grown = np.zeros(capacity, dtype=np.uint64)
            grown[: len(self.values)] = self.values
            self.values = grown
        self.values[number] = digest

    def clear(self, number: int) -> None:
        if number < len(self.values):
            self.values[number] = UNKNOWN

    def save_interim(self, path: Path, size: int, generation: int) -> None:
        """Before the other files: the digests the saved and the new files agree on."""
        current = _sized(self.values, size)
        agreed = current.copy()
        agreed[current != _sized(self._saved, size)] = UNKNOWN
        _write(path, agreed, generation - 1, generation)

    def save_final(self, path: Path, size: int, generation: int) -> None:
        """After the other files: every digest, valid for ``generation`` only."""
        current = _sized(self.values, size)
        _write(path, current, generation, generation)
        self._saved = current

    @classmethod
    def load(cls, path: Path, size: int, generation: int) -> InputDigests:
        """The digests for ``size`` ids of the index at ``generation``; unknown when the
        file is missing (an index saved before digests existed) or from another save."""
        if not path.exists():
            logger.info("dense index has no input digests (%s): upserts re-encode", path.name)
            return cls(np.zeros(size, dtype=np.uint64))
        with np.load(path) as arrays:
            values = arrays["digests"]
            low, high = (int(g) for g in arrays["generations"])
        if not low <= generation <= high:
            logger.warning(
                "dense input digests at %s are from generation %d-%d, the index from %d: "
                "ignored, upserts re-encode",
                path,
                low,
                high,
                generation,
            )
            return cls(np.zeros(size, dtype=np.uint64))
        return cls(_sized(values, size))


def _sized(values: npt.NDArray[np.uint64], size: int) -> npt.NDArray[np.uint64]:
    """The first ``size`` digests, padded with ``UNKNOWN``."""
    out = np.zeros(size, dtype=np.uint64)
    kept = min(size, len(values))
    out[:kept] = values[:kept]
    return out


def _write(path: Path, digests: npt.NDArray[np.uint64], low: int, high: int) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as out:
        np.savez(out, digests=digests, generations=np.array([low, high], dtype=np.int64))
    os.replace(tmp, path)
