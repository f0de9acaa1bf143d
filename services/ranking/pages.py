"""Public pages under /boards/: the board list, one board (live), and the big-screen mode."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from shared.pages import page

WEB = Path(__file__).parent / "web"
router = APIRouter(include_in_schema=False)


@router.get("/boards")
async def boards_redirect() -> RedirectResponse:
    return RedirectResponse("/boards/", status_code=308)


@router.get("/boards/")
async def boards_page() -> HTMLResponse:
    return page(WEB / "board.html")


@router.get("/boards/console")
async def console_page() -> HTMLResponse:
    """Organizers' and head judges' results console (declared before /boards/{board_id})."""
    return page(WEB / "console.html")


@router.get("/boards/{board_id}")
async def board_page(board_id: str) -> HTMLResponse:
    return page(WEB / "board.html")


@router.get("/boards/{board_id}/screen")
async def screen_page(board_id: str) -> HTMLResponse:
    return page(WEB / "screen.html")
