"""The engagement service: `create_app(settings)` builds it; nothing happens at import time."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.engagement import admin_api, api, handlers
from services.engagement.ingest import events_counter
from services.engagement.settings import EngagementSettings
from shared.service import Runtime, ServiceSpec, build_app

HERE = Path(__file__).parent


async def _startup(rt: Runtime) -> None:
    events_counter(rt)


def create_app(settings: EngagementSettings | None = None) -> FastAPI:
    settings = settings or EngagementSettings()
    app = build_app(settings, ServiceSpec(
        title="Tương tác (engagement)",
        description="Nhận sự kiện tương tác đã ký từ các nền tảng, khử trùng lặp, chống gian lận, "
                    "phát sự kiện engagement.content-liked.v1.",
        migrations=HERE / "migrations",
        routers=[api.router, admin_api.router, admin_api.pages],
        register_consumers=handlers.register,
        on_startup=_startup,
        static={"/static/engagement": HERE / "web"},
        body_limits={"/api/ingest": settings.ingest_max_body_bytes},
    ))
    events_counter(app.state.runtime)
    return app
