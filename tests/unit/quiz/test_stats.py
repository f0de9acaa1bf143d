"""The dashboard's item analysis and per-1,000 rates, as pure functions."""

from __future__ import annotations

from services.quiz.stats import items, per_thousand


def _q(qid: str, answer: str = "A") -> dict:
    return {"id": qid, "text": f"Câu {qid}", "answer": answer,
            "options": [{"key": k, "text": k.lower()} for k in "ABCD"]}


def _c(qid: str, key: str | None, n: int, right: bool) -> dict:
    return {"question_id": qid, "option_key": key, "n": n, "right": n if right else 0}


def test_flags_shares_and_order():
    bank = [_q("easy"), _q("hard", "B"), _q("rare"), _q("unseen")]
    counts = [_c("easy", "A", 6, True),
              _c("hard", "A", 4, False), _c("hard", "C", 2, False), _c("hard", None, 1, False),
              _c("rare", "A", 1, True), _c("rare", "B", 1, False), _c("gone", "A", 2, True)]
    out = {q["question_id"]: q for q in items(bank, counts, min_served=5)}
    assert [q["question_id"] for q in items(bank, counts, min_served=5)] == ["hard", "rare", "easy", "gone", "unseen"]
    assert out["easy"]["flags"] == ["everybody_right", "never_chosen"] and out["easy"]["share_correct"] == 1.0
    assert out["hard"]["flags"] == ["nobody_right", "never_chosen"] and out["hard"]["never_chosen"] == ["B", "D"]
    assert out["hard"]["served"] == 7 and out["hard"]["blank"] == 1 and out["hard"]["share_correct"] == 0.0
    assert [o["chosen"] for o in out["hard"]["options"]] == [4, 0, 2, 0]
    assert [o["is_answer"] for o in out["hard"]["options"]] == [False, True, False, False]
    # Too few servings to judge: no flags, even with options nobody chose.
    assert out["rare"]["flags"] == [] and out["rare"]["never_chosen"] == [] and out["rare"]["share_correct"] == 0.5
    # Never served: no share at all; answered but no longer in any bank: still counted.
    assert out["unseen"]["served"] == 0 and out["unseen"]["share_correct"] is None
    assert out["gone"]["served"] == 2 and out["gone"]["options"] == []


def test_declared_level_stands_beside_the_observed_one():
    bank = [{**_q("q1"), "level": "hard", "topic": "dvc"}, _q("q2")]
    counts = [_c("q1", "A", 9, True), _c("q1", "B", 1, False), _c("q2", "A", 1, True)]
    out = {q["question_id"]: q for q in items(bank, counts, min_served=5)}
    # 90 % right on a question declared hard: the organizers see it should be re-levelled as easy.
    assert (out["q1"]["declared_level"], out["q1"]["observed_level"], out["q1"]["topic"]) == ("hard", "easy", "dvc")
    # No declared level, and too few answers to suggest one.
    assert (out["q2"]["declared_level"], out["q2"]["observed_level"]) == (None, None)


def test_per_thousand_needs_a_population():
    assert per_thousand(3, 204_800) == 0.01
    assert per_thousand(150, 12_000) == 12.5
    assert per_thousand(5, None) is None
