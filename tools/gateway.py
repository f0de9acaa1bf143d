"""The dev gateway: one origin for `make run` when nginx is not installed.

A small reverse proxy (ASGI under uvicorn, httpx to the services) that routes by the very table
nginx's config is generated from (`tools.nginx.route`), so the two cannot drift: the same public
paths reach the same services, the same paths stay hidden (JSON 404 for a program, the Vietnamese
404 page for a browser), each service's API docs sit under its name, and Server-Sent Events pass
through unbuffered. Not for production: there nginx does this (deploy/nginx/nginx.conf).

    python -m tools.gateway --listen 8080 quiz=8001 initiatives=8002 engagement=8003 ranking=8004
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from starlette.types import Message, Receive, Scope, Send

from tools.nginx import NOT_FOUND, NOT_FOUND_PAGE, NOT_FOUND_SERVICE, SERVICES, route

# Hop-by-hop headers (RFC 9110 §7.6.1) are the proxy's own business on each side.
_HOP = {b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"transfer-encoding", b"upgrade"}
MAX_BODY = 20 * 1024 * 1024  # nginx's client_max_body_size


class Gateway:
    def __init__(self, upstreams: dict[str, str]) -> None:
        self.upstreams = upstreams  # service → "http://127.0.0.1:8001"
        self.client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.client = httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=5.0, read=None),
                                                limits=httpx.Limits(max_connections=512))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.client:
                    await self.client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if path == "/nginx-healthz":
            await _answer(send, 200, b"text/plain", b"ok\n")
            return
        target = route(path)
        status = None
        if target is None:
            accept = dict(scope["headers"]).get(b"accept", b"")
            if b"text/html" not in accept.lower() or path.startswith("/api/"):
                await _answer(send, 404, b"application/json", NOT_FOUND.encode())
                return
            service, upstream_path, docs, status = NOT_FOUND_SERVICE, NOT_FOUND_PAGE, False, 404
        else:
            service, upstream_path, docs = target.service, target.path, target.docs
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_BODY:
                await _answer(send, 413, b"application/json",
                              '{"error":{"code":"payload_too_large","message":"Dữ liệu gửi lên quá lớn."}}'.encode())
                return
        await self._forward(scope, receive, send, service, upstream_path, body, docs=docs, status=status)

    async def _forward(self, scope: Scope, receive: Receive, send: Send, service: str, path: str, body: bytes,
                       *, docs: bool, status: int | None) -> None:
        assert self.client is not None
        client_ip = (scope.get("client") or ("127.0.0.1", 0))[0]
        headers = [(k, v) for k, v in scope["headers"] if k not in _HOP and k != b"host"]
        forwarded = dict(headers).get(b"x-forwarded-for")
        headers = [(k, v) for k, v in headers if k not in (b"x-forwarded-for", b"x-real-ip", b"x-forwarded-proto")]
        headers += [
            (b"host", dict(scope["headers"]).get(b"host", b"127.0.0.1")),
            (b"x-real-ip", client_ip.encode()),
            (b"x-forwarded-for", (forwarded + b", " if forwarded else b"") + client_ip.encode()),
            (b"x-forwarded-proto", scope.get("scheme", "http").encode()),
        ]
        # The client's own Accept-Encoding, never httpx's default (the body is passed on as it
        # comes); the docs page is rewritten below, so uncompressed, as nginx's docs location asks.
        if docs or b"accept-encoding" not in dict(headers):
            headers = [(k, v) for k, v in headers if k != b"accept-encoding"] + [(b"accept-encoding", b"identity")]
        url = self.upstreams[service] + path + ("?" + scope["query_string"].decode("latin-1")
                                                if scope["query_string"] else "")
        request = self.client.build_request(scope["method"], url, headers=headers, content=body)
        try:
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError:
            await _answer(send, 502, b"application/json",
                          '{"error":{"code":"unavailable","message":"Dịch vụ tạm thời gián đoạn."}}'.encode())
            return
        try:
            out_headers = [(k, v) for k, v in response.headers.raw if k.lower() not in _HOP]
            if docs:
                text = (await response.aread()).replace(b"/openapi.json", f"/{service}/openapi.json".encode())
                out_headers = [(k, v) for k, v in out_headers if k.lower() != b"content-length"]
                out_headers.append((b"content-length", str(len(text)).encode()))
                await send({"type": "http.response.start", "status": response.status_code, "headers": out_headers})
                await send({"type": "http.response.body", "body": text})
                return
            await send({"type": "http.response.start", "status": status or response.status_code, "headers": out_headers})
            await _pump(response, receive, send)
        finally:
            await response.aclose()


async def _pump(response: httpx.Response, receive: Receive, send: Send) -> None:
    """Copy the body as it arrives (an event stream too) until it ends or the client goes away."""

    async def copy() -> None:
        async for chunk in response.aiter_raw():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def client_gone() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    copying, watching = asyncio.create_task(copy()), asyncio.create_task(client_gone())
    try:
        await asyncio.wait({copying, watching}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (copying, watching):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
    if copying.done() and not copying.cancelled() and copying.exception() is not None:
        raise copying.exception()  # type: ignore[misc]


async def _answer(send: Send, status: int, content_type: bytes, body: bytes) -> None:
    message: Message = {"type": "http.response.start", "status": status, "headers": [
        (b"content-type", content_type), (b"content-length", str(len(body)).encode()),
        (b"x-content-type-options", b"nosniff")]}
    await send(message)
    await send({"type": "http.response.body", "body": body})


@dataclass
class GatewayProcess:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_gateway(ports: dict[str, int], listen_port: int, run_dir: Path, *, timeout: float = 20.0) -> GatewayProcess:
    """The gateway as a child process on 127.0.0.1:`listen_port`; its log in `<run_dir>/gateway.log`."""
    missing = set(SERVICES) - set(ports)
    if missing:
        raise ValueError(f"ports missing for {sorted(missing)}")
    run_dir = Path(run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    log = open(run_dir / "gateway.log", "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.gateway", "--listen", str(listen_port),
         *(f"{s}={ports[s]}" for s in SERVICES)],
        cwd=Path(__file__).resolve().parent.parent, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
    )
    log.close()
    handle = GatewayProcess(process, listen_port)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the gateway exited with {process.returncode}; see {run_dir / 'gateway.log'}")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", listen_port)) == 0:
                return handle
        time.sleep(0.05)
    handle.stop()
    raise TimeoutError(f"the gateway did not listen on {listen_port} within {timeout}s")


def main() -> None:
    parser = argparse.ArgumentParser(description="dev gateway: the nginx routing table in Python")
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("upstreams", nargs="+", help="service=port")
    args = parser.parse_args()
    upstreams = {name: f"http://127.0.0.1:{int(port)}" for name, port in (u.split("=", 1) for u in args.upstreams)}
    if set(upstreams) != set(SERVICES):
        sys.exit(f"need exactly {', '.join(SERVICES)}")
    import uvicorn

    uvicorn.run(Gateway(upstreams), host="127.0.0.1", port=args.listen, log_level="warning",
                access_log=False, proxy_headers=False, server_header=False)


if __name__ == "__main__":
    main()
