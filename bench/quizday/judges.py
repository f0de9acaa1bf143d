"""Judges at work during the day: score every initiative, revise some scores (new revisions), grade
quiz essays as they arrive, and score the stage finalists one by one as the organizers open them."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from bench.quizday.client import Client
from bench.quizday.recorder import Recorder
from bench.quizday.setup import Judge, World


def criteria(rubric: list[dict[str, Any]], rng: random.Random, level: float) -> list[dict[str, Any]]:
    return [{"criterion_id": c["id"], "score": round(min(c["max"], max(0.0, rng.gauss(level, 0.15) * c["max"])), 1)}
            for c in rubric]


async def _score(client: Client, url: str, judge: Judge, body: dict[str, Any], rec: Recorder, what: str,
                 endpoint: str) -> bool:
    r = await client.call(endpoint, "POST", url, json=body, headers={"Authorization": f"Bearer {judge.token}"})
    rec.count(f"{what}_scored" if r.status == 201 else f"{what}_score_failed")
    return r.status == 201


async def initiatives_judging(client: Client, ini: str, w: World, rec: Recorder, stop: asyncio.Event,
                              rng: random.Random, pace: float) -> None:
    """Each judge scores each initiative once, then some are revised, until `stop`."""
    quality = {i: rng.uniform(0.4, 0.95) for i in w.initiatives}
    todo = [(j, i) for j in w.judges for i in w.initiatives]
    rng.shuffle(todo)
    while not stop.is_set():
        if todo:
            judge, subject = todo.pop()
        else:  # a revision
            judge, subject = rng.choice(w.judges), rng.choice(w.initiatives)
        body = {"subject_id": subject, "criteria": criteria(w.criteria["initiatives"], rng, quality[subject])}
        await _score(client, f"{ini}/api/judging/judges/{judge.id}/scores", judge, body, rec, "initiative",
                     "POST /api/judging/judges/{id}/scores")
        await _pause(stop, pace * rng.uniform(0.5, 1.5))


async def essay_grading(client: Client, ini: str, w: World, rec: Recorder, stop: asyncio.Event,
                        rng: random.Random, pace: float) -> None:
    """Judges take pending essays from the queue (two judges per essay), sometimes revising."""
    while not stop.is_set():
        judge = rng.choice(w.judges)
        r = await client.call("GET /api/essays", "GET", f"{ini}/api/essays", params={"pending": "true", "limit": 20},
                              headers={"Authorization": f"Bearer {judge.token}"})
        items = r.body.get("items", []) if r.status == 200 and isinstance(r.body, dict) else []
        items = [it for it in items if it.get("judges_scored", 0) < 2] or items[:2]
        for it in items[:5]:
            if stop.is_set():
                return
            body = {"criteria": criteria(w.criteria["essays"], rng, rng.uniform(0.3, 0.9))}
            await _score(client, f"{ini}/api/essays/{it['essay_id']}/scores", judge, body, rec, "essay",
                         "POST /api/essays/{id}/scores")
            if rng.random() < 0.1:  # second thoughts: a new revision
                body = {"criteria": criteria(w.criteria["essays"], rng, rng.uniform(0.3, 0.9))}
                await _score(client, f"{ini}/api/essays/{it['essay_id']}/scores", judge, body, rec, "essay",
                             "POST /api/essays/{id}/scores")
            await _pause(stop, pace * rng.uniform(0.5, 1.5))
        if not items:
            await _pause(stop, 1.0)


async def stage_final(client: Client, ini: str, admin_token: str, w: World, rec: Recorder, stop: asyncio.Event,
                      rng: random.Random, pace: float) -> None:
    """The organizers open each finalist in turn; every judge scores it, one revises; then close."""
    admin = {"Authorization": f"Bearer {admin_token}"}
    for finalist in w.finalists:
        if stop.is_set():
            return
        await client.call("POST /api/stage/finalists/{id}/open", "POST",
                          f"{ini}/api/stage/finalists/{finalist}/open", headers=admin)
        level = rng.uniform(0.5, 0.95)
        for judge in w.judges + [rng.choice(w.judges)]:
            body = {"initiative_id": finalist, "criteria": criteria(w.criteria["stage"], rng, level)}
            await _score(client, f"{ini}/api/stage/scores", judge, body, rec, "stage", "POST /api/stage/scores")
            await _pause(stop, pace * rng.uniform(0.5, 1.5))
        await client.call("POST /api/stage/finalists/{id}/close", "POST",
                          f"{ini}/api/stage/finalists/{finalist}/close", headers=admin)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
