"""Demo quiz traffic for `make run`: a few hundred residents from every commune, with attempts
spread over the past days of the open and the closed round.

Written through the quiz's own store functions and outbox, exactly as a submit would (attempt row,
result and `quiz.answer-submitted.v1` in one statement, then the choices for the review), so ranking and initiatives learn of every
attempt from the broker and each service's state agrees. Not through HTTP: the API can only start
attempts *now* and rate-limits one address, and a demo needs yesterday's and last week's traffic.
Idempotent: does nothing once the contest has participants.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from services.quiz import blueprint, domain, review, store
from shared import db
from shared.contest import Contest, Round
from shared.events import ANSWER_SUBMITTED, AnswerGiven, AnswerSubmitted, EssayAnswer, format_utc
from shared.outbox import Outbox

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Đặng", "Ngô", "Dương", "Đinh", "Lưu", "Phan"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Quang", "Ngọc", "Thanh", "Hữu", "Thị Thu", "Xuân", "Hồng"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiền", "Hoa", "Hùng", "Hương", "Khánh",
         "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phong", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang",
         "Tuấn", "Vân", "Yến", "Thắng", "Huyền", "Đạt"]
ESSAYS = [
    "Đề xuất lập nhóm Zalo của thôn để thông báo lịch tiêm chủng, lịch thu thuế và hướng dẫn nộp hồ sơ trực "
    "tuyến; đoàn viên thanh niên trực giải đáp vào buổi tối.",
    "Gắn mã QR tại nhà văn hóa thôn dẫn tới trang dịch vụ công, kèm tờ hướng dẫn cách kích hoạt VNeID mức 2 "
    "cho người cao tuổi.",
    "Mở lớp buổi tối hướng dẫn bà con bán nông sản trên sàn thương mại điện tử và thanh toán bằng mã QR.",
]


def demo_participant_ids(count: int) -> list[str]:
    return [_participant_id(i) for i in range(count)]


def _participant_id(i: int) -> str:
    return f"p-demo{i:05d}"


def _phone(i: int) -> str:
    return f"0968{i:06d}"  # a demo range; the contest's excluded number is 0912000001


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A time between start and end, most often in the evening (Vietnam time = UTC+7)."""
    day = start + timedelta(seconds=rng.uniform(0, (end - start).total_seconds()))
    local_hour = rng.choices([7, 9, 11, 12, 15, 19, 20, 21, 22], [2, 2, 3, 4, 2, 6, 8, 6, 3])[0]
    moment = day.replace(hour=(local_hour - 7) % 24, minute=rng.randrange(60), second=rng.randrange(60))
    return min(max(moment, start), end)


def plan(contest: Contest, now: datetime, participants: int, rng: random.Random) -> list[dict[str, Any]]:
    """Who registers, from which unit, how able they are, and in which rounds they try (pure)."""
    units = contest.units
    # The town and the larger communes take part more; agencies a little.
    weights = [6 if u.kind == "town" else 1 if u.kind == "agency" else rng.choice([2, 3, 3, 4, 5]) for u in units]
    people = []
    for i in range(participants):
        rounds = []
        for rnd in contest.quiz.rounds:
            if rnd.opens_at >= now:
                continue
            if rng.random() < (0.85 if rnd.contains(now) else 0.45):
                rounds.append((rnd, 2 if rng.random() < 0.25 else 1))
        people.append({"i": i, "name": _name(rng), "unit": rng.choices(units, weights)[0].id,
                       "skill": rng.uniform(0.3, 0.9), "rounds": rounds})
    return people


def _difficulty(question_id: str) -> tuple[float, list[int]]:
    """A question's ease and its distractors' pull, fixed per question so the item analysis has
    something to find: some questions are easier or harder, some distractors nobody falls for."""
    r = random.Random(question_id)
    ease = r.choice([-0.3, -0.15, 0.0, 0.0, 0.1, 0.2, 1.0 if r.random() < 0.25 else 0.2])
    if r.random() < 0.05:
        ease = -1.0  # as if the bank's answer key were wrong: nobody gets it "right"
    return ease, [4, 2, 0 if r.random() < 0.35 else 1]


def _answers(questions: list[domain.Question], skill: float, rng: random.Random) -> dict[str, str | None]:
    chosen: dict[str, str | None] = {}
    for q in questions:
        ease, pull = _difficulty(q.id)
        wrong = sorted(o.key for o in q.options if o.key != q.answer)  # served options are shuffled
        if ease < 1 and rng.random() < 0.03:
            chosen[q.id] = None  # left blank
        elif rng.random() < skill + ease or not wrong:
            chosen[q.id] = q.answer
        else:
            chosen[q.id] = rng.choices(wrong, (pull + [1] * len(wrong))[:len(wrong)])[0]
    return chosen


