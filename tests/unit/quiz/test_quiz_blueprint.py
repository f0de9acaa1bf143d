"""Equivalent papers: every draw matches the round's blueprint; a bank that cannot fill it is
refused with the round and the missing cell named; topic and level import from JSON, CSV, XLSX."""

from __future__ import annotations

import io
import json
import random
from collections import Counter

import pytest
from openpyxl import Workbook

from services.quiz import bank, blueprint
from services.quiz.domain import Option, Question
from shared.contest import Blueprint, ContestFileError, Round, parse_contest
from shared.errors import ContestError
from tools.demo_contest import DEMO_BLUEPRINT, bank_with_levels, contest_dict

WINDOW = {"opens_at": "2025-01-06T00:00:00+07:00", "closes_at": "2025-01-13T00:00:00+07:00"}


def make_bank(cells: dict[tuple[str, str], int]) -> list[Question]:
    out, n = [], 0
    for (topic, level), count in cells.items():
        for _ in range(count):
            n += 1
            out.append(Question(f"q{n:03d}", f"Câu {n}", (Option("A", "a"), Option("B", "b"), Option("C", "c")),
                                "B", topic, level))
    return out


def round_with(bp: dict) -> Round:
    return Round(id="week-1", name="Tuần 1", blueprint=Blueprint(**bp), **WINDOW)


def matches(paper: list[Question], bp: Blueprint) -> bool:
    levels = Counter(q.level for q in paper)
    topics = Counter(q.topic for q in paper)
    return (all(levels[lv] == n for lv, n in bp.levels.items()) and sum(levels.values()) == bp.size
            and all(topics[t] >= n for t, n in bp.topics.items()) and len({q.id for q in paper}) == len(paper))


FILLABLE = [
    # (name, bank cells, blueprint)
    ("demo shape", {("a", "easy"): 6, ("b", "easy"): 4, ("b", "medium"): 9, ("c", "hard"): 3, ("d", "hard"): 3},
     {"levels": {"easy": 8, "medium": 8, "hard": 4}, "topics": {"a": 1, "b": 1, "c": 1, "d": 1}}),
    ("exact fit", {("a", "easy"): 2, ("b", "medium"): 2, ("c", "hard"): 1},
     {"levels": {"easy": 2, "medium": 2, "hard": 1}, "topics": {"a": 2, "b": 2, "c": 1}}),
    # topic a only reaches its minimum if the flow moves b off the easy level onto medium
    ("needs rerouting", {("a", "easy"): 2, ("b", "easy"): 2, ("b", "medium"): 3},
     {"levels": {"easy": 2, "medium": 2}, "topics": {"a": 2, "b": 2}}),
    ("no topic rule", {("x", "easy"): 5, ("y", "hard"): 5}, {"levels": {"easy": 3, "hard": 2}}),
]


@pytest.mark.parametrize(("name", "cells", "bp"), FILLABLE, ids=[f[0] for f in FILLABLE])
def test_every_paper_matches_the_blueprint(name, cells, bp):
    questions, spec = make_bank(cells), Blueprint(**bp)
    assert blueprint.shortfalls(spec, questions) == []
    seen_papers = set()
    for seed in range(200):
        paper = blueprint.draw_to_blueprint(questions, spec, random.Random(seed))
        assert matches(paper, spec), (seed, Counter((q.topic, q.level) for q in paper))
        by_id = {q.id: q for q in questions}
        assert all(q.answer == by_id[q.id].answer and set(q.options) == set(by_id[q.id].options) for q in paper)
        seen_papers.add(frozenset(q.id for q in paper))
    if sum(cells.values()) > spec.size:
        assert len(seen_papers) > 1  # papers differ from attempt to attempt


UNFILLABLE = [
    ("too few hard", {("a", "easy"): 8, ("a", "hard"): 2}, {"levels": {"easy": 4, "hard": 4}},
     ["mức độ khó (hard) cần 4 câu, ngân hàng chỉ có 2"]),
    ("topic missing", {("a", "easy"): 8}, {"levels": {"easy": 4}, "topics": {"an-toan-so": 1}},
     ["chủ đề an-toan-so cần ít nhất 1 câu, ngân hàng chỉ có 0"]),
    ("topic only at a level the paper has no room for", {("a", "easy"): 5, ("b", "hard"): 3},
     {"levels": {"easy": 4, "hard": 0}, "topics": {"b": 1}},
     ["chủ đề b cần ít nhất 1 câu, ngân hàng chỉ có 0"]),
    ("minimums collide inside one level", {("a", "easy"): 3, ("b", "easy"): 3, ("c", "medium"): 5},
     {"levels": {"easy": 1, "medium": 3}, "topics": {"a": 1, "b": 1}},
     ["chủ đề", "thiếu 1 câu trong giới hạn số câu của từng mức độ"]),
    ("no levels in the bank", {(None, None): 30}, {"levels": {"easy": 20}},
     ["mức độ dễ (easy) cần 20 câu, ngân hàng chỉ có 0"]),
]


