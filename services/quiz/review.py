"""Answer review and answer keys, only ever after a round has closed.

Until the round is settled — closed, and its last attempt (started just before the close) past
its time limit and grace — nothing here reveals a key: the review answers 409 and the key cannot
be published or read. After it, a question that is also in the current bank of a round not yet
settled keeps its key hidden (`withheld`), so a shared bank never leaks into an open round.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.quiz import store
from services.quiz.domain import Question
from services.quiz.stats import observed_level
from shared.contest import Round
from shared.errors import ContestError
from shared.events import format_utc
from shared.service import Runtime


async def record_choices(conn: asyncpg.Connection, attempt_id: str, chosen: dict[str, str | None]) -> None:
    await conn.execute(
        "INSERT INTO attempt_choices (attempt_id, choices) VALUES ($1, $2) ON CONFLICT (attempt_id) DO NOTHING",
        attempt_id, chosen)


def closed_round(rt: Runtime, round_id: str, now: datetime) -> Round:
    rnd = rt.contest.round(round_id)
    if rnd is None:
        raise ContestError(404, "round_not_found", f"Không có vòng thi {round_id!r}.")
    settled = rt.contest.quiz_settled_at(rnd.closes_at)
    if now < settled:
        raise ContestError(409, "round_not_closed", f"{rnd.name} chưa kết thúc: đáp án chỉ được công bố sau khi vòng thi "
                        "đóng và lượt thi cuối cùng đã hết giờ.",
                        {"closes_at": format_utc(rnd.closes_at), "review_opens_at": format_utc(settled)})
    return rnd


async def withheld_ids(rt: Runtime, conn: asyncpg.Connection, now: datetime) -> set[str]:
    """Question ids in the current bank of any round whose attempts can still be taken or submitted."""
    out: set[str] = set()
    for rnd in rt.contest.quiz.rounds:
        if now < rt.contest.quiz_settled_at(rnd.closes_at):
            version = await store.current_bank_version(conn, rt.contest.contest_id, rnd.id)
            if version is not None:
                out.update(q.id for q in await store.bank_questions(conn, version))
    return out


def _question(q: Question, chosen: str | None, hidden: bool) -> dict[str, Any]:
    return {
        "question_id": q.id, "text": q.text, "topic": q.topic, "level": q.level,
        "options": [{"key": o.key, "text": o.text, **({} if hidden else {"correct": o.key == q.answer})}
                    for o in q.options],
        "chosen_key": chosen, "correct_key": None if hidden else q.answer,
        "is_correct": None if hidden else chosen is not None and chosen == q.answer, "withheld": hidden,
    }


def _attempt_review(a: store.AttemptRow, choices: dict[str, str | None] | None, hidden: set[str]) -> dict[str, Any]:
    return {
        "attempt_id": a.attempt_id, "round_id": a.round_id, "status": a.status,
        "started_at": format_utc(a.started_at),
        "submitted_at": format_utc(a.submitted_at) if a.submitted_at else None, "result": a.result,
        "choices_recorded": choices is not None,
        "questions": [_question(q, (choices or {}).get(q.id), q.id in hidden) for q in a.questions],
    }


async def _choices(conn: asyncpg.Connection, attempt_ids: list[str]) -> dict[str, dict[str, str | None]]:
    rows = await conn.fetch("SELECT attempt_id, choices FROM attempt_choices WHERE attempt_id = ANY($1::text[])",
                            attempt_ids)
    return {r["attempt_id"]: r["choices"] for r in rows}


async def attempt_review(rt: Runtime, participant_id: str, attempt_id: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    async with rt.pool.acquire() as conn:
        a = await store.own_attempt(conn, attempt_id, participant_id)
        rnd = closed_round(rt, a.round_id, now)
        choices = await _choices(conn, [a.attempt_id])
        hidden = await withheld_ids(rt, conn, now)
    return {"round_id": rnd.id, "round_name": rnd.name, **_attempt_review(a, choices.get(a.attempt_id), hidden)}


async def round_review(rt: Runtime, participant_id: str, round_id: str) -> dict[str, Any]:
    """Every attempt of the participant in a closed round, question by question."""
    now = datetime.now(UTC)
    rnd = closed_round(rt, round_id, now)
    async with rt.pool.acquire() as conn:
        ids = [r["attempt_id"] for r in await conn.fetch(
            "SELECT attempt_id FROM attempts WHERE participant_id = $1 AND round_id = $2 ORDER BY started_at",
            participant_id, round_id)]
        rows = [a for a in [await store.attempt(conn, i) for i in ids] if a is not None]
        choices = await _choices(conn, ids)
        hidden = await withheld_ids(rt, conn, now)
    return {"round_id": rnd.id, "round_name": rnd.name,
            "attempts": [_attempt_review(a, choices.get(a.attempt_id), hidden) for a in rows]}


async def publish_key(rt: Runtime, round_id: str, published_by: str) -> dict[str, Any]:
    rnd = closed_round(rt, round_id, datetime.now(UTC))
    async with rt.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO published_keys (contest_id, round_id, published_by) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING", rt.contest.contest_id, rnd.id, published_by)
    return await answer_key(rt, round_id)


async def answer_key(rt: Runtime, round_id: str) -> dict[str, Any]:
    """The published key of a closed round: every question served in it, with its correct option."""
    now = datetime.now(UTC)
    rnd = closed_round(rt, round_id, now)
    async with rt.pool.acquire() as conn:
        pub = await conn.fetchrow("SELECT published_at, published_by FROM published_keys"
                                  " WHERE contest_id = $1 AND round_id = $2", rt.contest.contest_id, rnd.id)
        if pub is None:
            raise ContestError(404, "key_not_published", f"Đáp án của {rnd.name} chưa được công bố.")
        served = await conn.fetch(
            "SELECT DISTINCT ON (q->>'id') q FROM attempts, jsonb_array_elements(questions) AS q"
            " WHERE contest_id = $1 AND round_id = $2 ORDER BY q->>'id'", rt.contest.contest_id, rnd.id)
        hidden = await withheld_ids(rt, conn, now)
    ordered = [Question.from_json(row["q"]) for row in served]
    return {
        "round_id": rnd.id, "round_name": rnd.name, "published_at": format_utc(pub["published_at"]),
        "published_by": pub["published_by"],
        "questions": [{"question_id": q.id, "text": q.text, "topic": q.topic, "level": q.level,
                       "options": [{"key": o.key, "text": o.text} for o in sorted(q.options, key=lambda o: o.key)],
                       "correct_key": None if q.id in hidden else q.answer, "withheld": q.id in hidden}
                      for q in ordered],
        "withheld_count": sum(1 for q in ordered if q.id in hidden),
    }


async def item_analysis(rt: Runtime, round_id: str) -> dict[str, Any]:
    """Each question served in the round: how often, share answered correctly, declared vs observed level."""
    rnd = rt.contest.round(round_id)
    if rnd is None:
        raise ContestError(404, "round_not_found", f"Không có vòng thi {round_id!r}.")
    async with rt.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT q->>'id' AS id, max(q->>'topic') AS topic, max(q->>'level') AS level, count(*) AS served,"
            " count(*) FILTER (WHERE c.choices->>(q->>'id') = q->>'answer') AS correct"
            " FROM attempts a JOIN attempt_choices c USING (attempt_id), jsonb_array_elements(a.questions) AS q"
            " WHERE a.contest_id = $1 AND a.round_id = $2 AND a.status = 'submitted'"
            " GROUP BY q->>'id' ORDER BY q->>'id'", rt.contest.contest_id, round_id)
    items = []
    for r in rows:
        share = r["correct"] / r["served"]
        seen = observed_level(share)
        items.append({"question_id": r["id"], "topic": r["topic"], "declared_level": r["level"],
                      "served": r["served"], "share_correct": round(share, 4), "observed_level": seen,
                      "relevel": r["level"] is not None and r["level"] != seen})
    return {"round_id": round_id, "items": items}
