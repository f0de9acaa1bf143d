"""DESIGN §5 computed again, plainly, from the owners' facts: what every board must show.

Deliberately a separate implementation (no import from services/ranking): sort everything, group,
take means, rank with the standard competition rule.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.contest import Contest
from tests.audit.sources import Attempt, Facts, Score

DIGITS = 4


def r4(x: float) -> float:
    return round(x, DIGITS) + 0.0


@dataclass
class Entry:
    entrant_id: str
    score: float
    key: tuple
    details: dict[str, Any] = field(default_factory=dict)
    rank: int = 0


def ranked(entries: list[Entry]) -> list[Entry]:
    """Sort by key (then entrant id) and give competition ranks: 1, 2, 2, 4."""
    entries.sort(key=lambda e: (e.key, e.entrant_id))
    for i, e in enumerate(entries):
        e.rank = entries[i - 1].rank if i and e.key == entries[i - 1].key else i + 1
    return entries


def latest_by_judge(scores: list[Score]) -> dict[str, float]:
    """Each judge's total at their highest revision (on an equal revision, the higher total)."""
    best: dict[str, tuple[int, float]] = {}
    for s in scores:
        cur = best.get(s.judge_id)
        if cur is None or (s.revision, s.total) > cur:
            best[s.judge_id] = (s.revision, s.total)
    return {j: t for j, (_, t) in best.items()}


