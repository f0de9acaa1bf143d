"""axe-core reports no violation of any impact on any page, in any state a person reaches it in:
every public page on a phone (during an attempt too), every staff page on a desktop (each tab of the
judge's and the organizer's tab lists), and the HTML 404 page.

axe-core comes from npm, pinned, installed by `make axe` into .run/npm (a dependency of `make test`).
The pages' Content-Security-Policy allows only same-origin scripts, so axe is not added as a <script>:
Playwright's evaluate() runs it in the page without going through the CSP.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, DESKTOP, PHONE, ROOT, SLOW, Api, Journey, fresh_phone

pytestmark = pytest.mark.browser
BIG_SCREEN = {**DESKTOP, "viewport": {"width": 1920, "height": 1080}}
AXE = Path(os.environ.get("AXE_JS", ROOT / ".run" / "npm" / "node_modules" / "axe-core" / "axe.min.js"))
RUN_AXE_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((n) => n.target.join(' ') + ' :: ' + n.failureSummary.replace(/\\s+/g, ' ')).slice(0, 8),
  }));
}"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed at {AXE}: run `make axe`")
    return AXE.read_text(encoding="utf-8")


class Audit:
    """Runs axe on pages as a journey reaches them; collects every violation for one report."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.found: list[str] = []
        self.audited: list[str] = []

    def __call__(self, page: Any, state: str) -> None:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(self.source)
        violations = page.evaluate(RUN_AXE_JS)
        self.audited.append(state)
        for v in violations:
            targets = "\n      ".join(v["targets"])
            self.found.append(f"[{state}] {page.url}\n  {v['id']} ({v['impact']}): {v['help']}\n      {targets}")

    def assert_clean(self) -> None:
        assert not self.found, f"axe-core violations in {len(self.audited)} audited states:\n" + "\n".join(self.found)


def public_pages(page: Any, initiative: str) -> list[tuple[str, str, Any]]:
    """(URL, state, what shows it is ready) for each public page a visitor opens without signing in."""
    live = page.get_by_text("Đang cập nhật trực tiếp.")
    return [
        ("/", "quiz home", lambda: expect(page.get_by_text("Đang mở").first).to_be_visible()),
        ("/quiz/register", "register", lambda: expect(page.locator("#unit_id option").nth(1)).to_be_attached()),
        ("/quiz/login", "login", lambda: expect(page.get_by_label("Số điện thoại đã đăng ký")).to_be_visible()),
        ("/initiatives/", "gallery", lambda: expect(page.locator("#count")).not_to_be_empty()),
        (f"/initiatives/detail.html?id={initiative}", "initiative detail",
         lambda: expect(page.locator("#likes")).to_have_text(re.compile(r"^\d+$"))),
        ("/boards/", "boards", lambda: expect(live).to_be_visible(timeout=SLOW)),
        ("/boards/quiz.unit.all", "unit board", lambda: expect(live).to_be_visible(timeout=SLOW)),
        ("/boards/initiatives.entry.all", "initiatives board", lambda: expect(live).to_be_visible(timeout=SLOW)),
        ("/boards/stage.entry.all/screen", "big screen", lambda: expect(page.locator("#state")).not_to_be_empty()),
    ]


def test_public_pages_have_no_axe_violations(journey: Journey, api: Api, axe_source: str) -> None:
    audit = Audit(axe_source)
    demo = api.ok(api.http.get("/api/initiatives"))["items"][0]["id"]  # seeded by `make run`
    page = journey.open(PHONE)
    live = page.get_by_text("Đang cập nhật trực tiếp.")
    for url, state, ready in public_pages(page, demo):
        page.goto(url)
        ready()
        audit(page, state)

    # The OTP step, and its refusal.
    page.goto("/quiz/login")
    page.get_by_label("Số điện thoại đã đăng ký").fill(fresh_phone())  # its own: codes per phone are limited
    page.get_by_role("button", name="Gửi mã OTP").click()
    page.get_by_label("Mã OTP (6 chữ số)").fill("000000")
    journey.expect_failure(page, 401, "/api/participants/login")
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Mã OTP không đúng")
    audit(page, "login: wrong OTP")

    # Register, then take an attempt: before it starts, during it (some answered), its result.
    page.goto("/quiz/register")
    page.get_by_label("Họ và tên").fill("Phạm Thị Truy Cập")
    page.get_by_label("Số điện thoại di động").fill(fresh_phone())
    page.get_by_label("Xã, thị trấn hoặc cơ quan").select_option("van-dinh")
    page.get_by_role("button", name="Đăng ký", exact=True).click()
    page.wait_for_url("**/quiz/take")
    expect(page.get_by_role("button", name="Bắt đầu làm bài")).to_be_enabled()
    audit(page, "take: before the attempt")
    page.get_by_role("button", name="Bắt đầu làm bài").click()
    first = page.get_by_role("group", name=re.compile(r"^Câu 1\u002f"))
    expect(first).to_be_visible()
    audit(page, "take: during the attempt")
    first.get_by_role("radio").first.check()
    page.locator("#free").fill("Hướng dẫn bà con cài VNeID.")
    audit(page, "take: during the attempt, answered")
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Nộp bài").click()
    page.wait_for_url("**/quiz/result?attempt=*")
    expect(page.locator("#result")).to_be_visible()
    audit(page, "result")

    me = page.evaluate("JSON.parse(localStorage.getItem('participant'))")
    journey.expect_failure(page, 404, f"/entries/{me['participant_id']}")  # the row may still be on its way
    page.goto(f"/boards/quiz.individual.all?me={me['participant_id']}")
    expect(live).to_be_visible(timeout=SLOW)
    audit(page, "individual board, my row")

    page.goto("/results")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    audit(page, "published results")

    journey.expect_failure(page, 404, "/khong-co-trang-nay")
    page.goto("/khong-co-trang-nay")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    audit(page, "HTML 404")
    audit.assert_clean()


