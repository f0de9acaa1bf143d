"""Judge scores: contract events, revisions, recusal, isolation between judges, head judge, stage."""

from __future__ import annotations

import orjson

from shared.events import JUDGE_SCORED, decode_event
from tests.integration.initiatives.helpers import account, admin, approved_initiative, make_app, scores
from tests.support import read_topic, running


async def test_scores_revisions_recusal_and_isolation(ns):
    app = make_app(ns)
    async with running(app) as client:
        rep = await account(client, ns, "rep-van-dinh", "unit_rep", "van-dinh")
        ini = await approved_initiative(client, ns, rep)
        j1 = await account(client, ns, "judge-1", "judge")
        j2 = await account(client, ns, "judge-2", "judge")
        same_unit = await account(client, ns, "judge-vd", "judge", "van-dinh")
        head = await account(client, ns, "head-1", "head_judge", "cao-thanh")

        # assignments: all-to-all, with the rubric's ranges
        mine = (await client.get("/api/judging/judges/judge-1/assignments", headers=j1)).json()
        assert [i["subject_id"] for i in mine["items"]] == [ini]
        assert [(c["id"], c["max"]) for c in mine["criteria"]] == [("feasibility", 10), ("impact", 10),
                                                                   ("novelty", 10)]
        # a judge can neither read nor score another judge's assignments
        assert (await client.get("/api/judging/judges/judge-2/assignments", headers=j1)).status_code == 403
        assert (await client.get(f"/api/judging/judges/judge-2/scores/{ini}", headers=j1)).status_code == 403
        other = await client.post("/api/judging/judges/judge-2/scores", headers=j1,
                                  json={"subject_id": ini, "criteria": scores(feasibility=1, impact=1, novelty=1)})
        assert other.status_code == 403
        # a representative is not a judge
        assert (await client.post("/api/judging/judges/rep-van-dinh/scores", headers=rep,
                                  json={"subject_id": ini})).status_code == 403

        # ranges are validated: 422 and nothing stored
        bad = await client.post("/api/judging/judges/judge-1/scores", headers=j1,
                                json={"subject_id": ini, "criteria": scores(feasibility=11, impact=7, novelty=9)})
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "score_out_of_range"
        missing = await client.post("/api/judging/judges/judge-1/scores", headers=j1,
                                    json={"subject_id": ini, "criteria": scores(feasibility=8)})
        assert missing.status_code == 422 and missing.json()["error"]["code"] == "missing_criterion"

        # recused (same unit): 403, nothing stored, no event
        rec = (await client.get("/api/judging/judges/judge-vd/assignments", headers=same_unit)).json()
        assert rec["items"][0]["recused"] == "same_unit"
        r = await client.post("/api/judging/judges/judge-vd/scores", headers=same_unit,
                              json={"subject_id": ini, "criteria": scores(feasibility=10, impact=10, novelty=10)})
        assert r.status_code == 403 and r.json()["error"]["code"] == "recused"

        # first score: one contract-valid event
        r = await client.post("/api/judging/judges/judge-1/scores", headers=j1,
                              json={"subject_id": ini, "criteria": scores(feasibility=8, impact=7, novelty=9)})
        assert r.status_code == 201, r.text
        assert r.json()["total"] == 79.0 and r.json()["revision"] == 1
        records = await read_topic(ns.bootstrap, ns.topic(JUDGE_SCORED), count=1)
        assert len(records) == 1 and records[0].key == ini.encode()
        event = decode_event(JUDGE_SCORED, records[0].value)
        data = event.data
        assert (data.contest_id, data.phase_id, data.subject_type, data.subject_id, data.judge_id) == (
            "unghoa-cds-2025", "initiatives", "initiative", ini, "judge-1")
        assert data.total == 79.0 and data.revision == 1
        assert [(c.criterion_id, c.score, c.max) for c in data.criteria] == [
            ("feasibility", 8, 10), ("impact", 7, 10), ("novelty", 9, 10)]
        raw = orjson.loads(records[0].value)
        assert set(raw["data"]) >= {"contest_id", "phase_id", "subject_type", "subject_id", "judge_id", "criteria",
                                    "total", "revision", "scored_at"}

        # revision → revision + 1
        r = await client.post("/api/judging/judges/judge-1/scores", headers=j1,
                              json={"subject_id": ini, "criteria": scores(feasibility=10, impact=10, novelty=10)})
        assert r.status_code == 201 and r.json()["revision"] == 2 and r.json()["total"] == 100.0
        hist = (await client.get(f"/api/judging/judges/judge-1/scores/{ini}", headers=j1)).json()["items"]
        assert [h["revision"] for h in hist] == [1, 2]

        # abstain (no event), and a declared conflict recuses
        r = await client.post("/api/judging/judges/judge-2/conflicts", headers=j2,
                              json={"subject_id": ini, "reason": "Người thân tham gia"})
        assert r.status_code == 201
        r = await client.post("/api/judging/judges/judge-2/scores", headers=j2,
                              json={"subject_id": ini, "criteria": scores(feasibility=1, impact=1, novelty=1)})
        assert r.status_code == 403 and r.json()["error"]["code"] == "recused"
        r = await client.post("/api/judging/judges/head-1/scores", headers=head,
                              json={"subject_id": ini, "abstain": True})
        assert r.status_code == 201 and r.json()["abstain"] is True and r.json()["revision"] == 1
        r = await client.post("/api/judging/judges/head-1/scores", headers=head,
                              json={"subject_id": ini, "criteria": scores(feasibility=2, impact=2, novelty=2)})
        assert r.status_code == 201 and r.json()["revision"] == 2

        # head judge sees the spread and flags a judge for review
        spread = (await client.get("/api/judging/spread", headers=head)).json()["items"][0]
        assert {j["judge_id"]: j["total"] for j in spread["judges"]} == {"judge-1": 100.0, "head-1": 20.0}
        assert spread["min"] == 20.0 and spread["max"] == 100.0
        assert (await client.get("/api/judging/spread", headers=j1)).status_code == 403
        r = await client.post("/api/judging/flags", headers=head,
                              json={"subject_id": ini, "judge_id": "judge-1", "note": "Điểm cao bất thường"})
        assert r.status_code == 201
        mine = (await client.get("/api/judging/judges/judge-1/assignments", headers=j1)).json()
        assert mine["items"][0]["review_request"]["note"] == "Điểm cao bất thường"

        # events: judge-1 rev 1 and 2, head-1 rev 2; none from the recused or abstention
        records = await read_topic(ns.bootstrap, ns.topic(JUDGE_SCORED), count=4, timeout=2)
        assert len(records) == 3  # nothing from the recused judge or the abstention
        got = sorted((e.data.judge_id, e.data.revision) for e in
                     (decode_event(JUDGE_SCORED, r.value) for r in records))
        assert got == [("head-1", 2), ("judge-1", 1), ("judge-1", 2)]
        metrics = (await client.get("/metrics")).text
        assert 'initiatives_scores_submitted_total{kind="initiatives",outcome="scored"} 3.0' in metrics


