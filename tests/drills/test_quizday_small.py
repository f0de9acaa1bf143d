"""A test-suite-sized quiz day: the whole system started as `make run` does, 300 participants with a
launch spike, platforms pushing signed batches (duplicates, replays), judges scoring and revising, one
fault drill (SIGKILL of a service, twice), then the independent checker: every board equals its
recomputation from the source-of-truth databases, no acknowledged submission lost, no 500s, every
429/503 with Retry-After. QUIZDAY_DRILL picks another drill (see bench/quizday/drills.py)."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from bench.quizday import report
from bench.quizday.run import Params, run
from bench.quizday.stack import start
from tests.e2e.stack import run_dir


@pytest.fixture(scope="module")
def stack():
    # Under the repo's .run/ (not /tmp/pytest-of-root, which is 0700): embedded PostgreSQL runs as its
    # own user and must traverse every parent folder of its data dir.
    with run_dir("quizday-test-") as path:
        running = start(path, broker=os.environ.get("TEST_BROKER") or "kafka")
        yield running
        running.stop()


@pytest.mark.timeout(300)
def test_quiz_day_with_a_drill_then_the_checker_passes(stack, tmp_path):
    drill = os.environ.get("QUIZDAY_DRILL", "kill-quiz")
    params = Params(participants=300, duration=45, think=0.08, drills=[drill], engagement_rate=40,
                    judges_pace=0.5, freshness_share=0.05, audit_timeout=90)
    started = time.monotonic()
    outcome = asyncio.run(run(params, stack, progress=False))
    path = report.write(outcome, tmp_path / "report")
    print(path.read_text())
    rec = outcome.rec
    (seg,) = outcome.segments
    assert seg.audit is not None and seg.audit.ok, seg.audit.summary() if seg.audit else "no audit"
    assert not seg.problems, seg.problems
    assert any("SIGKILL" in n or "terminated" in n or "SIGSTOP" in n or "produced again" in n or "poison" in n
               for n in seg.notes), seg.notes  # the drill really happened
    assert not outcome.lost, outcome.lost[:10]
    assert not rec.violations, [f"{v.endpoint} {v.status} {v.problem}" for v in rec.violations[:10]]
    assert rec.counters["registered"] >= 290, dict(rec.counters)
    assert rec.counters["submitted"] >= 250, dict(rec.counters)
    assert rec.counters["grading_mismatch"] == 0
    assert rec.counters["ingest_batches"] > 0 and rec.counters["essay_scored"] > 0
    assert seg.audit.entries_checked >= 300
    assert time.monotonic() - started < 200


@pytest.mark.timeout(120)
def test_the_checker_catches_a_tampered_source_of_truth(stack):
    """Change one stored attempt's score behind the system's back: the checker must name it."""
    import asyncpg
    import httpx

    from shared.contest import load_contest
    from tests.audit import audit

    async def scenario() -> None:
        async with httpx.AsyncClient() as http:
            board = await http.get(f"{stack.url('ranking')}/api/boards/quiz.individual.all", params={"limit": 1})
        body = board.json()
        assert body["entries"], "the quiz day left no entries"
        top = body["entries"][-1]
        conn = await asyncpg.connect(stack.dsn)
        try:
            # every attempt of that participant (the public board names no attempt): the same one stays best
            await conn.execute(
                "UPDATE quiz.attempts SET result = jsonb_set(result, '{score}',"
                " to_jsonb((result->>'score')::float8 + 1000)) WHERE participant_id = $1 AND result IS NOT NULL",
                top["entrant_id"])
        finally:
            await conn.close()
        result = await audit(stack.dsn, stack.url("ranking"), load_contest(stack.contest_file))
        assert not result.ok
        found = [d for d in result.differences
                 if d.board_id == "quiz.individual.all" and d.entrant_id == top["entrant_id"] and d.what == "score"]
        assert found and found[0].actual == top["score"], result.summary()
        assert abs(found[0].expected - (top["score"] + 1000)) < 1e-6

    asyncio.run(scenario())
