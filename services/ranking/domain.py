"""Ranking semantics (DESIGN §5) as pure functions and frozen facts: no I/O, no clocks.

The same merge rules are used by the in-memory index and mirrored by the SQL in `store.py`, so
the state is independent of the order in which events arrive: the highest judge revision wins,
an actor's like state is the latest by `occurred_at`, attempts are immutable and the best one is
recomputed from all of a participant's attempts.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

SCORE_DIGITS = 4  # scores are compared after rounding, so float noise never breaks a true tie


def rounded(value: float) -> float:
    return round(value, SCORE_DIGITS) + 0.0


# --- facts ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attempt:
    attempt_id: str
    participant_id: str
    display_name: str
    unit_id: str
    phase_id: str
    round_id: str
    submitted_at: datetime
    duration_ms: int
    correct: int
    total: int
    score: float
    prediction: float | None


@dataclass(frozen=True, slots=True)
class JudgeTotal:
    phase_id: str
    subject_type: str
    subject_id: str
    judge_id: str
    revision: int
    total: float


@dataclass(frozen=True, slots=True)
class ActorEngagement:
    """Net engagement of one actor on one content on one platform (order-independent merge)."""

    content_id: str
    platform: str
    actor_id: str
    like_at: datetime | None = None  # occurred_at of the latest like/unlike
    like_src: str = ""  # its source_event_id (tie-breaker for equal occurred_at)
    liked: bool = False
    shares: int = 0
    comments: int = 0
    views: int = 0


@dataclass(frozen=True, slots=True)
class InitiativeMeta:
    initiative_id: str
    phase_id: str
    title: str
    unit_id: str
    field: str
    status: str
    version: int


# --- merges -----------------------------------------------------------------------------------


def newer_revision(current: JudgeTotal | None, incoming: JudgeTotal) -> bool:
    """Highest revision wins; on an equal revision the higher total wins (deterministic)."""
    if current is None:
        return True
    return (incoming.revision, incoming.total) > (current.revision, current.total)


def engagement_action(
    content_id: str, platform: str, actor_id: str, action: str, occurred_at: datetime, source_event_id: str
) -> ActorEngagement:
    """One effective action as a delta in the same shape as the net state."""
    if action in ("like", "unlike"):
        return ActorEngagement(content_id, platform, actor_id, occurred_at, source_event_id, action == "like")
    counts = {"share": (1, 0, 0), "comment": (0, 1, 0), "view": (0, 0, 1)}[action]
    return ActorEngagement(content_id, platform, actor_id, None, "", False, *counts)


def merge_engagement(a: ActorEngagement | None, b: ActorEngagement) -> ActorEngagement:
    """Commutative and associative: counts add up, the latest like/unlike (by time, then id) wins."""
    if a is None:
        return b
    like_a = (a.like_at, a.like_src) if a.like_at else None
    like_b = (b.like_at, b.like_src) if b.like_at else None
    if like_a is None or (like_b is not None and like_b > like_a):
        like_at, like_src, liked = b.like_at, b.like_src, b.liked
    else:
        like_at, like_src, liked = a.like_at, a.like_src, a.liked
    return ActorEngagement(
        a.content_id, a.platform, a.actor_id, like_at, like_src, liked,
        a.shares + b.shares, a.comments + b.comments, a.views + b.views,
    )


def newer_meta(current: InitiativeMeta | None, incoming: InitiativeMeta) -> bool:
    return current is None or incoming.version > current.version


# --- aggregations -----------------------------------------------------------------------------


def latest_totals(scores: Iterable[JudgeTotal]) -> dict[str, JudgeTotal]:
    """Each judge's latest total (highest revision), whatever the order of `scores`."""
    out: dict[str, JudgeTotal] = {}
    for s in scores:
        if newer_revision(out.get(s.judge_id), s):
            out[s.judge_id] = s
    return out


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


@dataclass(frozen=True, slots=True)
class StageScore:
    score: float
    aggregation: str  # "trimmed_mean" or "mean" (what was actually applied)
    dropped: tuple[float, float] | None  # the lowest and highest totals left out of a trimmed mean


def stage_score(values: Sequence[float], rule: str, min_judges: int) -> StageScore:
    """The stage score of the judges' totals: under `trimmed_mean`, one highest and one lowest are
    dropped once there are at least max(`min_judges`, 3) of them; otherwise the plain mean."""
    if rule == "trimmed_mean" and len(values) >= max(min_judges, 3):
        ordered = sorted(values)
        return StageScore(mean(ordered[1:-1]), "trimmed_mean", (ordered[0], ordered[-1]))
    return StageScore(mean(values), "mean", None)


def trimmed_mean(values: Sequence[float], min_judges: int) -> float:
    return stage_score(values, "trimmed_mean", min_judges).score


