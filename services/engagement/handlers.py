"""Consumers: the content catalogue (initiative-published) and the inbound engagement topic."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.engagement import store
from services.engagement.domain import PlatformConfig
from services.engagement.ingest import BatchResult, count_metrics, ingest_raw, resolve_pending
from shared.consumer import register_consumer
from shared.events import ENGAGEMENT_INBOUND, INITIATIVE_PUBLISHED, CloudEvent, encode_event
from shared.service import Runtime

log = logging.getLogger(__name__)


def register(rt: Runtime) -> None:
    async def apply_catalogue(conn: asyncpg.Connection, events: list[CloudEvent[Any]]) -> None:
        for e in sorted(events, key=lambda e: e.data.version):
            d = e.data
            if d.contest_id != rt.contest.contest_id:
                continue
            published = await store.upsert_content(conn, d.initiative_id, d.title, d.status, d.version, d.changed_at)
            if published:
                result = await resolve_pending(conn, rt, content_id=d.initiative_id)
                if result.outcomes:
                    log.info("content %s published: %d pending events counted", d.initiative_id, len(result.outcomes))

    async def apply_inbound(conn: asyncpg.Connection, events: list[CloudEvent[Any]]) -> dict[str, Any]:
        """The same pipeline as POST /api/ingest (ingest.ingest_raw), one event per message."""
        platforms: dict[str, PlatformConfig | None] = {}
        for e in events:
            if e.data.platform not in platforms:
                platforms[e.data.platform] = await store.get_platform(conn, e.data.platform)
        result = await ingest_raw(conn, rt, [(platforms[e.data.platform], e.data.model_dump()) for e in events],
                                  now=datetime.now(UTC))
        # semantically invalid messages go to the DLQ with the reason, in this same transaction
        source = rt.settings.topic(ENGAGEMENT_INBOUND)
        await rt.outbox.add_dead_letters(conn, ENGAGEMENT_INBOUND, [
            (str(events[r.index].data.content_ref).encode(), encode_event(events[r.index]),
             {"dlq-error": f"{r.code}: {r.message}", "dlq-source-topic": source})
            for r in result.rejected
        ])
        return {"result": result}

    def after_inbound(fresh: list[CloudEvent[Any]], out: dict[str, Any] | None) -> None:
        if not out:
            return
        result: BatchResult = out["result"]
        count_metrics(rt, result)
        if result.rejected:
            rt.metrics.dlq_messages.labels(ENGAGEMENT_INBOUND).inc(len(result.rejected))

    def pool() -> asyncpg.Pool:
        return rt.pool

    register_consumer(rt.broker, rt.settings, pool, rt.metrics, topic=INITIATIVE_PUBLISHED, name="catalogue",
                      apply=apply_catalogue)
    register_consumer(rt.broker, rt.settings, pool, rt.metrics, topic=ENGAGEMENT_INBOUND, name="inbound",
                      apply=apply_inbound, after_commit=after_inbound)
