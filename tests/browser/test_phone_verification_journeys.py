"""One-time codes in Debian's Chromium (issue 12, item 6), through nginx as `make run` starts it. The
codes come from the dev SMS sender's file under the run dir (never from the API).

- Someone registers a phone that is already registered: no account is shown, the page goes to the
  code form, and only the phone's owner (who got the SMS) gets in — with a verified phone.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, Api, Journey

pytestmark = pytest.mark.browser


def test_registering_a_taken_phone_leads_to_the_code_sent_to_that_phone(journey: Journey, api: Api) -> None:
    owner = api.register("Lê Thị Thu")
    before = len(api.sms_codes(owner["phone"]))
    page = journey.open(PHONE)
    journey.expect_failure(page, 409, "/api/participants")
    page.goto("/quiz/register")
    page.get_by_label("Họ và tên").fill("Người Khác")
    page.get_by_label("Số điện thoại di động").fill("+84 " + owner["phone"][1:])
    page.get_by_label("Xã, thị trấn hoặc cơ quan").select_option("van-dinh")
    page.get_by_role("button", name="Đăng ký", exact=True).click()
    page.wait_for_url("**/quiz/login")
    expect(page.get_by_role("status")).to_contain_text("mã OTP đã được gửi tới số này")
    expect(page.get_by_text("Lê Thị Thu")).to_have_count(0)
    journey.shot(page, "code-form")
    page.get_by_label("Mã OTP (6 chữ số)").fill(api.sms_code(owner["phone"], after=before))
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/quiz/take")
    token = page.evaluate("() => Contest.token()")
    me = api.ok(api.http.get("/api/participants/me", headers={"Authorization": f"Bearer {token}"}))
    assert me["participant_id"] == owner["participant_id"] and me["phone_verified"] is True
