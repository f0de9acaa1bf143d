"""Registration and OTP login: the flows behind /api/participants."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from services.quiz import otp, store
from services.quiz.deps import quiz
from services.quiz.domain import excluded_phones, mask_phone, normalize_name, normalize_phone
from shared.auth import issue_participant_token
from shared.errors import ContestError
from shared.service import Runtime

NOT_ALLOWED = ContestError(403, "not_eligible", "Thành viên Ban Tổ chức, Ban Giám khảo và tổ giúp việc không được "
                        "tham gia dự thi.")


def excluded(rt: Runtime, phone: str | None) -> bool:
    """`phone` is canonical (normalize_phone); so is the list, checked at start-up (app.py)."""
    cached = rt.state.get("excluded_phones")
    if cached is None:
        cached = rt.state["excluded_phones"] = excluded_phones(rt.contest.quiz.excluded_phones)
    return phone in cached


def token_for(rt: Runtime, p: store.ParticipantRow) -> dict[str, Any]:
    # `pv` (phone verified) tells engagement, which never reads this database, that a one-time code
    # proved the phone: only such tokens' likes count.
    token = issue_participant_token(
        quiz(rt).private_key, participant_id=p.participant_id, contest_id=rt.contest.contest_id,
        display_name=p.full_name, unit_id=p.unit_id, phone_verified=p.phone_verified,
    )
    return {"participant_id": p.participant_id, "token": token, "display_name": p.full_name,
            "unit_id": p.unit_id, "masked_phone": mask_phone(p.phone or ""), "phone_verified": p.phone_verified}


def _birth_year(value: int | None) -> int | None:
    if value is None:
        return None
    if not 1900 <= value <= datetime.now(UTC).year:
        raise ContestError(422, "invalid_birth_year", "Năm sinh không hợp lệ.")
    return value


async def register(rt: Runtime, *, full_name: str, phone: str, unit_id: str, birth_year: int | None,
                   ip: str) -> dict:
    name = normalize_name(full_name)
    number = normalize_phone(phone)
    if unit_id not in rt.contest.units_by_id:
        raise ContestError(422, "unknown_unit", "Đơn vị không có trong danh sách xã, thị trấn, cơ quan của cuộc thi.")
    year = _birth_year(birth_year)
    if excluded(rt, number):
        raise NOT_ALLOWED
    row = store.ParticipantRow("p-" + secrets.token_hex(8), name, unit_id, number, year)
    async with rt.pool.acquire() as conn:
        created = await store.insert_participant(
            conn, participant_id=row.participant_id, contest_id=rt.contest.contest_id, phone=number,
            full_name=name, unit_id=unit_id, birth_year=year,
        )
        existing = None if created else await store.participant_by_phone(conn, rt.contest.contest_id, number)
    if not created:
        # Only the phone's owner can go on: the code goes to that phone (within the OTP limits, silently
        # skipped past them). The answer says nothing about the account (no name, unit or id).
        await otp.send_code(rt, number, ip, existing, background=True, quiet=True)
        raise ContestError(409, "phone_registered", "Số điện thoại này đã được đăng ký dự thi. Nếu đó là số của bạn, "
                        "hãy đăng nhập bằng mã OTP gửi tới số điện thoại này.",
                        {"masked_phone": mask_phone(number), "expires_in": quiz(rt).settings.otp_ttl_seconds})
    return token_for(rt, row)


async def request_otp(rt: Runtime, phone: str, ip: str) -> dict:
    number = normalize_phone(phone)
    async with rt.pool.acquire() as conn:
        p = await store.participant_by_phone(conn, rt.contest.contest_id, number)
    await otp.send_code(rt, number, ip, p, background=True)
    # Same answer whether or not the number is registered: the endpoint must not reveal who takes part.
    return {"sent": True, "masked_phone": mask_phone(number), "expires_in": quiz(rt).settings.otp_ttl_seconds,
            "message": "Nếu số điện thoại đã đăng ký, mã OTP đã được gửi tới số đó."}


def wrong_code() -> ContestError:
    return ContestError(401, "invalid_otp", "Mã OTP không đúng hoặc đã hết hạn. Vui lòng kiểm tra lại hoặc yêu cầu mã mới.")


async def _verified(rt: Runtime, p: store.ParticipantRow) -> store.ParticipantRow:
    async with rt.pool.acquire() as conn:
        await store.mark_phone_verified(conn, p.participant_id, datetime.now(UTC))
    return replace(p, phone_verified=True)


async def login(rt: Runtime, phone: str, code: str) -> dict:
    """A code sent to the phone logs its owner in, and so proves the phone too."""
    number = normalize_phone(phone)
    async with rt.pool.acquire() as conn:
        p = await store.participant_by_phone(conn, rt.contest.contest_id, number)
    if not await otp.check_code(rt, number, p.participant_id if p else None, code) or p is None:
        raise wrong_code()
    if excluded(rt, number):
        raise NOT_ALLOWED
    return token_for(rt, await _verified(rt, p))


async def _own(rt: Runtime, participant_id: str) -> store.ParticipantRow:
    async with rt.pool.acquire() as conn:
        p = await store.participant(conn, participant_id)
    if p is None:
        raise ContestError(404, "participant_not_found", "Không tìm thấy người dự thi.")
    if p.phone is None:
        raise ContestError(409, "duplicate_account", "Tài khoản này trùng số điện thoại với một tài khoản đăng ký "
                        "trước; vui lòng đăng nhập bằng số điện thoại của bạn.")
    return p


async def request_verification(rt: Runtime, participant_id: str, ip: str) -> dict:
    """Send a code to the participant's own phone (to prove it before likes count)."""
    p = await _own(rt, participant_id)
    if not p.phone_verified:
        await otp.send_code(rt, p.phone or "", ip, p)
    return {"sent": not p.phone_verified, "phone_verified": p.phone_verified, "masked_phone": mask_phone(p.phone or ""),
            "expires_in": quiz(rt).settings.otp_ttl_seconds}


async def verify(rt: Runtime, participant_id: str, code: str) -> dict:
    """The code proves the phone: a new token carries `pv`."""
    p = await _own(rt, participant_id)
    if not p.phone_verified and not await otp.check_code(rt, p.phone or "", p.participant_id, code):
        raise wrong_code()
    return token_for(rt, await _verified(rt, p))


async def me(rt: Runtime, participant_id: str) -> dict:
    async with rt.pool.acquire() as conn:
        p = await store.participant(conn, participant_id)
        if p is None:
            raise ContestError(404, "participant_not_found", "Không tìm thấy người dự thi.")
        rounds = await store.participant_rounds(conn, participant_id)
    return {"participant_id": p.participant_id, "display_name": p.full_name, "unit_id": p.unit_id,
            "masked_phone": mask_phone(p.phone or ""), "phone_verified": p.phone_verified,
            "attempts_per_round": rt.contest.quiz.attempts_per_round, "rounds": rounds}
