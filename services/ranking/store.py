"""PostgreSQL: batch upserts of the source facts (one statement per kind per batch, via unnest)
with the same merge rules as `domain`, and loading everything back at start-up."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from services.ranking import domain as d

FACT_TABLES = ("attempts", "judge_totals", "engagement_actors", "initiative_meta")

_ATTEMPTS = """
INSERT INTO attempts (attempt_id, participant_id, display_name, unit_id, phase_id, round_id, submitted_at,
                      duration_ms, correct, total, score, prediction)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::timestamptz[], $8::bigint[], $9::int[], $10::int[], $11::float8[], $12::float8[])
ON CONFLICT (attempt_id) DO NOTHING
"""

_JUDGES = """
INSERT INTO judge_totals AS j (phase_id, subject_type, subject_id, judge_id, revision, total)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::float8[])
ON CONFLICT (phase_id, subject_type, subject_id, judge_id) DO UPDATE
   SET revision = excluded.revision, total = excluded.total
 WHERE (excluded.revision, excluded.total) > (j.revision, j.total)
"""

_NEWER_LIKE = (
    "excluded.like_at IS NOT NULL AND (e.like_at IS NULL OR "
    '(excluded.like_at, excluded.like_src COLLATE "C") > (e.like_at, e.like_src COLLATE "C"))'
)
_ENGAGEMENT = f"""
INSERT INTO engagement_actors AS e (content_id, platform, actor_id, like_at, like_src, liked, shares, comments, views)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::bool[],
                     $7::int[], $8::int[], $9::int[])
ON CONFLICT (content_id, platform, actor_id) DO UPDATE SET
    like_at = CASE WHEN {_NEWER_LIKE} THEN excluded.like_at ELSE e.like_at END,
    like_src = CASE WHEN {_NEWER_LIKE} THEN excluded.like_src ELSE e.like_src END,
    liked = CASE WHEN {_NEWER_LIKE} THEN excluded.liked ELSE e.liked END,
    shares = e.shares + excluded.shares,
    comments = e.comments + excluded.comments,
    views = e.views + excluded.views
"""

_META = """
INSERT INTO initiative_meta AS m (initiative_id, phase_id, title, unit_id, field, status, version)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[])
ON CONFLICT (initiative_id) DO UPDATE
   SET phase_id = excluded.phase_id, title = excluded.title, unit_id = excluded.unit_id,
       field = excluded.field, status = excluded.status, version = excluded.version
 WHERE excluded.version > m.version
