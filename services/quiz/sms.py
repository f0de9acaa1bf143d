"""The SMS port for one-time codes: a console sender for development, an HTTP sender for a gateway."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import httpx
import orjson

from services.quiz.domain import mask_phone
from services.quiz.settings import QuizSettings
from shared.errors import ContestError

log = logging.getLogger(__name__)


def sms_down() -> ContestError:
    return ContestError(503, "sms_unavailable", "Chưa gửi được tin nhắn SMS, vui lòng thử lại sau ít phút.",
                    headers={"Retry-After": "30"})


def otp_text(code: str, ttl_seconds: int) -> str:
    return f"Ma xac minh Cuoc thi Chuyen doi so Ung Hoa: {code}. Hieu luc {ttl_seconds // 60} phut. Khong chia se ma nay."


class SmsSender(Protocol):
    async def send_code(self, phone: str, code: str, ttl_seconds: int) -> None: ...


class ConsoleSmsSender:
    """Development: the code goes to the log (what `make run` shows) and, when configured, one JSON line
    per code to a file under the run directory, so demos and browser journeys can read it. Never a
    route: codes are not readable over the API."""

    def __init__(self, outbox_file: Path | None = None) -> None:
        self.outbox_file = outbox_file

    async def send_code(self, phone: str, code: str, ttl_seconds: int) -> None:
        log.warning("OTP for %s: %s (console SMS sender: no SMS is sent)", mask_phone(phone), code)
        if self.outbox_file is not None:
            line = orjson.dumps({"phone": phone, "code": code, "at": datetime.now(UTC).isoformat()}) + b"\n"
            await asyncio.to_thread(self._append, line)

    def _append(self, line: bytes) -> None:
        self.outbox_file.parent.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
        with open(self.outbox_file, "ab") as f:  # type: ignore[arg-type]
            f.write(line)


class HttpSmsSender:
    """A real SMS gateway: `POST <url>` `{"to": "+84…", "text"}` with `Authorization: Bearer <token>`."""

    def __init__(self, url: str, token: str, timeout: float) -> None:
        self.url, self.token = url, token
        self.client = httpx.AsyncClient(timeout=timeout)

    async def send_code(self, phone: str, code: str, ttl_seconds: int) -> None:
        body = {"to": "+84" + phone[1:], "text": otp_text(code, ttl_seconds)}
        try:
            res = await self.client.post(self.url, json=body, headers={"Authorization": f"Bearer {self.token}"})
        except httpx.HTTPError as exc:
            log.warning("SMS gateway unreachable: %r", exc)
            raise sms_down() from None
        if res.status_code >= 300:
            log.warning("SMS gateway answered %s for %s", res.status_code, mask_phone(phone))
            raise sms_down()

    async def aclose(self) -> None:
        await self.client.aclose()


def sms_sender(settings: QuizSettings) -> SmsSender:
    if settings.sms_sender == "http":
        assert settings.sms_gateway_url and settings.sms_gateway_token  # checked by the settings
        return HttpSmsSender(settings.sms_gateway_url, settings.sms_gateway_token.get_secret_value(),
                             settings.sms_gateway_timeout_seconds)
    if settings.environment == "prod":
        log.error("SMS_SENDER is console in prod: one-time codes go to the log only, nobody can verify a phone")
    return ConsoleSmsSender(settings.sms_console_file)
