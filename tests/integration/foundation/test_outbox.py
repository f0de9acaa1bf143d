"""Transactional outbox (shared/outbox.py) against the real broker and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from typing import Any

import asyncpg
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

import shared.outbox
from shared.consumer import register_consumer
from shared.events import ANSWER_SUBMITTED, dlq_topic
from shared.service import ServiceSpec, build_app
from shared.settings import ServiceSettings
from tests.integration.foundation.helpers import answer, metric, outbox_env, write_migration
from tests.support import read_topic, running, wait_consumers_ready, wait_for

OUTAGE_SECONDS = 8.0  # the broker-outage drill: SIGSTOP for this long (the brief caps it at 10 s)


def by_key(records: list[Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        out[r.key.decode()].append(orjson.loads(r.value))
    return out


def seq(body: dict[str, Any]) -> int:
    return int(body["data"]["attempt_id"].split("-")[1])


async def write_events(env: Any, start: int, count: int, keys: int, per_tx: int) -> list[str]:
    """Commit `count` events (attempt a-<n>, participant p-<n % keys>) in transactions of `per_tx`."""
    ids: list[str] = []
    for first in range(start, start + count, per_tx):
        async with env.pool.acquire() as conn, conn.transaction():
            for n in range(first, min(first + per_tx, start + count)):
                event = await env.outbox.add(conn, ANSWER_SUBMITTED, answer(f"a-{n:05d}", f"p-{n % keys}"))
                ids.append(event.id)
    return ids


async def add_markers(env: Any, keys: int) -> list[str]:
    """One last event per key: once every marker is on the topic, everything before it is too."""
    async with env.pool.acquire() as conn, conn.transaction():
        events = await env.outbox.add_many(
            conn, ANSWER_SUBMITTED, [answer(f"m-{k}", f"p-{k}") for k in range(keys)]
        )
    return [e.id for e in events]


async def read_until(bootstrap: str, topic: str, ids: set[str], timeout: float = 30.0) -> list[Any]:
    """Read `topic` from the start until every event id in `ids` (the per-key markers) was seen."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)
    await consumer.start()
    records: list[Any] = []
    try:
        async def all_seen() -> bool:
            batch = await consumer.getmany(timeout_ms=100)
            records.extend(r for rs in batch.values() for r in rs)
            return ids <= {orjson.loads(r.value)["id"] for r in records}

        await wait_for(all_seen, timeout=timeout, interval=0, what="every marker on the topic")
    finally:
        await consumer.stop()
    return records


def assert_exactly_once_in_order(records: list[Any], ids: list[str], markers: list[str]) -> None:
    got = [orjson.loads(r.value)["id"] for r in records]
    assert len(got) == len(set(got)), f"{len(got) - len(set(got))} duplicate(s) on the topic"
    assert set(got) == set(ids) | set(markers), "events missing from the topic"
    partitions: dict[str, set[int]] = defaultdict(set)
    for r in records:
        partitions[r.key.decode()].add(r.partition)
        assert ("content-type", b"application/cloudevents+json") in list(r.headers)
    assert all(len(p) == 1 for p in partitions.values()), "a key spread over several partitions"
    for key, bodies in by_key(records).items():
        assert bodies[-1]["data"]["attempt_id"].startswith("m-"), f"marker of {key} not last"
        numbers = [seq(b) for b in bodies[:-1]]
        assert numbers == sorted(numbers), f"per-key order broken for {key}: {numbers}"
        assert all(b["subject"] == key == b["data"]["participant_id"] for b in bodies)


async def test_committed_events_reach_the_topic_in_order_per_key(ns):
    keys = 7
    async with outbox_env(ns, "obx") as env:
        relay = env.relay(batch_size=50)  # several batches per drain
        await relay.start()
        try:
            ids = await write_events(env, 0, 150, keys, per_tx=1)  # one-event transactions
            ids += await write_events(env, 150, 250, keys, per_tx=125)  # and two big ones
            markers = await add_markers(env, keys)
            records = await read_topic(ns.bootstrap, ns.topic(ANSWER_SUBMITTED), count=400 + keys, timeout=30)
            assert_exactly_once_in_order(records, ids, markers)
            await wait_for(env.drained, what="every row marked published")
            published = metric(env.metrics, "obx_outbox_published_total", topic=ns.topic(ANSWER_SUBMITTED))
            assert published == 400 + keys
            assert relay.is_leader
        finally:
            await relay.stop()


