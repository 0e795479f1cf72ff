"""What the bandit sees of a search before choosing its plan.

Features are grouped in Vowpal Wabbit namespaces (the first letter names the
namespace), so the learner can cross each group of context with the plan's
action features:

* ``q`` query text: length in tokens and characters, digits, non-Latin letters;
* ``u`` understanding: entity-type probabilities, slot kinds with confidences,
  whether the query was read through a typo correction, the language;
* ``m`` memory: strength of the Q2E memory's best pair for this exact query and
  whether listeners taught it (learned evidence) or it is only predicted;
* ``f`` frequency: how often the query was searched before (head/torso/tail);
* ``t`` time: hour bucket, weekday, weekend (client time when given);
* ``d`` device and locale;
* ``g`` the listener's tastes: top genres/topics from their engagement history;
* ``x`` support: for each strategy that can tell before searching, how many results it
  has for this very query and how much of the query it can use (BM25: documents holding
  the query's tokens, share of tokens in the index; structured search: entities its
  anchored readings match, their share of the parse; memory: pairs stored for the
  query). Crossed with the plan's features, this is what makes "bm25 at depth 100"
  cheap when bm25 has three documents, and useless when it has none.

The features are computed once at serve time and logged with the decision, so
learning replays exactly what the policy saw.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime

from retrievers.base import QuerySupport
from retrievers.query_parse import QueryParse

Namespaces = dict[str, dict[str, float]]
"""Namespace letter → feature name → value."""

_UNSAFE = re.compile(r"[\s|:]+")


def safe(name: str) -> str:
    """A feature name VW's text format accepts (no spaces, bars or colons)."""
    return _UNSAFE.sub("_", name.strip()) or "_"


def frequency_class(count: int) -> str:
    """Head, torso or tail by how many times the query was searched before."""
    if count >= 20:
        return "head"
    if count >= 3:
        return "torso"
    return "tail"


@dataclass(frozen=True, slots=True)
class SearchContext:
    """The inputs of the context features of one search."""

    query: str
    parse: QueryParse | None = None
    memory_top: float = 0.0
    memory_events: int = 0
    query_count: int = 0
    when: datetime | None = None
    device: str | None = None
    locale: str | None = None
    tastes: tuple[tuple[str, float], ...] = field(default_factory=tuple)
    support: tuple[tuple[str, QuerySupport], ...] = field(default_factory=tuple)
    """Strategy → what it has for this query (:class:`SupportEstimator` strategies only)."""


SUPPORT_CAP = 100
"""Matches beyond the deepest default plan depth say nothing more to the bandit."""
_LOG_CAP = math.log1p(SUPPORT_CAP)

ATTRIBUTE_SLOTS = frozenset({"genre", "mood", "tag", "decade", "year", "language", "explicit"})
"""Slot kinds that constrain what is sought rather than name it (``90s rock``)."""


def query_class(context: SearchContext) -> str:
    """A coarse class of the query, for hit-rate stats: dominant entity type, ``+attr`` when
    the parse holds a confident attribute slot, and frequency (``track+attr:tail``).

    Attribute queries are what structured search is for, and a type alone does not tell
    them apart (``90s rock`` and ``bohemian rhapsody`` are both most likely tracks).
    """
    kind = "unknown"
    parse = context.parse
    if parse is not None and parse.type_probabilities:
        best = max(parse.type_probabilities.items(), key=lambda kv: (kv[1], kv[0]))
        kind = str(best[0].value if hasattr(best[0], "value") else best[0])
    if parse is not None and any(s.kind in ATTRIBUTE_SLOTS for s in parse.confident_slots()):
        kind += "+attr"
    return f"{kind}:{frequency_class(context.query_count)}"


def context_features(context: SearchContext) -> Namespaces:
    """The namespaces of one search's context."""
    text = context.query.strip()
    tokens = text.split()
    q: dict[str, float] = {
        "tokens": min(len(tokens), 12) / 12.0,
        "chars": min(len(text), 60) / 60.0,
        f"ntok_{min(len(tokens), 6)}": 1.0,
    }
    if any(ch.isdigit() for ch in text):
        q["digits"] = 1.0
    if any(ord(ch) > 0x24F and ch.isalpha() for ch in text):
        q["non_latin"] = 1.0

    u: dict[str, float] = {}
    parse = context.parse
    if parse is not None:
        for kind, p in parse.type_probabilities.items():
            if p > 0.0:
                u[f"type_{safe(str(getattr(kind, 'value', kind)))}"] = round(float(p), 4)
        for slot in parse.slots:
            name = f"slot_{slot.kind}"
            u[name] = max(u.get(name, 0.0), round(slot.confidence, 4))
            if slot.fuzzy:
                u["fuzzy_slot"] = 1.0
        if parse.corrections:
            u["corrected"] = 1.0
        if parse.language:
            u[f"lang_{safe(parse.language)}"] = round(parse.language_confidence, 4)
        u[f"interpretations_{min(len(parse.interpretations), 4)}"] = 1.0
    else:
        u["no_parse"] = 1.0

    m: dict[str, float] = {"top": round(context.memory_top, 4)}
    if context.memory_top <= 0.0:
        m["miss"] = 1.0
    elif context.memory_events > 0:
        m["learned"] = 1.0
        m["log_events"] = round(math.log1p(context.memory_events) / 5.0, 4)
    else:
        m["predicted"] = 1.0

    f = {
        frequency_class(context.query_count): 1.0,
        "log_count": round(math.log1p(context.query_count) / 10.0, 4),
    }

    t: dict[str, float] = {}
    if context.when is not None:
        t[f"hour_{context.when.hour // 3}"] = 1.0
        t[f"weekday_{context.when.weekday()}"] = 1.0
        if context.when.weekday() >= 5:
            t["weekend"] = 1.0

    d: dict[str, float] = {}
    if context.device:
        d[f"device_{safe(context.device.lower())}"] = 1.0
    if context.locale:
        d[f"locale_{safe(context.locale.lower()[:2])}"] = 1.0

    g = {f"g_{safe(name)}": round(weight, 4) for name, weight in context.tastes}
    x: dict[str, float] = {}
    for strategy, support in context.support:
        name = safe(strategy)
        x[f"{name}_cov"] = round(support.coverage, 4)
        x[f"{name}_m"] = round(math.log1p(min(support.matches, SUPPORT_CAP)) / _LOG_CAP, 4)
    return {"q": q, "u": u, "m": m, "f": f, "t": t, "d": d, "g": g, "x": x}


def vw_namespaces(namespaces: Namespaces) -> str:
    """The namespaces in VW text format (``|q tokens:0.25 ntok_3 |u ...``)."""
    parts = []
    for letter, features in namespaces.items():
        if not features:
            continue
        body = " ".join(
            name if value == 1.0 else f"{name}:{value:.6g}" for name, value in features.items()
        )
        parts.append(f"|{letter} {body}")
    return " ".join(parts)
