"""Staff login throttling: failed logins back off exponentially per (user name, client IP) and per IP.

Keyed by the pair, not the user name alone, so wrong passwords sent from elsewhere cannot lock the real
judge out (the right password from their own address still works); the per-IP key stops one address
from guessing across many user names. In-process (one initiatives replica), bounded in memory.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass


@dataclass
class _Failures:
    count: int
    last: float
    locked_until: float


class LoginThrottle:
    def __init__(self, *, free_per_account_ip: int = 5, free_per_ip: int = 20, base_seconds: float = 1.0,
                 max_seconds: float = 900.0, forget_seconds: float = 3600.0, max_keys: int = 100_000) -> None:
        self.free = {"pair": free_per_account_ip, "ip": free_per_ip}
        self.base, self.max, self.forget, self.max_keys = base_seconds, max_seconds, forget_seconds, max_keys
        self._state: OrderedDict[tuple[str, ...], _Failures] = OrderedDict()

    @staticmethod
    def _keys(username: str, ip: str) -> list[tuple[str, ...]]:
        return [("pair", username.lower(), ip), ("ip", ip)]

    def _current(self, key: tuple[str, ...], now: float) -> _Failures | None:
        state = self._state.get(key)
        if state is not None and now - state.last > self.forget and now >= state.locked_until:
            del self._state[key]  # quiet long enough: forgiven
            return None
        return state

    def retry_after(self, username: str, ip: str, now: float | None = None) -> float:
        """Seconds until this login may be tried; 0.0 when it may be tried now."""
        now = time.monotonic() if now is None else now
        waits = [s.locked_until - now for k in self._keys(username, ip) if (s := self._current(k, now))]
        return max([0.0, *waits])

    def failed(self, username: str, ip: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for key in self._keys(username, ip):
            state = self._current(key, now) or _Failures(0, now, now)
            state.count += 1
            state.last = now
            over = state.count - self.free[key[0]]
            if over > 0:
                state.locked_until = now + min(self.max, self.base * 2 ** min(over - 1, 30))
            self._state[key] = state
            self._state.move_to_end(key)
        while len(self._state) > self.max_keys:
            self._state.popitem(last=False)

    def succeeded(self, username: str, ip: str) -> None:
        """The pair starts afresh; the IP's count stays (a valid account must not launder guesses)."""
        self._state.pop(("pair", username.lower(), ip), None)
