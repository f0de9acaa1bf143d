"""The demo contest: the district's real units and sample bank, with windows open right now.

`make run` writes it to `.run/contest.yaml`; tests call `contest_dict` with their own overrides.
Usage: python -m tools.demo_contest OUT.yaml
"""

from __future__ import annotations

import shutil
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

DATA = Path(__file__).resolve().parent.parent / "contest" / "data"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def contest_dict(now: datetime | None = None, *, free_kind: str = "essay", **overrides: Any) -> dict[str, Any]:
    now = (now or datetime.now(TZ)).astimezone(TZ)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    day = timedelta(days=1)
    free = {
        "essay": {
            "question_id": "essay-01", "kind": "essay", "essay_weight": 0.2,
            "text": "Hãy đề xuất một sáng kiến chuyển đổi số thiết thực cho thôn, tổ dân phố hoặc cơ quan "
                    "nơi bạn sinh sống, làm việc (không quá 500 từ).",
        },
        "prediction": {
            "question_id": "predict-01", "kind": "prediction",
            "text": "Dự đoán có bao nhiêu lượt người tham gia cuộc thi trong tuần thi này?",
        },
    }[free_kind]
    contest: dict[str, Any] = {
        "contest_id": "unghoa-cds-2025",
        "title": "Chuyển đổi số – Vững bước tiến vào Kỷ nguyên mới",
        "organizer": "Huyện ủy Ứng Hòa",
        "description": (
            "Cuộc thi gồm 3 giai đoạn: thi trực tuyến tìm hiểu về chuyển đổi số; xây dựng mô hình, "
            "sáng kiến ứng dụng chuyển đổi số; và thi sân khấu hóa các mô hình tiêu biểu."
        ),
        "time_zone": "Asia/Ho_Chi_Minh",
        "population": 204800,
        "units_file": "units.json",
        "phases": [
            {"id": "quiz", "kind": "quiz", "name": "Thi trực tuyến tìm hiểu về chuyển đổi số",
             "opens_at": _iso(today - 14 * day), "closes_at": _iso(today + 14 * day)},
            {"id": "initiatives", "kind": "initiatives", "name": "Mô hình, sáng kiến chuyển đổi số",
             "opens_at": _iso(today - 7 * day), "closes_at": _iso(today + 30 * day)},
            {"id": "stage", "kind": "stage", "name": "Thi sân khấu hóa",
             "opens_at": _iso(today - 1 * day), "closes_at": _iso(today + 45 * day)},
        ],
        "quiz": {
            "phase_id": "quiz", "question_count": 20, "time_limit_seconds": 900, "grace_seconds": 10,
            "attempts_per_round": 2, "points_per_correct": 5,
            "free_question": free,
            "bank_file": "questions.json",
            "rounds": [
                {"id": "week-1", "name": "Tuần 1", "opens_at": _iso(today - 14 * day),
                 "closes_at": _iso(today - 7 * day)},
                {"id": "week-2", "name": "Tuần 2", "opens_at": _iso(today - 7 * day),
                 "closes_at": _iso(today + 7 * day)},
                {"id": "week-3", "name": "Tuần 3", "opens_at": _iso(today + 7 * day),
                 "closes_at": _iso(today + 14 * day)},
            ],
            "excluded_phones": ["0912000001"],
        },
        "initiatives": {
            "phase_id": "initiatives",
            "rubric": {"criteria": [
                {"id": "feasibility", "name": "Tính khả thi", "weight": 0.3, "max": 10},
                {"id": "impact", "name": "Hiệu quả, tác động", "weight": 0.4, "max": 10},
                {"id": "novelty", "name": "Tính mới, sáng tạo", "weight": 0.3, "max": 10},
            ]},
            "weights": {"judges": 0.7, "engagement": 0.3},
        },
        "stage": {
            "phase_id": "stage", "aggregation": "trimmed_mean",
            "rubric": {"criteria": [
                {"id": "content", "name": "Nội dung", "weight": 0.5, "max": 10},
                {"id": "presentation", "name": "Trình bày", "weight": 0.3, "max": 10},
                {"id": "interaction", "name": "Tương tác với khán giả", "weight": 0.2, "max": 10},
            ]},
        },
        "essays": {"rubric": {"criteria": [
            {"id": "relevance", "name": "Đúng chủ đề", "weight": 0.4, "max": 10},
            {"id": "practicality", "name": "Tính thực tiễn", "weight": 0.4, "max": 10},
            {"id": "clarity", "name": "Diễn đạt", "weight": 0.2, "max": 10},
        ]}},
    }
    contest.update(overrides)
    return contest


def write_contest(out: Path, contest: dict[str, Any]) -> Path:
    """Write the YAML beside copies of the data files it names."""
    out.parent.mkdir(parents=True, exist_ok=True)
    for name in ("units.json", "questions.json"):
        shutil.copyfile(DATA / name, out.parent / name)
    out.write_text(yaml.safe_dump(contest, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".run/contest.yaml")
    write_contest(target, contest_dict())
    print(target)
