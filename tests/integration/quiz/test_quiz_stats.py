"""The organizers' dashboard API on real PostgreSQL: a known set of attempts through the public
API, and every number of /api/admin/quiz/stats/* checked against what those attempts were."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from statistics import mean
from zoneinfo import ZoneInfo

from tests.integration.quiz.conftest import answer_keys, auth, register, start

# (unit, how the participant answers): every answer right, every answer wrong, or the first half
# right and the rest left blank. Two of each, so each question is served up to six times.
PEOPLE = [("van-dinh", "right"), ("van-dinh", "wrong"), ("cao-thanh", "half"),
          ("cao-thanh", "right"), ("dai-cuong", "wrong"), ("dai-cuong", "half")]


def _choose(style: str, n: int, question: dict, key: str) -> str | None:
    if style == "right" or (style == "half" and n < 10):
        return key
    if style == "half":
        return None
    return next(o["key"] for o in question["options"] if o["key"] != key)


async def _take_part(quiz, keys: dict[str, str]) -> tuple[list[dict], list[tuple[str, str | None, bool]]]:
    results, chosen = [], []
    for n, (unit, style) in enumerate(PEOPLE):
        who = await register(quiz, f"Người thử {n}", unit_id=unit)
        attempt = (await start(quiz, who["token"])).json()
        answers = []
        for i, q in enumerate(attempt["questions"]):
            key = _choose(style, i, q, keys[q["question_id"]])
            chosen.append((q["question_id"], key, key == keys[q["question_id"]]))
            if key is not None:
                answers.append({"question_id": q["question_id"], "option_key": key})
        r = await quiz.post(f"/api/attempts/{attempt['attempt_id']}/submit", json={"answers": answers},
                            headers=auth(who["token"]))
        assert r.status_code == 200, r.text
        results.append({**r.json(), "unit": unit})
    # One participant who starts and has not submitted yet: open, not counted anywhere.
    late = await register(quiz, "Người đang làm bài", unit_id="hoa-son")
    assert (await start(quiz, late["token"])).status_code == 201
    return results, chosen


async def test_stats_match_a_known_set_of_attempts(quiz, ns):
    admin = {"Authorization": f"Bearer {ns.admin_token}"}
    keys = answer_keys(quiz.app)
    results, chosen = await _take_part(quiz, keys)

    rounds = (await quiz.get("/api/admin/quiz/stats/rounds", headers=admin)).json()
    week2 = next(r for r in rounds["rounds"] if r["round_id"] == "week-2")
    assert week2["attempts"] == 6 and week2["participants"] == 6 and week2["open_attempts"] == 1
    assert week2["avg_score"] == round(mean(r["score"] for r in results), 2)
    assert week2["avg_correct"] == round(mean(r["correct"] for r in results), 2) == 10.0  # (20+0+10)/3
    assert week2["max_score"] == max(r["score"] for r in results)
    week1 = next(r for r in rounds["rounds"] if r["round_id"] == "week-1")
    assert week1["attempts"] == 0 and week1["avg_score"] is None

    units = (await quiz.get("/api/admin/quiz/stats/units", headers=admin)).json()
    by_unit = {u["unit_id"]: u for u in units["units"]}
    assert len(by_unit) == len(quiz.app.state.runtime.contest.units)  # every unit, zeros included
    for unit in ("van-dinh", "cao-thanh", "dai-cuong"):
        assert (by_unit[unit]["registered"], by_unit[unit]["participants"], by_unit[unit]["attempts"]) == (2, 2, 2)
    assert (by_unit["hoa-son"]["registered"], by_unit["hoa-son"]["participants"]) == (1, 0)
    assert by_unit["tram-long"]["participants"] == 0
    assert units["total"]["participants"] == 6 and units["total"]["registered"] == 7
    assert units["total"]["per_1000_residents"] == round(6 * 1000 / 204_800, 2)

    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m-%dT00:00")
    days = (await quiz.get("/api/admin/quiz/stats/participation?bucket=day", headers=admin)).json()
    assert days["points"] == [{"at": today, "attempts": 6, "participants": 6}]
    hours = (await quiz.get("/api/admin/quiz/stats/participation?bucket=hour", headers=admin)).json()
    assert sum(p["attempts"] for p in hours["points"]) == 6 and all(p["at"].endswith(":00") for p in hours["points"])
    empty = (await quiz.get("/api/admin/quiz/stats/participation?round_id=week-1", headers=admin)).json()
    assert empty["points"] == []

    items = (await quiz.get("/api/admin/quiz/stats/items", headers=admin)).json()
    by_q = {q["question_id"]: q for q in items["questions"]}
    assert set(by_q) == set(keys)  # every bank question, served or not
    served, right = Counter(q for q, _, _ in chosen), Counter(q for q, _, ok in chosen if ok)
    picks = Counter((q, k) for q, k, _ in chosen)
    for qid, q in by_q.items():
        assert q["served"] == served[qid] and q["correct"] == right[qid], q
        assert q["blank"] == picks[(qid, None)], q
        assert {o["key"]: o["chosen"] for o in q["options"]} == {o["key"]: picks[(qid, o["key"])] for o in q["options"]}
        assert [o["key"] for o in q["options"] if o["is_answer"]] == [keys[qid]]
        share = right[qid] / served[qid] if served[qid] else None
        assert q["share_correct"] == (round(share, 4) if share is not None else None)
        if served[qid] >= 5:
            assert ("nobody_right" in q["flags"]) == (right[qid] == 0)
            assert ("everybody_right" in q["flags"]) == (right[qid] == served[qid])
            never = [o["key"] for o in q["options"] if picks[(qid, o["key"])] == 0]
            assert q["never_chosen"] == never and ("never_chosen" in q["flags"]) == bool(never)
        else:
            assert q["flags"] == []
    shares = [q["share_correct"] for q in items["questions"] if q["share_correct"] is not None]
    assert shares == sorted(shares)  # the hardest first
    assert items["summary"]["answers"] == len(chosen) == 6 * 20
    # Every wrong answer chose the first distractor: with six servings the others are never chosen.
    assert any("never_chosen" in q["flags"] for q in items["questions"])
    week1_items = (await quiz.get("/api/admin/quiz/stats/items?round_id=week-1", headers=admin)).json()
    assert week1_items["summary"]["answers"] == 0


async def test_stats_need_the_admin_token_and_check_their_input(quiz, ns):
    admin = {"Authorization": f"Bearer {ns.admin_token}"}
    for path in ("rounds", "units", "items", "participation"):
        r = await quiz.get(f"/api/admin/quiz/stats/{path}")
        assert r.status_code == 401 and r.json()["error"]["code"], r.text
        r = await quiz.get(f"/api/admin/quiz/stats/{path}", headers={"Authorization": "Bearer wrong-token"})
        assert r.status_code in (401, 403), r.text
    r = await quiz.get("/api/admin/quiz/stats/items?round_id=week-9", headers=admin)
    assert r.status_code == 404 and r.json()["error"]["code"] == "round_not_found"
    r = await quiz.get("/api/admin/quiz/stats/participation?bucket=minute", headers=admin)
    assert r.status_code == 422 and "error" in r.json()
    r = await quiz.get("/quiz/dashboard")
    assert r.status_code == 200 and "Bảng điều khiển Ban tổ chức" in r.text
