"""Broker-failure drills on the 3-node Apache Kafka cluster (`--broker kafka --brokers 3`), during load:

- kafka-kill-leader: SIGKILL the leader of the busiest answer-submitted partition (highest end offset),
  start it again 15 s later
- kafka-pause: SIGSTOP one broker for 30 s, then SIGCONT
- kafka-rolling-restart: every broker in turn, controlled shutdown (SIGTERM) and start, the next one
  only once the restarted one is back in every ISR it belongs to
- kafka-two-down: SIGKILL two of the three brokers (no quorum: no writes, no controller) for 30 s;
  submits keep being acknowledged (the outbox holds the events) and everything is published once a
  quorum is back

Each drill marks when the fault began and when it was lifted (the last node started / resumed), then
waits for every ISR to be full again and measures how long the boards took to be fresh again: every
submission acknowledged up to the lift is in the ranking's facts and the newest of them is visible on
`quiz.individual.all` (the report's freshness probe, for the backlog the fault left).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import time
from typing import Any

import asyncpg
import httpx
import psutil
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench.quizday.recorder import Recorder
from bench.quizday.stack import Stack
from shared.events import ANSWER_SUBMITTED
from tools.tansu import _port_open

PAUSE_SECONDS = 30.0
DOWN_SECONDS = 30.0
KILLED_LEADER_SECONDS = 15.0
HEALTHY_TIMEOUT = 240.0


async def _admin(stack: Stack) -> AIOKafkaAdminClient:
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap, client_id="quizday-drill",
                                request_timeout_ms=5000)
    await admin.start()
    return admin


async def busiest_partition(stack: Stack) -> tuple[int, int, int]:
    """(leader node id, partition, end offset) of the answer-submitted partition with the highest end offset."""
    admin = await _admin(stack)
    try:
        (topic,) = await admin.describe_topics([ANSWER_SUBMITTED])
    finally:
        await admin.close()
    leaders = {p["partition"]: p["leader"] for p in topic["partitions"]}
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await consumer.end_offsets([TopicPartition(ANSWER_SUBMITTED, p) for p in leaders])
    finally:
        await consumer.stop()
    tp, end = max(ends.items(), key=lambda kv: (kv[1], -kv[0].partition))
    return leaders[tp.partition], tp.partition, end


async def out_of_sync(stack: Stack) -> list[str]:
    """Partitions without a leader or with an ISR smaller than their replicas, and brokers missing."""
    admin = await _admin(stack)
    try:
        cluster = await admin.describe_cluster()
        topics = await admin.describe_topics()
    finally:
        await admin.close()
    seen = {b["node_id"] for b in cluster["brokers"]}
    # A lone survivor without quorum serves its last metadata (everyone in sync): a restarted node
    # counts only once it listens again and the metadata lists it.
    short = [f"broker {n['id']} not listening" for n in stack.kafka_nodes() if not _port_open(n["port"])]
    short += [f"broker {n['id']} not in the metadata" for n in stack.kafka_nodes() if n["id"] not in seen]
    for t in topics:
        for p in t["partitions"]:
            if p["leader"] < 0 or set(p["replicas"]) - set(p["isr"]):
                short.append(f"{t['topic']}/{p['partition']} leader {p['leader']} isr {p['isr']}")
    return short


async def wait_in_sync(stack: Stack, timeout: float = HEALTHY_TIMEOUT) -> float:
    """Seconds until every broker is back and every partition's ISR is full."""
    started = time.monotonic()
    last: list[str] = []
    while time.monotonic() - started < timeout:
        try:
            last = await out_of_sync(stack)
            if not last:
                return time.monotonic() - started
        except Exception as exc:  # a broker just starting answers with errors or not at all
            last = [repr(exc)]
        await asyncio.sleep(1.0)
    raise TimeoutError(f"cluster not in sync after {timeout:.0f}s: {last[:5]}")


async def _gone(pid: int, timeout: float) -> bool:
    """The process exited (a zombie counts: it holds no file locks and no ports)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        await asyncio.sleep(0.2)
    return False


async def _kill(stack: Stack, node: int) -> int:
    pid = stack.kafka_pid(node)
    os.kill(pid, signal.SIGKILL)
    await _gone(pid, 15)
    return pid


async def _controlled_stop(stack: Stack, node: int) -> tuple[int, float]:
    pid = stack.kafka_pid(node)
    started = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    if not await _gone(pid, 60):
        os.kill(pid, signal.SIGKILL)
        await _gone(pid, 15)
    return pid, time.monotonic() - started


async def fresh_again(stack: Stack, submitted: list[dict[str, Any]], timeout: float = HEALTHY_TIMEOUT) -> float:
    """Seconds until every submission acknowledged so far is in the ranking's facts and the newest is on the board."""
    started = time.monotonic()
    acked = list(submitted)
    if not acked:
        return 0.0
    ids = [s["attempt_id"] for s in acked]
    newest = acked[-1]["participant_id"]
    url = f"{stack.url('ranking')}/api/boards/quiz.individual.all/entries/{newest}"
    conn = await asyncpg.connect(stack.dsn, server_settings={"application_name": "drill"})
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            while time.monotonic() - started < timeout:
                with contextlib.suppress(httpx.HTTPError, OSError, asyncpg.PostgresError):
                    have = await conn.fetchval("SELECT count(*) FROM ranking.attempts WHERE attempt_id = ANY($1::text[])",
                                               ids)
                    if have == len(ids) and (await http.get(url, params={"around": 0})).status_code == 200:
                        return time.monotonic() - started
                await asyncio.sleep(0.25)
    finally:
        await conn.close()
    return float("nan")


