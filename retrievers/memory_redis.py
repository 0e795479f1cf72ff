"""The shared Q2E memory store on Redis (or Valkey): every replica and worker sees one memory.

Writes run as Lua scripts (:mod:`retrievers.memory_lua`), so the
read-modify-write of an update is atomic on the server — two feedback workers
updating the same pair cannot lose an update — and an event id is checked and
recorded in the same script as its evidence (exactly-once application).
Reads take one round trip per lookup step (pipelines or read-only scripts).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final, cast

import redis

from retrievers.memory_base import (
    EntityPredictions,
    Evidence,
    PairStats,
    Smoothing,
    UpdateOutcome,
    UpdateResult,
    key_tokens,
    token_blocks,
)
from retrievers.memory_lua import (
    APPLY,
    DELETE_ENTITIES,
    DROP_IF_EMPTY,
    READ_SORTED,
    READ_VOCABULARY,
    REPLACE_PREDICTED,
)

DEFAULT_NAMESPACE: Final = "ltrr:q2e:"
_ENTITIES_PER_SCRIPT: Final = 200
_SCRIPTS_PER_ROUND_TRIP: Final = 20
_IDS_PER_DELETE: Final = 500
_MEMBERS_PER_COMMAND: Final = 1_000


def _num(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def _glob_escape(text: str) -> str:
    """``text`` matched literally by a ``SCAN MATCH`` pattern."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def parse_pair(key: str, entity_id: str, packed: str, score: float) -> PairStats:
    """A pair from its packed hash value ``predicted|positive|negative|events|updated_at``."""
    predicted, positive, negative, events, updated = packed.split("|")
    return PairStats(
        query=key,
        entity_id=entity_id,
        score=score,
        predicted=float(predicted) if predicted else None,
        positive=float(positive),
        negative=float(negative),
        events=int(events),
        updated_at=float(updated) if updated else None,
    )


