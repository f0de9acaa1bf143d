"""Live updates: a ticker coalesces each board's changes and pushes them to its SSE subscribers at
most once per interval, each update carrying the changed rows with their current ranks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from services.ranking.board import Snapshot, render
from services.ranking.index import RankingIndex
from shared.events import format_utc

log = logging.getLogger(__name__)
MAX_ROWS_PER_UPDATE = 2000  # beyond this an update says `reset` and clients re-read their page
QUEUE_SIZE = 16


class StreamHub:
    def __init__(self, index: RankingIndex, frozen: dict[str, Snapshot], interval: float) -> None:
        self.index, self.frozen, self.interval = index, frozen, interval
        self.subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="ranking-stream-hub")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task

    def subscribe(self, board_id: str) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self.subscribers.setdefault(board_id, set()).add(queue)
        return queue

    def unsubscribe(self, board_id: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        subs = self.subscribers.get(board_id)
        if subs:
            subs.discard(queue)
            if not subs:
                del self.subscribers[board_id]

    def publish(self, board_id: str, message: dict[str, Any]) -> None:
        for queue in list(self.subscribers.get(board_id, ())):
            if queue.full():  # a slow client gets the latest news, not a growing backlog
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                message = {**message, "reset": True}
            queue.put_nowait(message)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                self.tick()
            except Exception:  # keep streaming whatever one tick did
                log.exception("stream tick failed")

    def tick(self) -> None:
        self.index.refresh()
        for board_id, board in self.index.boards.items():
            if not board.changed and not board.removed:
                continue
            changed, removed = board.changed, board.removed
            board.changed, board.removed = set(), set()
            if board_id not in self.subscribers or board_id in self.frozen:
                continue
            reset = len(changed) > MAX_ROWS_PER_UPDATE
            rows = [] if reset else sorted(
                (render(board.rank(eid) or 0, board.rows[eid]) for eid in changed if eid in board.rows),
                key=lambda r: (r["rank"], r["entrant_id"]),
            )
            self.publish(board_id, {
                "board_id": board_id, "as_of": format_utc(board.as_of), "total": len(board),
                "changed": rows, "removed": sorted(removed), "reset": reset,
            })

    def notify_freeze(self, board_id: str, frozen: bool) -> None:
        self.publish(board_id, {
            "board_id": board_id, "as_of": format_utc(datetime.now(UTC)), "frozen": frozen,
            "changed": [], "removed": [], "reset": True,
        })
