"""Routes of the official results: organizers preview, decide ties and publish; everyone reads,
exports, downloads certificates and verifies them."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response
from openpyxl import Workbook
from pydantic import BaseModel, ConfigDict, Field

from services.ranking import access, certificates, prizes, results
from services.ranking.exports import _safe
from shared.errors import ContestError
from shared.service import RuntimeDep

admin = APIRouter(prefix="/api/admin/results", tags=["results admin"])
public = APIRouter(prefix="/api/results", tags=["results"])
AdminHeader = Annotated[str | None, Header(alias="Authorization")]
BoardId = Annotated[str, Field(min_length=3, max_length=200)]
Name = Annotated[str, Field(min_length=2, max_length=100)]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PublishIn(In):
    board_id: BoardId
    published_by: Name  # the organizer's name, kept with the snapshot


class DecisionIn(In):
    board_id: BoardId
    entrant_ids: Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(min_length=2, max_length=1000)]
    reason: Annotated[str, Field(min_length=5, max_length=2000)]
    decided_by: Name


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _clean(text: str) -> str:
    return " ".join(text.split())


@admin.get("/preview")
async def preview(rt: RuntimeDep, board_id: Annotated[str, Query(max_length=200)],
                  authorization: AdminHeader = None) -> Response:
    """Prize tiers as publishing would assign them now, with every tie at a prize boundary."""
    access.results_operator(rt, authorization)
    return _json(await results.preview(rt, board_id))


@admin.post("/decisions", status_code=201)
async def decide(rt: RuntimeDep, body: DecisionIn, authorization: AdminHeader = None) -> Response:
    """Record the organizers' order for one tie group at a prize boundary, with the reason."""
    access.results_operator(rt, authorization)
    return _json(await results.decide(rt, body.board_id, body.entrant_ids, _clean(body.reason),
                                      _clean(body.decided_by)), 201)


@admin.post("", status_code=201)
async def publish(rt: RuntimeDep, body: PublishIn, authorization: AdminHeader = None) -> Response:
    """Publish the frozen board's results: 201 new snapshot, 200 the same one again, 409 otherwise."""
    access.results_operator(rt, authorization)
    status, snap = await results.publish(rt, body.board_id, _clean(body.published_by))
    return _json(snap, status)


@public.get("")
async def listing(rt: RuntimeDep) -> Response:
    return _json({"results": await results.listing(rt)})


@public.get("/verify/{code}")
async def verify(rt: RuntimeDep, code: str) -> Response:
    return _json(await results.verify(rt, code))


@public.get("/{snapshot_id}")
async def snapshot(rt: RuntimeDep, snapshot_id: str) -> Response:
    return _json(await results.snapshot(rt, snapshot_id))


HEADER = ["Hạng", "Giải", "Mã", "Tên", "Đơn vị", "Điểm"]
CACHED_CERTIFICATES = 256


def _rows(snap: dict[str, Any]) -> list[list[Any]]:
    return [[_safe(v) for v in (e["rank"], e["prize_name"] or "", e["entrant_id"], e["display_name"],
                                 e["unit_name"] or e["unit_id"] or "", e["score"])]
            for e in snap["content"]["entries"]]


def _meta(snap: dict[str, Any]) -> list[list[str]]:
    return [[f"{snap['content']['title']} – công bố {snap['published_at']} bởi {snap['published_by']}"],
            [f"SHA-256: {snap['sha256']}"]]


@public.get("/{snapshot_id}/export.csv")
async def export_csv(rt: RuntimeDep, snapshot_id: str) -> Response:
    snap = await results.snapshot(rt, snapshot_id)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADER)
    writer.writerows(_rows(snap))
    return Response(("\ufeff" + buf.getvalue()).encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="ket-qua-{snapshot_id}.csv"',
                             "X-Content-SHA256": snap["sha256"]})


def _xlsx(snap: dict[str, Any]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title="Kết quả")
    for row in _meta(snap):
        ws.append(row)
    ws.append(HEADER)
    for row in _rows(snap):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@public.get("/{snapshot_id}/export.xlsx")
async def export_xlsx(rt: RuntimeDep, snapshot_id: str) -> Response:
    snap = await results.snapshot(rt, snapshot_id)
    body = await asyncio.to_thread(_xlsx, snap)
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="ket-qua-{snapshot_id}.xlsx"'})


def verify_url(rt: RuntimeDep, request: Request, code: str) -> str:
    base = getattr(rt.settings, "public_base_url", "") or str(request.base_url)
    return f"{base.rstrip('/')}/verify/{code}"


@public.get("/{snapshot_id}/certificates/{entrant_id}.pdf")
async def certificate(rt: RuntimeDep, request: Request, snapshot_id: str, entrant_id: str) -> Response:
    snap = await results.snapshot(rt, snapshot_id)
    entry = results.entry_of(snap, entrant_id)
    code = prizes.certificate_code(snap["sha256"], entrant_id)
    url = verify_url(rt, request, code)
    # Snapshots never change, so a rendered certificate can be served again (rendering costs CPU).
    cache: dict[tuple[str, str, str], bytes] = rt.state.setdefault("certificate_cache", {})
    pdf = cache.get((snapshot_id, entrant_id, url))
    if pdf is None:
        try:
            pdf = await asyncio.to_thread(certificates.render, snap, entry, url, code, rt.contest.tz)
        except certificates.FontsMissing:
            raise ContestError(503, "fonts_missing", "Máy chủ thiếu phông chữ tiếng Việt để in giấy chứng nhận.",
                           headers={"Retry-After": "3600"}) from None
        if len(cache) >= CACHED_CERTIFICATES:
            cache.pop(next(iter(cache)))
        cache[(snapshot_id, entrant_id, url)] = pdf
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="giay-chung-nhan-{code}.pdf"'})