async def _lifted(stack: Stack, rec: Recorder, log: Any) -> None:
    """The fault is over: wait for full ISRs and for fresh boards (side by side), note both."""
    log.fault_lifted = rec.now()
    synced, fresh = await asyncio.gather(wait_in_sync(stack), fresh_again(stack, log.submitted))
    log.in_sync_after = synced
    log.fresh_after = fresh
    log.note(rec, f"every ISR full {synced:.1f}s after the fault was lifted; boards fresh again after {fresh:.1f}s")


async def _start(rec: Recorder, log: Any) -> None:
    log.fault_started = rec.now()


async def kill_leader(stack: Stack, rec: Recorder, log: Any, rng: random.Random, window: float) -> None:
    await asyncio.sleep(rng.uniform(0.15, 0.35) * window)
    # Early in the day nobody has submitted yet: wait for answers to flow so "busiest" means something.
    deadline = time.monotonic() + window
    leader, partition, end = await busiest_partition(stack)
    while end < 20 and time.monotonic() < deadline:
        await asyncio.sleep(2.0)
        leader, partition, end = await busiest_partition(stack)
    await _start(rec, log)
    pid = await _kill(stack, leader)
    log.note(rec, f"SIGKILL broker {leader} (pid {pid}), leader of {ANSWER_SUBMITTED}/{partition}"
                  f" (end offset {end}, the busiest)")
    await asyncio.sleep(KILLED_LEADER_SECONDS)
    log.note(rec, f"broker {leader} started again (pid {await asyncio.to_thread(stack.relaunch_kafka, leader)})")
    await _lifted(stack, rec, log)


async def pause_one(stack: Stack, rec: Recorder, log: Any, rng: random.Random, window: float) -> None:
    await asyncio.sleep(rng.uniform(0.15, 0.35) * window)
    node = rng.choice([n["id"] for n in stack.kafka_nodes()])
    pid = stack.kafka_pid(node)
    await _start(rec, log)
    os.kill(pid, signal.SIGSTOP)
    log.note(rec, f"SIGSTOP broker {node} (pid {pid}) for {PAUSE_SECONDS:.0f}s")
    try:
        await asyncio.sleep(PAUSE_SECONDS)
    finally:
        os.kill(pid, signal.SIGCONT)
    log.note(rec, f"SIGCONT broker {node}")
    await _lifted(stack, rec, log)


async def rolling_restart(stack: Stack, rec: Recorder, log: Any, rng: random.Random, window: float) -> None:
    await asyncio.sleep(rng.uniform(0.05, 0.15) * window)
    await _start(rec, log)
    nodes = [n["id"] for n in stack.kafka_nodes()]
    for i, node in enumerate(nodes):
        pid, took = await _controlled_stop(stack, node)
        log.note(rec, f"broker {node} (pid {pid}) stopped (controlled shutdown, {took:.1f}s)")
        new = await asyncio.to_thread(stack.relaunch_kafka, node)
        if i == len(nodes) - 1:
            log.note(rec, f"broker {node} started again (pid {new})")
            break
        synced = await wait_in_sync(stack)
        log.note(rec, f"broker {node} started again (pid {new}), back in every ISR after {synced:.1f}s")
    await _lifted(stack, rec, log)


async def two_down(stack: Stack, rec: Recorder, log: Any, rng: random.Random, window: float) -> None:
    await asyncio.sleep(rng.uniform(0.15, 0.3) * window)
    down = sorted(rng.sample([n["id"] for n in stack.kafka_nodes()], 2))
    await _start(rec, log)
    pids = await asyncio.gather(*(_kill(stack, n) for n in down))
    log.note(rec, f"SIGKILL brokers {down} (pids {list(pids)}): one of three left, no quorum,"
                  f" for {DOWN_SECONDS:.0f}s")
    await asyncio.sleep(DOWN_SECONDS)
    for n in down:
        await asyncio.to_thread(stack.relaunch_kafka, n)
    log.note(rec, f"brokers {down} started again")
    await _lifted(stack, rec, log)


BROKER_DRILLS = {
    "kafka-kill-leader": kill_leader,
    "kafka-pause": pause_one,
    "kafka-rolling-restart": rolling_restart,
    "kafka-two-down": two_down,
}
