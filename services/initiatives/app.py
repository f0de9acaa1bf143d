"""The initiatives service: `create_app(settings)` builds it (nothing happens at import time)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from services.initiatives import api_initiatives, api_judging, api_staff, api_stage, handlers
from services.initiatives.settings import InitiativesSettings
from services.initiatives.telemetry import InitiativesMetrics
from shared.pages import Pages
from shared.service import Runtime, ServiceSpec, build_app

HERE = Path(__file__).parent


async def _startup(runtime: Runtime) -> None:
    async with runtime.pool.acquire() as conn:
        await runtime.state["initiatives_metrics"].refresh(conn)


def create_app(settings: InitiativesSettings | None = None) -> FastAPI:
    settings = settings or InitiativesSettings()

    def consumers(runtime: Runtime) -> None:
        runtime.state["initiatives_metrics"] = InitiativesMetrics(runtime)
        handlers.register(runtime)

    app = build_app(settings, ServiceSpec(
        title="Sáng kiến và chấm điểm",
        description="Sáng kiến chuyển đổi số, thư viện công khai, tài khoản cán bộ, giám khảo, chấm điểm, "
                    "bài tự luận và chung kết sân khấu.",
        migrations=HERE / "migrations",
        routers=[api_staff.router, api_initiatives.router, api_judging.router, api_stage.router],
        register_consumers=consumers,
        on_startup=_startup,
        static={"/static/initiatives": HERE / "web" / "static"},
    ))

    @app.get("/initiatives", include_in_schema=False)
    async def _slash() -> RedirectResponse:
        return RedirectResponse("/initiatives/", status_code=308)

    # Pages: `/initiatives/` serves the gallery's index.html (html=True).
    app.mount("/initiatives", Pages(directory=HERE / "web" / "pages", html=True), name="pages")
    return app