async def test_rolled_back_transaction_publishes_nothing(ns):
    async with outbox_env(ns, "obrb") as env:
        relay = env.relay()
        await relay.start()
        try:
            with pytest.raises(RuntimeError, match="domain check failed"):
                async with env.pool.acquire() as conn, conn.transaction():
                    for n in range(10):
                        await env.outbox.add(conn, ANSWER_SUBMITTED, answer(f"a-{n}", "p-same"))
                    raise RuntimeError("domain check failed")
            async with env.pool.acquire() as conn:  # a savepoint rolled back inside a committed transaction
                async with conn.transaction():
                    with contextlib.suppress(asyncpg.UniqueViolationError):
                        async with conn.transaction():
                            await env.outbox.add(conn, ANSWER_SUBMITTED, answer("a-sp", "p-same"))
                            await conn.execute(
                                "CREATE TEMP TABLE u (x int PRIMARY KEY); INSERT INTO u VALUES (1), (1)"
                            )
                    marker = await env.outbox.add(conn, ANSWER_SUBMITTED, answer("marker", "p-same"))
            # Same key → same partition, published in id order: a leaked event would come first.
            (first,) = await read_topic(ns.bootstrap, ns.topic(ANSWER_SUBMITTED), count=1)
            assert orjson.loads(first.value)["id"] == marker.id
            await wait_for(env.drained, what="marker marked published")
            assert await env.pool.fetchval("SELECT count(*) FROM outbox") == 1
        finally:
            await relay.stop()


async def test_dead_letters_queued_in_a_transaction_carry_their_headers(ns):
    async with outbox_env(ns, "obdl") as env:
        relay = env.relay()
        await relay.start()
        try:
            async with env.pool.acquire() as conn, conn.transaction():
                await env.outbox.add_dead_letters(conn, ANSWER_SUBMITTED, [
                    (b"k1", b"original bytes", {"dlq-error": "sai định dạng", "dlq-source-topic": "t"}),
                ])
            with pytest.raises(RuntimeError):  # rolled back: its dead letter must not appear
                async with env.pool.acquire() as conn, conn.transaction():
                    await env.outbox.add_dead_letters(conn, ANSWER_SUBMITTED, [(b"k1", b"rolled back", {})])
                    raise RuntimeError
            async with env.pool.acquire() as conn, conn.transaction():
                await env.outbox.add_dead_letters(conn, ANSWER_SUBMITTED, [(b"k1", b"marker", {})])
            records = await read_topic(ns.bootstrap, ns.topic(dlq_topic(ANSWER_SUBMITTED)), count=2)
            assert [r.value for r in records] == [b"original bytes", b"marker"]
            headers = dict(records[0].headers)
            assert headers["dlq-error"].decode() == "sai định dạng" and records[0].key == b"k1"
            assert headers["content-type"] == b"application/cloudevents+json"
        finally:
            await relay.stop()


async def test_relay_catches_up_after_a_broker_outage(ns, kafka_broker):
    if kafka_broker is None:
        pytest.skip("TEST_KAFKA_BOOTSTRAP is set: the external broker cannot be paused from here")
    keys = 5
    async with outbox_env(ns, "obout") as env:
        relay = env.relay(batch_size=40)
        await relay.start()
        try:
            before = await write_events(env, 0, 30, keys, per_tx=10)
            await read_topic(ns.bootstrap, ns.topic(ANSWER_SUBMITTED), count=30)  # relay is connected
            kafka_broker.pause()
            try:
                during = await write_events(env, 30, 120, keys, per_tx=20)
                # The outage itself (a duration, not a synchronisation): nothing may be marked as
                # published while the broker cannot acknowledge.
                await asyncio.sleep(OUTAGE_SECONDS)
                assert await env.pending() == 120
            finally:
                kafka_broker.resume()
            after = await write_events(env, 150, 30, keys, per_tx=10)
            markers = await add_markers(env, keys)
            await wait_for(env.drained, timeout=60, what="relay drained after the outage")
            records = await read_topic(ns.bootstrap, ns.topic(ANSWER_SUBMITTED), count=180 + keys, timeout=30)
            assert_exactly_once_in_order(records, before + during + after, markers)
        finally:
            await relay.stop()


class _CrashBeforeMark:
    """The relay's connection, except that the process 'dies' right before marking rows sent."""

    def __init__(self, conn: asyncpg.Connection, crashed: asyncio.Event) -> None:
        self._conn, self._crashed = conn, crashed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    async def execute(self, sql: str, *args: Any, **kw: Any) -> Any:
        if sql.lstrip().startswith("UPDATE outbox SET published_at"):
            self._crashed.set()
            raise asyncio.CancelledError  # the relay task ends here, like a killed process
        return await self._conn.execute(sql, *args, **kw)


