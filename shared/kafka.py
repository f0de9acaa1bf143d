"""Kafka helpers: the faststream broker, a raw producer for the outbox relay, topic creation.

Every difference between the dev broker (Tansu) and Apache Kafka stays behind settings
(../shared/BROKER.md): idempotence is a setting (on for Kafka), offsets reset to `earliest`, topics
are created explicitly with their partition counts, replication and min.insync.replicas.
"""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry

from shared import broker_config
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)


def make_broker(settings: ServiceSettings, registry: CollectorRegistry | None = None) -> KafkaBroker:
    middlewares = []
    if registry is not None:
        # faststream's own message metrics (received/published/processed, durations, sizes).
        middlewares.append(KafkaPrometheusMiddleware(registry=registry, app_name=settings.service_name))
    return KafkaBroker(
        # A list: faststream hands a string to aiokafka as ONE host, so "a:9092,b:9092" (every
        # multi-broker cluster, deploy/ included) would fail to bootstrap.
        bootstrap_list(settings.kafka_bootstrap_servers),
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        client_id=settings.service_name,
        middlewares=middlewares,
        logger=logging.getLogger(f"{settings.service_name}.kafka"),
        log_level=logging.DEBUG,  # per-message logs are too chatty at INFO on a quiz day
        graceful_timeout=10.0,
    )


def bootstrap_list(servers: str) -> list[str]:
    return [s.strip() for s in servers.split(",") if s.strip()]


def make_producer(bootstrap_servers: str, *, enable_idempotence: bool, client_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        enable_idempotence=enable_idempotence,
        client_id=client_id,
        linger_ms=5,
        max_batch_size=256 * 1024,
        request_timeout_ms=30_000,
    )


async def create_topics(bootstrap_servers: str, topics: dict[str, int], replication_factor: int | None = None) -> None:
    """Create topics with their partition counts; existing ones are left as they are.

    Replication is min(3, brokers in the cluster) with min.insync.replicas = RF − 1 (at least 1),
    from shared/broker_config.py, the same values deploy/ uses.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="topic-setup")
    await admin.start()
    try:
        if replication_factor is None:
            cluster = await admin.describe_cluster()
            replication_factor = broker_config.replication_factor(len(cluster["brokers"]))
        config = broker_config.topic_config(replication_factor)
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name, num_partitions=n, replication_factor=replication_factor, topic_configs=config)
            for name, n in topics.items()
            if name not in existing
        ]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # another process created them concurrently
    finally:
        await admin.close()
