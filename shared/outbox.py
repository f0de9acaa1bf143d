"""Transactional outbox: store the event with the domain change, publish it after commit.

`Outbox.add` runs inside the caller's transaction. `OutboxRelay` publishes pending rows in id
order, in batches, and marks them published only after the broker acknowledged them (acks=all).
One relay per schema is active at a time (a PostgreSQL advisory lock), so per-key order holds
even with several replicas. A crash between publish and mark re-publishes; consumers de-duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from shared import db
from shared.backoff import Backoff
from shared.events import CONTENT_TYPE, CloudEvent, Payload, dlq_topic, encode_event, event_key, new_event
from shared.kafka import make_producer
from shared.metrics import ServiceMetrics

log = logging.getLogger(__name__)

_CONTENT_TYPE_HEADER = ("content-type", CONTENT_TYPE.encode())
INSERT_SQL = (
    "INSERT INTO outbox (topic, key, payload, event_id)"
    " SELECT $1, k, p, i FROM unnest($2::text[], $3::bytea[], $4::text[]) AS u(k, p, i)"
)


class Outbox:
    """Writes events into the outbox table of the caller's transaction."""

    def __init__(self, *, source: str, topic_prefix: str = "") -> None:
        self.source = source
        self.topic_prefix = topic_prefix

    async def add(
        self, conn: asyncpg.Connection, topic: str, data: Payload, *, time: datetime | None = None
    ) -> CloudEvent[Any]:
        (event,) = await self.add_many(conn, topic, [data], time=time)
        return event

    async def add_many(
        self, conn: asyncpg.Connection, topic: str, items: Sequence[Payload], *, time: datetime | None = None
    ) -> list[CloudEvent[Any]]:
        rows = [self.row(topic, data, time=time) for data in items]
        if rows:
            # One set-based statement however many events (executemany costs a round trip each).
            await conn.execute(
                INSERT_SQL, self.topic_prefix + topic, [r.key for r in rows], [r.payload for r in rows],
                [r.event.id for r in rows],
            )
        return [r.event for r in rows]

    async def add_dead_letters(
        self, conn: asyncpg.Connection, topic: str, letters: Sequence[tuple[bytes, bytes, dict[str, str]]]
    ) -> None:
        """Queue (key, original bytes, headers) for `<topic>.dlq` in the caller's transaction, so a
        message recorded as processed can't lose its dead letter to a crash or a broker outage."""
        if letters:
            await conn.execute(
                "INSERT INTO outbox (topic, key, payload, event_id, headers)"
                " SELECT $1, k, p, '', h FROM unnest($2::text[], $3::bytea[], $4::jsonb[]) AS u(k, p, h)",
                self.topic_prefix + dlq_topic(topic), [k.decode() for k, _, _ in letters],
                [p for _, p, _ in letters], [h for _, _, h in letters],
            )

    def row(self, topic: str, data: Payload, *, time: datetime | None = None) -> OutboxRow:
        """The outbox row for `data`, for callers that fold the insert into a statement of their own
        (columns: topic, key, payload, event_id)."""
        event = new_event(topic, self.source, data, time=time)
        return OutboxRow(self.topic_prefix + topic, event_key(topic, event), encode_event(event), event)


@dataclass(frozen=True, slots=True)
class OutboxRow:
    topic: str
    key: str
    payload: bytes
    event: CloudEvent[Any]


class OutboxRelay:
    def __init__(
        self,
        *,
        dsn: str,
        schema: str,
        bootstrap_servers: str,
        metrics: ServiceMetrics,
        enable_idempotence: bool = False,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
        retention_seconds: float = 3600.0,
    ) -> None:
        self.dsn, self.schema = dsn, schema
        self.bootstrap_servers = bootstrap_servers
        self.metrics = metrics
        self.enable_idempotence = enable_idempotence
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.retention_seconds = retention_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.is_leader = False

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self.schema}")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        backoff = Backoff(0.2)
        while not self._stopping:
            try:
                await self._lead()
                backoff.reset()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or database away: retry with backoff, never give up
                log.warning("outbox relay for %s: %s; retrying in %.1fs", self.schema, exc, backoff.delay)
                self.metrics.outbox_publish_errors.inc()
                await backoff.wait()

    async def _lead(self) -> None:
        conn = await db.connect(self.dsn, self.schema, application_name=f"{self.schema}-outbox")
        producer = None
        try:
            lock = zlib.crc32(f"outbox:{self.schema}".encode())
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock):
                self.is_leader = False  # another replica relays; stand by
                await asyncio.sleep(self.poll_seconds)
            self.is_leader = True
            await conn.add_listener(f"outbox_{self.schema}", lambda *_: self._wake.set())
            producer = make_producer(
                self.bootstrap_servers, enable_idempotence=self.enable_idempotence,
                client_id=f"{self.schema}-outbox",
            )
            await producer.start()
            last_housekeeping = 0.0
            while not self._stopping:
                self._wake.clear()
                sent = await self._publish_batch(conn, producer)
                now = time.monotonic()
                if now - last_housekeeping > 2.0:
                    await self._housekeeping(conn)
                    last_housekeeping = now
                if sent < self.batch_size:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
        finally:
            self.is_leader = False
            # Only the leader measures the backlog; a former leader must not report a stale one.
            self.metrics.outbox_backlog.set(0)
            self.metrics.outbox_oldest_age.set(0)
            if producer is not None:
                with contextlib.suppress(Exception):
                    await producer.stop()
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)

    async def _publish_batch(self, conn: asyncpg.Connection, producer: Any) -> int:
        rows = await conn.fetch(
            "SELECT id, topic, key, payload, headers FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1",
            self.batch_size,
        )
        if not rows:
            return 0
        futures = [
            await producer.send(
                r["topic"], value=r["payload"], key=r["key"].encode(),
                headers=_headers(r["headers"]),
            )
            for r in rows
        ]
        await asyncio.gather(*futures)  # raises if any was not acknowledged: nothing is marked
        await conn.execute(
            "UPDATE outbox SET published_at = clock_timestamp() WHERE id = ANY($1::bigint[])",
            [r["id"] for r in rows],
        )
        for r in rows:
            self.metrics.outbox_published.labels(r["topic"]).inc()
        return len(rows)

    async def _housekeeping(self, conn: asyncpg.Connection) -> None:
        row = await conn.fetchrow(
            "SELECT count(*) AS n, extract(epoch FROM clock_timestamp() - min(created_at)) AS age"
            " FROM outbox WHERE published_at IS NULL"
        )
        self.metrics.outbox_backlog.set(row["n"])
        self.metrics.outbox_oldest_age.set(float(row["age"] or 0.0))
        await conn.execute(
            "DELETE FROM outbox WHERE published_at < clock_timestamp() - make_interval(secs => $1)",
            self.retention_seconds,
        )


def _headers(extra: dict[str, str] | None) -> list[tuple[str, bytes]]:
    # db connections decode jsonb to dicts (shared.db)
    return [_CONTENT_TYPE_HEADER, *((k, str(v).encode()) for k, v in (extra or {}).items())]


async def pending_count(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
