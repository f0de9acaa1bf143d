"""CSV and XLSX exports of a board (the public view: a frozen board exports its snapshot)."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson
from openpyxl import Workbook

from shared.text import clean_cell

HEADER = ["Hạng", "Mã", "Tên", "Đơn vị", "Điểm", "Chi tiết"]


def _cells(row: dict[str, Any]) -> list[Any]:
    return [row["rank"], row["entrant_id"], row["display_name"], row["unit_id"] or "", row["score"],
            orjson.dumps(row["details"]).decode()]


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
