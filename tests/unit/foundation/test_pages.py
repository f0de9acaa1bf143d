"""The shared headers are filled into the pages: the site one with the current section marked."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.pages import render

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
