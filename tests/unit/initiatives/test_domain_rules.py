"""Pure rules: rubric totals, ranges, recusal, revision ordering, spread, life cycle, phases."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.initiatives.domain import (
    CriterionValue,
    ScoreRow,
    check_transition,
    initiative_id,
    latest_per_judge,
    next_revision,
    phase_state,
    recusal_reason,
    require_open,
    rubric_total,
    spread,
    target_for,
    validate_scores,
)
from shared.contest import Phase, Rubric, parse_contest
from shared.errors import ContestError
from tools.demo_contest import contest_dict

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "initiatives.judge-scored.v1.example.json"
RUBRIC = Rubric.model_validate({"criteria": [
    {"id": "feasibility", "name": "Tính khả thi", "weight": 0.3, "max": 10},
    {"id": "impact", "name": "Hiệu quả", "weight": 0.4, "max": 10},
    {"id": "novelty", "name": "Tính mới", "weight": 0.3, "max": 10},
]})


def test_total_matches_the_contract_example():
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))["data"]
    values = validate_scores(RUBRIC, {c["criterion_id"]: c["score"] for c in data["criteria"]})
    assert rubric_total(RUBRIC, values) == data["total"] == 79.0


@pytest.mark.parametrize(("given", "total"), [
    ({"feasibility": 0, "impact": 0, "novelty": 0}, 0.0),
    ({"feasibility": 10, "impact": 10, "novelty": 10}, 100.0),
    ({"feasibility": 10, "impact": 0, "novelty": 0}, 30.0),
    ({"feasibility": 0, "impact": 5, "novelty": 0}, 20.0),
    ({"feasibility": 3.3, "impact": 3.3, "novelty": 3.3}, 33.0),
])
def test_rubric_totals(given, total):
    assert rubric_total(RUBRIC, validate_scores(RUBRIC, given)) == total


def test_total_uses_each_criterions_own_max():
    rubric = Rubric.model_validate({"criteria": [
        {"id": "a", "name": "A", "weight": 0.5, "max": 20}, {"id": "b", "name": "B", "weight": 0.5, "max": 5}]})
    assert rubric_total(rubric, validate_scores(rubric, {"a": 10, "b": 5})) == 75.0


@pytest.mark.parametrize(("given", "code", "field"), [
    ({"feasibility": 10.5, "impact": 5, "novelty": 5}, "score_out_of_range", "feasibility"),
    ({"feasibility": -1, "impact": 5, "novelty": 5}, "score_out_of_range", "feasibility"),
    ({"feasibility": 5, "impact": 5}, "missing_criterion", "novelty"),
    ({"feasibility": 5, "impact": 5, "novelty": 5, "beauty": 3}, "unknown_criterion", "beauty"),
    ({"feasibility": float("nan"), "impact": 5, "novelty": 5}, "invalid_score", "feasibility"),
    ({"feasibility": float("inf"), "impact": 5, "novelty": 5}, "invalid_score", "feasibility"),
    ({"feasibility": True, "impact": 5, "novelty": 5}, "invalid_score", "feasibility"),
])
def test_validation_ranges(given, code, field):
    with pytest.raises(ContestError) as err:
        validate_scores(RUBRIC, given)
    assert (err.value.status, err.value.code, err.value.field) == (422, code, field)


def test_boundaries_are_inclusive():
    values = validate_scores(RUBRIC, {"feasibility": 0, "impact": 10, "novelty": 10.0})
    assert values[1] == CriterionValue("impact", 10.0, 10.0)


def test_recusal_rules():
    assert recusal_reason("van-dinh", "van-dinh") == "same_unit"
    assert recusal_reason("van-dinh", "cao-thanh") is None
    assert recusal_reason(None, "cao-thanh") is None  # a judge from no unit
    assert recusal_reason("van-dinh", None) is None  # anonymous essays
    assert recusal_reason("van-dinh", "cao-thanh", declared=True) == "declared"
    assert recusal_reason(None, None, declared=True) == "declared"
    assert recusal_reason("van-dinh", "van-dinh", declared=True) == "same_unit"


def test_revisions_count_up_from_one():
    assert next_revision([]) == 1
    assert next_revision([1]) == 2
    assert next_revision([3, 1, 2]) == 4


def test_latest_revision_wins_whatever_the_order():
    rows = [ScoreRow("j1", "ini-0001", r, float(r * 10)) for r in (1, 2, 3, 4)]
    rows += [ScoreRow("j2", "ini-0001", 1, 50.0), ScoreRow("j1", "ini-0002", 1, 60.0)]
    for seed in range(10):
        random.Random(seed).shuffle(rows)
        latest = latest_per_judge(rows)
        assert latest[("j1", "ini-0001")].revision == 4 and latest[("j1", "ini-0001")].total == 40.0
        assert latest[("j2", "ini-0001")].total == 50.0 and latest[("j1", "ini-0002")].total == 60.0


def test_spread_and_outliers():
    s = spread({"j1": 70.0, "j2": 72.0, "j3": 20.0}, threshold=20)
    assert s.count == 3 and s.minimum == 20.0 and s.maximum == 72.0 and s.mean == 54.0
    assert s.outliers == ("j3",)
    assert spread({"j1": 10.0, "j2": 90.0}, threshold=20).outliers == ()  # too few judges to tell
    assert spread({}, threshold=20).mean is None


def test_initiative_life_cycle():
    assert check_transition("draft", "submit") == "submitted"
    assert check_transition("returned", "edit") == "returned"
    assert check_transition("submitted", "approve") == "approved"
    assert check_transition("approved", "withdraw") == "withdrawn"
    assert check_transition("withdrawn", "approve") == "approved"
    for status, action in [("submitted", "edit"), ("approved", "edit"), ("draft", "approve"),
                           ("approved", "submit"), ("draft", "withdraw"), ("approved", "return")]:
        with pytest.raises(ContestError) as err:
            check_transition(status, action)
        assert err.value.status == 409


def test_ids_are_stable_slugs():
    assert initiative_id(42) == "ini-0042" and initiative_id(12345) == "ini-12345"


def test_phase_window():
    now = datetime(2025, 3, 1, tzinfo=UTC)
    phase = Phase(id="initiatives", kind="initiatives", name="Sáng kiến", opens_at=now - timedelta(days=1),
                  closes_at=now + timedelta(days=1))
    assert phase_state(phase, now) == "open"
    assert phase_state(phase, now + timedelta(days=1)) == "closed"  # closes_at is exclusive
    assert phase_state(phase, now - timedelta(days=2)) == "upcoming"
    with pytest.raises(ContestError) as err:
        require_open(phase, now + timedelta(days=2), "chấm điểm")
    assert (err.value.status, err.value.code) == (409, "phase_closed")


def test_each_phase_scores_with_its_own_rubric():
    raw = contest_dict()
    raw.pop("units_file")
    contest = parse_contest({**raw, "units": [{"id": "van-dinh", "name": "Thị trấn Vân Đình"}]})
    assert target_for(contest, "initiatives").rubric == contest.initiatives.rubric
    stage = target_for(contest, "stage")
    assert stage.rubric == contest.stage.rubric and stage.subject_type == "initiative"
    essays = target_for(contest, "quiz")
    assert essays.subject_type == "attempt" and essays.rubric == contest.essay_rubric()
    with pytest.raises(ContestError) as err:
        target_for(contest, "nope")
    assert err.value.status == 404
