"""The results console for organizers and head judges, in Debian's Chromium against a real ranking
server: every board with its state, freeze and reveal after a confirmation, exports with unit names
(no slugs, no raw JSON), and who may do it (admin token, organizer or head judge; not a judge)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from services.initiatives.accounts import issue_staff_token
from tests.browser.ranking.test_board_pages import ARGS
from tests.browser.test_accessibility import AXE, RUN_AXE_JS
from tests.integration.ranking.helpers import answer, send, serve
from tests.support import wait_for

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium not installed")]
SECRET = "console-test-staff-secret-0123456789abcdef"
BOARD = "quiz.individual.all"
SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "browser" / "results-console"


def staff(role: str, secret: str = SECRET) -> str:
    return issue_staff_token(secret, staff_id=f"s-{role}", role=role, unit_id=None, ttl=timedelta(hours=1))


async def test_console_freeze_reveal_exports_and_who_may(ns):
    from playwright.async_api import async_playwright

    async with serve(ns, staff_token_secret=SECRET) as (client, _app), async_playwright() as pw:
        base = str(client.base_url).rstrip("/")
        await send(ns.bootstrap, ns.topic_prefix, [answer("a1", "p1", 90, unit="van-dinh"),
                                                   answer("a2", "p2", 70, unit="cao-thanh")])

        async def applied():
            return (await client.get(f"/api/boards/{BOARD}")).json()["total"] == 2

        await wait_for(applied, what="events applied")

        # Who may: a judge or a token signed with another secret may not; no token is a 401.
        url = f"/api/admin/boards/{BOARD}/freeze"
        for token, status in ((staff("judge"), 403), (staff("organizer", "x" * 40), 403), ("nonsense", 403)):
            res = await client.post(url, headers={"Authorization": f"Bearer {token}"})
            assert res.status_code == status, (token, res.text)
            assert res.json()["error"]["code"] == "forbidden"
        assert (await client.post(url)).status_code == 401
        assert not (await client.get("/api/boards")).json()["boards"][0]["frozen"]
        refs = await client.get("/api/admin/boards/references",
                                headers={"Authorization": f"Bearer {staff('organizer')}"})
        assert refs.status_code == 200 and [r["round_id"] for r in refs.json()["references"]][:2] == ["week-1", "week-2"]

        # Exports: unit names, readable details, no JSON.
        text = (await client.get(f"/api/boards/{BOARD}/export.csv")).content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["Hạng", "Mã", "Tên", "Đơn vị", "Điểm", "Chi tiết"]
        assert rows[1][3] == "Thị trấn Vân Đình" and rows[2][3] == "Xã Cao Thành"
        assert "câu đúng" in rows[1][5] and "{" not in text
        book = load_workbook(io.BytesIO((await client.get(f"/api/boards/{BOARD}/export.xlsx")).content))
        sheet = list(book.active.iter_rows(values_only=True))
        assert sheet[1][3] == "Thị trấn Vân Đình" and not any("{" in str(c) for r in sheet for c in r)

        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        context = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        page = await context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        # A head judge signed in on the initiatives pages (same origin, same localStorage).
        await page.goto(base + "/boards/console")
        await page.evaluate("([t, s]) => { localStorage.setItem('staff_token', t); localStorage.setItem('staff', s); }",
                            [staff("head_judge"), json.dumps({"id": "s-head_judge", "role": "head_judge"})])
        await page.reload()
        card = page.locator(f"li[data-board='{BOARD}']")
        await card.get_by_text("Đang công khai").wait_for()
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        assert await card.get_by_role("link", name="Tải CSV").get_attribute("href") == f"/api/boards/{BOARD}/export.csv"
        await card.get_by_role("link", name="Tải Excel").wait_for()
        assert await card.get_by_role("link", name="Tải Excel").count() == 1
        assert await card.get_by_role("link", name="Màn hình lớn").get_attribute("href") == f"/boards/{BOARD}/screen"

        # Freeze: asks first; "Hủy" changes nothing.
        dialogs: list[str] = []

        async def answer_dialog(dialog, accept: bool):
            dialogs.append(dialog.message)
            await (dialog.accept() if accept else dialog.dismiss())

        page.once("dialog", lambda d: asyncio.ensure_future(answer_dialog(d, False)))
        await card.get_by_role("button", name="Khóa bảng").click()
        await wait_for(lambda: dialogs, what="the confirmation")
        assert "Khóa bảng" in dialogs[0]
        assert not next(b for b in (await client.get("/api/boards")).json()["boards"] if b["board_id"] == BOARD)["frozen"]
        page.once("dialog", lambda d: asyncio.ensure_future(answer_dialog(d, True)))
        await card.get_by_role("button", name="Khóa bảng").click()
        await card.get_by_text("Đang khóa").wait_for()
        await page.get_by_role("status").get_by_text("Đã khóa bảng").wait_for()
        await page.screenshot(path=str(SHOTS / "console-frozen.png"), full_page=True)
        assert next(b for b in (await client.get("/api/boards")).json()["boards"] if b["board_id"] == BOARD)["frozen"]

        # Reveal.
        page.once("dialog", lambda d: asyncio.ensure_future(answer_dialog(d, True)))
        await card.get_by_role("button", name="Công bố kết quả").click()
        await card.get_by_text("Đang công khai").wait_for()
        assert "Công bố bảng" in dialogs[-1]
        assert not next(b for b in (await client.get("/api/boards")).json()["boards"] if b["board_id"] == BOARD)["frozen"]

        # An organizer without a staff account types the admin token.
        other = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
        await other.goto(base + "/boards/console")
        await other.get_by_label("Hoặc nhập mã quản trị (CONTEST_ADMIN_TOKEN)").fill(ns.admin_token)
        await other.get_by_role("button", name="Vào trang điều khiển").click()
        await other.locator(f"li[data-board='{BOARD}']").get_by_text("Đang công khai").wait_for()
        await browser.close()
        assert problems == []


async def test_console_sets_and_clears_the_prediction_reference(ns, tmp_path):
    from playwright.async_api import async_playwright

    from tools.demo_contest import contest_dict, write_contest

    contest = write_contest(tmp_path / "contest.yaml", contest_dict(free_kind="prediction"))
    async with serve(ns, contest_file=contest) as (client, _app), async_playwright() as pw:
        base = str(client.base_url).rstrip("/")
        admin = {"Authorization": f"Bearer {ns.admin_token}"}

        async def reference(round_id: str):
            refs = (await client.get("/api/admin/boards/references", headers=admin)).json()["references"]
            return next(r for r in refs if r["round_id"] == round_id)

        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = await (await browser.new_context(viewport={"width": 390, "height": 844})).new_page()
        await page.goto(base + "/boards/console")
        await page.get_by_label("Hoặc nhập mã quản trị (CONTEST_ADMIN_TOKEN)").fill(ns.admin_token)
        await page.get_by_role("button", name="Vào trang điều khiển").click()
        field = page.get_by_label("Tuần 2: đang dùng", exact=False)
        await field.wait_for()
        await field.fill("12.500")  # twelve thousand five hundred, written the Vietnamese way
        page.once("dialog", lambda d: asyncio.ensure_future(d.accept()))
        await page.get_by_role("button", name="Chốt giá trị tham chiếu Tuần 2").click()
        await page.get_by_role("status").get_by_text("Đã chốt giá trị tham chiếu cho Tuần 2.").wait_for()
        got = await reference("week-2")
        assert got["value"] == 12500 and got["final"] is True
        await page.get_by_text("Tuần 2: đang dùng 12.500 (đã chốt)").wait_for()

        page.once("dialog", lambda d: asyncio.ensure_future(d.accept()))
        await page.get_by_role("button", name="Bỏ chốt giá trị tham chiếu Tuần 2").click()
        await page.get_by_text(re.compile(r"Tuần 2: đang dùng .* \(tạm tính\)")).wait_for()
        assert (await reference("week-2"))["final"] is False
        await browser.close()


async def test_console_previews_decides_a_tie_and_publishes_the_official_results(ns):
    """A frozen board with prizes: the preview lists the tiers and the tie at the prize boundary;
    publishing is refused until the decision (order + reason) is recorded from the console; then the
    publish button (after a confirmation) links to the public results page. A head judge does it all."""
    from playwright.async_api import async_playwright

    board = "quiz.individual.round-week-1"  # week-1 of the demo contest closed a week ago; prizes declared
    late = 60 * 24 * 8
    script = [answer("a1", "p1", 90, minutes=late, rnd="week-1")]
    script += [answer(f"a{i}", f"p{i}", 80, minutes=late + 1, rnd="week-1") for i in (2, 3, 4)]  # tie at 2nd/3rd
    async with serve(ns, staff_token_secret=SECRET) as (client, _app), async_playwright() as pw:
        base = str(client.base_url).rstrip("/")
        await send(ns.bootstrap, ns.topic_prefix, script)

        async def four():
            return (await client.get(f"/api/boards/{board}")).json()["total"] == 4

        await wait_for(four, timeout=60, what="four entries on the board")
        head = {"Authorization": f"Bearer {staff('head_judge')}"}
        judge = {"Authorization": f"Bearer {staff('judge')}"}
        # The results routes take the console's access: a head judge may, a judge may not.
        res = await client.get("/api/admin/results/preview", params={"board_id": board}, headers=judge)
        assert res.status_code == 403 and res.json()["error"]["code"] == "forbidden"
        res = await client.post("/api/admin/results", json={"board_id": board, "published_by": "Giám khảo"}, headers=judge)
        assert res.status_code == 403
        assert (await client.post(f"/api/admin/boards/{board}/freeze", headers=head)).status_code == 200
        assert (await client.post(f"/api/admin/boards/{BOARD}/freeze", headers=head)).status_code == 200
        assert (await client.get("/api/admin/results/preview", params={"board_id": board},
                                 headers=head)).json()["conflicts"][0]["entrant_ids"] == ["p2", "p3", "p4"]

        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = await (await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)).new_page()
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        await page.goto(base + "/boards/console")
        await page.evaluate("([t, s]) => { localStorage.setItem('staff_token', t); localStorage.setItem('staff', s); }",
                            [staff("head_judge"), json.dumps({"id": "s-head_judge", "role": "head_judge",
                                                              "display_name": "Nguyễn Văn Trưởng"})])
        await page.reload()
        card = page.locator(f"li[data-board='{board}']")
        await card.get_by_role("button", name="Xem trước kết quả").click()
        # A board without prizes (quiz.individual.all) gets no results block even when frozen.
        assert await page.locator(f"li[data-board='{BOARD}'] .rc-results").count() == 0
        frozen_badge = page.locator(f"li[data-board='{BOARD}']").get_by_text("Đang khóa")
        await frozen_badge.wait_for()  # rendered with the card, after the preview's own request
        assert await frozen_badge.count() == 1
        await card.get_by_role("heading", name="Giải Nhất (1 giải)").wait_for()
        await card.get_by_text("Hạng 1:").wait_for()
        await card.get_by_text("Đồng hạng 2 tại ranh giới giải").wait_for()
        assert await card.get_by_text("Giải Nhì, Giải Nhì, Giải Ba").count() == 1
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        if AXE.exists():  # the preview with the tie form open, audited like every staff page (make axe)
            await page.evaluate(AXE.read_text(encoding="utf-8"))
            assert await page.evaluate(RUN_AXE_JS) == []

        # Publishing with the tie undecided is refused, the reason shown in the card's status.
        by = card.get_by_label("Người công bố (họ tên)")
        assert await by.input_value() == "Nguyễn Văn Trưởng"
        page.once("dialog", lambda d: asyncio.ensure_future(d.accept()))
        await card.get_by_role("button", name="Công bố kết quả chính thức").click()
        await card.get_by_role("status").get_by_text("đồng hạng tại ranh giới giải").wait_for()
        assert (await client.get("/api/results")).json()["results"] == []

        # The decision: p4 up to first place of the group, a reason (required).
        await card.get_by_role("button", name="Lên: p4").click()
        await card.get_by_role("button", name="Lên: p4").click()
        save = card.get_by_role("button", name="Ghi quyết định")
        await save.click()  # no reason: nothing is recorded
        assert (await client.get("/api/admin/results/preview", params={"board_id": board},
                                 headers=head)).json()["decisions"] == []
        await card.get_by_label("Lý do (bắt buộc", exact=False).fill("Bốc thăm công khai trước Hội đồng giám khảo")
        await save.click()
        await page.get_by_role("status").get_by_text("Đã ghi quyết định").wait_for()
        got = (await client.get("/api/admin/results/preview", params={"board_id": board}, headers=head)).json()
        assert got["conflicts"] == [] and got["decisions"][0]["entrant_ids"] == ["p4", "p2", "p3"]
        assert got["decisions"][0]["decided_by"] == "Nguyễn Văn Trưởng"

        # Publish: asks first; "Hủy" changes nothing; then the link to the public page.
        card = page.locator(f"li[data-board='{board}']")
        dialogs: list[str] = []

        async def answer_dialog(dialog, accept: bool):
            dialogs.append(dialog.message)
            await (dialog.accept() if accept else dialog.dismiss())

        page.once("dialog", lambda d: asyncio.ensure_future(answer_dialog(d, False)))
        await card.get_by_role("button", name="Công bố kết quả chính thức").click()
        await wait_for(lambda: dialogs, what="the confirmation")
        assert "Công bố kết quả chính thức" in dialogs[0]
        assert (await client.get("/api/results")).json()["results"] == []
        page.once("dialog", lambda d: asyncio.ensure_future(answer_dialog(d, True)))
        await card.get_by_role("button", name="Công bố kết quả chính thức").click()
        link = card.get_by_role("link", name="Xem trang kết quả công khai")
        await link.wait_for()
        (published,) = (await client.get("/api/results")).json()["results"]
        assert published["published_by"] == "Nguyễn Văn Trưởng"
        assert await link.get_attribute("href") == f"/results/{published['snapshot_id']}"
        await page.screenshot(path=str(SHOTS / "console-published.png"), full_page=True)
        await link.click()
        await page.wait_for_url(f"**/results/{published['snapshot_id']}")
        await page.get_by_text("Bốc thăm công khai trước Hội đồng giám khảo").wait_for()
        await browser.close()
        assert problems == []