@pytest.mark.parametrize(("name", "cells", "bp", "expected"), UNFILLABLE, ids=[u[0] for u in UNFILLABLE])
def test_a_bank_that_cannot_fill_the_blueprint_is_refused(name, cells, bp, expected):
    questions, rnd = make_bank(cells), round_with(bp)
    with pytest.raises(ContestError) as exc:
        blueprint.check_fillable(rnd, questions)
    assert exc.value.status == 422 and exc.value.code == "blueprint_unfillable"
    assert "vòng week-1 (Tuần 1)" in exc.value.message
    for part in expected:
        assert part in exc.value.message
    assert exc.value.details["round_id"] == "week-1"
    with pytest.raises(ContestError) as drawn:
        blueprint.draw_to_blueprint(questions, rnd.blueprint, random.Random(1))
    assert drawn.value.code == "blueprint_unfillable"


def test_a_round_without_blueprint_draws_uniformly():
    raw = contest_dict()
    contest = parse_contest({**{k: v for k, v in raw.items() if k != "units_file"},
                             "units": [{"id": "van-dinh", "name": "Thị trấn Vân Đình"}]})
    rnd = contest.quiz.rounds[0]
    assert rnd.blueprint is None
    questions = make_bank({(None, None): 30})
    paper = blueprint.draw(questions, contest.quiz, rnd, random.Random(3))
    assert len(paper) == contest.quiz.question_count == 20


def test_the_demo_bank_fills_the_demo_blueprint():
    questions = bank.validate(bank.from_json_value(bank_with_levels()))
    spec = Blueprint(**DEMO_BLUEPRINT)
    assert blueprint.shortfalls(spec, questions) == []
    for seed in range(50):
        assert matches(blueprint.draw_to_blueprint(questions, spec, random.Random(seed)), spec)


def test_the_contest_file_refuses_a_blueprint_of_the_wrong_size():
    raw = contest_dict(blueprints=True)
    raw["quiz"]["question_count"] = 10
    raw = {**{k: v for k, v in raw.items() if k != "units_file"}, "units": [{"id": "u", "name": "Đơn vị"}]}
    with pytest.raises(ContestFileError) as exc:
        parse_contest(raw)
    assert "round 'week-1': blueprint levels add up to 20 questions, question_count is 10" in str(exc.value)


# --- topic and level in the bank files --------------------------------------------------------

ROW = {"id": "q1", "text": "Mã OTP là gì?", "options": [{"key": "A", "text": "Mật khẩu một lần"},
                                                       {"key": "B", "text": "Tên ứng dụng"}], "answer": "A"}


@pytest.mark.parametrize(("value", "level"), [("dễ", "easy"), ("Trung bình", "medium"), ("KHÓ", "hard"),
                                               ("hard", "hard"), (2, "medium")])
def test_levels_are_read_in_vietnamese_or_english(value, level):
    (q,) = bank.validate(bank.from_json_value([{**ROW, "topic": "an-toan-so", "level": value}]))
    assert (q.topic, q.level) == ("an-toan-so", level)
    assert Question.from_json(q.to_json()) == q


@pytest.mark.parametrize(("change", "field"), [({"level": "rất khó"}, "level"), ({"level": 7}, "level"),
                                                ({"topic": "An toàn số"}, "topic"), ({"topic": "-x"}, "topic")])
def test_bad_topic_or_level_is_a_row_error(change, field):
    with pytest.raises(ContestError) as exc:
        bank.validate(bank.from_json_value([ROW, {**ROW, "id": "q2", **change}]))
    assert {(d["row"], d["field"]) for d in exc.value.details} == {(2, field)}


def test_csv_and_xlsx_carry_topic_and_level():
    header = ["id", "câu hỏi", "A", "B", "đáp án", "chủ đề", "mức độ"]
    rows = [["q1", "Mã OTP là gì?", "Mật khẩu một lần", "Tên ứng dụng", "A", "an-toan-so", "dễ"],
            ["q2", "VNeID là gì?", "Ứng dụng định danh", "Trò chơi", "A", "dich-vu-so", "trung bình"]]
    csv_bytes = "\n".join(",".join(r) for r in [header, *rows]).encode()
    wb = Workbook()
    for r in [header, *rows]:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    for data, fmt in ((csv_bytes, "csv"), (buf.getvalue(), "xlsx")):
        got = bank.parse_bank(data, fmt)
        assert [(q.topic, q.level) for q in got] == [("an-toan-so", "easy"), ("dich-vu-so", "medium")], fmt
    bad = csv_bytes.replace("trung bình".encode(), "vừa".encode())
    with pytest.raises(ContestError) as exc:
        bank.parse_bank(bad, "csv")
    assert exc.value.details == [{"row": 3, "field": "level", "message": exc.value.details[0]["message"]}]
    assert "vừa" in exc.value.details[0]["message"]


def test_a_bank_without_topics_and_levels_still_imports():
    data = json.dumps({"questions": [ROW]}).encode()
    (q,) = bank.parse_bank(data, "json")
    assert (q.topic, q.level) == (None, None) and "level" not in q.to_json()


@pytest.mark.parametrize(("share", "level"), [(1.0, "easy"), (0.8, "easy"), (0.79, "medium"), (0.5, "medium"),
                                              (0.49, "hard"), (0.0, "hard")])
def test_item_analysis_suggests_a_level_from_the_share_correct(share, level):
    from services.quiz.stats import observed_level

    assert observed_level(share) == level
