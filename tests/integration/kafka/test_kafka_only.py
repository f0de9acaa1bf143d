"""Behaviour that only Apache Kafka gives (Tansu cannot pass these): the idempotent producer under
the outbox relay, static group membership, and RF-3 topics refusing writes below
min.insync.replicas while the outbox keeps every submission."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

import shared.outbox
from shared.events import ANSWER_SUBMITTED
from shared.settings import ServiceSettings
from tests.integration.foundation.helpers import outbox_env
from tests.integration.foundation.test_outbox import add_markers, read_until, write_events
from tests.support import wait_for

pytestmark = pytest.mark.skipif(os.environ.get("TEST_BROKER") == "tansu", reason="needs Apache Kafka")


def _capture_producers(monkeypatch: pytest.MonkeyPatch) -> list[AIOKafkaProducer]:
    made: list[AIOKafkaProducer] = []
    real = shared.outbox.make_producer

    def recording(*args: Any, **kw: Any) -> AIOKafkaProducer:
        made.append(real(*args, **kw))
        return made[-1]

    monkeypatch.setattr(shared.outbox, "make_producer", recording)
    return made


async def test_outbox_relay_publishes_with_the_idempotent_producer(ns, monkeypatch):
    producers = _capture_producers(monkeypatch)
    settings = ServiceSettings(**ns.settings_kwargs("obidem"))
    assert settings.kafka_enable_idempotence, "Kafka-grade default: idempotence on"
    async with outbox_env(ns, "obidem") as env:
        relay = env.relay(enable_idempotence=settings.kafka_enable_idempotence, batch_size=50)
        await relay.start()
        try:
            ids = await write_events(env, 0, 120, 4, per_tx=30)
            markers = await add_markers(env, 4)
            await wait_for(env.drained, timeout=30, what="outbox drained")
            records = await read_until(ns.bootstrap, ns.topic(ANSWER_SUBMITTED), set(markers))
        finally:
            await relay.stop()
    # The broker gave the relay a producer id: its batches carry sequence numbers, so a retry after
    # a lost acknowledgement is de-duplicated by the broker instead of written twice.
    assert producers and producers[0]._txn_manager is not None
    assert producers[0]._txn_manager.producer_id >= 0
    seen = [orjson.loads(r.value)["id"] for r in records]
    assert sorted(seen) == sorted(ids + markers), "every event exactly once"


async def test_a_restarted_static_member_takes_back_its_partitions_without_a_rebalance(ns):
    """Two replicas share a 6-partition topic. Replica a stops without leaving (as a crash or a
    SIGKILL does); while it is away b keeps its own partitions only; a restarted with the same
    replica id gets exactly its old partitions back at once, and b's generation does not change."""
    topic = ns.topic(ANSWER_SUBMITTED)
    session_ms = 10_000

    def member(replica: str) -> AIOKafkaConsumer:
        settings = ServiceSettings(**ns.settings_kwargs("static", replica_id=replica))
        return AIOKafkaConsumer(
            topic, bootstrap_servers=ns.bootstrap, group_id=settings.group("static.c"),
            group_instance_id=settings.group_instance_id("static.c"), enable_auto_commit=False,
            auto_offset_reset="earliest", session_timeout_ms=session_ms, heartbeat_interval_ms=1000,
        )

    async def assigned(consumer: AIOKafkaConsumer, n: int) -> set[TopicPartition]:
        async def probe() -> set[TopicPartition] | None:
            await consumer.getmany(timeout_ms=50)
            got = set(consumer.assignment())
            return got if len(got) == n else None

        return await wait_for(probe, timeout=30, interval=0, what=f"{n} partitions assigned")

    a, b = member("a"), member("b")
    await a.start()
    await assigned(a, 6)
    await b.start()
    b_parts = await assigned(b, 3)
    a_parts = await assigned(a, 3)
    assert a_parts.isdisjoint(b_parts)
    b_generation = b._coordinator.generation
    await a.stop()  # a static member sends no LeaveGroup: the group keeps its slot
    try:
        started = time.monotonic()
        again = member("a")
        await again.start()
        try:
            back = await assigned(again, 3)
            rejoin_seconds = time.monotonic() - started
            await b.getmany(timeout_ms=200)
            assert back == a_parts, "the restarted replica got other partitions"
            assert set(b.assignment()) == b_parts, "the other replica's partitions moved"
            assert b._coordinator.generation == b_generation, "the group rebalanced"
            assert rejoin_seconds < session_ms / 1000 / 2, f"rejoin took {rejoin_seconds:.1f}s"
        finally:
            await again.stop()
    finally:
        await b.stop()


async def _topic_settings(bootstrap: str, topic: str) -> tuple[int, str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        async def partitions() -> list[Any]:  # a new topic reaches every broker's metadata shortly after
            (meta,) = await admin.describe_topics([topic])
            return meta["partitions"]

        rf = len((await wait_for(partitions, timeout=15, what=f"{topic} in the metadata"))[0]["replicas"])
        (response,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        entries = response.to_object()["resources"][0]["config_entries"]
        return rf, {e["config_names"]: e["config_value"] for e in entries}["min.insync.replicas"]
    finally:
        await admin.close()


@pytest.mark.timeout(300)
async def test_rf3_topics_refuse_writes_below_min_insync_while_the_outbox_keeps_every_submission(ns3,
                                                                                                 kafka_cluster3):
    cluster = kafka_cluster3
    topic = ns3.topic(ANSWER_SUBMITTED)
    probe_topic = ns3.topic("initiatives.judge-scored.v1")
    assert await _topic_settings(ns3.bootstrap, topic) == (3, "2")
    async with outbox_env(ns3, "obrf3") as env:
        relay = env.relay(enable_idempotence=True, batch_size=50)
        await relay.start()
        try:
            before = await write_events(env, 0, 40, 4, per_tx=10)
            await wait_for(env.drained, timeout=30, what="outbox drained with 3 brokers")
            # One broker down (a rolling restart): RF − 1 = 2 in sync, writes still accepted.
            cluster.stop_node(3)
            during_one = await write_events(env, 40, 40, 4, per_tx=10)
            await wait_for(env.drained, timeout=60, what="outbox drained with 2 of 3 brokers")
            # Two down: below min.insync.replicas, no acks=all write is acknowledged ...
            probe = AIOKafkaProducer(bootstrap_servers=ns3.bootstrap, acks="all", enable_idempotence=True,
                                     request_timeout_ms=3000)
            await probe.start()
            cluster.kill(2)
            write = asyncio.ensure_future(probe.send_and_wait(probe_topic, b"probe", partition=0))
            done, _ = await asyncio.wait([write], timeout=8)  # the probe's deadline, not a sync sleep
            assert not done or write.exception() is not None, "an acks=all write was accepted by 1 of 3"
            # ... yet every submission is kept: committed to the outbox, none marked published.
            during_two = await write_events(env, 80, 60, 4, per_tx=20)
            assert await env.pending() >= 60
            cluster.start_node(2, wait=False)
            cluster.start_node(3, wait=False)
            cluster.wait_ready(timeout=120, create_topic=False)
            await asyncio.wait_for(probe.stop(), 60)  # the refused write goes through now
            markers = await add_markers(env, 4)
            await wait_for(env.drained, timeout=120, what="outbox drained once the brokers are back")
            records = await read_until(ns3.bootstrap, topic, set(markers), timeout=60)
        finally:
            await relay.stop()
    published = {orjson.loads(r.value)["id"] for r in records}
    missing = set(before + during_one + during_two + markers) - published
    assert not missing, f"{len(missing)} submissions never published"
