"""The organizers' dashboard: participation over time, per unit (per 1,000 residents), per round,
and the item analysis of the question bank — JSON under /api/admin/quiz/stats/ (admin token) and
the page /quiz/dashboard that draws them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from fastapi.responses import HTMLResponse

from services.quiz import stats, stats_store
from services.quiz.deps import Rt
from shared.errors import ContestError
from shared.events import format_utc
from shared.pages import page
from shared.service import Runtime, check_admin_token

WEB = Path(__file__).parent / "web"
router = APIRouter(prefix="/api/admin/quiz/stats", tags=["quiz admin"])
pages = APIRouter(include_in_schema=False)
Auth = Annotated[str | None, Header(alias="Authorization")]
RoundId = Annotated[str | None, Query(min_length=1, max_length=100)]


def _admin(rt: Runtime, authorization: str | None) -> None:
    check_admin_token(rt, authorization)


def _round(rt: Runtime, round_id: str | None) -> str | None:
    if round_id is not None and rt.contest.round(round_id) is None:
        raise ContestError(404, "round_not_found", f"Không có vòng thi “{round_id}”.")
    return round_id


@pages.get("/quiz/dashboard")
async def dashboard_page() -> HTMLResponse:
    return page(WEB / "dashboard.html")


@router.get("/participation", summary="Lượt thi và người thi theo giờ hoặc theo ngày")
async def participation(rt: Rt, authorization: Auth = None, bucket: Literal["hour", "day"] = "day",
                        hours: Annotated[int, Query(ge=1, le=24 * 90)] = 48,
                        round_id: RoundId = None) -> dict[str, Any]:
    _admin(rt, authorization)
    since = datetime.now(UTC) - timedelta(hours=hours) if bucket == "hour" else None
    async with rt.pool.acquire() as conn:
        rows = await stats_store.participation(conn, rt.contest.contest_id, rt.contest.time_zone, bucket,
                                               since, _round(rt, round_id))
    return {"bucket": bucket, "time_zone": rt.contest.time_zone, "round_id": round_id,
            "since": format_utc(since) if since else None,
            "points": [{"at": r["bucket"].isoformat(timespec="minutes"), "attempts": r["attempts"],
                        "participants": r["participants"]} for r in rows]}


@router.get("/units", summary="Người thi theo đơn vị, trên 1.000 dân")
async def units(rt: Rt, authorization: Auth = None) -> dict[str, Any]:
    _admin(rt, authorization)
    async with rt.pool.acquire() as conn:
        counts = await stats_store.units(conn, rt.contest.contest_id)
    zero = {"registered": 0, "participants": 0, "attempts": 0}
    out = [{"unit_id": u.id, "name": u.name, "kind": u.kind, "population": u.population, **counts.get(u.id, zero),
            "per_1000_residents": stats.per_thousand(counts.get(u.id, zero)["participants"], u.population)}
           for u in rt.contest.units]
    people = sum(c["participants"] for c in counts.values())
    return {"units": out, "total": {"population": rt.contest.population, "participants": people,
                                    "registered": sum(c["registered"] for c in counts.values()),
                                    "per_1000_residents": stats.per_thousand(people, rt.contest.population)}}


@router.get("/rounds", summary="Lượt thi và điểm trung bình theo vòng")
async def rounds(rt: Rt, authorization: Auth = None) -> dict[str, Any]:
    _admin(rt, authorization)
    async with rt.pool.acquire() as conn:
        found = await stats_store.rounds(conn, rt.contest.contest_id)
    now = datetime.now(UTC)
    out = []
    for r in rt.contest.quiz.rounds:
        row = found.get(r.id, {})
        out.append({"round_id": r.id, "name": r.name, "open": r.contains(now),
                    "attempts": row.get("attempts", 0), "participants": row.get("participants", 0),
                    "avg_score": _round2(row.get("avg_score")), "avg_correct": _round2(row.get("avg_correct")),
                    "max_score": row.get("max_score"), "open_attempts": row.get("open", 0),
                    "unscored": row.get("unscored", 0)})
    return {"rounds": out, "question_count": rt.contest.quiz.question_count,
            "max_points": rt.contest.quiz.question_count * rt.contest.quiz.points_per_correct
            + rt.contest.quiz.speed_bonus.max_points}


def _round2(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


@router.get("/items", summary="Phân tích câu hỏi: tỉ lệ đúng, phương án không ai chọn")
async def items(rt: Rt, authorization: Auth = None, round_id: RoundId = None) -> dict[str, Any]:
    _admin(rt, authorization)
    async with rt.pool.acquire() as conn:
        counts = await stats_store.item_counts(conn, rt.contest.contest_id, _round(rt, round_id))
        bank = await stats_store.bank_questions(conn, rt.contest.contest_id)
    questions = stats.items(bank, counts)
    flagged = {f: sum(1 for q in questions if f in q["flags"])
               for f in ("nobody_right", "everybody_right", "never_chosen")}
    return {"round_id": round_id, "min_served": stats.MIN_SERVED, "questions": questions,
            "summary": {"questions": len(questions), "answers": sum(q["served"] for q in questions), **flagged}}
