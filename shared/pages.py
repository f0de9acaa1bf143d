"""Shared page headers: one file holds the site navigation (`shared/web/site-header.html`) and one
the staff area's (`staff-header.html`); a service's HTML page asks for one with
`<!--#site-header current="/path/"-->` (that nav link gets aria-current) or `<!--#staff-header-->`."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from fastapi.responses import HTMLResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

FRAGMENTS = Path(__file__).parent / "web"
_PLACEHOLDER = re.compile(r'<!--#(site-header|staff-header)(?: current="([^"]*)")?-->')
_HEADERS = {"Cache-Control": "no-cache"}


@functools.cache
def render(path: Path) -> str:
    """The page at `path` with its header placeholder filled in (pages don't change while serving)."""

    def fill(m: re.Match[str]) -> str:
        header = (FRAGMENTS / f"{m.group(1)}.html").read_text(encoding="utf-8").strip()
        current = m.group(2)
        if not current:
            return header
        head, nav = header.split("<nav", 1)  # the title links home too; mark the nav's link
        return head + "<nav" + nav.replace(f'href="{current}">', f'href="{current}" aria-current="page">', 1)

    return _PLACEHOLDER.sub(fill, path.read_text(encoding="utf-8"))


def page(path: Path) -> HTMLResponse:
    return HTMLResponse(render(path), headers=_HEADERS)


class Pages(StaticFiles):
    """StaticFiles whose .html files go through `render`."""

    def file_response(
        self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        if str(full_path).endswith(".html"):
            return HTMLResponse(render(Path(full_path)), status_code=status_code, headers=_HEADERS)
        return super().file_response(full_path, stat_result, scope, status_code)
