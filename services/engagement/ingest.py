"""The ingestion pipeline shared by HTTP batches, the inbound topic, pending resolution, quarantine
release and portal likes: de-duplicate → resolve content → decide → store → outbox, all inside the
caller's transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from prometheus_client import Counter as PromCounter

from services.engagement import limits, state_store, store
from services.engagement.domain import (
    UNKNOWN_CONTENT,
    UNKNOWN_PLATFORM,
    ActorStatus,
    Item,
    Outcome,
    PlatformConfig,
    Rejection,
    Resolved,
    decide,
    parse_item,
    stat_deltas,
)
from shared.events import CONTENT_LIKED, ContentLiked
from shared.service import Runtime


@dataclass
class BatchResult:
    accepted: int = 0
    duplicates: int = 0
    pending: int = 0
    quarantined: int = 0
    effective: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    def response(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted, "duplicates": self.duplicates,
            "rejected": [r.as_dict() for r in sorted(self.rejected, key=lambda r: r.index)],
            "pending": self.pending, "quarantined": self.quarantined, "effective": self.effective,
        }


def events_counter(rt: Runtime) -> PromCounter:
    counter = rt.state.get("events_total")
    if counter is None:
        counter = PromCounter(
            f"{rt.settings.service_name}_events_total", "Inbound engagement events by outcome",
            ["outcome"], registry=rt.metrics.registry,
        )
        rt.state["events_total"] = counter
    return counter


def count_metrics(rt: Runtime, result: BatchResult) -> None:
    c = events_counter(rt)
    c.labels("accepted").inc(result.accepted - result.quarantined)
    c.labels("quarantined").inc(result.quarantined)
    c.labels("duplicate").inc(result.duplicates)
    c.labels("rejected").inc(len(result.rejected))


def hash_key(rt: Runtime) -> bytes:
    """The key that turns a platform's user id into the actor id we store (never the raw id)."""
    return rt.settings.actor_hash_key.get_secret_value().encode()  # type: ignore[attr-defined]


async def ingest_raw(conn: asyncpg.Connection, rt: Runtime, raw: Sequence[tuple[PlatformConfig | None, Any]],
                     *, now: datetime) -> BatchResult:
    """The one pipeline of inbound events, whether a signed HTTP batch or the inbound topic brought
    them: each (platform, raw event) is validated, its actor rate-limited, then stored and applied
    in the caller's transaction. Every refusal is a Rejection at the event's index in `raw`."""
    key = hash_key(rt)
    items: list[Item] = []
    rejected: list[Rejection] = []
    for index, (platform, event) in enumerate(raw):
        if platform is None:
            pid = event.get("platform") if isinstance(event, dict) else None
            rejected.append(Rejection(index, UNKNOWN_PLATFORM, f"Nền tảng {pid!r} chưa được đăng ký."))
            continue
        parsed = parse_item(event, index, platform=platform, contest=rt.contest, hash_key=key, now=now)
        if isinstance(parsed, Rejection):
            rejected.append(parsed)
            continue
        ok, limited = limits.limit_actors(rt, platform, [parsed])
        items.extend(ok)
        rejected.extend(limited)
    result = await ingest_items(conn, rt, items) if items else BatchResult()
    result.rejected.extend(rejected)
    return result