async def test_stage_final_console(ns):
    app = make_app(ns)
    async with running(app) as client:
        rep = await account(client, ns, "rep-van-dinh", "unit_rep", "van-dinh")
        a = await approved_initiative(client, ns, rep)
        b = await approved_initiative(client, ns, rep, title="Sổ sức khỏe điện tử cho người cao tuổi")
        j1 = await account(client, ns, "judge-1", "judge")
        # explicit assignments narrow the default all-to-all
        r = await client.put("/api/admin/initiatives/assignments/judge-1", headers=admin(ns),
                             json={"subject_ids": [a]})
        assert r.status_code == 200 and r.json()["mode"] == "explicit"
        mine = (await client.get("/api/judging/judges/judge-1/assignments", headers=j1)).json()
        assert [i["subject_id"] for i in mine["items"]] == [a]
        r = await client.post("/api/judging/judges/judge-1/scores", headers=j1,
                              json={"subject_id": b, "criteria": scores(feasibility=5, impact=5, novelty=5)})
        assert r.status_code == 403 and r.json()["error"]["code"] == "not_assigned"
        r = await client.put("/api/stage/finalists", headers=admin(ns), json={"initiative_ids": [b, a]})
        assert r.status_code == 200 and [f["initiative_id"] for f in r.json()["finalists"]] == [b, a]
        assert (await client.put("/api/stage/finalists", headers=j1, json={"initiative_ids": [a]})).status_code == 403
        body = {"initiative_id": b, "criteria": scores(content=9, presentation=8, interaction=7)}
        closed = await client.post("/api/stage/scores", headers=j1, json=body)
        assert closed.status_code == 409 and closed.json()["error"]["code"] == "scoring_closed"
        assert (await client.post(f"/api/stage/finalists/{b}/open", headers=admin(ns))).status_code == 200
        console = (await client.get("/api/stage/console", headers=j1)).json()
        assert console["current"]["initiative_id"] == b and console["current"]["scoring_open"] is True
        r = await client.post("/api/stage/scores", headers=j1, json=body)
        assert r.status_code == 201 and r.json()["total"] == 100 * (0.5 * 0.9 + 0.3 * 0.8 + 0.2 * 0.7)
        assert (await client.post(f"/api/stage/finalists/{b}/close", headers=admin(ns))).status_code == 200
        assert (await client.post("/api/stage/scores", headers=j1, json=body)).status_code == 409
        records = await read_topic(ns.bootstrap, ns.topic(JUDGE_SCORED), count=1)
        event = decode_event(JUDGE_SCORED, records[0].value)
        assert (event.data.phase_id, event.data.subject_type, event.data.subject_id) == ("stage", "initiative", b)
        assert (await client.get("/api/stage")).json()["current_id"] == b
