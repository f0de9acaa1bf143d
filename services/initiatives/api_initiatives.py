"""Initiatives: the public gallery, unit representatives' drafts, the organizers' review."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

import asyncpg
from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.initiatives import store_initiatives
from services.initiatives.domain import check_transition, require_open
from services.initiatives.security import Actor, ActorDep, OrganizerDep, require_role
from services.initiatives.store_initiatives import Initiative
from services.initiatives.telemetry import metrics_of
from shared.errors import ContestError
from shared.events import INITIATIVE_PUBLISHED, InitiativePublished
from shared.service import Runtime, RuntimeDep
from shared.text import MultiLine, OneLine

router = APIRouter(tags=["initiatives"])


class Link(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    kind: Literal["photo", "video", "document", "other"] = "other"
    url: Annotated[str, Field(min_length=8, max_length=1000, pattern=r"^https?://\S+$")]
    label: Annotated[OneLine, Field(max_length=200)] = ""


class InitiativeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: Annotated[OneLine, Field(min_length=3, max_length=300)]
    field: Annotated[str, Field(min_length=1, max_length=64)]
    summary: Annotated[MultiLine, Field(max_length=2000)] = ""
    description: Annotated[MultiLine, Field(max_length=30_000)] = ""
    links: Annotated[list[Link], Field(max_length=30)] = []
    contact: Annotated[MultiLine, Field(max_length=500)] = ""
    unit_id: str | None = None  # organizers only; a representative always writes for their own unit

    @field_validator("title")
    @classmethod
    def _title(cls, v: str) -> str:
        return " ".join(v.split())


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: Annotated[MultiLine, Field(min_length=3, max_length=2000)]


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: Annotated[MultiLine, Field(max_length=2000)] = ""


def _fields(runtime: Runtime, body: InitiativeIn) -> dict:
    if body.field not in runtime.contest.initiatives.fields:
        raise ContestError(422, "unknown_field", f"Lĩnh vực “{body.field}” không hợp lệ.",
                       details=[{"field": "field", "message": "unknown field"}])
    return {"field": body.field, "title": body.title, "summary": body.summary, "description": body.description,
            "links": [link.model_dump() for link in body.links], "contact": body.contact}


def _can_manage(actor: Actor, ini: Initiative) -> None:
    if actor.is_organizer:
        return
    if actor.role != "unit_rep" or actor.unit_id != ini.unit_id:
        raise ContestError(403, "forbidden", "Bạn chỉ được xem và sửa sáng kiến của đơn vị mình.")


async def _load(conn: asyncpg.Connection, ini_id: str, *, for_update: bool = False) -> Initiative:
    ini = await store_initiatives.get(conn, ini_id, for_update=for_update)
    if ini is None:
        raise ContestError(404, "not_found", "Không tìm thấy sáng kiến.")
    return ini


async def publish_event(runtime: Runtime, conn: asyncpg.Connection, ini: Initiative, status: str) -> None:
    await runtime.outbox.add(conn, INITIATIVE_PUBLISHED, InitiativePublished(
        contest_id=runtime.contest.contest_id, phase_id=runtime.contest.initiatives.phase_id,
        initiative_id=ini.id, title=ini.title, unit_id=ini.unit_id, field=ini.field,
        status=status, version=ini.publish_version, changed_at=ini.updated_at.astimezone(UTC),
    ))


# --- public gallery -------------------------------------------------------------------------


@router.get("/api/initiatives/meta")
async def meta(runtime: RuntimeDep) -> dict:
    c = runtime.contest
    phase = c.phase(c.initiatives.phase_id)
    return {"fields": [{"id": k, "name": v} for k, v in c.initiatives.fields.items()],
            "units": [{"id": u.id, "name": u.name} for u in c.units],
            "phase": {"id": phase.id, "name": phase.name, "opens_at": phase.opens_at.isoformat(),
                      "closes_at": phase.closes_at.isoformat()}}


@router.get("/api/initiatives")
async def gallery(runtime: RuntimeDep, field: str | None = None, unit: str | None = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50,
                  offset: Annotated[int, Query(ge=0)] = 0) -> dict:
    async with runtime.pool.acquire() as conn:
        # The newest first: a freshly approved initiative is on top, not after the first page.
        total, items = await store_initiatives.search(conn, statuses=["approved"], unit_id=unit or None,
                                                      field=field or None, limit=limit, offset=offset,
                                                      newest_first=True)
    return {"total": total, "items": [i.public() for i in items]}


# --- unit representatives (and organizers) --------------------------------------------------


@router.get("/api/initiatives/manage")
async def my_initiatives(actor: ActorDep, runtime: RuntimeDep, status: str | None = None) -> dict:
    require_role(actor, "unit_rep", "organizer")
    async with runtime.pool.acquire() as conn:
        total, items = await store_initiatives.search(
            conn, statuses=[status] if status else None,
            unit_id=None if actor.is_organizer else actor.unit_id, limit=500,
        )
    return {"total": total, "items": [i.full() for i in items]}


@router.post("/api/initiatives/manage", status_code=201)
async def create_draft(body: InitiativeIn, actor: ActorDep, runtime: RuntimeDep) -> dict:
    require_role(actor, "unit_rep", "organizer")
    unit_id = body.unit_id if actor.is_organizer else actor.unit_id
    if actor.role == "unit_rep" and body.unit_id not in (None, actor.unit_id):
        raise ContestError(403, "forbidden", "Bạn chỉ được tạo sáng kiến cho đơn vị của mình.")
    if not unit_id or unit_id not in runtime.contest.units_by_id:
        raise ContestError(422, "unknown_unit", "Cần chọn một đơn vị hợp lệ.")
    fields = _fields(runtime, body)
    async with runtime.pool.acquire() as conn, conn.transaction():
        ini = await store_initiatives.create(conn, unit_id=unit_id, created_by=actor.id, fields=fields)
        await metrics_of(runtime).refresh(conn)
    return ini.full()


@router.get("/api/initiatives/manage/{ini_id}")
async def read_own(ini_id: str, actor: ActorDep, runtime: RuntimeDep) -> dict:
    require_role(actor, "unit_rep", "organizer")
    async with runtime.pool.acquire() as conn:
        ini = await _load(conn, ini_id)
    _can_manage(actor, ini)
    return ini.full()


@router.put("/api/initiatives/manage/{ini_id}")
async def edit(ini_id: str, body: InitiativeIn, actor: ActorDep, runtime: RuntimeDep) -> dict:
    require_role(actor, "unit_rep", "organizer")
    fields = _fields(runtime, body)
    async with runtime.pool.acquire() as conn, conn.transaction():
        ini = await _load(conn, ini_id, for_update=True)
        _can_manage(actor, ini)
        if body.unit_id not in (None, ini.unit_id):
            raise ContestError(422, "unit_fixed", "Không thể chuyển sáng kiến sang đơn vị khác.")
        check_transition(ini.status, "edit")
        ini = await store_initiatives.update_fields(conn, ini_id, fields)
    return ini.full()


@router.post("/api/initiatives/manage/{ini_id}/submit")
async def submit(ini_id: str, actor: ActorDep, runtime: RuntimeDep) -> dict:
    require_role(actor, "unit_rep", "organizer")
    phase = runtime.contest.phase(runtime.contest.initiatives.phase_id)
    async with runtime.pool.acquire() as conn, conn.transaction():
        ini = await _load(conn, ini_id, for_update=True)
        _can_manage(actor, ini)
        status = check_transition(ini.status, "submit")
        require_open(phase, datetime.now(UTC), "nộp sáng kiến")
        if len(ini.summary) < 10 or len(ini.description) < 20:
            raise ContestError(422, "incomplete", "Cần có tóm tắt (ít nhất 10 ký tự) và mô tả đầy đủ (ít nhất 20 ký tự) "
                                              "trước khi nộp.")
        ini = await store_initiatives.set_status(conn, ini_id, status)
        await metrics_of(runtime).refresh(conn)
    return ini.full()


# --- organizers' review ---------------------------------------------------------------------


@router.get("/api/admin/initiatives/initiatives")
async def review_queue(_: OrganizerDep, runtime: RuntimeDep, status: str | None = None,
                       unit: str | None = None) -> dict:
    async with runtime.pool.acquire() as conn:
        total, items = await store_initiatives.search(conn, statuses=[status] if status else None,
                                                      unit_id=unit or None, limit=1000)
    return {"total": total, "items": [i.full() for i in items]}


@router.post("/api/admin/initiatives/initiatives/{ini_id}/approve")
async def approve(ini_id: str, _: OrganizerDep, runtime: RuntimeDep) -> dict:
    return await _decide(runtime, ini_id, "approve", event="published")


@router.post("/api/admin/initiatives/initiatives/{ini_id}/return")
async def return_(ini_id: str, body: ReturnIn, _: OrganizerDep, runtime: RuntimeDep) -> dict:
    return await _decide(runtime, ini_id, "return", reason=body.reason)


@router.post("/api/admin/initiatives/initiatives/{ini_id}/withdraw")
async def withdraw(ini_id: str, body: WithdrawIn, _: OrganizerDep, runtime: RuntimeDep) -> dict:
    return await _decide(runtime, ini_id, "withdraw", reason=body.reason or None, event="withdrawn")


async def _decide(runtime: Runtime, ini_id: str, action: Literal["approve", "return", "withdraw"], *,
                  reason: str | None = None, event: str | None = None) -> dict:
    """One organizer decision: allowed by the life cycle, stored, published when the public's view
    changes (a new version), counted."""
    async with runtime.pool.acquire() as conn, conn.transaction():
        ini = await _load(conn, ini_id, for_update=True)
        status = check_transition(ini.status, action)
        ini = await store_initiatives.set_status(conn, ini_id, status, reason=reason, bump_version=event is not None)
        if event is not None:
            await publish_event(runtime, conn, ini, event)
        await metrics_of(runtime).refresh(conn)
    return ini.full()


# --- the public detail (after the fixed paths above) ----------------------------------------


@router.get("/api/initiatives/{ini_id}")
async def detail(ini_id: str, runtime: RuntimeDep) -> dict:
    async with runtime.pool.acquire() as conn:
        ini = await store_initiatives.get(conn, ini_id)
    if ini is None or ini.status != "approved":
        raise ContestError(404, "not_found", "Không tìm thấy sáng kiến trong thư viện.")
    return ini.public()
