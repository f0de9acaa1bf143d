"""Pure quiz rules: phone numbers, grading and scoring, free answers, attempt limits, drawing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from services.quiz import domain
from services.quiz.domain import Option, Question
from shared.contest import QuizRules
from shared.errors import ContestError

FREE = {"question_id": "essay-01", "kind": "essay", "text": "Ý kiến của bạn?"}
ROUND = {"id": "w1", "name": "Tuần 1", "opens_at": "2025-01-01T00:00:00+07:00", "closes_at": "2025-01-08T00:00:00+07:00"}


def rules(**kw) -> QuizRules:
    return QuizRules(free_question=FREE, rounds=[ROUND], **kw)


def bank(n: int = 20) -> list[Question]:
    return [Question(f"q{i:02d}", f"Câu {i}", tuple(Option(k, f"Phương án {k}") for k in "ABCD"), "ABCD"[i % 4])
            for i in range(n)]


@pytest.mark.parametrize("raw", ["0912345678", "+84912345678", "84912345678", "+84 912 345 678", "0912.345.678",
                                 "0912-345-678", "(+84) 912345678", "0084912345678"])
def test_phone_forms_normalize_to_one_number(raw):
    assert domain.normalize_phone(raw) == "0912345678"


@pytest.mark.parametrize("raw", ["0321234567", "0352345678", "0562345678", "0702345678", "0772345678",
                                 "0812345678", "0862345678", "0882345678", "0992345678", "0592345678"])
def test_valid_mobile_prefixes(raw):
    assert domain.normalize_phone(raw) == raw


@pytest.mark.parametrize("raw", ["", "0912", "09123456789", "0212345678", "0242345678", "0112345678",
                                 "0312345678", "0712345678", "0802345678", "+1 912 345 678", "09123abc78",
                                 "849123456789", "84912345"])
def test_invalid_phones_are_refused(raw):
    with pytest.raises(ContestError) as exc:
        domain.normalize_phone(raw)
    assert exc.value.status == 422 and exc.value.code == "invalid_phone"


def test_mask_phone_hides_the_middle():
    assert domain.mask_phone("0912345678") == "0912***678"


def _answers(served, right: int, wrong: int) -> dict[str, str | None]:
    chosen: dict[str, str | None] = {}
    for i, q in enumerate(served):
        if i < right:
            chosen[q.id] = q.answer
        elif i < right + wrong:
            chosen[q.id] = next(o.key for o in q.options if o.key != q.answer)
    return chosen


@pytest.mark.parametrize(
    ("right", "wrong", "bonus", "duration_s", "expected_correct", "expected_score"),
    [
        (20, 0, 0.0, 300, 20, 100.0),   # all right, no speed bonus
        (0, 20, 0.0, 300, 0, 0.0),      # all wrong
        (0, 0, 0.0, 10, 0, 0.0),        # nothing answered
        (13, 5, 0.0, 300, 13, 65.0),    # partial, two unanswered
        (20, 0, 10.0, 0, 20, 110.0),    # full bonus at 0 s
        (20, 0, 10.0, 450, 20, 105.0),  # half the time left → half the bonus
        (10, 10, 10.0, 450, 10, 52.5),  # bonus in proportion to accuracy
        (20, 0, 10.0, 900, 20, 100.0),  # no bonus at the limit
        (20, 0, 10.0, 905, 20, 100.0),  # nor in the grace period
        (0, 20, 10.0, 1, 0, 0.0),       # a fast blank sheet earns nothing
    ],
)
def test_grading_and_scoring_table(right, wrong, bonus, duration_s, expected_correct, expected_score):
    r = rules(speed_bonus={"max_points": bonus}, time_limit_seconds=900, points_per_correct=5)
    served = bank(20)
    g = domain.grade(served, _answers(served, right, wrong))
    assert (g.correct, g.total) == (expected_correct, 20)
    assert len(g.answers) == 20
    assert sum(a.option_key is None for a in g.answers) == 20 - right - wrong
    assert domain.score(g, r, duration_s * 1000) == expected_score


def test_check_answers_rejects_unknowns_and_repeats():
    served = bank(3)
    assert domain.check_answers(served, [("q00", "A"), ("q01", None)]) == {"q00": "A", "q01": None}
    for answers, code in [([("zz", "A")], "unknown_question"), ([("q00", "E")], "unknown_option"),
                          ([("q00", "A"), ("q00", "B")], "duplicate_answer")]:
        with pytest.raises(ContestError) as exc:
            domain.check_answers(served, answers)
        assert (exc.value.status, exc.value.code) == (422, code)


def test_free_answer_kinds():
    assert domain.parse_free_answer("essay", "e1", "Lập nhóm Zalo") == (None, {"question_id": "e1", "text": "Lập nhóm Zalo"})
    assert domain.parse_free_answer("essay", "e1", "   ") == (None, None)
    assert domain.parse_free_answer("essay", "e1", None) == (None, None)
    assert domain.parse_free_answer("prediction", "p1", 12500) == (12500.0, None)
    assert domain.parse_free_answer("prediction", "p1", "12.500") == (12500.0, None)
    assert domain.parse_free_answer("prediction", "p1", None) == (None, None)
    for kind, value in [("prediction", "nhiều lắm"), ("prediction", float("nan")), ("prediction", True),
                        ("essay", 42), ("essay", "x" * 20_001)]:
        with pytest.raises(ContestError) as exc:
            domain.parse_free_answer(kind, "id", value)
        assert exc.value.status == 422


def test_attempt_limits_and_one_open_attempt():
    domain.check_can_start(attempts_in_round=1, limit=2, open_attempt_id=None)
    with pytest.raises(ContestError) as exc:
        domain.check_can_start(attempts_in_round=2, limit=2, open_attempt_id=None)
    assert exc.value.code == "attempt_limit" and "hết 2 lượt" in exc.value.message
    with pytest.raises(ContestError) as exc:
        domain.check_can_start(attempts_in_round=0, limit=2, open_attempt_id="a-1")
    assert exc.value.code == "attempt_open" and exc.value.details == {"attempt_id": "a-1"}


def test_deadline_and_grace():
    start = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
    deadline = domain.deadline_for(start, rules(time_limit_seconds=600))
    assert deadline == start + timedelta(minutes=10)
    assert not domain.is_late(deadline + timedelta(seconds=10), deadline, 10)
    assert domain.is_late(deadline + timedelta(seconds=10, milliseconds=1), deadline, 10)
    assert domain.duration_ms(start, start + timedelta(seconds=1, microseconds=500_000)) == 1500


def test_draw_takes_distinct_questions_and_shuffles_options():
    source = bank(25)
    drawn = domain.draw_questions(source, 20, random.Random(7))
    assert len(drawn) == 20 and len({q.id for q in drawn}) == 20
    by_id = {q.id: q for q in source}
    for q in drawn:
        assert q.answer == by_id[q.id].answer and set(q.options) == set(by_id[q.id].options)
    assert any(q.options != by_id[q.id].options for q in drawn)
    assert len(domain.draw_questions(source[:5], 20, random.Random(1))) == 5
    assert "answer" not in str(drawn[0].public())


@pytest.mark.parametrize("value", [12500, 12500.0, 8.5, "12.500", "8,5", 0, 1e15, 1.5e-7])
def test_a_saved_prediction_reads_back_as_the_same_number(value):
    expected, _ = domain.parse_free_answer("prediction", "du-doan", value)
    text = domain.free_answer_text("prediction", "du-doan", value)
    assert domain.parse_free_answer("prediction", "du-doan", text) == (expected, None)


def test_a_saved_essay_is_its_text_and_a_blank_is_nothing():
    assert domain.free_answer_text("essay", "tu-luan", "Tổ công nghệ số") == "Tổ công nghệ số"
    assert domain.free_answer_text("essay", "tu-luan", "  ") is None
    assert domain.free_answer_text("prediction", "du-doan", None) is None
