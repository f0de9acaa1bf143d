"""The checker's own rules on hand-made facts (so a passing audit means something), and its diff
catching each kind of difference."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from shared.contest import parse_contest
from tests.audit.check import compare_board
from tests.audit.expected import Entry, engagement_consistency, expected_boards, ranked, utc_ms
from tests.audit.sources import Attempt, Facts, Score
from tools.demo_contest import DATA, contest_dict

T0 = datetime(2025, 1, 6, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội


def contest(**overrides):
    raw = contest_dict(**overrides)
    raw.pop("units_file", None)
    raw["units"] = json.loads((DATA / "units.json").read_text(encoding="utf-8"))["units"]
    raw["units"][0]["population"] = 10_000
    raw["quiz"] = {**raw["quiz"], "bank_file": None}
    return parse_contest(raw)


def attempt(aid, pid, score, *, unit="van-dinh", minutes=0, duration=60_000, round_id="week-2", prediction=None):
    return Attempt(aid, pid, f"Người {pid}", unit, round_id, T0 + timedelta(minutes=minutes), duration, 10, 20,
                   score, prediction)


def test_competition_ranks_share_and_skip():
    es = ranked([Entry("a", 9, (-9,)), Entry("b", 8, (-8,)), Entry("c", 8, (-8,)), Entry("d", 7, (-7,))])
    assert [(e.entrant_id, e.rank) for e in es] == [("a", 1), ("b", 2), ("c", 2), ("d", 4)]


def test_best_attempt_per_participant_then_duration_then_submission():
    c = contest()
    facts = Facts(attempts=[
        attempt("a1", "p1", 80), attempt("a2", "p1", 90, minutes=5),
        attempt("a3", "p2", 90, duration=50_000, minutes=1),
        attempt("a4", "p3", 90, duration=50_000, minutes=2),
    ])
    board = expected_boards(c, facts)["quiz.individual.all"]
    chosen = {utc_ms(a.submitted_at): a.attempt_id for a in facts.attempts}
    assert [(e.entrant_id, e.rank, chosen[e.details["submitted_at"]]) for e in board] == [
        ("p2", 1, "a3"), ("p3", 2, "a4"), ("p1", 3, "a2")]


def test_essay_adds_weight_times_mean_of_each_judges_latest_total():
    c = contest()  # essay_weight 0.2
    facts = Facts(attempts=[attempt("a1", "p1", 50)], scores=[
        Score("j1", "quiz", "attempt", "a1", 1, 40), Score("j1", "quiz", "attempt", "a1", 2, 60),
        Score("j2", "quiz", "attempt", "a1", 1, 80)])
    (entry,) = expected_boards(c, facts)["quiz.individual.all"]
    assert entry.score == 50 + 0.2 * 70


def test_unit_board_counts_people_attempts_and_mean_best():
    c = contest()
    facts = Facts(attempts=[attempt("a1", "p1", 80), attempt("a2", "p1", 90, minutes=1),
                            attempt("a3", "p2", 70, minutes=2)])
    (unit,) = expected_boards(c, facts)["quiz.unit.all"]
    assert unit.entrant_id == "van-dinh" and unit.score == 80.0
    assert unit.details == {"participants": 2, "attempts": 3, "per_1000_residents": 0.2}


def test_day_and_round_windows_use_local_time():
    c = contest()
    late = Attempt("a1", "p1", "P", "van-dinh", "week-2", datetime(2025, 1, 6, 18, 30, tzinfo=UTC), 1, 1, 1, 5.0,
                   None)  # 01:30 on the 7th in Hà Nội
    boards = expected_boards(c, Facts(attempts=[late]))
    assert [e.entrant_id for e in boards["quiz.individual.day-2025-01-07"]] == ["p1"]
    assert "quiz.individual.day-2025-01-06" not in boards
    assert boards["quiz.individual.round-week-1"] == []


def test_initiatives_blend_judges_and_engagement_and_drop_withdrawn():
    c = contest()  # judges 0.7, engagement 0.3; like 1, share 3, comment 2
    facts = Facts(
        initiatives={"ini-1": {"status": "approved"}, "ini-2": {"status": "approved"},
                     "ini-3": {"status": "withdrawn"}, "ini-4": {"status": "draft"}},
        scores=[Score("j1", "initiatives", "initiative", "ini-1", 1, 80),
                Score("j2", "initiatives", "initiative", "ini-1", 1, 60),
                Score("j1", "initiatives", "initiative", "ini-3", 1, 99)],
        likes={("ini-1", "facebook"): 2, ("ini-2", "zalo"): 4},
        actions={("ini-2", "facebook", "share"): 2, ("ini-2", "facebook", "view"): 50})
    board = {e.entrant_id: e for e in expected_boards(c, facts)["initiatives.entry.all"]}
    assert set(board) == {"ini-1", "ini-2"}
    # ini-2: 4 + 6 = 10 points (views weigh 0) = 100; ini-1: 2 points = 20
    assert board["ini-2"].score == 30.0
    assert board["ini-1"].score == round(0.7 * 70 + 0.3 * 20, 4)


def test_stage_trimmed_mean_from_five_judges():
    c = contest()
    scores = [Score(f"j{i}", "stage", "initiative", "ini-1", 1, v) for i, v in enumerate([50, 70, 72, 74, 99])]
    scores.append(Score("j0", "stage", "initiative", "ini-1", 2, 60))  # a revision replaces 50
    (e,) = expected_boards(c, Facts(scores=scores))["stage.entry.all"]
    assert e.score == 72.0 and e.details["judge_count"] == 5


def test_engagement_running_totals_must_match_per_actor_state():
    facts = Facts(likes={("ini-1", "facebook"): 3}, actions={("ini-1", "zalo", "share"): 1},
                  content_stats={"ini-1": {"likes": 4, "shares": 1, "comments": 0, "views": 0}})
    (problem,) = engagement_consistency(facts)
    assert "ini-1" in problem


def test_compare_board_reports_entrant_expected_and_actual():
    want = ranked([Entry("p1", 90.0, (-90.0,)), Entry("p2", 80.0, (-80.0,)), Entry("p3", 70.0, (-70.0,))])
    body = {"total": 3, "entries": [
        {"rank": 1, "entrant_id": "p1", "score": 90.0, "details": {}},
        {"rank": 2, "entrant_id": "p2", "score": 80.5, "details": {}},
        {"rank": 3, "entrant_id": "p9", "score": 70.0, "details": {}},
    ]}
    diffs = {(d.entrant_id, d.what): (d.expected, d.actual) for d in compare_board("b", want, body)}
    assert diffs[("p2", "score")] == (80.0, 80.5)
    assert ("p3", "missing entry") in diffs and ("p9", "unexpected entry") in diffs
    assert compare_board("b", want, {"total": 3, "entries": [
        {"rank": i + 1, "entrant_id": e.entrant_id, "score": e.score + 0.0001, "details": {}}
        for i, e in enumerate(want)]}) == []
