"""Public pages of the official results, in the one page shell (Jinja2, autoescaped): the list,
one published snapshot (printable), and the verification page a certificate's QR code points to."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from services.ranking import results
from shared.errors import ContestError
from shared.pages import PAGE_HEADERS, TEMPLATES, asset
from shared.service import RuntimeDep

WEB = Path(__file__).parent / "web"
router = APIRouter(include_in_schema=False)
# The shell's templates plus this service's; unlike the static pages these get values to show.
_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader([WEB, TEMPLATES]), autoescape=True)
_ENV.globals["asset"] = asset


def _page(rt: RuntimeDep, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    def when(iso: str) -> str:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(rt.contest.tz).strftime(
            "%H:%M ngày %d/%m/%Y")

    html = _ENV.get_template(template).render(when=when, score=_score, **values)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def _score(x: Any) -> str:
    """Vietnamese number format: 1.234,5."""
    if not isinstance(x, int | float):
        return "–"
    return f"{x:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def _missing(rt: RuntimeDep, heading: str, message: str) -> HTMLResponse:
    return _page(rt, "results/missing.html", 404, heading=heading, message=message)


@router.get("/results")
async def results_redirect() -> RedirectResponse:
    return RedirectResponse("/results/", status_code=308)


@router.get("/results/")
async def results_list(rt: RuntimeDep) -> HTMLResponse:
    return _page(rt, "results/list.html", items=await results.listing(rt))


@router.get("/results/{snapshot_id}")
async def results_page(rt: RuntimeDep, snapshot_id: str) -> HTMLResponse:
    try:
        snap = await results.snapshot(rt, snapshot_id)
    except ContestError as exc:
        return _missing(rt, "Không tìm thấy", exc.message)
    return _page(rt, "results/snapshot.html", snap=snap)


@router.get("/verify/{code}")
async def verify_page(rt: RuntimeDep, code: str) -> HTMLResponse:
    try:
        got = await results.verify(rt, code)
    except ContestError as exc:
        return _missing(rt, "Không xác minh được", exc.message)
    return _page(rt, "results/verify.html", snap=got["snapshot"], entry=got["entry"], code=got["code"])
