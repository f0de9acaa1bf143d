"""asyncpg SQL for engagement: platforms, catalogue, mappings, de-duplication, pending, quarantine, audit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from services.engagement.domain import (
    ActorStatus,
    Item,
    Outcome,
    PlatformConfig,
    Resolved,
)

PLATFORM_COLS = "id, name, secrets, allowed_actions, rate_per_second, burst, actor_per_minute"


def _platform(row: asyncpg.Record) -> PlatformConfig:
    return PlatformConfig(
        id=row["id"], name=row["name"], secrets=tuple(row["secrets"]),
        allowed_actions=tuple(row["allowed_actions"]), rate_per_second=row["rate_per_second"],
        burst=row["burst"], actor_per_minute=row["actor_per_minute"],
    )


async def get_platform(conn: asyncpg.Connection, platform_id: str) -> PlatformConfig | None:
    row = await conn.fetchrow(f"SELECT {PLATFORM_COLS} FROM platforms WHERE id = $1", platform_id)
    return _platform(row) if row else None


async def list_platforms(conn: asyncpg.Connection) -> list[PlatformConfig]:
    return [_platform(r) for r in await conn.fetch(f"SELECT {PLATFORM_COLS} FROM platforms ORDER BY id")]


async def upsert_platform(conn: asyncpg.Connection, p: PlatformConfig, *, create_only: bool) -> bool:
    conflict = "DO NOTHING" if create_only else (
        "DO UPDATE SET name = EXCLUDED.name, secrets = EXCLUDED.secrets, allowed_actions = EXCLUDED.allowed_actions,"
        " rate_per_second = EXCLUDED.rate_per_second, burst = EXCLUDED.burst,"
        " actor_per_minute = EXCLUDED.actor_per_minute, updated_at = now()"
    )
    status = await conn.execute(
        f"INSERT INTO platforms ({PLATFORM_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) {conflict}",
        p.id, p.name, list(p.secrets), list(p.allowed_actions), p.rate_per_second, p.burst, p.actor_per_minute,
    )
    return status.endswith(" 1")


async def audit(conn: asyncpg.Connection, actor: str, action: str, target: str, details: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO audit_log (actor, action, target, details) VALUES ($1, $2, $3, $4)", actor, action, target, details
    )


async def list_audit(conn: asyncpg.Connection, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT id, at, actor, action, target, details FROM audit_log ORDER BY id DESC LIMIT $1", limit)
    return [dict(r) for r in rows]


# --- catalogue and mappings ---------------------------------------------------------------

async def upsert_content(conn: asyncpg.Connection, content_id: str, title: str, status: str, version: int,
                         changed_at: datetime) -> bool:
    """Apply a catalogue change if it is newer; True when the content is (now) published by it."""
    row = await conn.fetchrow(
        "INSERT INTO contents (content_id, title, status, version, changed_at) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (content_id) DO UPDATE SET title = EXCLUDED.title, status = EXCLUDED.status,"
        " version = EXCLUDED.version, changed_at = EXCLUDED.changed_at WHERE contents.version < EXCLUDED.version"
        " RETURNING status",
        content_id, title, status, version, changed_at,
    )
    return bool(row and row["status"] == "published")


async def content_status(conn: asyncpg.Connection, content_id: str) -> str | None:
    return await conn.fetchval("SELECT status FROM contents WHERE content_id = $1", content_id)


async def list_contents(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT content_id, title, status FROM contents ORDER BY content_id")
    return [dict(r) for r in rows]


async def upsert_mapping(conn: asyncpg.Connection, platform: str, ref: str, content_id: str) -> None:
    await conn.execute(
        "INSERT INTO mappings (platform, content_ref, content_id) VALUES ($1, $2, $3) ON CONFLICT (platform, content_ref)"
        " DO UPDATE SET content_id = EXCLUDED.content_id, updated_at = now()", platform, ref, content_id,
    )


async def delete_mapping(conn: asyncpg.Connection, platform: str, ref: str) -> bool:
    return (await conn.execute("DELETE FROM mappings WHERE platform = $1 AND content_ref = $2", platform, ref)) != "DELETE 0"


async def list_mappings(conn: asyncpg.Connection, platform: str | None) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT m.platform, m.content_ref, m.content_id, m.updated_at,"
        " (SELECT count(*) FROM pending_events p WHERE p.platform = m.platform AND p.content_ref = m.content_ref)"
        " AS pending FROM mappings m WHERE $1::text IS NULL OR m.platform = $1 ORDER BY m.platform, m.content_ref",
        platform,
    )
    return [dict(r) for r in rows]


async def pending_summary(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT platform, content_ref, count(*) AS events, min(received_at) AS since FROM pending_events"
        " GROUP BY platform, content_ref ORDER BY platform, content_ref LIMIT 500"
    )
    return [dict(r) for r in rows]


async def resolve_refs(conn: asyncpg.Connection, refs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(platform, content_ref) -> (content_id, status or None if not in the catalogue) for the refs
    that a mapping names or that are themselves a content_id in the catalogue."""
    refs = list(set(refs))
    if not refs:
        return {}
    rows = await conn.fetch(
        "SELECT r.platform, r.ref, coalesce(m.content_id, c0.content_id) AS content_id,"
        " coalesce(c1.status, c0.status) AS status"
        " FROM unnest($1::text[], $2::text[]) AS r(platform, ref)"
        " LEFT JOIN mappings m ON m.platform = r.platform AND m.content_ref = r.ref"
        " LEFT JOIN contents c1 ON c1.content_id = m.content_id"
        " LEFT JOIN contents c0 ON m.content_id IS NULL AND c0.content_id = r.ref",
        [p for p, _ in refs], [r for _, r in refs],
    )
    return {(r["platform"], r["ref"]): (r["content_id"], r["status"]) for r in rows if r["content_id"]}


