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
