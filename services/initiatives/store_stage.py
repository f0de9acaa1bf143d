"""Quiz essays waiting for grading, and the stage final's running order."""

from __future__ import annotations

from typing import Any

import asyncpg

from shared.events import AnswerSubmitted


async def add_essays(conn: asyncpg.Connection, items: list[AnswerSubmitted]) -> int:
    """Queue the essays of submitted attempts (no author identity kept); duplicates are ignored."""
    rows = [(a.attempt_id, a.contest_id, a.phase_id, a.round_id, a.essay.question_id, a.essay.text,
             a.submitted_at) for a in items if a.essay is not None and a.essay.text.strip()]
    if rows:
        await conn.executemany(
            "INSERT INTO essays (attempt_id, contest_id, phase_id, round_id, question_id, text, submitted_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (attempt_id) DO NOTHING", rows,
        )
    return len(rows)


# What a judge may see of an essay: never its attempt id (the key of the author's public board entry).
_ESSAY = "essay_id, phase_id, round_id, question_id, text"


async def essays(conn: asyncpg.Connection, *, limit: int, offset: int, phase_id: str,
                 not_scored_by: str | None = None) -> tuple[int, list[dict[str, Any]]]:
    """The queue in the order of the random essay ids (not of arrival, which the public submission
    times would match); `not_scored_by` keeps only essays that judge has not scored yet."""
    where = ("($1::text IS NULL OR NOT EXISTS (SELECT 1 FROM scores s WHERE s.judge_id = $1"
             " AND s.phase_id = $2 AND s.subject_id = e.essay_id))")
    total = await conn.fetchval(f"SELECT count(*) FROM essays e WHERE {where}", not_scored_by, phase_id)
    rows = await conn.fetch(
        f"SELECT {_ESSAY} FROM essays e WHERE {where} ORDER BY essay_id LIMIT $3 OFFSET $4",
        not_scored_by, phase_id, limit, offset,
    )
    return total, [dict(r) for r in rows]


async def essay(conn: asyncpg.Connection, essay_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(f"SELECT {_ESSAY} FROM essays WHERE essay_id = $1", essay_id)
    return dict(row) if row else None


async def attempt_of(conn: asyncpg.Connection, essay_id: str) -> str:
    """The attempt behind an essay: only for the judge-scored event, which must name it."""
    return await conn.fetchval("SELECT attempt_id FROM essays WHERE essay_id = $1", essay_id)


# --- stage ----------------------------------------------------------------------------------


async def finalists(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT f.initiative_id, f.position, f.scoring_open, f.opened_at, f.closed_at, i.title, i.unit_id, i.field,"
        " i.summary FROM stage_finalists f JOIN initiatives i ON i.id = f.initiative_id ORDER BY f.position"
    )
    return [dict(r) for r in rows]


async def set_finalists(conn: asyncpg.Connection, initiative_ids: list[str]) -> None:
    await conn.execute("DELETE FROM stage_finalists WHERE initiative_id <> ALL($1::text[])", initiative_ids)
    await conn.executemany(
        "INSERT INTO stage_finalists (initiative_id, position) VALUES ($1, $2)"
        " ON CONFLICT (initiative_id) DO UPDATE SET position = EXCLUDED.position",
        [(iid, pos) for pos, iid in enumerate(initiative_ids, start=1)],
    )
    await conn.execute("UPDATE stage_state SET current_id = NULL WHERE current_id <> ALL($1::text[])",
                       initiative_ids)


async def lock_stage(conn: asyncpg.Connection) -> str | None:
    return await conn.fetchval("SELECT current_id FROM stage_state FOR UPDATE")


async def current_id(conn: asyncpg.Connection) -> str | None:
    return await conn.fetchval("SELECT current_id FROM stage_state")


async def open_scoring(conn: asyncpg.Connection, initiative_id: str) -> None:
    await conn.execute("UPDATE stage_finalists SET scoring_open = false, closed_at = now()"
                       " WHERE scoring_open AND initiative_id <> $1", initiative_id)
    await conn.execute("UPDATE stage_finalists SET scoring_open = true, opened_at = now(), closed_at = NULL"
                       " WHERE initiative_id = $1", initiative_id)
    await conn.execute("UPDATE stage_state SET current_id = $1", initiative_id)


async def close_scoring(conn: asyncpg.Connection, initiative_id: str) -> None:
    await conn.execute("UPDATE stage_finalists SET scoring_open = false, closed_at = now()"
                       " WHERE initiative_id = $1 AND scoring_open", initiative_id)


async def is_open(conn: asyncpg.Connection, initiative_id: str) -> bool | None:
    """None when not a finalist."""
    return await conn.fetchval("SELECT scoring_open FROM stage_finalists WHERE initiative_id = $1", initiative_id)
