"""The quiz pages in Debian's Chromium against a real uvicorn server, PostgreSQL and broker:
register → take (answers survive a reload) → submit → result; the attempt-limit message; admin import."""

from __future__ import annotations

import asyncio
import contextlib
import shutil

import pytest
import uvicorn

from services.quiz.app import create_app
from tests.integration.quiz.conftest import fresh_phone, quiz_settings
from tools.tansu import free_port

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium not installed")]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


@contextlib.asynccontextmanager
async def serving(app):
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_register_take_reload_submit_and_result(ns):
    from playwright.async_api import async_playwright

    app = create_app(quiz_settings(ns))
    rules = app.state.runtime.contest.quiz
    async with serving(app) as base, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

        await page.goto(base + "/")
        await page.get_by_text("Tuần 2").first.wait_for()
        assert "Chuyển đổi số" in await page.title()
        await page.get_by_role("link", name="Đăng ký dự thi").click()
        await page.get_by_label("Họ và tên").fill("Nguyễn Thị Hoa")
        await page.get_by_label("Số điện thoại di động").fill(fresh_phone())
        await page.get_by_label("Xã, thị trấn hoặc cơ quan").select_option("van-dinh")
        await page.get_by_role("button", name="Đăng ký").click()
        await page.wait_for_url("**/quiz/take")
        await page.get_by_role("button", name="Bắt đầu làm bài").click()
        await page.locator("fieldset.question").first.wait_for()
        assert await page.locator("fieldset.question legend").count() == rules.question_count + 1
        # Answer two questions with the keyboard and the mouse, then reload: answers are kept.
        await page.locator("#q-0 input").first.focus()
        await page.keyboard.press("Space")
        await page.locator("#q-1 label.option").nth(1).click()
        await page.get_by_label(rules.free_question.text).fill("Hướng dẫn bà con dùng VNeID.")
        assert "2/20" in await page.locator("#progress-text").inner_text()
        timer = await page.locator("#timer").inner_text()
        assert timer.startswith(("14:", "15:"))
        await page.reload()
        await page.locator("fieldset.question").first.wait_for()
        assert "2/20" in await page.locator("#progress-text").inner_text()
        assert await page.locator("#q-1 input").nth(1).is_checked()
        assert await page.locator("#free").input_value() == "Hướng dẫn bà con dùng VNeID."
        page.once("dialog", lambda d: asyncio.ensure_future(d.accept()))
        await page.get_by_role("button", name="Nộp bài").click()
        await page.wait_for_url("**/quiz/result?attempt=*")
        await page.locator("#result:not(.hidden)").wait_for()
        assert "/20" in await page.locator("#correct").inner_text()
        assert "phút" in await page.locator("#duration").inner_text()
        me = await page.evaluate("JSON.parse(localStorage.getItem('participant')).participant_id")
        href = await page.get_by_role("link", name="Xem vị trí của tôi trên bảng xếp hạng").get_attribute("href")
        assert href == f"/boards/quiz.individual.all?me={me}"

        # Second attempt is allowed (limit 2); then Start is disabled with the Vietnamese limit message.
        for _ in range(rules.attempts_per_round - 1):
            await page.goto(base + "/quiz/take")
            await page.get_by_role("button", name="Bắt đầu làm bài").click()
            await page.locator("fieldset.question").first.wait_for()
            page.once("dialog", lambda d: asyncio.ensure_future(d.accept()))
            await page.get_by_role("button", name="Nộp bài").click()
            await page.wait_for_url("**/quiz/result?attempt=*")
        await page.goto(base + "/quiz/take")
        allowance = page.locator("#allowance")
        await allowance.get_by_text("hết").wait_for()  # the limit is shown before anyone presses Start
        assert "lượt thi" in await allowance.inner_text()
        assert await page.get_by_role("button", name="Bắt đầu làm bài").is_disabled()

        # Organizer page: a bad CSV shows its row errors.
        await page.goto(base + "/quiz/admin")
        await page.get_by_label("Mã quản trị (admin token)").fill(ns.admin_token)
        await page.get_by_label("Tệp câu hỏi (.xlsx, .csv hoặc .json)").set_input_files(
            files=[{"name": "sai.csv", "mimeType": "text/csv",
                    "buffer": "id,text,A,B,answer\nq1,Câu một,x,y,C\n".encode()}])
        await page.get_by_role("button", name="Tải lên").click()
        await page.locator("#errors-box:not(.hidden)").wait_for()
        assert "answer" in await page.locator("#errors").inner_text()
        await browser.close()
        assert not [p for p in problems if "422" not in p and "409" not in p], problems
