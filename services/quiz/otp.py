"""One-time codes to a phone: sending (cooldown and daily cap per phone, cap per IP) and checking (a
limit of wrong tries per phone per day that a new code does not reset).

Everything is counted in PostgreSQL under advisory locks, so the limits hold across replicas and
restarts. The limits are by phone number whether or not it is registered: the answers (and the
429s) are the same for both, so they do not tell who takes part.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from services.quiz import store
from services.quiz.deps import quiz
from services.quiz.settings import QuizSettings
from shared.errors import ContestError
from shared.ratelimit import too_many_requests
from shared.service import Runtime

log = logging.getLogger(__name__)
DAY, HOUR = timedelta(days=1), timedelta(hours=1)


@dataclass(frozen=True)
class OtpLimits:
    cooldown: timedelta
    daily_per_phone: int
    hourly_per_ip: int
    max_tries: int

    @classmethod
    def of(cls, s: QuizSettings) -> OtpLimits:
        return cls(timedelta(seconds=s.otp_cooldown_seconds), s.otp_daily_per_phone, s.otp_hourly_per_ip,
                   s.otp_max_tries)


def _seconds(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def locked_for(usage: Any, limits: OtpLimits, now: datetime) -> int | None:
    """Seconds until the phone may try a code again, or None (rolling 24 h of wrong tries)."""
    if usage["fail_count"] >= limits.max_tries:
        return _seconds(usage["fail_first"] + DAY, now)
    return None


def send_refusal(usage: Any, limits: OtpLimits, now: datetime) -> tuple[str, int] | None:
    """(error code, Retry-After seconds) when no new code may be sent now, else None. Pure."""
    locked = locked_for(usage, limits, now)
    if locked is not None:
        return "otp_locked", locked
    if usage["ip_count"] >= limits.hourly_per_ip:
        return "otp_ip_limit", _seconds(usage["ip_first"] + HOUR, now)
    if usage["day_count"] >= limits.daily_per_phone:
        return "otp_daily_limit", _seconds(usage["day_first"] + DAY, now)
    if usage["last_at"] is not None and now < usage["last_at"] + limits.cooldown:
        return "otp_cooldown", _seconds(usage["last_at"] + limits.cooldown, now)
    return None


MESSAGES = {
    "otp_locked": "Đã nhập sai mã OTP quá nhiều lần; số điện thoại này tạm khóa xác minh, vui lòng thử lại sau.",
    "otp_ip_limit": "Thiết bị hoặc mạng của bạn đã yêu cầu quá nhiều mã OTP, vui lòng thử lại sau.",
    "otp_daily_limit": "Số điện thoại này đã nhận đủ số mã OTP cho phép trong 24 giờ, vui lòng thử lại sau.",
    "otp_cooldown": "Vừa có mã OTP gửi tới số này; vui lòng chờ ít giây rồi yêu cầu lại.",
}


def too_many(code: str, seconds: int) -> ContestError:
    return too_many_requests(seconds, MESSAGES[code], code=code, details={"retry_after": seconds})


def code_hash(participant_id: str, code: str) -> str:
    return hashlib.sha256(f"{participant_id}:{code}".encode()).hexdigest()


async def send_code(rt: Runtime, phone: str, ip: str, participant: store.ParticipantRow | None, *,
                    background: bool = False, quiet: bool = False) -> None:
    """Count a code request for `phone` from `ip` and, if the phone is registered, send it a new code.
    `background`: answer before the SMS gateway does, so the response time does not tell whether a
    code was sent. `quiet`: skip silently instead of a 429 when a limit says no."""
    deps = quiz(rt)
    s, cid, now = deps.settings, rt.contest.contest_id, datetime.now(UTC)
    code = None
    async with rt.pool.acquire() as conn, conn.transaction():
        await store.lock_otp(conn, cid, phone, ip)
        refusal = send_refusal(await store.otp_usage(conn, cid, phone, ip, now), OtpLimits.of(s), now)
        if refusal is not None:
            if quiet:
                return
            raise too_many(*refusal)
        await store.log_otp_request(conn, cid, phone, ip, now)
        if participant is not None:
            code = f"{secrets.randbelow(1_000_000):06d}"
            await store.save_otp(conn, participant.participant_id, code_hash(participant.participant_id, code),
                                 now + timedelta(seconds=s.otp_ttl_seconds))
    if code is None:
        return
    if background:
        task = asyncio.create_task(_send_logged(deps, phone, code, s.otp_ttl_seconds))
        deps.sms_tasks.add(task)
        task.add_done_callback(deps.sms_tasks.discard)
    else:
        await deps.sms.send_code(phone, code, s.otp_ttl_seconds)


async def _send_logged(deps: Any, phone: str, code: str, ttl: int) -> None:
    try:
        await deps.sms.send_code(phone, code, ttl)
    except Exception as exc:  # a background send has nobody to answer: log it
        log.warning("one-time code not sent: %r", exc)


async def check_code(rt: Runtime, phone: str, participant_id: str | None, code: str) -> bool:
    """True once for the right, unexpired code (then it is spent); a wrong one is logged against the
    phone (committed even though the caller answers 401). 429 while the phone is locked."""
    s, cid, now = quiz(rt).settings, rt.contest.contest_id, datetime.now(UTC)
    async with rt.pool.acquire() as conn, conn.transaction():
        await store.lock_otp(conn, cid, phone, None)
        locked = locked_for(await store.otp_usage(conn, cid, phone, "", now), OtpLimits.of(s), now)
        if locked is not None:
            raise too_many("otp_locked", locked)
        otp = await store.otp_for_update(conn, participant_id) if participant_id else None
        given = (code or "").strip()
        if otp is not None and otp["expires_at"] >= now and hmac.compare_digest(
                otp["code_hash"], code_hash(participant_id or "", given)):
            await store.delete_otp(conn, participant_id or "")
            return True
        await store.log_otp_failure(conn, cid, phone, now)
        if otp is not None:
            await store.count_otp_try(conn, participant_id or "")
    return False
