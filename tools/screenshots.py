"""`make screenshots`: start the system as `make run` does (demo data loaded), open every page in Debian's
Chromium and save PNGs under docs/screenshots/: each page as a phone shows it (390×844; the whole
page, up to three screens tall) and the big screen and organizer dashboard at 1920×1080.

The pages are one table (PAGES): a row names the picture, the URL, the size, who is looking (a
resident, a judge, an organizer… each in their own browser context, signed in once) and what to do
before the picture (start an attempt, open a tab). A URL the stack answers with 404 is skipped with a
note, so a page another branch adds appears here once it is merged and its row is in the table.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True,
         "has_touch": True, "locale": "vi-VN", "timezone_id": "Asia/Ho_Chi_Minh"}
BIG = {"viewport": {"width": 1920, "height": 1080}, "device_scale_factor": 1,
       "locale": "vi-VN", "timezone_id": "Asia/Ho_Chi_Minh"}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1,
           "locale": "vi-VN", "timezone_id": "Asia/Ho_Chi_Minh"}
MAX_SCREENS = 3  # a phone picture shows at most this many screens of a long page
PASSWORD = "demo-" + secrets.token_hex(8)  # the demo staff accounts' password for this run only
WAIT = 20_000  # ms


def start_attempt(page: Any) -> None:
    page.get_by_role("button", name="Bắt đầu làm bài").click()
    first = page.get_by_role("group", name=re.compile(r"^Câu 1\u002f"))
    first.wait_for()
    for n in range(3):
        page.get_by_role("group", name=re.compile(rf"^Câu {n + 1}\u002f")).get_by_role("radio").nth(n % 2).check()


def submit_attempt(page: Any) -> None:
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Nộp bài").click()
    page.wait_for_url("**/quiz/result?attempt=*")
    page.locator("#result").wait_for()


def tab(name: str) -> Callable[[Any], None]:
    def open_tab(page: Any) -> None:
        page.get_by_role("tab", name=name).click()
        page.wait_for_load_state("networkidle")
    return open_tab


def engagement_data(page: Any) -> None:
    page.get_by_label("Mã quản trị (Bearer)").fill(page.evaluate("sessionStorage.getItem('admin_token')"))
    page.get_by_role("button", name="Lưu và tải dữ liệu").click()
    page.get_by_text("Đã tải dữ liệu.").wait_for()


def new_initiative_form(page: Any) -> None:
    page.get_by_role("button", name="+ Tạo sáng kiến mới").click()
    page.get_by_label("Tên sáng kiến").wait_for()


@dataclass(frozen=True)
class Shot:
    name: str  # the PNG's file name, without .png
    url: str  # may hold {initiative}: a published demo initiative's id
    device: dict[str, Any]
    who: str = "visitor"  # visitor | resident | judge | organizer | rep: one browser context each
    then: Callable[[Any], None] | None = None  # after the page loaded, before the picture
    goto: bool = True  # False: the picture of where the previous row left this person's page
    full: bool = True  # the whole page (up to MAX_SCREENS screens); False: the first screen only


PAGES: list[Shot] = [
    Shot("quiz-home", "/", PHONE),
    Shot("register", "/quiz/register", PHONE),
    Shot("login", "/quiz/login", PHONE),
    Shot("take-start", "/quiz/take", PHONE, who="resident"),
    Shot("take-attempt", "/quiz/take", PHONE, who="resident", then=start_attempt, full=False),
    Shot("result", "/quiz/take", PHONE, who="resident", then=submit_attempt, goto=False),
    Shot("boards", "/boards/", PHONE),
    Shot("board-units", "/boards/quiz.unit.all", PHONE),
    Shot("board-initiatives", "/boards/initiatives.entry.all", PHONE),
    Shot("initiatives", "/initiatives/", PHONE),
    Shot("initiative-detail", "/initiatives/detail.html?id={initiative}", PHONE),
    Shot("published-results", "/results", PHONE),
    Shot("big-screen-phone", "/boards/stage.entry.all/screen", PHONE),
    Shot("not-found", "/khong-co-trang-nay", PHONE),
    Shot("staff-login", "/initiatives/login.html", PHONE),
    Shot("judge", "/initiatives/judge.html", PHONE, who="judge"),
    Shot("judge-essays", "/initiatives/judge.html", PHONE, who="judge", then=tab("Bài tự luận")),
    Shot("judge-spread", "/initiatives/judge.html", PHONE, who="judge", then=tab("Độ lệch điểm")),
    Shot("stage-judging", "/initiatives/stage.html", PHONE, who="judge"),
    Shot("results-console", "/boards/console", PHONE, who="judge"),
    Shot("unit-rep", "/initiatives/rep.html", PHONE, who="rep"),
    Shot("unit-rep-form", "/initiatives/rep.html", PHONE, who="rep", then=new_initiative_form),
    Shot("organizer", "/initiatives/organizer.html", PHONE, who="organizer"),
    Shot("organizer-accounts", "/initiatives/organizer.html", PHONE, who="organizer", then=tab("Tài khoản")),
    Shot("organizer-stage", "/initiatives/organizer.html", PHONE, who="organizer", then=tab("Điều khiển sân khấu")),
    Shot("engagement-admin", "/engagement/admin", PHONE, who="organizer", then=engagement_data),
    Shot("quiz-admin", "/quiz/admin", PHONE, who="organizer"),
    Shot("dashboard-phone", "/quiz/dashboard", PHONE, who="organizer"),
    Shot("big-screen", "/boards/stage.entry.all/screen", BIG),
    Shot("dashboard", "/quiz/dashboard", BIG, who="organizer"),
]

# Who signs in as whom (tools/seed_demo.py's accounts); the organizer uses the admin token.
STAFF = {"judge": "truong-bgk", "rep": "dd-van-dinh"}


class Photographer:
    def __init__(self, browser: Any, base: str, admin_token: str, out: Path) -> None:
        self.browser, self.base, self.admin_token, self.out = browser, base, admin_token, out
        self.pages: dict[tuple[str, str], Any] = {}  # (who, device size) → that person's page
        self.http = httpx.Client(base_url=base, timeout=15)

    def page_for(self, who: str, device: dict[str, Any]) -> Any:
        key = (who, str(device["viewport"]))
        if key not in self.pages:
            context = self.browser.new_context(base_url=self.base, **device)
            context.set_default_timeout(WAIT)
            page = context.new_page()
            self.sign_in(page, who)
            self.pages[key] = page
        return self.pages[key]

    def sign_in(self, page: Any, who: str) -> None:
        if who == "resident":
            page.goto("/quiz/register")
            page.get_by_label("Họ và tên").fill("Nguyễn Thị Hoà")
            page.get_by_label("Số điện thoại di động").fill("098" + f"{secrets.randbelow(10_000_000):07d}")
            page.get_by_label("Xã, thị trấn hoặc cơ quan").select_option("van-dinh")
            page.get_by_role("button", name="Đăng ký", exact=True).click()
            page.wait_for_url("**/quiz/take")
        elif who in STAFF:
            page.goto("/initiatives/login.html")
            page.get_by_label("Tên đăng nhập").fill(STAFF[who])
            page.get_by_label("Mật khẩu").fill(PASSWORD)
            page.get_by_role("button", name="Đăng nhập").click()
            page.wait_for_url(lambda url: "login.html" not in url)
        elif who == "organizer":
            page.goto("/")
            page.evaluate("t => sessionStorage.setItem('admin_token', t)", self.admin_token)

    def exists(self, url: str) -> bool:
        if url.startswith("/khong-co-trang-nay"):
            return True
        return self.http.get(url, headers={"Accept": "text/html"}).status_code != 404

    def take(self, shot: Shot) -> Path | None:
        url = shot.url.format(initiative=self.initiative())
        if shot.goto and not self.exists(url):
            print(f"skipped {shot.name}: {url} is not served (yet)")
            return None
        page = self.page_for(shot.who, shot.device)
        if shot.goto:
            page.goto(url)
            page.wait_for_load_state("networkidle")
        if shot.then:
            shot.then(page)
        page.wait_for_load_state("networkidle")
        page.evaluate("document.fonts.ready.then(() => true)")
        path = self.out / f"{shot.name}.png"
        width, height = shot.device["viewport"]["width"], shot.device["viewport"]["height"]
        if shot.device is BIG or not shot.full:
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(path))
        else:
            tall = page.evaluate("Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)")
            clip = {"x": 0, "y": 0, "width": width, "height": MAX_SCREENS * height} if tall > MAX_SCREENS * height else None
            page.screenshot(path=str(path), full_page=True, clip=clip)
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        return path

    def initiative(self) -> str:
        if not hasattr(self, "_initiative"):
            items = self.http.get("/api/initiatives").json()["items"]
            self._initiative = items[0]["id"] if items else "none"
        return self._initiative


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="names of the pictures to take (default: all)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"Debian's Chromium is needed ({CHROMIUM}): apt-get install chromium", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    from tests.e2e.stack import run_dir, start_stack

    args.out.mkdir(parents=True, exist_ok=True)
    shots = [s for s in PAGES if not args.only or s.name in args.only]
    with run_dir("screenshots-") as path:
        stack = start_stack(path, extra_env={"DEMO_STAFF_PASSWORD": PASSWORD})
        try:
            with sync_playwright() as pw:
                # The browser's own words (the file picker, form hints) in Vietnamese, as a resident's
                # phone shows them: Chromium on Linux takes its UI language from LANGUAGE (chromium-l10n).
                env = {**os.environ, "LANGUAGE": "vi", "LANG": "vi_VN.UTF-8"}
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, env=env)
                camera = Photographer(browser, stack.entry.rstrip("/"), stack.admin_token, args.out)
                for shot in shots:
                    camera.take(shot)
                browser.close()
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
