"""SQL for the organizers' dashboard: set-based aggregates over the quiz schema (attempts,
participants, item_responses, bank_versions). An attempt counts once it has a result, whatever
closed it. Callers pass the contest id; buckets are in the contest's time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import asyncpg


async def participation(conn: asyncpg.Connection, contest_id: str, tz: str, bucket: Literal["hour", "day"],
                        since: datetime | None, round_id: str | None) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT date_trunc($2, submitted_at AT TIME ZONE $3) AS bucket, count(*) AS attempts,"
        " count(DISTINCT participant_id) AS participants"
        " FROM attempts WHERE contest_id = $1 AND result IS NOT NULL"
        " AND ($4::timestamptz IS NULL OR submitted_at >= $4) AND ($5::text IS NULL OR round_id = $5)"
        " GROUP BY 1 ORDER BY 1",
        contest_id, bucket, tz, since, round_id)
    return [dict(r) for r in rows]


async def units(conn: asyncpg.Connection, contest_id: str) -> dict[str, dict[str, int]]:
    rows = await conn.fetch(
        "SELECT p.unit_id, count(DISTINCT p.participant_id) AS registered,"
        " count(DISTINCT a.participant_id) AS participants, count(a.attempt_id) AS attempts"
        " FROM participants p LEFT JOIN attempts a"
        "  ON a.participant_id = p.participant_id AND a.result IS NOT NULL"
        " WHERE p.contest_id = $1 GROUP BY p.unit_id", contest_id)
    return {r["unit_id"]: {"registered": r["registered"], "participants": r["participants"],
                           "attempts": r["attempts"]} for r in rows}


async def rounds(conn: asyncpg.Connection, contest_id: str) -> dict[str, dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT round_id,"
        " count(*) FILTER (WHERE result IS NOT NULL) AS attempts,"
        " count(DISTINCT participant_id) FILTER (WHERE result IS NOT NULL) AS participants,"
        " avg((result->>'score')::float8) AS avg_score,"
        " avg((result->>'correct')::float8) AS avg_correct,"
        " max((result->>'score')::float8) AS max_score,"
        " count(*) FILTER (WHERE result IS NULL AND status = 'open') AS open,"
        " count(*) FILTER (WHERE result IS NULL AND status <> 'open') AS unscored"
        " FROM attempts WHERE contest_id = $1 GROUP BY round_id", contest_id)
    return {r["round_id"]: dict(r) for r in rows}


async def item_counts(conn: asyncpg.Connection, contest_id: str, round_id: str | None) -> list[dict[str, Any]]:
    """(question, option chosen or None) → how many times, and how many of those were right."""
    rows = await conn.fetch(
        "SELECT r.question_id, r.option_key, count(*) AS n, count(*) FILTER (WHERE r.correct) AS right"
        " FROM item_responses r JOIN attempts a USING (attempt_id)"
        " WHERE a.contest_id = $1 AND ($2::text IS NULL OR r.round_id = $2)"
        " GROUP BY r.question_id, r.option_key", contest_id, round_id)
    return [dict(r) for r in rows]


async def bank_questions(conn: asyncpg.Connection, contest_id: str) -> list[dict[str, Any]]:
    """Every question of every bank version, each in its newest version."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (q->>'id') q AS question FROM bank_versions b, jsonb_array_elements(b.questions) q"
        " WHERE b.contest_id = $1 ORDER BY q->>'id', b.version DESC", contest_id)
    return [r["question"] for r in rows]
