"""Shared bits of the foundation integration tests: sample events, a schema with an outbox, a relay."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from shared import db
from shared.events import ANSWER_SUBMITTED, AnswerSubmitted, decode_event
from shared.metrics import ServiceMetrics
from shared.outbox import Outbox, OutboxRelay

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
_SAMPLE = decode_event(ANSWER_SUBMITTED, (FIXTURES / "quiz.answer-submitted.v1.example.json").read_bytes())


def answer(attempt: str, participant: str = "p-1", score: float = 90.0) -> AnswerSubmitted:
    return _SAMPLE.data.model_copy(
        update={"attempt_id": attempt, "participant_id": participant, "score": score}
    )


@dataclass
class OutboxEnv:
    schema: str
    pool: asyncpg.Pool
    outbox: Outbox
    metrics: ServiceMetrics
    dsn: str
    bootstrap: str

    def relay(self, **kw: Any) -> OutboxRelay:
        kw.setdefault("poll_seconds", 0.2)
        return OutboxRelay(dsn=self.dsn, schema=self.schema, bootstrap_servers=self.bootstrap,
                           metrics=self.metrics, **kw)

    async def pending(self) -> int:
        return await self.pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")

    async def drained(self) -> bool:
        return await self.pending() == 0


@contextlib.asynccontextmanager
async def outbox_env(ns: Any, service: str, extra_migrations: Path | None = None) -> AsyncIterator[OutboxEnv]:
    schema = ns.schema(service)
    dirs = [db.SHARED_MIGRATIONS] + ([extra_migrations] if extra_migrations else [])
    await db.migrate(ns.database_url, schema, dirs)
    pool = await db.create_pool(ns.database_url, schema, min_size=1, max_size=4)
    try:
        yield OutboxEnv(schema, pool, Outbox(source=f"/services/{service}", topic_prefix=ns.topic_prefix),
                        ServiceMetrics(service), ns.database_url, ns.bootstrap)
    finally:
        await pool.close()


def write_migration(folder: Path, name: str, sql: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(sql, encoding="utf-8")
    return folder


def metric(metrics: ServiceMetrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return value or 0.0
