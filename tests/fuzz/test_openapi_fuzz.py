"""Schemathesis against each service's OpenAPI, on the whole system started as `make run` does.

Every operation gets FUZZ_CASES generated requests (default 25; a few thousand in all with
FUZZ_CASES=200), sent with credentials that let them past authentication (the organizer token on
admin and staff routes, a participant token elsewhere) and once more without. Expectation: never a
5xx other than 503, a 503/429 always with Retry-After, every 4xx with the JSON error shape.
FUZZ_CONFORMANCE=1 also checks responses against the declared schemas (reported, not failed).
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from bench.quizday.stack import SERVICES, start
from tests.e2e.stack import run_dir

CASES = int(os.environ.get("FUZZ_CASES", "25"))
SKIP_SUFFIXES = ("/stream",)  # Server-Sent Events never end


@pytest.fixture(scope="module")
def stack():
    with run_dir("fuzz-") as path:
        running = start(path)
        yield running
        running.stop()


@pytest.fixture(scope="module")
def participant_token(stack) -> str:
    r = httpx.post(f"{stack.url('quiz')}/api/participants", timeout=10,
                   json={"full_name": "Người Thử Nghiệm", "phone": "0987000111", "unit_id": "van-dinh"})
    assert r.status_code == 201, r.text
    return r.json()["token"]


def _headers(path: str, admin: str, participant: str, authed: bool) -> dict[str, str]:
    if not authed:
        return {}
    staff = ("/api/admin", "/api/initiatives/manage", "/api/judging", "/api/stage", "/api/essays", "/api/staff")
    token = admin if path.startswith(staff) else participant
    return {"Authorization": f"Bearer {token}"}


def _problem(response: Any) -> str | None:
    status = response.status_code
    if status >= 500 and status != 503:
        return f"server error {status}"
    if status in (429, 503) and not response.headers.get("retry-after"):
        return f"{status} without Retry-After"
    if 400 <= status < 500 or status == 503:
        try:
            err = response.json().get("error", {})
            if not (isinstance(err.get("code"), str) and isinstance(err.get("message"), str)):
                return f"{status} without the JSON error shape"
        except (ValueError, AttributeError):
            return f"{status} without a JSON body"
    return None


@pytest.mark.timeout(600)
@pytest.mark.parametrize("service", SERVICES)
def test_no_server_errors_on_any_operation(stack, participant_token, service):
    base = stack.url(service)
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    conformance = os.environ.get("FUZZ_CONFORMANCE") == "1"
    problems: list[str] = []
    mismatches: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        op = result.ok()
        if op.path.endswith(SKIP_SUFFIXES):
            continue
        operations += 1
        strategy = op.as_strategy()
        seen = {"n": 0}

        @settings(max_examples=CASES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def fuzz(case: Any) -> None:
            seen["n"] += 1
            authed = seen["n"] % 4 != 0  # every fourth request without credentials
            headers = _headers(op.path, stack.admin_token, participant_token, authed)
            try:
                response = case.call(base_url=base, headers=headers, timeout=15)
            except Exception as exc:
                problems.append(f"{op.method.upper()} {op.path}: no response ({exc!r:.200})")
                return
            if (p := _problem(response)) is not None:
                problems.append(f"{op.method.upper()} {op.path} -> {p}: {response.text[:200]} "
                                f"[request: {case.path_parameters} {case.query} {str(case.body)[:200]}]")
            if conformance:
                try:
                    case.validate_response(response)
                except Exception as exc:
                    mismatches.append(f"{op.method.upper()} {op.path}: {str(exc)[:300]}")

        fuzz()
    if mismatches:
        print(f"{service}: {len(mismatches)} schema mismatches (not failing):\n" + "\n".join(mismatches[:30]))
    assert operations > 0
    unique = list(dict.fromkeys(problems))
    assert not unique, f"{service}: {len(unique)} problems\n" + "\n".join(unique[:40])
