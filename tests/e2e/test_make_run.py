"""`make run` smoke test: the whole system comes up, every /readyz is 200, Ctrl-C stops it cleanly.

Plain `make run` as a newcomer gets it: on the embedded dev broker (Tansu), no Java needed."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e.stack import run_dir, start_stack


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
