"""What the load generator measures: latency per endpoint, statuses, a per-second timeline,
contract violations (500s, 429/503 without Retry-After, errors without the JSON shape), freshness."""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of an unsorted list (q in 0..100); NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[k]


SUBMIT = "POST /api/attempts/{id}/submit"
TIMED = frozenset({SUBMIT})


@dataclass
class Violation:
    at: float
    endpoint: str
    status: int | str
    problem: str
    body: str


@dataclass
class Recorder:
    started: float = field(default_factory=time.monotonic)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    error_codes: Counter = field(default_factory=Counter)  # (status, code) -> n
    timeline: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))  # second -> kind -> n
    violations: list[Violation] = field(default_factory=list)
    client_wait: list[float] = field(default_factory=list)  # generator-side wait for a connection slot
    freshness: list[float] = field(default_factory=list)  # seconds from submit to visible on the board
    freshness_missed: int = 0
    events: list[tuple[float, str]] = field(default_factory=list)  # drill marks (seconds, label)
    counters: Counter = field(default_factory=Counter)  # journeys: registered, submitted, abandoned …
    resources: list[dict[str, Any]] = field(default_factory=list)
    # (started at, seconds, status) of the endpoints in TIMED, to take percentiles over a drill's window
    timed: dict[str, list[tuple[float, float, int | str]]] = field(default_factory=lambda: defaultdict(list))

    def now(self) -> float:
        return time.monotonic() - self.started

    def mark(self, label: str) -> None:
        self.events.append((self.now(), label))

    def count(self, what: str, n: int = 1) -> None:
        self.counters[what] += n
        self.timeline[int(self.now())][what] += n

    def http(self, endpoint: str, status: int | str, seconds: float, body: Any = None,
             headers: Any = None) -> None:
        self.statuses[endpoint][status] += 1
        if endpoint in TIMED:
            self.timed[endpoint].append((self.now() - seconds, seconds, status))
        if not isinstance(status, str):  # a refused connection has no meaningful latency
            self.latencies[endpoint].append(seconds)
        second = int(self.now())
        self.timeline[second]["requests"] += 1
        if isinstance(status, str):
            self.timeline[second]["connection_errors"] += 1
            self.error_codes[(status, "no answer")] += 1
            return
        if status >= 400:
            self.timeline[second]["errors"] += 1
            code = _error_code(body)
            self.error_codes[(status, code or "(no code)")] += 1
            problem = None
            if status >= 500 and status != 503:
                problem = "server error (5xx other than 503)"
            elif status in (429, 503) and not (headers and headers.get("retry-after")):
                problem = f"{status} without Retry-After"
            elif code is None and status != 502:
                problem = "error without a JSON {error: {code, message}} body"
            if problem:
                self.violations.append(Violation(self.now(), endpoint, status, problem, str(body)[:300]))

    def summary(self) -> dict[str, Any]:
        return {
            "requests": sum(len(v) for v in self.latencies.values()),
            "violations": len(self.violations),
            **dict(self.counters),
        }


def _error_code(body: Any) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        if isinstance(err.get("code"), str) and isinstance(err.get("message"), str):
            return err["code"]
    return None
