"""The in-memory boards fed with facts: best attempts, essays, units, prediction, initiatives, stage."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from services.ranking import domain as d
from services.ranking.index import RankingIndex
from shared.contest import parse_contest
from tools.demo_contest import contest_dict

NOW = datetime(2025, 1, 10, 3, 0, tzinfo=UTC)


def contest(kind="essay", **over):
    raw = contest_dict(NOW, free_kind=kind)
    raw.pop("units_file")
    raw["units"] = [{"id": "u1", "name": "Xã Một", "population": 2000}, {"id": "u2", "name": "Xã Hai"}]
    raw["quiz"]["bank_file"] = None
    raw.update(over)
    return parse_contest(raw)


def att(aid, pid, score, *, dur=100_000, minute=0, rnd="week-2", unit="u1", pred=None):
    return d.Attempt(aid, pid, f"Người {pid}", unit, "quiz", rnd, NOW + timedelta(minutes=minute),
                     dur, int(score // 5), 20, float(score), pred)


def top(index, board_id):
    index.refresh(force=True)
    return [(e["rank"], e["entrant_id"], e["score"]) for e in index.boards[board_id].snapshot()]


def test_best_attempt_replacement_and_ties():
    ix = RankingIndex(contest(), reference_refresh_seconds=0)
    ix.add_attempts([att("a1", "p1", 60), att("a2", "p2", 80, dur=90_000), att("a3", "p3", 80, dur=90_000)])
    assert top(ix, "quiz.individual.all")[0][0] == 1
    # p1 improves: best attempt replaced
    ix.add_attempts([att("a4", "p1", 85, minute=5)])
    # p3's worse attempt changes nothing
    ix.add_attempts([att("a5", "p3", 10, minute=6)])
    rows = top(ix, "quiz.individual.all")
    assert rows[0] == (1, "p1", 85.0)
    # p2 and p3: same score, same duration, p3 submitted... both at minute 0 → a true tie
    assert rows[1][0] == rows[2][0] == 2
    assert ix.best_attempt("quiz.individual.all", "p1") == "a4"
    assert "attempt_id" not in ix.boards["quiz.individual.all"].rows["p1"].explain()  # public: no essay key


def test_duration_then_submission_break_ties():
    ix = RankingIndex(contest(), reference_refresh_seconds=0)
    ix.add_attempts([att("a1", "p1", 80, dur=200_000), att("a2", "p2", 80, dur=100_000, minute=3),
                     att("a3", "p3", 80, dur=100_000, minute=1)])
    assert [r[1] for r in top(ix, "quiz.individual.all")] == ["p3", "p2", "p1"]
    assert [r[0] for r in top(ix, "quiz.individual.all")] == [1, 2, 3]


def test_essay_scores_add_per_weight_and_can_change_best():
    ix = RankingIndex(contest(), reference_refresh_seconds=0)
    ix.add_judge_totals([d.JudgeTotal("quiz", "attempt", "a1", "j1", 1, 50.0)])  # before its attempt
    ix.add_attempts([att("a1", "p1", 70), att("a2", "p1", 75, minute=5), att("a3", "p2", 78)])
    ix.add_judge_totals([d.JudgeTotal("quiz", "attempt", "a1", "j2", 2, 70.0),
                         d.JudgeTotal("quiz", "attempt", "a1", "j2", 1, 10.0)])
    rows = top(ix, "quiz.individual.all")
    # a1: 70 + 0.2 × mean(50, 70) = 82 beats a2 (75) and p2 (78)
    assert rows[0] == (1, "p1", 82.0)
    details = ix.boards["quiz.individual.all"].rows["p1"].explain()
    assert ix.best_attempt("quiz.individual.all", "p1") == "a1"
    assert details["essay_judges"] == {"j1": 50.0, "j2": 70.0}


def test_windows_rounds_days_and_units():
    ix = RankingIndex(contest(), reference_refresh_seconds=0)
    late = datetime(2025, 1, 10, 17, 30, tzinfo=UTC)  # 00:30 on 11 Jan in Hà Nội
    ix.add_attempts([att("a1", "p1", 60, rnd="week-1"), att("a2", "p2", 40, unit="u2"),
                     d.Attempt("a3", "p1", "Người p1", "u1", "quiz", "week-2", late, 1000, 18, 20, 90.0, None)])
    assert [r[1] for r in top(ix, "quiz.individual.round-week-1")] == ["p1"]
    assert top(ix, "quiz.individual.day-2025-01-11") == [(1, "p1", 90.0)]
    assert top(ix, "quiz.individual.day-2025-01-10")[0] == (1, "p1", 60.0)
    unit = ix.boards["quiz.unit.all"].rows["u1"]
    assert unit.details == {"participants": 1, "attempts": 2, "mean_best_score": 90.0, "population": 2000,
                            "per_1000_residents": 0.5}
    assert [r[1] for r in top(ix, "quiz.unit.all")] == ["u1", "u2"]


def test_prediction_reference_provisional_then_final():
    ix = RankingIndex(contest("prediction"), reference_refresh_seconds=0)
    ix.add_attempts([att("a1", "p1", 80, pred=3), att("a2", "p2", 80, pred=10), att("a3", "p3", 80, pred=None)])
    # provisional reference = 3 participants in week-2: p1 is exact
    assert [r[1] for r in top(ix, "quiz.individual.all")] == ["p1", "p2", "p3"]
    ix.set_reference("week-2", 9.0)
    assert [r[1] for r in top(ix, "quiz.individual.all")] == ["p2", "p1", "p3"]
    details = ix.boards["quiz.individual.all"].rows["p2"].explain()
    assert details["reference"] == 9.0 and details["reference_final"] and details["distance"] == 1.0


def test_initiatives_blend_and_stage_trimmed():
    ix = RankingIndex(contest(), reference_refresh_seconds=0)
    ix.set_meta([d.InitiativeMeta("ini-1", "initiatives", "Sổ tay số", "u1", "kinh-te-so", "published", 1),
                 d.InitiativeMeta("ini-2", "initiatives", "Chợ 4.0", "u2", "kinh-te-so", "published", 1)])
    ix.add_judge_totals([d.JudgeTotal("initiatives", "initiative", "ini-1", "j1", 1, 80.0),
                         d.JudgeTotal("initiatives", "initiative", "ini-1", "j2", 1, 60.0),
                         d.JudgeTotal("initiatives", "initiative", "ini-2", "j1", 1, 70.0)])
    ix.add_engagement([d.engagement_action("ini-2", "portal", f"x{i}", "like", NOW, f"s{i}") for i in range(4)]
                      + [d.engagement_action("ini-1", "zalo", "y", "share", NOW, "z1")])
    rows = top(ix, "initiatives.entry.all")
    # ini-1: 0.7×70 + 0.3×(100×3/4) = 71.5 ; ini-2: 0.7×70 + 0.3×100 = 79
    assert rows == [(1, "ini-2", 79.0), (2, "ini-1", 71.5)]
    assert ix.boards["initiatives.entry.all"].rows["ini-2"].explain()["engagement"]["portal"]["like"] == 4
    ix.set_meta([d.InitiativeMeta("ini-2", "initiatives", "Chợ 4.0", "u2", "kinh-te-so", "withdrawn", 2)])
    assert [r[1] for r in top(ix, "initiatives.entry.all")] == ["ini-1"]
    stage = [d.JudgeTotal("stage", "initiative", "ini-1", f"j{i}", 1, v) for i, v in enumerate([10, 70, 80, 90, 100])]
    ix.add_judge_totals(stage)
    assert top(ix, "stage.entry.all") == [(1, "ini-1", 80.0)]
    assert ix.boards["stage.entry.all"].rows["ini-1"].explain()["dropped"] == [10, 100]


def _facts(seed):
    rng = random.Random(seed)
    attempts = [att(f"a{i}", f"p{i % 40}", rng.choice([50, 60, 70, 80]), dur=rng.randint(1, 5) * 1000,
                    minute=rng.randint(0, 3000), rnd=rng.choice(["week-1", "week-2"]),
                    unit=rng.choice(["u1", "u2"])) for i in range(120)]
    judges = [d.JudgeTotal(rng.choice(["quiz", "initiatives", "stage"]), "initiative", f"ini-{rng.randint(1, 6)}",
                           f"j{rng.randint(1, 6)}", rng.randint(1, 4), float(rng.randint(0, 100)))
              for _ in range(80)]
    judges = [j if j.phase_id != "quiz" else d.JudgeTotal("quiz", "attempt", f"a{rng.randint(0, 119)}",
                                                          j.judge_id, j.revision, j.total) for j in judges]
    eng = [d.engagement_action(f"ini-{rng.randint(1, 6)}", "portal", f"x{rng.randint(1, 8)}",
                               rng.choice(["like", "unlike", "share", "comment"]),
                               NOW + timedelta(seconds=rng.randint(0, 100)), f"s{i}") for i in range(200)]
    return attempts, judges, eng


def _state(ix):
    ix.refresh(force=True)
    return {b: board.snapshot() for b, board in ix.boards.items()}


@pytest.mark.parametrize("kind", ["essay", "prediction"])
def test_any_order_any_duplication_gives_the_same_boards(kind):
    attempts, judges, eng = _facts(7)
    ref = RankingIndex(contest(kind), reference_refresh_seconds=0)
    ref.add_attempts(attempts)
    ref.add_judge_totals(judges)
    ref.add_engagement(eng)
    expected = _state(ref)
    rng = random.Random(1)
    for _ in range(3):
        ix = RankingIndex(contest(kind), reference_refresh_seconds=0)
        items = [("j", x) for x in judges] + [("a", x) for x in attempts + attempts[:30]] + [("e", x) for x in eng]
        rng.shuffle(items)
        for chunk in range(0, len(items), 17):
            part = items[chunk:chunk + 17]
            ix.add_judge_totals([x for k, x in part if k == "j"])
            ix.add_engagement([x for k, x in part if k == "e"])
            ix.add_attempts([x for k, x in part if k == "a"])
        assert _state(ix) == expected
