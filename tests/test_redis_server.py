"""The session's Redis server is real: streams and consumer groups work."""

import redis


def test_real_redis_streams(redis_client: redis.Redis) -> None:
    redis_client.xgroup_create("events", "workers", id="0", mkstream=True)
    redis_client.xadd("events", {"event_id": "e1"})
    entries = redis_client.xreadgroup("workers", "w1", {"events": ">"}, count=10)
    assert entries[0][1][0][1] == {b"event_id": b"e1"}
    assert redis_client.xpending("events", "workers")["pending"] == 1
