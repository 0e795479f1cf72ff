"""The encoder's model runtimes: sentence-transformers on PyTorch, and ONNX Runtime.

Both turn texts into unit vectors with the same model; which one runs is chosen
by ``EmbeddingConfig.backend`` (see :mod:`retrievers.embedding` for measurements).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from retrievers.embedding_config import Backend, EmbeddingConfig
from retrievers.embedding_export import (
    DIMENSION,
    import_untyped,
    load_sentence_transformer,
    model_dir,
)

logger = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]


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


class TorchBackend:
    """sentence-transformers on PyTorch (the reference pipeline)."""

    def __init__(self, config: EmbeddingConfig) -> None:
        if config.threads is not None:
            import torch

            torch.set_num_threads(config.threads)
        self._model = load_sentence_transformer(config.max_seq_length)
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


class OnnxBackend:
    """ONNX Runtime over the exported graph, tokenized by the model's own tokenizer.json."""

    def __init__(self, config: EmbeddingConfig, model_path: Path) -> None:
        from tokenizers import Tokenizer

        ort = import_untyped("onnxruntime")

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
        tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
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
