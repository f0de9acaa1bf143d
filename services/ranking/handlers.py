"""Consumers of the three contract topics (and initiative titles): facts are stored in the same
transaction as the dedupe record; the in-memory index is updated only after that commit."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import asyncpg
from prometheus_client import Histogram

from services.ranking import domain as d
from services.ranking import store
from services.ranking.index import RankingIndex
from shared.consumer import register_consumer
from shared.events import ANSWER_SUBMITTED, CONTENT_LIKED, INITIATIVE_PUBLISHED, JUDGE_SCORED, CloudEvent
from shared.metrics import FRESHNESS_BUCKETS
from shared.service import Runtime

Events = list[CloudEvent[Any]]
F = TypeVar("F")


def attempts_of(contest_id: str, events: Events) -> list[d.Attempt]:
    return [
        d.Attempt(x.attempt_id, x.participant_id, x.display_name, x.unit_id, x.phase_id, x.round_id,
                  x.submitted_at, x.duration_ms, x.correct, x.total, x.score, x.prediction)
        for x in (e.data for e in events) if x.contest_id == contest_id
    ]


def judge_totals_of(contest_id: str, events: Events) -> list[d.JudgeTotal]:
    return [
        d.JudgeTotal(x.phase_id, x.subject_type, x.subject_id, x.judge_id, x.revision, x.total)
        for x in (e.data for e in events) if x.contest_id == contest_id
    ]


def engagement_of(contest_id: str, events: Events) -> list[d.ActorEngagement]:
    return [
        d.engagement_action(x.content_id, x.platform, x.actor_id, x.action, x.occurred_at, x.source_event_id)
        for x in (e.data for e in events) if x.contest_id == contest_id
    ]


def meta_of(contest_id: str, events: Events) -> list[d.InitiativeMeta]:
    return [
        d.InitiativeMeta(x.initiative_id, x.phase_id, x.title, x.unit_id, x.field, x.status, x.version)
        for x in (e.data for e in events) if x.contest_id == contest_id
    ]


@dataclass(frozen=True, slots=True)
class FactKind(Generic[F]):
    """What one contract topic becomes here: the consumer's name, its events' facts, how those are
    stored (in the consumer's transaction) and applied to the index (after the commit)."""

    consumer: str
    facts_of: Callable[[str, Events], list[F]]
    save: Callable[[asyncpg.Connection, list[F]], Awaitable[Any]]
    apply: Callable[[RankingIndex, list[F]], None]


HANDLERS: dict[str, FactKind[Any]] = {
    ANSWER_SUBMITTED: FactKind("answers", attempts_of, store.save_attempts, RankingIndex.add_attempts),
    JUDGE_SCORED: FactKind("judge-scores", judge_totals_of, store.save_judge_totals, RankingIndex.add_judge_totals),
    CONTENT_LIKED: FactKind("engagement", engagement_of, store.save_engagement, RankingIndex.add_engagement),
    INITIATIVE_PUBLISHED: FactKind("initiatives", meta_of, store.save_meta, RankingIndex.set_meta),
}


@dataclass(frozen=True, slots=True)
class Committed:
    """Facts of one committed batch, on their way to the index worker."""

    kind: FactKind[Any]
    facts: list[Any]
    topic: str
    times: list[datetime]  # the events' times (freshness)


@dataclass(frozen=True, slots=True)
class Wake:
    """No facts: the index worker looks again now (an organizer moved a prediction reference)."""


WAKE = Wake()
IndexMessage = Committed | Wake


def make_apply(
    topic: str, contest_id: str, ready: asyncio.Event | None = None
) -> Callable[[asyncpg.Connection, Events], Any]:
    kind = HANDLERS[topic]

    async def apply(conn: asyncpg.Connection, events: Events) -> list[Any]:
        if ready is not None:
            # Batches committed before the index loaded would be missing from memory: hold the
            # (uncommitted) transaction until the start-up load has read PostgreSQL.
            await ready.wait()
        facts = kind.facts_of(contest_id, events)
        await kind.save(conn, facts)
        return facts

    return apply


def register(runtime: Runtime) -> None:
    contest_id = runtime.contest.contest_id
    for topic, kind in HANDLERS.items():

        async def after_commit(
            events: Events, facts: list[Any] | None, kind: FactKind[Any] = kind, topic: str = topic
        ) -> None:
            # Committed facts go to the index through a short queue, so the index work of one
            # batch overlaps the database round trips of the next (bounded: backpressure).
            if facts:
                await runtime.state["index_queue"].put(Committed(kind, facts, topic, [e.time for e in events]))

        register_consumer(
            runtime.broker, runtime.settings, lambda: runtime.pool, runtime.metrics,
            topic=topic, name=kind.consumer, apply=make_apply(topic, contest_id, runtime.state["index_ready"]),
            after_commit=after_commit,
        )


async def load_index(pool: asyncpg.Pool, index: RankingIndex) -> None:
    """Rebuild the in-memory index from PostgreSQL (start-up)."""
    async with pool.acquire() as conn:
        index.final_refs.update(await store.load_references(conn))
        index.set_meta(await store.load_meta(conn))
        index.add_judge_totals(await store.load_judge_totals(conn))
        index.add_engagement(await store.load_engagement(conn))
        attempts = await store.load_attempts(conn)
    attempts.sort(key=lambda a: (a.submitted_at, a.attempt_id))
    index.add_attempts(attempts)
    if index.prediction:
        index.refresh(force=True)
    index.refresh()


async def index_worker(runtime: Runtime, index: RankingIndex) -> None:
    """Apply committed facts to the in-memory index in commit order; re-key the quiz boards in
    slices when a prediction reference moved (no facts are applied meanwhile: the bounded queue
    holds the consumers back, and reads keep seeing the previous consistent boards)."""
    queue: asyncio.Queue[IndexMessage] = runtime.state["index_queue"]
    applied = runtime.state["applied"]
    freshness = Histogram(
        "ranking_event_freshness_seconds", "From an event's time to its effect being visible on the boards",
        ["topic"], buckets=FRESHNESS_BUCKETS, registry=runtime.metrics.registry,
    )
    wait = max(index.refresh_seconds, 0.1)
    while True:
        message: IndexMessage
        try:
            message = await asyncio.wait_for(queue.get(), timeout=wait)
        except TimeoutError:
            message = WAKE
        else:
            queue.task_done()
        if isinstance(message, Committed):
            message.kind.apply(index, message.facts)
            applied.inc(len(message.facts))
            now = datetime.now(UTC)
            observe = freshness.labels(message.topic).observe
            for t in message.times:
                observe(max(0.0, (now - t).total_seconds()))
        if index.recompute_due():
            for _ in index.recompute_quiz_steps(chunk=500):
                await asyncio.sleep(0)
