"""Both feedback-stream backends behave the same: dedup, claims, leases, dead letters."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from service.stream import EventStream, RedisEventStream, SqliteEventStream


@pytest.fixture(params=["sqlite", "redis"])
def make_stream(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[type[EventStream] | object]:
    made: list[EventStream] = []

    def make(lease_s: float = 30.0) -> EventStream:
        stream: EventStream
        if request.param == "sqlite":
            stream = SqliteEventStream(tmp_path / "feedback.sqlite", lease_s=lease_s)
        else:
            client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
            stream = RedisEventStream(client, prefix=f"test:{tmp_path.name}", lease_s=lease_s)
        made.append(stream)
        return stream

    if request.param == "redis":
        request.getfixturevalue("redis_client")  # a flushed database
    yield make
    for stream in made:
        stream.close()


def test_append_deduplicates_by_event_id(make_stream) -> None:  # type: ignore[no-untyped-def]
    stream = make_stream()
    assert stream.append([("a", "1"), ("b", "2")]) == [True, True]
    assert stream.append([("b", "2"), ("c", "3"), ("c", "3")]) == [False, True, False]
    assert stream.backlog() == 3


def test_claim_ack_in_order(make_stream) -> None:  # type: ignore[no-untyped-def]
    stream = make_stream()
    stream.append([(f"e{i}", str(i)) for i in range(5)])
    first = stream.claim("w1", 3)
    assert [e.event_id for e in first] == ["e0", "e1", "e2"]
    # another consumer sees only unclaimed entries
    other = stream.claim("w2", 10)
    assert [e.event_id for e in other] == ["e3", "e4"]
    stream.ack([e.entry_id for e in first])
    assert stream.backlog() == 2
    # w1 has nothing of its own left, nothing new, and w2's lease is still valid
    assert stream.claim("w1", 10) == []


def test_unacked_entries_are_redelivered(make_stream) -> None:  # type: ignore[no-untyped-def]
    stream = make_stream(lease_s=0.2)
    stream.append([("x", "1"), ("y", "2")])
    claimed = stream.claim("dead-worker", 10)
    assert len(claimed) == 2
    # the same consumer (restarted with its name) gets its own entries back at once
    assert [e.event_id for e in stream.claim("dead-worker", 10)] == ["x", "y"]
    time.sleep(0.3)
    rescued = stream.claim("new-worker", 10)
    assert [e.event_id for e in rescued] == ["x", "y"]
    stream.ack([e.entry_id for e in rescued])
    assert stream.backlog() == 0


def test_dead_letters_keep_the_reason(make_stream) -> None:  # type: ignore[no-untyped-def]
    stream = make_stream()
    stream.append([("bad", "{oops")])
    (entry,) = stream.claim("w", 10)
    stream.dead_letter(entry, "malformed entry: not JSON")
    assert stream.backlog() == 0
    (letter,) = stream.dead_letters()
    assert (letter.event_id, letter.body, letter.reason) == (
        "bad",
        "{oops",
        "malformed entry: not JSON",
    )


def test_blocking_claim_returns_when_empty(make_stream) -> None:  # type: ignore[no-untyped-def]
    stream = make_stream()
    start = time.monotonic()
    assert stream.claim("w", 10, block_ms=100) == []
    assert time.monotonic() - start < 5
