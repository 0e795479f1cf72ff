"""Dense retrieval: nearest entity vectors to the query vector, in faiss.

Entities and queries are embedded by :class:`retrievers.embedding.Encoder`
into unit vectors, so inner product is cosine similarity. The index is faiss
(Johnson, Douze & Jégou, "Billion-scale similarity search with GPUs", 2019;
Douze et al., "The Faiss library", 2024) and its kind follows the catalog size:

* up to ``exact_max_vectors`` (20,000): exact search, ``IndexFlatIP`` inside
  ``IndexIDMap2``; no tuning, and a scan stays under ~4 ms per query here (the
  faiss-cpu wheel on this machine loads its generic, non-AVX2 build: 15.6 ms
  p50 at 100,000 vectors, too slow to keep exact search that far).
* beyond: an inverted file, ``IndexIVFFlat`` (Jégou, Douze & Schmid, "Product
  Quantization for Nearest Neighbor Search", 2011, §IV for the IVF structure)
  with ``nlist ≈ 4·√N`` lists (at most N/39: faiss's k-means wants 39 training
  points per list) and ``nprobe = 128``. Unlike HNSW, IVF removes ids, and with
  a hash-table direct map it removes and replaces by id in O(1), so upserts and
  deletes need no rebuild. Measured at 100,000 synthetic entities with 500 text
  queries (``bench/dense_index.py``), recall@10 against exact search is 0.87 /
  0.91 / 0.95 / 0.97 at nprobe 32 / 64 / 128 / 256, for 0.30 / 0.55 / 1.05 /
  1.79 ms p50: 128 keeps recall near 0.95 for about a millisecond. Float32 lists
  are kept rather than 8-bit scalar quantization (``ivf_codec="sq8"``: same
  recall within 0.005, 40% faster scans, 4x smaller): exact vectors move
  losslessly when the index is re-trained, and a million of them take 1.5 GB,
  well within the machine's memory.

Growth: when an upsert takes the catalog past ``exact_max_vectors`` the exact
index is converted: the IVF coarse quantizer is trained (k-means) on a random
sample of the stored vectors (64 per list) and every vector is moved over in
chunks, without re-encoding. When the catalog grows past ``retrain_growth``
(4x) the size the lists were trained at, the IVF is re-trained the same way,
so lists stay short. :meth:`FaissDense.rebuild` does either on demand. The new
index is built while searches go on against the old one and swapped in at the
end; meanwhile both are in memory. Measured: exact → IVF at 100,000 vectors in
7.6 s; indexing 1,000,000 entities in batches of 50,000 with stand-in vectors
(``bench/dense_index.py --fake-vectors``) spent 16 s and 58 s re-training at
~82,000 and ~330,000 vectors (1,151 then 2,307 lists), under 9 s per batch
otherwise (saves of the growing 1.5 GB index included), and peaked at 2.8 GB
RSS. Encoding, not the index, dominates a real build.

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
lock, and hold it only to change the index. Every upsert or delete is saved
before it returns (``autosave``): index, keys, then metadata, each written to
a temporary file and renamed into place.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, Final, Literal

import faiss
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from catalog.model import Entity, EntityType
from retrievers.base import Candidate, RetrievalQuery, SearchFilters, rank_candidates
from retrievers.embedding import EmbeddingConfig, Encoder

logger = logging.getLogger(__name__)

FORMAT_VERSION: Final = 1
INDEX_FILE: Final = "index.faiss"
KEYS_FILE: Final = "keys.txt"
META_FILE: Final = "meta.json"
FACETS_FILE: Final = "facets.npz"
MODELS_DIR: Final = "models"
MIN_POINTS_PER_LIST: Final = 39
"""faiss's k-means asks for at least 39 training points per centroid."""
_MOVE_CHUNK: Final = 50_000
_VERIFY_ROUNDS: Final = 3
_DIRECT_MAP_HASHTABLE: Final[int] = getattr(faiss, "DirectMap").Hashtable  # noqa: B009 - absent from faiss's stubs

Lookup = Callable[[Sequence[str]], dict[str, Entity]]
IdArray = npt.NDArray[np.int64]
Vectors = npt.NDArray[np.float32]


