"""`/readyz` of build_app: 200 when the database and broker answer, 503 with JSON when one does not.

The database outage is real at the network level: the service talks to PostgreSQL through a
small TCP proxy that this test closes (refusing new connections and cutting open ones) and reopens.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from shared.service import ServiceSpec, build_app
from shared.settings import ServiceSettings
from tests.support import running, wait_consumers_ready, wait_for
from tools.tansu import free_port


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for w in list(self._writers):
                w.transport.abort()
            self._writers.clear()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers.difference_update((writer, up_writer))


def via(dsn: str, port: int) -> str:
    parts = urlsplit(dsn)
    netloc = parts.netloc.rsplit(":", 1)[0] if ":" in parts.netloc.split("@")[-1] else parts.netloc
    return urlunsplit(parts._replace(netloc=f"{netloc}:{port}"))


async def ready(client: Any, status: int) -> dict[str, Any] | None:
    response = await client.get("/readyz")
    if response.status_code != status:
        return None
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


async def test_readyz_is_503_json_while_the_database_is_unreachable(ns, tmp_path: Path):
    target = urlsplit(ns.database_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    await proxy.open()
    mig = tmp_path / "svc" / "migrations"
    mig.mkdir(parents=True)
    settings = ServiceSettings(**ns.settings_kwargs("ready", database_url=via(ns.database_url, proxy.port)))
    app = build_app(settings, ServiceSpec(title="ready", description="", migrations=mig))
    try:
        async with running(app) as client:
            await wait_consumers_ready(app)
            body = await wait_for(lambda: ready(client, 200), what="ready")
            assert body == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}

            await proxy.close()  # the database is gone: connections cut, new ones refused
            body = await wait_for(lambda: ready(client, 503), timeout=15, what="503 without the database")
            assert body["status"] == "not_ready"
            assert body["checks"]["database"].startswith("unavailable")
            assert body["checks"]["broker"] == "ok"
            assert (await client.get("/healthz")).status_code == 200  # alive, just not ready

            await proxy.open()  # and back: the pool reconnects
            await wait_for(lambda: ready(client, 200), timeout=15, what="ready again")
    finally:
        await proxy.close()


async def test_readyz_is_503_json_while_the_broker_is_paused(ns, tmp_path: Path, kafka_broker):
    if kafka_broker is None:
        pytest.skip("TEST_KAFKA_BOOTSTRAP is set: the external broker cannot be paused from here")
    mig = tmp_path / "svc" / "migrations"
    mig.mkdir(parents=True)
    settings = ServiceSettings(**ns.settings_kwargs("readyk"))
    app = build_app(settings, ServiceSpec(title="readyk", description="", migrations=mig, with_relay=False))
    async with running(app) as client:
        await wait_consumers_ready(app)
        await wait_for(lambda: ready(client, 200), what="ready")
        kafka_broker.pause()
        try:
            response = await client.get("/readyz")  # the broker ping times out (2 s)
        finally:
            kafka_broker.resume()
        assert response.status_code == 503
        body = response.json()
        assert body["checks"]["database"] == "ok"
        assert body["checks"]["broker"].startswith("unavailable")
        await wait_for(lambda: ready(client, 200), timeout=15, what="ready after the broker came back")
