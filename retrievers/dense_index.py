"""The faiss index behind the dense retriever: its kind, and building, changing and searching it.

The index is faiss (Johnson, Douze & Jégou, "Billion-scale similarity search
with GPUs", 2019; Douze et al., "The Faiss library", 2024) and its kind follows
the catalog size:

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
so lists stay short. :meth:`retrievers.dense.FaissDense.rebuild` does either on
demand. The new index is built while searches go on against the old one and
swapped in at the end; meanwhile both are in memory. Measured: exact → IVF at 100,000 vectors in
7.6 s; indexing 1,000,000 entities in batches of 50,000 with stand-in vectors
(``bench/dense_index.py --fake-vectors``) spent 16 s and 58 s re-training at
~82,000 and ~330,000 vectors (1,151 then 2,307 lists), under 9 s per batch
otherwise (saves of the growing 1.5 GB index included), and peaked at 2.8 GB
RSS. Encoding, not the index, dominates a real build.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Final

import faiss
import numpy as np
import numpy.typing as npt

from retrievers.dense_config import MIN_POINTS_PER_LIST, DenseConfig

logger = logging.getLogger(__name__)

_MOVE_CHUNK: Final = 50_000
_DIRECT_MAP_HASHTABLE: Final[int] = getattr(faiss, "DirectMap").Hashtable  # noqa: B009 - absent from faiss's stubs

IdArray = npt.NDArray[np.int64]
Vectors = npt.NDArray[np.float32]


def default_nlist(count: int) -> int:
    """About 4·√N lists, and at most N / 39 so that k-means has enough points."""
    return max(1, min(round(4 * math.sqrt(count)), count // MIN_POINTS_PER_LIST))


def ivf_of(index: Any) -> Any | None:
    """The index itself when it is an IVF, None for an exact one."""
    return index if isinstance(index, faiss.IndexIVF) else None


def new_flat(dimension: int) -> Any:
    """An empty exact index: ``IndexFlatIP`` inside ``IndexIDMap2``."""
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))


def new_ivf(dimension: int, nlist: int, config: DenseConfig) -> Any:
    """An untrained IVF of ``nlist`` lists with a hash-table direct map (O(1) removal by id)."""
    quantizer = faiss.IndexFlatIP(dimension)
    if config.ivf_codec == "sq8":
        index: Any = faiss.IndexIVFScalarQuantizer(
            quantizer,
            dimension,
            nlist,
            faiss.ScalarQuantizer.QT_8bit,
            faiss.METRIC_INNER_PRODUCT,
        )
    else:
        index = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = config.seed
    index.set_direct_map_type(_DIRECT_MAP_HASHTABLE)
    return index


def remove_ids(index: Any, numbers: IdArray) -> None:
    """Remove vectors by integer id, with the selector each index kind answers fastest."""
    if ivf_of(index) is not None:
        # The hash-table direct map removes only through an IDSelectorArray, one
        # O(1) lookup per id.
        array = faiss.IDSelectorArray(len(numbers), faiss.swig_ptr(numbers))
        index.remove_ids(array)
    else:
        # IndexIDMap2 scans every stored id; a batch selector answers each in O(1)
        # (an array selector would make replacing n of N vectors cost n·N).
        index.remove_ids(faiss.IDSelectorBatch(len(numbers), faiss.swig_ptr(numbers)))


def faiss_search(
    index: Any,
    query: Vectors,
    k: int,
    bitmap: npt.NDArray[np.uint8] | None,
    config: DenseConfig,
) -> tuple[Vectors, IdArray]:
    """faiss top ``k``, only over ids set in ``bitmap`` when given; IVF widens its probes
    until ``k`` are found or every list was probed."""
    selector = (
        None if bitmap is None else faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap))
    )
    ivf = ivf_of(index)
    if ivf is None:
        flat_params = faiss.SearchParameters()
        if selector is not None:
            flat_params.sel = selector
        found: tuple[Vectors, IdArray] = index.search(query, k, params=flat_params)
        return found
    nlist = int(ivf.nlist)
    nprobe = min(config.nprobe, nlist)
    while True:
        params = faiss.SearchParametersIVF()
        params.nprobe = nprobe
        if selector is not None:
            params.sel = selector
        found = index.search(query, k, params=params)
        if selector is None or nprobe >= nlist or int((found[1] >= 0).sum()) >= k:
            return found
        nprobe = min(nprobe * config.filter_growth, nlist)


def stored_vectors(index: Any, numbers: IdArray) -> Vectors:
    """Stored vectors by integer id (decoded for ``sq8`` lists)."""
    vectors: Vectors = index.reconstruct_batch(numbers)
    return vectors


def build_index(
    source: Any, numbers: IdArray, count: int, dimension: int, config: DenseConfig
) -> tuple[Any, int]:
    """A new index of the kind that suits ``count`` vectors, holding ``source``'s ``numbers``.

    Exact up to ``exact_max_vectors``, else an IVF trained on a seeded sample of the
    stored vectors. Vectors move from ``source`` in chunks (no re-encoding). Returns
    the index and the size its lists were trained at (0 for an exact index).
    """
    if count <= config.exact_max_vectors:
        index = new_flat(dimension)
        trained = 0
    else:
        nlist = config.nlist or default_nlist(count)
        rng = np.random.default_rng(config.seed)
        sample_size = min(count, nlist * config.train_points_per_list)
        sample = np.sort(rng.choice(numbers, size=sample_size, replace=False))
        logger.info("training IVF with %d lists on %d of %d vectors", nlist, sample_size, count)
        index = new_ivf(dimension, nlist, config)
        index.train(stored_vectors(source, sample))
        trained = count
    for start in range(0, len(numbers), _MOVE_CHUNK):
        chunk = numbers[start : start + _MOVE_CHUNK]
        index.add_with_ids(stored_vectors(source, chunk), chunk)
    return index, trained
