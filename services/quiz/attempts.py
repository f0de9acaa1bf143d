"""Starting, reading and submitting attempts: each a short transaction over store + domain."""

from __future__ import annotations

import random
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from services.quiz import blueprint, domain, review, store
from services.quiz.deps import quiz
from services.quiz.domain import Question, QuizError
from services.quiz.participants import NOT_ALLOWED, excluded
from shared.events import ANSWER_SUBMITTED, AnswerGiven, AnswerSubmitted, EssayAnswer, format_utc
from shared.service import Runtime

_rng = random.SystemRandom()


def free_question(rt: Runtime) -> dict[str, Any]:
    fq = rt.contest.quiz.free_question
    return {"question_id": fq.question_id, "kind": fq.kind, "text": fq.text}


def _view(rt: Runtime, a: store.AttemptRow, **fields: Any) -> dict[str, Any]:
    """The participant's view of an attempt: questions without answer keys."""
    now = datetime.now(UTC)
    return {
        "attempt_id": a.attempt_id, "round_id": a.round_id, "status": a.status,
        "started_at": format_utc(a.started_at), "deadline": format_utc(a.deadline),
        "server_time": format_utc(now), "time_limit_seconds": rt.contest.quiz.time_limit_seconds,
        "questions": [q.public() for q in a.questions], "free_question": free_question(rt),
        "result": a.result, **fields,
    }


async def _bank(rt: Runtime, conn: Any, round_id: str) -> tuple[int, list[Question]]:
    deps = quiz(rt)
    version = await store.current_bank_version(conn, rt.contest.contest_id, round_id)
    if version is None:
        raise QuizError(503, "no_bank", "Ngân hàng câu hỏi chưa sẵn sàng. Vui lòng quay lại sau ít phút.")
    if version not in deps.bank_cache:
        deps.bank_cache[version] = await store.bank_questions(conn, version)
    return version, deps.bank_cache[version]


async def start(rt: Runtime, participant_id: str, round_id: str) -> dict[str, Any]:
    rules = rt.contest.quiz
    rnd = rt.contest.round(round_id)
    if rnd is None:
        raise QuizError(404, "round_not_found", f"Không có vòng thi {round_id!r}.")
    now = datetime.now(UTC)
    if not domain.round_is_open(rnd, now):
        raise QuizError(409, "round_closed", f"{rnd.name} hiện không mở. Vui lòng xem lịch thi trên trang chủ.")
    async with rt.pool.acquire() as conn, conn.transaction():
        # The participant row lock serialises concurrent starts of one participant (limit, one open).
        p = await store.participant(conn, participant_id, lock=True)
        if p is None:
            raise QuizError(401, "unknown_participant", "Không tìm thấy người dự thi; vui lòng đăng ký lại.")
        if excluded(rt, p.phone):
            raise NOT_ALLOWED
        if p.duplicate_of is not None:
            raise QuizError(403, "duplicate_account", "Tài khoản này trùng số điện thoại với một tài khoản đăng ký "
                            "trước nên không thể dự thi; vui lòng đăng nhập bằng số điện thoại của bạn.")
        if rules.require_verified_phone and not p.phone_verified:
            raise QuizError(403, "phone_unverified", "Vui lòng xác minh số điện thoại bằng mã OTP trước khi bắt đầu "
                            "lượt thi.")
        await store.expire_overdue(conn, participant_id, now - timedelta(seconds=rules.grace_seconds))
        used, open_id = await store.attempt_stats(conn, participant_id, round_id)
        domain.check_can_start(attempts_in_round=used, limit=rules.attempts_per_round, open_attempt_id=open_id)
        version, bank = await _bank(rt, conn, round_id)
        questions = blueprint.draw(bank, rules, rnd, _rng)
        attempt = store.AttemptRow(
            attempt_id="a-" + secrets.token_hex(8), participant_id=participant_id, round_id=round_id,
            bank_version=version, display_name=p.full_name, unit_id=p.unit_id, questions=questions,
            started_at=now, deadline=domain.deadline_for(now, rules), status="open", submitted_at=None,
            result=None,
        )
        await store.insert_attempt(
            conn, attempt_id=attempt.attempt_id, participant=p, contest_id=rt.contest.contest_id,
            round_id=round_id, bank_version=version, questions=questions, started_at=now,
            deadline=attempt.deadline,
        )
    deps = quiz(rt)
    deps.started.inc()
    deps.active.inc()
    return _view(rt, attempt, attempts_used=used + 1, attempts_per_round=rules.attempts_per_round)


async def get(rt: Runtime, participant_id: str, attempt_id: str) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        a = await store.attempt(conn, attempt_id)
    if a is None or a.participant_id != participant_id:
        raise QuizError(404, "attempt_not_found", "Không tìm thấy lượt thi.")
    return _view(rt, a)


async def submit(
    rt: Runtime, participant_id: str, attempt_id: str, answers: list[tuple[str, str | None]], free_answer: Any
) -> dict[str, Any]:
    rules = rt.contest.quiz
    # Two round trips: read, then one conditional statement that stores the result and its event.
    # Concurrent submits race on that statement; exactly one wins and the others read its result.
    async with rt.pool.acquire() as conn:
        a = await store.attempt(conn, attempt_id)
        if a is None or a.participant_id != participant_id:
            raise QuizError(404, "attempt_not_found", "Không tìm thấy lượt thi.")
        if a.status == "submitted" and a.result is not None:
            return a.result  # idempotent: the same result, no new event
        now = datetime.now(UTC)
        if a.status == "expired" or domain.is_late(now, a.deadline, rules.grace_seconds):
            raise QuizError(409, "attempt_expired", "Đã hết thời gian làm bài của lượt thi này nên bài nộp không "
                            "được ghi nhận.", {"deadline": format_utc(a.deadline)})
        chosen = domain.check_answers(a.questions, answers)
        fq = rules.free_question
        prediction, essay = domain.parse_free_answer(fq.kind, fq.question_id, free_answer)
        graded = domain.grade(a.questions, chosen)
        took = domain.duration_ms(a.started_at, now)
        points = domain.score(graded, rules, took)
        result = {"attempt_id": a.attempt_id, "round_id": a.round_id, "correct": graded.correct,
                  "total": graded.total, "score": points, "duration_ms": took, "submitted_at": format_utc(now)}
        event = rt.outbox.row(ANSWER_SUBMITTED, AnswerSubmitted(
            contest_id=rt.contest.contest_id, phase_id=rules.phase_id, round_id=a.round_id,
            attempt_id=a.attempt_id, participant_id=participant_id, display_name=a.display_name,
            unit_id=a.unit_id, started_at=a.started_at, submitted_at=now, duration_ms=took,
            correct=graded.correct, total=graded.total, score=points, prediction=prediction,
            essay=EssayAnswer(**essay) if essay else None,
            answers=[AnswerGiven(question_id=g.question_id, option_key=g.option_key, correct=g.correct)
                     for g in graded.answers],
        ))
        if not await store.mark_submitted(conn, attempt_id, now, result, event):
            again = await store.attempt(conn, attempt_id)
            if again is not None and again.status == "submitted" and again.result is not None:
                return again.result  # a concurrent submit won: the same answer for both
            raise QuizError(409, "attempt_not_open", "Lượt thi này không còn mở.")
        await review.record_choices(conn, attempt_id, chosen)  # shown in the review after the round closes
    deps = quiz(rt)
    deps.submitted.inc()
    deps.active.dec()
    return result