# --- de-duplication -----------------------------------------------------------------------

async def claim_delivery(conn: asyncpg.Connection, platform: str, webhook_id: str, n_events: int) -> bool:
    row = await conn.fetchrow(
        "INSERT INTO webhook_deliveries (platform, webhook_id, n_events) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING RETURNING 1", platform, webhook_id, n_events,
    )
    return row is not None


async def delivery_size(conn: asyncpg.Connection, platform: str, webhook_id: str) -> int | None:
    return await conn.fetchval(
        "SELECT n_events FROM webhook_deliveries WHERE platform = $1 AND webhook_id = $2", platform, webhook_id
    )


async def claim_events(conn: asyncpg.Connection, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    if not keys:
        return set()
    rows = await conn.fetch(
        "INSERT INTO ingested_events (platform, source_event_id) SELECT * FROM unnest($1::text[], $2::text[])"
        " ON CONFLICT DO NOTHING RETURNING platform, source_event_id",
        [k[0] for k in keys], [k[1] for k in keys],
    )
    return {(r["platform"], r["source_event_id"]) for r in rows}


# --- pending events -----------------------------------------------------------------------

async def add_pending(conn: asyncpg.Connection, items: Sequence[Item]) -> None:
    if items:
        await conn.executemany(
            "INSERT INTO pending_events (platform, content_ref, actor, action, occurred_at, source_event_id)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            [(i.platform, i.content_ref, i.actor, i.action, i.occurred_at, i.source_event_id) for i in items],
        )


async def take_resolvable_pending(conn: asyncpg.Connection, *, platform: str | None = None,
                                  content_ref: str | None = None, content_id: str | None = None) -> list[Resolved]:
    """Delete and return the pending events that now resolve to a published content."""
    rows = await conn.fetch(
        "WITH cand AS ("
        "  SELECT p.id, coalesce(m.content_id, c0.content_id) AS content_id"
        "  FROM pending_events p"
        "  LEFT JOIN mappings m ON m.platform = p.platform AND m.content_ref = p.content_ref"
        "  LEFT JOIN contents c0 ON m.content_id IS NULL AND c0.content_id = p.content_ref"
        "  WHERE ($1::text IS NULL OR p.platform = $1) AND ($2::text IS NULL OR p.content_ref = $2)"
        "    AND ($3::text IS NULL OR m.content_id = $3 OR p.content_ref = $3)"
        "), ok AS ("
        "  SELECT cand.id, cand.content_id FROM cand JOIN contents c ON c.content_id = cand.content_id"
        "  WHERE c.status = 'published'"
        ") DELETE FROM pending_events p USING ok WHERE p.id = ok.id"
        " RETURNING p.id, ok.content_id, p.platform, p.content_ref, p.actor, p.action, p.occurred_at, p.source_event_id",
        platform, content_ref, content_id,
    )
    rows = sorted(rows, key=lambda r: r["id"])
    return [
        Resolved(Item(-1, r["platform"], r["content_ref"], r["actor"], r["action"], r["occurred_at"],
                      r["source_event_id"]), r["content_id"])
        for r in rows
    ]


# --- quarantine ---------------------------------------------------------------------------

async def add_quarantine(conn: asyncpg.Connection, outcomes: Sequence[Outcome]) -> None:
    if outcomes:
        await conn.executemany(
            "INSERT INTO quarantine (content_id, platform, actor, action, occurred_at, source_event_id, status)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [(o.event.content_id, o.event.item.platform, o.event.item.actor, o.event.item.action,
              o.event.item.occurred_at, o.event.item.source_event_id, "held" if o.reason == ActorStatus.HELD else "rejected")
             for o in outcomes],
        )


async def list_quarantine(conn: asyncpg.Connection, status: str, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT id, content_id, platform, actor, action, occurred_at, source_event_id, status, created_at, decided_at"
        " FROM quarantine WHERE status = $1 ORDER BY id LIMIT $2", status, limit,
    )
    return [dict(r) for r in rows]


async def take_held(conn: asyncpg.Connection, content_id: str | None, ids: Sequence[int] | None,
                    decision: str) -> list[Resolved]:
    """Mark held rows (of a content, or by id) `decision`; return them as events in time order."""
    rows = await conn.fetch(
        "UPDATE quarantine SET status = $3, decided_at = now() WHERE status = 'held'"
        " AND ($1::text IS NULL OR content_id = $1) AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))"
        " RETURNING id, content_id, platform, actor, action, occurred_at, source_event_id",
        content_id, list(ids) if ids is not None else None, decision,
    )
    rows = sorted(rows, key=lambda r: (r["occurred_at"], r["id"]))
    return [Resolved(Item(-1, r["platform"], r["content_id"], r["actor"], r["action"], r["occurred_at"],
                          r["source_event_id"]), r["content_id"]) for r in rows]


async def set_actor_status(conn: asyncpg.Connection, events: Sequence[Resolved], status: str) -> None:
    keys = list({(e.content_id, e.item.platform, e.item.actor) for e in events})
    if keys:
        await conn.execute(
            "UPDATE content_actors a SET status = $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS k(c, p, x)"
            " WHERE a.content_id = k.c AND a.platform = k.p AND a.actor = k.x",
            [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys], status,
        )
