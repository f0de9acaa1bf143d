"""The head judge runs the results from the console, on the stack `make run` starts (one origin):
signs in on the initiatives pages, follows the link to /boards/console, freezes the stage board
after a confirmation (the public view, big screen included, stops moving), and reveals it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, PHONE, Api, Journey

pytestmark = pytest.mark.browser
BOARD = "stage.entry.all"


def frozen(api: Api) -> bool:
    boards = api.ok(api.http.get("/api/boards"))["boards"]
    return next(b for b in boards if b["board_id"] == BOARD)["frozen"]


def test_head_judge_freezes_and_reveals_from_the_console(journey: Journey, api: Api) -> None:
    head = journey.open(PHONE)
    head.goto("/boards/console")
    head.get_by_role("link", name=re.compile("Đăng nhập bằng tài khoản Ban tổ chức")).click()
    head.wait_for_url("**/initiatives/login.html?next=**")
    head.get_by_label("Tên đăng nhập").fill("truong-bgk")
    head.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    head.get_by_role("button", name="Đăng nhập").click()
    head.wait_for_url("**/boards/console")
    card = head.locator(f"li[data-board='{BOARD}']")
    expect(card.get_by_text("Đang công khai")).to_be_visible()
    journey.shot(head, "results-console")
    assert not frozen(api)

    head.once("dialog", lambda d: d.accept())
    card.get_by_role("button", name=re.compile("^Khóa bảng")).click()
    expect(card.get_by_text("Đang khóa")).to_be_visible()
    assert frozen(api)
    journey.shot(head, "results-console-frozen")

    assert api.ok(api.http.get(f"/api/boards/{BOARD}"))["frozen"]  # what the public and the big screen get

    head.once("dialog", lambda d: d.accept())
    card.get_by_role("button", name=re.compile("^Công bố kết quả:")).click()
    expect(card.get_by_text("Đang công khai")).to_be_visible()
    assert not frozen(api)

    # The judge page links the head judge to the console.
    head.goto("/initiatives/judge.html")
    head.get_by_role("link", name=re.compile("^Điều khiển kết quả")).click()
    head.wait_for_url("**/boards/console")
