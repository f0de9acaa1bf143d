"""Fault drills, scripted and repeatable (a seed picks the moments): each is an async function run
during load; the checker runs after each one once the load of its segment drained.

- kill-<service>: SIGKILL the service (twice, at random moments); `make run`'s supervisor restarts it
- broker-pause: SIGSTOP the broker for 10 s, then SIGCONT
- pg-terminate: pg_terminate_backend on every connection of each service (three rounds)
- duplicates: 10% of the records of each event topic produced again, shuffled (duplicated and reordered)
- poison: a burst of poison messages (bad JSON, wrong schema, wrong types) on every consumed topic
- kafka-*: broker-failure drills on a 3-node Apache Kafka (bench/quizday/broker_drills.py), the group `broker`
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.quizday.broker_drills import BROKER_DRILLS
from bench.quizday.recorder import Recorder
from bench.quizday.stack import SERVICES, Stack
from shared.events import (
    ANSWER_SUBMITTED,
    CONTENT_LIKED,
    ENGAGEMENT_INBOUND,
    INITIATIVE_PUBLISHED,
    JUDGE_SCORED,
    dlq_topic,
)

EVENT_TOPICS = (ANSWER_SUBMITTED, CONTENT_LIKED, JUDGE_SCORED, INITIATIVE_PUBLISHED)
CONSUMED_TOPICS = (ANSWER_SUBMITTED, CONTENT_LIKED, JUDGE_SCORED, INITIATIVE_PUBLISHED, ENGAGEMENT_INBOUND)


@dataclass
class DrillLog:
    name: str
    notes: list[str] = field(default_factory=list)
    submitted: list[dict[str, Any]] = field(default_factory=list)  # the day's acknowledged submits (live)
    # broker drills: when the fault began and was lifted (seconds since start), and what followed
    fault_started: float | None = None
    fault_lifted: float | None = None
    in_sync_after: float | None = None
    fresh_after: float | None = None

    def note(self, rec: Recorder, text: str) -> None:
        self.notes.append(f"{rec.now():7.1f}s {text}")
        rec.mark(f"{self.name}: {text}")
        print(f"  [drill {self.name}] {text}", flush=True)


Drill = Callable[[Stack, Recorder, DrillLog, random.Random, float], Awaitable[None]]


def kill_drill(service: str, times: int = 2) -> Drill:
    async def run(stack: Stack, rec: Recorder, log: DrillLog, rng: random.Random, window: float) -> None:
        for i in range(times):
            await asyncio.sleep(rng.uniform(0.05, 0.45) * window / times)
            pid = stack.pid(service)
            os.kill(pid, signal.SIGKILL)
            log.note(rec, f"SIGKILL {service} pid {pid} ({i + 1}/{times})")
            took = await stack.wait_ready(service, not_pid=pid)
            log.note(rec, f"{service} back (pid {stack.pid(service)}) after {took:.1f}s")
    return run


async def broker_pause(stack: Stack, rec: Recorder, log: DrillLog, rng: random.Random, window: float) -> None:
    await asyncio.sleep(rng.uniform(0.1, 0.4) * window)
    pid = stack.broker_pid()
    if pid is None:
        log.note(rec, "broker pid not found: skipped")
        return
    os.kill(pid, signal.SIGSTOP)
    log.note(rec, f"SIGSTOP broker pid {pid}")
    try:
        await asyncio.sleep(10)
    finally:
        os.kill(pid, signal.SIGCONT)
    log.note(rec, "SIGCONT broker")


async def pg_terminate(stack: Stack, rec: Recorder, log: DrillLog, rng: random.Random, window: float) -> None:
    for round_ in range(3):
        await asyncio.sleep(rng.uniform(0.05, 0.25) * window)
        conn = await asyncpg.connect(stack.dsn, server_settings={"application_name": "drill"})
        try:
            rows = await conn.fetch(
                "SELECT application_name, count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n"
                " FROM pg_stat_activity WHERE application_name = ANY($1::text[]) AND pid <> pg_backend_pid()"
                " GROUP BY application_name", list(SERVICES))
        finally:
            await conn.close()
        log.note(rec, f"round {round_ + 1}: terminated " +
                 ", ".join(f"{r['application_name']}={r['n']}" for r in rows))


async def _read_all(bootstrap: str, topic: str) -> list:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
                                auto_offset_reset="earliest")
    await consumer.start()
    records = []
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        if not parts:
            await consumer.stop()
            consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, enable_auto_commit=False,
                                        group_id=None, auto_offset_reset="earliest")
            await consumer.start()
        else:
            consumer.assign([TopicPartition(topic, p) for p in parts])
            await consumer.seek_to_beginning()
        idle = 0
        while idle < 5:
            batch = await consumer.getmany(timeout_ms=200, max_records=5000)
            got = [r for rs in batch.values() for r in rs]
            records.extend(got)
            idle = 0 if got else idle + 1
    finally:
        await consumer.stop()
    return records


async def duplicates(stack: Stack, rec: Recorder, log: DrillLog, rng: random.Random, window: float) -> None:
    await asyncio.sleep(rng.uniform(0.2, 0.5) * window)
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    await producer.start()
    try:
        for topic in EVENT_TOPICS:
            records = await _read_all(stack.bootstrap, topic)
            chosen = [r for r in records if rng.random() < 0.10]
            rng.shuffle(chosen)  # reordered as well as duplicated
            for r in chosen:
                await producer.send(topic, value=r.value, key=r.key)
            await producer.flush()
            log.note(rec, f"{topic}: {len(chosen)} of {len(records)} records produced again, shuffled")
    finally:
        await producer.stop()


POISON = [
    b"not json at all",
    b"{\"specversion\": \"1.0\"",
    b"[]",
    b"{}",
    b"{\"specversion\":\"1.0\",\"id\":\"x\",\"source\":\"/drill\",\"type\":\"contest.answer-submitted.v1\","
    b"\"time\":\"2025-01-06T08:15:00Z\",\"data\":{\"score\":\"lots\"}}",
    b"\xff\xfe\x00garbage",
    b"{\"specversion\":\"2.0\",\"id\":\"y\",\"source\":\"/drill\",\"type\":\"x\",\"time\":\"yesterday\",\"data\":null}",
]


async def dlq_count(stack: Stack) -> dict[str, int]:
    out = {}
    for topic in CONSUMED_TOPICS:
        out[topic] = len(await _read_all(stack.bootstrap, dlq_topic(topic)))
    return out


async def poison(stack: Stack, rec: Recorder, log: DrillLog, rng: random.Random, window: float) -> None:
    await asyncio.sleep(rng.uniform(0.1, 0.4) * window)
    before = await dlq_count(stack)
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    await producer.start()
    sent = {}
    try:
        for topic in CONSUMED_TOPICS:
            n = 0
            for i in range(30):
                await producer.send(topic, value=POISON[i % len(POISON)], key=f"poison-{i}".encode())
                n += 1
            sent[topic] = n
        await producer.flush()
    finally:
        await producer.stop()
    log.note(rec, f"poison burst: {sum(sent.values())} messages on {len(sent)} topics")
    stack_state = {"before": before, "sent": sent}
    rec.counters["poison_sent"] += sum(sent.values())
    log.notes.append(f"dlq before: {stack_state['before']}")


DRILLS: dict[str, Drill] = {
    **{f"kill-{s}": kill_drill(s) for s in SERVICES},
    "broker-pause": broker_pause,
    "pg-terminate": pg_terminate,
    "duplicates": duplicates,
    "poison": poison,
    **BROKER_DRILLS,
}
# `--drills broker`; `all` includes them only on a 3-node Apache Kafka (`--broker kafka --brokers 3`)
GROUPS = {"broker": list(BROKER_DRILLS)}


async def poison_landed(stack: Stack, log: DrillLog) -> list[str]:
    """After the poison drill: every consumed topic's DLQ grew (each consumer group dead-letters its copy)."""
    problems = []
    before = next((n for n in log.notes if n.startswith("dlq before: ")), None)
    if before is None:
        return problems
    import ast

    was = ast.literal_eval(before.removeprefix("dlq before: "))
    now = await dlq_count(stack)
    for topic, n in now.items():
        if n < was.get(topic, 0) + 30:
            problems.append(f"{dlq_topic(topic)} has {n} records, expected at least {was.get(topic, 0) + 30}")
    log.notes.append(f"dlq after: {now}")
    return problems
