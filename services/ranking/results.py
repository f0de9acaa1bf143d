"""Publishing a frozen board's official results: preview, tie decisions, the immutable snapshot."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import orjson

from services.ranking import prizes, results_store, views
from services.ranking.domain import parse_board_id
from services.ranking.prizes import Assignment
from shared.contest import BoardPrizes
from shared.errors import ContestError
from shared.events import format_utc
from shared.service import Runtime


def board_prizes(rt: Runtime, board_id: str) -> BoardPrizes:
    declared = rt.contest.prizes_for(board_id)
    if declared is None:
        raise ContestError(404, "no_prizes", f"Tệp cấu hình cuộc thi không khai báo giải thưởng cho bảng “{board_id}”.")
    return declared


def window_closed(rt: Runtime, board_id: str, now: datetime) -> None:
    """Results are official only once the board's window is over: its round, its day, or its phase."""
    parsed = parse_board_id(board_id)
    if parsed is None:
        raise views.not_found(board_id)
    contest = rt.contest
    if parsed.window.startswith("round-"):
        rnd = contest.round(parsed.window[6:])
        ends = rnd.closes_at if rnd else None
    elif parsed.window.startswith("day-"):
        day = date.fromisoformat(parsed.window[4:])
        ends = datetime.combine(day + timedelta(days=1), time(), contest.tz)
    else:
        ends = next((p.closes_at for p in contest.phases if p.id == parsed.phase_id), None)
    if ends is not None and parsed.phase_id == contest.quiz.phase_id:
        ends = contest.quiz_settled_at(ends)  # attempts started before the close still count
    if ends is None:
        raise views.not_found(board_id)
    if now < ends:
        raise ContestError(409, "window_not_closed", f"Bảng “{board_id}” chưa kết thúc (đến {format_utc(ends)}): chỉ "
                       "công bố kết quả chính thức sau khi vòng, ngày hoặc giai đoạn thi đã đóng.",
                       details={"closes_at": format_utc(ends)})


async def _frozen(rt: Runtime, board_id: str) -> tuple[str, list[dict[str, Any]]]:
    async with rt.pool.acquire() as conn:
        got = await results_store.frozen(conn, board_id)
    if got is None:
        raise ContestError(409, "board_not_frozen", f"Bảng “{board_id}” chưa được khóa: hãy khóa bảng trước khi công bố "
                       "kết quả, để kết quả là đúng bảng đã khóa.")
    return format_utc(got[0]), got[1]


def _conflicts(declared: BoardPrizes, assignment: Assignment) -> list[dict[str, Any]]:
    names = {t.id: t.name for t in declared.tiers}
    return [c.as_dict(names) for c in assignment.conflicts]


async def preview(rt: Runtime, board_id: str) -> dict[str, Any]:
    """What publishing would give now: the frozen board if frozen, else the live one (marked)."""
    declared = board_prizes(rt, board_id)
    frozen = rt.state["frozen"].get(board_id)
    async with rt.pool.acquire() as conn:
        decided = await results_store.decisions(conn, board_id)
        got = await results_store.frozen(conn, board_id)
    entries = got[1] if got else views.live_board(rt, board_id).snapshot()
    assignment = prizes.assign(entries, declared, decided)
    names = {t.id: t.name for t in declared.tiers}
    return {
        "board_id": board_id, "frozen": got is not None or frozen is not None,
        "tiers": [t.model_dump() for t in declared.tiers], "conflicts": _conflicts(declared, assignment),
        "decisions": [d.as_dict() for d in assignment.applied],
        "winners": [{**{k: e[k] for k in ("rank", "entrant_id", "display_name", "unit_id", "score")},
                     "prize": e["prize"], "prize_name": names[e["prize"]]}
                    for e in assignment.entries if e["prize"]],
    }


async def decide(rt: Runtime, board_id: str, entrant_ids: list[str], reason: str, decided_by: str) -> dict[str, Any]:
    declared = board_prizes(rt, board_id)
    _, entries = await _frozen(rt, board_id)
    async with rt.pool.acquire() as conn:
        if await results_store.by_board(conn, board_id) is not None:
            raise ContestError(409, "results_already_published", "Kết quả của bảng này đã được công bố; không thể thay đổi.")
    problem = prizes.check_decision(entries, declared, entrant_ids)
    if problem:
        raise ContestError(422, "decision_does_not_match", problem, details={"board_id": board_id})
    async with rt.pool.acquire() as conn:
        at = await results_store.add_decision(conn, board_id, entrant_ids, reason, decided_by)
    return {"board_id": board_id, "entrant_ids": entrant_ids, "reason": reason, "decided_by": decided_by,
            "decided_at": format_utc(at)}