def test_public_pages_on_wide_screens_have_no_axe_violations(journey: Journey, api: Api, axe_source: str) -> None:
    """The same pages on a desktop and on a 1920×1080 projector: their wide layouts are other CSS."""
    audit = Audit(axe_source)
    demo = api.ok(api.http.get("/api/initiatives"))["items"][0]["id"]
    for device, size in ((DESKTOP, "desktop"), (BIG_SCREEN, "1920x1080")):
        page = journey.open(device)
        for url, state, ready in public_pages(page, demo):
            page.goto(url)
            ready()
            audit(page, f"{state}, {size}")
    audit.assert_clean()


def test_staff_pages_have_no_axe_violations(journey: Journey, api: Api, axe_source: str) -> None:
    audit = Audit(axe_source)
    organizer = journey.open(DESKTOP)
    organizer.goto("/quiz/admin")
    expect(organizer.get_by_label("Áp dụng cho vòng thi").locator("option").nth(1)).to_be_attached()
    audit(organizer, "quiz admin")
    organizer.get_by_label("Mã quản trị (admin token)").fill(api.admin_token)
    organizer.get_by_role("button", name="Xem các phiên bản").click()
    expect(organizer.locator("#versions tr").first).to_be_visible()
    audit(organizer, "quiz admin: bank versions")

    organizer.goto("/initiatives/organizer.html")
    organizer.get_by_role("button", name="Đăng xuất").click()
    expect(organizer.get_by_label("Mã quản trị (CONTEST_ADMIN_TOKEN)")).to_be_visible()
    audit(organizer, "organizer: sign in")
    organizer.get_by_label("Mã quản trị (CONTEST_ADMIN_TOKEN)").fill(api.admin_token)
    organizer.get_by_role("button", name="Vào trang quản trị").click()
    expect(organizer.get_by_role("tab", name="Duyệt sáng kiến")).to_be_visible()
    organizer.wait_for_load_state("networkidle")
    audit(organizer, "organizer: review tab")
    for tab in ("Tài khoản", "Điều khiển sân khấu"):
        organizer.get_by_role("tab", name=tab).click()
        expect(organizer.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
        organizer.wait_for_load_state("networkidle")
        audit(organizer, f"organizer: {tab} tab")

    if api.http.get("/quiz/dashboard", headers={"Accept": "text/html"}).status_code != 404:
        organizer.goto("/quiz/dashboard")  # same tab: the admin token is in its sessionStorage
        organizer.wait_for_load_state("networkidle")
        audit(organizer, "organizer dashboard")

    organizer.goto("/engagement/admin")
    audit(organizer, "engagement admin")
    organizer.get_by_label("Mã quản trị (Bearer)").fill(api.admin_token)
    organizer.get_by_role("button", name="Lưu và tải dữ liệu").click()
    expect(organizer.get_by_role("status")).to_have_text("Đã tải dữ liệu.")
    audit(organizer, "engagement admin: loaded")

    rep = journey.open(DESKTOP)
    rep.goto("/initiatives/rep.html")
    rep.wait_for_url("**/initiatives/login.html?next=*")
    audit(rep, "staff login")
    rep.get_by_label("Tên đăng nhập").fill("dd-van-dinh")
    rep.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    rep.get_by_role("button", name="Đăng nhập").click()
    rep.wait_for_url("**/initiatives/rep.html")
    expect(rep.locator("#mine")).not_to_be_empty()
    audit(rep, "unit representative")
    rep.get_by_role("button", name="+ Tạo sáng kiến mới").click()
    expect(rep.get_by_label("Tên sáng kiến")).to_be_visible()
    audit(rep, "unit representative: new initiative form")
    rep.get_by_role("button", name="Lưu bản nháp").click()
    expect(rep.locator("[aria-invalid=true]").first).to_be_visible()
    audit(rep, "unit representative: form with field errors")

    head = journey.open(DESKTOP)
    head.goto("/initiatives/login.html")
    head.get_by_label("Tên đăng nhập").fill("truong-bgk")
    head.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    head.get_by_role("button", name="Đăng nhập").click()
    head.wait_for_url("**/initiatives/judge.html")
    expect(head.locator("#ini-info")).not_to_be_empty()
    head.wait_for_load_state("networkidle")
    audit(head, "judge: initiatives tab")
    # The ARIA tab pattern: one tab stop, the arrow keys move between tabs and select them.
    head.get_by_role("tab", name="Sáng kiến").focus()
    head.keyboard.press("ArrowRight")
    essays = head.get_by_role("tab", name="Bài tự luận")
    expect(essays).to_have_attribute("aria-selected", "true")
    expect(essays).to_be_focused()
    expect(essays).to_have_attribute("tabindex", "0")
    expect(head.get_by_role("tab", name="Sáng kiến")).to_have_attribute("tabindex", "-1")
    head.keyboard.press("Home")
    expect(head.get_by_role("tab", name="Sáng kiến")).to_have_attribute("aria-selected", "true")
    for tab in ("Bài tự luận", "Độ lệch điểm"):
        head.get_by_role("tab", name=tab).click()
        expect(head.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
        head.wait_for_load_state("networkidle")
        audit(head, f"judge: {tab} tab")
    head.get_by_role("link", name="Chấm chung kết sân khấu").click()
    head.wait_for_url("**/initiatives/stage.html")
    expect(head.locator("#current")).not_to_be_empty()
    audit(head, "stage judging console")
    head.goto("/boards/console")  # the results console: every board, freeze and reveal, exports
    expect(head.locator("li[data-board]").first).to_be_visible()
    audit(head, "results console")
    audit.assert_clean()
