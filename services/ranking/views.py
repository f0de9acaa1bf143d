"""What a read sees: the live board, or the frozen snapshot for the public; board ids checked."""

from __future__ import annotations

import heapq
from datetime import date
from typing import Any

from services.ranking.board import Board, Snapshot
from services.ranking.domain import fold, parse_board_id
from services.ranking.index import RankingIndex
from shared.errors import ContestError
from shared.events import format_utc
from shared.service import Runtime

View = Board | Snapshot


def not_found(board_id: str) -> ContestError:
    return ContestError(404, "board_not_found", f"Không có bảng xếp hạng “{board_id}”.")


def index_of(rt: Runtime) -> RankingIndex:
    index = rt.state.get("index")
    if index is None:
        raise ContestError(503, "unavailable", "Bảng xếp hạng đang được nạp, vui lòng thử lại sau giây lát.",
                       headers={"Retry-After": "2"})
    return index


def live_board(rt: Runtime, board_id: str) -> Board:
    """The live board; a valid but still empty window (e.g. a day without attempts) is empty."""
    index = index_of(rt)
    index.refresh()
    board = index.boards.get(board_id)
    if board is not None:
        return board
    parsed = parse_board_id(board_id)
    if parsed is None or parsed.phase_id != index.quiz_phase or parsed.scope not in ("individual", "unit"):
        raise not_found(board_id)
    if not parsed.window.startswith("day-"):
        raise not_found(board_id)
    phase = index.contest.phase(index.quiz_phase)
    day = date.fromisoformat(parsed.window[4:])
    if not index.contest.local_day(phase.opens_at) <= day <= index.contest.local_day(phase.closes_at):
        raise not_found(board_id)
    return Board(board_id)


def public_view(rt: Runtime, board_id: str) -> View:
    board = live_board(rt, board_id)
    return rt.state["frozen"].get(board_id, board)


def listing(rt: Runtime, *, live: bool = False) -> list[dict[str, Any]]:
    """Every board with its total and as_of: the frozen snapshot's for the public, the live board's
    (plus when it was frozen) for the organizers."""
    index = index_of(rt)
    index.refresh()
    frozen: dict[str, Snapshot] = rt.state["frozen"]
    out = []
    for board_id in sorted(index.boards):
        parsed = parse_board_id(board_id)
        if parsed is None:
            continue
        snapshot = frozen.get(board_id)
        view = index.boards[board_id] if live or snapshot is None else snapshot
        row = {"board_id": board_id, "phase_id": parsed.phase_id, "scope": parsed.scope, "window": parsed.window,
               "total": len(view), "frozen": snapshot is not None, "as_of": as_of(view)}
        if live:
            row["frozen_at"] = format_utc(snapshot.frozen_at) if snapshot else None
        out.append(row)
    return out


def with_attempt_ids(rt: Runtime, board_id: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The organizers' rows of an individual quiz board name the attempt behind each entry (copies:
    the board's rendered pages are cached and shared with the public)."""
    index = index_of(rt)
    if not board_id.startswith(f"{index.quiz_phase}.individual."):
        return rows
    return [{**r, "details": {**r["details"], "attempt_id": index.best_attempt(board_id, r["entrant_id"])}}
            for r in rows]


def as_of(view: View) -> str:
    return format_utc(view.frozen_at if isinstance(view, Snapshot) else view.as_of)


def page(view: View, board_id: str, limit: int, offset: int) -> dict[str, Any]:
    return {
        "board_id": board_id, "as_of": as_of(view), "total": len(view), "frozen": isinstance(view, Snapshot),
        "entries": view.slice(offset, offset + limit),
    }


def around(view: View, board_id: str, entrant_id: str, n: int) -> dict[str, Any]:
    pos = view.position(entrant_id)
    if pos is None:
        raise ContestError(404, "entrant_not_found", f"Không tìm thấy “{entrant_id}” trên bảng xếp hạng này.")
    rows = view.slice(max(0, pos - n), pos + n + 1)
    entry = next(r for r in rows if r["entrant_id"] == entrant_id)
    return {
        "board_id": board_id, "as_of": as_of(view), "total": len(view), "frozen": isinstance(view, Snapshot),
        "rank": entry["rank"], "entry": entry, "entries": rows,
    }


def search(view: View, query: str, limit: int) -> list[dict[str, Any]]:
    """Entrants whose id or name contains `query`, ignoring case and diacritics ("kiem thu" finds
    "Kiểm Thử"), in rank order."""
    q = fold(query)
    if not q:
        return []
    if isinstance(view, Snapshot):
        hits = [e for e in view.entries if q in fold(e["entrant_id"]) or q in fold(e["display_name"])]
        return hits[:limit]
    found = [eid for eid, row in view.rows.items()
             if q in fold(eid) or q in fold(row.display_name)]
    found = heapq.nsmallest(limit, found, key=lambda eid: view.keys[eid] + (eid,))
    out = []
    for eid in found[:limit]:
        pos = view.position(eid) or 0
        out.extend(view.slice(pos, pos + 1))
    return out
