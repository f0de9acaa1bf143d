"""A judge grades a resident's essay in the judge console without ever being shown who wrote it or
which attempt it belongs to; the score still reaches the right entry on the public board, which
names no attempt either (issue 12, item 5)."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, DESKTOP, Api, Journey

pytestmark = pytest.mark.browser


def test_a_judge_grades_an_essay_knowing_only_its_opaque_id(journey: Journey, api: Api) -> None:
    resident = api.register("Đỗ Thị Mai")
    who = {"Authorization": f"Bearer {resident['token']}"}
    round_id = next(r["id"] for r in api.ok(api.http.get("/api/contest"))["rounds"] if r["open"])
    attempt = api.ok(api.http.post("/api/attempts", headers=who, json={"round_id": round_id}))
    essay = f"Mở điểm phát wifi miễn phí ở nhà văn hóa thôn {secrets.token_hex(3)}."
    api.ok(api.http.post(f"/api/attempts/{attempt['attempt_id']}/submit", headers=who,
                         json={"answers": [], "free_answer": essay}))

    judge = api.staff_token("gk-03")

    def queued() -> bool:  # the essay travels quiz → Kafka → initiatives
        r = api.http.get("/api/essays", params={"limit": 50}, headers=judge)
        return r.status_code == 200 and any(i["text"] == essay for i in r.json()["items"])

    api.wait(queued, "the essay in the judges' queue")

    page = journey.open(DESKTOP)
    page.goto("/initiatives/login.html")
    page.get_by_label("Tên đăng nhập").fill("gk-03")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/initiatives/judge.html")
    page.get_by_role("tab", name="Bài tự luận").click()
    card = page.get_by_role("article").filter(has_text=essay)
    expect(card).to_be_visible()
    rubric = next(r for r in api.ok(api.http.get("/api/judging/rubrics"))["items"] if r["subject_type"] == "attempt")
    for criterion in rubric["criteria"]:
        card.get_by_label(criterion["name"], exact=True).fill(str(criterion["max"]))
    journey.shot(page, "essay-filled")
    card.get_by_role("button", name="Gửi điểm").click()
    expect(card).to_have_count(0)  # graded: it leaves the judge's pending queue
    page.get_by_label("Chỉ hiện bài tôi chưa chấm").uncheck()
    expect(card.get_by_text("Đã chấm: 100 điểm")).to_be_visible()
    journey.shot(page, "essay-graded")
    html = page.content()
    for secret in (attempt["attempt_id"], resident["participant_id"], resident["display_name"]):
        assert secret not in html

    # the score went out under the attempt: the resident's entry gains the essay points
    def graded_entry():
        r = api.http.get(f"/api/boards/quiz.individual.round-{round_id}/entries/{resident['participant_id']}")
        return r.json() if r.status_code == 200 and r.json()["entry"]["details"].get("essay_score") else None

    body = api.wait(graded_entry, "the essay score on the board")
    assert body["entry"]["details"]["essay_score"] == 100.0
    assert attempt["attempt_id"] not in str(body)
