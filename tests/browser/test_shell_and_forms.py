"""The people's experience, in Debian's Chromium through the single origin `make run` prints:

- every page carries the security headers and runs without one Content-Security-Policy violation;
- static files leave compressed and versioned for good; the quiz page stays light on slow 3G;
- a judge types Vietnamese decimals ("8,5") and is told "Đã lưu"; the head judge's spread view
  shows one number format;
- the unit representative's form speaks Vietnamese at each field and can be submitted at once.
(Without nginx, the dev gateway gives the same origin: tests/browser/test_origin_gateway.py.)
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, DESKTOP, PHONE, Api, Journey

pytestmark = pytest.mark.browser

# Records every CSP violation the page sees (the console shows them too; this keeps the details).
CSP_WATCH = """window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile + ':' + e.lineNumber));"""
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400 * 1024 / 8, "uploadThroughput": 400 * 1024 / 8}


def unique(title: str) -> str:
    return f"{title} {secrets.token_hex(2).upper()}"


def staff_login(page: Any, username: str) -> None:
    page.goto("/initiatives/login.html")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def assert_secure_page(response: Any, page: Any) -> None:
    headers = response.headers
    csp = headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, (page.url, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
    assert headers.get("x-content-type-options") == "nosniff", page.url
    assert headers.get("referrer-policy") == "strict-origin-when-cross-origin", page.url
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__csp") == [], page.url
    # One shell: the inline script of old is gone, every script is a versioned file.
    scripts = page.evaluate("[...document.scripts].map((s) => s.src || 'inline')")
    assert scripts and all(re.search(r"/static/.+\.js\?v=[0-9a-f]{12}$", s) for s in scripts), scripts


def test_every_page_has_the_security_headers_and_no_csp_violation(journey: Journey, api: Api) -> None:
    demo = api.ok(api.http.get("/api/initiatives"))["items"][0]["id"]
    public = ["/", "/quiz/register", "/quiz/login", "/quiz/take", "/quiz/result", "/quiz/admin", "/initiatives/",
              f"/initiatives/detail.html?id={demo}", "/boards/", "/boards/quiz.unit.all",
              "/boards/stage.entry.all/screen", "/engagement/admin", "/initiatives/login.html",
              "/initiatives/organizer.html"]
    page = journey.open(PHONE)
    page.add_init_script(CSP_WATCH)
    for url in public:
        assert_secure_page(page.goto(url), page)
    for username, urls in (("truong-bgk", ["/initiatives/judge.html", "/initiatives/stage.html"]),
                           ("dd-van-dinh", ["/initiatives/rep.html"])):
        staff = journey.open(DESKTOP)
        staff.add_init_script(CSP_WATCH)
        staff_login(staff, username)
        staff.wait_for_url(re.compile(r".*/initiatives/(judge|rep)\.html"))
        for url in urls:
            assert_secure_page(staff.goto(url), staff)
        if username == "truong-bgk":
            staff.goto("/initiatives/judge.html")
            for tab in ("Bài tự luận", "Độ lệch điểm"):
                staff.get_by_role("tab", name=tab).click()
                staff.wait_for_load_state("networkidle")
            assert staff.evaluate("window.__csp") == []
    # The page helpers every script uses: one escape (safe inside a quoted attribute too), one
    # Vietnamese number format, one reader of typed numbers.
    helpers = page.evaluate("""() => ({
      escape: Contest.escape(`"><img src=x onerror=alert(1)>'&`),
      numbers: [77.5, 1234.567, 0, null].map((x) => Contest.fmtNumber(x)),
      parsed: ["8,5", "8.5", " 10 ", "8,5,1", "1.000,5", "tám", ""]
        .map((x) => { const v = Contest.parseNumber(x); return Number.isNaN(v) ? "refused" : v; }),
    })""")
    assert helpers["escape"] == "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&#39;&amp;"
    assert helpers["numbers"] == ["77,5", "1.234,57", "0", "—"]
    assert helpers["parsed"][:3] == [8.5, 8.5, 10] and helpers["parsed"][3:] == ["refused"] * 4, helpers
    # The API itself is not a page: nosniff, but no page policy needed.
    r = api.http.get("/api/contest")
    assert r.headers["x-content-type-options"] == "nosniff"


def _network_meter(context: Any, page: Any) -> dict[str, Any]:
    """Bytes on the wire per URL (CDP: encodedDataLength includes headers), and cache hits."""
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    meter: dict[str, Any] = {"urls": {}, "bytes": {}, "cached": set(), "cdp": cdp}
    cdp.on("Network.requestWillBeSent", lambda e: meter["urls"].__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.requestServedFromCache", lambda e: meter["cached"].add(e["requestId"]))
    cdp.on("Network.loadingFinished", lambda e: meter["bytes"].__setitem__(e["requestId"], e["encodedDataLength"]))
    return meter


def test_quiz_page_is_light_compressed_and_cached_on_slow_3g(journey: Journey, api: Api) -> None:
    person = api.register("Lê Thị Slow")
    page = journey.open(PHONE)
    context = page.context
    context.add_init_script(
        f"localStorage.setItem('participant_token', {person['token']!r});"
        f"localStorage.setItem('participant', JSON.stringify({{participant_id: {person['participant_id']!r},"
        f" display_name: 'Lê Thị Slow', unit_id: {person['unit_id']!r}}}));")
    meter = _network_meter(context, page)
    meter["cdp"].send("Network.emulateNetworkConditions", SLOW_3G)
    statics: dict[str, dict[str, str]] = {}
    page.on("response", lambda r: statics.__setitem__(r.url, r.headers) if "/static/" in r.url else None)

    started = time.monotonic()
    page.goto("/quiz/take")
    expect(page.get_by_role("button", name="Bắt đầu làm bài")).to_be_enabled(timeout=30_000)
    expect(page.locator("#intro-text")).not_to_have_text("Đang tải…", timeout=30_000)
    page.wait_for_load_state("networkidle", timeout=30_000)
    usable_after = time.monotonic() - started
    first_load = sum(meter["bytes"].values())
    assert first_load < 40_000, f"{first_load} bytes on first load: {meter['bytes']}"
    assert usable_after < 20, f"usable only after {usable_after:.1f} s on slow 3G"

    js = next(h for u, h in statics.items() if "/static/quiz/quiz.js?v=" in u)
    assert js.get("content-encoding") == "gzip", js
    assert "immutable" in js.get("cache-control", "") and "max-age=31536000" in js["cache-control"], js

    # The second visit takes the static files from the browser's cache: nothing of them on the wire.
    meter["bytes"].clear()
    meter["urls"].clear()
    page.goto("/")
    page.goto("/quiz/take")
    expect(page.get_by_role("button", name="Bắt đầu làm bài")).to_be_enabled(timeout=30_000)
    page.wait_for_load_state("networkidle", timeout=30_000)
    static_bytes = {meter["urls"].get(k, k): v for k, v in meter["bytes"].items()
                    if "/static/" in meter["urls"].get(k, "") and k not in meter["cached"]}
    assert sum(static_bytes.values()) == 0, static_bytes


def test_judge_types_decimal_commas_and_hears_saved(journey: Journey, api: Api) -> None:
    title = unique("Bản đồ số điểm thu gom rác")
    ini = api.published_initiative(title)
    judge = journey.open(DESKTOP)
    staff_login(judge, "gk-03")
    judge.wait_for_url("**/initiatives/judge.html")
    card = judge.get_by_role("article").filter(has=judge.get_by_role("heading", name=title))
    expect(card.get_by_text("Chưa chấm.")).to_be_visible()

    # Garbage is refused in Vietnamese, and nothing is stored.
    card.get_by_label("Tính khả thi", exact=True).fill("tám rưỡi")
    card.get_by_label("Hiệu quả, tác động", exact=True).fill("8,5")
    card.get_by_label("Tính mới, sáng tạo", exact=True).fill("8")
    card.get_by_role("button", name="Gửi điểm").click()
    expect(card.get_by_role("alert")).to_have_text("Điểm “Tính khả thi” phải là một số (ví dụ 8,5 hoặc 8.5).")
    expect(card.get_by_text("Chưa chấm.")).to_be_visible()

    # 8,5 and 8.5 alike: 0.3·85 + 0.4·85 + 0.3·80 = 83.5, shown as 83,5.
    card.get_by_label("Tính khả thi", exact=True).fill("8.5")
    expect(card.get_by_text("Tổng điểm (thang 100): 83,5")).to_be_visible()
    card.get_by_role("button", name="Gửi điểm").click()
    saved = judge.get_by_role("status").filter(has_text="Đã lưu điểm")
    expect(saved).to_contain_text(f"Đã lưu điểm “{title}”: 83,5 điểm (thang 100).")
    expect(saved).to_have_attribute("aria-live", "polite")
    card = judge.get_by_role("article").filter(has=judge.get_by_role("heading", name=title))
    expect(card.get_by_text("Đã chấm: 83,5 điểm")).to_be_visible()
    expect(card.get_by_label("Hiệu quả, tác động", exact=True)).to_have_value("8,5")
    journey.shot(judge, "judge-saved")

    head = journey.open(DESKTOP)
    staff_login(head, "truong-bgk")
    head.wait_for_url("**/initiatives/judge.html")
    head.get_by_role("tab", name="Độ lệch điểm").click()
    item = head.get_by_role("article").filter(has=head.get_by_role("heading", name=title))
    expect(item).to_contain_text("Trung bình 83,5")
    spread = head.locator("#spread-list").inner_text()
    assert not re.search(r"\d\.\d", spread), f"a decimal point in the spread view: {spread[:400]}"
    journey.shot(head, "spread-vietnamese-numbers")
    assert ini  # the initiative the judge scored


def test_unit_rep_form_speaks_vietnamese_at_each_field(journey: Journey, api: Api) -> None:
    rep = journey.open(DESKTOP)
    staff_login(rep, "dd-cao-thanh")
    rep.wait_for_url("**/initiatives/rep.html")
    rep.get_by_role("button", name="+ Tạo sáng kiến mới").click()
    submit = rep.get_by_role("button", name="Nộp cho Ban tổ chức")
    expect(submit).to_be_visible()  # from the start, not only after a first save
    assert rep.evaluate("document.getElementById('form').noValidate") is True

    rep.get_by_label("Tên sáng kiến").fill("Ab")
    rep.get_by_label("Liên kết ảnh, video, tài liệu", exact=False).fill(
        "https://drive.example.vn/anh | Ảnh hoạt động\ndrive.example.vn/video khong co https")
    rep.get_by_role("button", name="Lưu bản nháp").click()
    title_error = rep.locator("#title-error")
    expect(title_error).to_have_text("Tên sáng kiến cần từ 3 đến 300 ký tự.")
    expect(rep.locator("#links-error")).to_have_text(
        "Dòng 2: liên kết phải bắt đầu bằng https:// (hoặc http://) và không chứa dấu cách.")
    expect(rep.get_by_label("Tên sáng kiến")).to_have_attribute("aria-invalid", "true")
    expect(rep.get_by_label("Tên sáng kiến")).to_have_attribute("aria-describedby", "title-error")
    expect(rep.get_by_role("alert")).to_have_text("Vui lòng sửa 2 ô được đánh dấu bên dưới.")
    assert "String should" not in rep.locator("main").inner_text()
    journey.shot(rep, "field-errors")

    title = unique("Chợ nông sản trên Zalo")
    rep.get_by_label("Tên sáng kiến").fill(title)
    rep.get_by_label("Tóm tắt (2–3 câu)").fill("Nông dân bán rau qua nhóm Zalo của xã.")
    rep.get_by_label("Liên kết ảnh, video, tài liệu", exact=False).fill("https://drive.example.vn/anh | Ảnh hoạt động")
    submit.click()  # checked before anything is asked or sent: a submission needs the description
    expect(rep.locator("#description-error")).to_have_text("Trước khi nộp, cần có mô tả đầy đủ (ít nhất 20 ký tự).")
    expect(rep.get_by_label("Mô tả đầy đủ", exact=False)).to_be_focused()
    rep.get_by_label("Mô tả đầy đủ", exact=False).fill("Mỗi thôn một nhóm Zalo; tổ công nghệ số đăng giá rau mỗi sáng.")
    rep.once("dialog", lambda d: d.accept())
    submit.click()  # never saved as a draft: saved and submitted in one go
    expect(rep.get_by_role("status").filter(has_text="Đã nộp")).to_be_visible()
    expect(title_error).to_be_hidden()
    mine = api.ok(api.http.get("/api/initiatives/manage", headers=api.staff_token("dd-cao-thanh")))["items"]
    assert [i["status"] for i in mine if i["title"] == title] == ["submitted"]
