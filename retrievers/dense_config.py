"""Settings of the dense retriever: its encoder, index kind, probing, filtering and saving."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from retrievers.embedding import EmbeddingConfig

MIN_POINTS_PER_LIST: Final = 39
"""faiss's k-means asks for at least 39 training points per centroid."""


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
