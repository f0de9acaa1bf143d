"""The leaderboard pages in Debian's Chromium against a real server: rows, the `me` highlight,
search, a live update over SSE, and the big screen honouring a freeze."""

from __future__ import annotations

import shutil

import pytest

from tests.integration.ranking.helpers import answer, judged, published, send, serve
from tests.support import wait_for

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium not installed")]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


async def test_board_page_live_me_search_and_screen(ns):
    from playwright.async_api import async_playwright

    async with serve(ns) as (client, _app), async_playwright() as pw:
        base = str(client.base_url).rstrip("/")
        await send(ns.bootstrap, ns.topic_prefix, [answer("a1", "p1", 90), answer("a2", "p2", 70),
                                                   published("ini-1", "Sổ hóa hồ sơ"),
                                                   judged("stage", "initiative", "ini-1", "s1", 1, 75.0)])

        async def applied():
            body = (await client.get("/api/boards/quiz.individual.all")).json()
            return body["total"] == 2 and (await client.get("/api/boards/stage.entry.all")).json()["total"] == 1

        await wait_for(applied, what="events applied")
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)

        await page.goto(base + "/boards/quiz.individual.all?me=p2")
        await page.locator("#rows tr[data-id='p1']").wait_for()
        assert await page.locator("#rows tr.rk-mine").get_attribute("data-id") == "p2"
        await page.get_by_text("Vị trí của bạn: hạng 2 / 2").wait_for()
        await page.get_by_text("Đang cập nhật trực tiếp.").wait_for()
        # a new attempt shows up live, without a reload
        await send(ns.bootstrap, ns.topic_prefix, [answer("a3", "p3", 95)])
        await page.locator("#rows tr[data-id='p3'] .rank", has_text="1").wait_for(timeout=15_000)
        # search by name
        await page.get_by_label("Tìm theo tên hoặc mã dự thi").fill("Người p1")
        await page.get_by_role("button", name="Tìm").click()
        await wait_for(lambda: page.locator("#rows tr").count(), what="search results")
        await page.wait_for_function("document.querySelectorAll('#rows tr').length === 1")
        assert await page.locator("#rows tr").first.get_attribute("data-id") == "p1"
        # the big screen honours a freeze
        admin = {"Authorization": f"Bearer {ns.admin_token}"}
        assert (await client.post("/api/admin/boards/stage.entry.all/freeze", headers=admin)).status_code == 200
        await page.goto(base + "/boards/stage.entry.all/screen")
        await page.get_by_text("Sổ hóa hồ sơ").wait_for()
        await page.get_by_text("Kết quả đang được giữ kín").wait_for()
        await browser.close()
        assert problems == []
