"""Initiatives, judges and the stage, through nginx, in Debian's Chromium.

- A resident likes an initiative in the gallery and sees the count change; unlike reverts it.
- A judge logs in, scores an initiative and revises it; the initiatives board, open in another
  page, follows both without a reload (SSE).
- The stage big screen follows two judges scoring a finalist; a freeze keeps it still; the reveal
  (unfreeze) shows the new standing.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, DESKTOP, PHONE, SLOW, Api, Journey

pytestmark = pytest.mark.browser
TABLET = {**PHONE, "viewport": {"width": 820, "height": 1180}}


def unique(title: str) -> str:
    return f"{title} {secrets.token_hex(2).upper()}"


def wait_until_engagement_knows(api: Api, content_id: str) -> None:
    """Engagement learns of an approved initiative from Kafka; the like button needs it."""
    api.wait(lambda: api.http.get(f"/api/contents/{content_id}/stats").status_code == 200,
             f"engagement to know {content_id}")


def staff_login(journey: Journey, page, username: str) -> None:
    page.goto("/initiatives/login.html")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def fill_rubric(scope, scores: dict[str, float]) -> None:
    for label, value in scores.items():
        scope.get_by_label(label, exact=True).fill(str(value))


def test_resident_likes_and_unlikes_an_initiative(journey: Journey, api: Api) -> None:
    title = unique("Điểm hỗ trợ dịch vụ công tại nhà văn hóa thôn")
    content_id = api.published_initiative(title)
    wait_until_engagement_knows(api, content_id)
    resident = api.register("Phạm Thị Lan")

    page = journey.open(PHONE)
    page.goto("/initiatives/")
    # the resident registered for the quiz earlier on this phone: token and profile in localStorage
    page.evaluate("([p, t]) => Contest.saveParticipant(p, t)", [
        {k: resident[k] for k in ("participant_id", "display_name", "unit_id")}, resident["token"]])
    # likes count only from a verified phone: the quiz home page asks for the one-time code
    page.goto("/")
    verify = page.get_by_role("region", name="Xác minh số điện thoại")
    expect(verify).to_be_visible()
    verify.get_by_role("button", name="Gửi mã OTP").tap()
    verify.get_by_label("Mã OTP (6 chữ số)").fill(api.sms_code(resident["phone"]))
    journey.shot(page, "verify-phone")
    verify.get_by_role("button", name="Xác nhận").tap()
    expect(verify.get_by_role("status")).to_have_text("Đã xác minh số điện thoại. Cảm ơn bạn!")
    page.goto("/initiatives/")
    card = page.get_by_role("article").filter(has=page.get_by_role("heading", name=title))
    expect(card).to_be_visible()
    journey.shot(page, "gallery")
    card.get_by_role("link", name=f"Xem chi tiết: {title}").tap()
    page.wait_for_url(f"**/initiatives/detail.html?id={content_id}")
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()

    likes = page.locator("#likes")
    expect(likes).to_have_text("0")
    like = page.get_by_role("button", name="Thích", exact=True)
    expect(like).to_have_attribute("aria-pressed", "false")
    journey.shot(page, "detail-before-like")
    like.tap()
    liked = page.get_by_role("button", name="Đã thích", exact=True)
    expect(liked).to_have_attribute("aria-pressed", "true")
    expect(likes).to_have_text("1")
    journey.shot(page, "liked")

    page.reload()  # the like is kept by the server, not just the page
    expect(likes).to_have_text("1")
    expect(page.get_by_role("button", name="Đã thích", exact=True)).to_be_visible()

    page.get_by_role("button", name="Đã thích", exact=True).tap()
    expect(page.get_by_role("button", name="Thích", exact=True)).to_have_attribute("aria-pressed", "false")
    expect(likes).to_have_text("0")
    journey.shot(page, "unliked")
    assert api.ok(api.http.get(f"/api/contents/{content_id}/stats"))["likes"] == 0


def board_row(page, entrant_id: str):
    return page.locator(f"#rows tr[data-id='{entrant_id}']")


def test_judge_scores_and_revises_while_the_board_updates_live(journey: Journey, api: Api) -> None:
    title = unique("Sổ tay điện tử cho tổ dân phố")
    ini = api.published_initiative(title)

    board = journey.open(DESKTOP)
    board.goto("/boards/initiatives.entry.all")
    expect(board.get_by_text("Đang cập nhật trực tiếp.")).to_be_visible(timeout=SLOW)
    board.evaluate("window.__sameDocument = true")  # gone if the page ever reloads
    journey.shot(board, "board-before")

    judge = journey.open(DESKTOP)
    staff_login(journey, judge, "gk-03")
    judge.wait_for_url("**/initiatives/judge.html")
    card = judge.get_by_role("article").filter(has=judge.get_by_role("heading", name=title))
    expect(card).to_be_visible()
    expect(card.get_by_text("Chưa chấm.")).to_be_visible()
    fill_rubric(card, {"Tính khả thi": 8, "Hiệu quả, tác động": 8, "Tính mới, sáng tạo": 8})
    expect(card.get_by_text("Tổng điểm (thang 100): 80")).to_be_visible()
    journey.shot(judge, "judge-form")
    card.get_by_role("button", name="Gửi điểm").click()
    expect(card.get_by_text("Đã chấm: 80 điểm")).to_be_visible()
    expect(card.get_by_text("lần chấm thứ 1", exact=False)).to_be_visible()
    journey.shot(judge, "judge-scored")

    row = board_row(board, ini)
    expect(row).to_be_visible(timeout=SLOW)
    expect(row).to_contain_text("giám khảo 80", timeout=SLOW)
    first = row.locator("td.num").inner_text()
    journey.shot(board, "board-after-score")

    # The judge changes their mind: a new revision replaces the old one on the board.
    fill_rubric(card, {"Tính khả thi": 6, "Hiệu quả, tác động": 5, "Tính mới, sáng tạo": 7})
    card.get_by_role("button", name="Sửa điểm (lần chấm mới)").click()
    expect(card.get_by_text("lần chấm thứ 2", exact=False)).to_be_visible()
    revised = card.locator(".tag.ok").inner_text()
    assert re.search(r"Đã chấm: 5[0-9]", revised), revised  # 0.3*60 + 0.4*50 + 0.3*70 = 59
    journey.shot(judge, "judge-revised")

    expect(row).to_contain_text("giám khảo 59", timeout=SLOW)
    assert row.locator("td.num").inner_text() != first
    assert board.evaluate("window.__sameDocument === true"), "the board reloaded instead of updating live"
    journey.shot(board, "board-after-revision")


def screen_row(page, entrant_id: str):
    return page.locator(f"#list li[data-id='{entrant_id}']")


def test_stage_screen_follows_two_judges_and_honours_the_freeze(journey: Journey, api: Api) -> None:
    title = unique("Camera AI giám sát an ninh thôn xóm")
    finalist = api.published_initiative(title, rep="dd-van-dinh", field="kinh-te-so")
    api.ok(api.http.put("/api/stage/finalists", headers=api.admin, json={"initiative_ids": [finalist]}))
    api.ok(api.http.post(f"/api/stage/finalists/{finalist}/open", headers=api.admin))
    board = "stage.entry.all"
    api.ok(api.http.post(f"/api/admin/boards/{board}/unfreeze", headers=api.admin))

    screen = journey.open(DESKTOP)
    screen.goto(f"/boards/{board}/screen")
    expect(screen.locator("#state")).not_to_be_empty()
    screen.evaluate("window.__sameDocument = true")
    journey.shot(screen, "screen-before")

    judges = {}
    for username in ("gk-01", "gk-03"):
        page = journey.open(TABLET)
        staff_login(journey, page, username)
        page.wait_for_url("**/initiatives/judge.html")
        page.get_by_role("link", name="Chấm chung kết sân khấu").click()
        page.wait_for_url("**/initiatives/stage.html")
        expect(page.locator("#current")).to_contain_text(title)
        expect(page.get_by_text("Đang mở chấm điểm")).to_be_visible()
        judges[username] = page

    def score(username: str, values: tuple[float, float, float], button: str = "Gửi điểm") -> None:
        page = judges[username]
        form = page.locator("#form-box")
        fill_rubric(form, dict(zip(("Nội dung", "Trình bày", "Tương tác với khán giả"), values, strict=True)))
        form.get_by_role("button", name=button).click()
        expect(page.locator("#form-box .notice")).to_contain_text("Đã gửi")

    row = screen_row(screen, finalist)
    score("gk-01", (9, 9, 9))
    journey.shot(judges["gk-01"], "judge1-stage-scored")
    expect(row.locator(".score")).to_have_text("90", timeout=SLOW)
    journey.shot(screen, "screen-one-judge")

    score("gk-03", (7, 7, 7))
    expect(row.locator(".score")).to_have_text("80", timeout=SLOW)  # two judges: their mean
    journey.shot(screen, "screen-two-judges")

    # Freeze for the reveal: the screen keeps showing 80 while the judges keep scoring.
    api.ok(api.http.post(f"/api/admin/boards/{board}/freeze", headers=api.admin))
    expect(screen.locator("#state")).to_contain_text("giữ kín", timeout=SLOW)
    score("gk-03", (10, 10, 10), button="Sửa điểm (lần chấm mới)")

    def live_score():
        body = api.ok(api.http.get(f"/api/admin/boards/{board}/live", headers=api.admin))
        return next((e["score"] for e in body["entries"] if e["entrant_id"] == finalist), None)

    api.wait(lambda: live_score() == 95, "the revision to reach the (hidden) live board")
    screen.wait_for_timeout(1_500)  # a negative check: give a (wrong) update time to arrive
    expect(row.locator(".score")).to_have_text("80")
    expect(screen.locator("#state")).to_contain_text("giữ kín")
    journey.shot(screen, "screen-frozen")

    api.ok(api.http.post(f"/api/admin/boards/{board}/unfreeze", headers=api.admin))
    expect(row.locator(".score")).to_have_text("95", timeout=SLOW)
    expect(screen.locator("#state")).to_have_text("Cập nhật trực tiếp")
    assert screen.evaluate("window.__sameDocument === true"), "the big screen reloaded instead of updating live"
    journey.shot(screen, "screen-revealed")
