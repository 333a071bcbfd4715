"""Request throttles kept in the memory of one worker process: token buckets per key.

For the requests a page repeats on its own (the waiting room's and the console's polls
every 5 seconds), writing a row per request as `tribune.ratelimits` does would cost more
than the request itself. A bucket per key (a person and a hearing) holds up to `burst`
tokens and gains `per_second` tokens a second; a request takes one or is refused.

Each worker keeps its own buckets, so with N workers a key may get up to N times the rate:
the throttle stops a runaway page or script from flooding the database, it is not a quota.
The number of keys is bounded: past `max_keys`, the least recently used key is forgotten
(and starts again with a full bucket).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated_at: float


class Throttle:
    """Token buckets per key, least recently used keys forgotten past `max_keys`."""

    def __init__(
        self,
        *,
        burst: int,
        per_second: float,
        max_keys: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if burst < 1 or per_second <= 0 or max_keys < 1:
            raise ValueError("a throttle needs a burst, a rate and room for at least one key")
        self.burst = burst
        self.per_second = per_second
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def allow(self, key: str) -> bool:
        """Take a token from `key`'s bucket; False (nothing taken) when it is empty."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(tokens=float(self.burst), updated_at=now)
            self._buckets[key] = bucket
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            elapsed = max(0.0, now - bucket.updated_at)
            bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.per_second)
            bucket.updated_at = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def retry_after(self, key: str) -> int:
        """Whole seconds until `key`'s bucket holds a token again (at least 1)."""
        bucket = self._buckets.get(key)
        if bucket is None or bucket.tokens >= 1:
            return 1
        return max(1, int((1 - bucket.tokens) / self.per_second + 0.999))
