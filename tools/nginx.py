"""nginx as the single origin: one routing table, rendered for production and for a dev run.

`deploy/nginx/nginx.conf` is generated from this module (`python -m tools.nginx --production
> deploy/nginx/nginx.conf`; a test fails when it drifts), so `make run` and production route the
same paths to the same services. The dev config runs unprivileged: pid, temp files and logs live
under a run folder, `daemon off;` keeps nginx a child of the caller.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

NGINX = "/usr/sbin/nginx"
_TEMP_KINDS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
SERVICES = ("quiz", "initiatives", "engagement", "ranking")
DEFAULT_PORTS = {"quiz": 8001, "initiatives": 8002, "engagement": 8003, "ranking": 8004}

# Path prefixes per service (the ownership table of the contract; they never overlap).
PREFIXES: dict[str, tuple[str, ...]] = {
    "quiz": (
        "/api/contest", "/api/participants", "/api/attempts", "/api/admin/questions", "/api/admin/quiz",
        "/api/rounds", "/api/admin/rounds",
        "/quiz/", "/static/quiz/", "/static/common/",
    ),
    "initiatives": (
        "/api/initiatives", "/api/judging", "/api/stage", "/api/essays", "/api/staff",
        "/api/admin/initiatives",
        "/initiatives/", "/static/initiatives/",
    ),
    "engagement": (
        "/api/ingest", "/api/contents", "/api/engagement", "/api/admin/engagement",
        "/engagement/", "/static/engagement/",
    ),
    "ranking": ("/api/boards", "/api/admin/boards", "/boards/", "/static/ranking/",
                "/api/results", "/api/admin/results", "/results/", "/verify/"),
}
EXACT: dict[str, tuple[str, ...]] = {"quiz": ("/",)}  # the landing page
SSE_LOCATION = r"~ ^/api/boards/[^/]+/stream$"
SSE_SERVICE = "ranking"
NOT_FOUND = '{"error":{"code":"not_found","message":"Không tìm thấy."}}'
# A browser asking for a page that does not exist gets the quiz service's Vietnamese 404 page
# (any path that service does not know answers it), always with status 404.
NOT_FOUND_PAGE = "/_not-found"
NOT_FOUND_SERVICE = "quiz"


@dataclass(frozen=True)
class Route:
    service: str
    path: str  # the path asked of the service
    docs: bool = False  # the Swagger page: its '/openapi.json' becomes '/<service>/openapi.json'


def route(path: str) -> Route | None:
    """Where the locations below send `path` (exact matches first, then the longest prefix, as
    nginx picks them); None: not public. The dev gateway (tools/gateway.py) routes by this."""
    for service in SERVICES:
        if path in EXACT.get(service, ()):
            return Route(service, path)
        if path == f"/{service}/docs":
            return Route(service, "/docs", docs=True)
        if path == f"/{service}/openapi.json":
            return Route(service, "/openapi.json")
    matches = [(len(p), s) for s in SERVICES for p in PREFIXES[s] if path.startswith(p)]
    return Route(max(matches)[1], path) if matches else None

# proxy_set_header in a location replaces every inherited one, so the docs location repeats them
# (it asks for an uncompressed page so sub_filter can rewrite it).
_DOCS_HEADERS = "".join(
    f"            proxy_set_header {h};\n"
    for h in ('Connection ""', "Host $host", "X-Real-IP $remote_addr",
              "X-Forwarded-For $proxy_add_x_forwarded_for", "X-Forwarded-Proto $scheme", 'Accept-Encoding ""')
)

_PROXY = """\
            proxy_pass http://{upstream};"""


