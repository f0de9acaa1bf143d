"""A real Prometheus scrapes a real service (the skeleton every service is built on, served by
uvicorn, with PostgreSQL, the broker, the outbox relay and an idempotent consumer), loads the
recording and alert rules, and answers every expression of the rules and dashboards."""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
import uvicorn
import yaml
from fastapi import APIRouter
from prometheus_client import Histogram

from shared.consumer import register_consumer
from shared.events import ANSWER_SUBMITTED, AnswerSubmitted, decode_event
from shared.metrics import FRESHNESS_BUCKETS
from shared.service import RuntimeDep, ServiceSpec, build_app
from shared.settings import ServiceSettings
from tests.ops.promql import RULE_FILES, all_exprs, metric_names
from tests.support import wait_for
from tools.tansu import free_port

PROMETHEUS = shutil.which("prometheus")
pytestmark = pytest.mark.skipif(
    PROMETHEUS is None, reason="prometheus not installed (Debian package prometheus)")
SERVICE = "ranking"  # the skeleton named like the service whose freshness SLO the rules watch
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "quiz.answer-submitted.v1.example.json"


def sample_payload(attempt: str) -> AnswerSubmitted:
    event = decode_event(ANSWER_SUBMITTED, FIXTURE.read_bytes())
    return event.data.model_copy(update={"attempt_id": attempt})


def skeleton_app(settings: ServiceSettings, mig: Path, applied: list[str]):
    """A service on the shared skeleton: POST /emit writes events through the outbox, a consumer
    applies them and observes freshness (event time → applied) as ranking does."""
    router = APIRouter()

    @router.post("/emit/{n}")
    async def emit(n: int, rt: RuntimeDep) -> dict[str, int]:
        async with rt.pool.acquire() as conn, conn.transaction():
            for i in range(n):
                payload = sample_payload(f"a-{time.monotonic_ns()}-{i}")
                await rt.outbox.add(conn, ANSWER_SUBMITTED, payload)
        return {"emitted": n}

    def consumers(rt) -> None:
        freshness = Histogram(
            f"{SERVICE}_event_freshness_seconds", "Event time to applied", ["topic"],
            buckets=FRESHNESS_BUCKETS, registry=rt.metrics.registry,
        )

        async def apply(conn: asyncpg.Connection, events) -> None:
            for e in events:
                await conn.execute("INSERT INTO seen VALUES ($1) ON CONFLICT DO NOTHING", e.data.attempt_id)
            now = datetime.now(UTC)
            applied.extend(e.data.attempt_id for e in events)  # read by the test's thread
            for e in events:
                freshness.labels(ANSWER_SUBMITTED).observe(max(0.0, (now - e.time).total_seconds()))

        register_consumer(rt.broker, rt.settings, lambda: rt.pool, rt.metrics, topic=ANSWER_SUBMITTED,
                          name="ops", apply=apply)

    return build_app(settings, ServiceSpec(title="ops", description="", migrations=mig, routers=[router],
                                           register_consumers=consumers))


@contextmanager
def serve(app, port: int) -> Iterator[None]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on", access_log=False))
    thread = threading.Thread(target=server.run, name="uvicorn-ops", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("the service did not start")
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(30)


@contextmanager
def prometheus(tmp: Path, targets: dict[str, str]) -> Iterator[str]:
    """A real Prometheus scraping `targets` (job name → host:port) every second, with our rules."""
    port = free_port()
    config = tmp / "prometheus.yml"
    config.write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "rule_files": [str(p) for p in RULE_FILES],
        "scrape_configs": [{"job_name": job, "static_configs": [{"targets": [target]}]}
                           for job, target in targets.items()],
    }))
    log = open(tmp / "prometheus.log", "wb")
    proc = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}",
         f"--storage.tsdb.path={tmp / 'tsdb'}", "--log.level=warn"],
        stdout=log, stderr=log, stdin=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


async def _query(client: httpx.AsyncClient, expr: str) -> dict:
    r = await client.get("/api/v1/query", params={"query": expr})
    return r.json()


