"""CSV and XLSX exports of a board (the public view: a frozen board exports its snapshot)."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook

from shared.text import clean_cell

HEADER = ["Hạng", "Mã", "Tên", "Đơn vị", "Điểm", "Chi tiết"]


def _cells(row: dict[str, Any]) -> list[Any]:
    unit = row.get("unit_name") or row["unit_id"] or ""
    return [row["rank"], row["entrant_id"], row["display_name"], unit, row["score"], _explain(row["details"])]


def _num(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".").replace(",", " ").replace(".", ",").replace(" ", ".")


def _explain(d: dict[str, Any]) -> str:
    """The entry's details in words, as the board page writes them (not raw JSON)."""
    parts: list[str] = []
    if "correct" in d:
        parts += [f"{d['correct']}/{d['total']} câu đúng", f"{round(d['duration_ms'] / 1000)} giây"]
    if d.get("essay_score") is not None:
        parts.append(f"tự luận {_num(d['essay_score'])}")
    if d.get("distance") is not None:
        parts.append(f"lệch dự đoán {_num(d['distance'])}")
    if "participants" in d:
        parts += [f"{d['participants']} người thi", f"{d['attempts']} lượt"]
    if d.get("mean_best_score") is not None:
        parts.append(f"điểm trung bình {_num(d['mean_best_score'])}")
    if d.get("per_1000_residents") is not None:
        parts.append(f"{_num(d['per_1000_residents'])}/1.000 dân")
    if "judge_score" in d:
        parts += [f"giám khảo {_num(d['judge_score'])}", f"tương tác {_num(d.get('engagement_score') or 0)}"]
    if d.get("judge_count") is not None:
        parts.append(f"{d['judge_count']} giám khảo")
    if d.get("attempt_id"):  # organizers' exports only: which attempt counts (disputes, the audit)
        parts.append(f"lượt thi {d['attempt_id']}")
    return " · ".join(parts)


def _safe(value: Any) -> Any:
    """A cell that any stored value can become: text cleaned as at the door (a name stored before the
    door cleaned it must not break the file: openpyxl refuses control characters), then spreadsheet
    formulas neutralised (CSV injection)."""
    value = clean_cell(value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([_safe(c) for c in _cells(row)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens Vietnamese text correctly


def to_xlsx(board_id: str, rows: list[dict[str, Any]]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=board_id[:31].replace(":", "-"))
    ws.append(HEADER)
    for row in rows:
        ws.append([_safe(c) for c in _cells(row)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
