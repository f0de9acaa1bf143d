"""Pure shaping of the dashboard's numbers: per-1,000 participation and the item analysis flags."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

MIN_SERVED = 5  # below this a question's share correct says little; no flags


def per_thousand(people: int, population: int | None) -> float | None:
    return round(1000.0 * people / population, 2) if population else None


def observed_level(share_correct: float) -> str:
    """The level a question's observed share correct suggests (organizers re-level between rounds)."""
    return "easy" if share_correct >= 0.8 else "medium" if share_correct >= 0.5 else "hard"


def items(questions: Iterable[Mapping[str, Any]], counts: Iterable[Mapping[str, Any]],
          min_served: int = MIN_SERVED) -> list[dict[str, Any]]:
    """One entry per question (bank questions and any answered question no longer in a bank), the
    hardest first: share correct, blanks, choices per option, and the flags an organizer acts on."""
    chosen: dict[str, dict[str | None, int]] = {}
    right: dict[str, int] = {}
    for c in counts:
        chosen.setdefault(c["question_id"], {})[c["option_key"]] = c["n"]
        right[c["question_id"]] = right.get(c["question_id"], 0) + c["right"]
    bank = {q["id"]: q for q in questions}
    out = []
    for qid in list(bank) + sorted(set(chosen) - set(bank)):
        q = bank.get(qid, {"id": qid, "text": "", "options": [], "answer": None})
        picks = chosen.get(qid, {})
        served = sum(picks.values())
        correct = right.get(qid, 0)
        options = [{"key": o["key"], "text": o["text"], "chosen": picks.get(o["key"], 0),
                    "is_answer": o["key"] == q.get("answer")} for o in q["options"]]
        flags, never = [], [o["key"] for o in options if o["chosen"] == 0]
        if served >= min_served:
            if correct == 0:
                flags.append("nobody_right")
            elif correct == served:
                flags.append("everybody_right")
            if never:
                flags.append("never_chosen")
        share = correct / served if served else None
        out.append({"question_id": qid, "text": q["text"], "served": served, "correct": correct,
                    # The declared level (the blueprint draws by it) beside the one the answers suggest.
                    "topic": q.get("topic"), "declared_level": q.get("level"),
                    "observed_level": observed_level(share) if share is not None and served >= min_served else None,
                    "share_correct": round(share, 4) if share is not None else None, "blank": picks.get(None, 0),
                    "options": options, "never_chosen": never if served >= min_served else [], "flags": flags})
    out.sort(key=lambda i: (i["share_correct"] is None, i["share_correct"] or 0.0, i["question_id"]))
    return out
