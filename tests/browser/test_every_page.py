"""Every page of the system, as residents (phone), staff and organizers (desktop) see it: each form
field has a label, and no page logs a console error or throws. Each page is screenshotted."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, DESKTOP, PHONE, SLOW, Api, Journey

pytestmark = pytest.mark.browser


def test_public_pages_on_a_phone(journey: Journey, api: Api) -> None:
    demo = api.ok(api.http.get("/api/initiatives"))["items"][0]["id"]  # seeded by `make run`
    page = journey.open(PHONE)
    pages = [
        ("/", "landing", lambda: expect(page.get_by_text("Đang mở").first).to_be_visible()),
        ("/quiz/register", "register",
         lambda: expect(page.locator("#unit_id option").nth(1)).to_be_attached()),
        ("/quiz/login", "otp-login", lambda: expect(page.get_by_label("Số điện thoại đã đăng ký")).to_be_visible()),
        ("/initiatives/", "gallery", lambda: expect(page.locator("#count")).not_to_be_empty()),
        (f"/initiatives/detail.html?id={demo}", "initiative-detail",
         lambda: expect(page.locator("#likes")).to_have_text(re.compile(r"^\d+$"))),
        ("/boards/", "boards", lambda: expect(page.get_by_text("Đang cập nhật trực tiếp.")).to_be_visible(timeout=SLOW)),
        ("/boards/quiz.unit.all", "board-units",
         lambda: expect(page.get_by_text("Đang cập nhật trực tiếp.")).to_be_visible(timeout=SLOW)),
        ("/boards/initiatives.entry.all", "board-initiatives",
         lambda: expect(page.get_by_text("Đang cập nhật trực tiếp.")).to_be_visible(timeout=SLOW)),
        ("/boards/stage.entry.all/screen", "stage-screen", lambda: expect(page.locator("#state")).not_to_be_empty()),
    ]
    for url, name, ready in pages:
        page.goto(url)
        ready()
        journey.shot(page, name)
    # Not registered yet: "Vào thi" leads to the registration form.
    page.goto("/quiz/take")
    page.wait_for_url("**/quiz/register")
    # The OTP step shows the code field.
    page.goto("/quiz/login")
    page.get_by_label("Số điện thoại đã đăng ký").fill("0987000111")
    page.get_by_role("button", name="Gửi mã OTP").click()
    page.get_by_label("Mã OTP (6 chữ số)").fill("000000")
    journey.expect_failure(page, 401, "/api/participants/login")
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Mã OTP không đúng")
    journey.shot(page, "otp-step")


def test_staff_and_organizer_pages(journey: Journey, api: Api) -> None:
    organizer = journey.open(DESKTOP)
    organizer.goto("/quiz/admin")
    expect(organizer.get_by_label("Áp dụng cho vòng thi").locator("option").nth(1)).to_be_attached()
    organizer.get_by_label("Mã quản trị (admin token)").fill(api.admin_token)
    organizer.get_by_role("button", name="Xem các phiên bản").click()
    expect(organizer.locator("#versions tr").first).to_be_visible()
    journey.shot(organizer, "quiz-bank-versions")

    organizer.goto("/initiatives/organizer.html")
    # The quiz admin page kept the token for this tab (sessionStorage "admin_token"): already in.
    expect(organizer.get_by_role("tab", name="Duyệt sáng kiến")).to_be_visible()
    organizer.get_by_role("button", name="Đăng xuất").click()
    organizer.get_by_label("Mã quản trị (CONTEST_ADMIN_TOKEN)").fill(api.admin_token)
    organizer.get_by_role("button", name="Vào trang quản trị").click()
    expect(organizer.get_by_role("tab", name="Duyệt sáng kiến")).to_be_visible()
    journey.shot(organizer, "organizer-review")
    for tab in ("Tài khoản", "Điều khiển sân khấu"):
        organizer.get_by_role("tab", name=tab).click()
        expect(organizer.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
        organizer.wait_for_load_state("networkidle")
        journey.shot(organizer, "organizer-" + tab.lower().replace(" ", "-"))

    organizer.goto("/engagement/admin")
    organizer.get_by_label("Mã quản trị (Bearer)").fill(api.admin_token)
    organizer.get_by_role("button", name="Lưu và tải dữ liệu").click()
    expect(organizer.get_by_role("status")).to_have_text("Đã tải dữ liệu.")
    journey.shot(organizer, "engagement-admin")

    rep = journey.open(DESKTOP)
    rep.goto("/initiatives/rep.html")
    rep.wait_for_url("**/initiatives/login.html?next=*")  # not logged in: sent to the login page
    journey.shot(rep, "staff-login")
    rep.get_by_label("Tên đăng nhập").fill("dd-van-dinh")
    rep.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    rep.get_by_role("button", name="Đăng nhập").click()
    rep.wait_for_url("**/initiatives/rep.html")
    expect(rep.locator("#mine")).not_to_be_empty()
    rep.get_by_role("button", name="+ Tạo sáng kiến mới").click()
    expect(rep.get_by_label("Tên sáng kiến")).to_be_visible()
    journey.shot(rep, "unit-rep")

    head = journey.open(DESKTOP)
    head.goto("/initiatives/login.html")
    head.get_by_label("Tên đăng nhập").fill("truong-bgk")
    head.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    head.get_by_role("button", name="Đăng nhập").click()
    head.wait_for_url("**/initiatives/judge.html")
    expect(head.locator("#ini-info")).not_to_be_empty()
    journey.shot(head, "head-judge-initiatives")
    for tab in ("Bài tự luận", "Độ lệch điểm"):
        head.get_by_role("tab", name=tab).click()
        expect(head.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
        head.wait_for_load_state("networkidle")
        journey.shot(head, "head-judge-" + tab.lower().replace(" ", "-"))
    head.get_by_role("link", name="Chấm chung kết sân khấu").click()
    head.wait_for_url("**/initiatives/stage.html")
    expect(head.locator("#current")).not_to_be_empty()
    journey.shot(head, "stage-console")
