"""shared/text.py: the one cleaning of names and free text, and the export cells built from it."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from pydantic import BaseModel, ValidationError

from services.ranking.exports import to_csv, to_xlsx
from shared.text import MultiLine, OneLine, PersonName, clean_line, clean_multiline


@pytest.mark.parametrize(("raw", "clean"), [
    ("Ab\x1b[31m\x07", "Ab[31m"),
    ("  Nguye\u0302\u0303n   Văn\tA ", "Nguyễn Văn A"),  # NFC, whitespace collapsed
    ("\u202eabc\u202c \u2066x\u2069", "abc x"),  # bidi overrides and isolates
    ("Hoa\u200b\u200c\u200d\u2060\ufeff", "Hoa"),  # zero-width
    ("a\x85b\u2028c\r\nd", "a b c d"),  # line breaks of any kind become spaces in one line
    ("x\x00y\x9bz\ud800", "xyz"),  # NUL, C1, a lone surrogate
])
def test_clean_line(raw: str, clean: str):
    assert clean_line(raw) == clean


def test_clean_multiline_keeps_newlines_and_tabs():
    assert clean_multiline(" Dòng một\r\nDòng\x1b hai\rba\u2029bốn\tcột\x00 ") == "Dòng một\nDòng hai\nba\nbốn\tcột"


class _Form(BaseModel):
    name: PersonName
    title: OneLine = ""
    body: MultiLine = ""


def test_pydantic_types_clean_at_the_door_and_refuse_an_invisible_name():
    form = _Form(name="\u202eAn\x07", title="T\u200bí", body="a\r\nb")
    assert (form.name, form.title, form.body) == ("An", "Tí", "a\nb")
    with pytest.raises(ValidationError) as info:
        _Form(name="\u200b\u202e\x07 ")
    assert info.value.errors()[0]["type"] == "empty_name"
    with pytest.raises(ValidationError):
        _Form(name=123)  # not text: pydantic's own error, not a crash in the cleaner


def _row(name: str, unit: str | None = "van-dinh") -> dict:
    return {"rank": 1, "entrant_id": "p-1", "display_name": name, "unit_id": unit, "score": 9.5,
            "details": {"note": "\x1b\x07"}}


def test_exports_never_fail_on_stored_text():
    rows = [_row("Ab\x1b[31m\x07"), _row("=1+1", "@SUM(A1)"), _row(" -2\x00", "\u202e+x")]
    sheet = load_workbook(io.BytesIO(to_xlsx("quiz.individual.all", rows)), read_only=True).worksheets[0]
    cells = [row[2:4] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert cells == [("Ab[31m", "van-dinh"), ("'=1+1", "'@SUM(A1)"), ("'-2", "'+x")]
    text = to_csv(rows).decode("utf-8-sig")
    assert "\x1b" not in text and "\x00" not in text and "'=1+1" in text and "'+x" in text
