"""Every HTML page from one shell (`shared/templates/page.html`, Jinja2): a page file under a
service's web folder `{% extends "page.html" %}`, sets its title, static files and header, and fills
the `body` block. Static files get versioned URLs (`/static/quiz/quiz.js?v=<content hash>`) so
browsers may keep them for good; `Static` serves them with the matching Cache-Control."""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

import jinja2
from fastapi.responses import HTMLResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

SHARED = Path(__file__).parent
TEMPLATES = SHARED / "templates"
_SERVICES = SHARED.parent / "services"
# URL prefix → folder of every static mount (each service mounts its own; this table versions the
# URLs a page names, whichever service renders it).
STATIC_DIRS: dict[str, Path] = {
    "/static/common/": SHARED / "web",
    "/static/quiz/": _SERVICES / "quiz" / "web",
    "/static/initiatives/": _SERVICES / "initiatives" / "web" / "static",
    "/static/engagement/": _SERVICES / "engagement" / "web",
    "/static/ranking/": _SERVICES / "ranking" / "web",
}
PAGE_HEADERS = {"Cache-Control": "no-cache"}  # a page names its assets by hash: always ask for the page
IMMUTABLE = "public, max-age=31536000, immutable"


@functools.cache
def _file_hash(path: Path, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def file_version(path: Path) -> str:
    return _file_hash(path, path.stat().st_mtime_ns)


def asset(url: str) -> str:
    """`url` with `?v=<hash of the file>`; a URL no static folder holds is a bug in the page."""
    for prefix, folder in STATIC_DIRS.items():
        if url.startswith(prefix):
            file = folder / url[len(prefix):]
            if file.is_file():
                return f"{url}?v={file_version(file)}"
    raise ValueError(f"no static file behind {url}")


_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, keep_trailing_newline=True,
)
_ENV.globals["asset"] = asset


@functools.cache
def render(path: Path) -> str:
    """The page at `path` rendered in the shell (pages don't change while serving)."""
    return _ENV.from_string(path.read_text(encoding="utf-8")).render()


def page(path: Path, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(render(path), status_code=status_code, headers=PAGE_HEADERS)


def not_found_page() -> HTMLResponse:
    """The Vietnamese 404 page, for a browser that asked for a page that does not exist."""
    return page(TEMPLATES / "not-found.html", status_code=404)


class Pages(StaticFiles):
    """StaticFiles whose .html files go through `render`."""

    def file_response(
        self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        if str(full_path).endswith(".html"):
            return page(Path(full_path), status_code)
        return super().file_response(full_path, stat_result, scope, status_code)


class Static(StaticFiles):
    """Static files: cached for a year when asked for by their current version (`?v=` = content
    hash, as `asset` names them), revalidated on every use otherwise."""

    def file_response(
        self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        query = scope.get("query_string", b"").decode("latin-1")
        version = file_version(Path(full_path))
        fresh = f"v={version}" in query.split("&")
        response.headers["Cache-Control"] = IMMUTABLE if fresh else "no-cache"
        return response
