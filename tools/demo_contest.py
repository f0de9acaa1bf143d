"""The demo contest: the district's real units and sample bank, with windows open right now.

`make run` writes it to `.run/contest.yaml`; tests call `contest_dict` with their own overrides.
Usage: python -m tools.demo_contest OUT.yaml
"""

from __future__ import annotations

import json
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


# Every paper of a round: 8 easy, 8 medium, 4 hard, at least one question per topic
# (contest/data/question_levels.yaml gives the sample bank its topics and levels).
DEMO_BLUEPRINT = {"levels": {"easy": 8, "medium": 8, "hard": 4},
                  "topics": {"chinh-sach": 1, "dich-vu-so": 1, "an-toan-so": 1, "cuoc-thi": 1}}
_INDIVIDUAL_TIERS = [
    {"id": "first", "name": "Giải Nhất", "count": 1}, {"id": "second", "name": "Giải Nhì", "count": 2},
    {"id": "third", "name": "Giải Ba", "count": 3}, {"id": "consolation", "name": "Giải Khuyến khích", "count": 10},
]


def demo_prizes() -> list[dict[str, Any]]:
    return [
        {"board_id": "quiz.individual.round-week-1", "title": "Kết quả thi trực tuyến – Tuần 1",
         "tiers": _INDIVIDUAL_TIERS},
        {"board_id": "quiz.individual.round-week-2", "title": "Kết quả thi trực tuyến – Tuần 2",
         "tiers": _INDIVIDUAL_TIERS},
        {"board_id": "quiz.unit.all", "title": "Giải tập thể – thi trực tuyến", "tiers": [
            {"id": "first", "name": "Giải Nhất tập thể", "count": 1},
            {"id": "second", "name": "Giải Nhì tập thể", "count": 1},
            {"id": "third", "name": "Giải Ba tập thể", "count": 1}]},
        {"board_id": "initiatives.entry.all", "title": "Giải mô hình, sáng kiến chuyển đổi số", "tiers": [
            {"id": "first", "name": "Giải Nhất", "count": 1}, {"id": "second", "name": "Giải Nhì", "count": 2},
            {"id": "third", "name": "Giải Ba", "count": 3}, {"id": "consolation", "name": "Giải Khuyến khích", "count": 5}]},
        {"board_id": "stage.entry.all", "title": "Giải thi sân khấu hóa", "tiers": [
            {"id": "first", "name": "Giải Nhất", "count": 1}, {"id": "second", "name": "Giải Nhì", "count": 1},
            {"id": "third", "name": "Giải Ba", "count": 2}, {"id": "consolation", "name": "Giải Khuyến khích", "count": 3}]},
    ]


def contest_dict(now: datetime | None = None, *, free_kind: str = "essay", blueprints: bool = False,
                 **overrides: Any) -> dict[str, Any]:
    """`blueprints=True` (what `make run` uses) draws every paper to DEMO_BLUEPRINT; off by default
    so tests that upload their own small banks without levels keep a uniform draw."""
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
        "prizes": demo_prizes(),
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
    if blueprints:
        for rnd in contest["quiz"]["rounds"]:
            rnd["blueprint"] = DEMO_BLUEPRINT
    contest.update(overrides)
    return contest


def bank_with_levels() -> dict[str, Any]:
    """The sample bank with each question's topic and level (question_levels.yaml) merged in."""
    bank = json.loads((DATA / "questions.json").read_text(encoding="utf-8"))
    levels = yaml.safe_load((DATA / "question_levels.yaml").read_text(encoding="utf-8"))["questions"]
    for q in bank["questions"]:
        q.update(levels.get(q["id"], {}))
    return bank


def write_contest(out: Path, contest: dict[str, Any]) -> Path:
    """Write the YAML beside copies of the data files it names."""
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DATA / "units.json", out.parent / "units.json")
    (out.parent / "questions.json").write_text(json.dumps(bank_with_levels(), ensure_ascii=False, indent=1),
                                               encoding="utf-8")
    out.write_text(yaml.safe_dump(contest, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".run/contest.yaml")
    write_contest(target, contest_dict(blueprints=True))
    print(target)
