"""The exact in-memory index of every board, fed with facts (from PostgreSQL at start-up, then from
each committed batch). Every update is a merge with the rules in `domain`, so applying the same
facts in any order, any number of times, gives the same boards."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from shared.contest import Contest
from shared.events import format_utc
from services.ranking import domain as d
from services.ranking.board import Board, Row


class RankingIndex:
    def __init__(self, contest: Contest, *, reference_refresh_seconds: float = 1.0) -> None:
        self.contest = contest
        self.tz = contest.tz
        quiz = contest.quiz
        self.quiz_phase = quiz.phase_id
        self.ini_phase = contest.initiatives.phase_id
        self.stage_phase = contest.stage.phase_id
        self.prediction = quiz.free_question.kind == "prediction"
        self.essay_weight = quiz.free_question.essay_weight if quiz.free_question.kind == "essay" else 0.0
        self.config_reference = quiz.free_question.reference_value
        self.refresh_seconds = reference_refresh_seconds
        self.boards: dict[str, Board] = {}
        self.attempts: dict[str, d.Attempt] = {}
        self.by_participant: dict[str, list[d.Attempt]] = {}
        self.essays: dict[str, dict[str, d.JudgeTotal]] = {}
        self.best: dict[tuple[str, str], tuple[tuple, d.Attempt, float]] = {}
        self.unit_stats: dict[tuple[str, str], list[float]] = {}  # (window, unit) -> [people, attempts, sum]
        self.round_people: dict[str, set[str]] = {}
        self.final_refs: dict[str, float] = {}
        self.judges: dict[tuple[str, str, str], dict[str, d.JudgeTotal]] = {}
        self.engagement: dict[tuple[str, str, str], d.ActorEngagement] = {}
        self.counts: dict[str, dict[str, dict[str, int]]] = {}
        self.meta: dict[str, d.InitiativeMeta] = {}
        self.ini_dirty = True
        self._units_touched: set[tuple[str, str]] = set()
        self.refs_used: dict[str, float | None] = {}
        self.refs_stale_since: float | None = None
        for window in self.quiz_windows():
            self.board(f"{self.quiz_phase}.individual.{window}")
            self.board(f"{self.quiz_phase}.unit.{window}")
        self.board(f"{self.ini_phase}.entry.all")
        self.board(f"{self.stage_phase}.entry.all")

    def quiz_windows(self) -> list[str]:
        return ["all"] + [f"round-{r.id}" for r in self.contest.quiz.rounds]

    def board(self, board_id: str) -> Board:
        b = self.boards.get(board_id)
        if b is None:
            b = self.boards[board_id] = Board(board_id)
        return b

    # --- prediction reference --------------------------------------------------------------
    def reference(self, round_id: str) -> tuple[float | None, bool]:
        """(value, final?): the organizers' value, else the config's, else the live count."""
        if round_id in self.final_refs:
            return self.final_refs[round_id], True
        if self.config_reference is not None:
            return self.config_reference, True
        people = len(self.round_people.get(round_id, ()))
        return (float(people) if people else None), False

    def set_reference(self, round_id: str, value: float | None) -> None:
        if value is None:
            self.final_refs.pop(round_id, None)
        else:
            self.final_refs[round_id] = value
        if self.prediction:
            self._recompute_quiz()

    def refresh(self, *, force: bool = False) -> None:
        """Bring lazily maintained parts up to date (called before reads and stream flushes)."""
        if self.ini_dirty:
            self._recompute_initiatives()
        if self.refs_stale_since is not None and (
            force or time.monotonic() - self.refs_stale_since >= self.refresh_seconds
        ):
            self._recompute_quiz()

    # --- quiz ------------------------------------------------------------------------------
    def essay_score(self, attempt_id: str) -> tuple[float | None, dict[str, float]]:
        judges = self.essays.get(attempt_id)
        if not judges:
            return None, {}
        totals = {j: t.total for j, t in judges.items()}
        return d.mean(list(totals.values())), totals

    def _score_key(self, a: d.Attempt) -> tuple[tuple, float]:
        essay, _ = self.essay_score(a.attempt_id)
        total = a.score + (self.essay_weight * essay if essay is not None else 0.0)
        distance = d.prediction_distance(a.prediction, self.refs_used.get(a.round_id)) if self.prediction else 0.0
        key = d.individual_key(total, distance, a.duration_ms, a.submitted_at, prediction=self.prediction)
        return key, total

    def add_attempts(self, attempts: Iterable[d.Attempt]) -> None:
        touched: set[str] = set()
        for a in attempts:
            if a.attempt_id in self.attempts or a.phase_id != self.quiz_phase:
                continue
            self.attempts[a.attempt_id] = a
            self.by_participant.setdefault(a.participant_id, []).append(a)
            people = self.round_people.setdefault(a.round_id, set())
            if a.participant_id not in people:
                people.add(a.participant_id)
                if self.prediction and a.round_id not in self.final_refs and self.config_reference is None:
                    self.refs_stale_since = self.refs_stale_since or time.monotonic()
            for w in d.quiz_windows(a.submitted_at, a.round_id, self.tz):
                self._unit_stat(w, a.unit_id)[1] += 1
                self._units_touched.add((w, a.unit_id))
            touched.add(a.participant_id)
        for pid in touched:
            self._recompute_participant(pid)
        self._flush_units()

    def _flush_units(self) -> None:
        touched, self._units_touched = self._units_touched, set()
        for w, unit_id in touched:
            self._touch_unit(w, unit_id)

    def add_essay_totals(self, totals: Iterable[d.JudgeTotal]) -> None:
        touched: set[str] = set()
        for t in totals:
            judges = self.essays.setdefault(t.subject_id, {})
            if d.newer_revision(judges.get(t.judge_id), t):
                judges[t.judge_id] = t
                a = self.attempts.get(t.subject_id)
                if a is not None:
                    touched.add(a.participant_id)
        for pid in touched:
            self._recompute_participant(pid)
        self._flush_units()

    def _unit_stat(self, window: str, unit_id: str) -> list[float]:
        s = self.unit_stats.get((window, unit_id))
        if s is None:
            s = self.unit_stats[(window, unit_id)] = [0, 0, 0.0]
        return s

    def _recompute_participant(self, pid: str) -> None:
        best: dict[str, tuple[tuple, d.Attempt, float]] = {}
        for a in self.by_participant.get(pid, ()):
            key, total = self._score_key(a)
            for w in d.quiz_windows(a.submitted_at, a.round_id, self.tz):
                cur = best.get(w)
                if cur is None or (key, a.attempt_id) < (cur[0], cur[1].attempt_id):
                    best[w] = (key, a, total)
        for w, (key, a, total) in best.items():
            old = self.best.get((w, pid))
            self.best[(w, pid)] = (key, a, total)
            self.board(f"{self.quiz_phase}.individual.{w}").put(pid, key, self._individual_row(a, total))
            if old is None:
                s = self._unit_stat(w, a.unit_id)
                s[0] += 1
                s[2] += total
                self._units_touched.add((w, a.unit_id))
            elif old[1].unit_id != a.unit_id or old[2] != total:
                s_old = self._unit_stat(w, old[1].unit_id)
                s_old[0] -= 1
                s_old[2] -= old[2]
                s_new = self._unit_stat(w, a.unit_id)
                s_new[0] += 1
                s_new[2] += total
                self._units_touched.add((w, old[1].unit_id))
                self._units_touched.add((w, a.unit_id))

    def _individual_row(self, a: d.Attempt, total: float) -> Row:
        ref = self.refs_used.get(a.round_id) if self.prediction else None
        return Row(a.participant_id, a.display_name, a.unit_id, d.rounded(total),
                   lazy=(self._individual_details, a, self.essays.get(a.attempt_id, {}).copy(), ref))

    def _individual_details(self, a: d.Attempt, _essays: dict, ref: float | None) -> dict[str, Any]:
        essay, judges = self.essay_score(a.attempt_id)
        details: dict[str, Any] = {
            "attempt_id": a.attempt_id, "round_id": a.round_id, "correct": a.correct, "total": a.total,
            "quiz_score": a.score, "duration_ms": a.duration_ms, "submitted_at": format_utc(a.submitted_at),
        }
        if self.essay_weight:
            details.update(essay_score=None if essay is None else d.rounded(essay), essay_judges=judges,
                           essay_weight=self.essay_weight,
                           essay_points=0.0 if essay is None else d.rounded(self.essay_weight * essay))
        if self.prediction:
            dist = d.prediction_distance(a.prediction, ref)
            details.update(prediction=a.prediction, reference=ref,
                           reference_final=self.reference(a.round_id)[1],
                           distance=None if dist == float("inf") else d.rounded(dist))
        return details

    def _touch_unit(self, window: str, unit_id: str) -> None:
        people, attempts, total = self._unit_stat(window, unit_id)
        board = self.board(f"{self.quiz_phase}.unit.{window}")
        if attempts <= 0:
            board.drop(unit_id)
            return
        unit = self.contest.units_by_id.get(unit_id)
        population = unit.population if unit else None
        mean_best = d.rounded(total / people) if people else 0.0
        row = Row(unit_id, unit.name if unit else unit_id, unit_id, mean_best, {
            "participants": int(people), "attempts": int(attempts), "mean_best_score": mean_best,
            "population": population, "per_1000_residents": d.per_thousand(int(people), population),
        })
        board.put(unit_id, d.unit_key(mean_best, int(people)), row)

    def _recompute_quiz(self) -> None:
        """Full recompute (the prediction reference moved): re-key every best attempt."""
        self.refs_stale_since = None
        self.refs_used = {r: self.reference(r)[0] for r in self.round_people}
        self.best.clear()
        self.unit_stats.clear()
        per_board: dict[str, list[tuple[str, tuple, Row]]] = {}
        for a in self.attempts.values():
            for w in d.quiz_windows(a.submitted_at, a.round_id, self.tz):
                self._unit_stat(w, a.unit_id)[1] += 1
        for pid, attempts in self.by_participant.items():
            for a in attempts:
                key, total = self._score_key(a)
                for w in d.quiz_windows(a.submitted_at, a.round_id, self.tz):
                    cur = self.best.get((w, pid))
                    if cur is None or (key, a.attempt_id) < (cur[0], cur[1].attempt_id):
                        self.best[(w, pid)] = (key, a, total)
        for (w, pid), (key, a, total) in self.best.items():
            per_board.setdefault(f"{self.quiz_phase}.individual.{w}", []).append(
                (pid, key, self._individual_row(a, total)))
            s = self._unit_stat(w, a.unit_id)
            s[0] += 1
            s[2] += total
        prefix = f"{self.quiz_phase}.individual."
        for board_id in set(per_board) | {b for b in self.boards if b.startswith(prefix)}:
            self.board(board_id).replace_all(per_board.get(board_id, []))
        for (w, unit_id) in list(self.unit_stats):
            self._touch_unit(w, unit_id)

    # --- initiatives and stage -------------------------------------------------------------
    def add_judge_totals(self, totals: Iterable[d.JudgeTotal]) -> None:
        essays: list[d.JudgeTotal] = []
        stage: set[str] = set()
        for t in totals:
            if t.subject_type == "attempt":
                if t.phase_id == self.quiz_phase:
                    essays.append(t)
                continue
            judges = self.judges.setdefault((t.phase_id, t.subject_type, t.subject_id), {})
            if not d.newer_revision(judges.get(t.judge_id), t):
                continue
            judges[t.judge_id] = t
            if t.phase_id == self.ini_phase:
                self.ini_dirty = True
            elif t.phase_id == self.stage_phase:
                stage.add(t.subject_id)
        if essays:
            self.add_essay_totals(essays)
        for sid in stage:
            self._recompute_stage(sid)

    def add_engagement(self, deltas: Iterable[d.ActorEngagement]) -> None:
        for delta in deltas:
            k = (delta.content_id, delta.platform, delta.actor_id)
            old = self.engagement.get(k)
            new = d.merge_engagement(old, delta)
            self.engagement[k] = new
            per = self.counts.setdefault(delta.content_id, {}).setdefault(
                delta.platform, {"like": 0, "share": 0, "comment": 0, "view": 0})
            per["like"] += int(new.liked) - int(bool(old and old.liked))
            per["share"] += delta.shares
            per["comment"] += delta.comments
            per["view"] += delta.views
            self.ini_dirty = True

    def set_meta(self, metas: Iterable[d.InitiativeMeta]) -> None:
        for m in metas:
            if d.newer_meta(self.meta.get(m.initiative_id), m):
                self.meta[m.initiative_id] = m
                self.ini_dirty = True
                if (self.stage_phase, "initiative", m.initiative_id) in self.judges:
                    self._recompute_stage(m.initiative_id)

    def _names(self, sid: str) -> tuple[str, str | None, dict[str, Any]]:
        m = self.meta.get(sid)
        if m is None:
            return sid, None, {}
        return m.title, m.unit_id, {"title": m.title, "field": m.field}

    def _recompute_initiatives(self) -> None:
        self.ini_dirty = False
        rules = self.contest.initiatives
        ids = {sid for (phase, kind, sid) in self.judges if phase == self.ini_phase and kind == "initiative"}
        ids |= set(self.counts)
        ids |= {i for i, m in self.meta.items() if m.phase_id == self.ini_phase and m.status == "published"}
        ids = {i for i in ids if not (i in self.meta and self.meta[i].status == "withdrawn")}
        weights = dict(rules.action_weights)
        points = {i: d.engagement_points(self.counts.get(i, {}), weights) for i in ids}
        top = max(points.values(), default=0.0)
        items = []
        for sid in ids:
            judges = self.judges.get((self.ini_phase, "initiative", sid), {})
            judge = d.mean([t.total for t in judges.values()])
            eng = d.engagement_score(points[sid], top)
            final = d.rounded(d.blended(judge, eng, rules.weights.judges, rules.weights.engagement))
            name, unit, extra = self._names(sid)
            details = {
                **extra, "judge_score": d.rounded(judge),
                "judges": {j: {"total": t.total, "revision": t.revision} for j, t in sorted(judges.items())},
                "engagement": self.counts.get(sid, {}), "engagement_points": d.rounded(points[sid]),
                "max_engagement_points": d.rounded(top), "engagement_score": d.rounded(eng),
                "weights": {"judges": rules.weights.judges, "engagement": rules.weights.engagement},
            }
            items.append((sid, (-final,), Row(sid, name, unit, final, details)))
        self.board(f"{self.ini_phase}.entry.all").replace_all(items)

    def _recompute_stage(self, sid: str) -> None:
        rules = self.contest.stage
        judges = self.judges.get((self.stage_phase, "initiative", sid), {})
        board = self.board(f"{self.stage_phase}.entry.all")
        if not judges:
            board.drop(sid)
            return
        values = [t.total for t in judges.values()]
        score = d.rounded(d.aggregate_stage(values, rules.aggregation, rules.trim_min_judges))
        trimmed = rules.aggregation == "trimmed_mean" and len(values) >= max(rules.trim_min_judges, 3)
        name, unit, extra = self._names(sid)
        details = {
            **extra, "aggregation": "trimmed_mean" if trimmed else "mean", "judge_count": len(values),
            "judges": {j: {"total": t.total, "revision": t.revision} for j, t in sorted(judges.items())},
        }
        if trimmed:
            ordered = sorted(values)
            details["dropped"] = [ordered[0], ordered[-1]]
        board.put(sid, (-score,), Row(sid, name, unit, score, details))
