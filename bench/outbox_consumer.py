"""Benchmark: outbox relay throughput and idempotent-consumer apply throughput, each against raw
aiokafka on the same broker, with the same messages, in the same run.

    python -m bench.outbox_consumer [--events 50000] [--tx-size 100]

Starts its own Tansu broker and embedded PostgreSQL (fsync off, as in the tests), prints a markdown
table and writes it to bench/results/outbox_consumer.md.

Measures (all on the same machine, same broker):
- raw produce: aiokafka `send()` of N messages with the relay's producer settings (acks=all), until
  every one is acknowledged;
- outbox, insert → ack: N events committed through `Outbox.add_many` in transactions of --tx-size
  while the relay runs; from the first insert (created_at) to the last row marked published after
  the broker's ack (published_at);
- outbox, backlog drain: N events already in the table; from relay start to the last row marked;
- raw consume: aiokafka `getmany` + `commit()` per batch of N messages, first record → last commit;
- consumer apply: `shared.consumer` (faststream batch subscriber: decode + validate, dedupe record
  and apply in one PostgreSQL transaction, then the offset commit) into a simple table, first
  record → last batch committed.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import uvloop
from aiokafka import AIOKafkaConsumer

from bench.common import infrastructure, machine
from shared import db
from shared.consumer import register_consumer
from shared.events import (
    ANSWER_SUBMITTED,
    AnswerSubmitted,
    all_topics,
    decode_event,
    encode_event,
    event_key,
    new_event,
)
from shared.kafka import create_topics, make_broker, make_producer
from shared.metrics import ServiceMetrics
from shared.outbox import Outbox, OutboxRelay
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "outbox_consumer.md"
FIXTURE = ROOT / "tests" / "fixtures" / "quiz.answer-submitted.v1.example.json"
APPLY_SQL = """
CREATE TABLE IF NOT EXISTS applied (
    attempt_id text PRIMARY KEY, participant_id text NOT NULL, score double precision NOT NULL
);
"""


@dataclass
class Row:
    name: str
    events: int
    seconds: float
    baseline_name: str
    baseline_rate: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def payloads(n: int) -> list[AnswerSubmitted]:
    sample = decode_event(ANSWER_SUBMITTED, FIXTURE.read_bytes()).data
    return [
        sample.model_copy(update={"attempt_id": f"a-{i:07d}", "participant_id": f"p-{i % 5000:05d}",
                                  "score": float(i % 101)})
        for i in range(n)
    ]


async def raw_produce(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> float:
    producer = make_producer(bootstrap, enable_idempotence=False, client_id="bench-raw")
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [await producer.send(topic, value=v, key=k,
                                       headers=[("content-type", b"application/cloudevents+json")])
                   for k, v in messages]
        await asyncio.gather(*futures)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def prepare_schema(dsn: str, schema: str, tmp: Path) -> asyncpg.Pool:
    mig = tmp / schema / "migrations"
    mig.mkdir(parents=True, exist_ok=True)
    (mig / "001_applied.sql").write_text(APPLY_SQL, encoding="utf-8")
    await db.migrate(dsn, schema, [db.SHARED_MIGRATIONS, mig])
    return await db.create_pool(dsn, schema, min_size=2, max_size=4)


async def insert(pool: asyncpg.Pool, outbox: Outbox, items: list[AnswerSubmitted], tx_size: int) -> None:
    for first in range(0, len(items), tx_size):
        async with pool.acquire() as conn, conn.transaction():
            await outbox.add_many(conn, ANSWER_SUBMITTED, items[first:first + tx_size])


async def wait_drained(pool: asyncpg.Pool, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"):
        if time.monotonic() > deadline:
            raise RuntimeError("the relay did not drain the outbox in time")
        await asyncio.sleep(0.01)


async def relay_running(dsn: str, schema: str, bootstrap: str) -> OutboxRelay:
    relay = OutboxRelay(dsn=dsn, schema=schema, bootstrap_servers=bootstrap, metrics=ServiceMetrics("bench"),
                        batch_size=500, poll_seconds=1.0)  # the ServiceSettings defaults
    await relay.start()
    while not relay.is_leader:  # noqa: ASYNC110 - polling a flag another task sets
        await asyncio.sleep(0.005)
    return relay


async def outbox_insert_to_ack(dsn: str, bootstrap: str, prefix: str, items: list[AnswerSubmitted],
                               tx_size: int, tmp: Path) -> float:
    pool = await prepare_schema(dsn, "bench_live", tmp)
    relay = await relay_running(dsn, "bench_live", bootstrap)
    try:
        await insert(pool, Outbox(source="/services/bench", topic_prefix=prefix), items, tx_size)
        await wait_drained(pool)
        return await pool.fetchval(
            "SELECT extract(epoch FROM max(published_at) - min(created_at))::float8 FROM outbox")
    finally:
        await relay.stop()
        await pool.close()


async def outbox_drain(
    dsn: str, bootstrap: str, prefix: str, items: list[AnswerSubmitted], tmp: Path
) -> float:
    pool = await prepare_schema(dsn, "bench_drain", tmp)
    try:
        await insert(pool, Outbox(source="/services/bench", topic_prefix=prefix), items, 1000)
        started = await pool.fetchval("SELECT clock_timestamp()")
        relay = await relay_running(dsn, "bench_drain", bootstrap)
        try:
            await wait_drained(pool)
        finally:
            await relay.stop()
        return await pool.fetchval(
            "SELECT extract(epoch FROM max(published_at) - $1::timestamptz)::float8 FROM outbox", started)
    finally:
        await pool.close()


async def raw_consume(bootstrap: str, topic: str, n: int) -> float:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id="bench-raw-consume",
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                session_timeout_ms=3000, heartbeat_interval_ms=500)
    await consumer.start()
    try:
        got, started = 0, None
        while got < n:
            batch = await consumer.getmany(timeout_ms=100, max_records=500)
            count = sum(len(rs) for rs in batch.values())
            if count and started is None:
                started = time.perf_counter()
            if count:
                got += count
                await consumer.commit()
        assert started is not None
        return time.perf_counter() - started
    finally:
        await consumer.stop()


async def consumer_apply(dsn: str, bootstrap: str, prefix: str, n: int, tmp: Path) -> float:
    pool = await prepare_schema(dsn, "bench_consumer", tmp)
    settings = ServiceSettings(
        service_name="bench", environment="test", database_url=dsn, db_schema="bench_consumer",
        kafka_bootstrap_servers=bootstrap, topic_prefix=prefix, kafka_session_timeout_ms=3000,
        kafka_heartbeat_interval_ms=500, consumer_batch_size=500, CONTEST_ADMIN_TOKEN=secrets.token_urlsafe(32),
        kafka_enable_idempotence=False,  # the bench's broker is Tansu, which fails producer start with it
    )
    first: list[float] = []
    done = asyncio.Event()
    applied = 0
    finished = 0.0

    def decode(topic: str, raw: bytes) -> Any:
        if not first:
            first.append(time.perf_counter())
        return decode_event(topic, raw)

    async def apply(conn: asyncpg.Connection, events: list[Any]) -> None:
        await conn.execute(
            "INSERT INTO applied SELECT * FROM unnest($1::text[], $2::text[], $3::float8[])",
            [e.data.attempt_id for e in events], [e.data.participant_id for e in events],
            [e.data.score for e in events],
        )

    def after_commit(fresh: list[Any], result: Any) -> None:
        nonlocal applied, finished
        applied += len(fresh)
        if applied >= n:
            finished = time.perf_counter()
            done.set()

    broker = make_broker(settings)
    register_consumer(broker, settings, lambda: pool, ServiceMetrics("bench"), topic=ANSWER_SUBMITTED,
                      name="bench", apply=apply, after_commit=after_commit, decode=decode)
    await broker.start()
    try:
        await asyncio.wait_for(done.wait(), 300)
        # The window ends at the last batch's after_commit (DB committed); its offset commit follows
        # within milliseconds (the raw baseline's last commit is inside its window: slightly unfair to raw).
        count = await pool.fetchval("SELECT count(*) FROM applied")
        assert count == n, f"applied {count} of {n}"
        return finished - first[0]
    finally:
        await broker.stop()
        await pool.close()



def table(rows: list[Row], n: int, tx_size: int) -> str:
    size = len(encode_event(new_event(ANSWER_SUBMITTED, "/services/bench", payloads(1)[0])))
    lines = [
        f"# Outbox relay and idempotent consumer vs raw aiokafka ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {machine()}.",
        f"{n:,} `quiz.answer-submitted.v1` events (~{size:,} bytes, {min(n, 5000):,} keys, 6 partitions);"
        f" outbox inserts in transactions of {tx_size}; relay batch 500;"
        " consumer batch 500.",
        "",
        "| measure | events | seconds | events/s | raw aiokafka baseline | baseline events/s | ratio |",
        "|---|---:|---:|---:|---|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r.name} | {r.events:,} | {r.seconds:.2f} | {r.rate:,.0f} | {r.baseline_name} | "
                     f"{r.baseline_rate:,.0f} | {r.rate / r.baseline_rate:.2f} |")
    return "\n".join(lines) + "\n"


async def run(bootstrap: str, dsn: str, n: int, tx_size: int, tmp: Path) -> str:
    live, drain = "bench.live.", "bench.drain."
    topics = {"bench.raw": 6} | all_topics(live) | all_topics(drain)
    await create_topics(bootstrap, topics)
    items = payloads(n)
    messages = [(event_key(ANSWER_SUBMITTED, e).encode(), encode_event(e))
                for e in (new_event(ANSWER_SUBMITTED, "/services/bench", d) for d in items)]

    t_raw_produce = await raw_produce(bootstrap, "bench.raw", messages)
    raw_produce_rate = n / t_raw_produce
    print(f"raw produce: {raw_produce_rate:,.0f}/s", flush=True)
    t_live = await outbox_insert_to_ack(dsn, bootstrap, live, items, tx_size, tmp)
    print(f"outbox insert→ack: {n / t_live:,.0f}/s", flush=True)
    t_drain = await outbox_drain(dsn, bootstrap, drain, items, tmp)
    print(f"outbox drain: {n / t_drain:,.0f}/s", flush=True)
    topic = live + ANSWER_SUBMITTED  # the relay's output: the messages both consumers read
    t_raw_consume = await raw_consume(bootstrap, topic, n)
    raw_consume_rate = n / t_raw_consume
    print(f"raw consume: {raw_consume_rate:,.0f}/s", flush=True)
    t_apply = await consumer_apply(dsn, bootstrap, live, n, tmp)
    print(f"consumer apply: {n / t_apply:,.0f}/s", flush=True)
    rows = [
        Row("outbox: insert → broker ack (relay running)", n, t_live, "produce (`send`, acks=all)",
            raw_produce_rate),
        Row("outbox: relay drains a backlog", n, t_drain, "produce (`send`, acks=all)", raw_produce_rate),
        Row("consumer apply (`shared.consumer` → PostgreSQL)", n, t_apply, "consume (`getmany` + commit)",
            raw_consume_rate),
    ]
    return table(rows, n, tx_size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--tx-size", type=int, default=100, help="events per outbox transaction")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.perf_counter()
    with infrastructure("outbox") as infra:
        report = uvloop.run(run(infra.bootstrap, infra.dsn, args.events, args.tx_size, infra.tmp))
    print()
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(f"written to {args.out} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