def _locations() -> str:
    out: list[str] = []
    for service in SERVICES:
        out.append(f"        # --- {service}")
        for path in EXACT.get(service, ()):
            out.append(f"        location = {path} {{\n{_PROXY.format(upstream=service)}\n        }}")
        for path in PREFIXES[service]:
            out.append(f"        location {path} {{\n{_PROXY.format(upstream=service)}\n        }}")
        # API docs of each service under its own name; the Swagger page asks for /openapi.json,
        # so point it at the service's copy.
        out.append(
            f"        location = /{service}/docs {{\n"
            f"{_DOCS_HEADERS}"
            f"            sub_filter '/openapi.json' '/{service}/openapi.json';\n"
            f"            sub_filter_once off;\n"
            f"            proxy_pass http://{service}/docs;\n"
            f"        }}"
        )
        out.append(
            f"        location = /{service}/openapi.json {{\n"
            f"            proxy_pass http://{service}/openapi.json;\n"
            f"        }}"
        )
    out.append(
        "        # Live boards (Server-Sent Events): no buffering, long-lived reads.\n"
        f"        location {SSE_LOCATION} {{\n"
        "            proxy_buffering off;\n"
        "            proxy_cache off;\n"
        "            proxy_read_timeout 1h;\n"
        "            proxy_send_timeout 1h;\n"
        "            add_header X-Accel-Buffering no;\n"
        f"            proxy_pass http://{SSE_SERVICE};\n"
        "        }"
    )
    out.append(
        "        location = /nginx-healthz {\n"
        "            access_log off;\n"
        "            default_type text/plain;\n"
        "            return 200 \"ok\\n\";\n"
        "        }"
    )
    out.append(
        "        # Everything else (including each service's /metrics) is not public: JSON for a\n"
        "        # program and for any API path, the Vietnamese 404 page for a browser.\n"
        "        location /api/ {\n"
        "            default_type application/json;\n"
        f"            return 404 '{NOT_FOUND}';\n"
        "        }\n"
        "        location / {\n"
        "            default_type application/json;\n"
        "            if ($http_accept ~* \"text/html\") {\n"
        f"                error_page 404 {NOT_FOUND_PAGE};\n"
        "                return 404;\n"
        "            }\n"
        f"            return 404 '{NOT_FOUND}';\n"
        "        }\n"
        f"        location = {NOT_FOUND_PAGE} {{\n"
        "            internal;\n"
        f"            proxy_pass http://{NOT_FOUND_SERVICE};\n"
        "        }"
    )
    return "\n".join(out)


def _http_block(upstreams: dict[str, list[str]], listen: str, logs: str, temp: str) -> str:
    ups = "\n".join(
        f"    upstream {name} {{\n"
        + "".join(f"        server {addr} max_fails=3 fail_timeout=5s;\n" for addr in addrs)
        + "        keepalive 32;\n    }"
        for name, addrs in upstreams.items()
    )
    return f"""http {{
    include {_mime_types()};
    default_type application/octet-stream;
    charset utf-8;
    server_tokens off;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 65s;
    client_max_body_size 20m;
{temp}
    log_format main '$remote_addr "$request" $status $body_bytes_sent $request_time '
                    '$upstream_addr $upstream_response_time';
{logs}

    gzip on;
    gzip_types application/json text/css application/javascript image/svg+xml;

{ups}

    server {{
        listen {listen};
        server_name _;

        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_connect_timeout 5s;
        proxy_read_timeout 60s;
        proxy_next_upstream error timeout http_502 http_503;
        proxy_next_upstream_tries 2;

{_locations()}
    }}
}}
"""


def _mime_types() -> str:
    # The official image and Debian both ship it beside nginx.conf.
    return "/etc/nginx/mime.types"


def _temp_paths(base: str) -> str:
    return "\n".join(
        f"    {kind}_temp_path {base}/{kind};" for kind in _TEMP_KINDS
    )


def render_production_config() -> str:
    """The config in `deploy/nginx/nginx.conf` (compose: services resolved by their names)."""
    upstreams = {s: [f"{s}:{DEFAULT_PORTS[s]}"] for s in SERVICES}
    return (
        "# Generated by `python -m tools.nginx --production`; edit tools/nginx.py, not this file.\n"
        "worker_processes auto;\n"
        "error_log /dev/stderr warn;\n"
        "events {\n    worker_connections 4096;\n}\n"
        + _http_block(
            upstreams, "80",
            logs="    access_log /dev/stdout main;",
            temp=_temp_paths("/var/cache/nginx"),
        )
    )


