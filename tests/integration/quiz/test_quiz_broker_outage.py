"""A broker outage does not fail submissions: they are stored and published when it returns."""

from __future__ import annotations

import asyncio

import pytest

from shared.events import ANSWER_SUBMITTED, decode_event
from tests.integration.quiz.conftest import auth, register, start
from tests.support import read_topic, wait_for


async def test_submissions_succeed_while_the_broker_is_paused(quiz, ns, kafka_broker):
    if kafka_broker is None:
        pytest.skip("external broker: cannot pause it")
    people = [await register(quiz, f"Người dự thi {i}") for i in range(5)]
    attempts = [(p, (await start(quiz, p["token"])).json()) for p in people]
    rt = quiz.app.state.runtime
    kafka_broker.pause()
    try:
        results = await asyncio.wait_for(asyncio.gather(*[
            quiz.post(f"/api/attempts/{a['attempt_id']}/submit", headers=auth(p["token"]),
                      json={"answers": [], "free_answer": "Ý kiến khi máy chủ tin nhắn tạm dừng"})
            for p, a in attempts
        ]), timeout=8)
        assert [r.status_code for r in results] == [200] * 5
        async with rt.pool.acquire() as conn:
            pending = await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        assert pending == 5  # stored, waiting for the broker
    finally:
        kafka_broker.resume()
    recs = await read_topic(ns.bootstrap, ns.topic(ANSWER_SUBMITTED), count=5, timeout=40)
    got = {decode_event(ANSWER_SUBMITTED, r.value).data.attempt_id for r in recs}
    assert got == {a["attempt_id"] for _, a in attempts}

    async def drained() -> bool:
        async with rt.pool.acquire() as conn:
            return await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0

    await wait_for(drained, timeout=20, what="outbox drained")
