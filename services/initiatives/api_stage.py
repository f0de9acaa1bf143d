"""Quiz essays (anonymous grading queue) and the stage final (running order, live scoring)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from services.initiatives import scoring, store_initiatives, store_judging, store_stage
from services.initiatives.api_judging import CriterionIn, criteria_map, rubric_json
from services.initiatives.security import JudgeDep, OrganizerDep
from shared.errors import ContestError
from shared.service import RuntimeDep

router = APIRouter(tags=["essays", "stage"])


class EssayScoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    criteria: Annotated[list[CriterionIn], Field(max_length=50)] = []
    abstain: bool = False


class FinalistsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    initiative_ids: Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=100)]


class StageScoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    initiative_id: Annotated[str, Field(min_length=1, max_length=100)]
    criteria: Annotated[list[CriterionIn], Field(max_length=50)] = []
    abstain: bool = False


# --- essays ---------------------------------------------------------------------------------


@router.get("/api/essays")
async def essay_queue(actor: JudgeDep, runtime: RuntimeDep, pending: bool = False,
                      limit: Annotated[int, Query(ge=1, le=200)] = 50,
                      offset: Annotated[int, Query(ge=0)] = 0) -> dict:
    """Anonymous grading: each essay by its opaque `essay_id`, with no author, attempt or arrival time."""
    quiz = runtime.contest.quiz
    async with runtime.pool.acquire() as conn:
        total, rows = await store_stage.essays(conn, limit=limit, offset=offset, phase_id=quiz.phase_id,
                                               not_scored_by=actor.id if pending else None)
        ids = [r["essay_id"] for r in rows]
        mine = {s.subject_id: s for s in
                await store_judging.latest(conn, quiz.phase_id, judge_id=actor.id, subject_ids=ids)}
        counts = await store_judging.scored_counts(conn, quiz.phase_id, ids)
    items = [{
        "essay_id": r["essay_id"], "question_id": r["question_id"],
        "question_text": quiz.free_question.text if r["question_id"] == quiz.free_question.question_id else None,
        "text": r["text"], "round_id": r["round_id"],
        "judges_scored": counts.get(r["essay_id"], 0),
        "latest": mine[r["essay_id"]].public() if r["essay_id"] in mine else None,
    } for r in rows]
    return {"phase_id": quiz.phase_id, "criteria": rubric_json(runtime.contest.essay_rubric()), "total": total,
            "items": items}


@router.get("/api/essays/{essay_id}")
async def essay(essay_id: str, actor: JudgeDep, runtime: RuntimeDep) -> dict:
    async with runtime.pool.acquire() as conn:
        row = await store_stage.essay(conn, essay_id)
        history = await store_judging.history(conn, actor.id, runtime.contest.quiz.phase_id, essay_id)
    if row is None:
        raise ContestError(404, "not_found", "Không tìm thấy bài tự luận.")
    return {"essay_id": essay_id, "question_id": row["question_id"], "text": row["text"],
            "criteria": rubric_json(runtime.contest.essay_rubric()), "history": [h.public() for h in history]}


@router.post("/api/essays/{essay_id}/scores", status_code=201)
async def grade_essay(essay_id: str, body: EssayScoreIn, actor: JudgeDep, runtime: RuntimeDep) -> dict:
    stored = await scoring.submit(runtime, actor, phase_id=runtime.contest.quiz.phase_id, subject_id=essay_id,
                                  criteria=criteria_map(body.criteria), abstain=body.abstain)
    return stored.public()


# --- stage final ----------------------------------------------------------------------------


async def _stage_view(runtime: RuntimeDep, judge_id: str | None = None) -> dict:
    stage = runtime.contest.stage
    async with runtime.pool.acquire() as conn:
        finalists = await store_stage.finalists(conn)
        current = await store_stage.current_id(conn)
        mine = {}
        if judge_id:
            mine = {s.subject_id: s.public() for s in await store_judging.latest(conn, stage.phase_id,
                                                                                  judge_id=judge_id)}
    items = [{"initiative_id": f["initiative_id"], "position": f["position"], "title": f["title"],
              "unit_id": f["unit_id"], "field": f["field"], "summary": f["summary"],
              "scoring_open": f["scoring_open"], "my_latest": mine.get(f["initiative_id"])} for f in finalists]
    return {"phase_id": stage.phase_id, "criteria": rubric_json(stage.rubric), "current_id": current,
            "current": next((i for i in items if i["initiative_id"] == current), None), "finalists": items}


@router.get("/api/stage")
async def stage_public(runtime: RuntimeDep) -> dict:
    view = await _stage_view(runtime)
    for item in view["finalists"]:
        item.pop("my_latest")
    if view["current"]:
        view["current"].pop("my_latest", None)
    return view


@router.get("/api/stage/console")
async def stage_console(actor: JudgeDep, runtime: RuntimeDep) -> dict:
    return await _stage_view(runtime, actor.id)


@router.put("/api/stage/finalists")
async def set_finalists(body: FinalistsIn, _: OrganizerDep, runtime: RuntimeDep) -> dict:
    ids = body.initiative_ids
    if len(set(ids)) != len(ids):
        raise ContestError(422, "duplicate_finalist", "Một sáng kiến được chọn hai lần.")
    async with runtime.pool.acquire() as conn, conn.transaction():
        await store_stage.lock_stage(conn)
        _, found = await store_initiatives.search(conn, ids=ids, statuses=["approved"], limit=1000)
        missing = sorted(set(ids) - {i.id for i in found})
        if missing:
            raise ContestError(422, "not_approved", f"Không phải sáng kiến đã duyệt: {', '.join(missing)}.")
        await store_stage.set_finalists(conn, ids)
    return await _stage_view(runtime)


async def _set_scoring(runtime: RuntimeDep, initiative_id: str, change: Callable[..., Awaitable[None]]) -> dict:
    async with runtime.pool.acquire() as conn, conn.transaction():
        await store_stage.lock_stage(conn)
        if await store_stage.is_open(conn, initiative_id) is None:
            raise ContestError(404, "not_finalist", "Sáng kiến này không có trong danh sách chung kết.")
        await change(conn, initiative_id)
    return await _stage_view(runtime)


@router.post("/api/stage/finalists/{initiative_id}/open")
async def open_scoring(initiative_id: str, _: OrganizerDep, runtime: RuntimeDep) -> dict:
    return await _set_scoring(runtime, initiative_id, store_stage.open_scoring)


@router.post("/api/stage/finalists/{initiative_id}/close")
async def close_scoring(initiative_id: str, _: OrganizerDep, runtime: RuntimeDep) -> dict:
    return await _set_scoring(runtime, initiative_id, store_stage.close_scoring)


@router.post("/api/stage/scores", status_code=201)
async def stage_score(body: StageScoreIn, actor: JudgeDep, runtime: RuntimeDep) -> dict:
    stored = await scoring.submit(runtime, actor, phase_id=runtime.contest.stage.phase_id,
                                  subject_id=body.initiative_id, criteria=criteria_map(body.criteria),
                                  abstain=body.abstain)
    return stored.public()


