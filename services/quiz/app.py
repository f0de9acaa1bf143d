"""The quiz service: registration, question bank, timed attempts, grading, answer-submitted events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI
from prometheus_client import Counter, Gauge

from services.quiz import admin, api, bank, bank_checks, closing, pages, review_api, stats_api, store
from services.quiz.deps import QuizDeps
from services.quiz.domain import excluded_phones
from services.quiz.settings import QuizSettings
from services.quiz.sms import sms_sender
from shared.auth import generate_keypair
from shared.contest import bank_path
from shared.errors import ContestError
from shared.ratelimit import RateLimiter
from shared.service import Runtime, ServiceSpec, build_app

log = logging.getLogger(__name__)
HERE = Path(__file__).parent


def _keys(settings: QuizSettings) -> tuple[str, str]:
    private = settings.participant_private_key
    if not private:
        private, public = generate_keypair()
        log.warning("PARTICIPANT_PRIVATE_KEY is not set: signing with a throw-away key (dev/test only); "
                    "other services cannot verify these tokens")
        return private, public
    if settings.participant_public_key:
        return private, settings.participant_public_key
    key = serialization.load_pem_private_key(private.encode(), password=None)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


async def load_initial_bank(rt: Runtime) -> None:
    """Import the contest's `quiz.bank_file` once, when no bank exists yet (safe with replicas)."""
    path = bank_path(rt.settings.contest_file, rt.contest)
    if path is None:
        return
    async with rt.pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", zlib.crc32(f"bank:{rt.settings.db_schema}".encode()))
        if await store.any_bank(conn, rt.contest.contest_id):
            return
        try:
            questions = bank.parse_bank(path.read_bytes(), "json")
        except ContestError as exc:
            raise SystemExit(f"quiz.bank_file {path} is invalid: {exc.message} {exc.details}") from None
        version = await store.insert_bank(conn, contest_id=rt.contest.contest_id, round_id=None,
                                          source=path.name, questions=questions)
    log.info("imported question bank %s as version %s (%d questions)", path.name, version, len(questions))


async def _refresh_active(rt: Runtime, deps: QuizDeps) -> None:
    while True:
        with contextlib.suppress(Exception):
            async with rt.pool.acquire(timeout=2) as conn:
                deps.active.set(await store.count_open(conn, datetime.now(UTC)))
        await asyncio.sleep(deps.settings.active_gauge_refresh_seconds)


def create_app(settings: QuizSettings | None = None) -> FastAPI:
    settings = settings or QuizSettings()

    async def on_startup(rt: Runtime) -> None:
        try:
            rt.state["excluded_phones"] = excluded_phones(rt.contest.quiz.excluded_phones)
        except ValueError as exc:
            raise SystemExit(str(exc)) from None
        await load_initial_bank(rt)
        await bank_checks.check_at_startup(rt)
        rt.state["gauge_task"] = asyncio.create_task(_refresh_active(rt, rt.state["quiz"]), name="quiz-gauge")
        rt.state["sweep_task"] = asyncio.create_task(
            closing.run_sweeper(rt, settings.sweep_interval_seconds, settings.sweep_batch), name="quiz-sweeper")

    async def on_shutdown(rt: Runtime) -> None:
        await closing.stop(rt.state.pop("sweep_task", None))
        sms = rt.state["quiz"].sms
        if hasattr(sms, "aclose"):
            await sms.aclose()
        task = rt.state.pop("gauge_task", None)
        if task:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    spec = ServiceSpec(
        title="Quiz — Chuyển đổi số Ứng Hòa",
        description="Đăng ký dự thi, ngân hàng câu hỏi, lượt thi có giới hạn thời gian, chấm điểm và sự kiện "
                    "quiz.answer-submitted.v1.",
        migrations=HERE / "migrations",
        routers=[api.router, admin.router, pages.router, review_api.router, stats_api.router, stats_api.pages],
        on_startup=on_startup, on_shutdown=on_shutdown,
        static={"/static/quiz": HERE / "web"},
        body_limits={"/api/admin/questions": settings.bank_upload_max_bytes},
    )
    app = build_app(settings, spec)
    rt: Runtime = app.state.runtime
    private, public = _keys(settings)
    registry, name = rt.metrics.registry, settings.service_name
    rt.state["quiz"] = QuizDeps(
        settings=settings, private_key=private, public_key=public,
        ip_limiter=RateLimiter(settings.rate_limit_ip_per_second, settings.rate_limit_ip_burst),
        participant_limiter=RateLimiter(settings.rate_limit_participant_per_second,
                                        settings.rate_limit_participant_burst),
        sms=sms_sender(settings),
        started=Counter(f"{name}_attempts_started", "Attempts started", registry=registry),
        submitted=Counter(f"{name}_attempts_submitted", "Attempts submitted (first submit only)",
                          registry=registry),
        closed_by_server=Counter(f"{name}_attempts_closed_by_server",
                                 "Attempts closed after deadline + grace with their saved answers", registry=registry),
        active=Gauge(f"{name}_active_participants", "Open attempts (participants taking the quiz now)",
                     registry=registry),
    )

    return app
