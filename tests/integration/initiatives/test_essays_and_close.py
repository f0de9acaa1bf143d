"""The anonymous essay queue fed by real answer-submitted events; scoring after the phase closed."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from shared.events import ANSWER_SUBMITTED, JUDGE_SCORED, decode_event, encode_event
from tests.integration.initiatives.helpers import account, admin, make_app, scores
from tests.support import produce, read_topic, running, wait_consumers_ready, wait_for
from tools.demo_contest import contest_dict, write_contest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def answer_event(attempt_id: str, essay: str | None, contest_id: str = "unghoa-cds-2025") -> tuple[bytes, bytes]:
    event = decode_event(ANSWER_SUBMITTED, (FIXTURES / "quiz.answer-submitted.v1.example.json").read_bytes())
    data = event.data.model_copy(update={
        "attempt_id": attempt_id, "contest_id": contest_id,
        "essay": None if essay is None else event.data.essay.model_copy(update={"text": essay}),
    })
    event = event.model_copy(update={"id": f"ev-{attempt_id}", "data": data})
    return data.participant_id.encode(), encode_event(event)


async def test_essay_queue_from_real_events(ns):
    app = make_app(ns)
    async with running(app) as client:
        await wait_consumers_ready(app)
        judge = await account(client, ns, "judge-1", "judge")
        first = answer_event("a-1", "Mở lớp bình dân học vụ số tại nhà văn hóa thôn.")
        await produce(ns.bootstrap, ns.topic(ANSWER_SUBMITTED), [
            first, answer_event("a-2", None), first, (b"x", b"{not json"),
            answer_event("a-4", "Cuộc thi khác.", "other-contest"),  # same partition, before a-3: ignored
            answer_event("a-3", "Số hóa sổ hộ khẩu tại xã."),
        ])

        async def queue():
            r = await client.get("/api/essays", headers=judge)
            return r.json() if r.status_code == 200 and r.json()["total"] == 2 else None

        q = await wait_for(queue, what="two essays queued")
        assert [i["attempt_id"] for i in q["items"]] == ["a-1", "a-3"]
        item = q["items"][0]
        assert item["text"] == "Mở lớp bình dân học vụ số tại nhà văn hóa thôn."
        assert item["question_text"]
        # no author identity reaches the judges
        for key in ("participant_id", "display_name", "unit_id"):
            assert key not in item
        assert "Nguyễn Thị Hoa" not in (await client.get("/api/essays/a-1", headers=judge)).text
        assert (await client.get("/api/essays", headers=admin(ns))).status_code == 403
        dlq = await read_topic(ns.bootstrap, ns.topic(ANSWER_SUBMITTED + ".dlq"), count=1)
        assert dlq[0].value == b"{not json"

        r = await client.post("/api/essays/a-1/scores", headers=judge,
                              json={"criteria": scores(relevance=10, practicality=5, clarity=5)})
        assert r.status_code == 201 and r.json()["total"] == 70.0
        assert (await client.post("/api/essays/a-404/scores", headers=judge,
                                  json={"criteria": scores(relevance=1, practicality=1, clarity=1)})).status_code == 404
        records = await read_topic(ns.bootstrap, ns.topic(JUDGE_SCORED), count=1)
        data = decode_event(JUDGE_SCORED, records[0].value).data
        assert (data.subject_type, data.phase_id, data.subject_id, data.judge_id) == ("attempt", "quiz", "a-1",
                                                                                      "judge-1")
        pending = (await client.get("/api/essays", params={"pending": "true"}, headers=judge)).json()
        assert [i["attempt_id"] for i in pending["items"]] == ["a-3"]


async def test_scoring_after_the_phase_closed_is_409(ns, tmp_path):
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    raw = contest_dict()
    now = datetime.now(tz)
    for phase in raw["phases"]:
        if phase["id"] == "initiatives":
            phase["opens_at"] = (now - timedelta(days=30)).isoformat()
            phase["closes_at"] = (now - timedelta(days=1)).isoformat()
    contest_file = write_contest(tmp_path / "closed.yaml", raw)
    app = make_app(ns, contest_file=contest_file)
    async with running(app) as client:
        rep = await account(client, ns, "rep-van-dinh", "unit_rep", "van-dinh")
        draft = await client.post("/api/initiatives/manage", headers=rep, json={
            "title": "Sáng kiến nộp muộn", "field": "xa-hoi-so", "summary": "Tóm tắt đủ dài để nộp.",
            "description": "Mô tả đầy đủ của sáng kiến nộp sau hạn chót."})
        late = await client.post(f"/api/initiatives/manage/{draft.json()['id']}/submit", headers=rep)
        assert late.status_code == 409 and late.json()["error"]["code"] == "phase_closed"
        # an initiative approved earlier (organizers can still approve), judged after the close
        ini = draft.json()["id"]
        async with app.state.runtime.pool.acquire() as conn:
            await conn.execute("UPDATE initiatives SET status = 'submitted' WHERE id = $1", ini)
        assert (await client.post(f"/api/admin/initiatives/initiatives/{ini}/approve",
                                  headers=admin(ns))).status_code == 200
        judge = await account(client, ns, "judge-1", "judge")
        r = await client.post("/api/judging/judges/judge-1/scores", headers=judge,
                              json={"subject_id": ini, "criteria": scores(feasibility=5, impact=5, novelty=5)})
        assert r.status_code == 409 and r.json()["error"]["code"] == "phase_closed"
        async with app.state.runtime.pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM scores") == 0
            assert await conn.fetchval("SELECT count(*) FROM outbox WHERE topic LIKE '%judge-scored%'") == 0
