"""The skeleton every service is built on: settings → contest → migrations → pool → broker →
outbox relay → routes, with health, readiness, metrics and JSON errors from day one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.middleware.cors import CORSMiddleware
from faststream.kafka import KafkaBroker

from shared import db
from shared.auth import check_admin
from shared.backoff import Backoff
from shared.contest import Contest
from shared.http import BodyLimitMiddleware, MetricsMiddleware, install_error_handlers, ops_router
from shared.kafka import make_broker
from shared.metrics import ServiceMetrics
from shared.outbox import Outbox, OutboxRelay
from shared.page_headers import PageCompressionMiddleware, SecurityHeadersMiddleware
from shared.pages import Static
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)
WEB_COMMON = Path(__file__).parent / "web"


@dataclass
class Runtime:
    """What a request or a handler needs; one per app instance (no module-level state)."""

    settings: ServiceSettings
    contest: Contest
    metrics: ServiceMetrics
    broker: KafkaBroker
    outbox: Outbox
    relay: OutboxRelay | None = None
    _pool: asyncpg.Pool | None = None
    broker_ready: asyncio.Event = field(default_factory=asyncio.Event)
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("database pool not started")
        return self._pool


async def get_runtime(request: Request) -> Runtime:  # async: no threadpool hop per request
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def check_admin_token(rt: Runtime, authorization: str | None) -> None:
    """The organizers' admin token (CONTEST_ADMIN_TOKEN) or 403: the one check every service's
    admin routes use, as the `AdminDep` dependency or called first thing in the route."""
    check_admin(rt.settings.admin_token.get_secret_value(), authorization)


async def require_admin(rt: RuntimeDep, authorization: Annotated[str | None, Header()] = None) -> Runtime:
    check_admin_token(rt, authorization)
    return rt


AdminDep = Annotated[Runtime, Depends(require_admin)]

Hook = Callable[[Runtime], Awaitable[None]]


@dataclass
class ServiceSpec:
    title: str
    description: str
    migrations: Path
    routers: Sequence[APIRouter] = ()
    register_consumers: Callable[[Runtime], None] | None = None
    on_startup: Hook | None = None
    on_shutdown: Hook | None = None
    with_relay: bool = True
    static: dict[str, Path] = field(default_factory=dict)  # URL prefix -> folder
    body_limits: dict[str, int] = field(default_factory=dict)  # path prefix -> bytes


def build_app(settings: ServiceSettings, spec: ServiceSpec) -> FastAPI:
    contest = settings.load_contest()
    metrics = ServiceMetrics(settings.service_name)
    broker = make_broker(settings, metrics.registry)
    runtime = Runtime(
        settings=settings, contest=contest, metrics=metrics, broker=broker,
        outbox=Outbox(source=f"/services/{settings.service_name}", topic_prefix=settings.topic_prefix),
    )
    if spec.with_relay:
        runtime.relay = OutboxRelay(
            dsn=settings.database_url, schema=settings.db_schema,
            bootstrap_servers=settings.kafka_bootstrap_servers, metrics=metrics,
            enable_idempotence=settings.kafka_enable_idempotence,
            batch_size=settings.outbox_batch_size, poll_seconds=settings.outbox_poll_seconds,
        )
    if spec.register_consumers:
        spec.register_consumers(runtime)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await db.migrate(settings.database_url, settings.db_schema, [db.SHARED_MIGRATIONS, spec.migrations])
        runtime._pool = await db.create_pool(
            settings.database_url, settings.db_schema, min_size=settings.db_pool_min,
            max_size=settings.db_pool_max, application_name=settings.service_name,
        )
        starter = asyncio.create_task(_start_broker(runtime), name="broker-start")
        try:
            if spec.on_startup:
                await spec.on_startup(runtime)
            if runtime.relay:
                await runtime.relay.start()
            yield
        finally:
            if runtime.relay:
                await runtime.relay.stop()
            starter.cancel()
            with contextlib.suppress(BaseException):
                await starter
            with contextlib.suppress(Exception):
                await broker.stop()
            if spec.on_shutdown:
                await spec.on_shutdown(runtime)
            await runtime.pool.close()

    app = FastAPI(title=spec.title, description=spec.description, lifespan=lifespan, version="1.0.0")
    app.state.runtime = runtime
    install_error_handlers(app)

    async def check_db() -> None:
        async with runtime.pool.acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1")

    async def check_broker() -> None:
        if not runtime.broker_ready.is_set() or not await broker.ping(timeout=2):
            raise ConnectionError("broker not reachable")

    app.include_router(ops_router(metrics, {"database": check_db, "broker": check_broker}))
    for router in spec.routers:
        app.include_router(router)
    app.mount("/static/common", Static(directory=WEB_COMMON), name="static-common")
    for prefix, folder in spec.static.items():
        app.mount(prefix, Static(directory=folder), name=f"static-{prefix}")
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, overrides=spec.body_limits)
    app.add_middleware(PageCompressionMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    _watch_pool(runtime)
    return app


async def _start_broker(runtime: Runtime) -> None:
    """Connect in the background so HTTP serves at once; keep trying while the broker is away."""
    backoff = Backoff(0.5)
    while True:
        try:
            await runtime.broker.start()
            runtime.broker_ready.set()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("broker not reachable (%s); retrying in %.1fs", exc, backoff.delay)
            with contextlib.suppress(Exception):
                await runtime.broker.stop()
            await backoff.wait()


def _watch_pool(runtime: Runtime) -> None:
    gauge = runtime.metrics.db_pool

    def collect(state: str) -> float:
        pool = runtime._pool
        if pool is None:
            return 0.0
        if state == "max":
            return float(pool.get_max_size())
        idle = pool.get_idle_size()
        return float(idle if state == "idle" else pool.get_size() - idle)

    for state in ("in_use", "idle", "max"):
        gauge.labels(state).set_function(lambda s=state: collect(s))


def serve(app_factory: Callable[[], FastAPI], settings: ServiceSettings) -> None:
    """Run one service with uvicorn (used by `python -m services.<name>`)."""
    import prometheus_client
    import uvicorn

    from shared.uvicorn_server import server_config

    prometheus_client.disable_created_metrics()  # `_created` series only double the scrape size
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = uvicorn.Server(server_config(app_factory(), host=settings.host, port=settings.port,
                                          log_level=settings.log_level, loop="uvloop"))
    server.run()
    if not server.started:  # as uvicorn.run: a failed startup is a failed process
        raise SystemExit(3)
