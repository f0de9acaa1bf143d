"""The leaderboard on a phone (390 px) in Debian's Chromium against a real server: nothing wider than
the screen (the score column visible, long ids wrapped), and search that ignores case and diacritics."""

from __future__ import annotations

import shutil

import pytest

from tests.browser.ranking.test_board_pages import ARGS
from tests.integration.ranking.helpers import answer, send, serve
from tests.support import wait_for

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium not installed")]
LONG_ID = "p-" + "7f3a9c" * 8  # an id with no place to break


def _named(item, name: str):
    topic, event = item
    return topic, event.model_copy(update={"data": event.data.model_copy(update={"display_name": name})})


async def test_phone_board_fits_and_search_ignores_diacritics(ns):
    from playwright.async_api import async_playwright

    async with serve(ns) as (client, _app), async_playwright() as pw:
        base = str(client.base_url).rstrip("/")
        await send(ns.bootstrap, ns.topic_prefix, [
            _named(answer("a1", LONG_ID, 95), "Nguyễn Thị Phương Thảo Kiểm Thử Viên Cấp Xã Đại Hùng"),
            _named(answer("a2", "p2", 80), "Đỗ Văn Đức"),
            _named(answer("a3", "p3", 70), "Trần Bình"),
        ])

        async def applied():
            return (await client.get("/api/boards/quiz.individual.all")).json()["total"] == 3

        await wait_for(applied, what="events applied")
        # The API folds both sides.
        for q, hit in (("kiem thu", LONG_ID), ("KIỂM THỬ", LONG_ID), ("do van duc", "p2"), ("đức", "p2")):
            body = (await client.get("/api/boards/quiz.individual.all", params={"q": q})).json()
            assert [e["entrant_id"] for e in body["entries"]] == [hit], q

        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = await browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        await page.goto(base + "/boards/quiz.individual.all")
        await page.locator(f"#rows tr[data-id='{LONG_ID}']").wait_for()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width} px wide on a 390 px phone"
        score = await page.locator(f"#rows tr[data-id='{LONG_ID}'] td.num").bounding_box()
        assert score["x"] + score["width"] <= 390, "the score column is off-screen"
        assert "95" in await page.locator(f"#rows tr[data-id='{LONG_ID}'] td.num").inner_text()
        # the unit is still shown (under the name)
        assert await page.locator(f"#rows tr[data-id='{LONG_ID}'] .rk-unit-inline").is_visible()

        await page.get_by_label("Tìm theo tên hoặc mã dự thi").fill("kiem thu")
        await page.get_by_role("button", name="Tìm").click()
        await page.wait_for_function("document.querySelectorAll('#rows tr').length === 1")
        assert await page.locator("#rows tr").first.get_attribute("data-id") == LONG_ID
        await browser.close()
