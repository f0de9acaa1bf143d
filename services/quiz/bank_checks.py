"""A bank must fill the blueprint of every round it serves: checked at start-up (the service
refuses to start, naming the round and the missing cell) and on every import (422, nothing imported).

Only rounds that can still draw papers count (not yet closed); a round-specific bank takes the
round's draws away from the bank for every round, so a shared import is not checked against it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.quiz import blueprint, store
from services.quiz.domain import Question
from shared.contest import Round
from shared.errors import ContestError
from shared.service import Runtime


def _drawing(rt: Runtime) -> list[Round]:
    now = datetime.now(UTC)
    return [r for r in rt.contest.quiz.rounds if r.blueprint is not None and now < r.closes_at]


async def check_at_startup(rt: Runtime) -> None:
    """SystemExit when the current bank of a round cannot fill that round's blueprint."""
    problems: list[str] = []
    async with rt.pool.acquire() as conn:
        for rnd in _drawing(rt):
            version = await store.current_bank_version(conn, rt.contest.contest_id, rnd.id)
            if version is None:
                continue  # no bank yet: imports are checked, attempts answer "no bank"
            try:
                blueprint.check_fillable(rnd, await store.bank_questions(conn, version))
            except ContestError as exc:
                problems.append(f"  - quiz.rounds[{rnd.id}].blueprint (bank version {version}): {exc.message}")
    if problems:
        raise SystemExit("the question bank cannot fill the contest's blueprints:\n" + "\n".join(problems))


async def check_import(rt: Runtime, questions: list[Question], round_id: str | None) -> None:
    """ContestError 422 when the bank about to become current cannot fill a round it would serve."""
    async with rt.pool.acquire() as conn:
        own = {r["round_id"] for r in await conn.fetch(
            "SELECT DISTINCT round_id FROM bank_versions WHERE contest_id = $1 AND round_id IS NOT NULL",
            rt.contest.contest_id)}
    for rnd in _drawing(rt):
        if rnd.id == round_id or (round_id is None and rnd.id not in own):
            blueprint.check_fillable(rnd, questions)
