"""The participant and organizer pages (Vietnamese, mobile first), served as static HTML with the site's shared header."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from shared.pages import page

WEB = Path(__file__).parent / "web"
router = APIRouter(include_in_schema=False)

PAGES = {
    "/": "index.html", "/quiz": "index.html", "/quiz/": "index.html",
    "/quiz/register": "register.html", "/quiz/login": "login.html", "/quiz/take": "take.html",
    "/quiz/result": "result.html", "/quiz/admin": "admin.html", "/quiz/review": "review.html",
}


def _page(name: str):
    async def serve() -> HTMLResponse:
        return page(WEB / name)

    return serve


for path, file in PAGES.items():
    router.add_api_route(path, _page(file), methods=["GET"], name=f"page:{path}")
