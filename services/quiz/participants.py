"""Registration and OTP login: the flows behind /api/participants."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from services.quiz import store
from services.quiz.deps import quiz
from services.quiz.domain import QuizError, mask_phone, normalize_name, normalize_phone
from shared.auth import issue_participant_token
from shared.service import Runtime

NOT_ALLOWED = QuizError(403, "not_eligible", "Thành viên Ban Tổ chức, Ban Giám khảo và tổ giúp việc không được "
                        "tham gia dự thi.")


def excluded(rt: Runtime, phone: str) -> bool:
    cached = rt.state.get("excluded_phones")
    if cached is None:
        cached = set()
        for raw in rt.contest.quiz.excluded_phones:
            try:
                cached.add(normalize_phone(raw))
            except QuizError:
                cached.add(raw)
        rt.state["excluded_phones"] = cached
    return phone in cached


def token_for(rt: Runtime, p: store.ParticipantRow) -> dict[str, Any]:
    token = issue_participant_token(
        quiz(rt).private_key, participant_id=p.participant_id, contest_id=rt.contest.contest_id,
        display_name=p.full_name, unit_id=p.unit_id,
    )
    return {"participant_id": p.participant_id, "token": token, "display_name": p.full_name,
            "unit_id": p.unit_id, "masked_phone": mask_phone(p.phone)}


def _birth_year(value: int | None) -> int | None:
    if value is None:
        return None
    if not 1900 <= value <= datetime.now(UTC).year:
        raise QuizError(422, "invalid_birth_year", "Năm sinh không hợp lệ.")
    return value


async def register(rt: Runtime, *, full_name: str, phone: str, unit_id: str, birth_year: int | None) -> dict:
    name = normalize_name(full_name)
    number = normalize_phone(phone)
    if unit_id not in rt.contest.units_by_id:
        raise QuizError(422, "unknown_unit", "Đơn vị không có trong danh sách xã, thị trấn, cơ quan của cuộc thi.")
    year = _birth_year(birth_year)
    if excluded(rt, number):
        raise NOT_ALLOWED
    row = store.ParticipantRow("p-" + secrets.token_hex(8), name, unit_id, number, year)
    async with rt.pool.acquire() as conn:
        created = await store.insert_participant(
            conn, participant_id=row.participant_id, contest_id=rt.contest.contest_id, phone=number,
            full_name=name, unit_id=unit_id, birth_year=year,
        )
    if not created:
        raise QuizError(409, "phone_registered", "Số điện thoại này đã được đăng ký dự thi. Nếu đó là bạn, hãy "
                        "đăng nhập bằng mã OTP gửi tới số điện thoại.")
    return token_for(rt, row)


def _hash(participant_id: str, code: str) -> str:
    return hashlib.sha256(f"{participant_id}:{code}".encode()).hexdigest()


async def request_otp(rt: Runtime, phone: str) -> dict:
    number = normalize_phone(phone)
    deps = quiz(rt)
    deps.ip_limiter.check(f"otp-phone:{number}", cost=deps.settings.rate_limit_ip_burst / 3)
    async with rt.pool.acquire() as conn:
        p = await store.participant_by_phone(conn, rt.contest.contest_id, number)
        if p is not None:
            code = f"{secrets.randbelow(1_000_000):06d}"
            expires = datetime.now(UTC) + timedelta(seconds=deps.settings.otp_ttl_seconds)
            await store.save_otp(conn, p.participant_id, _hash(p.participant_id, code), expires)
            await deps.otp_sender.send(number, code)
    # Same answer whether or not the number is registered: the endpoint must not reveal who takes part.
    return {"sent": True, "masked_phone": mask_phone(number), "expires_in": deps.settings.otp_ttl_seconds,
            "message": "Nếu số điện thoại đã đăng ký, mã OTP đã được gửi tới số đó."}


async def login(rt: Runtime, phone: str, code: str) -> dict:
    number = normalize_phone(phone)
    wrong = QuizError(401, "invalid_otp", "Mã OTP không đúng hoặc đã hết hạn. Vui lòng yêu cầu mã mới.")
    async with rt.pool.acquire() as conn:
        p = await store.participant_by_phone(conn, rt.contest.contest_id, number)
        if p is None:
            raise wrong
        async with conn.transaction():
            otp = await store.otp_for_update(conn, p.participant_id)
            usable = (otp is not None and otp["expires_at"] >= datetime.now(UTC)
                      and otp["tries"] < quiz(rt).settings.otp_max_tries)
            ok = usable and hmac.compare_digest(otp["code_hash"], _hash(p.participant_id, (code or "").strip()))
            if ok:
                await store.delete_otp(conn, p.participant_id)
            elif otp is not None:
                await store.count_otp_try(conn, p.participant_id)  # committed: wrong tries add up
    if not ok:
        raise wrong
    if excluded(rt, number):
        raise NOT_ALLOWED
    return token_for(rt, p)


async def me(rt: Runtime, participant_id: str) -> dict:
    async with rt.pool.acquire() as conn:
        p = await store.participant(conn, participant_id)
        if p is None:
            raise QuizError(404, "participant_not_found", "Không tìm thấy người dự thi.")
        rounds = await store.participant_rounds(conn, participant_id)
    return {"participant_id": p.participant_id, "display_name": p.full_name, "unit_id": p.unit_id,
            "masked_phone": mask_phone(p.phone), "attempts_per_round": rt.contest.quiz.attempts_per_round,
            "rounds": rounds}

