"""Pure engagement rules: item validation, actor pseudonyms, like netting, daily caps, spikes.

No I/O. `decide` works on a `State` snapshot that the store loaded for one batch and records
what changed in it, so the store can write the changes back in a few set-based statements.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from shared.contest import Contest, EngagementRules

ACTIONS = ("like", "unlike", "share", "comment", "view")
PORTAL = "portal"

# Per-item rejection codes (documented in docs/integrators.md).
UNKNOWN_CONTENT = "unknown_content"
BAD_ACTION = "bad_action"
OUTSIDE_WINDOW = "outside_window"
MALFORMED = "malformed"
RATE_LIMITED = "rate_limited"
UNKNOWN_PLATFORM = "unknown_platform"

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _no_control(value: str) -> str:
    # Identifiers never carry control characters, and PostgreSQL cannot store NUL: refusing them here
    # turns one bad event into a per-event `malformed` instead of a 422 for the whole batch.
    if _CONTROL.search(value):
        raise ValueError("không được chứa ký tự điều khiển (ví dụ NUL)")
    return value


Text = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_no_control)]


class PlatformConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    secrets: tuple[str, ...] = ()
    allowed_actions: tuple[str, ...] = ACTIONS
    rate_per_second: float = 500.0
    burst: int = 5000
    actor_per_minute: int = 120


@dataclass(frozen=True)
class Rejection:
    index: int
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class Item:
    """A validated inbound event; `actor` is already pseudonymized."""

    index: int
    platform: str
    content_ref: str
    actor: str
    action: str
    occurred_at: datetime
    source_event_id: str


@dataclass(frozen=True)
class Resolved:
    item: Item
    content_id: str


class _RawItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    contest_id: Text
    phase_id: Text
    content_ref: Text | None = None
    content_id: Text | None = None
    platform: Text
    actor_id: Text
    action: Text
    occurred_at: AwareDatetime
    source_event_id: Text


def hash_actor(key: bytes, platform: str, actor_id: str) -> str:
    """Keyed, platform-scoped pseudonym `h:<16 hex>` (the raw id is never stored or published)."""
    return "h:" + hmac.new(key, f"{platform}\x1f{actor_id}".encode(), hashlib.sha256).hexdigest()[:16]


def _short(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err.get("loc", ())) or "(sự kiện)"
    return f"Trường {loc} không hợp lệ: {err.get('msg')}"


def parse_item(
    raw: Any, index: int, *, platform: PlatformConfig, contest: Contest, hash_key: bytes, now: datetime,
    future_skew: timedelta = timedelta(minutes=5),
) -> Item | Rejection:
    """Validate one inbound event (a CloudEvents envelope with `data`, or the bare data object)."""
    if not isinstance(raw, dict):
        return Rejection(index, MALFORMED, "Mỗi sự kiện phải là một đối tượng JSON.")
    data = raw.get("data") if isinstance(raw.get("data"), dict) else raw
    try:
        parsed = _RawItem.model_validate(data)
    except ValidationError as exc:
        return Rejection(index, MALFORMED, _short(exc))
    ref = parsed.content_ref or parsed.content_id
    if not ref:
        return Rejection(index, MALFORMED, "Thiếu content_ref (mã bài đăng của nền tảng).")
    if parsed.platform != platform.id:
        return Rejection(index, MALFORMED, f"platform {parsed.platform!r} không khớp với nền tảng gửi ({platform.id}).")
    if parsed.contest_id != contest.contest_id:
        return Rejection(index, MALFORMED, f"contest_id {parsed.contest_id!r} không phải cuộc thi này.")
    phase_id = contest.initiatives.phase_id
    if parsed.phase_id != phase_id:
        return Rejection(index, OUTSIDE_WINDOW, f"phase_id phải là {phase_id!r} (giai đoạn sáng kiến).")
    if parsed.action not in ACTIONS:
        return Rejection(index, BAD_ACTION, f"Hành động {parsed.action!r} không được hỗ trợ.")
    if parsed.action not in platform.allowed_actions:
        return Rejection(index, BAD_ACTION, f"Nền tảng {platform.id} không được phép gửi hành động {parsed.action!r}.")
    phase = contest.phase(phase_id)
    occurred = parsed.occurred_at
    if not phase.contains(occurred) or occurred > now + future_skew:
        return Rejection(index, OUTSIDE_WINDOW, "Thời điểm occurred_at nằm ngoài thời gian của giai đoạn sáng kiến.")
    return Item(
        index=index, platform=platform.id, content_ref=ref,
        actor=hash_actor(hash_key, platform.id, parsed.actor_id), action=parsed.action,
        occurred_at=occurred, source_event_id=parsed.source_event_id,
    )


# --- the state machine --------------------------------------------------------------------

LikeKey = tuple[str, str, str]  # (platform, actor, content_id)
CountKey = tuple[str, str, str, str, date]  # (platform, actor, content_id, action, local day)
ActorKey = tuple[str, str, str]  # (content_id, platform, actor)

class ActorStatus(StrEnum):
    """An actor's standing on one content (the spike rule): counted, held for an organizer's
    review, or rejected by one. Stored as its value in content_actors.status."""

    OK = "ok"
    HELD = "held"
    REJECTED = "rejected"


@dataclass
class LikeState:
    liked: bool
    changed_at: datetime | None
    changed_src: str = ""  # source_event_id of the change: breaks ties of equal times as ranking does


@dataclass
class State:
    likes: dict[LikeKey, LikeState] = field(default_factory=dict)
    counts: dict[CountKey, int] = field(default_factory=dict)
    actors: dict[ActorKey, ActorStatus] = field(default_factory=dict)
    new_actor_times: dict[str, list[datetime]] = field(default_factory=dict)  # content -> first-seen times
    dirty_likes: set[LikeKey] = field(default_factory=set)
    dirty_counts: set[CountKey] = field(default_factory=set)
    new_actors: dict[ActorKey, tuple[ActorStatus, datetime]] = field(default_factory=dict)


Kind = Literal["effective", "noop", "quarantined"]


@dataclass(frozen=True)
class Outcome:
    event: Resolved
    kind: Kind
    reason: str = ""


def _actor_status(state: State, ev: Resolved, rules: EngagementRules, spike_check: bool) -> ActorStatus:
    it = ev.item
    key = (ev.content_id, it.platform, it.actor)
    status = state.actors.get(key)
    if status is not None:
        return status
    status = ActorStatus.OK
    times = state.new_actor_times.setdefault(ev.content_id, [])  # kept sorted
    if spike_check:
        since = it.occurred_at - timedelta(seconds=rules.spike.window_seconds)
        recent = bisect.bisect_right(times, it.occurred_at) - bisect.bisect_right(times, since) + 1
        if recent > rules.spike.new_actors:
            status = ActorStatus.HELD
    bisect.insort(times, it.occurred_at)
    state.actors[key] = status
    state.new_actors[key] = (status, it.occurred_at)
    return status


def _apply_action(state: State, ev: Resolved, rules: EngagementRules, contest: Contest) -> Outcome:
    it = ev.item
    if it.action in ("like", "unlike"):
        key = (it.platform, it.actor, ev.content_id)
        current = state.likes.get(key)
        # The latest by (occurred_at, source_event_id) wins — the same total order ranking merges by,
        # so both agree on the net state whatever order equal-time like/unlike pairs arrive in.
        if current and current.changed_at and (it.occurred_at, it.source_event_id) < (
            current.changed_at, current.changed_src
        ):
            return Outcome(ev, "noop", "stale")
        want = it.action == "like"
        # Newer than what we know: it becomes the latest even when it changes nothing, so an older
        # action arriving later stays stale.
        state.likes[key] = LikeState(want, it.occurred_at, it.source_event_id)
        state.dirty_likes.add(key)
        if (current.liked if current else False) == want:
            return Outcome(ev, "noop", "unchanged")  # incl. an unlike of nothing
        return Outcome(ev, "effective")
    if it.action == "view" and not rules.count_views:
        return Outcome(ev, "noop", "views_not_counted")
    cap = rules.daily_cap_per_actor.get(it.action)  # type: ignore[call-overload]
    ckey = (it.platform, it.actor, ev.content_id, it.action, contest.local_day(it.occurred_at))
    n = state.counts.get(ckey, 0)
    if cap is not None and n >= cap:
        return Outcome(ev, "noop", "capped")
    state.counts[ckey] = n + 1
    state.dirty_counts.add(ckey)
    return Outcome(ev, "effective")


def decide(
    state: State, events: list[Resolved], contest: Contest, *, spike_check: bool = True
) -> list[Outcome]:
    """Apply `events` in order to `state`; say for each whether it took effect, was a no-op, or is
    held in quarantine (an actor new to the content during a spike, or one still under review)."""
    rules = contest.engagement
    out: list[Outcome] = []
    for ev in events:
        status = _actor_status(state, ev, rules, spike_check)
        if status != ActorStatus.OK:
            out.append(Outcome(ev, "quarantined", status))
            continue
        out.append(_apply_action(state, ev, rules, contest))
    return out


def stat_deltas(outcomes: list[Outcome]) -> dict[str, dict[str, int]]:
    """content_id -> {likes, shares, comments, views} deltas of the effective outcomes."""
    column = {"like": "likes", "unlike": "likes", "share": "shares", "comment": "comments", "view": "views"}
    deltas: dict[str, dict[str, int]] = {}
    for o in outcomes:
        if o.kind != "effective":
            continue
        d = deltas.setdefault(o.event.content_id, {"likes": 0, "shares": 0, "comments": 0, "views": 0})
        d[column[o.event.item.action]] += -1 if o.event.item.action == "unlike" else 1
    return deltas
