"""Consumers: the content catalogue (initiative-published) and the inbound engagement topic."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg

from services.engagement import limits, store
from services.engagement.api import hash_key
from services.engagement.domain import UNKNOWN_PLATFORM, Item, PlatformConfig, Rejection, parse_item
from services.engagement.ingest import BatchResult, count_metrics, ingest_items, resolve_pending
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
        """Same validation, mapping and de-duplication as POST /api/ingest."""
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        platforms: dict[str, PlatformConfig | None] = {}
        items: list[Item] = []
        rejected: list[Rejection] = []
        for index, e in enumerate(events):
            pid = e.data.platform
            if pid not in platforms:
                platforms[pid] = await store.get_platform(conn, pid)
            platform = platforms[pid]
            if platform is None:
                rejected.append(Rejection(index, UNKNOWN_PLATFORM, f"Nền tảng {pid!r} chưa được đăng ký."))
                continue
            parsed = parse_item(e.data.model_dump(), index, platform=platform, contest=rt.contest,
                                hash_key=hash_key(rt), now=now)
            if isinstance(parsed, Rejection):
                rejected.append(parsed)
                continue
            ok, limited = limits.limit_actors(rt, platform, [parsed])
            items.extend(ok)
            rejected.extend(limited)
        result = await ingest_items(conn, rt, items) if items else BatchResult()
        result.rejected.extend(rejected)
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
