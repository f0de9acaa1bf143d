"""The organizers' dashboard in Debian's Chromium against a real quiz server, PostgreSQL and broker:
the admin token is asked for, then every chart is drawn (SVG) from the stats API and the item
analysis lists every question, on a projector (1920×1080) and on a phone."""

from __future__ import annotations

import shutil

import httpx
import pytest

from services.quiz.app import create_app
from tests.browser.quiz.test_quiz_pages import ARGS, serving
from tests.integration.quiz.conftest import answer_keys, fresh_phone, quiz_settings

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium not installed")]


async def _attempts(base: str, keys: dict[str, str], units: list[str]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        for n, unit in enumerate(units):
            who = (await client.post("/api/participants", json={
                "full_name": f"Người thử {n}", "phone": fresh_phone(), "unit_id": unit})).json()
            headers = {"Authorization": f"Bearer {who['token']}"}
            attempt = (await client.post("/api/attempts", json={"round_id": "week-2"}, headers=headers)).json()
            answers = [{"question_id": q["question_id"], "option_key": keys[q["question_id"]] if i < 5 * (n + 1) else
                        q["options"][0]["key"]} for i, q in enumerate(attempt["questions"])]
            r = await client.post(f"/api/attempts/{attempt['attempt_id']}/submit", json={"answers": answers},
                                  headers=headers)
            assert r.status_code == 200, r.text


async def test_dashboard_draws_every_chart(ns):
    from playwright.async_api import async_playwright, expect

    app = create_app(quiz_settings(ns))
    contest = app.state.runtime.contest
    places = [u for u in contest.units if u.kind != "agency"]
    async with serving(app) as base, async_playwright() as pw:
        await _attempts(base, answer_keys(app), ["van-dinh", "cao-thanh", "cao-thanh"])
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = await browser.new_page(viewport={"width": 1920, "height": 1080}, locale="vi-VN")
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

        await page.goto(base + "/quiz/dashboard")
        assert await page.locator("h1").inner_text() == "Bảng điều khiển Ban tổ chức"
        # A wrong token: a Vietnamese error, the form again (the 401 is the expected console error).
        await page.get_by_label("Mã quản trị (admin token)").fill("not-the-token")
        await page.get_by_role("button", name="Xem số liệu").click()
        await page.locator("#error").wait_for()
        assert await page.locator("#board").is_hidden()
        problems.clear()

        await page.get_by_label("Mã quản trị (admin token)").fill(ns.admin_token)
        await page.get_by_role("button", name="Xem số liệu").click()
        await page.locator("#c-items svg").wait_for()
        assert await page.locator("#t-people").inner_text() == "3"
        assert await page.locator("#t-attempts").inner_text() == "3"
        for chart in ("c-time", "c-units", "c-rounds", "c-items"):
            svg = page.locator(f"#{chart} svg[role='img']")
            assert await svg.count() == 1, chart
            assert (await svg.get_attribute("aria-label")).strip(), chart
        assert await page.locator("#c-time svg rect.bar").count() == 1  # one day with attempts
        assert await page.locator("#c-units svg rect.bar").count() == len(places)  # 28 communes and the town
        texts = "els => els.map(e => e.textContent)"  # SVG text has no innerText
        labels = await page.locator("#c-units svg text.label").evaluate_all(texts)
        assert set(labels) == {u.name for u in places} and labels[0] == "Xã Cao Thành"  # the most first
        assert (await page.locator("#c-units svg text.value").evaluate_all(texts))[0] == "2 người"
        assert await page.locator("#c-rounds svg rect.bar").count() == len(contest.quiz.rounds)
        assert "Tuần 2 (đang mở)" in await page.locator("#rounds").inner_text()
        assert await page.locator("#items tr").count() == 25  # every question of the bank
        served = await page.locator("#c-items svg rect.bar").count()
        assert 0 < served <= 25
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width == 1920

        # The round filter: week 1 has no answers, so no bars.
        await page.get_by_label("Vòng", exact=True).select_option("week-1")
        await expect(page.locator("#c-items svg rect.bar")).to_have_count(0)
        # On a phone: one column, the page itself never wider than the screen.
        await page.set_viewport_size({"width": 390, "height": 844})
        await page.wait_for_timeout(100)
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        await browser.close()
        assert problems == []
