"""A bank must fill the blueprint of every round it serves: checked at start-up (the service
refuses to start, naming the round and the missing cell) and on every import (422, nothing imported)."""

from __future__ import annotations

from services.quiz import blueprint, store
from services.quiz.domain import Question, QuizError
from shared.service import Runtime


async def check_at_startup(rt: Runtime) -> None:
    """SystemExit when the current bank of a round cannot fill that round's blueprint."""
    problems: list[str] = []
    async with rt.pool.acquire() as conn:
        for rnd in rt.contest.quiz.rounds:
            if rnd.blueprint is None:
                continue
            version = await store.current_bank_version(conn, rt.contest.contest_id, rnd.id)
            if version is None:
                continue  # no bank yet: imports are checked, attempts answer "no bank"
            try:
                blueprint.check_fillable(rnd, await store.bank_questions(conn, version))
            except QuizError as exc:
                problems.append(f"  - quiz.rounds[{rnd.id}].blueprint (bank version {version}): {exc.message}")
    if problems:
        raise SystemExit("the question bank cannot fill the contest's blueprints:\n" + "\n".join(problems))


def check_import(rt: Runtime, questions: list[Question], round_id: str | None) -> None:
    """QuizError 422 when the bank about to become current cannot fill a round it would serve."""
    for rnd in rt.contest.quiz.rounds:
        if round_id is None or rnd.id == round_id:
            blueprint.check_fillable(rnd, questions)
