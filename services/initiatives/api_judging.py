"""Judges' consoles: own assignments, scoring with revisions, abstention, conflicts of interest;
the head judge's view of the spread across judges and review requests."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictFloat

from services.initiatives import scoring, store_initiatives, store_judging, store_staff, store_stage
from services.initiatives.domain import RECUSAL_MESSAGES, recusal_reason, spread, target_for
from services.initiatives.security import Actor, ActorDep, JudgeDep, OrganizerDep, require_role
from shared.contest import Rubric
from shared.errors import ContestError
from shared.service import Runtime, RuntimeDep
from shared.text import MultiLine

router = APIRouter(tags=["judging"])


class CriterionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    criterion_id: Annotated[str, Field(min_length=1, max_length=64)]
    # A JSON number only: `true` or "10" is a client bug, not a score (lax mode stored 1.0 and 10.0).
    score: Annotated[StrictFloat, Field(allow_inf_nan=False)]


class ScoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phase_id: str | None = None  # default: the initiatives phase
    subject_id: Annotated[str, Field(min_length=1, max_length=100)]
    criteria: Annotated[list[CriterionIn], Field(max_length=50)] = []
    abstain: bool = False


class ConflictIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    phase_id: str | None = None
    subject_id: Annotated[str, Field(min_length=1, max_length=100)]
    reason: Annotated[MultiLine, Field(max_length=1000)] = ""


class FlagIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    phase_id: str | None = None
    subject_id: Annotated[str, Field(min_length=1, max_length=100)]
    judge_id: Annotated[str, Field(min_length=1, max_length=64)]
    note: Annotated[MultiLine, Field(max_length=1000)] = ""


class AssignmentsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phase_id: str | None = None
    subject_ids: Annotated[list[str], Field(max_length=5000)]  # empty: back to all-to-all


def criteria_map(items: list[CriterionIn]) -> dict[str, float]:
    out: dict[str, float] = {}
    for c in items:
        if c.criterion_id in out:
            raise ContestError(422, "duplicate_criterion", f"Tiêu chí “{c.criterion_id}” bị nhập hai lần.")
        out[c.criterion_id] = c.score
    return out


def rubric_json(rubric: Rubric) -> list[dict[str, Any]]:
    return [{"id": c.id, "name": c.name, "weight": c.weight, "max": c.max} for c in rubric.criteria]


def _phase(runtime: Runtime, phase_id: str | None) -> str:
    return phase_id or runtime.contest.initiatives.phase_id


def _self_or_reader(actor: Actor, judge_id: str) -> None:
    if actor.id != judge_id and actor.role not in ("head_judge", "organizer"):
        raise ContestError(403, "forbidden", "Bạn chỉ được xem phần chấm của chính mình.")


def _self_only(actor: Actor, judge_id: str) -> None:
    if actor.id != judge_id:
        raise ContestError(403, "forbidden", "Bạn chỉ được chấm điểm bằng tài khoản của chính mình.")


@router.get("/api/judging/rubrics")
async def rubrics(runtime: RuntimeDep) -> dict:
    c = runtime.contest
    return {"items": [
        {"phase_id": c.initiatives.phase_id, "subject_type": "initiative",
         "criteria": rubric_json(c.initiatives.rubric)},
        {"phase_id": c.stage.phase_id, "subject_type": "initiative", "criteria": rubric_json(c.stage.rubric)},
        {"phase_id": c.quiz.phase_id, "subject_type": "attempt", "criteria": rubric_json(c.essay_rubric())},
    ]}


@router.get("/api/judging/judges/{judge_id}/assignments")
async def assignments(judge_id: str, actor: ActorDep, runtime: RuntimeDep, phase_id: str | None = None) -> dict:
    _self_or_reader(actor, judge_id)
    target = target_for(runtime.contest, _phase(runtime, phase_id))
    if target.kind == "essays":
        raise ContestError(422, "use_essays", "Bài tự luận được chấm ở mục /api/essays.")
    async with runtime.pool.acquire() as conn:
        judge = await store_staff.get(conn, judge_id)
        if judge is None or judge.role not in ("judge", "head_judge"):
            raise ContestError(404, "not_found", "Không tìm thấy giám khảo.")
        if target.kind == "stage":
            ids = [f["initiative_id"] for f in await store_stage.finalists(conn)]
            _, subjects = await store_initiatives.search(conn, ids=ids, statuses=["approved"], limit=1000)
        else:
            _, subjects = await store_initiatives.search(conn, statuses=["approved"], limit=5000)
        explicit = await store_judging.explicit_assignments(conn, judge_id, target.phase.id)
        declared = await store_judging.declared_conflicts(conn, judge_id, target.phase.id)
        latest = {s.subject_id: s for s in await store_judging.latest(conn, target.phase.id, judge_id=judge_id)}
        flags = {f["subject_id"]: f for f in await store_judging.open_flags(conn, target.phase.id, judge_id)}
    items = []
    for ini in subjects:
        if explicit is not None and ini.id not in explicit:
            continue
        reason = recusal_reason(judge.unit_id, ini.unit_id, declared=ini.id in declared)
        mine = latest.get(ini.id)
        items.append({
            "subject_type": "initiative", "subject_id": ini.id, "initiative": ini.public(),
            "recused": reason, "recused_message": RECUSAL_MESSAGES[reason] if reason else None,
            "latest": mine.public() if mine else None,
            "review_request": flags.get(ini.id),
        })
    return {"judge_id": judge_id, "phase_id": target.phase.id, "closes_at": target.phase.closes_at.isoformat(),
            "criteria": rubric_json(target.rubric), "items": items}


@router.post("/api/judging/judges/{judge_id}/scores", status_code=201)
async def score(judge_id: str, body: ScoreIn, actor: JudgeDep, runtime: RuntimeDep) -> dict:
    _self_only(actor, judge_id)
    stored = await scoring.submit(runtime, actor, phase_id=_phase(runtime, body.phase_id),
                                  subject_id=body.subject_id, criteria=criteria_map(body.criteria),
                                  abstain=body.abstain)
    return stored.public()


@router.get("/api/judging/judges/{judge_id}/scores/{subject_id}")
async def score_history(judge_id: str, subject_id: str, actor: ActorDep, runtime: RuntimeDep,
                        phase_id: str | None = None) -> dict:
    _self_or_reader(actor, judge_id)
    async with runtime.pool.acquire() as conn:
        rows = await store_judging.history(conn, judge_id, _phase(runtime, phase_id), subject_id)
    return {"items": [r.public() for r in rows]}


@router.post("/api/judging/judges/{judge_id}/conflicts", status_code=201)
async def declare_conflict(judge_id: str, body: ConflictIn, actor: JudgeDep, runtime: RuntimeDep) -> dict:
    _self_only(actor, judge_id)
    target = target_for(runtime.contest, _phase(runtime, body.phase_id))
    async with runtime.pool.acquire() as conn:
        await scoring.subject_unit(conn, target, body.subject_id)
        await store_judging.declare_conflict(conn, judge_id, target.phase.id, body.subject_id, body.reason)
    return {"judge_id": judge_id, "phase_id": target.phase.id, "subject_id": body.subject_id, "recused": "declared"}


@router.get("/api/judging/spread")
async def judges_spread(actor: ActorDep, runtime: RuntimeDep, phase_id: str | None = None) -> dict:
    require_role(actor, "head_judge", "organizer")
    target = target_for(runtime.contest, _phase(runtime, phase_id))
    async with runtime.pool.acquire() as conn:
        latest = await store_judging.latest(conn, target.phase.id)
        flags = await store_judging.open_flags(conn, target.phase.id)
        ids = sorted({s.subject_id for s in latest})
        titles = {}
        if target.subject_type == "initiative":
            _, inis = await store_initiatives.search(conn, ids=ids, limit=5000)
            titles = {i.id: i.title for i in inis}
    by_subject: dict[str, dict[str, Any]] = {}
    for s in latest:
        by_subject.setdefault(s.subject_id, {})[s.judge_id] = s
    threshold = runtime.settings.outlier_threshold  # type: ignore[attr-defined]
    items = []
    for subject_id in ids:
        rows = by_subject.get(subject_id, {})
        totals = {j: s.total for j, s in rows.items() if not s.abstain and s.total is not None}
        stats = spread(totals, threshold)
        items.append({
            "subject_id": subject_id, "title": titles.get(subject_id),
            "judges": [{"judge_id": j, "total": s.total, "abstain": s.abstain, "revision": s.revision,
                        "scored_at": s.scored_at.isoformat()} for j, s in sorted(rows.items())],
            "count": stats.count, "mean": stats.mean, "min": stats.minimum, "max": stats.maximum,
            "stdev": stats.stdev, "outliers": list(stats.outliers),
            "flags": [f for f in flags if f["subject_id"] == subject_id],
        })
    return {"phase_id": target.phase.id, "outlier_threshold": threshold, "items": items}


@router.post("/api/judging/flags", status_code=201)
async def flag_outlier(body: FlagIn, actor: ActorDep, runtime: RuntimeDep) -> dict:
    require_role(actor, "head_judge", "organizer")
    target = target_for(runtime.contest, _phase(runtime, body.phase_id))
    async with runtime.pool.acquire() as conn:
        if not await store_judging.latest(conn, target.phase.id, judge_id=body.judge_id,
                                          subject_ids=[body.subject_id]):
            raise ContestError(404, "not_found", "Giám khảo này chưa chấm bài này.")
        return await store_judging.flag(conn, phase_id=target.phase.id, subject_id=body.subject_id,
                                        judge_id=body.judge_id, flagged_by=actor.id, note=body.note)


@router.get("/api/judging/flags")
async def list_flags(actor: ActorDep, runtime: RuntimeDep, phase_id: str | None = None) -> dict:
    async with runtime.pool.acquire() as conn:
        if actor.role in ("head_judge", "organizer"):
            items = await store_judging.open_flags(conn, phase_id)
        else:
            require_role(actor, "judge")
            items = await store_judging.open_flags(conn, phase_id, actor.id)
    return {"items": items}


@router.put("/api/admin/initiatives/assignments/{judge_id}")
async def set_assignments(judge_id: str, body: AssignmentsIn, _: OrganizerDep, runtime: RuntimeDep) -> dict:
    target = target_for(runtime.contest, _phase(runtime, body.phase_id))
    async with runtime.pool.acquire() as conn, conn.transaction():
        judge = await store_staff.get(conn, judge_id)
        if judge is None or judge.role not in ("judge", "head_judge"):
            raise ContestError(404, "not_found", "Không tìm thấy giám khảo.")
        await store_judging.set_assignments(conn, judge_id, target.phase.id, sorted(set(body.subject_ids)))
    return {"judge_id": judge_id, "phase_id": target.phase.id,
            "mode": "explicit" if body.subject_ids else "all", "subject_ids": sorted(set(body.subject_ids))}
