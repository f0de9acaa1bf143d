"""`make run BROKER=kafka`: the whole system on a single-node Apache Kafka whose data survives a restart."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.events import all_topics
from tests.e2e.stack import run_dir, start_stack
from tools.kafka import version

pytestmark = pytest.mark.timeout(300)


async def _broker_facts(bootstrap: str) -> tuple[dict[str, str], dict[str, int], dict[str, dict[int, int]]]:
    """(broker configs via DescribeConfigs, end offset sum per topic, committed offsets per group)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        (response,) = await admin.describe_configs([ConfigResource(ConfigResourceType.BROKER, "1")])
        entries = response.to_object()["resources"][0]["config_entries"]
        configs = {e["config_names"]: e["config_value"] for e in entries}
        tps = [TopicPartition(t, p) for t, n in all_topics().items() for p in range(n)]
        ends = await consumer.end_offsets(tps)
        per_topic: dict[str, int] = {}
        for tp, end in ends.items():
            per_topic[tp.topic] = per_topic.get(tp.topic, 0) + end
        groups = {}
        for group_id, _ in await admin.list_consumer_groups():
            offsets = await admin.list_consumer_group_offsets(group_id)
            groups[group_id] = {tp.partition: meta.offset for tp, meta in offsets.items()}
        return configs, per_topic, groups
    finally:
        await consumer.stop()
        await admin.close()


def test_make_run_on_kafka_keeps_its_data_across_a_restart():
    with run_dir("run-kafka-") as path:
        first = start_stack(path, timeout=180, broker="kafka")
        try:
            text = "\n".join(first.output)
            assert f"Apache Kafka {version()}, KRaft" in text, text
            for name in first.ports:
                assert httpx.get(f"{first.url(name)}/readyz", timeout=5).status_code == 200, name
            bootstrap = next(line.split()[-1] for line in first.output if "broker (Apache Kafka" in line)
            configs, ends_before, groups_before = asyncio.run(_broker_facts(bootstrap))
        finally:
            assert first.stop() == 0, "\n".join(first.output[-20:])
        # A KRaft combined node answers DescribeConfigs with the settings of shared/broker_config.py.
        assert configs["process.roles"] == "broker,controller"
        assert configs["auto.create.topics.enable"] == "false"
        assert configs["group.initial.rebalance.delay.ms"] == "0"
        assert sum(ends_before.values()) > 0, "the demo data published no events"
        assert groups_before, "no consumer group committed offsets"

        second = start_stack(path, timeout=180, broker="kafka")
        try:
            assert any(f"{bootstrap}" in line for line in second.output), "the broker's ports changed"
            _, ends_after, groups_after = asyncio.run(_broker_facts(bootstrap))
        finally:
            assert second.stop() == 0
    for topic, end in ends_before.items():
        assert ends_after[topic] >= end, f"{topic} lost records across the restart"
    for group, offsets in groups_before.items():
        for partition, offset in offsets.items():
            assert groups_after[group].get(partition, -1) >= offset, f"{group} lost its committed offsets"
