"""One idempotent consumer (shared.consumer) in its own process, for the crash test.

Usage: python -m tests.integration.foundation.consumer_crash SETTINGS_JSON [--crash]

Applies quiz.answer-submitted.v1 events into `seen`. Prints one JSON line per batch
(`{"delivered": n, "fresh": m}`) after its DB transaction committed. With --crash it SIGKILLs itself
in `after_commit`: the database transaction is committed, the Kafka offset is not.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from typing import Any

import asyncpg

import shared.consumer as consumer_module
from shared import db
from shared.consumer import register_consumer
from shared.events import ANSWER_SUBMITTED
from shared.kafka import make_broker
from shared.metrics import ServiceMetrics
from shared.settings import ServiceSettings


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


async def main(settings: ServiceSettings, crash: bool) -> None:
    pool = await db.create_pool(settings.database_url, settings.db_schema, min_size=1, max_size=2)
    real_apply_batch = consumer_module.apply_batch

    async def traced_apply_batch(pool: asyncpg.Pool, name: str, events: Any, apply: Any) -> Any:
        fresh, result = await real_apply_batch(pool, name, events, apply)
        emit(delivered=len(events), fresh=len(fresh))
        return fresh, result

    consumer_module.apply_batch = traced_apply_batch  # observe deliveries; behaviour unchanged

    async def apply(conn: asyncpg.Connection, events: list[Any]) -> None:
        await conn.executemany(
            "INSERT INTO seen VALUES ($1, 1) ON CONFLICT (attempt_id) DO UPDATE SET n = seen.n + 1",
            [(e.data.attempt_id,) for e in events],
        )

    def after_commit(fresh: list[Any], result: Any) -> None:
        if crash:
            os.kill(os.getpid(), signal.SIGKILL)  # DB committed; the offset commit never happens

    broker = make_broker(settings)
    register_consumer(broker, settings, lambda: pool, ServiceMetrics(settings.service_name),
                      topic=ANSWER_SUBMITTED, name="seen", apply=apply, after_commit=after_commit)
    await broker.start()
    emit(started=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await broker.stop()
    await pool.close()


if __name__ == "__main__":
    asyncio.run(main(ServiceSettings(**json.loads(sys.argv[1])), "--crash" in sys.argv[2:]))
