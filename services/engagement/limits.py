"""Per-platform and per-actor token buckets (in-process, like shared.ratelimit), rebuilt when an
organizer changes a platform's limits."""

from __future__ import annotations

from services.engagement.domain import RATE_LIMITED, Item, PlatformConfig, Rejection
from shared.ratelimit import RateLimiter
from shared.service import Runtime


def _limiter(rt: Runtime, kind: str, platform: PlatformConfig, rate: float, burst: int) -> RateLimiter:
    limiters: dict[tuple[str, str], tuple[tuple[float, int], RateLimiter]] = rt.state.setdefault("limiters", {})
    key = (kind, platform.id)
    found = limiters.get(key)
    if found is None or found[0] != (rate, burst):
        found = ((rate, burst), RateLimiter(rate, max(1, burst)))
        limiters[key] = found
    return found[1]


def platform_retry_after(rt: Runtime, platform: PlatformConfig, n_events: int) -> float:
    """Seconds to wait if the platform's event budget cannot take `n_events` now (0.0 = go)."""
    limiter = _limiter(rt, "platform", platform, platform.rate_per_second, max(platform.burst, 1))
    return limiter.retry_after(platform.id, cost=float(max(n_events, 1)))


def limit_actors(rt: Runtime, platform: PlatformConfig, items: list[Item]) -> tuple[list[Item], list[Rejection]]:
    per_minute = platform.actor_per_minute
    limiter = _limiter(rt, "actor", platform, per_minute / 60.0, per_minute)
    ok: list[Item] = []
    rejected: list[Rejection] = []
    for it in items:
        if limiter.retry_after(it.actor) > 0:
            rejected.append(Rejection(it.index, RATE_LIMITED, "Người dùng này gửi quá nhiều tương tác trong một phút."))
        else:
            ok.append(it)
    return ok, rejected