"""


def _columns(rows: list[tuple], n: int) -> list[list[Any]]:
    return [list(col) for col in zip(*rows, strict=True)] if rows else [[] for _ in range(n)]


async def save_attempts(conn: asyncpg.Connection, attempts: list[d.Attempt]) -> None:
    if attempts:
        rows = [(a.attempt_id, a.participant_id, a.display_name, a.unit_id, a.phase_id, a.round_id,
                 a.submitted_at, a.duration_ms, a.correct, a.total, a.score, a.prediction) for a in attempts]
        await conn.execute(_ATTEMPTS, *_columns(rows, 12))


async def save_judge_totals(conn: asyncpg.Connection, totals: list[d.JudgeTotal]) -> None:
    reduced: dict[tuple[str, str, str, str], d.JudgeTotal] = {}
    for t in totals:  # one row per key per statement (ON CONFLICT cannot touch a row twice)
        k = (t.phase_id, t.subject_type, t.subject_id, t.judge_id)
        if d.newer_revision(reduced.get(k), t):
            reduced[k] = t
    if reduced:
        rows = [(*k, t.revision, t.total) for k, t in reduced.items()]
        await conn.execute(_JUDGES, *_columns(rows, 6))


async def save_engagement(conn: asyncpg.Connection, deltas: list[d.ActorEngagement]) -> None:
    reduced: dict[tuple[str, str, str], d.ActorEngagement] = {}
    for x in deltas:
        k = (x.content_id, x.platform, x.actor_id)
        reduced[k] = d.merge_engagement(reduced.get(k), x)
    if reduced:
        rows = [(*k, x.like_at, x.like_src, x.liked, x.shares, x.comments, x.views) for k, x in reduced.items()]
        await conn.execute(_ENGAGEMENT, *_columns(rows, 9))


async def save_meta(conn: asyncpg.Connection, metas: list[d.InitiativeMeta]) -> None:
    reduced: dict[str, d.InitiativeMeta] = {}
    for m in metas:
        if d.newer_meta(reduced.get(m.initiative_id), m):
            reduced[m.initiative_id] = m
    if reduced:
        rows = [(m.initiative_id, m.phase_id, m.title, m.unit_id, m.field, m.status, m.version)
                for m in reduced.values()]
        await conn.execute(_META, *_columns(rows, 7))


# --- loading -----------------------------------------------------------------------------------


async def load_attempts(conn: asyncpg.Connection) -> list[d.Attempt]:
    rows = await conn.fetch(
        "SELECT attempt_id, participant_id, display_name, unit_id, phase_id, round_id, submitted_at,"
        " duration_ms, correct, total, score, prediction FROM attempts"
    )
    return [d.Attempt(*r) for r in rows]


async def load_judge_totals(conn: asyncpg.Connection) -> list[d.JudgeTotal]:
    rows = await conn.fetch("SELECT phase_id, subject_type, subject_id, judge_id, revision, total FROM judge_totals")
    return [d.JudgeTotal(*r) for r in rows]


async def load_engagement(conn: asyncpg.Connection) -> list[d.ActorEngagement]:
    rows = await conn.fetch(
        "SELECT content_id, platform, actor_id, like_at, like_src, liked, shares, comments, views"
        " FROM engagement_actors"
    )
    return [d.ActorEngagement(*r) for r in rows]


async def load_meta(conn: asyncpg.Connection) -> list[d.InitiativeMeta]:
    rows = await conn.fetch(
        "SELECT initiative_id, phase_id, title, unit_id, field, status, version FROM initiative_meta"
    )
    return [d.InitiativeMeta(*r) for r in rows]


async def load_references(conn: asyncpg.Connection) -> dict[str, float]:
    return {r["round_id"]: r["value"] for r in await conn.fetch("SELECT round_id, value FROM prediction_references")}


async def set_reference(conn: asyncpg.Connection, round_id: str, value: float | None) -> None:
    if value is None:
        await conn.execute("DELETE FROM prediction_references WHERE round_id = $1", round_id)
    else:
        await conn.execute(
            "INSERT INTO prediction_references (round_id, value) VALUES ($1, $2)"
            " ON CONFLICT (round_id) DO UPDATE SET value = excluded.value, set_at = now()",
            round_id, value,
        )


async def load_freezes(conn: asyncpg.Connection) -> list[tuple[str, datetime, list[dict[str, Any]]]]:
    rows = await conn.fetch("SELECT board_id, frozen_at, entries FROM board_freezes")
    return [(r["board_id"], r["frozen_at"], r["entries"]) for r in rows]


async def freeze(conn: asyncpg.Connection, board_id: str, frozen_at: datetime, entries: list[dict[str, Any]]) -> None:
    await conn.execute(
        "INSERT INTO board_freezes (board_id, frozen_at, entries) VALUES ($1, $2, $3)"
        " ON CONFLICT (board_id) DO UPDATE SET frozen_at = excluded.frozen_at, entries = excluded.entries",
        board_id, frozen_at, entries,
    )


async def unfreeze(conn: asyncpg.Connection, board_id: str) -> None:
    await conn.execute("DELETE FROM board_freezes WHERE board_id = $1", board_id)


async def reset_facts(conn: asyncpg.Connection, consumer_prefix: str) -> None:
    """Fresh state for a rebuild: facts and this service's dedupe records (organizer state stays)."""
    await conn.execute(f"TRUNCATE {', '.join(FACT_TABLES)}")
    await conn.execute("DELETE FROM processed_events WHERE consumer LIKE $1", consumer_prefix + "%")
