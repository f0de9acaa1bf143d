"""Screenshots of the organizers' screens at 1920×1080 into docs/screenshots/, from a running
`make run` (its demo data): the big screen of the stage final, a quiz board on the big screen, the
podium of a reveal, and the dashboard. Debian's Chromium via Playwright.

Usage (with `make run` running): python -m tools.screenshots http://127.0.0.1:8080/ ADMIN_TOKEN
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
SCREEN = {"viewport": {"width": 1920, "height": 1080}, "locale": "vi-VN", "timezone_id": "Asia/Ho_Chi_Minh"}


def main(entry: str, admin_token: str) -> None:
    from playwright.sync_api import sync_playwright

    base = entry.rstrip("/")
    admin = {"Authorization": f"Bearer {admin_token}"}
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw, httpx.Client(base_url=base, timeout=15) as api:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_context(**SCREEN).new_page()
        page.goto(base + "/boards/stage.entry.all/screen")
        page.locator("#list li").first.wait_for()
        page.screenshot(path=OUT / "big-screen-stage.png")
        page.goto(base + "/boards/quiz.individual.round-week-1/screen?top=20")
        page.locator("#list li").first.wait_for()
        page.screenshot(path=OUT / "big-screen-quiz-round.png")
        # The reveal: freeze, open the screen, unfreeze; the podium rises (about 3 s).
        api.post("/api/admin/boards/initiatives.entry.all/freeze", headers=admin).raise_for_status()
        page.goto(base + "/boards/initiatives.entry.all/screen")
        page.locator("#badge").wait_for()
        page.screenshot(path=OUT / "big-screen-frozen.png")
        api.post("/api/admin/boards/initiatives.entry.all/unfreeze", headers=admin).raise_for_status()
        page.locator("#podium").wait_for()
        page.wait_for_timeout(3500)
        page.screenshot(path=OUT / "big-screen-podium.png")
        page.goto(base + "/quiz/dashboard")
        page.get_by_label("Mã quản trị (admin token)").fill(admin_token)
        page.get_by_role("button", name="Xem số liệu").click()
        page.locator("#c-items svg").wait_for()
        page.screenshot(path=OUT / "dashboard.png")
        page.locator("section[aria-labelledby='h-items']").screenshot(path=OUT / "dashboard-items.png")
        browser.close()
    for name in ("big-screen-stage", "big-screen-quiz-round", "big-screen-frozen", "big-screen-podium", "dashboard",
                 "dashboard-items"):
        print(OUT / f"{name}.png")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
