"""The in-memory throttle of requests a page repeats on its own: a burst, then a steady rate,
per key; keys forgotten least recently used first, so memory stays bounded."""

from __future__ import annotations

import pytest

from tribune.throttle import Throttle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_one_a_second_per_key() -> None:
    clock = Clock()
    throttle = Throttle(burst=3, per_second=1.0, max_keys=10, clock=clock)
    assert [throttle.allow("a") for _ in range(4)] == [True, True, True, False]
    assert throttle.retry_after("a") == 1
    assert throttle.allow("b")  # another key has its own bucket
    clock.now += 0.5
    assert not throttle.allow("a")  # half a token is not enough
    clock.now += 0.5
    assert throttle.allow("a")
    assert not throttle.allow("a")
    clock.now += 60  # a long pause refills the bucket to the burst, not beyond
    assert [throttle.allow("a") for _ in range(4)] == [True, True, True, False]


def test_retry_after_says_when_a_slow_bucket_has_a_token_again() -> None:
    clock = Clock()
    throttle = Throttle(burst=1, per_second=0.1, max_keys=10, clock=clock)
    assert throttle.allow("a")
    assert not throttle.allow("a")
    assert throttle.retry_after("a") == 10
    clock.now += 9
    assert not throttle.allow("a")
    assert throttle.retry_after("a") == 1
    clock.now += 1
    assert throttle.allow("a")


def test_keys_past_the_bound_are_forgotten_least_recently_used_first() -> None:
    clock = Clock()
    throttle = Throttle(burst=1, per_second=0.001, max_keys=3, clock=clock)
    for key in ("a", "b", "c"):
        assert throttle.allow(key)
    assert not throttle.allow("a")  # "a" is now the most recently used
    assert throttle.allow("d")  # forgets "b", the least recently used
    assert len(throttle) == 3
    assert throttle.allow("b")  # forgotten, so a full bucket again; forgets "c"
    assert not throttle.allow("a")  # still remembered
    assert len(throttle) == 3


def test_a_throttle_needs_a_burst_a_rate_and_room() -> None:
    for burst, per_second, max_keys in ((0, 1.0, 1), (1, 0.0, 1), (1, 1.0, 0)):
        with pytest.raises(ValueError, match="a throttle needs"):
            Throttle(burst=burst, per_second=per_second, max_keys=max_keys)
