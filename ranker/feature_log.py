"""Feature rows as served, in the decision log and back.

The ranker's features are computed once, when the search is served, and logged with it:
training must learn from exactly the values the model scored, not from values recomputed
later against a catalog, a memory or a query understanding that have changed since. The log
form is compact JSON (float32 values at their shortest exact decimals, NaN as ``null``) and
names its spec, so rows computed under another spec are refused with the differing features
named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from numpy.typing import ArrayLike, NDArray

from ranker.feature_spec import FeatureSpec, FeatureSpecMismatch, describe_mismatch


@dataclass(frozen=True, eq=False)
class FeatureRows:
    """Feature rows of one search as served: which entities, under which spec, what values."""

    spec: FeatureSpec
    entity_ids: tuple[str, ...]
    matrix: NDArray[np.float32]

    def __post_init__(self) -> None:
        shape = (len(self.entity_ids), len(self.spec))
        if self.matrix.shape != shape:
            raise ValueError(
                f"matrix must have shape {shape} (entities x features), but has {self.matrix.shape}"
            )

    def to_log(self) -> dict[str, Any]:
        """Compact JSON-safe form: floats at float32's shortest exact decimals, NaN as None."""
        rows: list[list[float | None]] = orjson.loads(
            orjson.dumps(np.ascontiguousarray(self.matrix), option=orjson.OPT_SERIALIZE_NUMPY)
        )
        return {
            "spec": self.spec.version,
            "names": list(self.spec.names),
            "ids": list(self.entity_ids),
            "rows": rows,
        }

    @classmethod
    def from_log(cls, payload: Mapping[str, Any], spec: FeatureSpec) -> FeatureRows:
        """Rows logged by :meth:`to_log`, if they were computed under ``spec``.

        Raises :class:`FeatureSpecMismatch` (naming the differing features) for rows logged
        under another spec, and ``ValueError`` for a malformed payload.
        """
        try:
            names = tuple(str(name) for name in payload["names"])
            version = str(payload["spec"])
            ids = tuple(str(i) for i in payload["ids"])
            rows = payload["rows"]
        except (KeyError, TypeError) as error:
            raise ValueError(
                f"logged feature rows need spec, names, ids and rows: {error}"
            ) from None
        if version != spec.version or names != spec.names:
            detail = describe_mismatch(spec, version, names)
            raise FeatureSpecMismatch(f"logged rows do not fit: {detail}")
        matrix = (
            np.array(rows, dtype=np.float32) if rows else np.empty((0, len(spec)), dtype=np.float32)
        )
        return cls(spec, ids, matrix)


def to_log(matrix: ArrayLike, spec: FeatureSpec, entity_ids: Sequence[str]) -> dict[str, Any]:
    """The decision-log form of ``matrix``, rows in ``entity_ids`` order (:class:`FeatureRows`)."""
    x = np.asarray(matrix, dtype=np.float32)
    if not np.all(np.isfinite(x) | np.isnan(x)):
        raise ValueError("feature values must be finite or NaN, but the matrix holds infinity")
    return FeatureRows(spec, tuple(entity_ids), x).to_log()


def from_log(payload: Mapping[str, Any], spec: FeatureSpec) -> FeatureRows:
    """Read rows written by :func:`to_log` under ``spec``; see :meth:`FeatureRows.from_log`."""
    return FeatureRows.from_log(payload, spec)
