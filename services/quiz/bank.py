"""Question bank files: JSON (the `questions.json` format), CSV and XLSX, validated row by row.

Pure: bytes in, questions or a list of row errors out. A file with any error imports nothing.
Row numbers are what the organizer sees: the spreadsheet row (header = 1) or the question's
position in a JSON list (first = 1).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from services.quiz.domain import Option, Question
from shared.errors import ContestError

MAX_ERRORS = 200
MAX_QUESTIONS = 10_000
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_KEY = re.compile(r"^[A-Za-z0-9]{1,4}$")
_OPTION_HEADER = re.compile(r"^(?:option|phương án|phuong an|lựa chọn|lua chon|đáp án|dap an)?[ _]*([a-f])$")
_HEADERS = {
    "id": "id", "mã": "id", "ma": "id", "mã câu hỏi": "id", "ma cau hoi": "id", "question_id": "id",
    "text": "text", "question": "text", "câu hỏi": "text", "cau hoi": "text", "nội dung": "text",
    "noi dung": "text",
    "answer": "answer", "đáp án": "answer", "dap an": "answer", "đáp án đúng": "answer",
    "dap an dung": "answer", "correct": "answer",
    "topic": "topic", "chủ đề": "topic", "chu de": "topic",
    "level": "level", "difficulty": "level", "mức độ": "level", "muc do": "level", "độ khó": "level",
    "do kho": "level",
}
_TOPIC = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# What organizers type in a spreadsheet → the blueprint's level.
_LEVELS = {
    "easy": "easy", "dễ": "easy", "de": "easy", "1": "easy",
    "medium": "medium", "trung bình": "medium", "trung binh": "medium", "tb": "medium", "2": "medium",
    "hard": "hard", "khó": "hard", "kho": "hard", "3": "hard",
}


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class RawQuestion:
    row: int
    id: Any
    text: Any
    options: list[tuple[Any, Any, Any]]  # (key, text, correct flag or None)
    answer: Any
    topic: Any = None
    level: Any = None


def bank_error(errors: list[RowError], message: str | None = None) -> ContestError:
    shown = errors[:MAX_ERRORS]
    msg = message or f"Ngân hàng câu hỏi có {len(errors)} lỗi; chưa nhập câu hỏi nào. Sửa các dòng được liệt kê rồi tải lại."
    return ContestError(422, "invalid_bank", msg, shown and [e.as_dict() for e in shown])


def _file_error(message: str) -> ContestError:
    return ContestError(422, "invalid_bank_file", message, [{"row": 0, "field": "(file)", "message": message}])


# --- validation -------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


def validate(raw: list[RawQuestion]) -> list[Question]:
    """Every rule on every row; raise ContestError 422 with all row errors, or return the questions."""
    if not raw:
        raise bank_error([RowError(0, "(file)", "Tệp không có câu hỏi nào.")])
    if len(raw) > MAX_QUESTIONS:
        raise bank_error([RowError(0, "(file)", f"Tệp có quá {MAX_QUESTIONS} câu hỏi.")])
    errors: list[RowError] = []
    seen: dict[str, int] = {}  # question id → the row that first used it
    out: list[Question] = []
    for item in raw:
        check = _RowCheck(item.row)
        question = _question(item, seen, check)
        if check.errors:
            errors.extend(check.errors)
        elif question is not None:
            out.append(question)
    if errors:
        raise bank_error(errors)
    return out


@dataclass
class _RowCheck:
    """The errors found in one row (all of them, not just the first)."""

    row: int
    errors: list[RowError] = field(default_factory=list)

    def err(self, field_name: str, message: str) -> None:
        self.errors.append(RowError(self.row, field_name, message))


def _question(item: RawQuestion, seen: dict[str, int], check: _RowCheck) -> Question | None:
    qid = _question_id(item, seen, check)
    text = _question_text(item, check)
    options, keys, flagged = _options(item, check)
    answer = _answer(item, keys, flagged, check)
    topic = _topic(item, check)
    level = _level(item, check)
    if check.errors or answer is None:
        return None
    return Question(id=qid, text=text, options=tuple(options), answer=answer, topic=topic, level=level)


def _question_id(item: RawQuestion, seen: dict[str, int], check: _RowCheck) -> str:
    qid = _text(item.id).strip()
    if not qid:
        check.err("id", "Thiếu mã câu hỏi.")
    elif not _ID.match(qid):
        check.err("id", f"Mã câu hỏi {qid!r} chỉ được gồm chữ không dấu, số, '-', '_' hoặc '.' (tối đa 64 ký tự).")
    elif qid in seen:
        check.err("id", f"Mã câu hỏi {qid!r} trùng với dòng {seen[qid]}.")
    else:
        seen[qid] = item.row
    return qid


def _question_text(item: RawQuestion, check: _RowCheck) -> str:
    text = _text(item.text)
    if not text.strip():
        check.err("text", "Thiếu nội dung câu hỏi.")
    elif len(text) > 2000:
        check.err("text", "Nội dung câu hỏi dài quá 2000 ký tự.")
    return text


def _options(item: RawQuestion, check: _RowCheck) -> tuple[list[Option], set[str], list[str]]:
    """(the valid options, their keys, the keys a spreadsheet marked correct)."""
    options: list[Option] = []
    flagged: list[str] = []
    keys: set[str] = set()
    for key_raw, opt_raw, flag in item.options:
        key, opt_text = _text(key_raw).strip(), _text(opt_raw)
        if not key or not _KEY.match(key):
            check.err("options", f"Khóa phương án {key!r} không hợp lệ (ví dụ A, B, C, D).")
            continue
        if key in keys:
            check.err(f"option_{key}", f"Phương án {key} bị trùng.")
            continue
        if not opt_text.strip():
            check.err(f"option_{key}", f"Phương án {key} không có nội dung.")
            continue
        keys.add(key)
        options.append(Option(key, opt_text))
        if flag is True:
            flagged.append(key)
    if not 2 <= len(item.options) <= 6:
        check.err("options", f"Mỗi câu hỏi cần từ 2 đến 6 phương án (đang có {len(item.options)}).")
    return options, keys, flagged


def _answer(item: RawQuestion, keys: set[str], flagged: list[str], check: _RowCheck) -> str | None:
    """The one correct key (from the answer column or the marked option), or None with the error."""
    answer = _text(item.answer).strip()
    if answer and flagged and flagged != [answer]:
        check.err("answer", "Đáp án không khớp với phương án được đánh dấu đúng.")
    correct = [answer] if answer else flagged
    if len(correct) != 1 or any(sep in correct[0] for sep in ",;/ "):
        check.err("answer", "Mỗi câu hỏi phải có đúng một đáp án đúng.")
        return None
    if correct[0] not in keys and not any(e.field.startswith("option") for e in check.errors):
        check.err("answer", f"Đáp án {correct[0]!r} không phải là một phương án của câu hỏi.")
    return correct[0]


def _topic(item: RawQuestion, check: _RowCheck) -> str | None:
    topic = _text(item.topic).strip() or None
    if topic is not None and not _TOPIC.match(topic):
        check.err("topic", f"Chủ đề {topic!r} chỉ được gồm chữ thường không dấu, số, '-' hoặc '_' (ví dụ an-toan-so).")
    return topic


def _level(item: RawQuestion, check: _RowCheck) -> str | None:
    level_raw = " ".join(_text(item.level).strip().lower().split())
    level = _LEVELS.get(level_raw) if level_raw else None
    if level_raw and level is None:
        check.err("level", f"Mức độ {_text(item.level).strip()!r} không hợp lệ: dùng dễ, trung bình, khó "
                           "(hoặc easy, medium, hard).")
    return level


# --- formats ----------------------------------------------------------------------------------


def from_json_value(value: Any) -> list[RawQuestion]:
    """`{"questions": [...]}` (contest/data/questions.json) or a bare list of questions."""
    items = value.get("questions") if isinstance(value, dict) else value
    if not isinstance(items, list):
        raise _file_error("JSON cần có dạng {\"questions\": [...]} hoặc một danh sách câu hỏi.")
    raw: list[RawQuestion] = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raw.append(RawQuestion(index, None, None, [], None))
            continue
        opts = item.get("options")
        options: list[tuple[Any, Any, Any]] = []
        if isinstance(opts, list):
            for o in opts:
                if isinstance(o, dict):
                    options.append((o.get("key"), o.get("text"), o.get("correct")))
                else:
                    options.append((None, o, None))
        raw.append(RawQuestion(index, item.get("id"), item.get("text"), options, item.get("answer"),
                               item.get("topic"), item.get("level")))
    return raw


def _header_map(header: list[Any]) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for col, name in enumerate(header):
        label = " ".join(_text(name).strip().lower().split())
        if label in _HEADERS:
            mapping[col] = _HEADERS[label]
        elif m := _OPTION_HEADER.match(label):
            mapping[col] = "option:" + m.group(1).upper()
    missing = {"id", "text", "answer"} - set(mapping.values())
    if missing or not any(v.startswith("option:") for v in mapping.values()):
        raise _file_error("Dòng tiêu đề cần các cột: id, text, A, B, C, D (tối đa F), answer. "
                          f"Thiếu: {', '.join(sorted(missing)) or 'các cột phương án'}.")
    return mapping


def from_rows(rows: list[list[Any]]) -> list[RawQuestion]:
    """Spreadsheet rows (header first) → raw questions; blank rows are skipped."""
    if not rows:
        raise _file_error("Tệp trống.")
    mapping = _header_map(rows[0])
    raw: list[RawQuestion] = []
    for number, row in enumerate(rows[1:], start=2):
        if all(_text(v).strip() == "" for v in row):
            continue
        values: dict[str, Any] = {}
        options: list[tuple[Any, Any, Any]] = []
        for col, target in mapping.items():
            value = row[col] if col < len(row) else None
            if target.startswith("option:"):
                if _text(value).strip():
                    options.append((target[7:], value, None))
            else:
                values[target] = value
        raw.append(RawQuestion(number, values.get("id"), values.get("text"), options, values.get("answer"),
                               values.get("topic"), values.get("level")))
    return raw


def parse_csv(data: bytes) -> list[RawQuestion]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_error("Tệp CSV phải được lưu với mã hóa UTF-8 (Excel: CSV UTF-8).") from None
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    return from_rows([list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)])


def parse_xlsx(data: bytes) -> list[RawQuestion]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise _file_error("Không đọc được tệp Excel (.xlsx). Hãy lưu lại bằng Excel dạng .xlsx rồi thử lại.") from None
    try:
        sheet = book.worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True, max_row=MAX_QUESTIONS + 1)]
    finally:
        book.close()
    return from_rows(rows)


def parse_json_bytes(data: bytes) -> list[RawQuestion]:
    import orjson

    try:
        return from_json_value(orjson.loads(data))
    except orjson.JSONDecodeError:
        raise _file_error("Tệp JSON không hợp lệ.") from None


def detect_format(filename: str | None, content_type: str | None, data: bytes) -> str:
    name = (filename or "").lower()
    ctype = (content_type or "").lower()
    if name.endswith(".xlsx") or "spreadsheetml" in ctype or data[:2] == b"PK":
        return "xlsx"
    if name.endswith(".csv") or "csv" in ctype:
        return "csv"
    if name.endswith(".json") or "json" in ctype or data.lstrip()[:1] in (b"{", b"["):
        return "json"
    raise _file_error("Chỉ nhận tệp .json, .csv hoặc .xlsx.")


def parse_bank(data: bytes, fmt: str) -> list[Question]:
    parser = {"json": parse_json_bytes, "csv": parse_csv, "xlsx": parse_xlsx}[fmt]
    return validate(parser(data))
