"""Residents and organizers on the quiz pages, through nginx, in Debian's Chromium.

- A resident on a phone registers, takes a round (countdown running), reloads mid-way without
  losing answers, submits, sees the score, follows the link to the leaderboard and finds their
  highlighted row; a second attempt is allowed, then Start is disabled with a Vietnamese message.
- The same, keyboard only.
- An organizer imports a bad XLSX bank and sees the row errors.
"""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, SLOW, Journey, fresh_phone

pytestmark = pytest.mark.browser
QUESTIONS = 20  # tools/demo_contest.py: question_count
TIMER = re.compile(r"^1[45]:\d\d$")  # 15 minutes, counting down


def register_on_page(page, name: str, phone: str) -> None:
    page.get_by_label("Họ và tên").fill(name)
    page.get_by_label("Số điện thoại di động").fill(phone)
    page.get_by_label("Xã, thị trấn hoặc cơ quan").select_option("van-dinh")
    page.get_by_role("button", name="Đăng ký", exact=True).click()
    page.wait_for_url("**/quiz/take")


def question(page, n: int):
    """The n-th (0-based) multiple-choice question: a fieldset whose legend names it."""
    return page.get_by_role("group", name=re.compile(rf"^Câu {n + 1}\u002f{QUESTIONS}\. "))


def submit_and_accept(page) -> None:
    page.once("dialog", lambda d: d.accept())  # "Bạn còn N câu chưa trả lời. Vẫn nộp bài?"
    page.get_by_role("button", name="Nộp bài").click()
    page.wait_for_url("**/quiz/result?attempt=*")


