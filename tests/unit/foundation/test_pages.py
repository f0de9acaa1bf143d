"""One page shell: every page extends shared/templates/page.html; the site header marks the current
section; static URLs are versioned; pages get the security headers; a missing page is HTML."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from shared.http import install_error_handlers
from shared.page_headers import CSP, PageCompressionMiddleware, SecurityHeadersMiddleware
from shared.pages import TEMPLATES, Static, asset, file_version, page, render

ROOT = Path(__file__).resolve().parents[3]
PUBLIC = {
    "services/quiz/web/index.html": "/",
    "services/quiz/web/take.html": "/quiz/take",
    "services/quiz/web/register.html": None,
    "services/initiatives/web/pages/index.html": "/initiatives/",
    "services/initiatives/web/pages/detail.html": "/initiatives/",
    "services/ranking/web/board.html": "/boards/",
}
SECTIONS = ['href="/"', 'href="/quiz/take"', 'href="/initiatives/"', 'href="/boards/"', 'id="nav-account"']


@pytest.mark.parametrize(("page", "current"), PUBLIC.items())
def test_public_page_gets_the_site_header(page: str, current: str | None) -> None:
    html = render(ROOT / page)
    assert "<!--#site-header" not in html
    assert html.count('<header class="site">') == 1
    assert all(link in html for link in SECTIONS)
    marked = [line.strip() for line in html.splitlines() if 'aria-current="page"' in line]
    assert [m.split(">")[0] for m in marked] == ([f'<a href="{current}" aria-current="page"'] if current else [])


@pytest.mark.parametrize("page", ["judge", "login", "organizer", "rep", "stage"])
def test_staff_page_gets_the_staff_header(page: str) -> None:
    html = render(ROOT / f"services/initiatives/web/pages/{page}.html")
    assert "<!--#" not in html and html.count('<header class="site">') == 1
    assert 'id="logout"' in html and 'href="/initiatives/"' in html


def test_page_without_placeholder_is_served_as_written(tmp_path: Path) -> None:
    page = tmp_path / "plain.html"
    page.write_text("<p>Chào</p>", encoding="utf-8")
    assert render(page) == "<p>Chào</p>"


ALL_PAGES = sorted((ROOT / "services").rglob("*.html"))


def test_every_page_is_written_in_the_one_shell() -> None:
    assert len(ALL_PAGES) >= 16
    for path in ALL_PAGES:
        source = path.read_text(encoding="utf-8")
        assert source.startswith('{% extends "page.html" %}'), path
        for written_once in ("<head>", "<!doctype", '<header class="site"', "<footer", "<script", "<html"):
            assert written_once not in source.lower(), (path, written_once)
        html = render(path)
        assert html.count("<head>") == 1 and html.count("<main") == 1, path
        assert re.search(r"<title>[^<]+</title>", html), path


def test_pages_have_no_inline_script_or_handler() -> None:
    for path in [*ALL_PAGES, TEMPLATES / "not-found.html"]:
        html = render(path)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+\s*=", html), path
        assert "javascript:" not in html and 'style="' not in html, path


def test_static_urls_carry_the_file_hash() -> None:
    html = render(ROOT / "services/quiz/web/take.html")
    urls = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert urls and all(re.fullmatch(r"/static/\S+\?v=[0-9a-f]{12}", u) for u in urls), urls
    assert asset("/static/quiz/quiz.js") == f"/static/quiz/quiz.js?v={file_version(ROOT / 'services/quiz/web/quiz.js')}"
    with pytest.raises(ValueError):
        asset("/static/quiz/missing.js")


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/page")
    async def a_page() -> HTMLResponse:
        return page(ROOT / "services/quiz/web/login.html")

    @app.get("/api/thing")
    async def thing() -> dict[str, int]:
        return {"n": 1}

    app.mount("/static/quiz", Static(directory=ROOT / "services/quiz/web"))
    app.add_middleware(PageCompressionMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    return app


def test_pages_get_the_security_headers_and_the_api_nosniff() -> None:
    with TestClient(_app()) as client:
        r = client.get("/page")
        assert r.headers["content-security-policy"] == CSP and "frame-ancestors 'none'" in CSP
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert r.headers["content-encoding"] == "gzip"
        api = client.get("/api/thing")
        assert "content-security-policy" not in api.headers and api.headers["x-content-type-options"] == "nosniff"


def test_static_files_are_compressed_and_cached_by_version() -> None:
    with TestClient(_app()) as client:
        url = asset("/static/quiz/quiz.js")
        r = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert client.get("/static/quiz/quiz.js").headers["cache-control"] == "no-cache"
        assert client.get("/static/quiz/quiz.js?v=000000000000").headers["cache-control"] == "no-cache"


def test_a_missing_page_is_a_vietnamese_html_404_and_the_api_keeps_json() -> None:
    with TestClient(_app()) as client:
        r = client.get("/quiz/khong-co", headers={"Accept": "text/html,application/xhtml+xml"})
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
        assert "Không tìm thấy trang" in r.text and "content-security-policy" in r.headers
        assert client.get("/quiz/khong-co").json()["error"]["code"] == "not_found"
        api = client.get("/api/khong-co", headers={"Accept": "text/html"})
        assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
