"""Consumers: quiz essays become the anonymous grading queue."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.initiatives import store_stage
from shared.consumer import register_consumer
from shared.events import ANSWER_SUBMITTED, CloudEvent
from shared.service import Runtime


def essays_of(contest_id: str):
    """Queue the essays of this contest's attempts (other contests' events are ignored)."""

    async def apply(conn: asyncpg.Connection, events: list[CloudEvent[Any]]) -> int:
        return await store_stage.add_essays(conn, [e.data for e in events if e.data.contest_id == contest_id])

    return apply


def register(runtime: Runtime) -> None:
    register_consumer(runtime.broker, runtime.settings, lambda: runtime.pool, runtime.metrics,
                      topic=ANSWER_SUBMITTED, name="essays", apply=essays_of(runtime.contest.contest_id))