async def ingest_items(conn: asyncpg.Connection, rt: Runtime, items: Sequence[Item]) -> BatchResult:
    """Store and apply validated items (in one transaction the caller opened)."""
    result = BatchResult()
    resolution = await store.resolve_refs(conn, {(i.platform, i.content_ref) for i in items})
    keep: list[Item] = []
    for it in items:
        target = resolution.get((it.platform, it.content_ref))
        if target and target[1] == "withdrawn":
            result.rejected.append(Rejection(it.index, UNKNOWN_CONTENT, "Nội dung đã bị rút khỏi cuộc thi."))
        else:
            keep.append(it)
    fresh_keys = await store.claim_events(conn, list(dict.fromkeys((i.platform, i.source_event_id) for i in keep)))
    resolved: list[Resolved] = []
    pending: list[Item] = []
    for it in keep:
        key = (it.platform, it.source_event_id)
        if key not in fresh_keys:
            result.duplicates += 1
            continue
        fresh_keys.discard(key)  # a second copy inside the same batch is a duplicate too
        target = resolution.get((it.platform, it.content_ref))
        if target and target[1] == "published":
            resolved.append(Resolved(it, target[0]))
        else:
            pending.append(it)
    await store.add_pending(conn, pending)
    result.pending = len(pending)
    result.accepted = len(resolved) + len(pending)
    await apply_resolved(conn, rt, resolved, result)
    return result


async def apply_resolved(
    conn: asyncpg.Connection, rt: Runtime, events: Sequence[Resolved], result: BatchResult,
    *, spike_check: bool = True,
) -> None:
    if not events:
        return
    contest = rt.contest
    await state_store.lock_contents(conn, (e.content_id for e in events))
    spike = contest.engagement.spike
    state = await state_store.load_state(conn, events, timedelta(seconds=spike.window_seconds), spike.new_actors)
    outcomes = decide(state, list(events), contest, spike_check=spike_check)
    await state_store.save_state(conn, state)
    quarantined = [o for o in outcomes if o.kind == "quarantined"]
    await store.add_quarantine(conn, quarantined)
    newly_held = Counter(k[0] for k, (status, _) in state.new_actors.items() if status != ActorStatus.OK)
    for content_id, n in newly_held.items():
        await store.audit(conn, "system", "quarantine", content_id,
                          {"new_actors_held": n, "rule": contest.engagement.spike.model_dump()})
    effective = [o for o in outcomes if o.kind == "effective"]
    await state_store.add_stats(conn, stat_deltas(effective))
    await emit(conn, rt, effective)
    result.quarantined += len(quarantined)
    result.effective += len(effective)
    result.outcomes.extend(outcomes)


async def emit(conn: asyncpg.Connection, rt: Runtime, effective: Sequence[Outcome]) -> None:
    """One `engagement.content-liked.v1` per effective action into the outbox of this transaction."""
    if not effective:
        return
    contest = rt.contest
    await rt.outbox.add_many(conn, CONTENT_LIKED, [
        ContentLiked(
            contest_id=contest.contest_id, phase_id=contest.initiatives.phase_id,
            content_id=o.event.content_id, platform=o.event.item.platform, actor_id=o.event.item.actor,
            action=o.event.item.action, occurred_at=o.event.item.occurred_at,
            source_event_id=o.event.item.source_event_id,
        )
        for o in effective
    ])


async def resolve_pending(conn: asyncpg.Connection, rt: Runtime, **where: str | None) -> BatchResult:
    """Count the pending events that a new mapping or a newly published content resolves."""
    result = BatchResult()
    events = await store.take_resolvable_pending(conn, **where)
    await apply_resolved(conn, rt, events, result)
    return result


async def decide_quarantine(conn: asyncpg.Connection, rt: Runtime, *, decision: str, content_id: str | None,
                            ids: Sequence[int] | None) -> tuple[int, BatchResult]:
    """Release (apply and emit) or reject the held events; audited. Returns (events decided, result)."""
    result = BatchResult()
    events = await store.take_held(conn, content_id, ids, "released" if decision == "release" else "rejected")
    if not events:
        return 0, result
    await state_store.lock_contents(conn, (e.content_id for e in events))
    await store.set_actor_status(conn, events, ActorStatus.OK if decision == "release" else ActorStatus.REJECTED)
    if decision == "release":
        await apply_resolved(conn, rt, events, result, spike_check=False)
    await store.audit(conn, "admin", decision, content_id or "(ids)", {
        "events": len(events), "effective": result.effective,
        "ids": list(ids) if ids else None,
    })
    return len(events), result
