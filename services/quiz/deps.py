"""Per-app quiz state (keys, limiters, bank cache, OTP sender, metrics) and request helpers."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Annotated

import orjson
from fastapi import Depends, Request, Response
from prometheus_client import Counter, Gauge

from services.quiz.domain import Question
from services.quiz.settings import QuizSettings
from services.quiz.sms import SmsSender
from shared.auth import Participant, bearer, verify_participant_token
from shared.ratelimit import RateLimiter
from shared.service import Runtime

log = logging.getLogger(__name__)


@dataclass
class QuizDeps:
    settings: QuizSettings
    private_key: str
    public_key: str
    ip_limiter: RateLimiter
    participant_limiter: RateLimiter
    sms: SmsSender
    started: Counter
    submitted: Counter
    active: Gauge
    closed_by_server: Counter
    bank_cache: dict[int, list[Question]] = field(default_factory=dict)
    sms_tasks: set[asyncio.Task] = field(default_factory=set)  # codes being sent in the background


async def _runtime(request: Request) -> Runtime:
    # async on purpose: FastAPI runs a plain `def` dependency (shared.service.get_runtime) in a
    # thread pool, a thread hop on every request that cost ~15% of the submit throughput.
    return request.app.state.runtime


Rt = Annotated[Runtime, Depends(_runtime)]


def json_response(data: object, status_code: int = 200) -> Response:
    """Serialize with orjson directly (hot paths: start and submit)."""
    return Response(orjson.dumps(data), status_code=status_code, media_type="application/json")


def quiz(rt: Runtime) -> QuizDeps:
    return rt.state["quiz"]


def client_ip(request: Request, trusted: list[str]) -> str:
    host = request.client.host if request.client else "unknown"
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded and host in trusted:
        return forwarded.split(",")[-1].strip() or host
    return host


def limit_ip(rt: Runtime, request: Request, action: str) -> None:
    deps = quiz(rt)
    deps.ip_limiter.check(f"{action}:{client_ip(request, deps.settings.trusted_proxies)}")


def request_ip(rt: Runtime, request: Request) -> str:
    return client_ip(request, quiz(rt).settings.trusted_proxies)


def authenticate(rt: Runtime, authorization: str | None, action: str, cost: float = 1.0) -> Participant:
    """Verify the participant token and spend `cost` tokens of that participant's bucket."""
    deps = quiz(rt)
    who = verify_participant_token(deps.public_key, bearer(authorization), rt.contest.contest_id)
    deps.participant_limiter.check(f"{action}:{who.id}", cost)
    return who
