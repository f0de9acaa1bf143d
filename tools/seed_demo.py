"""Demo data for `make run`: initiatives from most communes with judges' scores in progress and the
stage final set up (initiatives API), a few hundred quiz participants across rounds and communes
(quiz's store and outbox), and engagement from four platforms (signed ingest and the portal).

Idempotent; the question bank comes from the contest file and is loaded by quiz itself.
"""

from __future__ import annotations

import asyncio
import time

from services.engagement.demo_seed import seed as seed_engagement
from services.initiatives.demo_seed import seed as seed_initiatives
from services.quiz.demo_seed import seed as seed_quiz
from shared.contest import load_contest


def seed(entry: str, service_urls: dict[str, str], admin_token: str, *, database_url: str | None = None,
         contest_file: str | None = None) -> None:
    started = time.monotonic()
    accounts, initiatives = seed_initiatives(service_urls["initiatives"], admin_token)
    print("  demo staff accounts (login at /initiatives/login.html):", flush=True)
    for username, password, role in accounts:
        print(f"    {role:<11} {username} / {password}", flush=True)
    if database_url and contest_file:
        contest = load_contest(contest_file)
        attempts = asyncio.run(seed_quiz(database_url, contest))
        engaged = {}
        if initiatives:
            phase = contest.phase(contest.initiatives.phase_id)
            engaged = seed_engagement(service_urls["engagement"], service_urls["quiz"], admin_token, initiatives,
                                      contest_id=contest.contest_id, phase_id=phase.id, opens_at=phase.opens_at)
        print(f"  demo data: {len(initiatives)} initiatives, {attempts} quiz attempts, engagement "
              + (", ".join(f"{p} {n}" for p, n in engaged.items()) or "kept")
              + f" (loaded in {time.monotonic() - started:.1f} s)", flush=True)
