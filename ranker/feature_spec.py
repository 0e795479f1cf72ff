"""The ranker's feature spec: which columns a feature matrix has, in which order, and what
they mean — versioned, so a model never scores columns it was not trained on.

A model is only valid for the exact columns it was trained on. The spec therefore carries a
version, ``"<revision>.<hash>"``: the hash covers the ordered feature names and kinds (so adding
a strategy, or a feature, changes it), and the revision is bumped by hand whenever the
*meaning* of a column changes without its name changing (a new normalization, a new device
vocabulary). :meth:`FeatureSpec.require_compatible` is the check a model runs before it scores
anything; it raises :class:`FeatureSpecMismatch` naming the differing features.

The columns and their meanings are listed in :data:`STRATEGY_FEATURES` (one set per retrieval
strategy) and :data:`SEARCH_FEATURES`; :mod:`ranker.features` computes them, and
:mod:`ranker.feature_log` carries computed rows into the decision log and back to training.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any, Final

FEATURE_REVISION: Final = 1
"""Bump when a feature's meaning changes while its name stays (scaling, vocabularies...)."""

RRF_K: Final = 60
"""Reciprocal-rank-fusion constant of the ``rrf_score`` feature (the pipeline's default)."""

DEVICE_CODES: Final[Mapping[str, int]] = {
    "mobile": 1,
    "desktop": 2,
    "tablet": 3,
    "smart_speaker": 4,
    "car": 5,
    "tv": 6,
    "web": 7,
}
"""Categorical codes of the ``device`` feature; any other device is 0, no device is NaN."""