def utc_ms(t: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, as the boards show submission times."""
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def quiz_boards(contest: Contest, facts: Facts) -> dict[str, list[Entry]]:
    rules = contest.quiz
    phase = rules.phase_id
    fq = rules.free_question
    essay_weight = fq.essay_weight if fq.kind == "essay" else 0.0
    prediction = fq.kind == "prediction"
    essays: dict[str, list[Score]] = defaultdict(list)
    for s in facts.scores:
        if s.phase_id == phase and s.subject_type == "attempt":
            essays[s.subject_id].append(s)
    people_by_round: dict[str, set[str]] = defaultdict(set)
    for a in facts.attempts:
        people_by_round[a.round_id].add(a.participant_id)

    def reference(round_id: str) -> float | None:
        if round_id in facts.references:
            return facts.references[round_id]
        if fq.reference_value is not None:
            return fq.reference_value
        n = len(people_by_round.get(round_id, ()))
        return float(n) if n else None

    def total_of(a: Attempt) -> tuple[float, float | None]:
        judges = latest_by_judge(essays.get(a.attempt_id, []))
        essay = _mean(list(judges.values())) if judges else None
        return a.score + (essay_weight * essay if essay is not None else 0.0), essay

    windows: dict[str, list[Attempt]] = defaultdict(list)
    for a in facts.attempts:
        windows["all"].append(a)
        windows[f"round-{a.round_id}"].append(a)
        windows[f"day-{a.submitted_at.astimezone(contest.tz).date().isoformat()}"].append(a)
    for r in rules.rounds:
        windows.setdefault(f"round-{r.id}", [])

    boards: dict[str, list[Entry]] = {}
    for window, attempts in windows.items():
        best: dict[str, tuple[tuple, Attempt, float, float | None]] = {}
        for a in attempts:
            total, essay = total_of(a)
            gap = 0.0
            if prediction:
                ref = reference(a.round_id)
                gap = math.inf if a.prediction is None or ref is None else r4(abs(a.prediction - ref))
            key = (-r4(total), gap, a.duration_ms, a.submitted_at.timestamp())
            cur = best.get(a.participant_id)
            if cur is None or (key, a.attempt_id) < (cur[0], cur[1].attempt_id):
                best[a.participant_id] = (key, a, total, essay)
        # Public boards don't name attempts (item 5 of issue 12): round, submission time (ms) and
        # duration identify the chosen one among a participant's attempts.
        entries = [Entry(pid, r4(total), key, {"round_id": a.round_id, "submitted_at": utc_ms(a.submitted_at),
                                               "correct": a.correct, "duration_ms": a.duration_ms})
                   for pid, (key, a, total, _) in best.items()]
        boards[f"{phase}.individual.{window}"] = ranked(entries)
        per_unit: dict[str, list[float]] = defaultdict(list)
        attempts_per_unit: dict[str, int] = defaultdict(int)
        for a in attempts:
            attempts_per_unit[a.unit_id] += 1
        for _pid, (_key, a, total, _) in best.items():
            per_unit[a.unit_id].append(total)
        units = []
        for unit_id, n_attempts in attempts_per_unit.items():
            totals = per_unit.get(unit_id, [])
            mean_best = r4(sum(totals) / len(totals)) if totals else 0.0
            unit = contest.units_by_id.get(unit_id)
            pop = unit.population if unit else None
            units.append(Entry(unit_id, mean_best, (-mean_best, -len(totals)), {
                "participants": len(totals), "attempts": n_attempts,
                "per_1000_residents": r4(1000.0 * len(totals) / pop) if pop else None}))
        boards[f"{phase}.unit.{window}"] = ranked(units)
    return boards


def initiative_boards(contest: Contest, facts: Facts) -> dict[str, list[Entry]]:
    ini_rules, stage_rules = contest.initiatives, contest.stage
    ini_phase, stage_phase = ini_rules.phase_id, stage_rules.phase_id
    by_subject: dict[tuple[str, str], list[Score]] = defaultdict(list)
    for s in facts.scores:
        if s.subject_type == "initiative":
            by_subject[(s.phase_id, s.subject_id)].append(s)
    status = {i: row["status"] for i, row in facts.initiatives.items()}
    ids = {i for i, st in status.items() if st == "approved"}
    ids |= {sid for (phase, sid) in by_subject if phase == ini_phase}
    ids -= {i for i, st in status.items() if st == "withdrawn"}

    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))  # content -> action -> n
    for (content, _platform), n in facts.likes.items():
        counts[content]["like"] += n
    for (content, _platform, action), n in facts.actions.items():
        if action in ("share", "comment", "view"):
            counts[content][action] += n
    weights = dict(ini_rules.action_weights)
    points = {i: sum(n * weights.get(a, 0.0) for a, n in counts.get(i, {}).items()) for i in ids}
    top = max(points.values(), default=0.0)
    entries = []
    for i in ids:
        judges = latest_by_judge(by_subject.get((ini_phase, i), []))
        judge = _mean(list(judges.values()))
        eng = 100.0 * points[i] / top if top > 0 else 0.0
        final = r4(ini_rules.weights.judges * judge + ini_rules.weights.engagement * eng)
        entries.append(Entry(i, final, (-final,), {
            "judge_score": r4(judge), "engagement_points": r4(points[i]), "judge_count": len(judges)}))
    boards = {f"{ini_phase}.entry.all": ranked(entries)}

    stage = []
    for (phase, sid), scores in by_subject.items():
        if phase != stage_phase:
            continue
        values = sorted(latest_by_judge(scores).values())
        if stage_rules.aggregation == "trimmed_mean" and len(values) >= max(stage_rules.trim_min_judges, 3):
            values_used = values[1:-1]
        else:
            values_used = values
        score = r4(_mean(values_used))
        stage.append(Entry(sid, score, (-score,), {"judge_count": len(values)}))
    boards[f"{stage_phase}.entry.all"] = ranked(stage)
    return boards


def expected_boards(contest: Contest, facts: Facts) -> dict[str, list[Entry]]:
    return {**quiz_boards(contest, facts), **initiative_boards(contest, facts)}


def engagement_consistency(facts: Facts) -> list[str]:
    """Engagement's running totals (content_stats) must equal its own per-actor state: no double counts."""
    problems = []
    derived: dict[str, dict[str, int]] = defaultdict(lambda: {"likes": 0, "shares": 0, "comments": 0, "views": 0})
    for (content, _p), n in facts.likes.items():
        derived[content]["likes"] += n
    for (content, _p, action), n in facts.actions.items():
        col = {"share": "shares", "comment": "comments", "view": "views"}.get(action)
        if col:
            derived[content][col] += n
    for content in set(derived) | set(facts.content_stats):
        want = dict(derived.get(content, {"likes": 0, "shares": 0, "comments": 0, "views": 0}))
        have = facts.content_stats.get(content, {"likes": 0, "shares": 0, "comments": 0, "views": 0})
        if want != have:
            problems.append(f"engagement content_stats[{content}] = {have}, per-actor state gives {want}")
    return problems
