"""The back-off of retry loops that never give up (a broker or database that is away for a while)."""

from __future__ import annotations

import asyncio


class Backoff:
    """Delays that start at `first`, double after each failure, stop growing at `cap`."""

    def __init__(self, first: float, cap: float = 5.0) -> None:
        self.first, self.cap = first, cap
        self.delay = first

    def reset(self) -> None:
        """After a success: the next failure waits `first` again."""
        self.delay = self.first

    async def wait(self) -> None:
        await asyncio.sleep(self.delay)
        self.delay = min(self.delay * 2, self.cap)
