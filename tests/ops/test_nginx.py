"""nginx as the single origin: the production config is current and valid, and the dev config
(tools/nginx.py, used by `make run`) really routes each path to its service."""

from __future__ import annotations

import gzip
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

import tools.nginx as nginx_tool
from tests.ops.promql import DEPLOY
from tools.gateway import start_gateway
from tools.nginx import (
    DEFAULT_PORTS,
    EXACT,
    NOT_FOUND_PAGE,
    NOT_FOUND_SERVICE,
    PREFIXES,
    SERVICES,
    Route,
    check_config,
    nginx_binary,
    render_dev_config,
    render_production_config,
    route,
    start_nginx,
)
from tools.tansu import free_port

PROD = DEPLOY / "nginx" / "nginx.conf"
needs_nginx = pytest.mark.skipif(nginx_binary() is None, reason="nginx not installed (Debian package nginx)")


def test_production_config_is_generated_from_the_routing_table():
    assert PROD.read_text(encoding="utf-8") == render_production_config(), (
        "deploy/nginx/nginx.conf is stale: python -m tools.nginx --production > deploy/nginx/nginx.conf"
    )


def _assert_clean(result) -> None:
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "[warn]" not in out and "[emerg]" not in out, out


@needs_nginx
def test_production_config_passes_nginx_t(tmp_path: Path):
    # Compose resolves the upstream names; here they become 127.0.0.1, temp paths go under tmp.
    text = PROD.read_text(encoding="utf-8")
    text = re.sub(r"server (quiz|initiatives|engagement|ranking):", "server 127.0.0.1:", text)
    text = text.replace("/var/cache/nginx", str(tmp_path / "nginx-temp"))
    config = tmp_path / "nginx.conf"
    config.write_text(f"pid {tmp_path}/nginx.pid;\n" + text, encoding="utf-8")
    _assert_clean(check_config(config, tmp_path))


@needs_nginx
def test_dev_config_passes_nginx_t(tmp_path: Path):
    config = tmp_path / "nginx.conf"
    config.write_text(render_dev_config(DEFAULT_PORTS, free_port(), tmp_path), encoding="utf-8")
    text = config.read_text()
    assert "daemon off;" in text and f"pid {tmp_path.resolve()}/nginx.pid;" in text
    _assert_clean(check_config(config, tmp_path))


def test_dev_config_needs_every_service_port(tmp_path: Path):
    with pytest.raises(ValueError, match="ranking"):
        render_dev_config({"quiz": 1, "initiatives": 2, "engagement": 3}, 8000, tmp_path)


def test_start_nginx_without_nginx_returns_none(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(nginx_tool, "NGINX", str(tmp_path / "no-nginx"))
    monkeypatch.setattr(nginx_tool.shutil, "which", lambda _: None)
    assert start_nginx(DEFAULT_PORTS, free_port(), tmp_path) is None


class _Backend(BaseHTTPRequestHandler):
    """Answers with which service got the request; /docs is a Swagger-like page; streams on /stream."""

    service = "?"
    release: threading.Event

    def do_GET(self) -> None:
        if self.path.endswith("/stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(b"data: first\n\n")
            self.wfile.flush()
            self.release.wait(10)
            self.wfile.write(b"data: second\n\n")
            self.wfile.flush()
            self.close_connection = True
            return
        encoding = None
        if self.path == "/docs":
            body = b"<html><script>SwaggerUIBundle({url: '/openapi.json'})</script></html>"
            ctype = "text/html; charset=utf-8"
            if "gzip" in self.headers.get("Accept-Encoding", ""):  # as the services do: the proxy must ask for plain
                body, encoding = gzip.compress(body), "gzip"
        else:
            body = json.dumps({"service": self.service, "path": self.path}).encode()
            ctype = "application/json"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def backends() -> Iterator[tuple[dict[str, int], threading.Event]]:
    release = threading.Event()
    servers, ports = [], {}
    for service in SERVICES:
        handler = type(f"Backend_{service}", (_Backend,), {"service": service, "release": release})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        ports[service] = server.server_address[1]
    yield ports, release
    release.set()
    for server in servers:
        server.shutdown()
        server.server_close()


def _assert_routes_like_nginx(base: str, release: threading.Event) -> None:
    with httpx.Client(base_url=base, timeout=5) as client:
        cases = [(p, s) for s, paths in EXACT.items() for p in paths]
        cases += [(p + ("x/1" if p.endswith("/") else "/x"), s) for s, ps in PREFIXES.items() for p in ps]
        for path, service in cases:
            r = client.get(path)
            assert r.status_code == 200, (path, r.status_code, r.text)
            assert r.json() == {"service": service, "path": path}, path
            assert route(path) == Route(service, path), path
        r = client.post("/api/contents/ini-0001/like", json={})
        assert r.json()["service"] == "engagement"
        for service in SERVICES:
            spec = client.get(f"/{service}/openapi.json")
            assert spec.json() == {"service": service, "path": "/openapi.json"}
            docs = client.get(f"/{service}/docs")
            assert f"url: '/{service}/openapi.json'" in docs.text, docs.text
        for hidden in ("/metrics", "/healthz", "/readyz", "/docs", "/nope"):
            r = client.get(hidden)
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", hidden
            assert route(hidden) is None
            # A browser asking for the same gets the quiz service's 404 page, still a 404.
            page = client.get(hidden, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
            assert page.status_code == 404, hidden
            assert page.json() == {"service": NOT_FOUND_SERVICE, "path": NOT_FOUND_PAGE}, hidden
        api = client.get("/api/nope", headers={"Accept": "text/html"})
        assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
        assert client.get("/nginx-healthz").text == "ok\n"

        # Server-Sent Events pass through unbuffered: the first event arrives while the
        # upstream still holds the response open.
        with client.stream("GET", "/api/boards/quiz.individual.all/stream") as stream:
            started = time.monotonic()
            first = next(stream.iter_raw())
            assert first.startswith(b"data: first"), first
            assert time.monotonic() - started < 5
            release.set()


@needs_nginx
def test_dev_nginx_routes_every_prefix_to_its_service(tmp_path: Path, backends):
    ports, release = backends
    proc = start_nginx(ports, free_port(), tmp_path / "run")
    assert proc is not None
    try:
        _assert_routes_like_nginx(proc.url, release)
    finally:
        proc.stop()
    assert proc.process.poll() is not None


def test_dev_gateway_routes_exactly_like_nginx(tmp_path: Path, backends):
    """Without nginx, `make run` serves the same table from tools/gateway.py: same checks."""
    ports, release = backends
    proc = start_gateway(ports, free_port(), tmp_path / "run")
    try:
        _assert_routes_like_nginx(proc.url, release)
    finally:
        proc.stop()
    assert proc.process.poll() is not None