_STRATEGY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class FeatureKind(StrEnum):
    """How a model should read a column."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    """Small non-negative integer codes without order (LightGBM ``categorical_feature``)."""


@dataclass(frozen=True, slots=True)
class FeatureDef:
    """One column: its name, its kind and what it means (the description is documentation
    only; it is not part of the version)."""

    name: str
    kind: FeatureKind
    description: str


_N, _C = FeatureKind.NUMERIC, FeatureKind.CATEGORICAL

STRATEGY_FEATURES: Final[tuple[FeatureDef, ...]] = (
    FeatureDef("found_{s}", _N, "1 if strategy {s} returned the candidate, else 0."),
    FeatureDef("rank_{s}", _N, "1-based rank in {s}'s list; NaN if {s} did not return it."),
    FeatureDef("score_{s}", _N, "{s}'s raw score; NaN if {s} did not return it."),
    FeatureDef(
        "score_norm_{s}",
        _N,
        "{s}'s score min-max scaled over {s}'s whole returned list (best 1, worst 0; 1 when "
        "all scores tie); NaN if {s} did not return it.",
    ),
    FeatureDef("depth_{s}", _N, "Depth the plan drew from {s} (0: not called); same per search."),
)
"""Provenance features, repeated for every registered strategy ``{s}``, in strategy order."""

SEARCH_FEATURES: Final[tuple[FeatureDef, ...]] = (
    # provenance across strategies
    FeatureDef("n_strategies", _N, "How many strategies returned the candidate."),
    FeatureDef("best_rank", _N, "Best (lowest) rank over the strategies that returned it."),
    FeatureDef("rrf_score", _N, f"Reciprocal-rank-fusion score, sum of 1/({RRF_K} + rank)."),
    # text match (normalized query vs normalized fields, rapidfuzz 0..100)
    FeatureDef("text_title", _N, "rapidfuzz ratio (normalized Indel) of the query and the title."),
    FeatureDef(
        "text_artist",
        _N,
        "token_set_ratio of the query and the credited artists (an artist's own name for "
        "artists); NaN when there are none.",
    ),
    FeatureDef(
        "text_collection",
        _N,
        "ratio of the query and the album (tracks) or show (episodes); NaN otherwise.",
    ),
    FeatureDef(
        "text_all",
        _N,
        "token_sort_ratio of the query and the artist, title and album/show words together.",
    ),
    FeatureDef(
        "exact_match",
        _N,
        "1 if the query equals the title, an artist, or an artist and the title in either order.",
    ),
    FeatureDef("title_prefix", _N, "1 if the title starts with the query (partial typing)."),
    FeatureDef("title_in_query", _N, "1 if the whole title occurs in the query."),
    FeatureDef(
        "token_fraction",
        _N,
        "Share of the query's distinct tokens found among the title, artist and album/show tokens.",
    ),
    # query-understanding agreement: confidence of the best agreeing slot, 0 if slots of the
    # kind were parsed but none agrees, NaN if none was parsed or the attribute is unknown
    FeatureDef("qu_artist", _N, "Parsed artist slot agrees (credited artist, or the artist)."),
    FeatureDef("qu_album_show", _N, "Parsed album/show slot agrees (its album/show, or itself)."),
    FeatureDef("qu_genre", _N, "Parsed genre slot is one of the candidate's genres."),
    FeatureDef("qu_mood_tag", _N, "Parsed mood or tag slot is one of its moods or tags."),
    FeatureDef("qu_decade", _N, "Parsed decade slot contains the release year."),
    FeatureDef("qu_year", _N, "Parsed year slot equals the release year."),
    FeatureDef("qu_language", _N, "Parsed language slot equals the candidate's language."),
    FeatureDef("qu_explicit", _N, "Parsed explicitness slot equals the candidate's."),
    FeatureDef("qu_type", _N, "Parsed type word stands for the candidate's type."),
    FeatureDef(
        "qu_agreement",
        _N,
        "Confidence-weighted share of the likeliest interpretation's non-title slots the "
        "candidate agrees with; NaN without such slots.",
    ),
    FeatureDef(
        "qu_type_prob", _N, "Probability query understanding gives to the candidate's type."
    ),
    # entity
    FeatureDef("entity_type", _C, "Entity type code: EntityType members in declaration order."),
    FeatureDef("log_popularity", _N, "ln(1 + popularity); NaN when popularity is 0 (unknown)."),
    FeatureDef("years_since_release", _N, "Reference year minus release year; NaN if unknown."),
    FeatureDef("duration_min", _N, "Duration in minutes; NaN if unknown."),
    FeatureDef("explicit", _N, "1 if explicit, else 0."),
    FeatureDef(
        "language_match",
        _N,
        "1 if the candidate's language is the request locale's, 0 if not; NaN if either is "
        "unknown.",
    ),
    # memory
    FeatureDef("memory_score", _N, "Q2E memory score of (query, candidate); NaN without a pair."),
    FeatureDef(
        "memory_predicted", _N, "The pair's predicted (prior) score; NaN if learned-only or none."
    ),
    FeatureDef("memory_log_events", _N, "ln(1 + engagement events on the pair); 0 without one."),
    FeatureDef("memory_learned", _N, "1 if listeners' engagement updated the pair, else 0."),
    # context and listener
    FeatureDef("device", _C, "Device code (see DEVICE_CODES; 0 other); NaN if not sent."),
    FeatureDef("hour", _N, "Listener's local hour of day 0-23; NaN if unknown."),
    FeatureDef(
        "listener_affinity",
        _N,
        "Highest weight of the listener's tastes among the candidate's genres and tags (0 if "
        "none); NaN for a listener without tastes.",
    ),
    # query
    FeatureDef("query_tokens", _N, "Tokens in the normalized query."),
    FeatureDef("query_chars", _N, "Characters in the normalized query."),
    FeatureDef("query_log_count", _N, "ln(1 + times this normalized query was searched before)."),
    FeatureDef("qu_p_track", _N, "Query understanding's probability that a track is wanted."),
    FeatureDef("qu_p_artist", _N, "... that an artist is wanted."),
    FeatureDef("qu_p_album", _N, "... that an album is wanted."),
    FeatureDef("qu_p_playlist", _N, "... that a playlist is wanted."),
    FeatureDef("qu_p_show", _N, "... that a podcast show is wanted."),
    FeatureDef("qu_p_episode", _N, "... that an episode is wanted."),
    FeatureDef("qu_top_confidence", _N, "Confidence of the likeliest interpretation."),
    FeatureDef("qu_corrected", _N, "1 if the query was read through a typo correction."),
    # against the rest of the union: how the candidate compares with the search's best
    # candidate on a signal (0 for the best); NaN where the candidate lacks the signal
    FeatureDef("title_gap", _N, "text_title minus the union's highest text_title."),
    FeatureDef("artist_gap", _N, "text_artist minus the union's highest text_artist."),
    FeatureDef("text_all_gap", _N, "text_all minus the union's highest text_all."),
    FeatureDef("token_fraction_gap", _N, "token_fraction minus the union's highest."),
    FeatureDef("popularity_gap", _N, "log_popularity minus the union's highest."),
    FeatureDef("memory_gap", _N, "memory_score minus the union's highest memory_score."),
    FeatureDef("rrf_share", _N, "rrf_score over the union's highest rrf_score."),
)
"""Features that do not depend on the strategy list. Every ``qu_*`` feature is NaN when the
search has no query understanding; every entity and text feature is NaN for an id missing
from the catalog."""


class FeatureSpecMismatch(ValueError):  # noqa: N818 - reads as the condition it reports
    """Features computed under one spec offered to a model (or reader) of another."""


@dataclass(frozen=True)
class FeatureSpec:
    """The ordered, named and typed columns of the ranker's feature matrix."""

    features: tuple[FeatureDef, ...]
    strategies: tuple[str, ...]
    revision: int = FEATURE_REVISION

    def __post_init__(self) -> None:
        names = [f.name for f in self.features]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"feature names must be unique, but {duplicates} repeat")

    @classmethod
    def for_strategies(
        cls, strategies: Sequence[str], *, revision: int = FEATURE_REVISION
    ) -> FeatureSpec:
        """The spec for these registered strategies, in this order (provenance columns first)."""
        names = list(strategies)
        if not names:
            raise ValueError("strategies must name at least one strategy, but none is given")
        bad = [name for name in names if not _STRATEGY_NAME.match(name)]
        if bad:
            raise ValueError(
                f"strategy names must match {_STRATEGY_NAME.pattern} to name features, "
                f"but {bad} do not"
            )
        if len(set(names)) != len(names):
            raise ValueError(f"strategies must be distinct, but {names} is given")
        provenance = tuple(
            FeatureDef(f.name.format(s=s), f.kind, f.description.format(s=s))
            for s in names
            for f in STRATEGY_FEATURES
        )
        return cls(provenance + SEARCH_FEATURES, tuple(names), revision)

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    @cached_property
    def index(self) -> Mapping[str, int]:
        """Column of each feature name."""
        return {name: i for i, name in enumerate(self.names)}

    @cached_property
    def categorical(self) -> tuple[str, ...]:
        """Names of the categorical columns (for LightGBM's ``categorical_feature``)."""
        return tuple(f.name for f in self.features if f.kind is FeatureKind.CATEGORICAL)

    @cached_property
    def version(self) -> str:
        """``"<revision>.<12 hex digits of SHA-256 over the ordered names and kinds>"``."""
        text = "\n".join(f"{f.name}:{f.kind.value}" for f in self.features)
        return f"{self.revision}.{hashlib.sha256(text.encode()).hexdigest()[:12]}"

    def __len__(self) -> int:
        return len(self.features)

    def require_compatible(self, other: FeatureSpec) -> None:
        """Raise :class:`FeatureSpecMismatch` unless ``other`` has this spec's exact columns.

        ``self`` is the spec expected (a model's, a log reader's), ``other`` the one offered.
        """
        if other.version == self.version:
            return
        kinds = {f.name: f.kind for f in other.features}
        raise FeatureSpecMismatch(describe_mismatch(self, other.version, other.names, kinds))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form, stored next to a model; :meth:`from_dict` reads it back."""
        return {
            "version": self.version,
            "revision": self.revision,
            "strategies": list(self.strategies),
            "features": [{"name": f.name, "kind": f.kind.value} for f in self.features],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureSpec:
        """Read :meth:`to_dict`'s output; the stored version must match its contents."""
        spec = cls(
            tuple(FeatureDef(str(f["name"]), FeatureKind(f["kind"]), "") for f in data["features"]),
            tuple(str(s) for s in data["strategies"]),
            int(data["revision"]),
        )
        if spec.version != data.get("version"):
            raise FeatureSpecMismatch(
                f"stored feature spec says version {data.get('version')!r}, "
                f"but its features hash to {spec.version!r}"
            )
        return spec


