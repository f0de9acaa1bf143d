"""Storing a judge's score: checks (window, assignment, recusal, ranges), a new revision, and the
`initiatives.judge-scored.v1` event in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from services.initiatives import store_initiatives, store_judging, store_stage
from services.initiatives.domain import (
    RECUSAL_MESSAGES,
    Target,
    essay_grading_closes_at,
    next_revision,
    recusal_reason,
    require_open,
    rubric_total,
    target_for,
    validate_scores,
)
from services.initiatives.security import Actor
from services.initiatives.store_judging import StoredScore
from services.initiatives.telemetry import metrics_of
from shared.errors import ContestError
from shared.events import JUDGE_SCORED, CriterionScore, JudgeScored
from shared.service import Runtime


def check_window(runtime: Runtime, target: Target, now: datetime) -> None:
    if target.kind == "essays":
        if now >= essay_grading_closes_at(runtime.contest):
            raise ContestError(409, "phase_closed", "Đã hết thời hạn chấm bài tự luận.")
        return
    require_open(target.phase, now, "chấm điểm")


async def subject_unit(conn: asyncpg.Connection, target: Target, subject_id: str) -> str | None:
    """The subject's unit (for recusal); ContestError(404) when it is not something this phase scores."""
    if target.kind == "essays":
        if await store_stage.essay(conn, subject_id) is None:
            raise ContestError(404, "not_found", "Không tìm thấy bài tự luận.")
        return None  # anonymous: no unit-based recusal
    ini = await store_initiatives.get(conn, subject_id)
    if ini is None or ini.status != "approved":
        raise ContestError(404, "not_found", "Không tìm thấy sáng kiến đã được duyệt.")
    if target.kind == "stage" and await store_stage.is_open(conn, subject_id) is None:
        raise ContestError(404, "not_finalist", "Sáng kiến này không vào chung kết sân khấu.")
    return ini.unit_id


async def check_access(conn: asyncpg.Connection, actor: Actor, target: Target, subject_id: str) -> None:
    """Assignment and conflict of interest (403); 404 for an unknown subject."""
    unit = await subject_unit(conn, target, subject_id)
    explicit = await store_judging.explicit_assignments(conn, actor.id, target.phase.id)
    if explicit is not None and subject_id not in explicit:
        raise ContestError(403, "not_assigned", "Bài này không được phân công cho bạn chấm.")
    declared = subject_id in await store_judging.declared_conflicts(conn, actor.id, target.phase.id)
    reason = recusal_reason(actor.unit_id, unit, declared=declared)
    if reason:
        raise ContestError(403, "recused", RECUSAL_MESSAGES[reason])


async def submit(runtime: Runtime, actor: Actor, *, phase_id: str, subject_id: str,
                 criteria: dict[str, float] | None, abstain: bool) -> StoredScore:
    now = datetime.now(UTC)
    target = target_for(runtime.contest, phase_id)
    kind = target.kind
    try:
        check_window(runtime, target, now)
        values = [] if abstain else validate_scores(target.rubric, criteria or {})
        async with runtime.pool.acquire() as conn, conn.transaction():
            await check_access(conn, actor, target, subject_id)
            if target.kind == "stage" and not await store_stage.is_open(conn, subject_id):
                raise ContestError(409, "scoring_closed", "Phần chấm điểm cho đội thi này chưa mở hoặc đã đóng.")
            await store_judging.lock_subject(conn, actor.id, phase_id, subject_id)
            previous = await store_judging.history(conn, actor.id, phase_id, subject_id)
            if abstain and any(not p.abstain for p in previous):
                raise ContestError(409, "already_scored",
                               "Bạn đã chấm bài này; hãy sửa điểm thay vì bỏ phiếu trắng.")
            revision = next_revision(p.revision for p in previous)
            total = None if abstain else rubric_total(target.rubric, values)
            stored = await store_judging.insert(
                conn, judge_id=actor.id, phase_id=phase_id, subject_type=target.subject_type,
                subject_id=subject_id, revision=revision, criteria=values, total=total, abstain=abstain,
                scored_at=now,
            )
            if not abstain:
                # judges score an essay by its opaque id; the event names the attempt (the contract)
                published = await store_stage.attempt_of(conn, subject_id) if kind == "essays" else subject_id
                await runtime.outbox.add(conn, JUDGE_SCORED, JudgeScored(
                    contest_id=runtime.contest.contest_id, phase_id=phase_id, subject_type=target.subject_type,
                    subject_id=published, judge_id=actor.id,
                    criteria=[CriterionScore(criterion_id=v.criterion_id, score=v.score, max=v.max) for v in values],
                    total=total, revision=revision, scored_at=now,
                ))
                await store_judging.resolve_flags(conn, actor.id, phase_id, subject_id)
    except ContestError as exc:
        metrics_of(runtime).scores_submitted.labels(kind, exc.code if exc.status != 422 else "invalid").inc()
        raise
    metrics_of(runtime).scores_submitted.labels(kind, "abstained" if abstain else "scored").inc()
    return stored


