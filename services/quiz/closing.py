"""Closing an attempt: grading, storing the result and its event in one statement; and the sweeper
that closes attempts nobody submitted (a phone that died at minute 14) with the answers saved so far.

Exactly one event per attempt: every path ends in `store.mark_submitted`, which is conditional on
the attempt still being open, and writes the outbox row in the same statement.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from services.quiz import domain, review, store, store_answers
from services.quiz.deps import quiz
from shared.errors import ContestError
from shared.events import ANSWER_SUBMITTED, AnswerGiven, AnswerSubmitted, EssayAnswer, format_utc
from shared.service import Runtime

log = logging.getLogger(__name__)


async def finish(
    rt: Runtime, conn: asyncpg.Connection, a: store.AttemptRow, chosen: Mapping[str, str | None],
    free_answer: Any, *, submitted_at: datetime, by_server: bool,
) -> dict[str, Any] | None:
    """Grade, then store result + event if the attempt is still open. None when another closer won."""
    rules = rt.contest.quiz
    fq = rules.free_question
    prediction, essay = domain.parse_free_answer(fq.kind, fq.question_id, free_answer)
    graded = domain.grade(a.questions, chosen)
    took = domain.duration_ms(a.started_at, submitted_at)
    points = domain.score(graded, rules, took)
    result = {"attempt_id": a.attempt_id, "round_id": a.round_id, "correct": graded.correct,
              "total": graded.total, "score": points, "duration_ms": took,
              "submitted_at": format_utc(submitted_at)}
    if by_server:
        result["closed_by"] = "server"
    event = rt.outbox.row(ANSWER_SUBMITTED, AnswerSubmitted(
        contest_id=rt.contest.contest_id, phase_id=rules.phase_id, round_id=a.round_id,
        attempt_id=a.attempt_id, participant_id=a.participant_id, display_name=a.display_name,
        unit_id=a.unit_id, started_at=a.started_at, submitted_at=submitted_at, duration_ms=took,
        correct=graded.correct, total=graded.total, score=points, prediction=prediction,
        essay=EssayAnswer(**essay) if essay else None,
        answers=[AnswerGiven(question_id=g.question_id, option_key=g.option_key, correct=g.correct)
                 for g in graded.answers],
    ))
    if not await store.mark_submitted(conn, a.attempt_id, submitted_at, result, event):
        return None
    await review.record_choices(conn, a.attempt_id, dict(chosen))  # shown in the review after the round closes
    deps = quiz(rt)
    deps.submitted.inc()
    deps.active.dec()
    return result


def _saved_free(rt: Runtime, saved: Mapping[str, store_answers.SavedAnswer]) -> Any:
    got = saved.get(rt.contest.quiz.free_question.question_id)
    return got.free_value if got else None


async def close_overdue(
    rt: Runtime, conn: asyncpg.Connection, a: store.AttemptRow, *, expire_empty: bool
) -> dict[str, Any] | None:
    """Close an attempt past deadline + grace with what the server saved. It counts as taking the
    whole time (submitted_at = the deadline: no speed bonus for a sheet nobody sent). An attempt with
    nothing saved is expired without an event (only when `expire_empty`; a late submit changes nothing)."""
    saved = await store_answers.saved(conn, a.attempt_id)
    served = {q.id for q in a.questions}
    chosen = {qid: s.option_key for qid, s in saved.items() if qid in served and s.option_key is not None}
    if not chosen and _saved_free(rt, saved) is None:
        if expire_empty and await store_answers.mark_expired(conn, a.attempt_id):
            quiz(rt).active.dec()
        return None
    free, fq = _saved_free(rt, saved), rt.contest.quiz.free_question
    try:
        domain.parse_free_answer(fq.kind, fq.question_id, free)
    except ContestError:
        free = None  # checked when it was saved; a rule change since must not cost the score
    result = await finish(rt, conn, a, chosen, free, submitted_at=a.deadline, by_server=True)
    if result is not None:
        quiz(rt).closed_by_server.inc()
    return result


async def sweep_once(rt: Runtime, *, now: datetime | None = None, limit: int = 200) -> int:
    """Close one batch of overdue attempts; safe with several replicas (SKIP LOCKED). Returns how many
    attempts it closed (with a result or expired)."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(seconds=rt.contest.quiz.grace_seconds)
    async with rt.pool.acquire() as conn, conn.transaction():
        overdue = await store_answers.overdue_for_update(conn, cutoff, limit=limit)
        for a in overdue:
            await close_overdue(rt, conn, a, expire_empty=True)
    return len(overdue)


async def run_sweeper(rt: Runtime, interval: float, batch: int) -> None:
    while True:
        try:
            while await sweep_once(rt, limit=batch) >= batch:
                pass  # a backlog: keep going without waiting
        except asyncio.CancelledError:
            raise
        except Exception:  # the database may be away for a moment: try again next round
            log.exception("closing overdue attempts failed; retrying in %.0f s", interval)
        await asyncio.sleep(interval)


async def stop(task: asyncio.Task[None] | None) -> None:
    if task:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