async def _has_data(client: httpx.AsyncClient, expr: str):
    try:
        body = await _query(client, expr)
    except httpx.TransportError:
        return None
    return body.get("status") == "success" and body["data"]["result"]


async def _evaluate_all(prom: httpx.AsyncClient) -> None:
    """Every rule and dashboard expression is well-formed and evaluates; every loaded rule is healthy."""
    failures = {}
    exprs = all_exprs()
    assert len(exprs) > 50
    for where, expr in exprs:
        body = await _query(prom, expr)
        if body.get("status") != "success" or body["data"]["resultType"] not in ("vector", "scalar"):
            failures[where] = (expr, body)
    assert not failures, failures
    groups = (await prom.get("/api/v1/rules")).json()["data"]["groups"]
    health = {r.get("name"): (r.get("health"), r.get("lastError")) for g in groups for r in g["rules"]}
    assert len(health) == sum(1 for where, _ in exprs if where.split(":")[0].endswith(".yml"))
    assert all(h == "ok" for h, _ in health.values()), health


async def test_prometheus_evaluates_every_rule_and_panel_expression(ns, tmp_path: Path):
    mig = tmp_path / "migrations"
    mig.mkdir()
    (mig / "001_seen.sql").write_text("CREATE TABLE seen (attempt_id text PRIMARY KEY);")
    settings = ServiceSettings(**ns.settings_kwargs(SERVICE))
    applied: list[str] = []
    app = skeleton_app(settings, mig, applied)
    port = free_port()

    with serve(app, port), prometheus(tmp_path, {SERVICE: f"127.0.0.1:{port}"}) as prom_url:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as svc, \
                httpx.AsyncClient(base_url=prom_url, timeout=10) as prom:
            await wait_for(lambda: app.state.runtime.broker_ready.is_set(), timeout=30, what="broker started")

            def scraped(expr: str):
                return _has_data(prom, expr)

            await wait_for(lambda: scraped(f'up{{job="{SERVICE}"}} == 1'), timeout=30, interval=0.25,
                           what="Prometheus' first scrape")

            # A burst of traffic: reads, errors, writes that travel outbox → Kafka → consumer.
            for _ in range(3):
                for _ in range(10):
                    assert (await svc.get("/healthz")).status_code == 200
                    assert (await svc.get("/nope")).status_code == 404
                assert (await svc.post("/emit/10")).status_code == 200
                await asyncio.sleep(1.2)  # spread over scrapes so rate() sees an increase

            await wait_for(lambda: len(applied) >= 30, timeout=30, what="30 events applied")

            key_series = {
                "HTTP latency": "histogram_quantile(0.99, sum by (le) "
                                f"(rate({SERVICE}_http_request_duration_seconds_bucket[1m])))",
                "HTTP requests (recorded)": f'job:http_requests:rate5m{{job="{SERVICE}"}} > 0',
                "events published": f"sum(rate({SERVICE}_outbox_published_total[1m])) > 0",
                "events consumed": f'sum(rate({SERVICE}_events_consumed_total{{outcome="applied"}}[1m])) > 0',
                "freshness": f"sum(rate({SERVICE}_event_freshness_seconds_count[1m])) > 0",
                "freshness SLO (recorded)": "ranking:event_freshness:slo_error_ratio_rate5m",
                "faststream": "sum(rate(faststream_received_processed_messages_total"
                              f'{{app_name="{SERVICE}"}}[1m])) > 0',
                "db pool": f'{SERVICE}_db_pool_connections{{state="max"}} > 0',
            }
            for what, expr in key_series.items():
                await wait_for(lambda e=expr: scraped(e), timeout=30, interval=0.25, what=f"{what}: {expr}")

            # 1 - (≤5 s)/(all): the `le` matcher in the SLO rules fits how prometheus-client writes
            # bucket bounds ("5.0"), so fast events give an error ratio of 0, not NaN or nothing.
            slo = await _query(prom, "ranking:event_freshness:slo_error_ratio_rate5m")
            assert float(slo["data"]["result"][0]["value"][1]) == 0.0, slo

            await _evaluate_all(prom)


