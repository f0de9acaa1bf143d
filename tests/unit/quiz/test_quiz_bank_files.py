"""Bank file validation: row-level errors, all formats, Vietnamese text kept exactly."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook

from services.quiz import bank
from shared.errors import ContestError

GOOD = {"id": "q1", "text": "Ngày Chuyển đổi số quốc gia là ngày nào?  ",
        "options": [{"key": "A", "text": "Ngày 2 tháng 9"}, {"key": "B", "text": "Ngày 10 tháng 10"}], "answer": "B"}


def errors_of(raw: list[dict]) -> set[tuple[int, str]]:
    with pytest.raises(ContestError) as exc:
        bank.validate(bank.from_json_value({"questions": raw}))
    assert exc.value.status == 422 and exc.value.code == "invalid_bank"
    return {(d["row"], d["field"]) for d in exc.value.details}


def test_a_good_json_bank_keeps_text_exactly():
    (q,) = bank.parse_bank(json.dumps({"questions": [GOOD]}, ensure_ascii=False).encode(), "json")
    assert q.text == GOOD["text"] and q.answer == "B" and q.options[1].text == "Ngày 10 tháng 10"


def test_the_sample_bank_is_valid():
    from pathlib import Path

    data = (Path(__file__).resolve().parents[3] / "contest" / "data" / "questions.json").read_bytes()
    assert len(bank.parse_bank(data, "json")) == 25


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"answer": "C"}, "answer"),
        ({"answer": None}, "answer"),
        ({"answer": "A,B"}, "answer"),
        ({"options": [{"key": "A", "text": "Một"}]}, "options"),
        ({"options": [{"key": k, "text": k} for k in "ABCDEFG"], "answer": "A"}, "options"),
        ({"options": [{"key": "A", "text": "x"}, {"key": "A", "text": "y"}], "answer": "A"}, "option_A"),
        ({"options": [{"key": "A", "text": " "}, {"key": "B", "text": "y"}]}, "option_A"),
        ({"text": ""}, "text"),
        ({"id": ""}, "id"),
        ({"id": "câu 1"}, "id"),
        ({"answer": None, "options": [{"key": "A", "text": "x", "correct": True},
                                      {"key": "B", "text": "y", "correct": True}]}, "answer"),
    ],
)
def test_row_errors(change, field):
    assert (1, field) in errors_of([{**GOOD, **change}])


def test_flags_can_mark_the_answer_and_duplicates_are_reported_on_the_later_row():
    flagged = {**GOOD, "answer": None, "options": [{"key": "A", "text": "x", "correct": True},
                                                   {"key": "B", "text": "y", "correct": False}]}
    (q,) = bank.validate(bank.from_json_value([flagged]))
    assert q.answer == "A"
    assert errors_of([GOOD, GOOD, {**GOOD, "id": "q2", "answer": "Z"}]) == {(2, "id"), (3, "answer")}


def test_empty_and_malformed_files():
    for data, fmt in [(b"{}", "json"), (b"not json", "json"), (b"", "csv"), (b"PK\x03\x04junk", "xlsx"),
                      (b"\xff\xfe\x00bad", "csv")]:
        with pytest.raises(ContestError) as exc:
            bank.parse_bank(data, fmt)
        assert exc.value.status == 422 and exc.value.details
    with pytest.raises(ContestError):
        bank.parse_bank(b'{"questions": []}', "json")


def test_csv_with_semicolons_vietnamese_headers_and_bom():
    text = "Mã;Câu hỏi;A;B;C;Đáp án\nq1;Dịch vụ công trực tuyến toàn trình?;Có;Không;Chưa rõ;A\n;;;;;\n"
    (q,) = bank.parse_bank(text.encode("utf-8-sig"), "csv")
    assert (q.id, q.text, q.answer, len(q.options)) == ("q1", "Dịch vụ công trực tuyến toàn trình?", "A", 3)


def test_xlsx_rows_are_numbered_as_in_excel():
    book = Workbook()
    sheet = book.active
    sheet.append(["id", "text", "A", "B", "answer"])
    sheet.append(["q1", "Câu một", "x", "y", "A"])
    sheet.append(["q2", "Câu hai", 2020, 2021, "C"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(ContestError) as exc:
        bank.parse_bank(out.getvalue(), "xlsx")
    assert [(d["row"], d["field"]) for d in exc.value.details] == [(3, "answer")]


def test_format_detection():
    assert bank.detect_format("a.XLSX", None, b"") == "xlsx"
    assert bank.detect_format(None, "text/csv", b"id,text") == "csv"
    assert bank.detect_format(None, "application/json", b"{}") == "json"
    with pytest.raises(ContestError):
        bank.detect_format("a.doc", "application/msword", b"\xd0\xcf")
