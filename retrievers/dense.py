"""Dense retrieval: nearest entity vectors to the query vector, in faiss.

Entities and queries are embedded by :class:`retrievers.embedding.Encoder`
into unit vectors, so inner product is cosine similarity. The index is faiss
and its kind follows the catalog size (:mod:`retrievers.dense_index`): exact
search up to ``exact_max_vectors`` (20,000) vectors, an inverted file (IVF)
beyond, converted and re-trained as the catalog grows.

Filters: the index keeps a compact copy of each entity's filterable fields
(type, year, language, explicit, genres) in numpy arrays, written at upsert
time, so a filter becomes a bitmap over all ids in a few vectorized passes
(about 0.5 ms per 100,000 entities). When at most ``brute_force_max``
entities pass, their vectors are scored exactly (a very selective filter can
never miss a match hidden in an unprobed IVF list); otherwise faiss searches
with an ``IDSelectorBitmap`` and an IVF widens ``nprobe`` until ``k`` match or
every list was probed. The hits are then checked with ``SearchFilters.matches``
on entities from ``lookup`` (the entity store, the truth for fields): one that
fails is excluded and the search repeated, so the copy can cost time, never
correctness.

Identifiers: entity ids are strings, faiss ids are int64. Each entity gets the
next integer when first seen and keeps it across upserts; ``keys.txt`` stores
the string of each integer (an empty line for a deleted one).

Concurrency: searches run in parallel (faiss releases the GIL) under a
readers-writer lock; upserts and deletes are serialized, encode outside the
lock, and hold it only to change the index. Every upsert or delete that changed
the index is saved before it returns (``autosave``): index, facets, keys, input
digests, then metadata, each written to a temporary file and renamed into place.

Unchanged entities are not re-encoded: each integer id keeps a 64-bit digest of
the encoder fingerprint and the text its vector was encoded from
(:mod:`retrievers.dense_inputs`), and an upsert whose digest matches only
refreshes the entity's filterable fields (which include fields, such as the
language, that the text leaves out). Re-indexing an unchanged catalog costs
hashing (26 µs per entity measured at 200,000, under load) instead of encoding
(~7 ms); an interrupted ``ltrr index`` resumes after the last batch it saved.

The settings are :class:`retrievers.dense_config.DenseConfig`, the copy of the
filterable fields :mod:`retrievers.dense_facets`, the input digests
:mod:`retrievers.dense_inputs`, and the files of an index directory
:mod:`retrievers.dense_storage`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np

from catalog.model import Entity
from retrievers.base import Candidate, RetrievalQuery, SearchFilters, rank_candidates
from retrievers.dense_config import DenseConfig
from retrievers.dense_facets import Facets
from retrievers.dense_index import (
    IdArray,
    Vectors,
    build_index,
    default_nlist,
    faiss_search,
    ivf_of,
    new_flat,
    remove_ids,
    stored_vectors,
)
from retrievers.dense_inputs import InputDigests, input_digests
from retrievers.dense_storage import META_FILE, MODELS_DIR, load_index, save_index
from retrievers.embedding import Encoder
from retrievers.read_write_lock import ReadWriteLock

__all__ = ["DenseConfig", "FaissDense", "Lookup", "default_nlist"]

logger = logging.getLogger(__name__)

_VERIFY_ROUNDS: Final = 3

Lookup = Callable[[Sequence[str]], dict[str, Entity]]


class FaissDense:
    """Dense retriever over a persisted faiss index; follows the catalog incrementally.

    ``path`` is the index directory (created if missing, loaded if present);
    ``lookup`` returns stored entities by id (the entity store's ``get_many``)
    and is used to apply filters. Without an ``encoder`` one is built from
    ``config.embedding``, exporting ONNX models into ``path / "models"``.
    """

    name = "dense"

    def __init__(
        self,
        path: Path,
        lookup: Lookup,
        config: DenseConfig | None = None,
        *,
        encoder: Encoder | None = None,
    ) -> None:
        self.path = Path(path)
        self.config = config or DenseConfig()
        self.path.mkdir(parents=True, exist_ok=True)
        self._lookup = lookup
        self.encoder = encoder or Encoder(self.config.embedding, export_dir=self.path / MODELS_DIR)
        self.dimension = self.encoder.dimension
        self._rw = ReadWriteLock()
        self._writer = threading.Lock()
        self._keys: list[str | None] = []
        self._ids: dict[str, int] = {}
        self._facets = Facets()
        self._inputs = InputDigests()
        self._trained_size = 0
        self._generation = 0
        self._index: Any = new_flat(self.dimension)
        if (self.path / META_FILE).exists():
            self._load()

    # -- state -----------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def kind(self) -> Literal["flat", "ivf"]:
        return "ivf" if ivf_of(self._index) is not None else "flat"

    @property
    def nlist(self) -> int | None:
        ivf = ivf_of(self._index)
        return None if ivf is None else int(ivf.nlist)

    def __contains__(self, entity_id: object) -> bool:
        return isinstance(entity_id, str) and entity_id in self._ids

    # -- persistence -----------------------------------------------------------------

    def _load(self) -> None:
        stored = load_index(self.path, self.dimension, self.encoder.fingerprint)
        self._index = stored.index
        self._facets = stored.facets
        self._inputs = stored.inputs
        self._keys = stored.keys
        self._ids = {key: number for number, key in enumerate(stored.keys) if key is not None}
        self._trained_size = stored.trained_size
        self._generation = stored.generation

    def save(self) -> None:
        """Write the index, keys and metadata atomically (each file renamed into place)."""
        with self._writer:
            self._save()

    def _save(self) -> None:
        self._generation += 1
        save_index(
            self.path,
            self._index,
            self._facets,
            self._keys,
            self._inputs,
            generation=self._generation,
            fingerprint=self.encoder.fingerprint,
            dimension=self.dimension,
            kind=self.kind,
            nlist=self.nlist,
            trained_size=self._trained_size,
            count=len(self),
        )

    # -- updates ---------------------------------------------------------------------

    def upsert(
        self, entities: Iterable[Entity], on_progress: Callable[[int], None] | None = None
    ) -> int:
        """Insert or replace entities by id; returns how many were upserted.

        An entity whose vector was encoded from the same input (same text, same
        encoder: :mod:`retrievers.dense_inputs`) is not encoded again; only its
        filterable fields are refreshed. Re-indexing an unchanged catalog, or
        resuming an interrupted run, thus costs hashing instead of encoding.
        Entities are read ``encode_chunk`` at a time, so memory stays bounded for
        any input; ``on_progress`` receives the number handled so far, skipped
        ones included. Saved (``autosave``) when anything changed.
        """
        written = encoded = 0
        changed = False
        stream = iter(entities)
        with self._writer:
            while chunk := list(islice(stream, self.config.encode_chunk)):
                stale, current = self._partition(chunk)
                done = written + len(chunk) - len(stale)  # unchanged and duplicates: handled
                if on_progress is not None and done > written:
                    on_progress(done)
                vectors = self._encode([entity for entity, _ in stale], done, on_progress)
                with self._rw.write():
                    self._add(stale, vectors)
                    for entity in current:
                        changed |= self._facets.set(self._ids[entity.id], entity)
                written += len(chunk)
                encoded += len(stale)
                grown = self._grow_if_needed()
                changed = changed or grown or bool(stale)
            if changed and self.config.autosave:
                self._save()
        if written:
            logger.info(
                "dense upsert: %d entities, %d encoded, %d unchanged",
                written,
                encoded,
                written - encoded,
            )
        return written

    def _partition(self, chunk: list[Entity]) -> tuple[list[tuple[Entity, int]], list[Entity]]:
        """The chunk's entities (the last version of each id) whose input changed, each
        with its new digest, and those whose stored vector is still current."""
        latest = {entity.id: entity for entity in chunk}  # the last version wins
        stale: list[tuple[Entity, int]] = []
        current: list[Entity] = []
        digests = input_digests(self.encoder.fingerprint, latest.values())
        for entity, digest in zip(latest.values(), digests, strict=True):
            number = self._ids.get(entity.id)
            if number is not None and self._inputs.get(number) == digest:
                current.append(entity)
            else:
                stale.append((entity, digest))
        return stale, current

    def _encode(
        self, entities: list[Entity], done: int, on_progress: Callable[[int], None] | None
    ) -> Vectors:
        """Vectors of ``entities``, reporting ``done`` plus the number encoded so far."""
        if not entities:
            return np.empty((0, self.dimension), dtype=np.float32)
        if on_progress is None:
            return self.encoder.encode_entities(entities)
        return self.encoder.encode_entities(entities, on_progress=lambda n: on_progress(done + n))

    def _add(self, entities: list[tuple[Entity, int]], vectors: Vectors) -> None:
        """Add or replace the vectors of entities, each with the digest of its input."""
        if not entities:
            return
        numbers = np.empty(len(entities), dtype=np.int64)
        replaced: list[int] = []
        for row, (entity, digest) in enumerate(entities):
            key = entity.id
            number = self._ids.get(key)
            if number is None:
                number = len(self._keys)
                self._keys.append(key)
                self._ids[key] = number
            else:
                replaced.append(number)
            self._facets.set(number, entity)
            self._inputs.set(number, digest)
            numbers[row] = number
        if replaced:
            remove_ids(self._index, np.array(replaced, dtype=np.int64))
        self._index.add_with_ids(vectors, numbers)

    def delete(self, entity_ids: Sequence[str]) -> int:
        """Remove entities by id; unknown ids are ignored. Returns how many were asked."""
        with self._writer:
            numbers = [self._ids[key] for key in dict.fromkeys(entity_ids) if key in self._ids]
            if numbers:
                with self._rw.write():
                    remove_ids(self._index, np.array(numbers, dtype=np.int64))
                    for number in numbers:
                        key = self._keys[number]
                        self._keys[number] = None
                        self._facets.clear(number)
                        self._inputs.clear(number)
                        if key is not None:
                            del self._ids[key]
                if self.config.autosave:
                    self._save()
        return len(entity_ids)

    # -- re-indexing -----------------------------------------------------------------

    def _grow_if_needed(self) -> bool:
        """Re-build when the index outgrew its kind or training; whether it did."""
        count = len(self)
        if self.kind == "flat":
            grown = count > self.config.exact_max_vectors
        else:
            grown = count > self.config.retrain_growth * self._trained_size
        if grown:
            self._rebuild()
        return grown

    def rebuild(self) -> None:
        """Re-build the index for its current size: exact, or IVF trained on the vectors now.

        Vectors move from the old index in chunks (no re-encoding); searches use
        the old index until the new one is complete.
        """
        with self._writer:
            self._rebuild()
            if self.config.autosave:
                self._save()

    def _rebuild(self) -> None:
        numbers = np.array([n for n, key in enumerate(self._keys) if key is not None], np.int64)
        index, trained = build_index(self._index, numbers, len(self), self.dimension, self.config)
        with self._rw.write():
            self._index = index
            self._trained_size = trained

    def entity_ids(self) -> list[str]:
        """Ids of every stored entity, oldest first."""
        with self._rw.read():
            return [key for key in self._keys if key is not None]

    def vectors(self, entity_ids: Sequence[str]) -> Vectors:
        """Stored unit vectors of these entities, one row each; KeyError for an unknown id."""
        with self._rw.read():
            numbers = np.array([self._ids[key] for key in entity_ids], dtype=np.int64)
            if len(numbers) == 0:
                return np.empty((0, self.dimension), dtype=np.float32)
            return stored_vectors(self._index, numbers)

    # -- search ----------------------------------------------------------------------

    def search(self, query: RetrievalQuery, k: int) -> list[Candidate]:
        """Up to ``k`` nearest entities that pass ``query.filters``, best first."""
        if k <= 0 or len(self) == 0:
            return []
        vector = self.encoder.encode_queries([query.text])
        return rank_candidates(self.search_vector(vector[0], k, query), self.name)

    def search_vector(
        self, vector: Vectors, k: int, query: RetrievalQuery | None = None
    ) -> list[tuple[str, float]]:
        """``(entity_id, score)`` pairs nearest to a unit vector, honouring the query's filters.

        Filtered hits are checked against the store (``lookup``), the truth for
        entity fields: one that no longer matches there is excluded and the search
        repeated, so the index's copy of the fields can only cost time, never
        correctness.
        """
        if k <= 0:
            return []
        query_row = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        if query is None or query.filters.is_empty:
            return [(key, score) for _, key, score in self._nearest(query_row, k)]
        filters = query.filters
        excluded: list[int] = []
        for _ in range(_VERIFY_ROUNDS):
            hits = self._nearest(query_row, k, filters, excluded)
            found = self._lookup([key for _, key, _ in hits])
            wrong = [
                number
                for number, key, _ in hits
                if (entity := found.get(key)) is None or not filters.matches(entity)
            ]
            if not wrong:
                break
            excluded.extend(wrong)
        dropped = set(excluded)
        return [(key, score) for number, key, score in hits if number not in dropped]

    def _nearest(
        self,
        query: Vectors,
        k: int,
        filters: SearchFilters | None = None,
        excluded: Sequence[int] = (),
    ) -> list[tuple[int, str, float]]:
        """One search: (integer id, entity id, score) of the best ``k`` passing the mask."""
        with self._rw.read():
            total = len(self._keys)
            if self._index.ntotal == 0:
                return []
            bitmap = None
            if filters is not None:
                mask = self._facets.mask(filters, total)
                mask[list(excluded)] = False
                candidates = np.flatnonzero(mask)
                if len(candidates) <= self.config.brute_force_max:
                    return self._brute_force(query, k, candidates)
                bitmap = np.packbits(mask, bitorder="little")
            scores, numbers = faiss_search(self._index, query, k, bitmap, self.config)
            return [
                (number, key, score)
                for number, score in zip(numbers[0].tolist(), scores[0].tolist(), strict=True)
                if number >= 0 and (key := self._keys[number]) is not None
            ]

    def _brute_force(
        self, query: Vectors, k: int, candidates: IdArray
    ) -> list[tuple[int, str, float]]:
        """Exact scores of a few candidates (a selective filter): no list is left unprobed."""
        if len(candidates) == 0:
            return []
        scores = stored_vectors(self._index, candidates) @ query[0]
        top = np.argsort(-scores, kind="stable")[:k]
        out = []
        for row in top.tolist():
            number = int(candidates[row])
            key = self._keys[number]
            if key is not None:
                out.append((number, key, float(scores[row])))
        return out
