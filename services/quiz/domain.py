"""Quiz rules as pure functions: phone numbers, drawing questions, grading, scoring, deadlines.

No I/O here: the store and the routes call these with plain values and get plain values back.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from shared.contest import QuizRules, Round
from shared.errors import ContestError

# --- phone numbers ----------------------------------------------------------------------------

# Vietnamese mobile numbers (10 digits after the 2018 renumbering): Viettel 032–039, 086, 096–098;
# Vinaphone 081–085, 088, 091, 094; MobiFone 070, 076–079, 089, 090, 093; Vietnamobile 052, 056,
# 058, 092; Gmobile 059, 099; Reddi 055; iTel 087.
# The ONE canonical form, the only one stored, compared and hashed: national `0` + 9 ASCII digits.
_MOBILE = re.compile(r"^0(?:3[2-9]|5[25689]|7[06-9]|8[1-9]|9[0-9])[0-9]{7}$", re.ASCII)
_SEPARATORS = frozenset(" .()-")
INVALID_PHONE = ("invalid_phone", "Số điện thoại không hợp lệ. Vui lòng nhập số di động Việt Nam gồm 10 chữ số, "
                 "ví dụ 0912345678 hoặc +84912345678.")


def _ascii_digits(raw: str) -> str | None:
    """NFKC, then every Unicode decimal digit as its ASCII digit, separators dropped, a leading `+`
    kept; None if anything else is in there (letters, zero-width or control characters)."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFKC", raw):
        if ch in _SEPARATORS or ch.isspace() or unicodedata.category(ch) == "Pd":
            continue
        if ch == "+" and not out:
            out.append(ch)
            continue
        digit = unicodedata.decimal(ch, None)
        if digit is None:
            return None
        out.append(str(digit))  # "٠" (Arabic-Indic), "２" (full-width), "০" (Bengali) … → ASCII
    return "".join(out)


def normalize_phone(raw: str) -> str:
    """`+84 912 345 678`, `84912345678`, `0912.345.678`, `091２345678` → `0912345678`;
    ContestError 422 if it is not a Vietnamese mobile number."""
    digits = _ascii_digits(raw or "")
    if digits is None:
        raise ContestError(422, *INVALID_PHONE)
    for prefix in ("+84", "0084", "84"):
        rest = digits[len(prefix):]
        if digits.startswith(prefix) and len(rest) in (9, 10):
            digits = rest if rest.startswith("0") else "0" + rest  # "+84 0912…" is a common way to write it
            break
    if not _MOBILE.match(digits):
        raise ContestError(422, *INVALID_PHONE)
    return digits


def excluded_phones(configured: Sequence[str]) -> frozenset[str]:
    """The contest's exclusion list in canonical form; ValueError naming the entries that are not
    Vietnamese mobile numbers (a typo there would silently let an organizer take part)."""
    out, bad = set(), []
    for raw in configured:
        try:
            out.add(normalize_phone(raw))
        except ContestError:
            bad.append(raw)
    if bad:
        raise ValueError(f"quiz.excluded_phones has entries that are not Vietnamese mobile numbers: {bad!r}")
    return frozenset(out)


def mask_phone(phone: str) -> str:
    return phone[:4] + "***" + phone[-3:] if len(phone) >= 8 else "***"


def normalize_name(raw: str) -> str:
    name = " ".join((raw or "").split())
    if not 2 <= len(name) <= 100:
        raise ContestError(422, "invalid_name", "Họ và tên phải có từ 2 đến 100 ký tự.")
    return name


# --- questions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    key: str
    text: str


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    options: tuple[Option, ...]
    answer: str  # key of the one correct option
    topic: str | None = None  # for the round's blueprint (shared.contest.Blueprint)
    level: str | None = None  # easy | medium | hard

    def public(self) -> dict[str, Any]:
        """What a participant sees: never the answer key."""
        return {"question_id": self.id, "text": self.text,
                "options": [{"key": o.key, "text": o.text} for o in self.options]}

    def to_json(self) -> dict[str, Any]:
        out = {"id": self.id, "text": self.text, "answer": self.answer,
               "options": [{"key": o.key, "text": o.text} for o in self.options]}
        return out | {k: v for k, v in (("topic", self.topic), ("level", self.level)) if v is not None}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Question:
        return cls(id=raw["id"], text=raw["text"], answer=raw["answer"],
                   options=tuple(Option(o["key"], o["text"]) for o in raw["options"]),
                   topic=raw.get("topic"), level=raw.get("level"))


def draw_questions(bank: Sequence[Question], count: int, rng: random.Random) -> list[Question]:
    """`count` distinct questions at random (all of them if the bank is smaller), options shuffled."""
    return with_shuffled_options(rng.sample(list(bank), min(count, len(bank))), rng)


def with_shuffled_options(questions: Sequence[Question], rng: random.Random) -> list[Question]:
    """The questions in their order, each with its options in a random order of its own."""
    out = []
    for q in questions:
        options = list(q.options)
        rng.shuffle(options)
        out.append(replace(q, options=tuple(options)))
    return out


# --- attempts ---------------------------------------------------------------------------------


def round_is_open(rnd: Round, now: datetime) -> bool:
    return rnd.contains(now)


