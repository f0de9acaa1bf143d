"""The exact in-memory index of every board, fed with facts (from PostgreSQL at start-up, then from
each committed batch). Every update is a merge with the rules in `domain`, so applying the same
facts in any order, any number of times, gives the same boards."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from services.ranking import domain as d
from services.ranking.board import Board, Row
from services.ranking.entries import EntryBoards
from shared.contest import Contest
from shared.events import format_utc


class RankingIndex(EntryBoards):
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
        self.unit_stats: dict[tuple[str, str], d.UnitStats] = {}  # (window, unit) -> its figures
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

    def set_reference(self, round_id: str, value: float | None, *, now: bool = True) -> None:
        """Set (or clear) the final reference; re-key now, or mark the quiz boards for the worker."""
        if value is None:
            self.final_refs.pop(round_id, None)
        else:
            self.final_refs[round_id] = value
        if self.prediction:
            if now:
                self._recompute_quiz()
            else:
                self.refs_stale_since = float("-inf")

    def refresh(self, *, force: bool = False) -> None:
        """Bring lazily maintained parts up to date (called before reads and stream flushes).

        A moved prediction reference is re-keyed here only when forced; the service lets its index
        worker do it in slices (`recompute_due` / `recompute_quiz_steps`) so reads never stall."""
        if self.ini_dirty:
            self._recompute_initiatives()
        if force and self.refs_stale_since is not None:
            self._recompute_quiz()

    def recompute_due(self) -> bool:
        since = self.refs_stale_since
        return since is not None and time.monotonic() - since >= self.refresh_seconds

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
                self._add_unit(self.unit_stats, w, a.unit_id, attempts=1)
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

    def _unit_stat(self, window: str, unit_id: str) -> d.UnitStats:
        return self.unit_stats.setdefault((window, unit_id), d.UnitStats())

    @staticmethod
    def _add_unit(stats: dict[tuple[str, str], d.UnitStats], window: str, unit_id: str, *,
                  people: int = 0, attempts: int = 0, best: float = 0.0) -> None:
        stats[(window, unit_id)] = stats.get((window, unit_id), d.UnitStats()).plus(people, attempts, best)

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
                self._add_unit(self.unit_stats, w, a.unit_id, people=1, best=total)
                self._units_touched.add((w, a.unit_id))
            elif old[1].unit_id != a.unit_id or old[2] != total:
                self._add_unit(self.unit_stats, w, old[1].unit_id, people=-1, best=-old[2])
                self._add_unit(self.unit_stats, w, a.unit_id, people=1, best=total)
                self._units_touched.add((w, old[1].unit_id))
                self._units_touched.add((w, a.unit_id))

    def _individual_row(self, a: d.Attempt, total: float) -> Row:
        ref = self.refs_used.get(a.round_id) if self.prediction else None
        return Row(a.participant_id, a.display_name, a.unit_id, d.rounded(total),
                   lazy=(self._individual_details, a, ref))

    def _individual_details(self, a: d.Attempt, ref: float | None) -> dict[str, Any]:
        essay, judges = self.essay_score(a.attempt_id)
        # No attempt id: it is the essay's key at the judges' (the public must not be able to join a
        # name to an essay); organizers get it from `best_attempt`.
        details: dict[str, Any] = {
            "round_id": a.round_id, "correct": a.correct, "total": a.total,
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

    def best_attempt(self, board_id: str, participant_id: str) -> str | None:
        """The attempt behind a participant's entry on an individual quiz board (organizers only)."""
        prefix = f"{self.quiz_phase}.individual."
        if not board_id.startswith(prefix):
            return None
        best = self.best.get((board_id[len(prefix):], participant_id))
        return best[1].attempt_id if best else None

    def _touch_unit(self, window: str, unit_id: str) -> None:
        stat = self._unit_stat(window, unit_id)
        people, attempts, total = stat.people, stat.attempts, stat.best_sum
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
        for _ in self.recompute_quiz_steps():
            pass

    def recompute_quiz_steps(self, chunk: int = 5000) -> Iterator[None]:
        """Full re-key of the quiz boards (the prediction reference moved), built aside in slices
        (yielding between them; no facts may be applied meanwhile) and swapped in at the end."""
        self.refs_stale_since = None
        self.refs_used = {r: self.reference(r)[0] for r in self.round_people}
        best: dict[tuple[str, str], tuple[tuple, d.Attempt, float]] = {}
        stats: dict[tuple[str, str], d.UnitStats] = {}
        for n, a in enumerate(self.attempts.values()):
            key, total = self._score_key(a)
            for w in d.quiz_windows(a.submitted_at, a.round_id, self.tz):
                self._add_unit(stats, w, a.unit_id, attempts=1)
                cur = best.get((w, a.participant_id))
                if cur is None or (key, a.attempt_id) < (cur[0], cur[1].attempt_id):
                    best[(w, a.participant_id)] = (key, a, total)
            if n % chunk == chunk - 1:
                yield
        per_board: dict[str, list[tuple[str, tuple, Row]]] = {}
        for n, ((w, pid), (key, a, total)) in enumerate(best.items()):
            per_board.setdefault(f"{self.quiz_phase}.individual.{w}", []).append(
                (pid, key, self._individual_row(a, total)))
            self._add_unit(stats, w, a.unit_id, people=1, best=total)
            if n % chunk == chunk - 1:
                yield
        old_units = set(self.unit_stats)
        self.best, self.unit_stats = best, stats
        prefix = f"{self.quiz_phase}.individual."
        for board_id in set(per_board) | {b for b in self.boards if b.startswith(prefix)}:
            self.board(board_id).replace_all(per_board.get(board_id, []))
        for w, unit_id in old_units | set(stats):
            self._unit_stat(w, unit_id)
            self._touch_unit(w, unit_id)
