"""The anonymous essay queue fed by real answer-submitted events; scoring after the phase closed."""

from __future__ import annotations

import shutil
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import orjson

from shared import db
from shared.events import ANSWER_SUBMITTED, JUDGE_SCORED, decode_event, encode_event
from tests.integration.initiatives.helpers import account, admin, make_app, scores
from tests.support import produce, read_topic, running, wait_consumers_ready, wait_for
from tools.demo_contest import contest_dict, write_contest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MIGRATIONS = Path(__file__).resolve().parents[3] / "services" / "initiatives" / "migrations"


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
        by_text = {i["text"]: i["essay_id"] for i in q["items"]}
        assert set(by_text) == {"Mở lớp bình dân học vụ số tại nhà văn hóa thôn.", "Số hóa sổ hộ khẩu tại xã."}
        first_id = by_text["Mở lớp bình dân học vụ số tại nhà văn hóa thôn."]
        item = next(i for i in q["items"] if i["essay_id"] == first_id)
        assert item["question_text"]
        # no author identity reaches the judges
        for key in ("participant_id", "display_name", "unit_id", "attempt_id"):
            assert key not in item
        assert "Nguyễn Thị Hoa" not in (await client.get(f"/api/essays/{first_id}", headers=judge)).text
        assert (await client.get("/api/essays", headers=admin(ns))).status_code == 403
        dlq = await read_topic(ns.bootstrap, ns.topic(ANSWER_SUBMITTED + ".dlq"), count=1)
        assert dlq[0].value == b"{not json"

        r = await client.post(f"/api/essays/{first_id}/scores", headers=judge,
                              json={"criteria": scores(relevance=10, practicality=5, clarity=5)})
        assert r.status_code == 201 and r.json()["total"] == 70.0
        assert (await client.post("/api/essays/a-404/scores", headers=judge,
                                  json={"criteria": scores(relevance=1, practicality=1, clarity=1)})).status_code == 404
        records = await read_topic(ns.bootstrap, ns.topic(JUDGE_SCORED), count=1)
        data = decode_event(JUDGE_SCORED, records[0].value).data
        assert (data.subject_type, data.phase_id, data.subject_id, data.judge_id) == ("attempt", "quiz", "a-1",
                                                                                      "judge-1")
        pending = (await client.get("/api/essays", params={"pending": "true"}, headers=judge)).json()
        assert [i["essay_id"] for i in pending["items"]] == [by_text["Số hóa sổ hộ khẩu tại xã."]]


async def test_judges_know_essays_only_by_opaque_ids(ns):
    """The attempt id is the key of its author's public board entry: no judge-facing answer carries it,
    while the judge-scored event still names the attempt (the contract)."""
    attempts = [f"a-{uuid.uuid4()}" for _ in range(3)]
    app = make_app(ns)
    async with running(app) as client:
        await wait_consumers_ready(app)
        judge = await account(client, ns, "judge-1", "judge")
        head = await account(client, ns, "head-1", "head_judge")
        await produce(ns.bootstrap, ns.topic(ANSWER_SUBMITTED),
                      [answer_event(a, f"Bài tự luận số {n}: phủ sóng wifi tại nhà văn hóa.") for n, a in
                       enumerate(attempts)])

        async def queue():
            r = await client.get("/api/essays", headers=judge)
            return r if r.status_code == 200 and r.json()["total"] == 3 else None

        listing = await wait_for(queue, what="three essays queued")
        items = listing.json()["items"]
        essay_ids = [i["essay_id"] for i in items]
        assert len(set(essay_ids)) == 3 and not set(essay_ids) & set(attempts)
        seen = [listing.text]
        essay_id = essay_ids[0]
        seen.append((await client.get(f"/api/essays/{essay_id}", headers=judge)).text)
        r = await client.post(f"/api/essays/{essay_id}/scores", headers=judge,
                              json={"criteria": scores(relevance=8, practicality=5, clarity=5)})
        assert r.status_code == 201 and r.json()["subject_id"] == essay_id
        seen.append(r.text)
        r = await client.post("/api/judging/judges/head-1/scores", headers=head,
                              json={"phase_id": "quiz", "subject_id": essay_id,
                                    "criteria": scores(relevance=1, practicality=1, clarity=1)})
        assert r.status_code == 201
        seen.append(r.text)
        for path, who in [("/api/essays?pending=true", judge), (f"/api/essays/{essay_id}", judge),
                          (f"/api/judging/judges/judge-1/scores/{essay_id}?phase_id=quiz", judge),
                          ("/api/judging/spread?phase_id=quiz", head)]:
            r = await client.get(path, headers=who)
            assert r.status_code == 200, (path, r.text)
            seen.append(r.text)
        spread = orjson.loads(seen[-1])["items"]
        assert [s["subject_id"] for s in spread] == [essay_id]
        r = await client.post("/api/judging/flags", headers=head,
                              json={"phase_id": "quiz", "subject_id": essay_id, "judge_id": "head-1"})
        assert r.status_code == 201
        seen.append(r.text)
        seen.append((await client.get("/api/judging/flags", headers=head)).text)
        text = "\n".join(seen)
        assert "attempt_id" not in text
        for attempt_id in attempts:
            assert attempt_id not in text

        # the scores go out under the attempt, as the boards key them
        author = attempts[int(items[0]["text"].removeprefix("Bài tự luận số ").split(":")[0])]
        records = await read_topic(ns.bootstrap, ns.topic(JUDGE_SCORED), count=2)
        published = [decode_event(JUDGE_SCORED, x.value).data for x in records]
        assert [(d.subject_type, d.subject_id) for d in published] == [("attempt", author)] * 2


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


async def test_essays_graded_before_the_change_move_to_opaque_ids(ns, tmp_path):
    schema = ns.schema("initiatives")
    before = tmp_path / "initiatives" / "migrations"  # the same migration names, without the new file
    before.mkdir(parents=True)
    shutil.copy(MIGRATIONS / "001_initiatives.sql", before)
    await db.migrate(ns.database_url, schema, [db.SHARED_MIGRATIONS, before])
    conn = await asyncpg.connect(ns.database_url, server_settings={"search_path": schema})
    try:
        for aid in ("a-1", "a-2"):
            await conn.execute("INSERT INTO essays (attempt_id, contest_id, phase_id, round_id, question_id, text,"
                               " submitted_at) VALUES ($1, 'c', 'quiz', 'week-1', 'essay-01', 'Bài.', now())", aid)
        await conn.execute("INSERT INTO scores (judge_id, phase_id, subject_type, subject_id, revision, total,"
                           " scored_at) VALUES ('j1', 'quiz', 'attempt', 'a-1', 1, 70, now()),"
                           " ('j1', 'initiatives', 'initiative', 'a-1', 1, 50, now())")
        await conn.execute("INSERT INTO review_flags (phase_id, subject_id, judge_id, flagged_by)"
                           " VALUES ('quiz', 'a-1', 'j1', 'h1')")
        await db.migrate(ns.database_url, schema, [db.SHARED_MIGRATIONS, MIGRATIONS])
        ids = dict(await conn.fetch("SELECT attempt_id, essay_id FROM essays"))
        scored = await conn.fetch("SELECT phase_id, subject_id FROM scores ORDER BY phase_id")
        flagged = await conn.fetchval("SELECT subject_id FROM review_flags")
    finally:
        await conn.close()
    assert len(set(ids.values())) == 2 and not set(ids.values()) & set(ids)
    assert [tuple(r) for r in scored] == [("initiatives", "a-1"), ("quiz", ids["a-1"])]  # initiatives untouched
    assert flagged == ids["a-1"]
