"""`make run` smoke test: the whole system comes up, every /readyz is 200, Ctrl-C stops it cleanly.

Plain `make run` as a newcomer gets it: on the embedded dev broker (Tansu), no Java needed."""

from __future__ import annotations

import ast
import re
import stat
import time
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from tests.e2e.stack import ROOT, run_dir, start_stack


@pytest.fixture(scope="module")
def stack():
    with run_dir() as path:
        started = time.monotonic()
        running = start_stack(path, broker="tansu")
        running.startup_seconds = time.monotonic() - started
        yield running
        running.stop()


def test_all_services_ready_within_60s(stack):
    assert stack.startup_seconds < 60, f"took {stack.startup_seconds:.1f}s"
    for name in stack.ports:
        r = httpx.get(f"{stack.url(name)}/readyz", timeout=5)
        assert r.status_code == 200, (name, r.text)
        assert r.json()["status"] == "ready"


def test_output_names_every_service_and_the_entry(stack):
    text = "\n".join(stack.output)
    for port in stack.ports.values():
        assert f"http://127.0.0.1:{port}" in text
    assert stack.entry.startswith("http://127.0.0.1:")
    assert httpx.get(stack.entry, timeout=5).status_code == 200


def test_ctrl_c_stops_everything_and_a_second_run_works():
    with run_dir() as path:
        first = start_stack(path, broker="tansu")
        assert first.stop() == 0, "\n".join(first.output[-20:])
        assert any("Stopped." in line for line in first.output), first.output[-20:]
        second = start_stack(path, broker="tansu")  # same run dir: data kept, ports reused
        try:
            r = httpx.get(f"{second.url('quiz')}/readyz", timeout=5)
            assert r.status_code == 200
        finally:
            assert second.stop() == 0


# Values that were once defaults in the source: a `make run` system must accept none of them.
FORMER_STAFF_SECRET = "dev-only-staff-token-secret-change-me-0000"
FORMER_DEMO_PASSWORD = "demo-12345678"


def _repository_literals() -> set[str]:
    """Every string constant in the repository's Python sources."""
    literals: set[str] = set()
    for folder in ("shared", "services", "tools", "bench", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            literals.update(n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str))
    return literals


def test_make_run_generates_every_secret_and_no_repository_value_opens_a_staff_session(stack):
    generated = {p.name: p for p in (stack.run_dir / "secrets").iterdir()}
    assert {"staff_token_secret", "actor_hash_key", "demo_staff_password"} <= set(generated)
    literals = _repository_literals()
    for name, path in generated.items():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
        assert path.read_text().strip() not in literals, f"{name} is a value written in the repository"
    base = stack.url("initiatives")
    now = datetime.now(UTC)
    candidates = {FORMER_STAFF_SECRET, *(s for s in literals if len(s) >= 32 and re.search(r"secret|key", s, re.I))}
    for secret in candidates:
        forged = jwt.encode({"iss": "unghoa-contest/initiatives", "aud": "staff", "sub": "truong-bgk",
                             "role": "head_judge", "unit": None, "iat": now, "exp": now + timedelta(hours=1)},
                            secret, algorithm="HS256")
        r = httpx.get(f"{base}/api/staff/me", headers={"Authorization": f"Bearer {forged}"}, timeout=5)
        assert r.status_code == 401, (secret, r.text)
    bad = httpx.post(f"{base}/api/staff/login", json={"username": "truong-bgk", "password": FORMER_DEMO_PASSWORD},
                     timeout=10)
    assert bad.status_code == 401, bad.text
    printed = next(m.group(1) for line in stack.output if (m := re.search(r"truong-bgk / (\S+)", line)))
    good = httpx.post(f"{base}/api/staff/login", json={"username": "truong-bgk", "password": printed}, timeout=10)
    assert good.status_code == 200 and good.json()["staff"]["role"] == "head_judge", good.text
