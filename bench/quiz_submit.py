"""Benchmark: quiz attempt submissions through the HTTP API vs a bare FastAPI + asyncpg INSERT.

Starts a real Tansu broker and an embedded PostgreSQL (as tests/conftest does), runs the quiz
service under uvicorn (`python -m services.quiz`, uvloop + httptools, one process) and, in the same
run, a bare FastAPI app whose endpoint does one asyncpg INSERT per request. A separate load-client
process (a small keep-alive HTTP/1.1 client on asyncio/uvloop) drives each with the same number of
connections and the same request body, and the script prints a markdown table.

Every measured submission is a real one: a fresh open attempt (seeded with SQL, since seeding is not
what is measured), graded on the server, stored with its outbox event in one transaction; the
relay publishes the events to the broker during the run. Usage:

    python bench/quiz_submit.py [--duration 8] [--slices 4] [--concurrency 64] [--attempts 16000] [--fast-pg]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script (the client and bare-app subprocesses)

from bench.common import machine

PY = sys.executable

from fastapi import FastAPI, Request  # module level: the bare app's annotations must resolve

# --- the load client (runs in its own process: `--client SPEC.json`) ---------------------------


async def _client(spec: dict) -> dict:
    host, port = spec["host"], spec["port"]
    body = spec["body"].encode()
    requests = [
        (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
         f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
        for path, token in spec["targets"]
    ]
    warmup, duration, concurrency = spec["warmup"], spec["duration"], spec["concurrency"]
    it = iter(requests)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    length = re.compile(rb"(?i)\r\ncontent-length: *(\d+)")
    phase = {"measuring": False, "stop_at": float("inf")}
    done_warmup = 0

    async def worker() -> None:
        nonlocal done_warmup
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for raw in it:
                if time.perf_counter() > phase["stop_at"]:
                    break
                t0 = time.perf_counter()
                writer.write(raw)
                head = await reader.readuntil(b"\r\n\r\n")
                m = length.search(head)
                if m:
                    await reader.readexactly(int(m.group(1)))
                took = time.perf_counter() - t0
                if phase["measuring"]:
                    latencies.append(took)
                    status = int(head[9:12])
                    statuses[status] = statuses.get(status, 0) + 1
                else:
                    done_warmup += 1
                    if done_warmup >= warmup:
                        phase["measuring"] = True
                        phase["started"] = time.perf_counter()
                        phase["stop_at"] = phase["started"] + duration
        finally:
            writer.close()

    await asyncio.gather(*[worker() for _ in range(concurrency)])
    elapsed = time.perf_counter() - phase.get("started", time.perf_counter())
    return {"elapsed": elapsed, "latencies": [round(x * 1000, 3) for x in latencies], "statuses": statuses}


def summarize(slices: list[dict]) -> dict:
    """Merge the slices of one target: total count over total measured time, pooled percentiles."""
    latencies = sorted(x for sl in slices for x in sl["latencies"])
    elapsed = sum(sl["elapsed"] for sl in slices)
    statuses: dict[str, int] = {}
    for sl in slices:
        for k, v in sl["statuses"].items():
            statuses[str(k)] = statuses.get(str(k), 0) + v

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else float("nan")

    return {"count": len(latencies), "elapsed": elapsed, "rps": len(latencies) / elapsed if elapsed else 0.0,
            "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99), "statuses": statuses}


def run_client(spec_file: str) -> None:
    import uvloop

    spec = json.loads(Path(spec_file).read_text())
    print(json.dumps(uvloop.run(_client(spec))))


# --- the bare baseline (its own process: `--bare PORT DSN`) ------------------------------------


def run_bare(port: int, dsn: str) -> None:
    import asyncpg
    import uvicorn

    pool: dict[str, asyncpg.Pool] = {}

    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        pool["p"] = await asyncpg.create_pool(dsn, min_size=4, max_size=20)
        await pool["p"].execute("CREATE TABLE IF NOT EXISTS bare_submissions"
                                " (id bigserial PRIMARY KEY, path text NOT NULL, body jsonb NOT NULL)")
        yield
        await pool["p"].close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/bare/{attempt_id}/submit")
    async def insert(attempt_id: str, request: Request) -> dict[str, bool]:
        body = await request.body()
        await pool["p"].execute("INSERT INTO bare_submissions (path, body) VALUES ($1, $2::jsonb)",
                                attempt_id, body.decode())
        return {"ok": True}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, loop="uvloop",
                http="httptools")


# --- orchestration -----------------------------------------------------------------------------


def _wait_http(url: str, timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


async def _seed(dsn: str, schema: str, n: int, private_key: str, contest_id: str) -> tuple[list, dict]:
    """n participants with one open attempt each (same 20 questions), and a body that answers them."""
    import asyncpg
    import orjson

    from shared.auth import issue_participant_token

    conn = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        questions = orjson.loads(await conn.fetchval("SELECT questions::text FROM bank_versions ORDER BY version LIMIT 1"))
        version = await conn.fetchval("SELECT min(version) FROM bank_versions")
        served = questions[:20]
        await conn.execute(
            "INSERT INTO participants (participant_id, contest_id, phone, full_name, unit_id)"
            " SELECT 'p-b' || i, $1, '09' || lpad(i::text, 8, '0'), 'Người dự thi ' || i, 'van-dinh'"
            " FROM generate_series(1, $2) AS i", contest_id, n)
        await conn.execute(
            "INSERT INTO attempts (attempt_id, participant_id, contest_id, round_id, bank_version, display_name,"
            " unit_id, questions, started_at, deadline)"
            " SELECT 'a-b' || i, 'p-b' || i, $1, 'week-2', $2, 'Người dự thi ' || i, 'van-dinh', $3::text::jsonb,"
            " clock_timestamp(), clock_timestamp() + interval '1 hour' FROM generate_series(1, $4) AS i",
            contest_id, version, orjson.dumps(served).decode(), n)
    finally:
        await conn.close()
    targets = [(f"/api/attempts/a-b{i}/submit",
                issue_participant_token(private_key, participant_id=f"p-b{i}", contest_id=contest_id,
                                        display_name=f"Người dự thi {i}", unit_id="van-dinh"))
               for i in range(1, n + 1)]
    body = {"answers": [{"question_id": q["id"], "option_key": q["answer"] if k % 4 else q["options"][0]["key"]}
                        for k, q in enumerate(served)],
            "free_answer": "Lập nhóm Zalo của thôn để hướng dẫn bà con cài đặt VNeID và nộp hồ sơ trực tuyến."}
    return targets, body


def _load(
    host: str, port: int, targets: list, body: dict, args: argparse.Namespace, tmp: Path, name: str, duration: float
) -> dict:
    spec = {"host": host, "port": port, "targets": targets, "body": json.dumps(body, ensure_ascii=False),
            "warmup": args.warmup, "duration": duration, "concurrency": args.concurrency}
    spec_file = tmp / f"{name}.json"
    spec_file.write_text(json.dumps(spec, ensure_ascii=False))
    out = subprocess.run([PY, __file__, "--client", str(spec_file)], check=False, capture_output=True,
                         text=True)
    if out.returncode:
        raise SystemExit(f"load client for {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])



def _loadavg() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=8.0, help="measured seconds per target")
    parser.add_argument("--slices", type=int, default=4, help="alternating quiz/bare slices")
    parser.add_argument("--warmup", type=int, default=200, help="requests before measuring, per slice")
    parser.add_argument("--concurrency", type=int, default=64, help="keep-alive connections")
    parser.add_argument("--attempts", type=int, default=16_000, help="attempts seeded (upper bound on requests)")
    parser.add_argument("--quiz-workers", type=int, default=1, help="uvicorn worker processes for quiz")
    parser.add_argument("--fast-pg", action="store_true", help="PostgreSQL without fsync (tests' setting)")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--bare", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        run_client(args.client)
        return
    if args.bare:
        run_bare(int(args.bare[0]), args.bare[1])
        return

    from shared.auth import generate_keypair
    from shared.events import all_topics
    from shared.kafka import create_topics
    from tools.demo_contest import contest_dict, write_contest
    from tools.pg import start_postgres
    from tools.tansu import free_port, start_broker

    t_start = time.monotonic()
    load_before = _loadavg()
    run_dir = ROOT / ".run"
    run_dir.mkdir(exist_ok=True)
    broker = start_broker(log_file=run_dir / "bench-tansu.log")
    pg = start_postgres(run_dir / "bench-pg", free_port(), fast=args.fast_pg, fresh=True)
    procs: list[subprocess.Popen] = []
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            prefix = "bench."
            asyncio.run(create_topics(broker.bootstrap, all_topics(prefix)))
            contest = contest_dict()
            contest["quiz"] = {**contest["quiz"], "attempts_per_round": 1000, "time_limit_seconds": 3600}
            contest_file = write_contest(tmp / "contest.yaml", contest)
            private, public = generate_keypair()
            quiz_port, bare_port = free_port(), free_port()
            env = {**os.environ, "ENVIRONMENT": "dev", "PORT": str(quiz_port), "DATABASE_URL": pg.dsn,
                   "DB_SCHEMA": "quiz", "DB_POOL_MIN": "10", "DB_POOL_MAX": "20",
                   "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap, "TOPIC_PREFIX": prefix,
                   "KAFKA_ENABLE_IDEMPOTENCE": "false",  # Tansu fails producer start with it
                   "CONTEST_FILE": str(contest_file), "CONTEST_ADMIN_TOKEN": secrets.token_urlsafe(32),
                   "PARTICIPANT_PRIVATE_KEY": private, "PARTICIPANT_PUBLIC_KEY": public, "LOG_LEVEL": "WARNING",
                   "RATE_LIMIT_IP_PER_SECOND": "1000000", "RATE_LIMIT_IP_BURST": "1000000",
                   "OUTBOX_POLL_SECONDS": "0.2"}
            if args.quiz_workers > 1:  # same server settings as shared.service.serve, several processes
                cmd = [PY, "-m", "uvicorn", "services.quiz.app:create_app", "--factory", "--host", "127.0.0.1",
                       "--port", str(quiz_port), "--workers", str(args.quiz_workers), "--loop", "uvloop",
                       "--http", "httptools", "--no-access-log", "--log-level", "warning"]
            else:
                cmd = [PY, "-m", "services.quiz"]
            procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env))
            procs.append(subprocess.Popen([PY, __file__, "--bare", str(bare_port), pg.dsn], cwd=ROOT))
            _wait_http(f"http://127.0.0.1:{quiz_port}/readyz")
            _wait_http(f"http://127.0.0.1:{bare_port}/docs")
            targets, body = asyncio.run(_seed(pg.dsn, "quiz", args.attempts, private, contest["contest_id"]))

            spy = None
            if os.environ.get("BENCH_PYSPY"):  # profile the quiz server during its load
                spy = subprocess.Popen(["py-spy", "record", "-d", str(int(args.duration)), "-p", str(procs[0].pid),
                                        "-f", "speedscope" if False else "raw", "-o", os.environ["BENCH_PYSPY"]])
            # Interleave short slices (quiz, bare, quiz, bare, …) so that the background load of a
            # shared machine hits both alike; every quiz slice gets attempts never submitted before.
            per = args.duration / args.slices
            chunk = len(targets) // args.slices
            quiz_slices, bare_slices = [], []
            for k in range(args.slices):
                mine = targets[k * chunk:(k + 1) * chunk]
                quiz_slices.append(_load("127.0.0.1", quiz_port, mine, body, args, tmp, "quiz", per))
                bare_targets = [(f"/bare/{p.split('/')[3]}/submit", tok) for p, tok in mine] * 4  # may repeat
                bare_slices.append(_load("127.0.0.1", bare_port, bare_targets, body, args, tmp, "bare", per))
            if spy:
                spy.wait()
            quiz, bare = summarize(quiz_slices), summarize(bare_slices)
            t_drain = time.monotonic()
            drained = asyncio.run(_wait_drained(pg.dsn))
            drain_s = time.monotonic() - t_drain
            events = asyncio.run(_count_events(pg.dsn))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        pg.stop()
        broker.stop()

    def row(name: str, r: dict) -> str:
        errors = sum(v for k, v in r["statuses"].items() if not 200 <= int(k) < 300)
        return (f"| {name} | {r['count']} | {errors} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} "
                f"| {r['p99']:.1f} |")

    out: list[str] = []
    emit = out.append
    emit("")
    fsync = "without fsync" if args.fast_pg else "with fsync"
    emit(f"## Quiz submissions vs bare FastAPI + one asyncpg INSERT ({args.concurrency} connections, "
         f"{args.duration:g} s each in {args.slices} alternating slices, PostgreSQL {fsync})")
    emit("")
    emit("| target | requests | non-2xx | req/s | p50 ms | p95 ms | p99 ms |")
    emit("|---|---:|---:|---:|---:|---:|---:|")
    emit(row(f"quiz `POST /api/attempts/{{id}}/submit` ({args.quiz_workers} process)", quiz))
    emit(row("bare FastAPI, 1 INSERT (1 process)", bare))
    ratio = quiz["rps"] / bare["rps"] if bare["rps"] else float("nan")
    emit(f"| **ratio quiz / bare** | | | **{ratio:.2f}** | {quiz['p50'] / bare['p50']:.2f}× "
          f"| {quiz['p95'] / bare['p95']:.2f}× | {quiz['p99'] / bare['p99']:.2f}× |")
    emit("")
    emit(f"- events: {events['events']} outbox rows for {quiz['count'] + args.warmup * args.slices} submissions "
          "(incl. warm-up), "
          f"all published: {drained} (relay caught up {drain_s:.1f} s after the load stopped)")
    emit(f"- status codes: quiz {quiz['statuses']}, bare {bare['statuses']}")
    emit(f"- machine: {machine()}; server, PostgreSQL, broker and load client share it")
    emit(f"- load average before/after: {load_before} / {_loadavg()} (other work on the machine skews both)")
    emit(f"- total run: {time.monotonic() - t_start:.0f} s")
    text = "\n".join(out)
    print(text)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "quiz_submit.md").write_text(text + "\n", encoding="utf-8")


async def _wait_drained(dsn: str, timeout: float = 60.0) -> bool:
    import asyncpg

    conn = await asyncpg.connect(dsn, server_settings={"search_path": "quiz"})
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0:
                return True
            await asyncio.sleep(0.2)
        return False
    finally:
        await conn.close()


async def _count_events(dsn: str) -> dict:
    import asyncpg

    conn = await asyncpg.connect(dsn, server_settings={"search_path": "quiz"})
    try:
        return {"events": await conn.fetchval("SELECT count(*) FROM outbox")}
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
