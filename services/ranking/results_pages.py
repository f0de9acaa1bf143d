"""Public pages of the official results (server-rendered, escaped): the list, one published
snapshot (printable), and the verification page a certificate's QR code points to."""

from __future__ import annotations

from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from services.ranking import results
from shared.http import ApiError
from shared.pages import render
from shared.service import RuntimeDep

WEB = Path(__file__).parent / "web"
router = APIRouter(include_in_schema=False)
_HEADERS = {"Cache-Control": "no-cache"}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = render(WEB / "results.html").replace("<!--#title-->", escape(title)).replace("<!--#content-->", body)
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def _when(iso: str, rt: RuntimeDep) -> str:
    d = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(rt.contest.tz)
    return d.strftime("%H:%M ngày %d/%m/%Y")


def _score(x: Any) -> str:
    return f"{x:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".") if isinstance(x, int | float) else "–"


def _not_found(message: str) -> HTMLResponse:
    return _page("Không tìm thấy", f'<div class="card"><h1>Không tìm thấy</h1><p>{escape(message)}</p>'
                 '<p><a href="/results/">Xem các kết quả đã công bố</a></p></div>', 404)


@router.get("/results")
async def results_redirect() -> RedirectResponse:
    return RedirectResponse("/results/", status_code=308)


@router.get("/results/")
async def results_list(rt: RuntimeDep) -> HTMLResponse:
    items = await results.listing(rt)
    if not items:
        body = '<h1>Kết quả chính thức</h1><p class="card">Ban Tổ chức chưa công bố kết quả nào.</p>'
    else:
        lis = "".join(f'<li class="card"><a href="/results/{quote(i["snapshot_id"])}">{escape(i["title"])}</a>'
                      f'<div class="rs-meta">Công bố lúc {_when(i["published_at"], rt)} · {i["winners"]} giải</div></li>'
                      for i in items)
        body = f'<h1>Kết quả chính thức</h1><ul class="rs-list">{lis}</ul>'
    return _page("Kết quả chính thức", body)


def _winner_rows(snap: dict[str, Any], tier: str) -> str:
    rows = []
    for e in snap["content"]["entries"]:
        if e["prize"] != tier:
            continue
        unit = (f'<span class="unit">{escape(e["unit_name"])}</span>'
                if e.get("unit_name") and e["unit_name"] != e["display_name"] else "")
        tie = ' <span class="muted">(đồng hạng – theo quyết định của Ban Tổ chức)</span>' if e["decided_tie"] else ""
        cert = (f'<a class="rs-cert" href="/api/results/{quote(snap["snapshot_id"])}/certificates/'
                f'{quote(e["entrant_id"], safe="")}.pdf">Giấy chứng nhận</a>')
        rows.append(f'<tr><td class="num">{e["rank"]}</td><td>{escape(e["display_name"])}{unit}{tie}</td>'
                    f'<td class="num">{_score(e["score"])}</td><td>{cert}</td></tr>')
    return "".join(rows)


@router.get("/results/{snapshot_id}")
async def results_page(rt: RuntimeDep, snapshot_id: str) -> HTMLResponse:
    try:
        snap = await results.snapshot(rt, snapshot_id)
    except ApiError as exc:
        return _not_found(exc.message)
    c, sid = snap["content"], quote(snap["snapshot_id"])
    parts = [f'<h1>{escape(c["title"])}</h1>',
             f'<p>Cuộc thi “{escape(c["contest_title"])}”</p>',
             f'<p class="rs-meta">Công bố lúc {_when(snap["published_at"], rt)} bởi {escape(snap["published_by"])}; '
             f'theo bảng xếp hạng đã khóa lúc {_when(c["frozen_at"], rt)}.</p>']
    for tier in c["tiers"]:
        rows = _winner_rows(snap, tier["id"])
        if not rows:
            continue
        parts.append(f'<section class="card"><h2 class="rs-tier">{escape(tier["name"])}</h2>'
                     '<table class="rs-table"><thead><tr><th class="num" scope="col">Hạng</th><th scope="col">Họ và tên'
                     ' / Đơn vị</th><th class="num" scope="col">Điểm</th><th scope="col"><span class="rs-cert">'
                     f'Chứng nhận</span></th></tr></thead><tbody>{rows}</tbody></table></section>')
    for d in c["decisions"]:
        parts.append(f'<p class="rs-meta">Quyết định về đồng hạng ({escape(d["decided_by"])}, {_when(d["decided_at"], rt)}): '
                     f'{escape(d["reason"])}</p>')
    # How anyone checks this is the published result: its hash, and the data to re-compute it from.
    parts.append('<section class="card"><h2>Tính xác thực</h2>'
                 f'<p class="rs-meta">Mã kết quả {escape(snap["snapshot_id"])} · SHA-256 '
                 f'<span class="rs-hash">{escape(snap["sha256"])}</span></p>'
                 f'<div class="rs-actions"><a class="button secondary" href="/api/results/{sid}/export.csv">Tải CSV</a>'
                 f'<a class="button secondary" href="/api/results/{sid}/export.xlsx">Tải Excel</a>'
                 f'<a class="button secondary" href="/api/results/{sid}">Dữ liệu JSON</a></div></section>')
    return _page(c["title"], "".join(parts))


@router.get("/verify/{code}")
async def verify_page(rt: RuntimeDep, code: str) -> HTMLResponse:
    try:
        got = await results.verify(rt, code)
    except ApiError as exc:
        return _page("Không xác minh được", f'<div class="card"><h1>Không xác minh được</h1><p>{escape(exc.message)}'
                     '</p><p><a href="/results/">Xem các kết quả đã công bố</a></p></div>', 404)
    snap, e = got["snapshot"], got["entry"]
    c = snap["content"]
    unit = f'<dt>Đơn vị</dt><dd>{escape(e["unit_name"])}</dd>' if e.get("unit_name") else ""
    body = (f'<section class="card rs-ok"><h1>Giấy chứng nhận hợp lệ</h1>'
            f'<p>Giấy chứng nhận mã <b>{escape(got["code"])}</b> có trong kết quả chính thức đã công bố.</p><dl>'
            f'<dt>Cuộc thi</dt><dd>{escape(c["contest_title"])}</dd><dt>Kết quả</dt><dd>{escape(c["title"])}</dd>'
            f'<dt>Họ và tên</dt><dd id="verified-name">{escape(e["display_name"])}</dd>{unit}'
            f'<dt>Giải</dt><dd id="verified-prize">{escape(e["prize_name"])}</dd><dt>Hạng</dt><dd>{e["rank"]}</dd>'
            f'<dt>Công bố</dt><dd>{_when(snap["published_at"], rt)} bởi {escape(snap["published_by"])}</dd></dl>'
            f'<p class="rs-meta">SHA-256 của kết quả: <span class="rs-hash">{escape(snap["sha256"])}</span></p>'
            f'<p><a href="/results/{quote(snap["snapshot_id"])}">Xem toàn bộ kết quả</a></p></section>')
    return _page("Xác minh giấy chứng nhận", body)
