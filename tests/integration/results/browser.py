"""Serving an app under a real uvicorn server, and looking at the review, results and verification
pages with Debian's Chromium (Playwright's async API, inside the test's event loop)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tools.tansu import free_port

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts" / "results"


@contextlib.asynccontextmanager
async def uvicorn_served(app: FastAPI) -> AsyncIterator[str]:
    """`app` with its lifespan under uvicorn on a free loopback port; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        async def started() -> None:
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.05)
        await asyncio.wait_for(started(), 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


def pdf_to_png(pdf: bytes, out: Path, dpi: int = 110) -> Path:
    """Render the first page with poppler's pdftoppm (what a person would see)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    src = out.with_suffix(".pdf")
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(src), str(out.with_suffix(""))],
                   check=True, timeout=60)
    return out


@contextlib.asynccontextmanager
async def phone() -> AsyncIterator[tuple[Any, list[str]]]:
    """A phone-sized Chromium context and the console errors / page errors it logs."""
    from playwright.async_api import async_playwright

    errors: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(**PHONE)
            context.on("console", lambda m: m.type == "error" and errors.append(m.text))
            context.on("weberror", lambda e: errors.append(str(e.error)))
            yield context, errors
        finally:
            await browser.close()


async def signed_in(context: Any, origin: str, who: dict[str, Any]) -> None:
    """The participant's token in the quiz origin's localStorage, as the login page leaves it."""
    participant = {"participant_id": who["participant_id"], "display_name": who["display_name"],
                   "unit_id": who["unit_id"]}
    await context.add_init_script(
        f"if (location.origin === {json.dumps(origin)}) {{"
        f"localStorage.setItem('participant_token', {json.dumps(who['token'])});"
        f"localStorage.setItem('participant', {json.dumps(json.dumps(participant))}); }}")
