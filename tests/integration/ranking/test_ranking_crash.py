"""Ranking killed with SIGKILL mid-stream and restarted ends with the same boards as an
uninterrupted run (the same facts applied once each to a fresh in-memory index)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from services.ranking import handlers
from services.ranking.index import RankingIndex
from shared.contest import load_contest
from tests.integration.ranking.helpers import answer, judged, send
from tests.support import wait_for
from tools.tansu import free_port

ROOT = Path(__file__).resolve().parents[3]
PEOPLE, ATTEMPTS = 1000, 4000


def start(ns, port: int) -> subprocess.Popen:
    env = {**os.environ, "PORT": str(port), "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    for key, value in ns.settings_kwargs("ranking", stream_interval_seconds=0.2).items():
        env[key.upper()] = str(value)
    return subprocess.Popen([sys.executable, "-m", "services.ranking"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def fetch_all(client: httpx.AsyncClient, board_id: str) -> list:
    out, offset = [], 0
    while True:
        body = (await client.get(f"/api/boards/{board_id}", params={"limit": 1000, "offset": offset})).json()
        out += body["entries"]
        offset += 1000
        if offset >= body["total"]:
            return out


async def test_sigkill_mid_stream_then_restart_gives_the_same_boards(ns):
    rng = random.Random(4)
    items = [answer(f"a{i}", f"p{i % PEOPLE}", float(rng.randrange(0, 101, 5)), minutes=rng.randint(0, 5000),
                    dur=rng.randint(60, 900) * 1000) for i in range(ATTEMPTS)]
    items += [judged("quiz", "attempt", f"a{rng.randrange(ATTEMPTS)}", f"e{rng.randint(1, 3)}", rng.randint(1, 3),
                     float(rng.randint(0, 100))) for _ in range(250)]
    await send(ns.bootstrap, ns.topic_prefix, items)

    expected = RankingIndex(load_contest(ns.contest_file), reference_refresh_seconds=0)
    expected.add_attempts(handlers.attempts_of("unghoa-cds-2025", [e for t, e in items if t.startswith("quiz")]))
    expected.add_judge_totals(handlers.judge_totals_of("unghoa-cds-2025", [e for t, e in items if "judge" in t]))
    expected.refresh(force=True)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(ns, port)
    killed_at = None
    try:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            async def some_applied():
                try:
                    body = (await client.get("/api/boards/quiz.unit.all")).json()
                except httpx.HTTPError:
                    return False
                return sum(e["details"]["attempts"] for e in body.get("entries", [])) or False

            killed_at = await wait_for(some_applied, timeout=60, interval=0.02, what="first batches applied")
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            proc = start(ns, port)

            async def all_applied():
                try:
                    body = (await client.get("/api/boards/quiz.unit.all")).json()
                    essays = (await client.get("/api/boards/quiz.individual.all", params={"limit": 1})).json()
                except httpx.HTTPError:
                    return False
                return (sum(e["details"]["attempts"] for e in body.get("entries", [])) == ATTEMPTS
                        and essays["entries"][0]["score"] == expected.boards["quiz.individual.all"].slice(0, 1)[0]["score"])

            await wait_for(all_applied, timeout=90, interval=0.2, what="every event applied after restart")
            for board_id in ("quiz.individual.all", "quiz.individual.round-week-2", "quiz.unit.all"):
                got = await fetch_all(client, board_id)
                assert got == expected.boards[board_id].snapshot(), board_id
    finally:
        proc.kill()
        proc.wait(10)
    print(f"killed after {killed_at} of {ATTEMPTS} attempts were applied")
