"""Prize tiers over a frozen board: ties by rank, a tie across a prize boundary is never decided
silently, an organizer's decision settles it; the canonical content and its hash are stable."""

from __future__ import annotations

import pytest

from services.ranking import prizes
from services.ranking.domain import competition_ranks
from shared.contest import BoardPrizes

DEMO = BoardPrizes(board_id="quiz.individual.round-week-1", title="Tuần 1", tiers=[
    {"id": "first", "name": "Giải Nhất", "count": 1}, {"id": "second", "name": "Giải Nhì", "count": 2},
    {"id": "third", "name": "Giải Ba", "count": 3}, {"id": "consolation", "name": "Giải Khuyến khích", "count": 10}])
SMALL = BoardPrizes(board_id="quiz.unit.all", tiers=[{"id": "first", "name": "Giải Nhất", "count": 1},
                                                    {"id": "second", "name": "Giải Nhì", "count": 2}])


def board(scores: list[float]) -> list[dict]:
    """Entries in rank order with competition ranks computed from the scores (the board's rule)."""
    ranks = competition_ranks([-s for s in scores])
    return [{"rank": r, "entrant_id": f"p{i}", "display_name": f"Người {i}", "unit_id": "van-dinh", "score": s,
             "details": {}} for i, (r, s) in enumerate(zip(ranks, scores, strict=True))]


def tiers_of(assignment: prizes.Assignment) -> list[str | None]:
    return [e["prize"] for e in assignment.entries]


CASES = [
    ("no ties", SMALL, [90, 80, 70, 60], ["first", "second", "second", None], []),
    ("tie inside a tier", SMALL, [90, 80, 80, 60], ["first", "second", "second", None], []),
    ("tie for first spills into second", SMALL, [90, 90, 70, 60], [None, None, "second", None],
     [(1, ("p0", "p1"), ("first", "second"))]),
    ("three tied for the last two second prizes", SMALL, [90, 80, 80, 80, 50], ["first", None, None, None, None],
     [(2, ("p1", "p2", "p3"), ("second", "second", None))]),
    ("tie for the last prize place", SMALL, [90, 80, 70, 70], ["first", "second", None, None],
     [(3, ("p2", "p3"), ("second", None))]),
    ("fewer entrants than prizes", DEMO, [50, 40], ["first", "second"], []),
    ("two boundaries", SMALL, [90, 90, 80, 80], [None, None, None, None],
     [(1, ("p0", "p1"), ("first", "second")), (3, ("p2", "p3"), ("second", None))]),
]


@pytest.mark.parametrize(("name", "declared", "scores", "expected", "conflicts"), CASES, ids=[c[0] for c in CASES])
def test_prize_tiers_with_ties(name, declared, scores, expected, conflicts):
    got = prizes.assign(board(scores), declared, [])
    assert tiers_of(got) == expected
    assert [(c.rank, c.entrant_ids, c.slots) for c in got.conflicts] == conflicts
    undecided = {eid for c in got.conflicts for eid in c.entrant_ids}
    assert {e["entrant_id"] for e in got.entries if e.get("undecided_tie")} == undecided


def test_the_demo_tiers_fill_in_order():
    got = prizes.assign(board([100 - i for i in range(20)]), DEMO, [])
    assert tiers_of(got) == ["first"] + ["second"] * 2 + ["third"] * 3 + ["consolation"] * 10 + [None] * 4
    assert got.conflicts == []


def test_a_recorded_decision_settles_the_boundary_tie_in_its_order():
    entries = board([90, 80, 80, 80, 50])
    decision = prizes.Decision(("p3", "p1", "p2"), "Bốc thăm công khai trước Hội đồng", "Trưởng ban", "2025-01-14T08:00:00Z")
    got = prizes.assign(entries, SMALL, [decision])
    assert tiers_of(got) == ["first", "second", None, "second", None]
    assert got.conflicts == [] and got.applied == [decision]
    assert [e["rank"] for e in got.entries] == [1, 2, 2, 2, 5]  # the board's ranks are kept
    assert [e.get("decided_tie", False) for e in got.entries] == [False, True, True, True, False]


def test_a_decision_must_name_exactly_one_boundary_group():
    entries = board([90, 80, 80, 80, 50])
    assert prizes.check_decision(entries, SMALL, ["p3", "p1", "p2"]) is None
    assert prizes.check_decision(entries, SMALL, ["p1", "p2"]) is not None  # not the whole group
    assert prizes.check_decision(entries, SMALL, ["p0", "p4"]) is not None  # not a tie at all
    assert prizes.check_decision(entries, SMALL, ["p1", "p1", "p2"]) is not None
    # a decision for a different group does not apply
    other = prizes.Decision(("p1", "p2"), "?", "x", "t")
    assert prizes.assign(entries, SMALL, [other]).conflicts


def test_the_canonical_content_and_its_hash_are_stable(tmp_path):
    from shared.contest import load_contest
    from tools.demo_contest import contest_dict, write_contest

    contest = load_contest(write_contest(tmp_path / "c.yaml", contest_dict()))
    entries = board([90, 80, 70])
    entries[0]["details"] = {"distance": float("inf"), "correct": 18}
    a = prizes.content(contest, SMALL, "2025-01-13T00:00:00Z", prizes.assign(entries, SMALL, []))
    b = prizes.content(contest, SMALL, "2025-01-13T00:00:00Z", prizes.assign(list(reversed(entries))[::-1], SMALL, []))
    assert prizes.canonical(a) == prizes.canonical(b)
    assert a["entries"][0]["details"]["distance"] is None  # JSON has no infinity
    assert a["entries"][0]["unit_name"] == "Thị trấn Vân Đình"
    text = prizes.canonical(a)
    import json
    assert prizes.sha256(prizes.canonical(json.loads(text))) == prizes.sha256(text)
    assert "Người 0".encode() in text  # UTF-8, not \\u escapes
    code = prizes.certificate_code(prizes.sha256(text), "p0")
    assert len(code) == 10 and code.isalnum() and code == prizes.certificate_code(prizes.sha256(text), "p0")
    assert code != prizes.certificate_code(prizes.sha256(text), "p1")


@pytest.mark.parametrize(("prizes_field", "message"), [
    ([{"board_id": "quiz.unit.all", "tiers": [{"id": "a", "name": "A", "count": 1}]}] * 2,
     "duplicate prizes board_id 'quiz.unit.all'"),
    ([{"board_id": "not a board", "tiers": [{"id": "a", "name": "A", "count": 1}]}], "prizes.0.board_id"),
    ([{"board_id": "quiz.unit.all", "tiers": []}], "prizes.0.tiers"),
    ([{"board_id": "quiz.unit.all", "tiers": [{"id": "a", "name": "A", "count": 0}]}], "prizes.0.tiers.0.count"),
    ([{"board_id": "quiz.unit.all", "tiers": [{"id": "a", "name": "A", "count": 1}, {"id": "a", "name": "B", "count": 1}]}],
     "duplicate prize tier id 'a'"),
])
def test_the_contest_file_refuses_bad_prizes(prizes_field, message):
    from shared.contest import ContestFileError, parse_contest
    from tools.demo_contest import contest_dict

    raw = {**{k: v for k, v in contest_dict().items() if k != "units_file"},
           "units": [{"id": "van-dinh", "name": "Thị trấn Vân Đình"}], "prizes": prizes_field}
    with pytest.raises(ContestFileError) as exc:
        parse_contest(raw)
    assert message in str(exc.value)
