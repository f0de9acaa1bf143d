"""HTTP contract (DESIGN §4): boards, pages, one entrant with neighbours, SSE, exports, admin."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette.sse import EventSourceResponse

from services.ranking import access, exports, store, views
from services.ranking.board import Snapshot
from services.ranking.handlers import WAKE
from shared.errors import ContestError
from shared.events import format_utc
from shared.service import RuntimeDep

router = APIRouter(prefix="/api/boards", tags=["boards"])
admin = APIRouter(prefix="/api/admin/boards", tags=["admin"])

Limit = Annotated[int, Query(ge=1, le=1000, description="Số dòng tối đa")]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


@router.get("")
async def list_boards(rt: RuntimeDep) -> dict[str, Any]:
    # Names for titles too (the big screen shows the board's own title, not a fixed one).
    return {"boards": views.listing(rt), "units": {u.id: u.name for u in rt.contest.units},
            "contest_title": rt.contest.title, "phases": {p.id: p.name for p in rt.contest.phases},
            "rounds": {r.id: r.name for r in rt.contest.quiz.rounds}}


@router.get("/{board_id}")
async def get_board(rt: RuntimeDep, board_id: str, limit: Limit = 50, offset: Offset = 0,
                    q: Annotated[str | None, Query(min_length=1, max_length=100)] = None) -> Response:
    view = views.public_view(rt, board_id)
    if q is not None:
        body = views.page(view, board_id, 0, 0)
        body["entries"] = views.search(view, q, limit)
        return _json(body)
    return _json(views.page(view, board_id, limit, offset))


def _json(body: dict[str, Any]) -> Response:
    """orjson straight to bytes: FastAPI's generic encoder walks every row (slow at 1,000 rows)."""
    return Response(orjson.dumps(body), media_type="application/json")


@router.get("/{board_id}/entries/{entrant_id}")
async def get_entry(rt: RuntimeDep, board_id: str, entrant_id: str,
                    around: Annotated[int, Query(ge=0, le=100)] = 0) -> Response:
    return _json(views.around(views.public_view(rt, board_id), board_id, entrant_id, around))