class RedisMemoryStore:
    """Q2E pairs, token index and applied event ids under one key namespace."""

    def __init__(
        self,
        url: str,
        smoothing: Smoothing | None = None,
        *,
        namespace: str = DEFAULT_NAMESPACE,
    ) -> None:
        self.url = url
        self.smoothing = smoothing or Smoothing()
        self.namespace = namespace
        self._client = redis.Redis.from_url(url, decode_responses=True)
        self._replace = self._client.register_script(REPLACE_PREDICTED)
        self._apply = self._client.register_script(APPLY)
        self._delete = self._client.register_script(DELETE_ENTITIES)
        self._drop = self._client.register_script(DROP_IF_EMPTY)
        self._read_sorted = self._client.register_script(READ_SORTED)
        self._read_vocabulary = self._client.register_script(READ_VOCABULARY)

    def close(self) -> None:
        self._client.close()

    def _key(self, kind: str, name: str) -> str:
        return f"{self.namespace}{kind}:{name}"

    # -- writes ----------------------------------------------------------------------

    def replace_predicted(self, batch: Sequence[EntityPredictions]) -> None:
        s = self.smoothing
        head = [self.namespace, _num(s.prior_strength), _num(s.unknown_prior)]
        emptied: list[str] = []
        weights: dict[str, float] = {}
        pipe = self._client.pipeline(transaction=False)
        pending = 0
        for start in range(0, len(batch), _ENTITIES_PER_SCRIPT):
            part = batch[start : start + _ENTITIES_PER_SCRIPT]
            args: list[str] = [*head, str(len(part))]
            for item in part:
                args += [item.entity_id, str(len(item.predicted))]
                for key, score in item.predicted.items():
                    args += [key, _num(score)]
                    weights[key] = max(weights.get(key, 0.0), score)
            self._replace(keys=[], args=args, client=pipe)
            pending += 1
            if pending == _SCRIPTS_PER_ROUND_TRIP:
                emptied += self._flush(pipe)
                pending = 0
        if pending:
            emptied += self._flush(pipe)
        self._index_keys(weights)
        self._drop_if_empty(emptied)

    def load(self, batches: Iterable[Sequence[EntityPredictions]]) -> None:
        for batch in batches:
            self.replace_predicted(batch)

    @staticmethod
    def _flush(pipe: Any) -> list[str]:
        results = cast(list[list[str]], pipe.execute())
        return [key for keys in results for key in keys]

    def _index_keys(self, weights: dict[str, float]) -> None:
        """File keys under their tokens (raising a posting's weight only), tokens under
        their blocks; both are idempotent, so they need no script."""
        postings: dict[str, dict[str, float]] = {}
        for key, weight in weights.items():
            for token in key_tokens(key):
                postings.setdefault(token, {})[key] = weight
        blocks: dict[str, list[str]] = {}
        for token in postings:
            for block in token_blocks(token):
                blocks.setdefault(block, []).append(token)
        pipe = self._client.pipeline(transaction=False)
        for token, members in postings.items():
            items = list(members.items())
            for start in range(0, len(items), _MEMBERS_PER_COMMAND):
                chunk = dict(items[start : start + _MEMBERS_PER_COMMAND])
                pipe.zadd(self._key("t", token), chunk, gt=True)
        for block, tokens in blocks.items():
            pipe.sadd(self._key("b", block), *tokens)
        pipe.execute()

    def _drop_if_empty(self, keys: Sequence[str]) -> None:
        args = [self.namespace]
        for key in dict.fromkeys(keys):
            tokens = key_tokens(key)
            args += [key, str(len(tokens))]
            for token in tokens:
                args += [token, *token_blocks(token)]
        if len(args) > 1:
            self._drop(keys=[], args=args)

    def delete_entities(self, entity_ids: Sequence[str]) -> None:
        ids = list(dict.fromkeys(entity_ids))
        emptied: list[str] = []
        for start in range(0, len(ids), _IDS_PER_DELETE):
            chunk = ids[start : start + _IDS_PER_DELETE]
            emptied += cast(list[str], self._delete(keys=[], args=[self.namespace, *chunk]))
        self._drop_if_empty(emptied)

    def clear_predicted(self) -> None:
        """Every entity that has pairs (``SCAN`` of ``e:*``) gets an empty prediction through
        the ``replace_predicted`` script, so both backends forget predictions alike."""
        pattern = _glob_escape(self._key("e", "")) + "*"
        prefix = len(self._key("e", ""))
        names = self._client.scan_iter(match=pattern, count=_MEMBERS_PER_COMMAND)
        ids = list(dict.fromkeys(cast(str, name)[prefix:] for name in names))
        self.replace_predicted([EntityPredictions(entity_id, {}) for entity_id in ids])

    def apply(self, evidence: Evidence) -> UpdateResult:
        s = self.smoothing
        args = [
            self.namespace,
            _num(s.prior_strength),
            _num(s.unknown_prior),
            _num(s.half_life_s),
            _num(s.half_life_events),
            evidence.query,
            evidence.entity_id,
            _num(evidence.positive),
            _num(evidence.negative),
            _num(evidence.at),
            evidence.event_id or "",
        ]
        for token in key_tokens(evidence.query):
            args += [token, *token_blocks(token)]
        reply = cast(list[str], self._apply(keys=[], args=args))
        outcome = UpdateOutcome(reply[0])
        if outcome in (UpdateOutcome.DUPLICATE, UpdateOutcome.NO_PAIR):
            return UpdateResult(outcome, None)
        pair = parse_pair(evidence.query, evidence.entity_id, reply[1], float(reply[2]))
        return UpdateResult(outcome, pair)

    def forget_events(self, before: float) -> int:
        removed = self._client.zremrangebyscore(f"{self.namespace}ev", "-inf", f"({before!r}")
        return int(removed)

    # -- reads -----------------------------------------------------------------------

    def top_entities(self, keys: Sequence[str], limit: int) -> dict[str, list[tuple[str, float]]]:
        unique = list(dict.fromkeys(keys))
        if not unique:
            return {}
        args = [self.namespace, "q", str(limit), "1", *unique]
        replies = cast(list[str], self._read_sorted(keys=[], args=args))
        found: dict[str, list[tuple[str, float]]] = {}
        for key, reply in zip(unique, replies, strict=True):
            items = reply.split("\n") if reply else []
            found[key] = [(items[i], float(items[i + 1])) for i in range(0, len(items), 2)]
        return found

    def pair_stats(self, key: str, entity_ids: Sequence[str]) -> dict[str, PairStats]:
        unique = list(dict.fromkeys(entity_ids))
        if not unique:
            return {}
        pipe = self._client.pipeline(transaction=False)
        for entity_id in unique:
            pipe.hget(self._key("e", entity_id), key)
        pipe.zmscore(self._key("q", key), unique)
        replies = pipe.execute()
        scores = cast(list[float | None], replies[-1])
        found: dict[str, PairStats] = {}
        for entity_id, packed, score in zip(unique, replies[:-1], scores, strict=True):
            if packed is not None and score is not None:
                found[entity_id] = parse_pair(key, entity_id, packed, float(score))
        return found

    def vocabulary(self, blocks: Sequence[str]) -> set[str]:
        if not blocks:
            return set()
        reply = cast(str, self._read_vocabulary(keys=[], args=[self.namespace, *blocks]))
        return set(reply.split("\n")) if reply else set()

    def postings(self, tokens: Sequence[str], limit: int) -> dict[str, list[str]]:
        unique = list(dict.fromkeys(tokens))
        if not unique:
            return {}
        args = [self.namespace, "t", str(limit), "0", *unique]
        replies = cast(list[str], self._read_sorted(keys=[], args=args))
        return {
            token: reply.split("\n") if reply else []
            for token, reply in zip(unique, replies, strict=True)
        }

    def key_counts(self, tokens: Sequence[str], cap: int) -> dict[str, int]:
        unique = list(dict.fromkeys(tokens))
        pipe = self._client.pipeline(transaction=False)
        for token in unique:
            pipe.zcard(self._key("t", token))
        counts = cast(list[int], pipe.execute())
        return {token: min(cap, int(n)) for token, n in zip(unique, counts, strict=True)}
