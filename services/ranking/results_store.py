"""SQL of the official results: decisions, published snapshots (insert-only), certificate codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from services.ranking.prizes import Decision
from shared.events import format_utc


async def frozen(conn: asyncpg.Connection, board_id: str) -> tuple[datetime, list[dict[str, Any]]] | None:
    row = await conn.fetchrow("SELECT frozen_at, entries FROM board_freezes WHERE board_id = $1", board_id)
    return None if row is None else (row["frozen_at"], row["entries"])


async def decisions(conn: asyncpg.Connection, board_id: str) -> list[Decision]:
    """The latest decision per tie group (a later one for the same group replaces it before publishing)."""
    rows = await conn.fetch(
        "SELECT entrant_ids, reason, decided_by, decided_at FROM result_decisions WHERE board_id = $1 ORDER BY id",
        board_id)
    latest: dict[frozenset[str], Decision] = {}
    for r in rows:
        d = Decision(tuple(r["entrant_ids"]), r["reason"], r["decided_by"], format_utc(r["decided_at"]))
        latest[frozenset(d.entrant_ids)] = d
    return list(latest.values())


async def add_decision(conn: asyncpg.Connection, board_id: str, entrant_ids: list[str], reason: str,
                       decided_by: str) -> datetime:
    return await conn.fetchval(
        "INSERT INTO result_decisions (board_id, entrant_ids, reason, decided_by) VALUES ($1, $2, $3, $4)"
        " RETURNING decided_at", board_id, entrant_ids, reason, decided_by)


async def publish(conn: asyncpg.Connection, *, snapshot_id: str, board_id: str, content: str, sha256: str,
                  published_by: str, codes: list[tuple[str, str]]) -> bool:
    """Insert the snapshot and its certificate codes; False when the board already has one."""
    async with conn.transaction():
        done = await conn.fetchval(
            "INSERT INTO published_results (snapshot_id, board_id, content, sha256, published_by)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1",
            snapshot_id, board_id, content, sha256, published_by)
        if done is None:
            return False
        await conn.executemany("INSERT INTO certificates (code, snapshot_id, entrant_id) VALUES ($1, $2, $3)",
                               [(code, snapshot_id, eid) for code, eid in codes])
    return True


_COLS = "snapshot_id, board_id, content, sha256, published_by, published_at"


async def by_board(conn: asyncpg.Connection, board_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_COLS} FROM published_results WHERE board_id = $1", board_id)


async def by_id(conn: asyncpg.Connection, snapshot_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_COLS} FROM published_results WHERE snapshot_id = $1", snapshot_id)


async def all_published(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT {_COLS} FROM published_results ORDER BY published_at")


async def certificate(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT code, snapshot_id, entrant_id FROM certificates WHERE code = $1", code)
