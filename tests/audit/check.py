"""Diff the expected boards against the ranking HTTP API; wait (bounded) for convergence."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.contest import Contest
from tests.audit import expected as ex
from tests.audit.sources import Facts, load

TOLERANCE = 2e-4  # both sides round to 4 digits; allow one unit in the last place


@dataclass
class Difference:
    board_id: str
    entrant_id: str
    what: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        return (f"{self.board_id} · {self.entrant_id} · {self.what}: "
                f"expected {self.expected!r}, actual {self.actual!r}")


@dataclass
class AuditResult:
    differences: list[Difference] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # other invariants (engagement totals …)
    boards_checked: int = 0
    entries_checked: int = 0
    skipped: list[str] = field(default_factory=list)  # frozen boards
    facts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.differences and not self.problems

    def summary(self) -> str:
        head = (f"audit {'PASSED' if self.ok else 'FAILED'}: {self.boards_checked} boards, "
                f"{self.entries_checked} entries checked in {self.seconds:.1f}s; facts {self.facts}")
        lines = [head]
        if self.skipped:
            lines.append(f"  skipped (frozen): {', '.join(self.skipped)}")
        for p in self.problems[:50]:
            lines.append(f"  PROBLEM {p}")
        for d in self.differences[:100]:
            lines.append(f"  DIFF {d}")
        if len(self.differences) > 100:
            lines.append(f"  … and {len(self.differences) - 100} more differences")
        return "\n".join(lines)


async def fetch_board(http: httpx.AsyncClient, ranking: str, board_id: str, page: int = 1000) -> dict[str, Any]:
    entries: list[dict[str, Any]] = []
    offset = 0
    while True:
        r = await http.get(f"{ranking}/api/boards/{board_id}", params={"limit": page, "offset": offset})
        r.raise_for_status()
        body = r.json()
        entries.extend(body.get("entries", []))
        offset += page
        if offset >= body.get("total", 0) or not body.get("entries"):
            body["entries"] = entries
            return body


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) <= TOLERANCE
    return a == b


def compare_board(board_id: str, want: list[ex.Entry], body: dict[str, Any]) -> list[Difference]:
    diffs: list[Difference] = []
    got = {e["entrant_id"]: e for e in body.get("entries", [])}
    if body.get("total") != len(want):
        diffs.append(Difference(board_id, "(board)", "total", len(want), body.get("total")))
    if len(got) != len(body.get("entries", [])):
        diffs.append(Difference(board_id, "(board)", "entrant listed twice", len(got), len(body["entries"])))
    for w in want:
        g = got.pop(w.entrant_id, None)
        if g is None:
            diffs.append(Difference(board_id, w.entrant_id, "missing entry", {"rank": w.rank, "score": w.score}, None))
            continue
        if not _close(w.score, g.get("score")):
            diffs.append(Difference(board_id, w.entrant_id, "score", w.score, g.get("score")))
        if w.rank != g.get("rank"):
            diffs.append(Difference(board_id, w.entrant_id, "rank", w.rank, g.get("rank")))
        details = g.get("details") or {}
        for k, v in w.details.items():
            if k == "judge_count":
                actual = details.get("judge_count", len(details.get("judges", {}) or {}))
            else:
                actual = details.get(k, "(absent)")
            if not _close(v, actual):
                diffs.append(Difference(board_id, w.entrant_id, f"details.{k}", v, actual))
    for eid, g in got.items():
        diffs.append(Difference(board_id, eid, "unexpected entry", None, {"rank": g.get("rank"), "score": g.get("score")}))
    return diffs


async def audit(dsn: str, ranking: str, contest: Contest, *, schemas: dict[str, str] | None = None,
                http: httpx.AsyncClient | None = None) -> AuditResult:
    started = time.monotonic()
    facts: Facts = await load(dsn, **(schemas or {}))
    want = ex.expected_boards(contest, facts)
    result = AuditResult(facts={"attempts": len(facts.attempts), "judge_scores": len(facts.scores),
                                "initiatives": len(facts.initiatives),
                                "liked_pairs": sum(facts.likes.values()),
                                "actions": sum(facts.actions.values())})
    result.problems.extend(ex.engagement_consistency(facts))
    own = http is None
    http = http or httpx.AsyncClient(timeout=30)
    try:
        r = await http.get(f"{ranking}/api/boards")
        r.raise_for_status()
        listed = {b["board_id"]: b for b in r.json().get("boards", [])}
        for board_id in sorted(set(want) | set(listed)):
            if listed.get(board_id, {}).get("frozen"):
                result.skipped.append(board_id)
                continue
            if board_id not in listed:
                if want[board_id]:
                    result.differences.append(Difference(board_id, "(board)", "board missing from GET /api/boards",
                                                         f"{len(want[board_id])} entries", None))
                    continue
                # an empty expected board (e.g. a round nobody took) may simply not be listed
                continue
            body = await fetch_board(http, ranking, board_id)
            result.differences.extend(compare_board(board_id, want.get(board_id, []), body))
            result.boards_checked += 1
            result.entries_checked += len(body.get("entries", []))
    finally:
        if own:
            await http.aclose()
    result.seconds = time.monotonic() - started
    return result


async def audit_until_converged(dsn: str, ranking: str, contest: Contest, *, timeout: float = 120.0,
                                interval: float = 2.0, schemas: dict[str, str] | None = None) -> AuditResult:
    """Events take a moment to flow (outbox relay → broker → ranking): retry until equal or timeout."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=30) as http:
        while True:
            try:
                result = await audit(dsn, ranking, contest, schemas=schemas, http=http)
            except (httpx.HTTPError, OSError) as exc:
                result = AuditResult(problems=[f"ranking API unreachable: {exc!r}"])
            if result.ok or time.monotonic() > deadline:
                return result
            await asyncio.sleep(interval)
