"""Board exports as a spreadsheet reader sees them: the unit's name, details in words, no JSON."""

from __future__ import annotations

import csv
import io

from services.ranking import exports


def _row(**kw):
    base = {"rank": 1, "entrant_id": "p-1", "display_name": "Nguyễn Thị Hoa", "unit_id": "van-dinh",
            "unit_name": "Thị trấn Vân Đình", "score": 97.5,
            "details": {"correct": 19, "total": 20, "duration_ms": 312_400, "distance": 1250.5}}
    return {**base, **kw}


def test_csv_columns_use_unit_names_and_readable_details():
    text = exports.to_csv([_row(), _row(rank=2, entrant_id="u-x", unit_id="xa-moi", unit_name=None, details={})])
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert rows[0] == exports.HEADER
    assert rows[1][3] == "Thị trấn Vân Đình"
    assert rows[1][5] == "19/20 câu đúng · 312 giây · lệch dự đoán 1.250,5"
    assert rows[2][3] == "xa-moi" and rows[2][5] == ""  # an unknown unit keeps its id
    assert "{" not in text.decode("utf-8-sig")


def test_unit_board_details():
    details = {"participants": 12, "attempts": 20, "per_1000_residents": 1.234, "mean_best_score": 60.5}
    assert exports._explain(details) == "12 người thi · 20 lượt · điểm trung bình 60,5 · 1,23/1.000 dân"
