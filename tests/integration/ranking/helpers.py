"""Scripted events for the ranking tests and helpers to serve the app for real (uvicorn)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import uvicorn
from aiokafka import AIOKafkaProducer

from services.ranking.app import create_app
from services.ranking.settings import RankingSettings
from shared import events as ev
from tools.tansu import free_port

NOW = datetime.now(UTC).replace(microsecond=0)
CONTEST = "unghoa-cds-2025"
UNIT = "xa-hoa-son"


def answer(attempt: str, pid: str, score: float, *, minutes: float = 0, dur: int = 300_000,
           rnd: str = "week-2", unit: str = UNIT, event_id: str | None = None) -> tuple[str, ev.CloudEvent]:
    at = NOW - timedelta(minutes=minutes)
    data = ev.AnswerSubmitted(
        contest_id=CONTEST, phase_id="quiz", round_id=rnd, attempt_id=attempt, participant_id=pid,
        display_name=f"Người {pid}", unit_id=unit, started_at=at - timedelta(milliseconds=dur), submitted_at=at,
        duration_ms=dur, correct=int(score // 5), total=20, score=score, prediction=None,
        essay={"question_id": "essay-01", "text": "…"},
        answers=[{"question_id": f"q{i}", "option_key": "a", "correct": i < score // 5} for i in range(20)],
    )
    return _event(ev.ANSWER_SUBMITTED, "/services/quiz", data, event_id)


def judged(phase: str, kind: str, subject: str, judge: str, revision: int, total: float,
           event_id: str | None = None) -> tuple[str, ev.CloudEvent]:
    data = ev.JudgeScored(
        contest_id=CONTEST, phase_id=phase, subject_type=kind, subject_id=subject, judge_id=judge,
        criteria=[{"criterion_id": "impact", "score": total / 10, "max": 10}], total=total, revision=revision,
        scored_at=NOW,
    )
    return _event(ev.JUDGE_SCORED, "/services/initiatives", data, event_id)


def engaged(content: str, actor: str, action: str, seconds: int, platform: str = "portal") -> tuple[str, ev.CloudEvent]:
    data = ev.ContentLiked(
        contest_id=CONTEST, phase_id="initiatives", content_id=content, platform=platform, actor_id=actor,
        action=action, occurred_at=NOW + timedelta(seconds=seconds), source_event_id=f"{actor}-{action}-{seconds}",
    )
    return _event(ev.CONTENT_LIKED, "/services/engagement", data, None)


def published(ini: str, title: str, unit: str = UNIT, version: int = 1, status: str = "published"):
    data = ev.InitiativePublished(
        contest_id=CONTEST, phase_id="initiatives", initiative_id=ini, title=title, unit_id=unit,
        field="kinh-te-so", status=status, version=version, changed_at=NOW,
    )
    return _event(ev.INITIATIVE_PUBLISHED, "/services/initiatives", data, None)


def _event(topic: str, source: str, data: ev.Payload, event_id: str | None) -> tuple[str, ev.CloudEvent]:
    e = ev.new_event(topic, source, data)
    if event_id:
        e = e.model_copy(update={"id": event_id})
    return topic, e


async def send(bootstrap: str, prefix: str, items: list[tuple[str, Any]]) -> None:
    """Produce (topic, event | raw bytes) in order; raw bytes are poison messages."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        futures = []
        for topic, item in items:
            if isinstance(item, bytes):
                futures.append(await producer.send(prefix + topic, value=item, key=b"poison"))
            else:
                key = ev.event_key(topic, item).encode()
                futures.append(await producer.send(prefix + topic, value=ev.encode_event(item), key=key))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


@contextlib.asynccontextmanager
async def serve(ns: Any, **overrides: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """The ranking app under a real uvicorn server (SSE streams need it); yields (client, app)."""
    settings = RankingSettings(**ns.settings_kwargs("ranking", stream_interval_seconds=0.2,
                                                     reference_refresh_seconds=0, **overrides))
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(600):
            if server.started:
                break
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
        await asyncio.wait_for(app.state.runtime.broker_ready.wait(), 30)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield client, app
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


async def all_boards(client: httpx.AsyncClient) -> dict[str, Any]:
    """Every board with every entry (as_of left out): the state to compare between runs."""
    out = {}
    for b in (await client.get("/api/boards")).json()["boards"]:
        body = (await client.get(f"/api/boards/{b['board_id']}", params={"limit": 1000})).json()
        out[b["board_id"]] = body["entries"]
    return out


def new_id() -> str:
    return str(uuid.uuid4())
