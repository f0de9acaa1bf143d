"""Idempotent, batch-applying Kafka consumers with a dead-letter topic.

For each batch: decode every record (poison → `<topic>.dlq` with the error and the original
bytes), then in ONE database transaction record the event keys in `processed_events` and apply
only the events not seen before. The subscriber's ack policy is NACK_ON_ERROR with manual offset
commits: the offset is committed only after that transaction committed; on any error the batch
is rewound and redelivered, and the dedupe record makes redelivery harmless.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
from faststream import AckPolicy, Context
from faststream.kafka import KafkaBroker

from shared.events import CloudEvent, EventDecodeError, decode_event, dlq_topic
from shared.metrics import ServiceMetrics
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)

Apply = Callable[[asyncpg.Connection, list[CloudEvent[Any]]], Awaitable[Any]]
AfterCommit = Callable[[list[CloudEvent[Any]], Any], Awaitable[None] | None]


async def _raw_body(msg: Any) -> Any:
    # Keep the bytes: decoding happens per record so one poison message cannot sink a batch.
    return msg.body


async def apply_batch(
    pool: asyncpg.Pool, consumer: str, events: Sequence[CloudEvent[Any]], apply: Apply
) -> tuple[list[CloudEvent[Any]], Any]:
    """Record and apply the not-yet-seen `events` in one transaction; return (fresh events, result)."""
    unique: dict[str, CloudEvent[Any]] = {}
    for e in events:
        unique.setdefault(e.dedupe_key, e)
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "INSERT INTO processed_events (consumer, event_key) SELECT $1, unnest($2::text[])"
            " ON CONFLICT DO NOTHING RETURNING event_key",
            consumer, list(unique),
        )
        new_keys = {r["event_key"] for r in rows}
        fresh = [e for k, e in unique.items() if k in new_keys]
        result = await apply(conn, fresh) if fresh else None
    return fresh, result


def register_consumer(
    broker: KafkaBroker,
    settings: ServiceSettings,
    get_pool: Callable[[], asyncpg.Pool],
    metrics: ServiceMetrics,
    *,
    topic: str,
    name: str,
    apply: Apply,
    after_commit: AfterCommit | None = None,
    decode: Callable[[str, bytes], CloudEvent[Any]] = decode_event,
) -> Any:
    """Subscribe `apply` to `topic` (a contract topic name, without the test prefix).

    `name` identifies the consumer (its group and its dedupe records). `after_commit` runs after the
    DB transaction committed and before the offset commit (e.g. to refresh an in-memory index).
    """
    full_topic = settings.topic(topic)
    consumer_name = f"{settings.service_name}.{name}"

    @broker.subscriber(
        full_topic,
        group_id=settings.group(consumer_name),
        batch=True,
        max_records=settings.consumer_batch_size,
        batch_timeout_ms=50,
        auto_offset_reset="earliest",  # Tansu's `latest` is wrong, and we never want to skip events
        ack_policy=AckPolicy.NACK_ON_ERROR,  # commit after success, rewind on failure; never ack-first
        group_instance_id=settings.group_instance_id(consumer_name),  # static membership (settings.py)
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        decoder=_raw_body,
        title=f"{consumer_name}:{full_topic}",
    )
    async def on_batch(body: list[bytes], message: Any = Context("message")) -> None:
        records = message.raw_message
        started = time.perf_counter()
        good: list[CloudEvent[Any]] = []
        poison: list[tuple[Any, str]] = []
        for record in records:
            try:
                good.append(decode(topic, record.value or b""))
            except EventDecodeError as exc:
                poison.append((record, str(exc)))
        try:
            for record, error in poison:
                await _dead_letter(broker, settings, topic, record, error)
                metrics.dlq_messages.labels(topic).inc()
                metrics.events_consumed.labels(topic, "dead_lettered").inc()
            fresh, result = await apply_batch(get_pool(), consumer_name, good, apply)
        except Exception:
            log.exception("%s: batch of %d failed; it will be redelivered", consumer_name, len(records))
            await asyncio.sleep(0.5)  # don't spin while the database or broker is away
            raise
        metrics.events_consumed.labels(topic, "applied").inc(len(fresh))
        if len(good) > len(fresh):
            metrics.events_consumed.labels(topic, "duplicate").inc(len(good) - len(fresh))
        metrics.consumer_batch_seconds.labels(topic).observe(time.perf_counter() - started)
        _record_lag(message, records, metrics, topic)
        if after_commit is not None and fresh:
            # The transaction is committed: raising now would only redeliver events that are
            # already recorded as processed, so after_commit would never see them again.
            try:
                outcome = after_commit(fresh, result)
                if asyncio.iscoroutine(outcome):
                    await outcome
            except Exception:
                log.exception("%s: after_commit failed for %d events", consumer_name, len(fresh))
                metrics.events_consumed.labels(topic, "after_commit_failed").inc(len(fresh))

    return on_batch


async def _dead_letter(broker: KafkaBroker, settings: ServiceSettings, topic: str, record: Any, error: str) -> None:
    headers = {k: (v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)) for k, v in record.headers or ()}
    headers.update(
        {
            "dlq-error": error[:2000],
            "dlq-source-topic": record.topic,
            "dlq-source-partition": str(record.partition),
            "dlq-source-offset": str(record.offset),
        }
    )
    await broker.publish(
        record.value or b"", settings.topic(dlq_topic(topic)), key=record.key, headers=headers
    )


def _record_lag(message: Any, records: Sequence[Any], metrics: ServiceMetrics, topic: str) -> None:
    """Lag from the high-water mark that fetch responses carry: right on both brokers (on Kafka it
    equals `end_offsets` under read_uncommitted, without an extra ListOffsets request per batch;
    on Tansu `end_offsets` is wrong), so one way serves both."""
    consumer = getattr(message, "consumer", None)
    if consumer is None or not hasattr(consumer, "highwater"):
        return
    from aiokafka import TopicPartition

    last: dict[int, int] = {}
    for r in records:
        last[r.partition] = max(last.get(r.partition, -1), r.offset)
    for partition, offset in last.items():
        hw = consumer.highwater(TopicPartition(records[0].topic, partition))
        if hw is not None:
            metrics.consumer_lag.labels(topic, str(partition)).set(max(0, hw - offset - 1))
