"""Idempotent consumer (shared/consumer.py): duplicates, crash between commits, poison messages."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer

from shared import db
from shared.consumer import register_consumer
from shared.events import ANSWER_SUBMITTED, encode_event, new_event
from shared.service import Runtime, ServiceSpec, build_app
from shared.settings import ServiceSettings
from tests.integration.foundation.helpers import answer, metric, write_migration
from tests.support import read_topic, running, wait_consumers_ready, wait_for

ROOT = Path(__file__).resolve().parents[3]
SEEN_SQL = "CREATE TABLE seen (attempt_id text PRIMARY KEY, n int NOT NULL);"


def event_bytes(attempt: str, participant: str = "p-1") -> tuple[bytes, bytes]:
    event = new_event(ANSWER_SUBMITTED, "/services/quiz", answer(attempt, participant))
    return participant.encode(), encode_event(event)


async def send(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]],
               headers: list[tuple[str, bytes]] | None = None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in messages:
            await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


@contextlib.asynccontextmanager
async def consumer_app(ns: Any, tmp_path: Path, service: str, fail_first: int = 0) -> AsyncIterator[Runtime]:
    """A service whose one consumer counts applications per attempt in `seen`."""
    mig = write_migration(tmp_path / service / "migrations", "001_seen.sql", SEEN_SQL)
    failures = {"left": fail_first}

    async def apply(conn: asyncpg.Connection, events: list[Any]) -> None:
        await conn.executemany(
            "INSERT INTO seen VALUES ($1, 1) ON CONFLICT (attempt_id) DO UPDATE SET n = seen.n + 1",
            [(e.data.attempt_id,) for e in events],
        )
        if failures["left"] > 0:  # after writing: the rollback must undo it
            failures["left"] -= 1
            raise RuntimeError("transient failure inside the transaction")

    settings = ServiceSettings(**ns.settings_kwargs(service))

    def consumers(rt: Runtime) -> None:
        register_consumer(rt.broker, rt.settings, lambda: rt.pool, rt.metrics, topic=ANSWER_SUBMITTED,
                          name="seen", apply=apply)

    app = build_app(settings, ServiceSpec(title=service, description="", migrations=mig,
                                          register_consumers=consumers, with_relay=False))
    async with running(app):
        await wait_consumers_ready(app)
        yield app.state.runtime


async def seen(rt: Runtime) -> dict[str, int]:
    return {r["attempt_id"]: r["n"] for r in await rt.pool.fetch("SELECT attempt_id, n FROM seen")}


async def wait_seen(rt: Runtime, attempt: str) -> None:
    async def probe() -> bool:
        return attempt in await seen(rt)

    await wait_for(probe, what=f"{attempt} applied")


def consumed(rt: Runtime, outcome: str) -> float:
    name = f"{rt.settings.service_name}_events_consumed_total"
    return metric(rt.metrics, name, topic=ANSWER_SUBMITTED, outcome=outcome)


async def test_same_event_delivered_twice_changes_state_once(ns, tmp_path):
    topic = ns.topic(ANSWER_SUBMITTED)
    async with consumer_app(ns, tmp_path, "dup") as rt:
        once = event_bytes("a-dup")
        # twice in one batch, then once more in a later batch, then an equal copy re-keyed
        await send(ns.bootstrap, topic, [once, once, event_bytes("marker-1")])
        await wait_seen(rt, "marker-1")
        await send(ns.bootstrap, topic, [once, event_bytes("marker-2")])
        await wait_seen(rt, "marker-2")
        await send(ns.bootstrap, topic, [(b"other-key", once[1]), event_bytes("marker-3", "p-2")])
        await wait_seen(rt, "marker-3")
        assert await seen(rt) == {"a-dup": 1, "marker-1": 1, "marker-2": 1, "marker-3": 1}
        assert consumed(rt, "applied") == 4
        assert consumed(rt, "duplicate") == 3
        assert await rt.pool.fetchval("SELECT count(*) FROM processed_events") == 4


async def test_failed_batch_is_rolled_back_and_redelivered_once(ns, tmp_path):
    topic = ns.topic(ANSWER_SUBMITTED)
    async with consumer_app(ns, tmp_path, "retry", fail_first=1) as rt:
        await send(ns.bootstrap, topic, [event_bytes(f"a-{i}", f"p-{i % 3}") for i in range(6)])
        await wait_for(lambda: consumed(rt, "applied") >= 6, what="6 events applied after the retry")
        assert await seen(rt) == {f"a-{i}": 1 for i in range(6)}
        assert await rt.pool.fetchval("SELECT count(*) FROM processed_events") == 6


async def test_poison_messages_go_to_the_dlq_and_consumption_continues(ns, tmp_path):
    topic, dlq = ns.topic(ANSWER_SUBMITTED), ns.topic(ANSWER_SUBMITTED + ".dlq")
    not_json = b'{"specversion": "1.0", "id": '
    wrong_schema = orjson.loads(event_bytes("a-bad")[1])
    del wrong_schema["data"]["participant_id"]
    wrong_schema["data"]["correct"] = "18"
    schema_error = orjson.dumps(wrong_schema)
    async with consumer_app(ns, tmp_path, "poison") as rt:
        await send(ns.bootstrap, topic, [(b"p-1", not_json), (b"p-1", schema_error)],
                   headers=[("trace-id", b"abc-123")])
        await send(ns.bootstrap, topic, [event_bytes("a-good-1")])
        await wait_seen(rt, "a-good-1")
        # a later poison message, alone in its batch, then a good one after it
        await send(ns.bootstrap, topic, [(b"p-1", b"\xff\xfe not utf-8")])
        await send(ns.bootstrap, topic, [event_bytes("a-good-2")])
        await wait_seen(rt, "a-good-2")
        assert await seen(rt) == {"a-good-1": 1, "a-good-2": 1}

        dead = await read_topic(ns.bootstrap, dlq, count=3)
        assert [r.value for r in dead] == [not_json, schema_error, b"\xff\xfe not utf-8"]
        for r in dead:
            headers = {k: v.decode() for k, v in r.headers}
            assert headers["dlq-error"], headers
            assert headers["dlq-source-topic"] == topic
            assert r.key == b"p-1"
        first, second, _ = ({k: v.decode() for k, v in r.headers} for r in dead)
        assert "json" in first["dlq-error"].lower()
        assert "data.participant_id" in second["dlq-error"] and "data.correct" in second["dlq-error"]
        assert first["trace-id"] == second["trace-id"] == "abc-123"  # original headers kept
        assert int(second["dlq-source-offset"]) == int(first["dlq-source-offset"]) + 1
        assert metric(rt.metrics, "poison_dlq_messages_total", topic=ANSWER_SUBMITTED) == 3
        assert consumed(rt, "dead_lettered") == 3


async def _lines(proc: asyncio.subprocess.Process, sink: list[dict[str, Any]]) -> None:
    assert proc.stdout is not None
    async for line in proc.stdout:
        with contextlib.suppress(ValueError):
            sink.append(json.loads(line))


async def test_consumer_killed_after_db_commit_before_kafka_commit_does_not_double_apply(ns, tmp_path):
    n = 12
    schema = ns.schema("crashy")
    mig = write_migration(tmp_path / "crashy" / "migrations", "001.sql", SEEN_SQL)
    await db.migrate(ns.database_url, schema, [db.SHARED_MIGRATIONS, mig])
    settings = json.dumps({
        "service_name": "crashy", "environment": "test", "database_url": ns.database_url, "db_schema": schema,
        "kafka_bootstrap_servers": ns.bootstrap, "topic_prefix": ns.topic_prefix,
        "kafka_session_timeout_ms": 3000, "kafka_heartbeat_interval_ms": 500, "CONTEST_ADMIN_TOKEN": ns.admin_token,
    })
    messages = [event_bytes(f"a-{i}", f"p-{i % 4}") for i in range(n)]
    await send(ns.bootstrap, ns.topic(ANSWER_SUBMITTED), messages)

    async def run(*flags: str) -> tuple[asyncio.subprocess.Process, list[dict[str, Any]], asyncio.Task[None]]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.integration.foundation.consumer_crash", settings, *flags, cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        )
        out: list[dict[str, Any]] = []
        return proc, out, asyncio.create_task(_lines(proc, out))

    conn = await db.connect(ns.database_url, schema)
    try:
        # 1. First run: applies a batch, commits it in PostgreSQL, dies before the offset commit.
        proc, out, reader = await run("--crash")
        assert await asyncio.wait_for(proc.wait(), 60) == -9
        await reader
        batches = [o for o in out if "delivered" in o]
        assert len(batches) == 1 and batches[0]["fresh"] > 0, out
        applied_first = await conn.fetchval("SELECT count(*) FROM seen")
        assert applied_first == batches[0]["fresh"]

        # 2. Restart: Kafka redelivers from the last committed offset (none), the DB says "seen".
        proc, out, reader = await run()
        try:
            async def caught_up() -> bool:
                return sum(o.get("delivered", 0) for o in out) >= n and await conn.fetchval(
                    "SELECT count(*) FROM seen") == n

            await wait_for(caught_up, timeout=60, what="restarted consumer caught up")
            redelivered = sum(o.get("delivered", 0) for o in out)
            fresh = sum(o.get("fresh", 0) for o in out)
            assert redelivered >= n  # the already-applied events really came again
            assert fresh == n - applied_first  # ...and only the others were applied
            rows = await conn.fetch("SELECT attempt_id, n FROM seen")
            assert {r["attempt_id"] for r in rows} == {f"a-{i}" for i in range(n)}
            assert all(r["n"] == 1 for r in rows), [dict(r) for r in rows if r["n"] != 1]
            assert await conn.fetchval("SELECT count(*) FROM processed_events") == n
        finally:
            if proc.returncode is None:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 15)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
            await reader
    finally:
        await conn.close()
        await db.drop_schema(ns.database_url, schema)
