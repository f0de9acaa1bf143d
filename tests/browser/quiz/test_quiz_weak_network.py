"""The quiz on a weak network and the attempt's guidance, in Debian's Chromium against a real uvicorn
server, PostgreSQL and broker:

- answers reach the server as they are chosen; a submit while the context is offline shows the
  Vietnamese offline banner (no jump to the top), and goes through by itself once back online;
- after the last allowed attempt there is no "Thi lượt khác" and Start is disabled, attempts left are
  shown, a round's end reads "hết 23:59 ngày …"; during an attempt a button jumps to the next
  unanswered question, 5- and 1-minute warnings are announced, and titles stay inside their card.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import pytest

from services.quiz.app import create_app
from tests.browser.quiz.test_quiz_pages import ARGS, serving
from tests.integration.quiz.conftest import fresh_phone, quiz_settings
from tests.support import wait_for

SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "browser" / "quiz-weak-network"
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium not installed")]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "locale": "vi-VN", "timezone_id": "Asia/Ho_Chi_Minh"}


async def _register(page, base: str) -> None:
    await page.goto(base + "/quiz/register")
    await page.get_by_label("Họ và tên").fill("Nguyễn Thị Hoa")
    await page.get_by_label("Số điện thoại di động").fill(fresh_phone())
    await page.get_by_label("Xã, thị trấn hoặc cơ quan").select_option("van-dinh")
    await page.get_by_role("button", name="Đăng ký").click()
    await page.wait_for_url("**/quiz/take")


async def _saved(rt, attempt_id: str) -> int:
    async with rt.pool.acquire() as conn:
        return await conn.fetchval("SELECT count(*) FROM attempt_answers WHERE attempt_id = $1", attempt_id)


async def test_offline_submit_shows_a_banner_and_goes_through_when_back_online(ns):
    from playwright.async_api import async_playwright

    app = create_app(quiz_settings(ns))
    rt = app.state.runtime
    async with serving(app) as base, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        context = await browser.new_context(**PHONE)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await _register(page, base)
        await page.get_by_role("button", name="Bắt đầu làm bài").click()
        await page.locator("#q-0").wait_for()
        attempt_id = await page.evaluate("JSON.parse(localStorage.getItem('quiz_attempt')).attempt.attempt_id")

        # Three answers, each saved on the server as it is chosen.
        for n in range(3):
            await page.locator(f"#q-{n} label.option").first.tap()
        await wait_for(lambda: _count(rt, attempt_id, 3), what="three answers saved on the server")

        # The network goes; a fourth answer and the submit stay on the phone.
        await context.set_offline(True)
        await page.locator("#q-3 label.option").first.tap()
        banner = page.locator("#net")
        await banner.wait_for()
        assert "Mất kết nối mạng" in await banner.inner_text()
        page.once("dialog", lambda d: asyncio.ensure_future(d.accept()))
        await page.get_by_role("button", name="Nộp bài").click()
        await page.get_by_text("Chưa nộp được bài").wait_for()
        assert "tự động nộp khi có mạng" in await banner.inner_text()
        await page.screenshot(path=str(SHOTS / "offline-submit.png"))
        assert await page.evaluate("window.scrollY") > 500, "an error must not scroll the page to the top"
        assert "/quiz/take" in page.url
        assert await page.evaluate("JSON.parse(localStorage.getItem('quiz_attempt')).submission !== undefined")

        # Back online: the queued submission goes through on its own and the result shows.
        await context.set_offline(False)
        await page.wait_for_url("**/quiz/result?attempt=*", timeout=15_000)
        await page.locator("#result:not(.hidden)").wait_for()
        correct = await page.locator("#correct").inner_text()
        assert re.fullmatch(r"\d+/20", correct), correct
        async with rt.pool.acquire() as conn:
            row = await conn.fetchrow("SELECT status, result FROM attempts WHERE attempt_id = $1", attempt_id)
        assert row["status"] == "submitted"
        await browser.close()
        assert errors == []


async def _count(rt, attempt_id: str, n: int) -> bool:
    return await _saved(rt, attempt_id) == n


async def test_last_attempt_and_the_guidance_during_an_attempt(ns):
    from playwright.async_api import async_playwright

    app = create_app(quiz_settings(ns))
    rt = app.state.runtime
    async with serving(app) as base, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = await (await browser.new_context(**PHONE)).new_page()
        await _register(page, base)

        # The round select fits the phone and its end is the last minute that is open.
        select = page.get_by_label("Vòng thi")
        box = await select.bounding_box()
        assert box["x"] + box["width"] <= 390
        label = await select.locator("option:checked").inner_text()
        assert re.search(r"hết 23:59 ngày \d\d/\d\d", label) and "00:00" not in label, label
        assert await select.evaluate("s => s.scrollWidth <= s.clientWidth + 1"), "the round's name is cut off"
        await page.get_by_text("Bạn còn 2/2 lượt thi ở vòng này.").wait_for()

        await page.get_by_role("button", name="Bắt đầu làm bài").click()
        await page.locator("#q-0").wait_for()
        # Titles stay inside their card.
        inside = await page.evaluate("""() => [...document.querySelectorAll('fieldset.question')].every((fs) => {
            const f = fs.getBoundingClientRect(), l = fs.querySelector('legend').getBoundingClientRect();
            return l.top >= f.top + 1 && l.left >= f.left && l.right <= f.right; })""")
        assert inside, "a question's title crosses its card's border"
        assert await page.get_by_role("group", name=re.compile(r"^Câu 1\u002f20\. ")).count() == 1  # still its name
        # Jump to the next unanswered question.
        for n in (0, 1):
            await page.locator(f"#q-{n} label.option").first.click()
        jump = page.get_by_role("button", name="Câu chưa trả lời (18)")
        await jump.click()
        assert await page.evaluate("document.activeElement.closest('fieldset').id") == "q-2"

        # 5 and 1 minutes left: announced warnings.
        attempt_id = await page.evaluate("JSON.parse(localStorage.getItem('quiz_attempt')).attempt.attempt_id")
        for seconds, text in ((290, "Còn 5 phút"), (50, "Còn 1 phút")):
            async with rt.pool.acquire() as conn:
                await conn.execute("UPDATE attempts SET deadline = clock_timestamp() + make_interval(secs => $2)"
                                   " WHERE attempt_id = $1", attempt_id, float(seconds))
            await page.reload()
            warning = page.locator("#time-warning")
            await warning.get_by_text(text).wait_for()
            assert await warning.get_attribute("aria-live") == "assertive"
        await page.screenshot(path=str(SHOTS / "one-minute-left.png"))
        page.once("dialog", lambda d: asyncio.ensure_future(d.accept()))
        await page.get_by_role("button", name="Nộp bài").click()
        await page.wait_for_url("**/quiz/result?attempt=*")
        await page.get_by_text("Bạn còn 1/2 lượt thi ở vòng này.").wait_for()
        assert await page.get_by_role("link", name="Thi lượt khác").count() == 1

        # The second and last attempt: no "Thi lượt khác", and Start is disabled.
        await page.goto(base + "/quiz/take")
        await page.get_by_role("button", name="Bắt đầu làm bài").click()
        await page.locator("#q-0").wait_for()
        page.once("dialog", lambda d: asyncio.ensure_future(d.accept()))
        await page.get_by_role("button", name="Nộp bài").click()
        await page.wait_for_url("**/quiz/result?attempt=*")
        await page.get_by_text("Bạn đã dùng hết 2 lượt thi của vòng này").wait_for()
        assert await page.get_by_role("link", name="Thi lượt khác").count() == 0
        await page.goto(base + "/quiz/take")
        await page.get_by_text("Bạn đã dùng hết 2 lượt thi của vòng này").wait_for()
        assert await page.get_by_role("button", name="Bắt đầu làm bài").is_disabled()
        await browser.close()


async def test_a_phone_that_dies_mid_attempt_still_gets_its_score(ns):
    """The page is gone before the deadline; the server closes the attempt with what it saved, and
    the participant coming back sees the score and why it was submitted for them."""
    from playwright.async_api import async_playwright

    app = create_app(quiz_settings(ns, sweep_interval_seconds=0.2))
    rt = app.state.runtime
    async with serving(app) as base, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        context = await browser.new_context(**PHONE)
        page = await context.new_page()
        await _register(page, base)
        await page.get_by_role("button", name="Bắt đầu làm bài").click()
        await page.locator("#q-0").wait_for()
        attempt_id = await page.evaluate("JSON.parse(localStorage.getItem('quiz_attempt')).attempt.attempt_id")
        for n in range(2):
            await page.locator(f"#q-{n} label.option").nth(1).tap()
        await wait_for(lambda: _count(rt, attempt_id, 2), what="two answers saved on the server")
        await page.close()  # the battery died at minute 14
        async with rt.pool.acquire() as conn:
            await conn.execute("UPDATE attempts SET started_at = started_at - interval '20 minutes',"
                               " deadline = deadline - interval '20 minutes' WHERE attempt_id = $1", attempt_id)

        async def closed():
            async with rt.pool.acquire() as conn:
                return await conn.fetchval(
                    "SELECT result FROM attempts WHERE attempt_id = $1 AND status = 'submitted'", attempt_id)

        result = await wait_for(closed, what="the sweeper closing the attempt")
        page = await context.new_page()
        await page.goto(base + "/quiz/take")
        await page.wait_for_url("**/quiz/result?attempt=*")
        await page.locator("#result:not(.hidden)").wait_for()
        assert await page.locator("#correct").inner_text() == f"{result['correct']}/20"
        assert await page.locator("#closed-note").is_visible()
        await browser.close()