def check_can_start(*, attempts_in_round: int, limit: int, open_attempt_id: str | None) -> None:
    if open_attempt_id:
        raise ContestError(409, "attempt_open", "Bạn đang có một lượt thi chưa nộp bài. Hãy hoàn thành lượt thi "
                        "đó trước khi bắt đầu lượt mới.", {"attempt_id": open_attempt_id})
    if attempts_in_round >= limit:
        raise ContestError(409, "attempt_limit", f"Bạn đã dùng hết {limit} lượt thi của vòng này. "
                        "Hẹn gặp lại bạn ở vòng thi tiếp theo!", {"limit": limit})


def deadline_for(started_at: datetime, rules: QuizRules) -> datetime:
    return started_at + timedelta(seconds=rules.time_limit_seconds)


def is_late(now: datetime, deadline: datetime, grace_seconds: int) -> bool:
    return now > deadline + timedelta(seconds=grace_seconds)


def duration_ms(started_at: datetime, submitted_at: datetime) -> int:
    return max(0, int((submitted_at - started_at) / timedelta(milliseconds=1)))


# --- answers and grading ----------------------------------------------------------------------


@dataclass(frozen=True)
class GradedAnswer:
    question_id: str
    option_key: str | None
    correct: bool


@dataclass(frozen=True)
class Grade:
    correct: int
    total: int
    answers: tuple[GradedAnswer, ...] = field(default_factory=tuple)


def check_answers(served: Sequence[Question], answers: Sequence[tuple[str, str | None]]) -> dict[str, str | None]:
    """Map question id → chosen key; ContestError 422 on unknown or repeated questions and unknown options."""
    by_id = {q.id: q for q in served}
    chosen: dict[str, str | None] = {}
    for index, (qid, key) in enumerate(answers):
        question = by_id.get(qid)
        if question is None:
            raise ContestError(422, "unknown_question", f"Câu hỏi {qid!r} không thuộc lượt thi này.",
                            {"index": index, "question_id": qid})
        if qid in chosen:
            raise ContestError(422, "duplicate_answer", f"Câu hỏi {qid!r} được trả lời nhiều lần.",
                            {"index": index, "question_id": qid})
        if key is not None and key not in {o.key for o in question.options}:
            raise ContestError(422, "unknown_option", f"Phương án {key!r} không có trong câu hỏi {qid!r}.",
                            {"index": index, "question_id": qid, "option_key": key})
        chosen[qid] = key
    return chosen


def grade(served: Sequence[Question], chosen: Mapping[str, str | None]) -> Grade:
    """One graded answer per served question (unanswered = wrong, option_key None)."""
    graded = tuple(
        GradedAnswer(q.id, chosen.get(q.id), chosen.get(q.id) is not None and chosen.get(q.id) == q.answer)
        for q in served
    )
    return Grade(correct=sum(a.correct for a in graded), total=len(graded), answers=graded)


def speed_bonus(*, max_points: float, duration: int, time_limit_seconds: int, correct: int, total: int) -> float:
    """`max_points` at 0 s falling linearly to 0 at the time limit, earned in proportion to accuracy
    (a blank sheet sent at once earns nothing)."""
    if max_points <= 0 or total <= 0:
        return 0.0
    remaining = max(0.0, 1.0 - duration / (time_limit_seconds * 1000))
    return max_points * remaining * correct / total


def score(grade_: Grade, rules: QuizRules, duration: int) -> float:
    """Points by the contest's rules; the free question is not part of it."""
    base = grade_.correct * rules.points_per_correct
    bonus = speed_bonus(max_points=rules.speed_bonus.max_points, duration=duration,
                        time_limit_seconds=rules.time_limit_seconds, correct=grade_.correct, total=grade_.total)
    return round(base + bonus, 2)


MAX_ESSAY_CHARS = 20_000


def parse_free_answer(
    kind: Literal["essay", "prediction"], question_id: str, value: Any
) -> tuple[float | None, dict[str, str] | None]:
    """(prediction, essay) for the event; ContestError 422 when the value does not fit the kind."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if kind == "essay":
        if not isinstance(value, str):
            raise ContestError(422, "invalid_free_answer", "Câu trả lời tự luận phải là văn bản.")
        if len(value) > MAX_ESSAY_CHARS:
            raise ContestError(422, "invalid_free_answer",
                            f"Bài tự luận dài quá {MAX_ESSAY_CHARS:,} ký tự.".replace(",", "."))
        return None, {"question_id": question_id, "text": value}
    number: float | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        cleaned = value.strip().replace(" ", "").replace(".", "").replace(",", ".")
        try:
            number = float(cleaned)
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or abs(number) > 1e15:
        raise ContestError(422, "invalid_free_answer", "Câu dự đoán cần một con số, ví dụ 12500.")
    return number, None


def free_answer_text(kind: Literal["essay", "prediction"], question_id: str, value: Any) -> str | None:
    """The free answer as stored while an attempt is open: text that `parse_free_answer` reads back
    to the same value (a prediction is written with a decimal comma: "12500,0", never "12500.0",
    which the Vietnamese reading of "." as a thousands separator would turn into 125000)."""
    prediction, essay = parse_free_answer(kind, question_id, value)
    if essay is not None:
        return essay["text"]
    return None if prediction is None else repr(prediction).replace(".", ",")
