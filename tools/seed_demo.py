"""Demo data for `make run`: initiatives from most communes with judges' scores in progress and the
stage final set up (initiatives API), a few hundred quiz participants across rounds and communes
(quiz's store and outbox), and engagement from four platforms (signed ingest and the portal).

Idempotent; the question bank comes from the contest file and is loaded by quiz itself.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from services.engagement.demo_seed import seed as seed_engagement
from services.initiatives.demo_seed import seed as seed_initiatives
from services.quiz.demo_seed import demo_participant_ids
from services.quiz.demo_seed import seed as seed_quiz
from shared.auth import issue_participant_token
from shared.contest import load_contest


def seed(entry: str, service_urls: dict[str, str], admin_token: str, staff_password: str, *,
         database_url: str | None = None, contest_file: str | None = None,
         participant_key: str | None = None) -> None:
    started = time.monotonic()
    contest = load_contest(contest_file) if database_url and contest_file else None
    quiz_done: dict[str, Any] = {}
    # The quiz's attempts go straight to its database: in parallel with the HTTP seeding.
    worker = threading.Thread(target=_seed_quiz_into, args=(database_url, contest, quiz_done))
    if contest is not None:
        worker.start()
    accounts, initiatives = seed_initiatives(service_urls["initiatives"], admin_token, staff_password)
    took = {"initiatives": time.monotonic() - started}
    print("  demo staff accounts (login at /initiatives/login.html):", flush=True)
    for username, password, role in accounts:
        print(f"    {role:<11} {username} / {password}", flush=True)
    if contest is not None:
        engaged = {}
        if initiatives:
            phase = contest.phase(contest.initiatives.phase_id)
            engaged = seed_engagement(service_urls["engagement"], admin_token, initiatives,
                                      contest_id=contest.contest_id, phase_id=phase.id, opens_at=phase.opens_at,
                                      portal_tokens=_portal_tokens(participant_key, contest.contest_id))
            took["engagement"] = time.monotonic() - started - took["initiatives"]
        worker.join()
        if "error" in quiz_done:
            raise quiz_done["error"]
        attempts = quiz_done["attempts"]
        if not initiatives and not attempts:
            print("  demo data: kept from an earlier run in this folder", flush=True)
            return
        print(f"  demo data: {len(initiatives)} initiatives, {attempts} quiz attempts, engagement "
              + (", ".join(f"{p} {n}" for p, n in engaged.items()) or "none")
              + f" (loaded in {time.monotonic() - started:.1f} s; "
              + ", ".join(f"{k} {v:.1f} s" for k, v in {**took, "quiz": quiz_done.get("seconds", 0)}.items()) + ")",
              flush=True)


def _seed_quiz_into(database_url: str, contest: Any, out: dict[str, Any]) -> None:
    try:
        started = time.monotonic()
        out["attempts"] = asyncio.run(seed_quiz(database_url, contest))
        out["seconds"] = time.monotonic() - started
    except Exception as exc:  # raised again in the caller's thread
        out["error"] = exc


def _portal_tokens(key_file: str | None, contest_id: str, count: int = 12) -> list[str]:
    """Tokens of a dozen demo residents, as quiz issues them after a one-time code proved the phone
    (the portal counts only such likes). Minted here with the run's own key: the demo's phones
    receive no SMS."""
    if not key_file:
        return []
    pem = Path(key_file).read_text()
    return [issue_participant_token(pem, participant_id=pid, contest_id=contest_id, display_name="Người dân",
                                    unit_id="van-dinh", ttl=timedelta(hours=1), phone_verified=True)
            for pid in demo_participant_ids(count)]
