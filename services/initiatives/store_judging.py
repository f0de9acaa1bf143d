"""Judge scores (revisions), declared conflicts, explicit assignments and review flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.initiatives.domain import CriterionValue


@dataclass(frozen=True)
class StoredScore:
    judge_id: str
    phase_id: str
    subject_type: str
    subject_id: str
    revision: int
    criteria: list[dict[str, Any]]
    total: float | None
    abstain: bool
    scored_at: datetime

    def public(self) -> dict[str, Any]:
        return {"judge_id": self.judge_id, "phase_id": self.phase_id, "subject_type": self.subject_type,
                "subject_id": self.subject_id, "revision": self.revision, "criteria": self.criteria,
                "total": self.total, "abstain": self.abstain, "scored_at": self.scored_at.isoformat()}


_COLS = "judge_id, phase_id, subject_type, subject_id, revision, criteria, total, abstain, scored_at"


async def lock_subject(conn: asyncpg.Connection, judge_id: str, phase_id: str, subject_id: str) -> None:
    """Serialise revisions of one (judge, phase, subject) inside the caller's transaction."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                       f"score:{judge_id}:{phase_id}:{subject_id}")


async def insert(conn: asyncpg.Connection, *, judge_id: str, phase_id: str, subject_type: str, subject_id: str,
                 revision: int, criteria: list[CriterionValue], total: float | None, abstain: bool,
                 scored_at: datetime) -> StoredScore:
    row = await conn.fetchrow(
        f"INSERT INTO scores ({_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {_COLS}",
        judge_id, phase_id, subject_type, subject_id, revision,
        [{"criterion_id": c.criterion_id, "score": c.score, "max": c.max} for c in criteria],
        total, abstain, scored_at,
    )
    return StoredScore(**dict(row))


async def latest(conn: asyncpg.Connection, phase_id: str, *, judge_id: str | None = None,
                 subject_ids: list[str] | None = None) -> list[StoredScore]:
    """The highest revision of each (judge, subject) in a phase."""
    rows = await conn.fetch(
        f"SELECT DISTINCT ON (judge_id, subject_id) {_COLS} FROM scores"
        " WHERE phase_id = $1 AND ($2::text IS NULL OR judge_id = $2) AND ($3::text[] IS NULL OR subject_id = ANY($3))"
        " ORDER BY judge_id, subject_id, revision DESC",
        phase_id, judge_id, subject_ids,
    )
    return [StoredScore(**dict(r)) for r in rows]


async def history(conn: asyncpg.Connection, judge_id: str, phase_id: str, subject_id: str) -> list[StoredScore]:
    rows = await conn.fetch(
        f"SELECT {_COLS} FROM scores WHERE judge_id = $1 AND phase_id = $2 AND subject_id = $3 ORDER BY revision",
        judge_id, phase_id, subject_id,
    )
    return [StoredScore(**dict(r)) for r in rows]


async def scored_counts(conn: asyncpg.Connection, phase_id: str, subject_ids: list[str]) -> dict[str, int]:
    """subject → number of judges whose latest revision is a score (not an abstention)."""
    rows = await conn.fetch(
        "SELECT subject_id, count(*) AS n FROM (SELECT DISTINCT ON (judge_id, subject_id) subject_id, abstain"
        " FROM scores WHERE phase_id = $1 AND subject_id = ANY($2::text[])"
        " ORDER BY judge_id, subject_id, revision DESC) s WHERE NOT abstain GROUP BY subject_id",
        phase_id, subject_ids,
    )
    return {r["subject_id"]: r["n"] for r in rows}


# --- conflicts and assignments --------------------------------------------------------------


async def declare_conflict(conn: asyncpg.Connection, judge_id: str, phase_id: str, subject_id: str,
                           reason: str) -> None:
    await conn.execute(
        "INSERT INTO conflicts (judge_id, phase_id, subject_id, reason) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (judge_id, phase_id, subject_id) DO UPDATE SET reason = EXCLUDED.reason",
        judge_id, phase_id, subject_id, reason,
    )


async def declared_conflicts(conn: asyncpg.Connection, judge_id: str, phase_id: str) -> set[str]:
    rows = await conn.fetch("SELECT subject_id FROM conflicts WHERE judge_id = $1 AND phase_id = $2",
                            judge_id, phase_id)
    return {r["subject_id"] for r in rows}


async def explicit_assignments(conn: asyncpg.Connection, judge_id: str, phase_id: str) -> set[str] | None:
    """The subjects explicitly assigned to a judge, or None for all-to-all."""
    rows = await conn.fetch("SELECT subject_id FROM assignments WHERE judge_id = $1 AND phase_id = $2",
                            judge_id, phase_id)
    return {r["subject_id"] for r in rows} or None


async def set_assignments(conn: asyncpg.Connection, judge_id: str, phase_id: str, subject_ids: list[str]) -> None:
    await conn.execute("DELETE FROM assignments WHERE judge_id = $1 AND phase_id = $2", judge_id, phase_id)
    await conn.executemany(
        "INSERT INTO assignments (judge_id, phase_id, subject_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        [(judge_id, phase_id, s) for s in subject_ids],
    )


# --- review flags ---------------------------------------------------------------------------


async def flag(conn: asyncpg.Connection, *, phase_id: str, subject_id: str, judge_id: str, flagged_by: str,
               note: str) -> dict[str, Any]:
    row = await conn.fetchrow(
        "INSERT INTO review_flags (phase_id, subject_id, judge_id, flagged_by, note) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (phase_id, subject_id, judge_id) WHERE resolved_at IS NULL"
        " DO UPDATE SET note = EXCLUDED.note, flagged_by = EXCLUDED.flagged_by"
        " RETURNING id, phase_id, subject_id, judge_id, flagged_by, note, created_at, resolved_at",
        phase_id, subject_id, judge_id, flagged_by, note,
    )
    return _flag(row)


async def open_flags(conn: asyncpg.Connection, phase_id: str | None = None,
                     judge_id: str | None = None) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT id, phase_id, subject_id, judge_id, flagged_by, note, created_at, resolved_at FROM review_flags"
        " WHERE resolved_at IS NULL AND ($1::text IS NULL OR phase_id = $1) AND ($2::text IS NULL OR judge_id = $2)"
        " ORDER BY id", phase_id, judge_id,
    )
    return [_flag(r) for r in rows]


async def resolve_flags(conn: asyncpg.Connection, judge_id: str, phase_id: str, subject_id: str) -> None:
    await conn.execute(
        "UPDATE review_flags SET resolved_at = now() WHERE judge_id = $1 AND phase_id = $2 AND subject_id = $3"
        " AND resolved_at IS NULL", judge_id, phase_id, subject_id,
    )


def _flag(row: asyncpg.Record) -> dict[str, Any]:
    d = dict(row)
    d["created_at"] = d["created_at"].isoformat()
    d["resolved_at"] = d["resolved_at"].isoformat() if d["resolved_at"] else None
    return d