async def seed(database_url: str, contest: Contest, *, schema: str = "quiz", topic_prefix: str = "",
               participants: int = 320, seed_value: int = 2025, connections: int = 4) -> int:
    """Insert the demo participants and their attempts; returns how many attempts were submitted."""
    rng = random.Random(seed_value)
    now = datetime.now(UTC)
    outbox = Outbox(source="/services/quiz", topic_prefix=topic_prefix)
    conn = await db.connect(database_url, schema, application_name="demo-seed")
    try:
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM participants WHERE contest_id = $1)", contest.contest_id):
            return 0
    finally:
        await conn.close()
    people = plan(contest, now, participants, rng)
    # A few connections side by side, each with its own share of the people in one transaction.
    shares = [people[n::connections] for n in range(connections)]
    done = await asyncio.gather(*(_seed_share(database_url, schema, contest, outbox, share, now, seed_value + n)
                                  for n, share in enumerate(shares)))
    return sum(done)


async def _seed_share(database_url: str, schema: str, contest: Contest, outbox: Outbox, people: list[dict],
                      now: datetime, seed_value: int) -> int:
    rng = random.Random(seed_value)
    submitted = 0
    conn = await db.connect(database_url, schema, application_name="demo-seed")
    try:
        async with conn.transaction():
            for person in people:
                p = store.ParticipantRow(_participant_id(person["i"]), person["name"], person["unit"],
                                         _phone(person["i"]), rng.choice([None, rng.randint(1955, 2008)]))
                await store.insert_participant(conn, participant_id=p.participant_id, contest_id=contest.contest_id,
                                               phone=p.phone, full_name=p.full_name, unit_id=p.unit_id,
                                               birth_year=p.birth_year)
                for rnd, tries in person["rounds"]:
                    for n in range(tries):
                        submitted += await _attempt(conn, contest, outbox, rnd, p, person["skill"], now, n, rng)
    finally:
        await conn.close()
    return submitted


_banks: dict[tuple[str, str], tuple[int, list[domain.Question]]] = {}


async def _bank(conn: Any, contest_id: str, round_id: str) -> tuple[int, list[domain.Question]]:
    version = await store.current_bank_version(conn, contest_id, round_id)
    if version is None:
        raise RuntimeError("the quiz has no question bank yet")
    if (contest_id, round_id) not in _banks or _banks[(contest_id, round_id)][0] != version:
        _banks[(contest_id, round_id)] = (version, await store.bank_questions(conn, version))
    return _banks[(contest_id, round_id)]


async def _attempt(conn: Any, contest: Contest, outbox: Outbox, rnd: Round, p: store.ParticipantRow,
                   skill: float, now: datetime, n: int, rng: random.Random) -> int:
    rules = contest.quiz
    version, bank = await _bank(conn, contest.contest_id, rnd.id)
    questions = blueprint.draw(bank, rules, rnd, rng)  # the paper a real start would draw
    end = min(rnd.closes_at, now) - timedelta(minutes=20)
    started = _moment(rng, rnd.opens_at, end)
    took = rng.randint(150_000, rules.time_limit_seconds * 1000 - 30_000)
    submitted_at = started + timedelta(milliseconds=took)
    attempt_id = f"a-demo{p.participant_id[6:]}{rnd.id[-1]}{n}"
    await store.insert_attempt(conn, attempt_id=attempt_id, participant=p, contest_id=contest.contest_id,
                               round_id=rnd.id, bank_version=version, questions=questions, started_at=started,
                               deadline=domain.deadline_for(started, rules))
    chosen = _answers(questions, min(0.99, skill + 0.05 * n), rng)
    graded = domain.grade(questions, chosen)
    points = domain.score(graded, rules, took)
    fq = rules.free_question
    free: Any = rng.choice(ESSAYS) if fq.kind == "essay" and rng.random() < 0.04 else None  # ~20: a queue a judge can read
    if fq.kind == "prediction":
        free = rng.randint(800, 2500)
    prediction, essay = domain.parse_free_answer(fq.kind, fq.question_id, free)
    result = {"attempt_id": attempt_id, "round_id": rnd.id, "correct": graded.correct, "total": graded.total,
              "score": points, "duration_ms": took, "submitted_at": format_utc(submitted_at)}
    event = outbox.row(ANSWER_SUBMITTED, AnswerSubmitted(
        contest_id=contest.contest_id, phase_id=rules.phase_id, round_id=rnd.id, attempt_id=attempt_id,
        participant_id=p.participant_id, display_name=p.full_name, unit_id=p.unit_id, started_at=started,
        submitted_at=submitted_at, duration_ms=took, correct=graded.correct, total=graded.total, score=points,
        prediction=prediction, essay=EssayAnswer(**essay) if essay else None,
        answers=[AnswerGiven(question_id=g.question_id, option_key=g.option_key, correct=g.correct)
                 for g in graded.answers],
    ), time=submitted_at)
    if not await store.mark_submitted(conn, attempt_id, submitted_at, result, event):
        return 0
    await review.record_choices(conn, attempt_id, chosen)  # the answer review after the round closes
    return 1