class DenseConfig(BaseModel):
    """The dense retriever's index and search settings (``LTRR_DENSE__*``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    embedding: EmbeddingConfig = Field(default_factory=EmbeddingConfig)
    exact_max_vectors: int = Field(
        default=20_000, ge=1, description="Exact (flat) index up to this many vectors, IVF above."
    )
    ivf_codec: Literal["flat", "sq8"] = Field(
        default="flat", description="How IVF lists store vectors: float32, or 8-bit scalar."
    )
    nlist: int | None = Field(
        default=None, ge=1, description="IVF lists; None picks 4·√N at training time."
    )
    nprobe: int = Field(default=128, ge=1, description="IVF lists scanned per query.")
    train_points_per_list: int = Field(
        default=64, ge=MIN_POINTS_PER_LIST, description="k-means sample size per IVF list."
    )
    retrain_growth: float = Field(
        default=4.0, gt=1.0, description="Re-train the IVF when N exceeds this x trained size."
    )
    brute_force_max: int = Field(
        default=4096,
        ge=0,
        description="A filter matching at most this many entities is scored exactly over them.",
    )
    filter_growth: int = Field(
        default=4,
        ge=2,
        description="Factor by which a filtered IVF search widens its probes per round.",
    )
    encode_chunk: int = Field(
        default=4096, ge=1, description="Entities encoded and added at a time (bounds memory)."
    )
    autosave: bool = Field(default=True, description="Save after every upsert and delete.")
    seed: int = Field(default=0, description="Seed of the training sample and k-means.")


class _ReadWriteLock:
    """Many readers or one writer; a waiting writer holds off new readers."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if self._readers == 0:
                    self._cond.notify_all()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


