"""Equivalent papers: every attempt of a round is drawn to the round's blueprint (pure).

A blueprint asks for exactly `levels[l]` questions of each level and at least `topics[t]` of each
named topic. A bank can fill it when (a) it has enough questions of every level and (b) the topic
minimums fit inside the level counts — a small flow problem (topics → levels through the bank's
(topic, level) cells). Given (a), any assignment that meets the minimums can be topped up level by
level from what is left, so (a) + (b) is exactly "fillable", and the draw uses the same flow.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from services.quiz.domain import Question, draw_questions, with_shuffled_options
from shared.contest import LEVEL_NAMES, Blueprint, QuizRules, Round
from shared.errors import ContestError


def _cells(bank: Sequence[Question]) -> dict[tuple[str | None, str | None], list[Question]]:
    cells: dict[tuple[str | None, str | None], list[Question]] = {}
    for q in bank:
        cells.setdefault((q.topic, q.level), []).append(q)
    return cells


def _topic_allocation(
    bp: Blueprint, cells: dict[tuple[str | None, str | None], list[Question]], rng: random.Random | None
) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """Max flow topic minimums → levels: (questions per (topic, level), shortfall per topic).

    Augmenting paths one unit at a time (the numbers are small: at most the paper size); with an
    `rng` the order of topics and levels is shuffled so that different papers use different cells.
    """
    flow: dict[tuple[str, str], int] = {}
    level_used = dict.fromkeys(bp.levels, 0)
    topics = list(bp.topics)
    levels = list(bp.levels)
    if rng is not None:
        rng.shuffle(topics)

    def cap(topic: str, level: str) -> int:
        return len(cells.get((topic, level), ())) - flow.get((topic, level), 0)

    def augment(topic: str, seen: set[str]) -> bool:
        order = levels[:]
        if rng is not None:
            rng.shuffle(order)
        for level in order:
            if level in seen or cap(topic, level) <= 0:
                continue
            seen.add(level)
            if level_used[level] < bp.levels[level]:
                level_used[level] += 1
                flow[(topic, level)] = flow.get((topic, level), 0) + 1
                return True
            # The level is full: move one of another topic's units off it, if that topic can go elsewhere.
            for other in topics:
                if flow.get((other, level), 0) > 0 and augment(other, seen):
                    flow[(other, level)] -= 1  # `other` now has that unit on another level
                    flow[(topic, level)] = flow.get((topic, level), 0) + 1
                    return True
        return False

    short: dict[str, int] = {}
    for topic in topics:
        for _ in range(bp.topics[topic]):
            if not augment(topic, set()):
                short[topic] = short.get(topic, 0) + 1
    return flow, short


def shortfalls(bp: Blueprint, bank: Sequence[Question]) -> list[str]:
    """Why `bank` cannot fill `bp`, one Vietnamese sentence per missing cell (empty: it can)."""
    cells = _cells(bank)
    problems: list[str] = []
    for level, need in bp.levels.items():
        have = sum(len(qs) for (_, lv), qs in cells.items() if lv == level)
        if have < need:
            problems.append(f"mức độ {LEVEL_NAMES[level]} ({level}) cần {need} câu, ngân hàng chỉ có {have}")
    for topic, need in bp.topics.items():
        have = sum(len(qs) for (tp, lv), qs in cells.items() if tp == topic and lv in bp.levels and bp.levels[lv])
        if have < need:
            problems.append(f"chủ đề {topic} cần ít nhất {need} câu, ngân hàng chỉ có {have}")
    if not problems:
        _, short = _topic_allocation(bp, cells, None)
        for topic, missing in sorted(short.items()):
            problems.append(f"chủ đề {topic} thiếu {missing} câu trong giới hạn số câu của từng mức độ")
    return problems


def check_fillable(rnd: Round, bank: Sequence[Question]) -> None:
    """ContestError 422 naming the round and every missing cell, or nothing."""
    if rnd.blueprint is None:
        return
    problems = shortfalls(rnd.blueprint, bank)
    if problems:
        raise ContestError(422, "blueprint_unfillable",
                        f"Ngân hàng câu hỏi không đủ để ra đề theo khung của vòng {rnd.id} ({rnd.name}): "
                        + "; ".join(problems) + ".", {"round_id": rnd.id, "problems": problems})


def draw_to_blueprint(bank: Sequence[Question], bp: Blueprint, rng: random.Random) -> list[Question]:
    """One paper that matches `bp` exactly, questions and options in random order."""
    cells = _cells(bank)
    flow, short = _topic_allocation(bp, cells, rng)
    if short or any(sum(1 for q in bank if q.level == lv) < n for lv, n in bp.levels.items()):
        raise ContestError(503, "blueprint_unfillable", "Ngân hàng câu hỏi hiện không đủ để ra đề cho vòng thi này. "
                        "Ban tổ chức đã được thông báo; vui lòng quay lại sau.")
    picked: list[Question] = []
    taken: set[str] = set()
    for (topic, level), n in flow.items():
        for q in rng.sample(cells[(topic, level)], n):
            picked.append(q)
            taken.add(q.id)
    for level, need in bp.levels.items():
        have = sum(1 for q in picked if q.level == level)
        rest = [q for q in bank if q.level == level and q.id not in taken]
        picked.extend(rng.sample(rest, need - have))
    rng.shuffle(picked)
    return with_shuffled_options(picked, rng)


def draw(bank: Sequence[Question], rules: QuizRules, rnd: Round, rng: random.Random) -> list[Question]:
    """The round's paper: to its blueprint when it has one, else `question_count` uniformly."""
    if rnd.blueprint is None:
        return draw_questions(bank, rules.question_count, rng)
    return draw_to_blueprint(bank, rnd.blueprint, rng)
