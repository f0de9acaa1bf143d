"""One leaderboard in memory: rows by entrant plus a sorted list of keys.

Updates are O(log n) (sortedcontainers); ranks are `domain.competition_rank` of a bisect (the
number of entries whose tie key is strictly better) and `domain.competition_ranks` along a page.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sortedcontainers import SortedList

from services.ranking.domain import competition_rank, competition_ranks


@dataclass(slots=True)
class Row:
    entrant_id: str
    display_name: str
    unit_id: str | None
    score: float
    details: dict[str, Any] | None = None
    lazy: tuple | None = None  # (function, *args) building `details` when read (cheap writes)

    def explain(self) -> dict[str, Any]:
        if self.details is not None:
            return self.details
        return self.lazy[0](*self.lazy[1:]) if self.lazy else {}


def render(rank: int, row: Row) -> dict[str, Any]:
    return {
        "rank": rank, "entrant_id": row.entrant_id, "display_name": row.display_name,
        "unit_id": row.unit_id, "score": row.score, "details": row.explain(),
    }


class Board:
    __slots__ = ("_cache", "_cache_version", "board_id", "changed", "keys", "order", "removed", "rows",
                 "updated_at", "version")

    def __init__(self, board_id: str) -> None:
        self.board_id = board_id
        self.rows: dict[str, Row] = {}
        self.keys: dict[str, tuple] = {}
        self.order: SortedList = SortedList()
        self.changed: set[str] = set()
        self.removed: set[str] = set()
        self.updated_at = time.time()
        self.version = 0
        self._cache: dict[tuple[int, int], list[dict[str, Any]]] = {}
        self._cache_version = -1

    @property
    def as_of(self) -> datetime:
        return datetime.fromtimestamp(self.updated_at, UTC)

    def __len__(self) -> int:
        return len(self.rows)

    def put(self, entrant_id: str, key: tuple, row: Row) -> None:
        old = self.keys.get(entrant_id)
        if old is not None:
            if old == key and self.rows[entrant_id] == row:
                return
            if old != key:
                self.order.remove(old + (entrant_id,))
                self.order.add(key + (entrant_id,))
        else:
            self.order.add(key + (entrant_id,))
        self.keys[entrant_id] = key
        self.rows[entrant_id] = row
        self._touch(entrant_id)

    def drop(self, entrant_id: str) -> None:
        key = self.keys.pop(entrant_id, None)
        if key is None:
            return
        self.order.remove(key + (entrant_id,))
        del self.rows[entrant_id]
        self.changed.discard(entrant_id)
        self.removed.add(entrant_id)
        self.version += 1
        self.updated_at = time.time()

    def replace_all(self, items: list[tuple[str, tuple, Row]]) -> None:
        """Load many rows at once (start-up, full recompute): one sort instead of n inserts."""
        fresh = {eid for eid, _, _ in items}
        for eid in list(self.rows):
            if eid not in fresh:
                self.drop(eid)
        for eid, key, row in items:
            if self.keys.get(eid) != key or self.rows.get(eid) != row:
                self.changed.add(eid)
        self.keys = {eid: key for eid, key, _ in items}
        self.rows = {eid: row for eid, _, row in items}
        self.order = SortedList(key + (eid,) for eid, key, _ in items)
        self.version += 1
        self.updated_at = time.time()

    def _touch(self, entrant_id: str) -> None:
        self.changed.add(entrant_id)
        self.removed.discard(entrant_id)
        self.version += 1
        self.updated_at = time.time()

    # --- reads ---
    def rank(self, entrant_id: str) -> int | None:
        key = self.keys.get(entrant_id)
        return None if key is None else competition_rank(self.order.bisect_left(key))

    def slice(self, start: int, stop: int) -> list[dict[str, Any]]:
        start, stop = max(0, start), min(len(self.order), stop)
        if start >= stop:
            return []
        if self._cache_version != self.version:  # rendered pages are reused until the board changes
            self._cache.clear()
            self._cache_version = self.version
        cached = self._cache.get((start, stop))
        if cached is not None:
            return cached
        items = list(self.order.islice(start, stop))
        keys = [item[:-1] for item in items]
        ranks = competition_ranks(keys, start=start, first=competition_rank(self.order.bisect_left(keys[0])))
        out = [render(rank, self.rows[item[-1]]) for rank, item in zip(ranks, items, strict=True)]
        if stop - start <= 1000 and len(self._cache) < 256:
            self._cache[(start, stop)] = out
        return out

    def position(self, entrant_id: str) -> int | None:
        key = self.keys.get(entrant_id)
        return None if key is None else self.order.index(key + (entrant_id,))

    def snapshot(self) -> list[dict[str, Any]]:
        return self.slice(0, len(self.order))


class Snapshot:
    """A frozen board's public view: rows in rank order, read-only."""

    __slots__ = ("board_id", "entries", "frozen_at", "index")

    def __init__(self, board_id: str, entries: list[dict[str, Any]], frozen_at: datetime) -> None:
        self.board_id, self.entries, self.frozen_at = board_id, entries, frozen_at
        self.index = {e["entrant_id"]: i for i, e in enumerate(entries)}

    @classmethod
    def of(cls, board: Board, frozen_at: datetime) -> Snapshot:
        """Freeze a board: a deep copy through JSON, so nothing the live index later mutates (the
        engagement counts in `details`, a cached page) can reach the frozen view; it is also exactly
        what PostgreSQL gives back after a restart."""
        return cls(board.board_id, orjson.loads(orjson.dumps(board.snapshot())), frozen_at)

    def __len__(self) -> int:
        return len(self.entries)

    def slice(self, start: int, stop: int) -> list[dict[str, Any]]:
        return self.entries[max(0, start):max(0, stop)]

    def position(self, entrant_id: str) -> int | None:
        return self.index.get(entrant_id)