@router.get("/{board_id}/stream")
async def stream(rt: RuntimeDep, board_id: str, request: Request) -> EventSourceResponse:
    view = views.public_view(rt, board_id)
    hub = rt.state["hub"]
    queue = hub.subscribe(board_id)
    hello = {"board_id": board_id, "as_of": views.as_of(view), "total": len(view),
             "frozen": isinstance(view, Snapshot)}

    async def events() -> Any:
        try:
            yield {"event": "hello", "data": orjson.dumps(hello).decode()}
            while True:
                try:
                    message = await asyncio.wait_for(queue.get(), timeout=15)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    continue
                yield {"event": "update", "data": orjson.dumps(message).decode()}
        finally:
            hub.unsubscribe(board_id, queue)

    return EventSourceResponse(events(), ping=15, headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _named(rt: RuntimeDep, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for a file, each with its unit's name (a spreadsheet reader can't map slugs)."""
    names = {u.id: u.name for u in rt.contest.units}
    return [{**row, "unit_name": names.get(row["unit_id"] or "", row["unit_id"] or "")} for row in rows]


@router.get("/{board_id}/export.csv")
async def export_csv(rt: RuntimeDep, board_id: str) -> Response:
    return _csv(board_id, _named(rt, views.public_view(rt, board_id).slice(0, 10**9)))


@router.get("/{board_id}/export.xlsx")
async def export_xlsx(rt: RuntimeDep, board_id: str) -> Response:
    return await _xlsx(board_id, _named(rt, views.public_view(rt, board_id).slice(0, 10**9)))


def _csv(board_id: str, rows: list[dict[str, Any]]) -> Response:
    return Response(exports.to_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{board_id}.csv"'})


async def _xlsx(board_id: str, rows: list[dict[str, Any]]) -> Response:
    body = await asyncio.to_thread(exports.to_xlsx, board_id, rows)
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{board_id}.xlsx"'})


# --- admin -----------------------------------------------------------------------------------

AdminHeader = Annotated[str | None, Header(alias="Authorization")]


class ReferenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]


@admin.post("/{board_id}/freeze")
async def freeze(rt: RuntimeDep, board_id: str, authorization: AdminHeader = None) -> dict[str, Any]:
    access.results_operator(rt, authorization)
    board = views.live_board(rt, board_id)
    existing = rt.state["frozen"].get(board_id)
    if existing is not None:
        return {"board_id": board_id, "frozen": True, "frozen_at": format_utc(existing.frozen_at)}
    snapshot = Snapshot.of(board, datetime.now(UTC))
    async with rt.pool.acquire() as conn:
        await store.freeze(conn, board_id, snapshot.frozen_at, snapshot.entries)
    rt.state["frozen"][board_id] = snapshot
    rt.state["hub"].notify_freeze(board_id, True)
    return {"board_id": board_id, "frozen": True, "frozen_at": format_utc(snapshot.frozen_at)}


@admin.post("/{board_id}/unfreeze")
async def unfreeze(rt: RuntimeDep, board_id: str, authorization: AdminHeader = None) -> dict[str, Any]:
    access.results_operator(rt, authorization)
    views.live_board(rt, board_id)
    async with rt.pool.acquire() as conn:
        await store.unfreeze(conn, board_id)
    if rt.state["frozen"].pop(board_id, None) is not None:
        rt.state["hub"].notify_freeze(board_id, False)
    return {"board_id": board_id, "frozen": False}


@admin.get("")
async def list_live(rt: RuntimeDep, authorization: AdminHeader = None) -> dict[str, Any]:
    """The organizers' board list: live totals, and when each frozen board was frozen."""
    access.results_operator(rt, authorization)
    return {"boards": views.listing(rt, live=True)}


@admin.get("/{board_id}/live")
async def live(rt: RuntimeDep, board_id: str, limit: Limit = 50, offset: Offset = 0,
               authorization: AdminHeader = None) -> Response:
    """The organizers' view of a board (frozen or not): what the public will see after the reveal,
    with the attempt behind each quiz entry."""
    access.results_operator(rt, authorization)
    board = views.live_board(rt, board_id)
    body = views.page(board, board_id, limit, offset)
    body["frozen"] = board_id in rt.state["frozen"]
    body["entries"] = views.with_attempt_ids(rt, board_id, body["entries"])
    return _json(body)


def _live_rows(rt: RuntimeDep, board_id: str) -> list[dict[str, Any]]:
    return views.with_attempt_ids(rt, board_id, views.live_board(rt, board_id).slice(0, 10**9))


@admin.get("/{board_id}/export.csv")
async def live_csv(rt: RuntimeDep, board_id: str, authorization: AdminHeader = None) -> Response:
    """The live board as a file, frozen or not, with the attempt behind each quiz entry."""
    access.results_operator(rt, authorization)
    return _csv(board_id, _named(rt, _live_rows(rt, board_id)))


@admin.get("/{board_id}/export.xlsx")
async def live_xlsx(rt: RuntimeDep, board_id: str, authorization: AdminHeader = None) -> Response:
    access.results_operator(rt, authorization)
    return await _xlsx(board_id, _named(rt, _live_rows(rt, board_id)))


@admin.get("/references")
async def references(rt: RuntimeDep, authorization: AdminHeader = None) -> dict[str, Any]:
    """Each round's prediction reference value now in use, and whether an organizer set it (final)."""
    access.results_operator(rt, authorization)
    index = views.index_of(rt)
    out = []
    for r in rt.contest.quiz.rounds:
        value, final = index.reference(r.id)
        out.append({"round_id": r.id, "name": r.name, "value": value, "final": final})
    return {"free_question_kind": rt.contest.quiz.free_question.kind, "references": out}


def _round(rt: RuntimeDep, round_id: str) -> None:
    if rt.contest.round(round_id) is None:
        raise ContestError(404, "round_not_found", f"Không có vòng thi “{round_id}”.")


@admin.put("/references/{round_id}")
async def set_reference(rt: RuntimeDep, round_id: str, body: ReferenceIn,
                        authorization: AdminHeader = None) -> dict[str, Any]:
    """Set the final reference value of a round's prediction question."""
    access.results_operator(rt, authorization)
    _round(rt, round_id)
    async with rt.pool.acquire() as conn:
        await store.set_reference(conn, round_id, body.value)
    index = views.index_of(rt)
    index.set_reference(round_id, body.value, now=False)  # the index worker re-keys the boards
    await rt.state["index_queue"].put(WAKE)
    return {"round_id": round_id, "value": body.value, "final": True}


@admin.delete("/references/{round_id}")
async def clear_reference(rt: RuntimeDep, round_id: str, authorization: AdminHeader = None) -> dict[str, Any]:
    """Back to the provisional reference (the live count of participants in the round)."""
    access.results_operator(rt, authorization)
    _round(rt, round_id)
    async with rt.pool.acquire() as conn:
        await store.set_reference(conn, round_id, None)
    index = views.index_of(rt)
    index.set_reference(round_id, None, now=False)
    await rt.state["index_queue"].put(WAKE)
    value, final = index.reference(round_id)
    return {"round_id": round_id, "value": value, "final": final}