async def test_relay_killed_between_publish_and_mark_republishes_and_consumer_dedupes(
    ns, tmp_path, monkeypatch
):
    n = 25
    mig = write_migration(tmp_path / "rekill" / "migrations", "001_seen.sql",
                          "CREATE TABLE seen (attempt_id text PRIMARY KEY, n int NOT NULL);")
    async with outbox_env(ns, "rekill", mig) as env:
        ids = await write_events(env, 0, n, 4, per_tx=n)

        # 1. A relay publishes the batch, the broker acknowledges, and the relay dies before marking.
        crashed = asyncio.Event()
        real_connect = shared.outbox.db.connect

        async def connect(*a: Any, **kw: Any) -> Any:
            return _CrashBeforeMark(await real_connect(*a, **kw), crashed)

        with monkeypatch.context() as m:
            m.setattr(shared.outbox.db, "connect", connect)
            doomed = env.relay()
            await doomed.start()
            await asyncio.wait_for(crashed.wait(), 30)
            await wait_for(lambda: doomed._task is not None and doomed._task.done(), what="relay task ended")
            await doomed.stop()
        first = await read_topic(ns.bootstrap, ns.topic(ANSWER_SUBMITTED), count=n)
        assert sorted(orjson.loads(r.value)["id"] for r in first) == sorted(ids)
        assert await env.pending() == n  # acknowledged by the broker, never marked

        # 2. The service restarts (build_app's relay on the same schema) with an idempotent consumer.
        async def apply(conn: asyncpg.Connection, events: list[Any]) -> None:
            await conn.executemany(
                "INSERT INTO seen VALUES ($1, 1) ON CONFLICT (attempt_id) DO UPDATE SET n = seen.n + 1",
                [(e.data.attempt_id,) for e in events],
            )

        settings = ServiceSettings(**ns.settings_kwargs("rekill"))

        def consumers(rt: Any) -> None:
            register_consumer(rt.broker, rt.settings, lambda: rt.pool, rt.metrics, topic=ANSWER_SUBMITTED,
                              name="seen", apply=apply)

        app = build_app(settings, ServiceSpec(title="rekill", description="", migrations=mig,
                                              register_consumers=consumers))
        async with running(app):
            await wait_consumers_ready(app)
            rt = app.state.runtime
            await wait_for(env.drained, what="re-published rows marked")
            every = await read_topic(ns.bootstrap, ns.topic(ANSWER_SUBMITTED), count=2 * n)
            assert sorted(orjson.loads(r.value)["id"] for r in every) == sorted(ids * 2)  # really twice

            def consumed() -> float:
                labels = {"topic": ANSWER_SUBMITTED}
                return (metric(rt.metrics, "rekill_events_consumed_total", outcome="applied", **labels)
                        + metric(rt.metrics, "rekill_events_consumed_total", outcome="duplicate", **labels))

            await wait_for(lambda: consumed() >= 2 * n, what="consumer saw both copies")
            labels = {"topic": ANSWER_SUBMITTED, "outcome": "applied"}
            assert metric(rt.metrics, "rekill_events_consumed_total", **labels) == n
            rows = await rt.pool.fetch("SELECT attempt_id, n FROM seen")
            assert len(rows) == n and all(r["n"] == 1 for r in rows)
            assert await rt.pool.fetchval("SELECT count(*) FROM processed_events") == n


async def test_relay_retries_with_backoff_through_an_outage_longer_than_its_timeout(
    ns, kafka_broker, monkeypatch
):
    """A producer timeout shorter than the outage: publishing fails, the relay backs off, reconnects
    and publishes everything afterwards. Timed-out sends may have reached the broker, so copies are
    allowed here (at-least-once; consumers de-duplicate) — losses and per-key reordering are not."""
    if kafka_broker is None:
        pytest.skip("TEST_KAFKA_BOOTSTRAP is set: the external broker cannot be paused from here")
    def impatient_producer(bootstrap_servers: str, *, enable_idempotence: bool, client_id: str) -> Any:
        return AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all", client_id=client_id,
                                enable_idempotence=enable_idempotence, request_timeout_ms=1000,
                                metadata_max_age_ms=1000)

    monkeypatch.setattr(shared.outbox, "make_producer", impatient_producer)
    keys = 3
    async with outbox_env(ns, "obretry") as env:
        relay = env.relay(batch_size=20)
        await relay.start()
        try:
            before = await write_events(env, 0, 10, keys, per_tx=10)
            await read_topic(ns.bootstrap, ns.topic(ANSWER_SUBMITTED), count=10)
            kafka_broker.pause()
            try:
                during = await write_events(env, 10, 40, keys, per_tx=10)
                errors = "obretry_outbox_publish_errors_total"
                await wait_for(lambda: metric(env.metrics, errors) >= 2, timeout=OUTAGE_SECONDS,
                               what="the relay failing and retrying while the broker is away")
                assert await env.pending() == 40
            finally:
                kafka_broker.resume()
            markers = await add_markers(env, keys)
            await wait_for(env.drained, timeout=60, what="relay drained after the outage")
            records = await read_until(ns.bootstrap, ns.topic(ANSWER_SUBMITTED), set(markers))
            got = [orjson.loads(r.value)["id"] for r in records]
            assert set(got) == set(before + during + markers), "events lost"
            for key, bodies in by_key(records).items():
                firsts: dict[str, int] = {}
                for b in bodies:
                    if not b["data"]["attempt_id"].startswith("m-"):
                        firsts.setdefault(b["id"], seq(b))
                assert list(firsts.values()) == sorted(firsts.values()), f"per-key order broken for {key}"
            print(f"copies on the topic after the retry: {len(got) - len(set(got))}")
        finally:
            await relay.stop()
