"""SQL for answers saved during an attempt and for closing overdue attempts. Callers own the transactions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.quiz.store import _A_COLS, AttemptRow, _attempt


@dataclass(frozen=True)
class SavedAnswer:
    question_id: str
    option_key: str | None
    free_value: str | None
    seq: int


async def save(conn: asyncpg.Connection, attempt_id: str, answers: list[SavedAnswer]) -> None:
    """Upsert, last write wins by `seq`; nothing is written unless the attempt is still open (one
    statement, so a save racing the submit either lands before it or not at all)."""
    await conn.execute(
        "INSERT INTO attempt_answers (attempt_id, question_id, option_key, free_value, seq)"
        " SELECT $1, q, k, f, s FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[]) AS u(q, k, f, s)"
        " WHERE EXISTS (SELECT 1 FROM attempts WHERE attempt_id = $1 AND status = 'open')"
        " ON CONFLICT (attempt_id, question_id) DO UPDATE SET option_key = EXCLUDED.option_key,"
        "  free_value = EXCLUDED.free_value, seq = EXCLUDED.seq, saved_at = clock_timestamp()"
        " WHERE attempt_answers.seq < EXCLUDED.seq",
        attempt_id, [a.question_id for a in answers], [a.option_key for a in answers],
        [a.free_value for a in answers], [a.seq for a in answers],
    )


async def saved(conn: asyncpg.Connection, attempt_id: str) -> dict[str, SavedAnswer]:
    rows = await conn.fetch(
        "SELECT question_id, option_key, free_value, seq FROM attempt_answers WHERE attempt_id = $1", attempt_id)
    return {r["question_id"]: SavedAnswer(r["question_id"], r["option_key"], r["free_value"], r["seq"])
            for r in rows}


async def overdue_for_update(
    conn: asyncpg.Connection, cutoff: datetime, *, limit: int, participant_id: str | None = None
) -> list[AttemptRow]:
    """Open attempts whose deadline is before `cutoff`, locked. The sweeper skips rows another
    replica holds (SKIP LOCKED); a participant's own start waits for them instead."""
    if participant_id is None:
        sql = (f"SELECT {_A_COLS} FROM attempts WHERE status = 'open' AND deadline < $1"
               " ORDER BY deadline LIMIT $2 FOR UPDATE SKIP LOCKED")
        rows = await conn.fetch(sql, cutoff, limit)
    else:
        sql = (f"SELECT {_A_COLS} FROM attempts WHERE participant_id = $3 AND status = 'open' AND deadline < $1"
               " LIMIT $2 FOR UPDATE")
        rows = await conn.fetch(sql, cutoff, limit, participant_id)
    return [a for a in map(_attempt, rows) if a is not None]


async def mark_expired(conn: asyncpg.Connection, attempt_id: str) -> bool:
    """An overdue attempt with nothing saved: closed without a result or an event."""
    done = await conn.fetchval(
        "UPDATE attempts SET status = 'expired' WHERE attempt_id = $1 AND status = 'open' RETURNING 1", attempt_id)
    return done is not None