def default_nlist(count: int) -> int:
    """About 4·√N lists, and at most N / 39 so that k-means has enough points."""
    return max(1, min(round(4 * math.sqrt(count)), count // MIN_POINTS_PER_LIST))


_TYPE_CODES: Final[dict[EntityType, int]] = {kind: code for code, kind in enumerate(EntityType)}
_DELETED: Final = 255


class _Facets:
    """The filterable fields of every stored entity, by integer id, in numpy arrays.

    A filter becomes a boolean mask over all ids in a few vectorized passes, so
    faiss can skip non-matching vectors (``IDSelectorBitmap``) instead of the
    index over-fetching and asking the store. Languages and genres are coded
    through vocabularies into 16-bit codes (0: none); an entity with more than
    ``MAX_GENRES`` genres, or a genre past the 16-bit range, always passes the
    genre mask and is settled by the check against the store. About 24 bytes
    per entity.
    """

    MAX_GENRES: Final = 8
    MAX_CODE: Final = 2**16 - 1

    def __init__(self) -> None:
        self.types = np.full(0, _DELETED, dtype=np.uint8)
        self.years = np.zeros(0, dtype=np.int16)
        self.languages = np.zeros(0, dtype=np.uint16)
        self.explicit = np.zeros(0, dtype=np.bool_)
        self.genres = np.zeros((0, self.MAX_GENRES), dtype=np.uint16)
        self.many_genres = np.zeros(0, dtype=np.bool_)
        self.language_codes: dict[str, int] = {}
        self.genre_codes: dict[str, int] = {}

    def _reserve(self, size: int) -> None:
        if size <= len(self.types):
            return
        capacity = max(size, 2 * len(self.types), 1024)
        grow = capacity - len(self.types)
        self.types = np.concatenate([self.types, np.full(grow, _DELETED, dtype=np.uint8)])
        self.years = np.concatenate([self.years, np.zeros(grow, dtype=np.int16)])
        self.languages = np.concatenate([self.languages, np.zeros(grow, dtype=np.uint16)])
        self.explicit = np.concatenate([self.explicit, np.zeros(grow, dtype=np.bool_)])
        self.genres = np.vstack([self.genres, np.zeros((grow, self.MAX_GENRES), np.uint16)])
        self.many_genres = np.concatenate([self.many_genres, np.zeros(grow, dtype=np.bool_)])

    @staticmethod
    def _code(vocabulary: dict[str, int], value: str) -> int:
        return vocabulary.setdefault(value, len(vocabulary) + 1)

    def set(self, number: int, entity: Entity) -> None:
        self._reserve(number + 1)
        self.types[number] = _TYPE_CODES[entity.type]
        self.years[number] = entity.release_year or 0
        language = entity.language  # 2-3 letters: under 20,000 codes, always 16-bit
        self.languages[number] = (
            0 if language is None else self._code(self.language_codes, language)
        )
        self.explicit[number] = entity.explicit
        codes = [self._code(self.genre_codes, genre) for genre in entity.genres]
        kept = [code for code in codes if code <= self.MAX_CODE][: self.MAX_GENRES]
        self.genres[number] = 0
        self.genres[number, : len(kept)] = kept
        self.many_genres[number] = len(kept) < len(codes)

    def clear(self, number: int) -> None:
        self.types[number] = _DELETED

    def mask(self, filters: SearchFilters, size: int) -> npt.NDArray[np.bool_]:
        """Which of the ids ``0 .. size-1`` may pass ``filters`` (a superset, never fewer).

        Every id below ``size`` has been set, so reading needs no resizing.
        """
        types = self.types[:size]
        mask: npt.NDArray[np.bool_] = types != _DELETED
        if filters.types is not None:
            mask &= np.isin(types, [_TYPE_CODES[kind] for kind in filters.types])
        if filters.genres is not None:
            wanted = [self.genre_codes.get(genre.lower(), -1) for genre in filters.genres]
            mask &= np.isin(self.genres[:size], wanted).any(axis=1) | self.many_genres[:size]
        years = self.years[:size]
        if filters.year_min is not None:
            mask &= (years >= filters.year_min) & (years != 0)
        if filters.year_max is not None:
            mask &= (years <= filters.year_max) & (years != 0)
        if filters.languages is not None:
            wanted = [self.language_codes.get(language, -1) for language in filters.languages]
            mask &= np.isin(self.languages[:size], wanted)
        if filters.explicit is not None:
            mask &= self.explicit[:size] == filters.explicit
        return mask

    def save(self, path: Path, size: int) -> None:
        with path.open("wb") as out:
            np.savez(
                out,
                types=self.types[:size],
                years=self.years[:size],
                languages=self.languages[:size],
                explicit=self.explicit[:size],
                genres=self.genres[:size],
                many_genres=self.many_genres[:size],
            )

    def vocabularies(self) -> dict[str, list[str]]:
        return {"languages": list(self.language_codes), "genres": list(self.genre_codes)}

    @classmethod
    def load(cls, path: Path, vocabularies: dict[str, list[str]]) -> _Facets:
        facets = cls()
        with np.load(path) as arrays:
            facets.types = arrays["types"]
            facets.years = arrays["years"]
            facets.languages = arrays["languages"]
            facets.explicit = arrays["explicit"]
            facets.genres = arrays["genres"]
            facets.many_genres = arrays["many_genres"]
        facets.language_codes = {v: c for c, v in enumerate(vocabularies["languages"], start=1)}
        facets.genre_codes = {v: c for c, v in enumerate(vocabularies["genres"], start=1)}
        return facets


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
        self._rw = _ReadWriteLock()
        self._writer = threading.Lock()
        self._keys: list[str | None] = []
        self._ids: dict[str, int] = {}
        self._facets = _Facets()
        self._trained_size = 0
        self._generation = 0
        self._index: Any = self._new_flat()
        if (self.path / META_FILE).exists():
            self._load()

    # -- state -----------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def kind(self) -> Literal["flat", "ivf"]:
        return "ivf" if self._ivf() is not None else "flat"

    @property
    def nlist(self) -> int | None:
        ivf = self._ivf()
        return None if ivf is None else int(ivf.nlist)

    def __contains__(self, entity_id: object) -> bool:
        return isinstance(entity_id, str) and entity_id in self._ids

    def _ivf(self) -> Any | None:
        return self._index if isinstance(self._index, faiss.IndexIVF) else None

    def _new_flat(self) -> Any:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))

    def _new_ivf(self, nlist: int) -> Any:
        quantizer = faiss.IndexFlatIP(self.dimension)
        if self.config.ivf_codec == "sq8":
            index: Any = faiss.IndexIVFScalarQuantizer(
                quantizer,
                self.dimension,
                nlist,
                faiss.ScalarQuantizer.QT_8bit,
                faiss.METRIC_INNER_PRODUCT,
            )
        else:
            index = faiss.IndexIVFFlat(quantizer, self.dimension, nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = self.config.seed
        index.set_direct_map_type(_DIRECT_MAP_HASHTABLE)
        return index

    # -- persistence -----------------------------------------------------------------

    def _load(self) -> None:
        meta = json.loads((self.path / META_FILE).read_text())
        if meta.get("format") != FORMAT_VERSION:
            raise RuntimeError(
                f"dense index at {self.path} has format {meta.get('format')}, this build needs "
                f"{FORMAT_VERSION}: rebuild it with `ltrr index`"
            )
        if meta["dimension"] != self.dimension:
            raise RuntimeError(
                f"dense index at {self.path} holds {meta['dimension']}-d vectors, the encoder "
                f"makes {self.dimension}-d ones: rebuild it with `ltrr index`"
            )
        if meta["fingerprint"] != self.encoder.fingerprint:
            logger.warning(
                "dense index at %s was encoded by %s, queries are encoded by %s: results may "
                "differ slightly; re-index to align them",
                self.path,
                meta["fingerprint"],
                self.encoder.fingerprint,
            )
        index = faiss.read_index(str(self.path / INDEX_FILE))
        lines = (self.path / KEYS_FILE).read_text(encoding="utf-8").split("\n")
        header, rows = lines[0], lines[1:-1]
        keys: list[str | None] = [row or None for row in rows]
        live = sum(1 for key in keys if key is not None)
        facets = _Facets.load(self.path / FACETS_FILE, meta["vocabularies"])
        if (
            header != f"# generation {meta['generation']}"
            or live != index.ntotal
            or len(facets.types) != len(keys)
        ):
            raise RuntimeError(
                f"dense index at {self.path} is inconsistent (keys {header!r} with {live} ids, "
                f"metadata generation {meta['generation']}, index {index.ntotal} vectors): "
                "rebuild it with `ltrr index`"
            )
        self._index = index
        self._facets = facets
        self._keys = keys
        self._ids = {key: number for number, key in enumerate(keys) if key is not None}
        self._trained_size = int(meta["trained_size"])
        self._generation = int(meta["generation"])

    def save(self) -> None:
        """Write the index, keys and metadata atomically (each file renamed into place)."""
        with self._writer:
            self._save()

    def _save(self) -> None:
        self._generation += 1
        index_tmp = self.path / f".{INDEX_FILE}.tmp"
        keys_tmp = self.path / f".{KEYS_FILE}.tmp"
        meta_tmp = self.path / f".{META_FILE}.tmp"
        facets_tmp = self.path / f".{FACETS_FILE}.tmp"
        faiss.write_index(self._index, str(index_tmp))
        self._facets.save(facets_tmp, len(self._keys))
        with keys_tmp.open("w", encoding="utf-8", newline="\n") as out:
            out.write(f"# generation {self._generation}\n")
            for key in self._keys:
                out.write(key or "")
                out.write("\n")
        meta = {
            "format": FORMAT_VERSION,
            "generation": self._generation,
            "fingerprint": self.encoder.fingerprint,
            "dimension": self.dimension,
            "kind": self.kind,
            "nlist": self.nlist,
            "trained_size": self._trained_size,
            "count": len(self),
            "vocabularies": self._facets.vocabularies(),
        }
        meta_tmp.write_text(json.dumps(meta, indent=2) + "\n")
        renames = (
            (index_tmp, INDEX_FILE),
            (facets_tmp, FACETS_FILE),
            (keys_tmp, KEYS_FILE),
            (meta_tmp, META_FILE),
        )
        for tmp, final in renames:
            os.replace(tmp, self.path / final)

    # -- updates ---------------------------------------------------------------------

    def upsert(
        self, entities: Iterable[Entity], on_progress: Callable[[int], None] | None = None
    ) -> int:
        """Insert or replace entities by id; returns how many were written.

        Entities are encoded ``encode_chunk`` at a time, so memory stays bounded
        for any input; ``on_progress`` receives the number encoded so far.
        """
        written = 0
        stream = iter(entities)
        with self._writer:
            while chunk := list(islice(stream, self.config.encode_chunk)):
                latest = {entity.id: entity for entity in chunk}  # the last version wins
                done = written

                def report(count: int, done: int = done) -> None:
                    if on_progress is not None:
                        on_progress(done + count)

                vectors = self.encoder.encode_entities(latest.values(), on_progress=report)
                with self._rw.write():
                    self._add(list(latest.values()), vectors)
                written += len(chunk)
                self._grow_if_needed()
            if written and self.config.autosave:
                self._save()
        return written

    def _add(self, entities: list[Entity], vectors: Vectors) -> None:
        numbers = np.empty(len(entities), dtype=np.int64)
        replaced: list[int] = []
        for row, entity in enumerate(entities):
            key = entity.id
            number = self._ids.get(key)
            if number is None:
                number = len(self._keys)
                self._keys.append(key)
                self._ids[key] = number
            else:
                replaced.append(number)
            self._facets.set(number, entity)
            numbers[row] = number
        if replaced:
            self._remove(np.array(replaced, dtype=np.int64))
        self._index.add_with_ids(vectors, numbers)

    def _remove(self, numbers: IdArray) -> None:
        if self._ivf() is not None:
            # The hash-table direct map removes only through an IDSelectorArray, one
            # O(1) lookup per id.
            array = faiss.IDSelectorArray(len(numbers), faiss.swig_ptr(numbers))
            self._index.remove_ids(array)
        else:
            # IndexIDMap2 scans every stored id; a batch selector answers each in O(1)
            # (an array selector would make replacing n of N vectors cost n·N).
            self._index.remove_ids(faiss.IDSelectorBatch(len(numbers), faiss.swig_ptr(numbers)))

    def delete(self, entity_ids: Sequence[str]) -> int:
        """Remove entities by id; unknown ids are ignored. Returns how many were asked."""
        with self._writer:
            numbers = [self._ids[key] for key in dict.fromkeys(entity_ids) if key in self._ids]
            if numbers:
                with self._rw.write():
                    self._remove(np.array(numbers, dtype=np.int64))
                    for number in numbers:
                        key = self._keys[number]
                        self._keys[number] = None
                        self._facets.clear(number)
                        if key is not None:
                            del self._ids[key]
                if self.config.autosave:
                    self._save()
        return len(entity_ids)

    # -- re-indexing -----------------------------------------------------------------

    def _grow_if_needed(self) -> None:
        count = len(self)
        if self.kind == "flat":
            grown = count > self.config.exact_max_vectors
        else:
            grown = count > self.config.retrain_growth * self._trained_size
        if grown:
            self._rebuild()

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
        count = len(self)
        numbers = np.array([n for n, key in enumerate(self._keys) if key is not None], np.int64)
        if count <= self.config.exact_max_vectors:
            index = self._new_flat()
            trained = 0
        else:
            nlist = self.config.nlist or default_nlist(count)
            rng = np.random.default_rng(self.config.seed)
            sample_size = min(count, nlist * self.config.train_points_per_list)
            sample = np.sort(rng.choice(numbers, size=sample_size, replace=False))
            logger.info("training IVF with %d lists on %d of %d vectors", nlist, sample_size, count)
            index = self._new_ivf(nlist)
            index.train(self._vectors(sample))
            trained = count
        for start in range(0, len(numbers), _MOVE_CHUNK):
            chunk = numbers[start : start + _MOVE_CHUNK]
            index.add_with_ids(self._vectors(chunk), chunk)
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
            return self._vectors(numbers)

    def _vectors(self, numbers: IdArray) -> Vectors:
        """Stored vectors by integer id (decoded for ``sq8`` lists)."""
        vectors: Vectors = self._index.reconstruct_batch(numbers)
        return vectors

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
            scores, numbers = self._faiss_search(query, k, bitmap)
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
        scores = self._vectors(candidates) @ query[0]
        top = np.argsort(-scores, kind="stable")[:k]
        out = []
        for row in top.tolist():
            number = int(candidates[row])
            key = self._keys[number]
            if key is not None:
                out.append((number, key, float(scores[row])))
        return out

    def _faiss_search(
        self, query: Vectors, k: int, bitmap: npt.NDArray[np.uint8] | None
    ) -> tuple[Vectors, IdArray]:
        """faiss top ``k``, only over ids set in ``bitmap`` when given; IVF widens its probes
        until ``k`` are found or every list was probed."""
        selector = (
            None if bitmap is None else faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap))
        )
        ivf = self._ivf()
        if ivf is None:
            flat_params = faiss.SearchParameters()
            if selector is not None:
                flat_params.sel = selector
            found: tuple[Vectors, IdArray] = self._index.search(query, k, params=flat_params)
            return found
        nlist = int(ivf.nlist)
        nprobe = min(self.config.nprobe, nlist)
        while True:
            params = faiss.SearchParametersIVF()
            params.nprobe = nprobe
            if selector is not None:
                params.sel = selector
            found = self._index.search(query, k, params=params)
            if selector is None or nprobe >= nlist or int((found[1] >= 0).sum()) >= k:
                return found
            nprobe = min(nprobe * self.config.filter_growth, nlist)
