"""SQL for the quiz schema: asyncpg in, domain values out. Callers own the transactions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.quiz.domain import Question
from shared.errors import ContestError
from shared.outbox import OutboxRow


@dataclass(frozen=True)
class ParticipantRow:
    participant_id: str
    full_name: str
    unit_id: str
    phone: str | None  # canonical; None for a later duplicate set aside by migration 002
    birth_year: int | None
    phone_verified: bool = False
    duplicate_of: str | None = None


@dataclass(frozen=True)
class AttemptRow:
    attempt_id: str
    participant_id: str
    round_id: str
    bank_version: int
    display_name: str
    unit_id: str
    questions: list[Question]
    started_at: datetime
    deadline: datetime
    status: str
    submitted_at: datetime | None
    result: dict[str, Any] | None


def _participant(row: asyncpg.Record | None) -> ParticipantRow | None:
    if row is None:
        return None
    return ParticipantRow(row["participant_id"], row["full_name"], row["unit_id"], row["phone"], row["birth_year"],
                          row["phone_verified_at"] is not None, row["duplicate_of"])


def _attempt(row: asyncpg.Record | None) -> AttemptRow | None:
    if row is None:
        return None
    return AttemptRow(
        attempt_id=row["attempt_id"], participant_id=row["participant_id"], round_id=row["round_id"],
        bank_version=row["bank_version"], display_name=row["display_name"], unit_id=row["unit_id"],
        questions=[Question.from_json(q) for q in row["questions"]], started_at=row["started_at"],
        deadline=row["deadline"], status=row["status"], submitted_at=row["submitted_at"], result=row["result"],
    )


# --- participants -----------------------------------------------------------------------------


async def insert_participant(
    conn: asyncpg.Connection, *, participant_id: str, contest_id: str, phone: str, full_name: str,
    unit_id: str, birth_year: int | None,
) -> bool:
    """False when the phone is already registered for the contest."""
    got = await conn.fetchval(
        "INSERT INTO participants (participant_id, contest_id, phone, full_name, unit_id, birth_year)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (contest_id, phone) DO NOTHING RETURNING 1",
        participant_id, contest_id, phone, full_name, unit_id, birth_year,
    )
    return got is not None


_P_COLS = "participant_id, full_name, unit_id, phone, birth_year, phone_verified_at, duplicate_of"


async def participant(conn: asyncpg.Connection, participant_id: str, *, lock: bool = False) -> ParticipantRow | None:
    sql = f"SELECT {_P_COLS} FROM participants WHERE participant_id = $1" + (" FOR UPDATE" if lock else "")
    return _participant(await conn.fetchrow(sql, participant_id))


async def participant_by_phone(conn: asyncpg.Connection, contest_id: str, phone: str) -> ParticipantRow | None:
    return _participant(await conn.fetchrow(
        f"SELECT {_P_COLS} FROM participants WHERE contest_id = $1 AND phone = $2", contest_id, phone))


async def mark_phone_verified(conn: asyncpg.Connection, participant_id: str, at: datetime) -> None:
    await conn.execute("UPDATE participants SET phone_verified_at = coalesce(phone_verified_at, $2)"
                       " WHERE participant_id = $1", participant_id, at)


# --- one-time codes: codes (hashed), and the request / failure logs the limits count -----------


async def lock_otp(conn: asyncpg.Connection, contest_id: str, phone: str, ip: str | None) -> None:
    """Serialise the limit checks of one IP and one phone across replicas (inside a transaction).
    Always IP first, then phone: one order, no deadlock."""
    if ip is not None:
        await conn.execute("SELECT pg_advisory_xact_lock(1201, hashtext($1))", ip)
    await conn.execute("SELECT pg_advisory_xact_lock(1202, hashtext($1))", f"{contest_id}:{phone}")


async def otp_usage(conn: asyncpg.Connection, contest_id: str, phone: str, ip: str, now: datetime) -> asyncpg.Record:
    return await conn.fetchrow(
        "SELECT"
        " (SELECT max(requested_at) FROM otp_requests WHERE contest_id = $1 AND phone = $2) AS last_at,"
        " (SELECT count(*) FROM otp_requests WHERE contest_id = $1 AND phone = $2"
        "   AND requested_at > $4::timestamptz - interval '1 day') AS day_count,"
        " (SELECT min(requested_at) FROM otp_requests WHERE contest_id = $1 AND phone = $2"
        "   AND requested_at > $4::timestamptz - interval '1 day') AS day_first,"
        " (SELECT count(*) FROM otp_requests WHERE ip = $3 AND requested_at > $4::timestamptz - interval '1 hour') AS ip_count,"
        " (SELECT min(requested_at) FROM otp_requests WHERE ip = $3"
        "   AND requested_at > $4::timestamptz - interval '1 hour') AS ip_first,"
        " (SELECT count(*) FROM otp_failures WHERE contest_id = $1 AND phone = $2"
        "   AND failed_at > $4::timestamptz - interval '1 day') AS fail_count,"
        " (SELECT min(failed_at) FROM otp_failures WHERE contest_id = $1 AND phone = $2"
        "   AND failed_at > $4::timestamptz - interval '1 day') AS fail_first",
        contest_id, phone, ip, now)


async def log_otp_request(conn: asyncpg.Connection, contest_id: str, phone: str, ip: str, now: datetime) -> None:
    await conn.execute("INSERT INTO otp_requests (contest_id, phone, ip, requested_at) VALUES ($1, $2, $3, $4)",
                       contest_id, phone, ip, now)
    # Only the last day counts: forget older requests of this phone and IP (numbers asked for are kept
    # no longer than the limits need them).
    await conn.execute("DELETE FROM otp_requests WHERE (phone = $1 OR ip = $2)"
                       " AND requested_at < $3::timestamptz - interval '2 days'", phone, ip, now)


async def log_otp_failure(conn: asyncpg.Connection, contest_id: str, phone: str, now: datetime) -> None:
    await conn.execute("INSERT INTO otp_failures (contest_id, phone, failed_at) VALUES ($1, $2, $3)",
                       contest_id, phone, now)


async def save_otp(conn: asyncpg.Connection, participant_id: str, code_hash: str, expires_at: datetime) -> None:
    """A new code replaces the previous one; the wrong tries are counted in otp_failures, not here."""
    await conn.execute(
        "INSERT INTO otp_codes (participant_id, code_hash, expires_at, tries) VALUES ($1, $2, $3, 0)"
        " ON CONFLICT (participant_id) DO UPDATE SET code_hash = $2, expires_at = $3",
        participant_id, code_hash, expires_at,
    )


async def otp_for_update(conn: asyncpg.Connection, participant_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT code_hash, expires_at, tries FROM otp_codes WHERE participant_id = $1 FOR UPDATE", participant_id)


async def count_otp_try(conn: asyncpg.Connection, participant_id: str) -> None:
    await conn.execute("UPDATE otp_codes SET tries = tries + 1 WHERE participant_id = $1", participant_id)


async def delete_otp(conn: asyncpg.Connection, participant_id: str) -> None:
    await conn.execute("DELETE FROM otp_codes WHERE participant_id = $1", participant_id)


# --- question bank ----------------------------------------------------------------------------


async def insert_bank(
    conn: asyncpg.Connection, *, contest_id: str, round_id: str | None, source: str, questions: list[Question]
) -> int:
    return await conn.fetchval(
        "INSERT INTO bank_versions (contest_id, round_id, source, question_count, questions)"
        " VALUES ($1, $2, $3, $4, $5) RETURNING version",
        contest_id, round_id, source, len(questions), [q.to_json() for q in questions],
    )


async def any_bank(conn: asyncpg.Connection, contest_id: str) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM bank_versions WHERE contest_id = $1)", contest_id))


async def current_bank_version(conn: asyncpg.Connection, contest_id: str, round_id: str) -> int | None:
    """The newest bank for the round, else the newest bank for every round."""
    return await conn.fetchval(
        "SELECT version FROM bank_versions WHERE contest_id = $1 AND (round_id = $2 OR round_id IS NULL)"
        " ORDER BY (round_id IS NULL), version DESC LIMIT 1",
        contest_id, round_id,
    )


async def bank_questions(conn: asyncpg.Connection, version: int) -> list[Question]:
    raw = await conn.fetchval("SELECT questions FROM bank_versions WHERE version = $1", version)
    return [Question.from_json(q) for q in raw or []]


async def list_banks(conn: asyncpg.Connection, contest_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT version, round_id, source, question_count, created_at FROM bank_versions"
        " WHERE contest_id = $1 ORDER BY version DESC LIMIT 100", contest_id)
    return [dict(r) for r in rows]


# --- attempts ---------------------------------------------------------------------------------


async def expire_overdue(conn: asyncpg.Connection, participant_id: str, cutoff: datetime) -> None:
    await conn.execute(
        "UPDATE attempts SET status = 'expired' WHERE participant_id = $1 AND status = 'open' AND deadline < $2",
        participant_id, cutoff,
    )


async def attempt_stats(conn: asyncpg.Connection, participant_id: str, round_id: str) -> tuple[int, str | None]:
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE round_id = $2) AS n,"
        " max(attempt_id) FILTER (WHERE status = 'open') AS open_id"
        " FROM attempts WHERE participant_id = $1",
        participant_id, round_id,
    )
    return row["n"], row["open_id"]


async def insert_attempt(
    conn: asyncpg.Connection, *, attempt_id: str, participant: ParticipantRow, contest_id: str, round_id: str,
    bank_version: int, questions: list[Question], started_at: datetime, deadline: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO attempts (attempt_id, participant_id, contest_id, round_id, bank_version, display_name,"
        " unit_id, questions, started_at, deadline) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        attempt_id, participant.participant_id, contest_id, round_id, bank_version, participant.full_name,
        participant.unit_id, [q.to_json() for q in questions], started_at, deadline,
    )


_A_COLS = ("attempt_id, participant_id, round_id, bank_version, display_name, unit_id, questions, started_at,"
           " deadline, status, submitted_at, result")


async def attempt(conn: asyncpg.Connection, attempt_id: str, *, lock: bool = False) -> AttemptRow | None:
    sql = f"SELECT {_A_COLS} FROM attempts WHERE attempt_id = $1" + (" FOR UPDATE" if lock else "")
    return _attempt(await conn.fetchrow(sql, attempt_id))


async def own_attempt(conn: asyncpg.Connection, attempt_id: str, participant_id: str) -> AttemptRow:
    """The participant's own attempt, or 404: someone else's attempt is not found either (its id
    tells nothing)."""
    a = await attempt(conn, attempt_id)
    if a is None or a.participant_id != participant_id:
        raise ContestError(404, "attempt_not_found", "Không tìm thấy lượt thi.")
    return a


async def mark_submitted(
    conn: asyncpg.Connection, attempt_id: str, submitted_at: datetime, result: dict[str, Any], event: OutboxRow
) -> bool:
    """Store the result and its event in ONE statement (atomic without an explicit transaction),
    conditional on the attempt still being open: True for exactly one caller."""
    done = await conn.fetchval(
        "WITH done AS (UPDATE attempts SET status = 'submitted', submitted_at = $2, result = $3"
        "  WHERE attempt_id = $1 AND status = 'open' RETURNING 1)"
        " INSERT INTO outbox (topic, key, payload, event_id) SELECT $4, $5, $6, $7 FROM done RETURNING 1",
        attempt_id, submitted_at, result, event.topic, event.key, event.payload, event.event.id,
    )
    return done is not None


async def participant_rounds(conn: asyncpg.Connection, participant_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT round_id, count(*) AS used, max((result->>'score')::float8) AS best_score,"
        " max(attempt_id) FILTER (WHERE status = 'open') AS open_attempt_id"
        " FROM attempts WHERE participant_id = $1 GROUP BY round_id ORDER BY round_id", participant_id)
    return [dict(r) for r in rows]


async def count_open(conn: asyncpg.Connection, now: datetime) -> int:
    return await conn.fetchval("SELECT count(*) FROM attempts WHERE status = 'open' AND deadline > $1", now)
