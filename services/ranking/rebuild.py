"""`python -m services.ranking rebuild`: fresh facts from a replay of every topic from the start.

Truncates the fact tables and this service's dedupe records (organizer state — freezes, final
prediction references — is kept), reads each topic from offset 0 up to the high-water mark seen at
the start, and applies the batches exactly like the live consumers (dedupe + facts in one
transaction, under the live consumers' names). The live consumer groups then need no offset reset:
wherever a group resumes, every event up to the replayed point already has its dedupe record, so
redelivery is harmless, and anything later is applied normally. (Tansu also rejects offset commits
from outside a group's generation.) Run it with the service stopped.
"""

from __future__ import annotations

import logging
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.ranking import store
from services.ranking.handlers import HANDLERS, make_apply
from services.ranking.settings import RankingSettings
from shared import db
from shared.consumer import apply_batch
from shared.events import TOPIC_PARTITIONS, EventDecodeError, decode_event

log = logging.getLogger(__name__)
HERE = Path(__file__).parent


async def rebuild(settings: RankingSettings) -> dict[str, int]:
    contest = settings.load_contest()
    await db.migrate(settings.database_url, settings.db_schema, [db.SHARED_MIGRATIONS, HERE / "migrations"])
    pool = await db.create_pool(settings.database_url, settings.db_schema, min_size=1, max_size=2,
                                application_name="ranking-rebuild")
    counts: dict[str, int] = {}
    try:
        async with pool.acquire() as conn, conn.transaction():
            await store.reset_facts(conn, f"{settings.service_name}.")
        for topic, kind in HANDLERS.items():
            counts[topic] = await _replay(settings, pool, topic, kind.consumer, contest.contest_id)
    finally:
        await pool.close()
    return counts


async def _replay(settings: RankingSettings, pool, topic: str, name: str, contest_id: str) -> int:
    consumer_name = f"{settings.service_name}.{name}"
    full = settings.topic(topic)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, group_id=None,
        enable_auto_commit=False, auto_offset_reset="earliest", client_id="ranking-rebuild",
    )
    await consumer.start()
    applied = 0
    try:
        partitions = consumer.partitions_for_topic(full) or set(range(TOPIC_PARTITIONS[topic]))
        tps = [TopicPartition(full, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        apply = make_apply(topic, contest_id)
        targets: dict[TopicPartition, int] = {}
        idle = 0
        while True:
            batch = await consumer.getmany(*tps, timeout_ms=500, max_records=settings.consumer_batch_size)
            for tp in tps:  # the high-water mark that fetch responses carry (end_offsets is wrong on Tansu)
                hw = consumer.highwater(tp)
                if hw is not None and tp not in targets:
                    targets[tp] = hw
            events = []
            for records in batch.values():
                for r in records:
                    try:
                        events.append(decode_event(topic, r.value or b""))
                    except EventDecodeError:
                        pass  # the live consumer already sent it to the DLQ
            if events:
                fresh, _ = await apply_batch(pool, consumer_name, events, apply)
                applied += len(fresh)
            idle = 0 if batch else idle + 1
            positions = {tp: await consumer.position(tp) for tp in tps}
            done = len(targets) == len(tps) and all(positions[tp] >= targets[tp] for tp in tps)
            if done or (not batch and idle >= 6):
                break
    finally:
        await consumer.stop()
    log.info("replayed %s: %d events applied", full, applied)
    return applied