def aggregate_stage(values: Sequence[float], rule: str, min_judges: int) -> float:
    return stage_score(values, rule, min_judges).score


@dataclass(frozen=True, slots=True)
class UnitStats:
    """One unit's quiz figures in one window: people with a best attempt, attempts, sum of those bests."""

    people: int = 0
    attempts: int = 0
    best_sum: float = 0.0

    def plus(self, people: int = 0, attempts: int = 0, best: float = 0.0) -> UnitStats:
        return UnitStats(self.people + people, self.attempts + attempts, self.best_sum + best)


def engagement_counts(actors: Iterable[ActorEngagement]) -> dict[str, dict[str, int]]:
    """Counts by platform and action: net likes (never below zero), shares, comments, views."""
    out: dict[str, dict[str, int]] = {}
    for a in actors:
        c = out.setdefault(a.platform, {"like": 0, "share": 0, "comment": 0, "view": 0})
        c["like"] += 1 if a.liked else 0
        c["share"] += a.shares
        c["comment"] += a.comments
        c["view"] += a.views
    return out


def engagement_points(counts: dict[str, dict[str, int]], weights: dict[str, float]) -> float:
    return sum(n * weights.get(action, 0.0) for per in counts.values() for action, n in per.items())


def engagement_score(points: float, max_points: float) -> float:
    return 100.0 * points / max_points if max_points > 0 else 0.0


def blended(judge: float, engagement: float, w_judges: float, w_engagement: float) -> float:
    return w_judges * judge + w_engagement * engagement


# --- quiz ordering ----------------------------------------------------------------------------


def prediction_distance(prediction: float | None, reference: float | None) -> float:
    if prediction is None or reference is None:
        return math.inf
    return abs(prediction - reference)


def individual_key(
    score: float, distance: float, duration_ms: int, submitted_at: datetime, *, prediction: bool
) -> tuple[float, float, int, float]:
    """Ascending sort key: score desc, then distance (prediction contests), duration, submission."""
    if not prediction:
        gap = 0.0
    else:
        gap = math.inf if distance == math.inf else rounded(distance)
    return (-rounded(score), gap, duration_ms, submitted_at.timestamp())


def quiz_windows(submitted_at: datetime, round_id: str, tz: ZoneInfo) -> tuple[str, str, str]:
    """The windows an attempt belongs to, by its event time in the contest's time zone."""
    return ("all", f"round-{round_id}", f"day-{submitted_at.astimezone(tz).date().isoformat()}")


def unit_key(mean_best: float, participants: int) -> tuple[float, int]:
    """Units: mean best score desc, then more participants first."""
    return (-rounded(mean_best), -participants)


def per_thousand(participants: int, population: int | None) -> float | None:
    return rounded(1000.0 * participants / population) if population else None


# --- ranks and board ids ----------------------------------------------------------------------


def competition_rank(strictly_ahead: int) -> int:
    """Standard competition ranking (1, 2, 2, 4): one more than the number of entries strictly ahead."""
    return strictly_ahead + 1


def competition_ranks(keys: Sequence[Any], *, start: int = 0, first: int | None = None) -> list[int]:
    """The ranks of already-sorted tie keys: equal keys share a rank, a new key's rank counts every
    entry ahead of it. For a page of a longer board, `start` is the position of `keys[0]` and
    `first` its rank (entries before the page may tie with it)."""
    ranks: list[int] = []
    for i, k in enumerate(keys):
        if i and k == keys[i - 1]:
            ranks.append(ranks[-1])
        elif i == 0 and first is not None:
            ranks.append(first)
        else:
            ranks.append(competition_rank(start + i))
    return ranks


_BOARD_ID = re.compile(r"^([a-z0-9][a-z0-9_-]{0,63})\.([a-z]+)\.(all|round-[a-z0-9][a-z0-9_.-]{0,63}|day-\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True, slots=True)
class BoardId:
    phase_id: str
    scope: str
    window: str

    def __str__(self) -> str:
        return f"{self.phase_id}.{self.scope}.{self.window}"


def parse_board_id(board_id: str) -> BoardId | None:
    m = _BOARD_ID.match(board_id)
    if not m:
        return None
    if m.group(3).startswith("day-"):
        try:
            date.fromisoformat(m.group(3)[4:])
        except ValueError:
            return None
    return BoardId(m.group(1), m.group(2), m.group(3))


# --- search -----------------------------------------------------------------------------------

_COMBINING = re.compile(r"[\u0300-\u036f]")


@functools.lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """What search compares: no diacritics, no case ("Kiểm Thử" → "kiem thu"; đ → d; spaces squeezed)."""
    bare = _COMBINING.sub("", unicodedata.normalize("NFD", text)).replace("đ", "d").replace("Đ", "D")
    return " ".join(bare.casefold().split())
