"""The big screen in Debian's Chromium at 1920×1080 against a real ranking server: it fills the
screen, carries the title of the board it shows, shows units, moves when a score arrives over SSE,
holds still while the board is frozen (with its badge) and raises a podium on the reveal."""

from __future__ import annotations

import shutil

import pytest

from tests.integration.ranking.helpers import answer, judged, published, send, serve
from tests.support import wait_for

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium not installed")]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
FINALISTS = {"ini-1": ("Sổ hóa hồ sơ một cửa", "hoa-son", 75.0), "ini-2": ("Chợ 4.0 không tiền mặt", "van-dinh", 70.0),
             "ini-3": ("Bình dân học vụ số", "cao-thanh", 65.0), "ini-4": ("Loa thông minh", "dai-hung", 60.0)}


async def test_big_screen_fills_the_screen_follows_scores_and_reveals(ns):
    from playwright.async_api import async_playwright, expect

    async with serve(ns) as (client, _app), async_playwright() as pw:
        base = str(client.base_url).rstrip("/")
        admin = {"Authorization": f"Bearer {ns.admin_token}"}
        events = [published(i, t, unit=u) for i, (t, u, _) in FINALISTS.items()]
        events += [judged("stage", "initiative", i, "s1", 1, s) for i, (_, _, s) in FINALISTS.items()]
        events += [answer("a1", "p1", 90, rnd="week-1", unit="hoa-son")]
        await send(ns.bootstrap, ns.topic_prefix, events)

        async def applied():
            stage = (await client.get("/api/boards/stage.entry.all")).json()
            week1 = (await client.get("/api/boards/quiz.individual.round-week-1")).json()
            return stage["total"] == 4 and week1["total"] == 1

        await wait_for(applied, what="events applied")
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = await browser.new_page(viewport={"width": 1920, "height": 1080}, locale="vi-VN")
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)

        await page.goto(base + "/boards/stage.entry.all/screen")
        row = page.locator("#list li[data-id='ini-2']")
        await row.wait_for()
        assert await page.locator("h1").inner_text() == "Thi sân khấu hóa"
        assert await page.locator("#subtitle").inner_text() == "Điểm giám khảo chung kết"
        # The whole 16:9 screen, not the site's 880 px column; every row on screen, no scrolling.
        size = await page.evaluate("""() => ({scroll: document.documentElement.scrollWidth,
            list: document.getElementById('list').getBoundingClientRect().width,
            bottom: Math.max(...[...document.querySelectorAll('#list li')].map(li => li.getBoundingClientRect().bottom)),
            scrollH: document.documentElement.scrollHeight,
            font: parseFloat(getComputedStyle(document.querySelector('#list .name')).fontSize)})""")
        assert size["scroll"] == 1920 and size["list"] >= 0.9 * 1920, size
        assert size["bottom"] <= 1080 and size["scrollH"] <= 1080, size
        assert size["font"] >= 40, size  # legible from the back of a hall
        assert await row.locator(".unit").inner_text() == "Thị trấn Vân Đình"
        assert await row.locator(".rank").inner_text() == "2"
        assert await page.locator("#badge").is_hidden()
        await page.evaluate("window.__sameDocument = true")

        # A score arrives over SSE: the row moves up and its score counts up to the new value.
        await send(ns.bootstrap, ns.topic_prefix, [judged("stage", "initiative", "ini-2", "s1", 2, 88.0)])
        await expect(row.locator(".score")).to_have_text("88", timeout=15_000)
        assert await row.locator(".rank").inner_text() == "1"

        # Frozen: the badge, and the frozen standings even when a new score comes in.
        assert (await client.post("/api/admin/boards/stage.entry.all/freeze", headers=admin)).status_code == 200
        await page.locator("#badge", has_text="Đang tạm khóa").wait_for(timeout=15_000)
        await send(ns.bootstrap, ns.topic_prefix, [judged("stage", "initiative", "ini-4", "s1", 2, 99.0)])

        async def live_has_it():
            body = (await client.get("/api/admin/boards/stage.entry.all/live", headers=admin)).json()
            return any(e["entrant_id"] == "ini-4" and e["score"] == 99.0 for e in body["entries"])

        await wait_for(live_has_it, what="the hidden score on the live board")
        await page.wait_for_timeout(1_000)  # a negative check: give a (wrong) update time to arrive
        assert await page.locator("#list li").first.get_attribute("data-id") == "ini-2"
        assert await page.locator("#podium").is_hidden()

        # The reveal: a podium with the new winner, then the live board.
        assert (await client.post("/api/admin/boards/stage.entry.all/unfreeze", headers=admin)).status_code == 200
        podium = page.locator("#podium")
        await podium.wait_for(state="visible", timeout=15_000)
        assert await podium.locator("li.bs-step1").get_attribute("data-id") == "ini-4"
        assert "Loa thông minh" in await podium.inner_text()
        assert await page.locator("#badge").is_hidden()
        assert await page.locator("#state").inner_text() == "Cập nhật trực tiếp"
        assert await page.evaluate("window.__sameDocument === true"), "the screen reloaded"

        # Another board, its own title.
        await page.goto(base + "/boards/quiz.individual.round-week-1/screen")
        await page.locator("#list li[data-id='p1']").wait_for()
        assert await page.locator("h1").inner_text() == "Thi trực tuyến tìm hiểu về chuyển đổi số"
        assert await page.locator("#subtitle").inner_text() == "Xếp hạng cá nhân · Tuần 1"
        assert await page.locator("#list li[data-id='p1'] .unit").inner_text() == "Xã Hoa Sơn"
        await browser.close()
        assert problems == []
