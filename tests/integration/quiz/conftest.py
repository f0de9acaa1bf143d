"""Quiz integration fixtures: the real app (PostgreSQL + broker) behind an in-process client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.quiz.app import create_app
from services.quiz.settings import QuizSettings
from tests.support import running


def quiz_settings(ns: Any, **overrides: Any) -> QuizSettings:
    kw = ns.settings_kwargs(
        "quiz", participant_private_key=ns.private_key,
        rate_limit_ip_per_second=1000.0, rate_limit_ip_burst=10_000,
        rate_limit_participant_per_second=1000.0, rate_limit_participant_burst=10_000,
    )
    kw.update(overrides)
    return QuizSettings(**kw)


@pytest.fixture
async def quiz(ns: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(quiz_settings(ns))
    async with running(app) as client:
        client.app = app  # type: ignore[attr-defined]
        yield client


_phone_counter = iter(range(10_000_000))


def fresh_phone() -> str:
    return f"09{next(_phone_counter) % 100_000_000:08d}"


async def register(client: httpx.AsyncClient, name: str = "Nguyễn Thị Hoa", **extra: Any) -> dict[str, Any]:
    body = {"full_name": name, "phone": fresh_phone(), "unit_id": "van-dinh", **extra}
    res = await client.post("/api/participants", json=body)
    assert res.status_code == 201, res.text
    return res.json()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def start(client: httpx.AsyncClient, token: str, round_id: str = "week-2") -> httpx.Response:
    return await client.post("/api/attempts", json={"round_id": round_id}, headers=auth(token))


def answer_keys(app: Any) -> dict[str, str]:
    """Question id → correct key, read from the contest's bank file (test oracle)."""
    import json

    from shared.contest import bank_path

    rt = app.state.runtime
    data = json.loads(bank_path(rt.settings.contest_file, rt.contest).read_text(encoding="utf-8"))
    return {q["id"]: q["answer"] for q in data["questions"]}