def test_resident_on_a_phone_takes_a_round_and_finds_their_row(journey: Journey, api) -> None:
    page = journey.open(PHONE)
    page.goto("/")
    expect(page.get_by_text("Đang mở").first).to_be_visible()
    journey.shot(page, "landing")

    page.get_by_role("link", name="Đăng ký dự thi").click()
    page.wait_for_url("**/quiz/register")
    journey.shot(page, "register")
    register_on_page(page, "Nguyễn Thị Hoa", fresh_phone())
    journey.shot(page, "take-intro")

    page.get_by_role("button", name="Bắt đầu làm bài").click()
    expect(question(page, 0)).to_be_visible()
    timer = page.get_by_role("timer", name="Thời gian còn lại")
    first = timer.inner_text()
    assert TIMER.match(first), first
    page.wait_for_function("t => document.getElementById('timer').textContent !== t", arg=first, timeout=5_000)
    assert TIMER.match(timer.inner_text())

    # Half the questions (tapped, as on a phone), and the essay; then a reload mid-way.
    for n in range(QUESTIONS // 2):
        question(page, n).get_by_role("radio").nth(n % 2).tap()
    essay = "Lập nhóm Zalo của thôn để hướng dẫn bà con cài VNeID."
    page.locator("#free").fill(essay)
    expect(page.get_by_text(f"Đã trả lời {QUESTIONS // 2}/{QUESTIONS}")).to_be_visible()
    journey.shot(page, "half-answered")
    page.reload()
    expect(question(page, 0)).to_be_visible()
    expect(page.get_by_text(f"Đã trả lời {QUESTIONS // 2}/{QUESTIONS}")).to_be_visible()
    for n in range(QUESTIONS // 2):
        expect(question(page, n).get_by_role("radio").nth(n % 2)).to_be_checked()
    expect(question(page, QUESTIONS // 2).get_by_role("radio").first).not_to_be_checked()
    # the essay's label is the question itself
    free_text = page.locator("#free-label").inner_text()
    expect(page.get_by_label(free_text)).to_have_value(essay)
    assert TIMER.match(timer.inner_text()), "the countdown keeps running after a reload"
    journey.shot(page, "after-reload")

    for n in range(QUESTIONS // 2, QUESTIONS):
        question(page, n).get_by_role("radio").first.tap()
    expect(page.get_by_text(f"Đã trả lời {QUESTIONS}/{QUESTIONS}")).to_be_visible()
    page.get_by_role("button", name="Nộp bài").click()
    page.wait_for_url("**/quiz/result?attempt=*")
    expect(page.locator("#result")).to_be_visible()
    expect(page.locator("#score")).to_have_text(re.compile(r"^\d+(,\d+)?$"))
    expect(page.locator("#correct")).to_have_text(re.compile(rf"^\d+\u002f{QUESTIONS}$"))
    expect(page.locator("#duration")).to_contain_text("phút")
    journey.shot(page, "result")

    me = page.evaluate("JSON.parse(localStorage.getItem('participant'))")
    # The board may open before the attempt travelled quiz → Kafka → ranking: then the page's look-up
    # of "my" entry answers 404 once and the row arrives live over SSE. That 404 is expected.
    journey.expect_failure(page, 404, f"/entries/{me['participant_id']}")
    page.get_by_role("link", name="Xem vị trí của tôi trên bảng xếp hạng").click()
    page.wait_for_url(f"**/boards/quiz.individual.all?me={me['participant_id']}")
    mine = page.locator(f"#rows tr.rk-mine[data-id='{me['participant_id']}']")
    expect(mine).to_be_visible(timeout=SLOW)  # arrives live over SSE if the page was faster than Kafka
    expect(mine).to_have_attribute("aria-current", "true")
    expect(mine).to_contain_text(me["display_name"])
    expect(page.get_by_role("heading", name=re.compile(r"^Vị trí của bạn: hạng \d+ \u002f \d+$"))).to_be_visible()
    journey.shot(page, "leaderboard-my-row")

    # The demo contest allows 2 attempts per round: the second is fine, the third is refused.
    page.goto("/quiz/take")
    page.get_by_role("button", name="Bắt đầu làm bài").click()
    expect(question(page, 0)).to_be_visible()
    submit_and_accept(page)
    expect(page.locator("#result")).to_be_visible()

    expect(page.get_by_role("link", name="Thi lượt khác")).to_have_count(0)  # that was the last one
    page.goto("/quiz/take")
    expect(page.locator("#allowance")).to_contain_text("Bạn đã dùng hết 2 lượt thi của vòng này.")
    expect(page.get_by_role("button", name="Bắt đầu làm bài")).to_be_disabled()
    expect(question(page, 0)).to_be_hidden()
    journey.shot(page, "third-attempt-refused")


def tab_to(page, condition: str, what: str, limit: int = 60) -> None:
    """Press Tab until `condition` (a JS expression over `el` = document.activeElement) holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!(el && ({condition})); }})()"):
            outline = page.evaluate("(() => { const s = getComputedStyle(document.activeElement);"
                                    " return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0; })()")
            assert outline, f"{what} has no visible focus outline on {page.url}"
            return
    raise AssertionError(f"{what} cannot be reached with the Tab key on {page.url}")


def test_keyboard_only_quiz(journey: Journey) -> None:
    page = journey.open(DESKTOP)
    page.goto("/quiz/register")
    tab_to(page, "el.id === 'full_name'", "the name field")
    page.keyboard.type("Lê Văn Phím")
    tab_to(page, "el.id === 'phone'", "the phone field")
    page.keyboard.type(fresh_phone())
    tab_to(page, "el.id === 'unit_id'", "the unit list")
    page.keyboard.press("ArrowDown")
    assert page.locator("#unit_id").input_value() != "", "the unit list does not change with the arrow keys"
    tab_to(page, "el.id === 'submit'", "the register button")
    journey.shot(page, "keyboard-register")
    page.keyboard.press("Enter")
    page.wait_for_url("**/quiz/take")
    expect(page.get_by_role("button", name="Bắt đầu làm bài")).to_be_enabled()

    tab_to(page, "el.id === 'start'", "the start button")
    page.keyboard.press("Enter")
    expect(question(page, 0)).to_be_visible()
    for n in range(QUESTIONS):
        tab_to(page, f"el.name === 'q-{n}'", f"question {n + 1}")
        page.keyboard.press("ArrowDown" if n % 3 else "Space")  # Space ticks; arrows move and tick
    expect(page.get_by_text(f"Đã trả lời {QUESTIONS}/{QUESTIONS}")).to_be_visible()
    tab_to(page, "el.id === 'free'", "the essay")
    page.keyboard.type("Mở lớp học kỹ năng số cho người cao tuổi.")
    tab_to(page, "el.id === 'submit'", "the submit button")
    journey.shot(page, "keyboard-answered")
    page.keyboard.press("Enter")
    page.wait_for_url("**/quiz/result?attempt=*")
    expect(page.locator("#correct")).to_have_text(re.compile(rf"^\d+\u002f{QUESTIONS}$"))
    journey.shot(page, "keyboard-result")


def bad_bank_xlsx() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["id", "text", "A", "B", "C", "D", "answer"])
    ws.append(["cds-001", "Chuyển đổi số gồm mấy trụ cột?", "Hai", "Ba", "Bốn", "Năm", "B"])  # row 2: good
    ws.append(["cds-002", "Ứng dụng định danh điện tử quốc gia là gì?", "VNeID", "Zalo", "", "", "E"])  # 3
    ws.append(["cds-003", "", "Có", "Không", "", "", "A"])  # row 4: no question text
    ws.append(["cds-001", "Câu hỏi trùng mã", "Đúng", "Sai", "", "", "A"])  # row 5: duplicate id
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_organizer_imports_a_bad_xlsx_bank_and_sees_row_errors(journey: Journey, api) -> None:
    page = journey.open(DESKTOP)
    page.goto("/quiz/admin")
    journey.shot(page, "bank-admin")
    page.get_by_label("Mã quản trị (admin token)").fill(api.admin_token)
    page.get_by_label("Tệp câu hỏi (.xlsx, .csv hoặc .json)").set_input_files(files=[{
        "name": "ngan-hang-sai.xlsx", "buffer": bad_bank_xlsx(),
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
    journey.expect_failure(page, 422, "/api/admin/questions")
    page.get_by_role("button", name="Tải lên").click()
    errors = page.locator("#errors-box")
    expect(errors).to_be_visible()
    rows = page.locator("#errors tr")
    expect(rows.first).to_be_visible()
    by_row: dict[str, list[str]] = {}
    for n in range(rows.count()):
        cells = [c.inner_text() for c in rows.nth(n).locator("td").all()]
        by_row.setdefault(cells[0], []).append(f"{cells[1]}: {cells[2]}")
    assert "2" not in by_row, by_row  # the good row has no error
    assert any("E" in e and "answer" in e for e in by_row.get("3", [])), by_row
    assert any(e.startswith("text:") for e in by_row.get("4", [])), by_row
    assert any("trùng" in e for e in by_row.get("5", [])), by_row
    expect(page.get_by_role("alert")).to_be_visible()  # the summary message, in Vietnamese
    journey.shot(page, "bank-row-errors")