# Metric families the rules and dashboards name that a service does not expose yet (remove an
# entry when the service registers it; the test fails on any other missing family).
KNOWN_GAPS: dict[str, str] = {}
REAL_APPS = {
    "quiz": ("services.quiz.app", "services.quiz.settings", "QuizSettings"),
    "initiatives": ("services.initiatives.app", "services.initiatives.settings", "InitiativesSettings"),
    "engagement": ("services.engagement.app", "services.engagement.settings", "EngagementSettings"),
    "ranking": ("services.ranking.app", "services.ranking.settings", "RankingSettings"),
}
PROBES = {
    "quiz": ["/", "/api/contest", "/api/attempts/nope"],
    "initiatives": ["/api/initiatives", "/api/judging/rubrics", "/api/stage"],
    "engagement": ["/api/contents/ini-0001/stats"],
    "ranking": ["/api/boards", "/boards/"],
}


def _families(text: str) -> dict[str, str]:
    return dict(line.split()[2:4] for line in text.splitlines() if line.startswith("# TYPE "))


def _exposes(name: str, families: dict[str, str]) -> bool:
    if name in families:
        return True
    base = re.sub(r"_(bucket|count|sum)$", "", name)
    return families.get(base) == "histogram"


async def test_prometheus_scrapes_the_real_services(ns, tmp_path: Path):
    """All four services, as `python -m services.<name>` builds them, scraped by a real Prometheus."""
    import importlib

    apps = {}
    for name, (app_mod, settings_mod, cls) in REAL_APPS.items():
        try:
            create_app = importlib.import_module(app_mod).create_app
            settings_cls = getattr(importlib.import_module(settings_mod), cls)
        except (ImportError, AttributeError) as exc:
            pytest.skip(f"service {name} not available yet: {exc}")
        extra = {"participant_private_key": ns.private_key} if name == "quiz" else {}
        apps[name] = create_app(settings_cls(**ns.settings_kwargs(name, **extra)))
    ports = {name: free_port() for name in apps}

    with contextlib.ExitStack() as stack:
        for name, app in apps.items():
            stack.enter_context(serve(app, ports[name]))
        prom_url = stack.enter_context(
            prometheus(tmp_path, {name: f"127.0.0.1:{port}" for name, port in ports.items()}))
        async with httpx.AsyncClient(base_url=prom_url, timeout=10) as prom, \
                httpx.AsyncClient(timeout=10) as http:
            exposed: dict[str, dict[str, str]] = {}
            for name, port in ports.items():
                base = f"http://127.0.0.1:{port}"

                async def ready(b=base) -> bool:
                    return (await http.get(f"{b}/readyz")).status_code == 200

                await wait_for(ready, timeout=60, interval=0.2, what=f"{name} ready")
                for path in [*PROBES[name], "/openapi.json", "/healthz", "/nope"]:
                    r = await http.get(base + path)
                    assert r.status_code < 500, (name, path, r.status_code, r.text[:300])
                exposed[name] = _families((await http.get(f"{base}/metrics")).text)

            # Every series the rules and dashboards name for a service is exposed by that service.
            missing = set()
            for _, expr in all_exprs():
                for metric in metric_names(expr):
                    owner = metric.split("_", 1)[0]
                    if owner in exposed and not _exposes(metric, exposed[owner]):
                        missing.add(re.sub(r"_(bucket|count|sum)$", "", metric))
            assert missing <= set(KNOWN_GAPS), sorted(missing - set(KNOWN_GAPS))

            for name in apps:
                await wait_for(lambda n=name: _has_data(prom, f'up{{job="{n}"}} == 1'), timeout=30,
                               interval=0.25,
                               what=f"{name} scraped")
            for name in apps:
                expr = f'sum(rate({name}_http_requests_total[1m])) > 0'
                await wait_for(lambda e=expr: _has_data(prom, e), timeout=30, interval=0.25, what=expr)
            await _evaluate_all(prom)
