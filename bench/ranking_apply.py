"""Benchmark: the ranking service's apply throughput, freshness and reads at 200,000 entrants.

    python -m bench.ranking_apply [--entrants 200000] [--rate 1000] [--fresh-seconds 8]

Starts its own Tansu broker and embedded PostgreSQL (fsync off), and the ranking service as a real
process (`python -m services.ranking`). In the same run:
- raw consume: aiokafka `getmany` of the N `quiz.answer-submitted.v1` messages (the baseline);
- apply: the service consumes the same N messages (decode, dedupe + facts in PostgreSQL in one
  transaction per batch, in-memory boards after commit), from the first entrant visible in the API
  to the N-th;
- freshness: events produced at --rate per second with `submitted_at` = now; the time until the
  row arrives on an SSE client of `quiz.individual.all` (includes the stream's coalescing interval);
- reads at N entrants over HTTP: top-100, page 500 (100 per page, offset 49,900), around-me
  (±5), sequential; against Redis sorted sets on 127.0.0.1:6379 (ZREVRANGE / ZREVRANK) with the
  same N members.
Prints a markdown table and writes it to bench/results/ranking_apply.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

import httpx
import orjson
import psutil
import uvloop
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.common import infrastructure, machine
from shared.events import ANSWER_SUBMITTED, all_topics
from shared.kafka import create_topics
from tools.demo_contest import contest_dict, write_contest
from tools.tansu import free_port

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "ranking_apply.md"
PREFIX = "bench.rk."
UNITS = [u["id"] for u in orjson.loads((ROOT / "contest" / "data" / "units.json").read_bytes())["units"]]


def message(i: int, submitted: datetime, rng: random.Random) -> tuple[bytes, bytes]:
    pid = f"p{i:07d}"
    score = float(rng.randrange(0, 101, 5))
    dur = rng.randint(60_000, 900_000)
    at = submitted.strftime("%Y-%m-%dT%H:%M:%S.") + f"{submitted.microsecond // 1000:03d}Z"
    started = (submitted - timedelta(milliseconds=dur)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = {
        "specversion": "1.0", "id": str(uuid.uuid4()), "source": "/services/quiz",
        "type": "contest.answer-submitted.v1", "time": at, "subject": pid, "datacontenttype": "application/json",
        "data": {
            "contest_id": "unghoa-cds-2025", "phase_id": "quiz", "round_id": "week-2", "attempt_id": f"a{i:07d}",
            "participant_id": pid, "display_name": f"Người dự thi {i}", "unit_id": UNITS[i % len(UNITS)],
            "started_at": started, "submitted_at": at, "duration_ms": dur, "correct": int(score // 5),
            "total": 20, "score": score, "prediction": None, "essay": None,
            "answers": [{"question_id": f"q-{k:03d}", "option_key": "a", "correct": k < score // 5}
                        for k in range(20)],
        },
    }
    return pid.encode(), orjson.dumps(body)


async def produce(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=10,
                                max_batch_size=512 * 1024)
    await producer.start()
    try:
        futures = [await producer.send(topic, value=v, key=k) for k, v in messages]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def raw_consume(bootstrap: str, topic: str, n: int) -> float:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    got, started = 0, None
    try:
        while got < n:
            batch = await consumer.getmany(timeout_ms=500, max_records=500)
            for records in batch.values():
                if records and started is None:
                    started = time.perf_counter()
                got += len(records)
    finally:
        await consumer.stop()
    return time.perf_counter() - (started or time.perf_counter())


def start_service(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "services.ranking"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def total(client: httpx.AsyncClient) -> int:
    try:
        r = await client.get("/api/boards/quiz.individual.all", params={"limit": 1})
        return r.json()["total"] if r.status_code == 200 else -1
    except httpx.HTTPError:
        return -1


async def measure_apply(client: httpx.AsyncClient, n: int) -> float:
    first = None
    while True:
        t = await total(client)
        if t > 0 and first is None:
            first = (time.perf_counter(), t)
        if t >= n:
            # events applied between the first sighting and the last: n - first count
            return (n - first[1]) / (time.perf_counter() - first[0])
        await asyncio.sleep(0.05)


async def freshness(client: httpx.AsyncClient, bootstrap: str, start_i: int, rate: int, seconds: float) -> list[float]:
    lags: list[float] = []
    ready = asyncio.Event()

    async def listen() -> None:
        async with client.stream("GET", "/api/boards/quiz.individual.all/stream", timeout=None) as resp:
            async for line in resp.aiter_lines():
                if line.startswith("event: hello"):
                    ready.set()
                if line.startswith("data:"):
                    now = time.time()
                    for row in orjson.loads(line[5:]).get("changed", []):
                        at = datetime.fromisoformat(row["details"]["submitted_at"])
                        if int(row["entrant_id"][1:]) >= start_i:
                            lags.append(now - at.timestamp())

    task = asyncio.create_task(listen())
    await asyncio.wait_for(ready.wait(), 10)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    await producer.start()
    rng = random.Random(9)
    count = int(rate * seconds)
    t0 = time.perf_counter()
    try:
        for j in range(count):
            due = t0 + j / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            k, v = message(start_i + j, datetime.now(UTC), rng)
            await producer.send(PREFIX + ANSWER_SUBMITTED, value=v, key=k)
        await producer.flush()
        deadline = time.perf_counter() + 15
        while len(lags) < count and time.perf_counter() < deadline:  # noqa: ASYNC110 - bounded poll
            await asyncio.sleep(0.1)
    finally:
        await producer.stop()
        task.cancel()
    return lags


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def time_calls(call, n: int) -> tuple[float, float, float]:
    lat = []
    t0 = time.perf_counter()
    for i in range(n):
        s = time.perf_counter()
        await call(i)
        lat.append(time.perf_counter() - s)
    return pct(lat, 0.5) * 1000, pct(lat, 0.99) * 1000, n / (time.perf_counter() - t0)


async def reads(client: httpx.AsyncClient, n: int, calls: int) -> dict[str, tuple[float, float, float]]:
    rng = random.Random(3)
    out = {}

    async def top(_: int) -> None:
        r = await client.get("/api/boards/quiz.individual.all", params={"limit": 100})
        assert len(r.json()["entries"]) == 100

    async def page(_: int) -> None:
        r = await client.get("/api/boards/quiz.individual.all", params={"limit": 100, "offset": 49_900})
        assert len(r.json()["entries"]) == 100

    async def around(_: int) -> None:
        r = await client.get(f"/api/boards/quiz.individual.all/entries/p{rng.randrange(n):07d}", params={"around": 5})
        assert r.status_code == 200

    for name, call in (("top-100", top), ("page 500 (offset 49,900, 100 rows)", page), ("around-me (±5)", around)):
        out[name] = await time_calls(call, calls)
    return out


async def redis_reads(members: list[tuple[str, float]], calls: int) -> dict[str, tuple[float, float, float]]:
    import redis.asyncio as redis

    r = redis.Redis(host="127.0.0.1", port=6379)
    key = f"bench:ranking:{uuid.uuid4().hex}"
    try:
        pipe = r.pipeline(transaction=False)
        for i in range(0, len(members), 10_000):
            pipe.zadd(key, dict(members[i:i + 10_000]))
        await pipe.execute()
        rng = random.Random(3)
        n = len(members)

        async def top(_: int) -> None:
            assert len(await r.zrevrange(key, 0, 99, withscores=True)) == 100

        async def page(_: int) -> None:
            assert len(await r.zrevrange(key, 49_900, 49_999, withscores=True)) == 100

        async def around(_: int) -> None:
            rank = await r.zrevrank(key, members[rng.randrange(n)][0])
            await r.zrevrange(key, max(0, rank - 5), rank + 5, withscores=True)

        return {name: await time_calls(call, calls) for name, call in
                (("top-100", top), ("page 500 (offset 49,900, 100 rows)", page), ("around-me (±5)", around))}
    finally:
        await r.delete(key)
        await r.aclose()


async def run(args: argparse.Namespace, bootstrap: str, dsn: str, tmp: Path) -> str:
    await create_topics(bootstrap, all_topics(PREFIX))
    n = args.entrants
    rng = random.Random(1)
    base = datetime.now(UTC) - timedelta(days=3)
    messages = [message(i, base + timedelta(milliseconds=i * 7), rng) for i in range(n)]
    size = sum(len(v) for _, v in messages[:1000]) // 1000
    t = time.perf_counter()
    await produce(bootstrap, PREFIX + ANSWER_SUBMITTED, messages)
    print(f"produced {n:,} in {time.perf_counter() - t:.1f}s", flush=True)
    raw_rate = n / await raw_consume(bootstrap, PREFIX + ANSWER_SUBMITTED, n)
    print(f"raw consume: {raw_rate:,.0f}/s", flush=True)

    port = free_port()
    env = {**os.environ, "PORT": str(port), "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
           "SERVICE_NAME": "ranking", "ENVIRONMENT": "test", "DATABASE_URL": dsn, "DB_SCHEMA": "bench_ranking",
           "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "TOPIC_PREFIX": PREFIX, "KAFKA_SESSION_TIMEOUT_MS": "3000",
           "KAFKA_HEARTBEAT_INTERVAL_MS": "500", "CONTEST_FILE": str(tmp / "contest.yaml"),
           "KAFKA_ENABLE_IDEMPOTENCE": "false",  # Tansu fails producer start with it
           "CONSUMER_BATCH_SIZE": str(args.batch), "CONTEST_ADMIN_TOKEN": secrets.token_urlsafe(32)}
    write_contest(tmp / "contest.yaml", contest_dict())
    proc = start_service(env)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            apply_rate = await measure_apply(client, n)
            print(f"apply: {apply_rate:,.0f}/s", flush=True)
            lags = await freshness(client, bootstrap, n, args.rate, args.fresh_seconds)
            print(f"freshness: {len(lags)} rows, p99 {pct(lags, 0.99):.3f}s", flush=True)
            api = await reads(client, n, args.calls)
        rss = _rss_mb(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    members = [(f"p{i:07d}", float(rng.randrange(0, 101, 5)) + rng.random()) for i in range(n)]
    red = await redis_reads(members, args.calls)

    lines = [
        f"# Ranking: apply, freshness and reads at {n:,} entrants ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {machine()}; redis-py {version('redis')}, Redis server on 127.0.0.1:6379.",
        (f"{n:,} `quiz.answer-submitted.v1` events (~{size:,} bytes, 20 answers each, 6 partitions), one per "
         f"entrant; one ranking process, consumer batch {args.batch}; service RSS after the run {rss:,.0f} MB."),
        "",
        "| measure | ranking | baseline | ratio (ranking / baseline) | target |",
        "|---|---:|---:|---:|---|",
        (f"| apply throughput, events/s | {apply_rate:,.0f} | raw aiokafka `getmany` {raw_rate:,.0f} | "
         f"{apply_rate / raw_rate:.2f} | ≥ 20,000 |"),
        (f"| freshness at {args.rate:,} events/s (event time → SSE row), p50 / p99 s | "
         f"{pct(lags, 0.5):.3f} / {pct(lags, 0.99):.3f} ({len(lags):,} rows) | – | – | p99 ≤ 1 s |"),
    ]
    for name, (p50, p99, rps) in api.items():
        r50, r99, rrps = red[name]
        lines.append(f"| read {name}: p50 / p99 ms, req/s (HTTP+JSON vs Redis) | {p50:.2f} / {p99:.2f}, "
                     f"{rps:,.0f}/s | {r50:.2f} / {r99:.2f}, {rrps:,.0f}/s | p99 ×{p99 / r99:.1f} | p99 ≤ 20 ms |")
    lines += ["", (f"Reads: {args.calls} sequential calls each; ranking over HTTP (uvicorn, JSON with `details`), "
                   "Redis over its protocol with ids and scores only — the ratio includes HTTP and JSON overhead.")]
    return "\n".join(lines) + "\n"


def _rss_mb(pid: int) -> float:
    try:
        return psutil.Process(pid).memory_info().rss / 1e6
    except psutil.Error:
        return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entrants", type=int, default=200_000)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--fresh-seconds", type=float, default=6.0)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--batch", type=int, default=1000, help="consumer batch size (CONSUMER_BATCH_SIZE)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.perf_counter()
    with infrastructure("ranking") as infra:
        report = uvloop.run(run(args, infra.bootstrap, infra.dsn, infra.tmp))
    print()
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(f"written to {args.out} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
