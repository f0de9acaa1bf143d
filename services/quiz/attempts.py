"""Starting, reading and submitting attempts: each a short transaction over store + domain."""

from __future__ import annotations

import random
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from services.quiz import blueprint, closing, domain, store, store_answers
from services.quiz.deps import quiz
from services.quiz.domain import Question
from services.quiz.participants import NOT_ALLOWED, excluded
from shared.errors import ContestError
from shared.events import format_utc
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
        raise ContestError(503, "no_bank", "Ngân hàng câu hỏi chưa sẵn sàng. Vui lòng quay lại sau ít phút.")
    if version not in deps.bank_cache:
        deps.bank_cache[version] = await store.bank_questions(conn, version)
    return version, deps.bank_cache[version]


async def start(rt: Runtime, participant_id: str, round_id: str) -> dict[str, Any]:
    rules = rt.contest.quiz
    rnd = rt.contest.round(round_id)
    if rnd is None:
        raise ContestError(404, "round_not_found", f"Không có vòng thi {round_id!r}.")
    now = datetime.now(UTC)
    if not domain.round_is_open(rnd, now):
        raise ContestError(409, "round_closed", f"{rnd.name} hiện không mở. Vui lòng xem lịch thi trên trang chủ.")
    async with rt.pool.acquire() as conn:
        # This participant's overdue attempts get their result now (with what was saved), not at the
        # next sweep; committed on its own, so a start refused below does not undo it.
        async with conn.transaction():
            for overdue in await store_answers.overdue_for_update(
                    conn, now - timedelta(seconds=rules.grace_seconds), limit=10, participant_id=participant_id):
                await closing.close_overdue(rt, conn, overdue, expire_empty=True)
        async with conn.transaction():
            # The participant row lock serialises concurrent starts of one participant (limit, one open).
            p = await store.participant(conn, participant_id, lock=True)
            if p is None:
                raise ContestError(401, "unknown_participant", "Không tìm thấy người dự thi; vui lòng đăng ký lại.")
            if excluded(rt, p.phone):
                raise NOT_ALLOWED
            if p.duplicate_of is not None:
                raise ContestError(403, "duplicate_account", "Tài khoản này trùng số điện thoại với một tài khoản đăng "
                                "ký trước nên không thể dự thi; vui lòng đăng nhập bằng số điện thoại của bạn.")
            if rules.require_verified_phone and not p.phone_verified:
                raise ContestError(403, "phone_unverified", "Vui lòng xác minh số điện thoại bằng mã OTP trước khi bắt "
                                "đầu lượt thi.")
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
        a = await store.own_attempt(conn, attempt_id, participant_id)
        saved = await store_answers.saved(conn, attempt_id) if a.status == "open" else {}
    fq = rt.contest.quiz.free_question.question_id
    # What the server saved, so another device (or a cleared browser) resumes where the participant was.
    return _view(rt, a, saved_answers={qid: s.option_key for qid, s in saved.items() if qid != fq},
                 saved_free_answer=saved[fq].free_value if fq in saved else None)


async def submit(
    rt: Runtime, participant_id: str, attempt_id: str, answers: list[tuple[str, str | None]], free_answer: Any
) -> dict[str, Any]:
    rules = rt.contest.quiz
    # Read, then one conditional statement that stores the result and its event. Concurrent submits
    # (and the sweeper) race on that statement; exactly one wins and the others read its result.
    async with rt.pool.acquire() as conn:
        a = await store.own_attempt(conn, attempt_id, participant_id)
        if a.status == "submitted" and a.result is not None:
            return a.result  # idempotent: the same result, no new event
        now = datetime.now(UTC)
        if a.status == "open" and domain.is_late(now, a.deadline, rules.grace_seconds):
            # Too late for what this request carries, not for what the server saved in time.
            async with conn.transaction():
                locked = await store.attempt(conn, attempt_id, lock=True)
                if locked is not None and locked.status == "open":
                    result = await closing.close_overdue(rt, conn, locked, expire_empty=False)
                    if result is not None:
                        return result
            a = await store.attempt(conn, attempt_id) or a
            if a.status == "submitted" and a.result is not None:
                return a.result  # the sweeper closed it first
        if a.status != "open" or domain.is_late(now, a.deadline, rules.grace_seconds):
            raise ContestError(409, "attempt_expired", "Đã hết thời gian làm bài của lượt thi này nên bài nộp không "
                            "được ghi nhận.", {"deadline": format_utc(a.deadline)})
        chosen = domain.check_answers(a.questions, answers)
        fq = rules.free_question
        domain.parse_free_answer(fq.kind, fq.question_id, free_answer)  # 422 before anything is stored
        if free_answer is None or any(chosen.get(q.id) is None for q in a.questions):
            # A blank in the request never erases an answer saved earlier (a full sheet skips the read).
            saved = await store_answers.saved(conn, attempt_id)
            for qid, got in saved.items():
                if chosen.get(qid) is None and got.option_key is not None and qid in {q.id for q in a.questions}:
                    chosen[qid] = got.option_key
            if free_answer is None and fq.question_id in saved:
                free_answer = saved[fq.question_id].free_value
        result = await closing.finish(rt, conn, a, chosen, free_answer, submitted_at=now, by_server=False)
        if result is None:
            again = await store.attempt(conn, attempt_id)
            if again is not None and again.status == "submitted" and again.result is not None:
                return again.result  # a concurrent submit won: the same answer for both
            raise ContestError(409, "attempt_not_open", "Lượt thi này không còn mở.")
    return result


async def save_answers(
    rt: Runtime, participant_id: str, attempt_id: str, answers: list[tuple[str, str | None, int]],
    free_answer: tuple[Any, int] | None,
) -> dict[str, Any]:
    """Save answers as they are chosen (idempotent; per question the highest `seq` wins)."""
    rules = rt.contest.quiz
    async with rt.pool.acquire() as conn:
        a = await store.own_attempt(conn, attempt_id, participant_id)
        if a.status != "open" or domain.is_late(datetime.now(UTC), a.deadline, rules.grace_seconds):
            raise ContestError(409, "attempt_not_open", "Lượt thi này đã đóng; câu trả lời không được lưu thêm.",
                            {"status": a.status})
        chosen = domain.check_answers(a.questions, [(qid, key) for qid, key, _ in answers])
        rows = [store_answers.SavedAnswer(qid, chosen[qid], None, seq) for qid, _, seq in answers]
        if free_answer is not None:
            fq = rules.free_question
            value, seq = free_answer
            text = domain.free_answer_text(fq.kind, fq.question_id, value)
            rows.append(store_answers.SavedAnswer(fq.question_id, None, text, seq))
        if rows:
            await store_answers.save(conn, attempt_id, rows)
        current = await store_answers.saved(conn, attempt_id)
    return {"attempt_id": attempt_id, "answers": [
        {"question_id": s.question_id, "option_key": s.option_key, "seq": s.seq} for s in current.values()
        if s.question_id != rules.free_question.question_id]}
