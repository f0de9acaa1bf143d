"""In-process token buckets keyed by client (IP, participant, platform).

Per process on purpose: each replica limits its own share, which keeps the hot path free of I/O.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict

from shared.errors import ContestError


class RateLimiter:
    def __init__(self, rate_per_second: float, burst: int, *, max_keys: int = 100_000) -> None:
        self.rate, self.burst, self.max_keys = rate_per_second, burst, max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def retry_after(self, key: str, cost: float = 1.0, now: float | None = None) -> float:
        """Take `cost` tokens; 0.0 if allowed, else the seconds until it would be."""
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens >= cost:
            self._buckets[key] = (tokens - cost, now)
            wait = 0.0
        else:
            self._buckets[key] = (tokens, now)
            wait = (cost - tokens) / self.rate
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait

    def check(self, key: str, cost: float = 1.0) -> None:
        wait = self.retry_after(key, cost)
        if wait > 0:
            raise too_many_requests(wait, "Bạn thao tác quá nhanh, vui lòng thử lại sau ít giây.")


def too_many_requests(wait_seconds: float, message: str, *, code: str = "rate_limited",
                      details: object = None) -> ContestError:
    """The one 429: Retry-After in whole seconds, at least 1 ("0" would invite an immediate retry)."""
    return ContestError(429, code, message, details, headers={"Retry-After": str(max(1, math.ceil(wait_seconds)))})
