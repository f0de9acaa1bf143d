"""Ranking semantics as pure functions (DESIGN §5), table-driven."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.ranking import domain as d

T0 = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("a", "b", "prediction", "expected"),
    [
        # score desc wins over everything
        ((90, 5, 300, 0), (80, 0, 100, 0), True, "a"),
        # equal score: closer prediction first
        ((80, 2, 300, 0), (80, 5, 100, 0), True, "a"),
        # equal score and distance: shorter duration first
        ((80, 2, 200, 0), (80, 2, 300, 0), True, "a"),
        # all equal but submission: earlier first
        ((80, 2, 200, 10), (80, 2, 200, 5), True, "b"),
        # distance is ignored when the free question is not a prediction
        ((80, 9, 200, 0), (80, 1, 300, 0), False, "a"),
        # no prediction given sorts after any distance
        ((80, float("inf"), 100, 0), (80, 1000, 300, 0), True, "b"),
    ],
)
def test_individual_ordering_tie_breakers(a, b, prediction, expected):
    def key(t):
        return d.individual_key(t[0], t[1], t[2], T0 + timedelta(seconds=t[3]), prediction=prediction)

    first = "a" if key(a) < key(b) else "b"
    assert first == expected


def test_true_ties_share_a_rank():
    keys = sorted([(-90.0,), (-80.0,), (-80.0,), (-70.0,), (-70.0,), (-70.0,), (-10.0,)])
    assert d.competition_ranks(keys) == [1, 2, 2, 4, 4, 4, 7]


def test_float_noise_is_still_a_tie():
    assert d.individual_key(0.1 + 0.2, 0, 1, T0, prediction=False) == d.individual_key(0.3, 0, 1, T0, prediction=False)


@pytest.mark.parametrize(
    ("utc", "day"),
    [
        (datetime(2025, 1, 6, 16, 59, 59, tzinfo=UTC), "day-2025-01-06"),  # 23:59:59 in Hà Nội
        (datetime(2025, 1, 6, 17, 0, 0, tzinfo=UTC), "day-2025-01-07"),  # midnight in Hà Nội
        (datetime(2025, 1, 6, 0, 30, tzinfo=UTC), "day-2025-01-06"),
        (datetime(2025, 1, 5, 23, 30, tzinfo=UTC), "day-2025-01-06"),  # already the 6th locally
    ],
)
def test_day_windows_across_midnight(utc, day):
    assert d.quiz_windows(utc, "week-1", TZ) == ("all", "round-week-1", day)


@pytest.mark.parametrize(
    ("values", "rule", "expected"),
    [
        ([70, 80, 90], "trimmed_mean", 80.0),  # 3 judges < 5: plain mean
        ([10, 70, 80, 90, 100], "trimmed_mean", 80.0),  # drop 10 and 100
        ([0, 60, 70, 80, 90, 95, 100], "trimmed_mean", 79.0),  # drop 0 and 100 → mean of 5
        ([10, 70, 80, 90, 100], "mean", 70.0),
        ([], "mean", 0.0),
    ],
)
def test_stage_aggregation(values, rule, expected):
    assert d.aggregate_stage(values, rule, 5) == pytest.approx(expected)


def test_trimmed_mean_threshold_is_configurable():
    assert d.trimmed_mean([10, 50, 90], 3) == 50.0
    assert d.trimmed_mean([10, 50, 60, 90], 5) == pytest.approx(52.5)


def test_blended_initiative_score():
    counts = {"portal": {"like": 10, "share": 2, "comment": 1, "view": 100},
              "facebook": {"like": 5, "share": 0, "comment": 0, "view": 0}}
    weights = {"like": 1.0, "share": 3.0, "comment": 2.0, "view": 0.0}
    points = d.engagement_points(counts, weights)
    assert points == 10 + 6 + 2 + 5
    eng = d.engagement_score(points, 46)
    assert eng == pytest.approx(50.0)
    assert d.blended(80.0, eng, 0.7, 0.3) == pytest.approx(0.7 * 80 + 0.3 * 50)
    assert d.engagement_score(0, 0) == 0.0


def _like(actor, action, minute, src=None, platform="portal"):
    return d.engagement_action("ini-1", platform, actor, action, T0 + timedelta(minutes=minute), src or f"{actor}-{minute}")


@pytest.mark.parametrize(
    ("actions", "likes"),
    [
        ([("a", "like", 1)], 1),
        ([("a", "like", 1), ("a", "unlike", 2)], 0),
        ([("a", "unlike", 2), ("a", "like", 1)], 0),  # out of order: the later unlike still wins
        ([("a", "like", 3), ("a", "unlike", 2)], 1),
        ([("a", "unlike", 1)], 0),  # never below zero
        ([("a", "unlike", 1), ("a", "unlike", 2), ("b", "like", 1)], 1),
        ([("a", "like", 1), ("a", "like", 2), ("b", "like", 1), ("b", "unlike", 5)], 1),
    ],
)
def test_like_unlike_netting_in_any_order(actions, likes):
    for perm in itertools.permutations(actions):
        state: dict = {}
        for actor, action, minute in perm:
            state[actor] = d.merge_engagement(state.get(actor), _like(actor, action, minute))
        assert d.engagement_counts(state.values()).get("portal", {"like": 0})["like"] == likes


def test_shares_and_comments_count_per_action():
    state = None
    for x in [_like("a", "share", 1), _like("a", "share", 2), _like("a", "comment", 3), _like("a", "view", 4)]:
        state = d.merge_engagement(state, x)
    assert (state.shares, state.comments, state.views, state.liked) == (2, 1, 1, False)


def test_revisions_out_of_order_highest_wins():
    scores = [d.JudgeTotal("stage", "initiative", "ini-1", "j1", rev, total)
              for rev, total in [(1, 50.0), (3, 90.0), (2, 70.0)]] + [
        d.JudgeTotal("stage", "initiative", "ini-1", "j2", 1, 60.0)]
    for _ in range(5):
        random.shuffle(scores)
        latest = d.latest_totals(scores)
        assert {j: t.total for j, t in latest.items()} == {"j1": 90.0, "j2": 60.0}


def test_board_ids_parse():
    assert str(d.parse_board_id("quiz.individual.round-week-1")) == "quiz.individual.round-week-1"
    assert d.parse_board_id("quiz.individual.day-2025-02-30") is None
    assert d.parse_board_id("nope") is None
    assert d.parse_board_id("quiz.unit.day-2025-01-06").window == "day-2025-01-06"


def test_search_folds_case_and_diacritics_on_both_sides():
    from services.ranking.domain import fold

    assert fold("Kiểm Thử") == "kiem thu" == fold("kiem  THU")
    assert fold("Đỗ Thị Ngọc Ánh") == "do thi ngoc anh"
    assert fold("Xã Đại Hùng") == fold("xa dai hung")
    assert "kiem thu" in fold("Nguyễn Kiểm Thử") and "kiểm" not in fold("Kiểm")
