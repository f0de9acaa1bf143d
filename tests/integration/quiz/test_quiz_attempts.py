"""Register → start → submit against the real PostgreSQL and broker: events, idempotency, deadlines,
attempt limits and answer keys."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

from services.quiz import store
from shared.events import ANSWER_SUBMITTED, decode_event
from tests.integration.quiz.conftest import answer_keys, auth, fresh_phone, register, start
from tests.support import read_topic

FIXTURE_FIELDS = set(json.loads(
    (__import__("pathlib").Path(__file__).resolve().parents[2] / "fixtures"
     / "quiz.answer-submitted.v1.example.json").read_text(encoding="utf-8"))["data"])


def _no_answer_keys(payload: object) -> None:
    text = json.dumps(payload, ensure_ascii=False)
    assert '"answer"' not in text and '"correct_key"' not in text and '"is_correct"' not in text


async def _events(ns, count=None, settle=0.7):
    recs = await read_topic(ns.bootstrap, ns.topic(ANSWER_SUBMITTED), count=count, timeout=15, settle=settle)
    return recs


async def _outbox_rows(client, attempt_id: str) -> int:
    rt = client.app.state.runtime
    async with rt.pool.acquire() as conn:
        return await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE convert_from(payload, 'UTF8')::jsonb -> 'data' ->> 'attempt_id' = $1",
            attempt_id)


async def test_register_start_submit_emits_one_contract_event(quiz, ns):
    phone = fresh_phone()
    who = await register(quiz, "Trần Văn Bình", phone=phone)
    started = await start(quiz, who["token"])
    assert started.status_code == 201, started.text
    attempt = started.json()
    _no_answer_keys(attempt)
    assert len(attempt["questions"]) == 20
    assert attempt["free_question"]["kind"] == "essay"
    assert datetime.fromisoformat(attempt["deadline"]) > datetime.fromisoformat(attempt["started_at"])
    keys = answer_keys(quiz.app)
    # 15 right, 3 wrong, 2 unanswered
    answers = []
    for i, q in enumerate(attempt["questions"]):
        right = keys[q["question_id"]]
        if i < 15:
            answers.append({"question_id": q["question_id"], "option_key": right})
        elif i < 18:
            wrong = next(o["key"] for o in q["options"] if o["key"] != right)
            answers.append({"question_id": q["question_id"], "option_key": wrong})
    essay = "Lập nhóm Zalo của thôn để hướng dẫn bà con cài VNeID."
    res = await quiz.post(f"/api/attempts/{attempt['attempt_id']}/submit",
                          json={"answers": answers, "free_answer": essay}, headers=auth(who["token"]))
    assert res.status_code == 200, res.text
    result = res.json()
    _no_answer_keys(result)
    assert (result["correct"], result["total"], result["score"]) == (15, 20, 75.0)
    assert 0 <= result["duration_ms"] < 30_000

    recs = await _events(ns, count=1)
    assert len(recs) == 1
    rec = recs[0]
    assert rec.key.decode() == who["participant_id"]
    event = decode_event(ANSWER_SUBMITTED, rec.value)
    raw = json.loads(rec.value)
    assert FIXTURE_FIELDS <= set(raw["data"])
    d = event.data
    assert (d.attempt_id, d.participant_id, d.round_id, d.phase_id) == (
        attempt["attempt_id"], who["participant_id"], "week-2", "quiz")
    assert (d.display_name, d.unit_id, d.correct, d.total, d.score) == ("Trần Văn Bình", "van-dinh", 15, 20, 75.0)
    assert d.duration_ms == result["duration_ms"]
    assert d.duration_ms == int((d.submitted_at - d.started_at).total_seconds() * 1000) or abs(
        d.duration_ms - (d.submitted_at - d.started_at).total_seconds() * 1000) < 2
    assert d.essay is not None and d.essay.text == essay and d.essay.question_id == "essay-01"
    assert d.prediction is None
    assert len(d.answers) == 20 and sum(a.correct for a in d.answers) == 15
    assert sum(a.option_key is None for a in d.answers) == 2
    # The phone never leaves the service: not in the event, in any spelling.
    assert phone not in rec.value.decode() and phone[1:] not in rec.value.decode()

    # Reading the attempt back (page reload) shows the same questions and the result, still no keys.
    back = await quiz.get(f"/api/attempts/{attempt['attempt_id']}", headers=auth(who["token"]))
    assert back.status_code == 200
    _no_answer_keys(back.json())
    assert back.json()["result"]["score"] == 75.0
    metrics = (await quiz.get("/metrics")).text
    assert "quiz_attempts_started_total 1.0" in metrics
    assert "quiz_attempts_submitted_total 1.0" in metrics
    assert "quiz_active_participants" in metrics


async def test_concurrent_submits_give_one_event_and_the_same_result(quiz, ns):
    who = await register(quiz)
    attempt = (await start(quiz, who["token"])).json()
    keys = answer_keys(quiz.app)
    answers = [{"question_id": q["question_id"], "option_key": keys[q["question_id"]]}
               for q in attempt["questions"]]
    url = f"/api/attempts/{attempt['attempt_id']}/submit"
    results = await asyncio.gather(*[
        quiz.post(url, json={"answers": answers, "free_answer": None}, headers=auth(who["token"]))
        for _ in range(8)
    ])
    assert {r.status_code for r in results} == {200}
    assert len({json.dumps(r.json(), sort_keys=True) for r in results}) == 1
    assert results[0].json()["score"] == 100.0
    # A later submit with other answers returns the stored result and emits nothing.
    again = await quiz.post(url, json={"answers": []}, headers=auth(who["token"]))
    assert again.json() == results[0].json()
    assert await _outbox_rows(quiz, attempt["attempt_id"]) == 1
    recs = await _events(ns, count=None, settle=1.0)
    assert len(recs) == 1


async def test_expired_attempt_is_rejected_with_409_and_no_event(quiz, ns):
    who = await register(quiz)
    attempt = (await start(quiz, who["token"])).json()
    rt = quiz.app.state.runtime
    async with rt.pool.acquire() as conn:  # the clock moved past deadline + grace
        await conn.execute("UPDATE attempts SET started_at = started_at - interval '20 minutes',"
                           " deadline = deadline - interval '20 minutes' WHERE attempt_id = $1",
                           attempt["attempt_id"])
    res = await quiz.post(f"/api/attempts/{attempt['attempt_id']}/submit", json={"answers": []},
                          headers=auth(who["token"]))
    assert res.status_code == 409, res.text
    assert res.json()["error"]["code"] == "attempt_expired"
    assert "hết thời gian" in res.json()["error"]["message"]
    assert await _outbox_rows(quiz, attempt["attempt_id"]) == 0
    async with rt.pool.acquire() as conn:
        row = await store.attempt(conn, attempt["attempt_id"])
    assert row.status == "open" and row.result is None
    # The expired attempt no longer blocks a new one (and counts towards the limit).
    second = await start(quiz, who["token"])
    assert second.status_code == 201, second.text


async def test_submit_within_grace_is_accepted(quiz, ns):
    who = await register(quiz)
    attempt = (await start(quiz, who["token"])).json()
    rt = quiz.app.state.runtime
    async with rt.pool.acquire() as conn:  # 3 s past the deadline, inside the 10 s grace
        await conn.execute("UPDATE attempts SET deadline = clock_timestamp() - interval '3 seconds'"
                           " WHERE attempt_id = $1", attempt["attempt_id"])
    res = await quiz.post(f"/api/attempts/{attempt['attempt_id']}/submit", json={"answers": []},
                          headers=auth(who["token"]))
    assert res.status_code == 200, res.text


async def test_unknown_question_or_option_is_422_and_changes_nothing(quiz, ns):
    who = await register(quiz)
    attempt = (await start(quiz, who["token"])).json()
    url = f"/api/attempts/{attempt['attempt_id']}/submit"
    q = attempt["questions"][0]
    bad_q = await quiz.post(url, json={"answers": [{"question_id": "q-nope", "option_key": "A"}]},
                            headers=auth(who["token"]))
    assert bad_q.status_code == 422 and bad_q.json()["error"]["code"] == "unknown_question"
    bad_o = await quiz.post(url, json={"answers": [{"question_id": q["question_id"], "option_key": "Z"}]},
                            headers=auth(who["token"]))
    assert bad_o.status_code == 422 and bad_o.json()["error"]["code"] == "unknown_option"
    dup = await quiz.post(url, json={"answers": [{"question_id": q["question_id"], "option_key": "A"}] * 2},
                          headers=auth(who["token"]))
    assert dup.status_code == 422
    malformed = await quiz.post(url, json={"answers": "all of them"}, headers=auth(who["token"]))
    assert malformed.status_code == 422 and "error" in malformed.json()
    assert await _outbox_rows(quiz, attempt["attempt_id"]) == 0
    other = await register(quiz, "Lê Thị Cúc")
    stolen = await quiz.post(url, json={"answers": []}, headers=auth(other["token"]))
    assert stolen.status_code == 404
    ok = await quiz.post(url, json={"answers": [{"question_id": q["question_id"], "option_key": None}]},
                         headers=auth(who["token"]))
    assert ok.status_code == 200 and ok.json()["correct"] == 0


async def test_attempt_limit_and_one_open_attempt_under_concurrent_starts(quiz, ns):
    who = await register(quiz)
    limit = quiz.app.state.runtime.contest.quiz.attempts_per_round  # 2 in the demo contest
    for _ in range(limit):
        burst = await asyncio.gather(*[start(quiz, who["token"]) for _ in range(6)])
        ok = [r for r in burst if r.status_code == 201]
        assert len(ok) == 1, [r.text for r in burst]
        assert {r.json()["error"]["code"] for r in burst if r.status_code != 201} == {"attempt_open"}
        attempt_id = ok[0].json()["attempt_id"]
        done = await quiz.post(f"/api/attempts/{attempt_id}/submit", json={"answers": []},
                               headers=auth(who["token"]))
        assert done.status_code == 200
    burst = await asyncio.gather(*[start(quiz, who["token"]) for _ in range(6)])
    assert {r.status_code for r in burst} == {409}
    body = burst[0].json()["error"]
    assert body["code"] == "attempt_limit" and "hết" in body["message"]
    rt = quiz.app.state.runtime
    async with rt.pool.acquire() as conn:
        n = await conn.fetchval("SELECT count(*) FROM attempts WHERE participant_id = $1", who["participant_id"])
    assert n == limit
    # Another round has its own allowance; a closed round refuses.
    closed = await start(quiz, who["token"], "week-1")
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "round_closed"
    missing = await start(quiz, who["token"], "week-99")
    assert missing.status_code == 404


async def test_tokens_are_required_and_checked(quiz, ns):
    res = await quiz.post("/api/attempts", json={"round_id": "week-2"})
    assert res.status_code == 401
    res = await quiz.post("/api/attempts", json={"round_id": "week-2"}, headers=auth("not-a-token"))
    assert res.status_code == 401 and res.json()["error"]["code"] == "invalid_token"