def _published(row: Any) -> dict[str, Any]:
    return {"snapshot_id": row["snapshot_id"], "board_id": row["board_id"], "sha256": row["sha256"],
            "published_by": row["published_by"], "published_at": format_utc(row["published_at"]),
            "content": orjson.loads(row["content"])}


async def publish(rt: Runtime, board_id: str, published_by: str) -> tuple[int, dict[str, Any]]:
    """(201, snapshot) when new; (200, the same snapshot) when the board's results are unchanged."""
    declared = board_prizes(rt, board_id)
    window_closed(rt, board_id, datetime.now(UTC))
    frozen_at, entries = await _frozen(rt, board_id)
    async with rt.pool.acquire() as conn:
        decided = await results_store.decisions(conn, board_id)
        existing = await results_store.by_board(conn, board_id)
    assignment = prizes.assign(entries, declared, decided)
    if assignment.conflicts and existing is not None:
        raise _already(existing)
    if assignment.conflicts:
        raise ContestError(409, "tie_at_prize_boundary",
                       "Có người đồng hạng tại ranh giới giải: Ban Tổ chức cần ghi quyết định (thứ tự và lý do) cho "
                       "từng nhóm dưới đây trước khi công bố.", details={"conflicts": _conflicts(declared, assignment)})
    body = prizes.content(rt.contest, declared, frozen_at, assignment)
    text = prizes.canonical(body)
    digest = prizes.sha256(text)
    snapshot_id = digest[:16]
    codes = [(prizes.certificate_code(digest, e["entrant_id"]), e["entrant_id"]) for e in prizes.winners(body)]
    async with rt.pool.acquire() as conn:
        created = await results_store.publish(conn, snapshot_id=snapshot_id, board_id=board_id,
                                              content=text.decode(), sha256=digest, published_by=published_by,
                                              codes=codes)
        row = await results_store.by_board(conn, board_id)
    if created:
        return 201, _published(row)
    if row["sha256"] == digest:
        return 200, _published(row)
    raise _already(row)


def _already(row: Any) -> ContestError:
    return ContestError(409, "results_already_published",
                    "Kết quả của bảng này đã được công bố và khác với bảng đang khóa: kết quả đã công bố không thể "
                    "thay đổi.", details={"snapshot_id": row["snapshot_id"], "sha256": row["sha256"]})


async def snapshot(rt: Runtime, snapshot_id: str) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        row = await results_store.by_id(conn, snapshot_id) if len(snapshot_id) <= 64 else None
    if row is None:
        raise ContestError(404, "results_not_found", "Không tìm thấy kết quả đã công bố này.")
    return _published(row)


async def listing(rt: Runtime) -> list[dict[str, Any]]:
    async with rt.pool.acquire() as conn:
        rows = await results_store.all_published(conn)
    out = []
    for r in rows:
        item = _published(r)
        content = item.pop("content")
        out.append({**item, "title": content["title"], "winners": len(prizes.winners(content))})
    return out


async def verify(rt: Runtime, code: str) -> dict[str, Any]:
    """The certificate behind a code, read from its published snapshot."""
    code = code.strip().upper()
    async with rt.pool.acquire() as conn:
        cert = await results_store.certificate(conn, code) if len(code) <= 32 else None
        row = await results_store.by_id(conn, cert["snapshot_id"]) if cert else None
    if cert is None or row is None:
        raise ContestError(404, "certificate_not_found", "Mã xác minh không tồn tại: giấy chứng nhận này không có trong "
                       "kết quả đã công bố.")
    published = _published(row)
    entry = next(e for e in published["content"]["entries"] if e["entrant_id"] == cert["entrant_id"])
    return {"code": code, "snapshot": published, "entry": entry}


def entry_of(published: dict[str, Any], entrant_id: str) -> dict[str, Any]:
    entry = next((e for e in published["content"]["entries"] if e["entrant_id"] == entrant_id), None)
    if entry is None or not entry["prize"]:
        raise ContestError(404, "not_a_winner", "Người hoặc đơn vị này không có giải trong kết quả đã công bố.")
    return entry
