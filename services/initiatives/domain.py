"""Pure rules of initiatives and judging: rubric totals, score validation, recusal, revisions,
spread across judges, initiative life cycle. No I/O; every function is deterministic."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from shared.contest import Contest, Phase, Rubric
from shared.errors import ContestError

SubjectType = Literal["initiative", "attempt"]


# --- ids ------------------------------------------------------------------------------------


def initiative_id(seq: int) -> str:
    """The stable public id (engagement's `content_id`): `ini-0042`."""
    return f"ini-{seq:04d}"


# --- phases ---------------------------------------------------------------------------------


def phase_state(phase: Phase, now: datetime) -> Literal["upcoming", "open", "closed"]:
    if now < phase.opens_at:
        return "upcoming"
    return "open" if now < phase.closes_at else "closed"


def require_open(phase: Phase, now: datetime, what: str) -> None:
    state = phase_state(phase, now)
    if state == "closed":
        raise ContestError(409, "phase_closed", f"Giai đoạn “{phase.name}” đã kết thúc, không thể {what} nữa.")
    if state == "upcoming":
        raise ContestError(409, "phase_not_open", f"Giai đoạn “{phase.name}” chưa mở, chưa thể {what}.")


@dataclass(frozen=True)
class Target:
    """What a phase's scores are about, and by which rubric."""

    phase: Phase
    subject_type: SubjectType
    rubric: Rubric
    kind: Literal["initiatives", "stage", "essays"]


def target_for(contest: Contest, phase_id: str) -> Target:
    try:
        phase = contest.phase(phase_id)
    except KeyError:
        raise ContestError(404, "unknown_phase", f"Không có giai đoạn “{phase_id}”.") from None
    if phase_id == contest.initiatives.phase_id:
        return Target(phase, "initiative", contest.initiatives.rubric, "initiatives")
    if phase_id == contest.stage.phase_id:
        return Target(phase, "initiative", contest.stage.rubric, "stage")
    if phase_id == contest.quiz.phase_id:
        return Target(phase, "attempt", contest.essay_rubric(), "essays")
    raise ContestError(404, "unknown_phase", f"Giai đoạn “{phase_id}” không có phần chấm điểm.")


def essay_grading_closes_at(contest: Contest) -> datetime:
    """Essays are graded after the quiz: until the last phase of the contest closes."""
    return max(p.closes_at for p in contest.phases)


# --- rubric ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionValue:
    criterion_id: str
    score: float
    max: float


def validate_scores(rubric: Rubric, given: Mapping[str, float]) -> list[CriterionValue]:
    """Every criterion of the rubric exactly once, each a finite number within [0, max]."""
    known = {c.id for c in rubric.criteria}
    for cid in given:
        if cid not in known:
            raise ContestError(422, "unknown_criterion", f"Tiêu chí “{cid}” không có trong thang điểm.", field=cid)
    out: list[CriterionValue] = []
    for c in rubric.criteria:
        if c.id not in given:
            raise ContestError(422, "missing_criterion", f"Chưa chấm tiêu chí “{c.name}”.", field=c.id)
        value = given[c.id]
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ContestError(422, "invalid_score", f"Điểm tiêu chí “{c.name}” phải là một số.", field=c.id)
        if value < 0 or value > c.max:
            raise ContestError(
                422, "score_out_of_range",
                f"Điểm tiêu chí “{c.name}” phải từ 0 đến {c.max:g} (đã nhập {value:g}).", field=c.id,
            )
        out.append(CriterionValue(c.id, float(value), float(c.max)))
    return out


def rubric_total(rubric: Rubric, scores: Iterable[CriterionValue]) -> float:
    """`total = 100 × Σ weight × score / max`, rounded to 2 decimals, within [0, 100]."""
    weights = {c.id: c.weight for c in rubric.criteria}
    raw = 100.0 * sum(weights[s.criterion_id] * s.score / s.max for s in scores)
    return min(100.0, max(0.0, round(raw, 2)))


# --- recusal --------------------------------------------------------------------------------


def recusal_reason(
    judge_unit: str | None, subject_unit: str | None, *, declared: bool = False
) -> Literal["same_unit", "declared"] | None:
    """Why a judge may not score a subject (conflict of interest), or None."""
    if judge_unit and subject_unit and judge_unit == subject_unit:
        return "same_unit"
    if declared:
        return "declared"
    return None


RECUSAL_MESSAGES = {
    "same_unit": "Bạn cùng đơn vị với bài dự thi này nên tự động được miễn chấm (xung đột lợi ích).",
    "declared": "Bạn đã khai báo xung đột lợi ích với bài dự thi này nên không thể chấm.",
}


# --- revisions ------------------------------------------------------------------------------


def next_revision(existing: Iterable[int]) -> int:
    """Revisions count 1, 2, 3 … per judge and subject; a new one is one above the highest."""
    return max(existing, default=0) + 1


@dataclass(frozen=True)
class ScoreRow:
    judge_id: str
    subject_id: str
    revision: int
    total: float | None  # None: the judge abstained in that revision
    abstain: bool = False


def latest_per_judge(rows: Iterable[ScoreRow]) -> dict[tuple[str, str], ScoreRow]:
    """(judge, subject) → the row with the highest revision, whatever order rows arrive in."""
    out: dict[tuple[str, str], ScoreRow] = {}
    for row in rows:
        key = (row.judge_id, row.subject_id)
        if key not in out or row.revision > out[key].revision:
            out[key] = row
    return out


# --- spread across judges -------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    count: int
    mean: float | None
    minimum: float | None
    maximum: float | None
    stdev: float | None
    outliers: tuple[str, ...]


def spread(totals: Mapping[str, float], threshold: float) -> Spread:
    """Judges' latest totals on one entry; an outlier differs from the median of all judges' totals
    by more than `threshold` points (needs at least 3 judges to tell who is out of line)."""
    if not totals:
        return Spread(0, None, None, None, None, ())
    values = list(totals.values())
    outliers: list[str] = []
    if len(values) >= 3:
        median = statistics.median(values)
        outliers = [judge for judge, total in sorted(totals.items()) if abs(total - median) > threshold]
    return Spread(
        count=len(values), mean=round(statistics.fmean(values), 2), minimum=min(values), maximum=max(values),
        stdev=round(statistics.pstdev(values), 2), outliers=tuple(outliers),
    )


# --- initiative life cycle ------------------------------------------------------------------


def check_transition(status: str, action: Literal["edit", "submit", "approve", "return", "withdraw"]) -> str:
    """The status after `action`, or ContestError(409) when the current status does not allow it."""
    allowed = {
        "edit": ({"draft", "returned"}, None),
        "submit": ({"draft", "returned"}, "submitted"),
        "approve": ({"submitted", "withdrawn"}, "approved"),
        "return": ({"submitted"}, "returned"),
        "withdraw": ({"approved"}, "withdrawn"),
    }[action]
    if status not in allowed[0]:
        raise ContestError(409, "invalid_status", _TRANSITION_MESSAGES[action].format(status=STATUS_NAMES[status]))
    return allowed[1] or status


STATUS_NAMES = {
    "draft": "bản nháp", "submitted": "đã nộp, chờ duyệt", "returned": "bị trả lại",
    "approved": "đã duyệt", "withdrawn": "đã gỡ khỏi thư viện",
}
_TRANSITION_MESSAGES = {
    "edit": "Sáng kiến đang ở trạng thái “{status}”, không thể sửa.",
    "submit": "Sáng kiến đang ở trạng thái “{status}”, không thể nộp.",
    "approve": "Sáng kiến đang ở trạng thái “{status}”, không thể duyệt.",
    "return": "Sáng kiến đang ở trạng thái “{status}”, không thể trả lại.",
    "withdraw": "Sáng kiến đang ở trạng thái “{status}”, không thể gỡ.",
}
