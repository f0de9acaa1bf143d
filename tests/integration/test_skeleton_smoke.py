"""The service skeleton end to end: outbox → broker → idempotent consumer, health and errors."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from shared.consumer import register_consumer
from shared.events import ANSWER_SUBMITTED, AnswerSubmitted, decode_event
from shared.service import ServiceSpec, build_app
from shared.settings import ServiceSettings
from tests.support import read_topic, running, wait_consumers_ready, wait_for


def sample_payload(attempt: str) -> AnswerSubmitted:
    raw = (Path(__file__).resolve().parents[1] / "fixtures" / "quiz.answer-submitted.v1.example.json").read_bytes()
    event = decode_event(ANSWER_SUBMITTED, raw)
    return event.data.model_copy(update={"attempt_id": attempt})


async def test_outbox_to_consumer_round_trip(ns, tmp_path):
    await _round_trip(ns, tmp_path)


async def test_outbox_to_consumer_round_trip_on_the_embedded_dev_broker(tansu_ns, tmp_path):
    """The Tansu smoke: what `make run` gives a newcomer without Java still works end to end."""
    await _round_trip(tansu_ns, tmp_path)


async def test_outbox_to_consumer_round_trip_on_a_three_broker_cluster(ns3, tmp_path):
    """A bootstrap list of several brokers (as every production cluster has) reaches the consumer."""
    assert ns3.bootstrap.count(",") == 2
    await _round_trip(ns3, tmp_path)


async def _round_trip(ns, tmp_path):
    mig = tmp_path / "svc" / "migrations"
    mig.mkdir(parents=True)
    (mig / "001_seen.sql").write_text("CREATE TABLE seen (attempt_id text PRIMARY KEY, n int NOT NULL);")
    applied: list[str] = []

    async def apply(conn: asyncpg.Connection, events):
        for e in events:
            await conn.execute(
                "INSERT INTO seen VALUES ($1, 1) ON CONFLICT (attempt_id) DO UPDATE SET n = seen.n + 1",
                e.data.attempt_id,
            )
            applied.append(e.data.attempt_id)

    settings = ServiceSettings(**ns.settings_kwargs("smoke"))

    def consumers(rt):
        register_consumer(rt.broker, rt.settings, lambda: rt.pool, rt.metrics, topic=ANSWER_SUBMITTED,
                          name="smoke", apply=apply)

    app = build_app(settings, ServiceSpec(title="smoke", description="", migrations=mig,
                                          register_consumers=consumers))
    async with running(app) as client:
        await wait_consumers_ready(app)
        rt = app.state.runtime
        async with rt.pool.acquire() as conn, conn.transaction():
            for i in range(5):
                await rt.outbox.add(conn, ANSWER_SUBMITTED, sample_payload(f"a-{i}"))
        await wait_for(lambda: len(applied) >= 5, what="5 events applied")
        recs = await read_topic(ns.bootstrap, ns.topic(ANSWER_SUBMITTED), count=5)
        assert len(recs) == 5
        assert (await client.get("/healthz")).status_code == 200
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        missing = await client.get("/nope")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
        metrics = (await client.get("/metrics")).text
        assert 'smoke_events_consumed_total{outcome="applied"' in metrics
