"""Public pages under /boards/: the board list, one board (live), and the big-screen mode."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

WEB = Path(__file__).parent / "web"
router = APIRouter(include_in_schema=False)


@router.get("/boards")
async def boards_redirect() -> RedirectResponse:
    return RedirectResponse("/boards/", status_code=308)


@router.get("/boards/")
async def boards_page() -> FileResponse:
    return FileResponse(WEB / "board.html", media_type="text/html; charset=utf-8")


@router.get("/boards/{board_id}")
async def board_page(board_id: str) -> FileResponse:
    return FileResponse(WEB / "board.html", media_type="text/html; charset=utf-8")


@router.get("/boards/{board_id}/screen")
async def screen_page(board_id: str) -> FileResponse:
    return FileResponse(WEB / "screen.html", media_type="text/html; charset=utf-8")
