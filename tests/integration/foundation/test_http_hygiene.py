"""Errors against a real uvicorn server, served exactly as `python -m services.<name>` serves it:
answered cleanly in the JSON shape, nothing logged as an unhandled exception, the keep-alive
connection kept; even HTTP the server cannot parse gets a JSON answer (issue 12, items 10 and 15)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from fastapi import FastAPI

from services.initiatives.app import create_app
from services.initiatives.settings import InitiativesSettings
from shared.http import install_error_handlers
from shared.uvicorn_server import server_config
from tests.support import wait_for
from tools.tansu import free_port

UNHANDLED = "Exception in ASGI application"


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[int]:
    port = free_port()
    # log_config=None: uvicorn's loggers propagate, so caplog sees what the server logs.
    server = uvicorn.Server(server_config(app, host="127.0.0.1", port=port, log_level="info", log_config=None))
    task = asyncio.create_task(server.serve())
    try:
        await wait_for(lambda: server.started or task.done(), timeout=60, what="uvicorn started")
        if task.done():
            task.result()
        yield port
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


@contextlib.asynccontextmanager
async def client_of(port: int) -> AsyncIterator[tuple[httpx.AsyncClient, list[Any]]]:
    """One client (one pooled connection); yields it with the local address each response came on."""
    addresses: list[Any] = []

    async def note(response: httpx.Response) -> None:
        addresses.append(response.extensions["network_stream"].get_extra_info("client_addr"))

    limits = httpx.Limits(max_connections=1)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits,
                                 event_hooks={"response": [note]}) as client:
        yield client, addresses


async def _raw(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read one response (status, headers, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        body = await asyncio.wait_for(reader.readexactly(int(headers.get("content-length", "0"))), 10)
        return status, headers, body
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


def _json_error(status: int, headers: dict[str, str], body: bytes, expected: int) -> dict[str, Any]:
    assert status == expected, (status, body)
    assert headers["content-type"].startswith("application/json"), headers
    error = orjson.loads(body)["error"]
    assert error["code"] and error["message"] and "Traceback" not in body.decode()
    return error


@pytest.fixture
def initiatives_app(ns):
    return create_app(InitiativesSettings(**ns.settings_kwargs("initiatives", max_body_bytes=4096)))


def _unhandled(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if UNHANDLED in r.getMessage()]


async def test_nul_in_a_path_or_body_is_a_clean_422_on_a_kept_connection(initiatives_app, caplog):
    caplog.set_level(logging.INFO)
    async with serving(initiatives_app) as port, client_of(port) as (client, addresses):
        in_path = await client.get("/api/initiatives/ini-%00")
        in_body = await client.post("/api/staff/login", json={"username": "gk\u0000", "password": "x"})
        after = await client.get("/healthz")
    for r in (in_path, in_body):
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "invalid_input"
    assert after.status_code == 200
    assert len(addresses) == 3 and len(set(addresses)) == 1, f"connection was reset: {addresses}"
    assert _unhandled(caplog) == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_an_unexpected_error_is_a_json_500_on_a_kept_connection(caplog):
    caplog.set_level(logging.INFO)
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/bug")
    async def bug() -> None:
        raise RuntimeError("a bug in a route")

    @app.get("/fine")
    async def fine() -> dict[str, bool]:
        return {"ok": True}

    async with serving(app) as port, client_of(port) as (client, addresses):
        broken = await client.get("/bug")
        fine_after = await client.get("/fine")
    assert broken.status_code == 500 and broken.json()["error"]["code"] == "internal_error"
    assert "a bug in a route" not in broken.text
    assert fine_after.status_code == 200
    assert len(addresses) == 2 and len(set(addresses)) == 1, f"connection was reset: {addresses}"
    assert _unhandled(caplog) == []
    assert any("GET /bug failed" in r.getMessage() and r.exc_info for r in caplog.records)  # ours, once


async def test_malformed_http_gets_the_json_error_shape(initiatives_app):
    async with serving(initiatives_app) as port:
        host = b"Host: 127.0.0.1\r\n"
        # unparseable: a JSON 400, then the server closes the connection
        _json_error(*await _raw(port, b"GARBAGE\r\n\r\n"), 400)
        _json_error(*await _raw(port, b"GET /healthz HTTP/1.1\r\n" + host + b"Content-Length: abc\r\n\r\n"), 400)
        _json_error(*await _raw(port, b"GET /api/initiatives?q=\xff HTTP/1.1\r\n" + host + b"\r\n"), 400)
        # parseable but wrong: the application's JSON errors
        login = b"POST /api/staff/login HTTP/1.1\r\n" + host
        wrong_type = b'{"username":"a","password":"b"}'
        error = _json_error(*await _raw(port, login + b"Content-Type: text/plain\r\nContent-Length: "
                                        + str(len(wrong_type)).encode() + b"\r\n\r\n" + wrong_type), 415)
        assert error["code"] == "unsupported_media_type"
        form = b"username=a&password=b"
        _json_error(*await _raw(port, login + b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "
                                + str(len(form)).encode() + b"\r\n\r\n" + form), 415)
        bad_json = b'{"username": "a", '
        _json_error(*await _raw(port, login + b"Content-Type: application/json\r\nContent-Length: "
                                + str(len(bad_json)).encode() + b"\r\n\r\n" + bad_json), 422)
        _json_error(*await _raw(port, b"GET /api/initiatives/%zz%E0%A4%A HTTP/1.1\r\n" + host + b"\r\n"), 404)
        # too large, announced or streamed
        _json_error(*await _raw(port, login + b"Content-Type: application/json\r\nContent-Length: 999999\r\n\r\n"),
                    413)
        chunk = b"x" * 8000
        error = _json_error(*await _raw(port, login + b"Content-Type: application/json\r\nTransfer-Encoding: chunked"
                                        b"\r\n\r\n" + f"{len(chunk):x}".encode() + b"\r\n" + chunk + b"\r\n0\r\n\r\n"),
                            413)
        assert error["code"] == "payload_too_large"
