"""The quiz day, end to end: seed, then one segment per drill (arrivals of that slice of the day,
platforms pushing, judges scoring, the drill at a random moment), drain, and the checker."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.quizday import drill_figures, judges, platforms, setup
from bench.quizday import drills as drills_mod
from bench.quizday.client import Client
from bench.quizday.participants import SmsInbox, journey, make_profiles
from bench.quizday.participants import World as Journeys
from bench.quizday.recorder import Recorder, percentile
from bench.quizday.stack import SERVICES, Stack
from shared.contest import load_contest
from tests.audit import AuditResult, audit_until_converged


@dataclass
class Params:
    participants: int = 20_000
    duration: float = 600.0  # seconds over which participants arrive
    drills: list[str] = field(default_factory=lambda: list(drills_mod.DRILLS))
    think: float = 1.5  # median seconds per question
    seed: int = 20250106
    engagement_rate: float = 40.0  # events per second per platform
    judges_pace: float = 1.0  # seconds between a judge's actions
    freshness_share: float = 0.03
    audit_timeout: float = 180.0
    initiatives: int = 12
    max_connections: int = 100  # per service


@dataclass
class Segment:
    index: int
    drill: str | None
    participants: int
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    audit: AuditResult | None = None
    problems: list[str] = field(default_factory=list)
    log: drills_mod.DrillLog | None = None
    figures: drill_figures.DrillFigures | None = None  # broker drills only

    @property
    def ok(self) -> bool:
        return bool(self.audit and self.audit.ok) and not self.problems


@dataclass
class Outcome:
    params: Params
    rec: Recorder
    segments: list[Segment]
    lost: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    world: Any = None

    @property
    def ok(self) -> bool:
        return (all(s.ok for s in self.segments) and not self.lost and not self.rec.violations
                and not self.rec.counters.get("grading_mismatch"))


async def run(params: Params, stack: Stack, *, progress: bool = True) -> Outcome:
    rec = Recorder()
    client = Client(rec, max_connections=params.max_connections)
    probe_http = httpx.AsyncClient(timeout=5)
    rng = random.Random(params.seed)
    started = time.monotonic()
    try:
        world = await setup.seed(client, stack, initiatives=params.initiatives)
        print(f"seeded: {len(world.initiatives)} initiatives, {len(world.judges)} judges, "
              f"{len(world.platforms)} platforms; round {world.round_id}, free question: {world.free_kind}",
              flush=True)
        profiles = make_profiles(params.participants, params.duration, world.units, world.attempt_limit, rng,
                                 think_median=params.think, freshness_share=params.freshness_share, likes=True)
        j = Journeys(client=client, rec=rec, quiz=stack.url("quiz"), engagement=stack.url("engagement"),
                     ranking=stack.url("ranking"), round_id=world.round_id, free_kind=world.free_kind,
                     answer_key=world.answer_key, contents=world.initiatives, probe_http=probe_http,
                     sms=SmsInbox(stack.run_dir / "sms.jsonl"))
        contest = load_contest(stack.contest_file)
        names = params.drills or [None]  # type: ignore[list-item]
        n = len(names)
        segments: list[Segment] = []
        for k, drill in enumerate(names):
            lo, hi = k * params.duration / n, (k + 1) * params.duration / n
            mine = [p for p in profiles if lo <= p.arrival < hi or (k == n - 1 and p.arrival >= hi)]
            seg = Segment(k, drill, len(mine))
            segments.append(seg)
            broker_drill = drill in drills_mod.BROKER_DRILLS
            acked_from = len(j.submitted)
            dups_before = await _log_duplicates(stack) if broker_drill else 0
            t0 = time.monotonic()
            await _segment(params, stack, world, j, rec, client, seg, mine, lo, hi - lo, rng, k, progress)
            seg.seconds = time.monotonic() - t0
            rec.mark(f"checker after segment {k + 1}")
            for name in SERVICES:
                await stack.wait_ready(name)
            seg.audit = await audit_until_converged(stack.dsn, stack.url("ranking"), contest,
                                                    timeout=params.audit_timeout)
            print(f"segment {k + 1}/{n} ({drill or 'no drill'}): {seg.audit.summary()}", flush=True)
            if broker_drill and seg.log is not None:
                await _broker_figures(stack, rec, seg, j.submitted[acked_from:], dups_before)
            for p in seg.problems:
                print(f"  PROBLEM {p}", flush=True)
        lost = await acknowledged_but_lost(stack.dsn, j.submitted)
        return Outcome(params, rec, segments, lost, time.monotonic() - started, world)
    finally:
        await client.close()
        await probe_http.aclose()


async def _segment(params: Params, stack: Stack, world: setup.World, j: Journeys, rec: Recorder, client: Client,
                   seg: Segment, mine: list, start_at: float, window: float, rng: random.Random, k: int,
                   progress: bool) -> None:
    stop = asyncio.Event()
    ini = stack.url("initiatives")
    background = [
        asyncio.create_task(platforms.pusher(client, stack.url("engagement"), p, rec, stop,
                                             rate_per_second=params.engagement_rate, seed=rng.randrange(1 << 30),
                                             started=rec.started))
        for p in world.platforms
    ]
    background += [
        asyncio.create_task(judges.initiatives_judging(client, ini, world, rec, stop, random.Random(rng.random()),
                                                       params.judges_pace * 2)),
        asyncio.create_task(judges.essay_grading(client, ini, world, rec, stop, random.Random(rng.random()),
                                                 params.judges_pace)),
        asyncio.create_task(_sample_resources(stack, rec, stop)),
    ]
    if k == 0:
        background.append(asyncio.create_task(judges.stage_final(
            client, ini, stack.admin_token, world, rec, stop, random.Random(rng.random()), params.judges_pace)))
    if progress:
        background.append(asyncio.create_task(_progress(rec, stop, seg)))
    log = drills_mod.DrillLog(seg.drill or "none", submitted=j.submitted)
    seg.log = log
    drill_task = None
    if seg.drill:
        drill_task = asyncio.create_task(drills_mod.DRILLS[seg.drill](stack, rec, log, random.Random(rng.random()),
                                                                      max(window, 10.0)))
    t0 = time.monotonic()

    async def arrive(p: Any) -> None:
        await asyncio.sleep(max(0.0, p.arrival - start_at - (time.monotonic() - t0)))
        await journey(j, p, random.Random(p.index ^ params.seed))

    await asyncio.gather(*(arrive(p) for p in mine))
    if drill_task is not None:
        try:
            await drill_task
        except Exception as exc:  # a drill that could not finish is a failed segment, not a crashed day
            seg.problems.append(f"drill {seg.drill} failed: {exc!r}")
    stop.set()
    await asyncio.gather(*background, return_exceptions=True)
    seg.notes = log.notes
    if seg.drill == "poison":
        await asyncio.sleep(5)
        seg.problems += await drills_mod.poison_landed(stack, log)


async def _broker_figures(stack: Stack, rec: Recorder, seg: Segment, acked: list[dict[str, Any]],
                          dups_before: int) -> None:
    assert seg.log is not None
    lost = await acknowledged_but_lost(stack.dsn, acked) + await drill_figures.not_in_ranking(stack.dsn, acked)
    after = await _log_duplicates(stack)
    dups = after - dups_before if min(after, dups_before) >= 0 else -1
    seg.figures = fig = drill_figures.figures(rec, seg.log, seg.audit, acked, lost, dups)
    seg.problems += [f"lost: {x}" for x in lost[:20]]
    if fig.double_counted:
        seg.problems.append(f"{fig.double_counted} board values above their recomputation (double-counted)")
    if fig.fresh_after != fig.fresh_after:  # NaN: never caught up within the timeout
        seg.problems.append("boards not fresh again within the timeout")
    print(f"  {seg.drill}: {fig}", flush=True)


async def _log_duplicates(stack: Stack) -> int:
    """-1 when the log could not be read (reported, not fatal: the checker still decides)."""
    try:
        return await drill_figures.log_duplicates(stack.bootstrap)
    except Exception as exc:
        print(f"  could not count duplicate records: {exc!r}", flush=True)
        return -1


async def _sample_resources(stack: Stack, rec: Recorder, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            sample = await asyncio.to_thread(stack.sample)
            rec.resources.append({"t": rec.now(), **sample})
        except Exception:
            pass
        try:
            await asyncio.wait_for(stop.wait(), 2.0)
        except TimeoutError:
            pass


async def _progress(rec: Recorder, stop: asyncio.Event, seg: Segment) -> None:
    last_requests, last_t = 0, rec.now()
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), 5.0)
        except TimeoutError:
            pass
        total = sum(sum(c.values()) for c in rec.statuses.values())
        now = rec.now()
        rps = (total - last_requests) / max(0.001, now - last_t)
        last_requests, last_t = total, now
        submit = rec.latencies.get("POST /api/attempts/{id}/submit", [])[-500:]
        c = rec.counters
        print(f"[{now:6.0f}s] seg {seg.index + 1} {seg.drill or '-':<16} registered {c['registered']:>6} "
              f"submitted {c['submitted']:>6} abandoned {c['abandoned']:>5} | {rps:6.0f} req/s "
              f"submit p95 {1000 * percentile(submit, 95):6.0f} ms | ingest {c['ingest_batches']:>5} batches "
              f"| errors {sum(rec.error_codes.values()):>5} violations {len(rec.violations)}", flush=True)


async def acknowledged_but_lost(dsn: str, submitted: list[dict[str, Any]]) -> list[str]:
    """Every submit that got a 200 must be in the quiz database with the same score (no acknowledged loss)."""
    if not submitted:
        return []
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT attempt_id, status, result FROM quiz.attempts WHERE attempt_id = ANY($1::text[])",
                                [s["attempt_id"] for s in submitted])
    finally:
        await conn.close()
    have = {r["attempt_id"]: r for r in rows}
    lost = []
    for s in submitted:
        row = have.get(s["attempt_id"])
        if row is None or row["status"] != "submitted":
            lost.append(f"{s['attempt_id']}: acknowledged (200) but {'absent' if row is None else row['status']}")
        elif abs(float(_json(row["result"]).get("score", -1)) - float(s["score"])) > 1e-9:
            lost.append(f"{s['attempt_id']}: acknowledged score {s['score']}, stored {row['result']}")
    return lost


def default_out() -> Path:
    return Path(__file__).resolve().parents[1] / "results" / time.strftime("quizday-%Y%m%d-%H%M%S")


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        import json

        return json.loads(value)
    return value or {}
