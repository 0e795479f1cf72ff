"""Settings of the text encoder: its backend, sequence length, batching, cache and threads."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Backend = Literal["auto", "torch", "onnx", "onnx-int8"]


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
