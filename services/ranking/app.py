"""The ranking service: consumers → facts in PostgreSQL → exact in-memory boards → API and pages."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from pathlib import Path

from fastapi import FastAPI
from prometheus_client import Counter

from services.ranking import api, handlers, pages, results_api, results_pages, store
from services.ranking.board import Snapshot
from services.ranking.index import RankingIndex
from services.ranking.settings import RankingSettings
from services.ranking.stream import StreamHub
from shared.service import Runtime, ServiceSpec, build_app

HERE = Path(__file__).parent


def create_app(settings: RankingSettings | None = None) -> FastAPI:
    settings = settings or RankingSettings()

    def register(runtime: Runtime) -> None:
        registry = runtime.metrics.registry
        runtime.state["index_ready"] = asyncio.Event()
        runtime.state["applied"] = Counter(
            "ranking_facts_applied_total", "Facts applied to the in-memory boards", registry=registry)
        runtime.state["frozen"] = {}
        runtime.state["index_queue"] = asyncio.Queue(maxsize=4)
        handlers.register(runtime)

    async def on_startup(runtime: Runtime) -> None:
        index = RankingIndex(runtime.contest, reference_refresh_seconds=settings.reference_refresh_seconds)
        await handlers.load_index(runtime.pool, index)
        async with runtime.pool.acquire() as conn:
            for board_id, frozen_at, entries in await store.load_freezes(conn):
                runtime.state["frozen"][board_id] = Snapshot(board_id, entries, frozen_at)
        runtime.state["index"] = index
        hub = StreamHub(index, runtime.state["frozen"], settings.stream_interval_seconds)
        runtime.state["hub"] = hub
        hub.start()
        runtime.state["index_task"] = asyncio.create_task(handlers.index_worker(runtime, index), name="index")
        # The index holds millions of long-lived objects: freeze them out of the collector and
        # collect the young generation less often (GC passes were most of the apply cost).
        gc.collect()
        gc.freeze()
        gc.set_threshold(*settings.gc_thresholds)
        runtime.state["index_ready"].set()

    async def on_shutdown(runtime: Runtime) -> None:
        hub: StreamHub | None = runtime.state.get("hub")
        if hub:
            await hub.stop()
        task = runtime.state.get("index_task")
        if task:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    return build_app(settings, ServiceSpec(
        title="Ranking", description="Bảng xếp hạng theo giai đoạn, cửa sổ thời gian; cập nhật trực tiếp.",
        migrations=HERE / "migrations", routers=[api.router, api.admin, pages.router, results_api.admin, results_api.public,
                                            results_pages.router],
        register_consumers=register, on_startup=on_startup, on_shutdown=on_shutdown, with_relay=False,
        static={"/static/ranking": HERE / "web"},
    ))
