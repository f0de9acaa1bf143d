"""One origin out of the box: `make run` on a machine without nginx (forced here with
ORIGIN_PROXY=gateway) serves every page and API from the URL it prints, through the dev gateway
(tools/gateway.py, nginx's routing table in Python). A newcomer follows the links from there:
the boards, the initiatives, a result's "Xem vị trí của tôi", a detail page's like counts; being
registered on one page is being registered on all; a page that does not exist is a Vietnamese
HTML 404 page, while the API keeps answering JSON."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, SLOW, Journey, fresh_phone
from tests.browser.test_quiz_journeys import register_on_page, submit_and_accept
from tests.e2e.stack import RunningStack, run_dir, start_stack

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def gateway_stack() -> Iterator[RunningStack]:
    with run_dir("browser-gateway-") as path:
        stack = start_stack(path, extra_env={"ORIGIN_PROXY": "gateway"})
        try:
            assert any("origin (dev gateway)" in line for line in stack.output), "\n".join(stack.output[-30:])
            assert stack.entry == f"http://127.0.0.1:{stack.public_port}/", stack.entry
            yield stack
        finally:
            stack.stop()


@pytest.fixture
def gateway_journey(chromium: Any, gateway_stack: RunningStack, request: pytest.FixtureRequest) -> Iterator[Journey]:
    j = Journey(chromium, gateway_stack.entry.rstrip("/"), "gateway-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name))
    shutil.rmtree(j.folder, ignore_errors=True)
    j.folder.mkdir(parents=True, exist_ok=True)
    yield j
    problems = j.problems()
    j.close()
    assert not problems, "errors in the browser:\n" + "\n".join(problems)


def test_a_newcomer_finds_everything_from_the_printed_url(gateway_journey: Journey, gateway_stack: RunningStack) -> None:
    journey = gateway_journey
    page = journey.open(PHONE)
    page.goto("/")
    nav = page.get_by_role("navigation", name="Điều hướng chính")
    nav.get_by_role("link", name="Bảng xếp hạng").click()
    page.wait_for_url("**/boards/")
    expect(page.get_by_text("Đang cập nhật trực tiếp.")).to_be_visible(timeout=SLOW)
    journey.shot(page, "boards")

    nav.get_by_role("link", name="Sáng kiến").click()
    page.wait_for_url("**/initiatives/")
    expect(page.locator("#count")).to_contain_text("sáng kiến")
    page.locator("#list a[href*='detail.html']").first.click()
    page.wait_for_url("**/initiatives/detail.html?id=*")
    expect(page.locator("#likes")).to_have_text(re.compile(r"^\d+$"))  # engagement's API, same origin
    journey.shot(page, "detail")

    # Registered on the quiz pages = known on every page of the origin (one localStorage).
    page.goto("/quiz/register")
    register_on_page(page, "Phạm Văn Cổng", fresh_phone())
    page.goto("/initiatives/")
    expect(page.locator("#nav-account")).to_have_text("Phạm Văn Cổng")

    page.goto("/quiz/take")
    page.get_by_role("button", name="Bắt đầu làm bài").click()
    expect(page.locator("#questions fieldset").first).to_be_visible()
    submit_and_accept(page)
    page.get_by_role("link", name="Xem vị trí của tôi trên bảng xếp hạng").click()
    page.wait_for_url("**/boards/quiz.individual.all?me=*")
    expect(page.get_by_text("Đang cập nhật trực tiếp.")).to_be_visible(timeout=SLOW)
    journey.shot(page, "my-position")

    # A page that does not exist: the Vietnamese 404 page, from the gateway and from a service.
    for missing in ("/khong-co-trang-nay", "/quiz/khong-co", "/initiatives/khong-co.html"):
        journey.expect_failure(page, 404, missing)
        response = page.goto(missing)
        assert response.status == 404, missing
        assert response.headers["content-type"].startswith("text/html"), missing
        expect(page.get_by_role("heading", name="Không tìm thấy trang")).to_be_visible()
    journey.shot(page, "not-found")
    page.get_by_role("link", name="Thư viện sáng kiến").click()
    page.wait_for_url("**/initiatives/")

    with httpx.Client(base_url=gateway_stack.entry, timeout=10) as client:
        api = client.get("/api/khong-co", headers={"Accept": "text/html"})
        assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
        program = client.get("/khong-co")
        assert program.status_code == 404 and program.json()["error"]["code"] == "not_found"
        js = client.get("/static/quiz/quiz.js", headers={"Accept-Encoding": "gzip"})
        assert js.headers["content-encoding"] == "gzip"