def render_dev_config(ports: dict[str, int], listen_port: int, run_dir: Path) -> str:
    """An nginx.conf for a non-root dev run with the production routing, services on 127.0.0.1."""
    run_dir = Path(run_dir).resolve()
    missing = set(SERVICES) - set(ports)
    if missing:
        raise ValueError(f"ports missing for {sorted(missing)}")
    upstreams = {s: [f"127.0.0.1:{ports[s]}"] for s in SERVICES}
    return (
        "# Generated by tools/nginx.py for a dev run.\n"
        "daemon off;\n"
        "master_process on;\n"
        "worker_processes 1;\n"
        f"pid {run_dir}/nginx.pid;\n"
        f"error_log {run_dir}/nginx-error.log warn;\n"
        "events {\n    worker_connections 1024;\n}\n"
        + _http_block(
            upstreams, f"127.0.0.1:{listen_port}",
            logs=f"    access_log {run_dir}/nginx-access.log main;",
            temp=_temp_paths(str(run_dir / "nginx-temp")),
        )
    )


def nginx_binary() -> str | None:
    if Path(NGINX).exists():
        return NGINX
    return shutil.which("nginx")


def _prepare(run_dir: Path) -> None:
    for kind in _TEMP_KINDS:
        (run_dir / "nginx-temp" / kind).mkdir(parents=True, exist_ok=True)


def check_config(config: Path, run_dir: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on `config` with its prefix and startup error log under `run_dir`."""
    binary = nginx_binary()
    if binary is None:
        raise FileNotFoundError("nginx is not installed")
    run_dir = Path(run_dir).resolve()
    _prepare(run_dir)
    return subprocess.run(
        [binary, "-t", "-q", "-p", str(run_dir), "-e", str(run_dir / "nginx-error.log"), "-c", str(config)],
        capture_output=True, text=True, timeout=30,
    )


@dataclass
class NginxProcess:
    process: subprocess.Popen[bytes]
    port: int
    config: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: fast shutdown of master and workers
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_nginx(
    ports: dict[str, int], listen_port: int, run_dir: Path, *, timeout: float = 10.0
) -> NginxProcess | None:
    """Start Debian's nginx in front of the dev services; None when nginx is not installed.

    Its config, pid, logs and temp files go to `<run_dir>/nginx/`; `.stop()` ends it.
    """
    binary = nginx_binary()
    if binary is None:
        return None
    run_dir = Path(run_dir).resolve() / "nginx"
    run_dir.mkdir(parents=True, exist_ok=True)
    _prepare(run_dir)
    config = run_dir / "nginx.conf"
    config.write_text(render_dev_config(ports, listen_port, run_dir), encoding="utf-8")
    log = open(run_dir / "nginx-stderr.log", "ab")
    process = subprocess.Popen(
        [binary, "-p", str(run_dir), "-e", str(run_dir / "nginx-error.log"), "-c", str(config)],
        stdout=log, stderr=log, stdin=subprocess.DEVNULL,
    )
    log.close()
    handle = NginxProcess(process, listen_port, config)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"nginx exited with {process.returncode}; see {run_dir / 'nginx-error.log'}"
            )
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", listen_port)) == 0:
                return handle
        time.sleep(0.05)
    handle.stop()
    raise TimeoutError(f"nginx did not listen on {listen_port} within {timeout}s")


def stop_nginx(handle: NginxProcess | None) -> None:
    if handle is not None:
        handle.stop()


if __name__ == "__main__":
    if sys.argv[1:] == ["--production"]:
        sys.stdout.write(render_production_config())
    else:
        sys.exit("usage: python -m tools.nginx --production > deploy/nginx/nginx.conf")
