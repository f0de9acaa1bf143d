"""Answers saved as they are chosen, and attempts closed by the server after deadline + grace, against
the real PostgreSQL and broker: last write wins per question, exactly one event with two replicas'
sweepers racing a late submit, and nothing at all for an attempt with nothing saved."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from services.quiz import closing, store
from services.quiz.app import create_app
from shared.events import ANSWER_SUBMITTED, decode_event
from tests.integration.quiz.conftest import answer_keys, auth, quiz_settings, register, start
from tests.support import read_topic, running, wait_for


async def _outbox_rows(rt, attempt_id: str) -> int:
    async with rt.pool.acquire() as conn:
        return await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE convert_from(payload, 'UTF8')::jsonb -> 'data' ->> 'attempt_id' = $1",
            attempt_id)


async def _overdue(rt, attempt_id: str) -> None:
    """The clock moved past deadline + grace (the phone died at minute 14 and never came back)."""
    async with rt.pool.acquire() as conn:
        await conn.execute("UPDATE attempts SET started_at = started_at - interval '20 minutes',"
                           " deadline = deadline - interval '20 minutes' WHERE attempt_id = $1", attempt_id)


def _wrong(q, right: str) -> str:
    return next(o["key"] for o in q["options"] if o["key"] != right)


async def test_saved_answers_last_write_wins_and_count_at_submit(quiz, ns):
    who = await register(quiz)
    attempt = (await start(quiz, who["token"])).json()
    url = f"/api/attempts/{attempt['attempt_id']}/answers"
    keys = answer_keys(quiz.app)
    q0, q1 = attempt["questions"][:2]
    right0, right1 = keys[q0["question_id"]], keys[q1["question_id"]]

    first = await quiz.patch(url, json={"answers": [{"question_id": q0["question_id"], "option_key": right0,
                                                     "seq": 20}]}, headers=auth(who["token"]))
    assert first.status_code == 200, first.text
    # A late retry of an older write does not overwrite the newer answer.
    stale = await quiz.patch(url, json={"answers": [{"question_id": q0["question_id"],
                                                     "option_key": _wrong(q0, right0), "seq": 10}]},
                             headers=auth(who["token"]))
    assert stale.status_code == 200
    assert stale.json()["answers"] == [{"question_id": q0["question_id"], "option_key": right0, "seq": 20}]
    # A newer one does; the same write twice is the same.
    for _ in range(2):
        newer = await quiz.patch(url, json={"answers": [{"question_id": q1["question_id"], "option_key": right1,
                                                         "seq": 21}],
                                            "free_answer": {"value": "Tổ công nghệ số", "seq": 22}},
                                 headers=auth(who["token"]))
        assert newer.status_code == 200, newer.text
    # Bad input changes nothing: an unknown option, someone else's token, no token.
    bad = await quiz.patch(url, json={"answers": [{"question_id": q1["question_id"], "option_key": "Z",
                                                   "seq": 99}]}, headers=auth(who["token"]))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_option"
    other = await register(quiz, "Lê Văn Cường")
    assert (await quiz.patch(url, json={"answers": []}, headers=auth(other["token"]))).status_code == 404
    assert (await quiz.patch(url, json={"answers": []})).status_code == 401

    resumed = (await quiz.get(f"/api/attempts/{attempt['attempt_id']}", headers=auth(who["token"]))).json()
    assert resumed["saved_answers"] == {q0["question_id"]: right0, q1["question_id"]: right1}
    assert resumed["saved_free_answer"] == "Tổ công nghệ số"

    # The submit carries no answers (its page lost them): the saved ones count.
    res = await quiz.post(f"/api/attempts/{attempt['attempt_id']}/submit", json={"answers": []},
                          headers=auth(who["token"]))
    assert res.status_code == 200, res.text
    assert res.json()["correct"] == 2 and "closed_by" not in res.json()
    closed = await quiz.patch(url, json={"answers": []}, headers=auth(who["token"]))
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "attempt_not_open"
    (record,) = await read_topic(ns.bootstrap, ns.topic(ANSWER_SUBMITTED), count=1)
    event = decode_event(ANSWER_SUBMITTED, record.value)
    assert event.data.essay is not None and event.data.essay.text == "Tổ công nghệ số"


async def test_two_sweepers_racing_a_late_submit_emit_exactly_one_event_each(ns):
    settings = quiz_settings(ns, sweep_interval_seconds=0.05)
    async with AsyncExitStack() as stack:
        # Two replicas on one schema, each with its own background sweeper.
        app_a, app_b = create_app(settings), create_app(settings)
        a = await stack.enter_async_context(running(app_a))
        b = await stack.enter_async_context(running(app_b))
        rt_a, rt_b = app_a.state.runtime, app_b.state.runtime
        keys = answer_keys(app_a)
        people = []
        for n in range(4):
            who = await register(a, f"Người dự thi {n}")
            attempt = (await start(a, who["token"])).json()
            # Three right, one wrong, saved as they were chosen; then the phone dies.
            qs = attempt["questions"][:4]
            answers = [{"question_id": q["question_id"], "option_key": keys[q["question_id"]], "seq": i + 1}
                       for i, q in enumerate(qs[:3])]
            answers.append({"question_id": qs[3]["question_id"],
                            "option_key": _wrong(qs[3], keys[qs[3]["question_id"]]), "seq": 4})
            saved = await b.patch(f"/api/attempts/{attempt['attempt_id']}/answers", json={"answers": answers},
                                  headers=auth(who["token"]))
            assert saved.status_code == 200, saved.text
            people.append((who, attempt["attempt_id"]))
        for _, attempt_id in people:
            await _overdue(rt_a, attempt_id)

        async def late_submit(client, who, attempt_id):
            return await client.post(f"/api/attempts/{attempt_id}/submit", json={"answers": []},
                                     headers=auth(who["token"]))

        # The page's queued submit comes back online while both replicas sweep.
        results = await asyncio.gather(
            closing.sweep_once(rt_a), closing.sweep_once(rt_b),
            *(late_submit(a if n % 2 else b, who, attempt_id) for n, (who, attempt_id) in enumerate(people)))
        submits = results[2:]
        for (who, attempt_id), res in zip(people, submits, strict=True):
            assert res.status_code == 200, res.text
            body = res.json()
            assert body["correct"] == 3 and body["total"] == 20 and body["closed_by"] == "server"
            assert body["duration_ms"] == 900_000  # counted as the whole time: no speed bonus
            again = await late_submit(a, who, attempt_id)
            assert again.json() == body
            async with rt_a.pool.acquire() as conn:
                row = await store.attempt(conn, attempt_id)
            assert row.status == "submitted" and row.result == body
            assert await _outbox_rows(rt_a, attempt_id) == 1
        await asyncio.gather(closing.sweep_once(rt_a), closing.sweep_once(rt_b))  # nothing left to do
        records = await read_topic(ns.bootstrap, ns.topic(ANSWER_SUBMITTED), count=None, timeout=15, settle=1.5)
        ids = sorted(decode_event(ANSWER_SUBMITTED, r.value).data.attempt_id for r in records)
        assert ids == sorted(attempt_id for _, attempt_id in people)


async def test_the_sweeper_alone_gives_a_dead_phone_its_score(ns):
    """Nobody submits: the background sweeper closes the attempt; the result page reads it later."""
    app = create_app(quiz_settings(ns, sweep_interval_seconds=0.05))
    async with running(app) as client:
        rt = app.state.runtime
        keys = answer_keys(app)
        who = await register(client)
        attempt = (await start(client, who["token"])).json()
        q = attempt["questions"][0]
        await client.patch(f"/api/attempts/{attempt['attempt_id']}/answers", headers=auth(who["token"]),
                           json={"answers": [{"question_id": q["question_id"], "option_key": keys[q["question_id"]],
                                              "seq": 1}]})
        empty_who = await register(client, "Phạm Thị Dung")
        empty = (await start(client, empty_who["token"])).json()
        await _overdue(rt, attempt["attempt_id"])
        await _overdue(rt, empty["attempt_id"])

        async def closed():
            async with rt.pool.acquire() as conn:
                rows = [await store.attempt(conn, x) for x in (attempt["attempt_id"], empty["attempt_id"])]
            return [r.status for r in rows] == ["submitted", "expired"] and rows

        done, _ = await wait_for(closed, what="the sweeper closing both attempts")
        assert done.result["correct"] == 1
        view = (await client.get(f"/api/attempts/{attempt['attempt_id']}", headers=auth(who["token"]))).json()
        assert view["status"] == "submitted" and view["result"]["score"] == 5.0
        # The attempt with nothing saved: expired, no event, and the late submit is refused.
        assert await _outbox_rows(rt, empty["attempt_id"]) == 0
        late = await client.post(f"/api/attempts/{empty['attempt_id']}/submit", json={"answers": []},
                                 headers=auth(empty_who["token"]))
        assert late.status_code == 409 and late.json()["error"]["code"] == "attempt_expired"
        assert await _outbox_rows(rt, attempt["attempt_id"]) == 1


async def test_starting_again_closes_the_overdue_attempt_with_its_saved_answers(quiz, ns):
    rt = quiz.app.state.runtime
    keys = answer_keys(quiz.app)
    who = await register(quiz)
    first = (await start(quiz, who["token"])).json()
    q = first["questions"][0]
    await quiz.patch(f"/api/attempts/{first['attempt_id']}/answers", headers=auth(who["token"]),
                     json={"answers": [{"question_id": q["question_id"], "option_key": keys[q["question_id"]],
                                        "seq": 1}]})
    await _overdue(rt, first["attempt_id"])
    second = await start(quiz, who["token"])
    assert second.status_code == 201, second.text
    async with rt.pool.acquire() as conn:
        row = await store.attempt(conn, first["attempt_id"])
    assert row.status == "submitted" and row.result["correct"] == 1 and row.result["closed_by"] == "server"
    assert await _outbox_rows(rt, first["attempt_id"]) == 1
    # The limit (2) is reached now: a third start is refused, and the closed attempt stays closed.
    await _overdue(rt, second.json()["attempt_id"])
    third = await start(quiz, who["token"])
    assert third.status_code == 409 and third.json()["error"]["code"] == "attempt_limit"
    async with rt.pool.acquire() as conn:
        assert (await store.attempt(conn, second.json()["attempt_id"])).status == "expired"