def describe_mismatch(
    expected: FeatureSpec,
    given_version: str,
    given_names: Sequence[str],
    given_kinds: Mapping[str, FeatureKind] | None = None,
) -> str:
    """What differs between the expected spec and the given columns, feature by feature."""
    parts = [
        f"feature spec mismatch: expected {expected.version} ({len(expected)} features), "
        f"got {given_version} ({len(given_names)} features)"
    ]
    given_set = set(given_names)
    missing = [n for n in expected.names if n not in given_set]
    extra = [n for n in given_names if n not in expected.index]
    if missing:
        parts.append(f"missing: {', '.join(missing)}")
    if extra:
        parts.append(f"unexpected: {', '.join(extra)}")
    if given_kinds is not None:
        changed = [
            f"{f.name} ({f.kind.value} -> {given_kinds[f.name].value})"
            for f in expected.features
            if f.name in given_kinds and given_kinds[f.name] is not f.kind
        ]
        if changed:
            parts.append(f"kind changed: {', '.join(changed)}")
    if not (missing or extra):
        moved = [a for a, b in zip(expected.names, given_names, strict=True) if a != b]
        if moved:
            parts.append(f"reordered: {', '.join(moved)}")
    if given_version.split(".")[0] != str(expected.revision):
        parts.append(f"revision {expected.revision} vs {given_version.split('.')[0]}")
    return "; ".join(parts)
