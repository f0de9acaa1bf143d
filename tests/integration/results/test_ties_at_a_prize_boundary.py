"""Publishing over the real ranking service: a tie across a prize boundary is shown and refused
until an organizer records a decision; a board that is not frozen is refused; admin only."""

from __future__ import annotations

from services.ranking import prizes
from tests.integration.ranking.helpers import answer, send, serve
from tests.support import wait_for

BOARD = "quiz.individual.round-week-1"  # week-1 of the demo contest closed a week ago
LATE = 60 * 24 * 8  # minutes ago: inside week-1


async def test_a_tie_at_a_prize_boundary_waits_for_a_recorded_decision(ns):
    admin = {"Authorization": f"Bearer {ns.admin_token}"}
    script = [answer("a1", "p1", 90, minutes=LATE, rnd="week-1")]
    # p2, p3, p4: same score, same duration, same moment → one tie group for places 2–4
    # (two second prizes and one third): the board's rules cannot separate them.
    script += [answer(f"a{i}", f"p{i}", 80, minutes=LATE + 1, rnd="week-1") for i in (2, 3, 4)]
    async with serve(ns) as (client, _app):
        await send(ns.bootstrap, ns.topic_prefix, script)

        async def four() -> bool:
            return (await client.get(f"/api/boards/{BOARD}")).json()["total"] == 4
        await wait_for(four, timeout=60, what="four entries on the board")
        body = {"board_id": BOARD, "published_by": "Trưởng ban tổ chức"}

        assert (await client.post("/api/admin/results", json=body)).status_code == 401
        assert (await client.post("/api/admin/results", json=body,
                                  headers={"Authorization": "Bearer wrong"})).status_code == 403
        res = await client.post("/api/admin/results", json=body, headers=admin)
        assert res.status_code == 409 and res.json()["error"]["code"] == "board_not_frozen"
        res = await client.post("/api/admin/results", json={**body, "board_id": "quiz.individual.day-2020-01-01"},
                                headers=admin)
        assert res.status_code == 404 and res.json()["error"]["code"] == "no_prizes"
        assert (await client.post(f"/api/admin/boards/{BOARD}/freeze", headers=admin)).status_code == 200

        res = await client.post("/api/admin/results", json=body, headers=admin)
        assert res.status_code == 409 and res.json()["error"]["code"] == "tie_at_prize_boundary", res.text
        (conflict,) = res.json()["error"]["details"]["conflicts"]
        assert conflict == {"rank": 2, "entrant_ids": ["p2", "p3", "p4"],
                            "places": ["Giải Nhì", "Giải Nhì", "Giải Ba"]}
        preview = (await client.get("/api/admin/results/preview", params={"board_id": BOARD}, headers=admin)).json()
        assert preview["conflicts"] == [conflict] and [w["entrant_id"] for w in preview["winners"]] == ["p1"]
        assert (await client.get("/api/results")).json()["results"] == []

        decision = {"board_id": BOARD, "reason": "Bốc thăm công khai trước Hội đồng giám khảo ngày 14/01",
                    "decided_by": "Trưởng ban tổ chức"}
        res = await client.post("/api/admin/results/decisions", json={**decision, "entrant_ids": ["p2", "p3"]},
                                headers=admin)
        assert res.status_code == 422 and res.json()["error"]["code"] == "decision_does_not_match"
        res = await client.post("/api/admin/results/decisions", json={**decision, "entrant_ids": ["p4", "p2", "p3"]},
                                headers=admin)
        assert res.status_code == 201, res.text

        res = await client.post("/api/admin/results", json=body, headers=admin)
        assert res.status_code == 201, res.text
        snap = res.json()
        assert [(e["entrant_id"], e["rank"], e["prize"]) for e in snap["content"]["entries"]] == [
            ("p1", 1, "first"), ("p2", 2, "second"), ("p3", 2, "third"), ("p4", 2, "second")]
        (recorded,) = snap["content"]["decisions"]
        assert recorded["entrant_ids"] == ["p4", "p2", "p3"] and recorded["reason"] == decision["reason"]
        assert prizes.sha256(prizes.canonical(snap["content"])) == snap["sha256"]
        page = (await client.get(f"/results/{snap['snapshot_id']}")).text
        assert "Bốc thăm công khai" in page and "theo quyết định của Ban Tổ chức" in page

        # Published means final: no new decision, and an unfrozen-then-changed board cannot replace it.
        res = await client.post("/api/admin/results/decisions", json={**decision, "entrant_ids": ["p2", "p3", "p4"]},
                                headers=admin)
        assert res.status_code == 409 and res.json()["error"]["code"] == "results_already_published"
        await client.post(f"/api/admin/boards/{BOARD}/unfreeze", headers=admin)
        await send(ns.bootstrap, ns.topic_prefix, [answer("a5", "p5", 100, minutes=LATE, rnd="week-1")])

        async def five() -> bool:
            return (await client.get(f"/api/boards/{BOARD}")).json()["total"] == 5
        await wait_for(five, timeout=60, what="the late entry")
        await client.post(f"/api/admin/boards/{BOARD}/freeze", headers=admin)
        res = await client.post("/api/admin/results", json=body, headers=admin)
        assert res.status_code == 409 and res.json()["error"]["code"] == "results_already_published"
        assert (await client.get(f"/api/results/{snap['snapshot_id']}")).json() == snap
