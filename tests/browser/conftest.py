"""Browser journeys: Debian's Chromium (Playwright, sync API) against the system as `make run` starts it.

One stack (tools.run behind nginx, via tests/e2e/stack.py) and one Chromium for this folder (package
scope: started when a journey first asks, stopped when the folder's tests are done, so the rest of
`make test` does not run beside them). Every page a journey opens is watched: a console error or an uncaught
page error fails the test unless the test said it expects that exact failed response (e.g. the 409 of
a refused attempt). `Journey.shot()` saves a full-page screenshot under test-artifacts/browser/<test>/
and checks that every form field on the page has a label.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.stack import RunningStack, run_dir, start_stack

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "vi-VN", "timezone_id": "Asia/Ho_Chi_Minh"}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "vi-VN", "timezone_id": "Asia/Ho_Chi_Minh"}
# The demo staff accounts' password: `make run` takes it from DEMO_STAFF_PASSWORD (else generates one).
DEMO_PASSWORD = "demo-" + secrets.token_hex(8)
SLOW = 20_000  # ms: an event travelling service → Kafka → service → SSE → page

# Every form control a person can see must have a label (own <label>, aria-label or aria-labelledby).
UNLABELLED_FIELDS_JS = """() => {
  const fields = document.querySelectorAll(
    'input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset]):not([type=image]), select, textarea');
  const bad = [];
  for (const f of fields) {
    if (f.getClientRects().length === 0) continue;  // not rendered (yet): checked when it is shown
    const byLabel = [...(f.labels || [])].some((l) => l.textContent.trim() !== '');
    const byAria = (f.getAttribute('aria-label') || '').trim() !== '';
    const byRef = (f.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
      .some((id) => (document.getElementById(id)?.textContent || '').trim() !== '');
    if (!byLabel && !byAria && !byRef) bad.push(f.outerHTML.slice(0, 160));
  }
  return bad;
}"""


@pytest.fixture(scope="package")
def live_stack() -> Iterator[RunningStack]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian's Chromium is not installed ({CHROMIUM}); `apt-get install chromium`")
    with run_dir("browser-run-") as path:
        stack = start_stack(path, extra_env={"DEMO_STAFF_PASSWORD": DEMO_PASSWORD})
        try:
            if f":{stack.public_port}/" not in stack.entry:
                pytest.fail("make run did not put the services behind nginx (one origin); the journeys need it:\n"
                            + "\n".join(stack.output[-30:]))
            yield stack
        finally:
            code = stack.stop()
            if code != 0:
                print(f"make run exited with {code}:\n" + "\n".join(stack.output[-30:]))


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian's Chromium is not installed ({CHROMIUM}); `apt-get install chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class Api:
    """The stack's public API through the single origin, as the organizers' tools would call it."""

    def __init__(self, stack: RunningStack) -> None:
        self.base = stack.entry.rstrip("/")
        self.admin_token = stack.admin_token
        self.http = httpx.Client(base_url=self.base, timeout=15)
        self.admin = {"Authorization": f"Bearer {stack.admin_token}"}
        self.sms_file = stack.run_dir / "sms.jsonl"  # tools/run.py: SMS_CONSOLE_FILE

    def ok(self, response: httpx.Response) -> Any:
        assert response.status_code < 300, f"{response.request.method} {response.request.url}: " \
                                            f"{response.status_code} {response.text}"
        return response.json() if response.content else None

    def staff_token(self, username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
        body = self.ok(self.http.post("/api/staff/login", json={"username": username, "password": password}))
        return {"Authorization": f"Bearer {body['token']}"}

    def published_initiative(self, title: str, rep: str = "dd-cao-thanh", field: str = "xa-hoi-so") -> str:
        """An initiative written by a unit representative, submitted and approved by the organizers."""
        headers = self.staff_token(rep)
        ini = self.ok(self.http.post("/api/initiatives/manage", headers=headers, json={
            "title": title, "field": field,
            "summary": "Tổ công nghệ số cộng đồng hướng dẫn người dân dùng dịch vụ công trực tuyến.",
            "description": "Mỗi thôn một điểm hỗ trợ; đoàn viên thanh niên trực vào buổi tối.",
            "links": [], "contact": "UBND xã"}))
        self.ok(self.http.post(f"/api/initiatives/manage/{ini['id']}/submit", headers=headers))
        self.ok(self.http.post(f"/api/admin/initiatives/initiatives/{ini['id']}/approve", headers=self.admin))
        return ini["id"]

    def register(self, name: str = "Trần Văn Bình", unit_id: str = "cao-thanh") -> dict[str, Any]:
        phone = fresh_phone()
        return {"phone": phone, **self.ok(self.http.post("/api/participants", json={
            "full_name": name, "phone": phone, "unit_id": unit_id}))}

    def sms_codes(self, phone: str) -> list[str]:
        """The one-time codes the dev (console) SMS sender wrote for `phone` under the run dir."""
        if not self.sms_file.exists():
            return []
        lines = [json.loads(x) for x in self.sms_file.read_text(encoding="utf-8").splitlines() if x.endswith("}")]
        return [x["code"] for x in lines if x["phone"] == phone]

    def sms_code(self, phone: str, after: int = 0) -> str:
        """The newest code for `phone` once there are more than `after`."""
        return self.wait(lambda: len(self.sms_codes(phone)) > after and self.sms_codes(phone)[-1],
                         f"an SMS code for {phone}")

    def wait(self, predicate: Callable[[], Any], what: str, timeout: float = SLOW / 1000) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
            time.sleep(0.2)


def fresh_phone() -> str:
    """A Vietnamese mobile number no other run used (never the demo's excluded 0912000001)."""
    return "098" + f"{secrets.randbelow(10_000_000):07d}"


@pytest.fixture(scope="package")
def api(live_stack: RunningStack) -> Iterator[Api]:
    client = Api(live_stack)
    yield client
    client.http.close()


@dataclass
class Watched:
    """One page's console errors and uncaught errors; `expect_failure` allows a known failed response."""

    problems: list[str] = field(default_factory=list)
    allowed: list[tuple[int, str]] = field(default_factory=list)
    failed_responses: list[tuple[int, str]] = field(default_factory=list)

    def on_console(self, msg: Any) -> None:
        if msg.type != "error":
            return
        text, url = msg.text, (msg.location or {}).get("url", "")
        m = re.search(r"status of (\d{3})", text)
        if m and any(int(m.group(1)) == status and part in url for status, part in self.allowed):
            return
        self.problems.append(f"console error: {text} ({url})")


@dataclass
class Journey:
    """A test's browser: pages it opens are watched; screenshots are numbered in order."""

    browser: Any
    base: str
    name: str
    contexts: list[Any] = field(default_factory=list)
    watched: dict[Any, Watched] = field(default_factory=dict)  # page → what it logged
    shots: int = 0

    @property
    def folder(self) -> Path:
        return ARTIFACTS / self.name

    def open(self, device: dict[str, Any] = DESKTOP) -> Any:
        """A new page in a fresh context (its own localStorage: one person)."""
        context = self.browser.new_context(base_url=self.base, **device)
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        watch = Watched()
        page.on("console", watch.on_console)
        page.on("pageerror", lambda exc: watch.problems.append(f"page error: {exc}"))
        page.on("response", lambda r: watch.failed_responses.append((r.status, r.url)) if r.status >= 400 else None)
        self.watched[page] = watch
        return page

    def expect_failure(self, page: Any, status: int, url_part: str) -> None:
        """This page will get `status` from a URL containing `url_part`, on purpose (e.g. a refusal)."""
        self.watched[page].allowed.append((status, url_part))

    def labels(self, page: Any) -> None:
        unlabelled = page.evaluate(UNLABELLED_FIELDS_JS)
        assert not unlabelled, f"form fields without a label on {page.url}: {unlabelled}"

    def shot(self, page: Any, step: str) -> Path:
        """Full-page screenshot `NN-step.png`; also checks that every form field on the page has a label."""
        self.shots += 1
        path = self.folder / f"{self.shots:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        self.labels(page)
        return path

    def problems(self) -> list[str]:
        out: list[str] = []
        for watch in self.watched.values():
            out.extend(watch.problems)
            for status, url in watch.failed_responses:
                if not any(status == s and part in url for s, part in watch.allowed):
                    out.append(f"unexpected HTTP {status} for {url}")
        return out

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def journey(chromium: Any, live_stack: RunningStack, request: pytest.FixtureRequest) -> Iterator[Journey]:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    j = Journey(chromium, live_stack.entry.rstrip("/"), name)
    shutil.rmtree(j.folder, ignore_errors=True)
    j.folder.mkdir(parents=True, exist_ok=True)
    yield j
    call = getattr(request.node, "rep_call", None)
    failed = call is None or call.failed
    if failed:
        for n, context in enumerate(j.contexts):
            for m, page in enumerate(context.pages):
                with contextlib.suppress(Exception):  # best effort on a failing test
                    page.screenshot(path=str(j.folder / f"zz-failure-{n}-{m}.png"), full_page=True)
    problems = j.problems()
    j.close()
    if problems:
        message = "errors in the browser:\n" + "\n".join(problems)
        if failed:
            print(message)  # shown with the test's own failure
        else:
            pytest.fail(message)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report
