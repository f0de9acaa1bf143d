"""Benchmark: engagement ingestion through signed batches of 500 vs raw aiokafka produce.

Runs the real engagement app in-process (real PostgreSQL + real Kafka-protocol broker, outbox relay
running), registers a platform, sends signed batches (`POST /api/ingest` through the ASGI transport,
so no socket overhead but every header check, signature, de-dup, state update and outbox write), and
waits until the outbox has published every resulting `engagement.content-liked.v1` event. In the same
run it produces the same number of resulting events with a raw aiokafka producer (`send`, acks=all)
and prints a markdown table with the ratio.

Usage: python -m bench.engagement_ingest [--batches 40] [--batch-size 500] [--concurrency 1]
Uses BENCH_DATABASE_URL / BENCH_KAFKA_BOOTSTRAP if set, else starts its own servers. ~20–40 s.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import secrets
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine
from services.engagement.app import create_app
from services.engagement.settings import EngagementSettings
from services.engagement.signing import sign
from shared.events import CONTENT_LIKED, all_topics
from shared.kafka import create_topics
from shared.outbox import pending_count
from tests.support import running
from tools.demo_contest import contest_dict, write_contest

SECRET = "whsec_" + base64.b64encode(b"bench-secret-0123456789abcdef").decode()
ADMIN = secrets.token_urlsafe(32)  # the services have no default secret; a fresh one per run
ACTIONS = ("like", "share", "comment", "like", "like")



def make_batches(n_batches: int, size: int, n_contents: int) -> list[bytes]:
    now = datetime.now(UTC)
    out = []
    for b in range(n_batches):
        events = []
        for i in range(size):
            k = b * size + i
            events.append({
                "contest_id": "unghoa-cds-2025", "phase_id": "initiatives",
                "content_ref": f"ini-{k % n_contents:04d}", "platform": "bench",
                "actor_id": f"user-{k // 3}", "action": ACTIONS[k % len(ACTIONS)],
                "occurred_at": (now - timedelta(seconds=(n_batches * size - k) / 1000)).isoformat(),
                "source_event_id": f"e-{k}",
            })
        out.append(orjson.dumps(events))
    return out


async def run(args: argparse.Namespace, dsn: str, bootstrap: str, workdir: Path) -> dict[str, float]:
    prefix = f"b{uuid.uuid4().hex[:8]}."
    await create_topics(bootstrap, {**all_topics(prefix), prefix + "raw.content-liked": 6})
    contest = contest_dict(engagement={
        "daily_cap_per_actor": {"share": 1000, "comment": 1000, "view": 1000},
        "spike": {"window_seconds": 60, "new_actors": 1_000_000},
    })
    contest_file = write_contest(workdir / "contest.yaml", contest)
    settings = EngagementSettings(
        environment="test", database_url=dsn, db_schema=prefix[:-1] + "_engagement", kafka_bootstrap_servers=bootstrap,
        topic_prefix=prefix, contest_file=contest_file, CONTEST_ADMIN_TOKEN=ADMIN, outbox_poll_seconds=0.05,
        actor_hash_key=secrets.token_urlsafe(32),
        db_pool_min=2, db_pool_max=8, log_level="WARNING",
        kafka_enable_idempotence=False,  # the bench's broker is Tansu, which fails producer start with it
    )
    app = create_app(settings)
    batches = make_batches(args.batches, args.batch_size, args.contents)
    total = args.batches * args.batch_size
    async with running(app) as client:
        rt = app.state.runtime
        r = await client.post("/api/admin/engagement/platforms", headers={"Authorization": f"Bearer {ADMIN}"}, json={
            "id": "bench", "name": "Bench", "secrets": [SECRET], "rate_per_second": 100_000, "burst": 1_000_000,
            "actor_per_minute": 100_000})
        assert r.status_code == 201, r.text
        async with rt.pool.acquire() as conn:
            await conn.executemany(
                "INSERT INTO contents (content_id, title, status, version, changed_at) VALUES ($1, $1, 'published', 1, now())",
                [(f"ini-{i:04d}",) for i in range(args.contents)],
            )
        await asyncio.wait_for(rt.broker_ready.wait(), 30)
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        for b in batches:
            queue.put_nowait(b)
        accepted = 0

        async def worker() -> None:
            nonlocal accepted
            while not queue.empty():
                body = queue.get_nowait()
                msg_id, ts = f"msg_{uuid.uuid4().hex}", int(time.time())
                resp = await client.post("/api/ingest", content=body, headers={
                    "content-type": "application/json", "webhook-platform": "bench", "webhook-id": msg_id,
                    "webhook-timestamp": str(ts), "webhook-signature": sign(SECRET, msg_id, ts, body)})
                assert resp.status_code == 202, resp.text
                accepted += resp.json()["accepted"]

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        committed = time.perf_counter() - started
        while True:
            async with rt.pool.acquire() as conn:
                if await pending_count(conn) == 0:
                    break
            await asyncio.sleep(0.01)
        published = time.perf_counter() - started
        async with rt.pool.acquire() as conn:
            payloads = [r["payload"] for r in await conn.fetch(
                "SELECT payload FROM outbox WHERE topic = $1 ORDER BY id", prefix + CONTENT_LIKED)]
            keys = [r["key"].encode() for r in await conn.fetch(
                "SELECT key FROM outbox WHERE topic = $1 ORDER BY id", prefix + CONTENT_LIKED)]
    assert accepted == total, (accepted, total)
    # Raw produce of the resulting events, same broker, same run.
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=256 * 1024)
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [await producer.send(prefix + "raw.content-liked", value=p, key=k) for p, k in zip(payloads, keys, strict=True)]
        await asyncio.gather(*futures)
        raw = time.perf_counter() - started
    finally:
        await producer.stop()
    return {"events": total, "emitted": len(payloads), "committed_s": committed, "published_s": published,
            "raw_s": raw}


def table(res: dict[str, float], args: argparse.Namespace) -> str:
    ingest_c = res["events"] / res["committed_s"]
    ingest_p = res["events"] / res["published_s"]
    raw = res["emitted"] / res["raw_s"]
    return "\n".join([
        (f"Engagement ingestion, {args.batches} signed batches of {args.batch_size} "
         f"({args.concurrency} concurrent), {args.contents} contents — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"),
        f"Machine: {machine()}",
        "",
        "| path | events | seconds | events/s | vs raw produce |",
        "|---|---:|---:|---:|---:|",
        (f"| signed HTTP ingest, committed (202) | {res['events']} | {res['committed_s']:.2f} | {ingest_c:,.0f} | "
         f"{ingest_c / raw:.3f} |"),
        (f"| signed HTTP ingest, published via outbox | {res['events']} | {res['published_s']:.2f} | "
         f"{ingest_p:,.0f} | {ingest_p / raw:.3f} |"),
        (f"| raw aiokafka `send` of the {res['emitted']} resulting events | {res['emitted']} | {res['raw_s']:.2f} | "
         f"{raw:,.0f} | 1.000 |"),
        "",
        f"Target ≥ 5,000 ingested events/s: {'met' if ingest_p >= 5000 else 'NOT met'} ({ingest_p:,.0f}/s end to end).",
    ])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=1, help="batches in flight (a platform sends in order: 1)")
    ap.add_argument("--contents", type=int, default=200)
    args = ap.parse_args()
    from tools.pg import start_postgres
    from tools.tansu import free_port, start_broker

    with tempfile.TemporaryDirectory(prefix="bench-eng-") as tmp:
        pg = broker = None
        try:
            dsn = os.environ.get("BENCH_DATABASE_URL")
            if not dsn:  # fsync on, like production
                pg = start_postgres(ROOT / ".run" / "bench-engagement-pg", free_port(), fast=False, fresh=True)
                dsn = pg.dsn
            bootstrap = os.environ.get("BENCH_KAFKA_BOOTSTRAP")
            if not bootstrap:
                broker = start_broker()
                bootstrap = broker.bootstrap
            res = asyncio.run(run(args, dsn, bootstrap, Path(tmp)))
        finally:
            if broker:
                broker.stop()
            if pg:
                pg.stop()
    out = table(res, args)
    print(out)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "engagement_ingest.md").write_text(out + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
