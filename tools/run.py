"""`make run`: the whole system on one machine with embedded defaults.

Files under RUN_DIR (default .run/) for tools and drills: `secrets/` (the generated secrets, 0600, kept
across runs; a variable already in the environment wins), `env/<service>.json` (the environment a
service was started with), `services.json` (pids and ports, rewritten when a service restarts),
`broker.pid`, `stack.json` (database and broker addresses), `logs/`. A service that dies is restarted, as a process manager would.

Starts (unless given) a broker (Tansu; Apache Kafka with BROKER=kafka) and an embedded PostgreSQL, creates the topics,
writes the demo contest, starts the four services as separate processes, puts them behind one
origin (nginx when it is installed, else tools/gateway.py with the same routing), seeds the demo
data, prints the URLs, and on Ctrl-C stops everything it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.auth import generate_keypair
from shared.events import all_topics
from shared.kafka import create_topics
from tools.demo_contest import contest_dict, write_contest

ROOT = Path(__file__).resolve().parent.parent
SERVICES = {"quiz": 8001, "initiatives": 8002, "engagement": 8003, "ranking": 8004}


def _env_port(name: str, default: int) -> int:
    return int(os.environ.get(f"{name.upper()}_PORT", default))


@dataclass
class Stack:
    run_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    stoppers: list[object] = field(default_factory=list)  # objects with .stop(), stopped in reverse
    ports: dict[str, int] = field(default_factory=dict)

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in self.processes.items():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                print(f"  {name} did not stop in 15 s; killing it", flush=True)
                proc.kill()
        for stopper in reversed(self.stoppers):
            with contextlib.suppress(Exception):
                stopper.stop()  # type: ignore[attr-defined]


def _keys(run_dir: Path) -> tuple[Path, Path]:
    """Participant token keys, kept across runs so issued tokens stay valid."""
    key_dir = run_dir / "keys"
    private, public = key_dir / "participant.key", key_dir / "participant.pub"
    if not private.exists():
        key_dir.mkdir(parents=True, exist_ok=True)
        priv_pem, pub_pem = generate_keypair()
        private.write_text(priv_pem)
        private.chmod(0o600)
        public.write_text(pub_pem)
    return private, public


# Every secret a service refuses to start without (besides the admin token and the participant keys).
GENERATED_SECRETS = {"STAFF_TOKEN_SECRET": 48, "ACTOR_HASH_KEY": 32}


def _secret(run_dir: Path, name: str, nbytes: int) -> str:
    """The environment's value, else the one generated for this RUN_DIR (kept so tokens stay valid)."""
    if value := os.environ.get(name):
        return value
    path = run_dir / "secrets" / name.lower()
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()


def _start_broker(stack: Stack) -> str:
    """KAFKA_BOOTSTRAP_SERVERS: yours. BROKER=kafka: a single-node Apache Kafka whose data under
    RUN_DIR/kafka survives a restart. Otherwise (the default, no Java needed) Tansu, memory-only.
    Returns the broker's name and version for stack.json."""
    if bootstrap := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        print(f"  broker (yours)               {bootstrap}", flush=True)
        return "external"
    kind = os.environ.get("BROKER") or "tansu"
    if kind == "kafka":
        from tools.kafka import KafkaUnavailable, start_cluster, version

        nodes = int(os.environ.get("KAFKA_NODES") or 1)  # 3 for broker-failure drills
        print(f"  starting Apache Kafka {version()} …", flush=True)
        try:
            cluster = start_cluster(stack.run_dir / ("kafka" if nodes == 1 else f"kafka-{nodes}"), nodes)
        except (KafkaUnavailable, ValueError) as exc:
            raise SystemExit(str(exc)) from None
        stack.stoppers.append(cluster)
        stack.env["KAFKA_BOOTSTRAP_SERVERS"] = cluster.bootstrap
        stack.env["KAFKA_ENABLE_IDEMPOTENCE"] = "true"
        (stack.run_dir / "broker.pid").write_text(str(cluster.nodes[0].pid))
        # Every node's ports, pid and folder, for drills that act on one broker.
        (stack.run_dir / "kafka.json").write_text(json.dumps(cluster.describe(), indent=1))
        name = f"Apache Kafka {version()}"
        print(f"  broker ({name}, KRaft, {nodes} node{'s' if nodes > 1 else ''},"
              f" data kept in {cluster.home})  {cluster.bootstrap}", flush=True)
        return name
    if kind != "tansu":
        raise SystemExit(f"BROKER must be tansu or kafka, not {kind!r}")
    from tools.tansu import free_port, start_broker

    broker = start_broker(int(os.environ.get("BROKER_PORT", 0)) or free_port(),
                          log_file=stack.run_dir / "logs" / "tansu.log")
    stack.stoppers.append(broker)
    stack.env["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap
    stack.env["KAFKA_ENABLE_IDEMPOTENCE"] = "false"  # Tansu fails producer start with it
    (stack.run_dir / "broker.pid").write_text(str(broker.pid))
    print(f"  broker (Tansu 0.6, memory-only)  {broker.bootstrap}", flush=True)
    return "Tansu 0.6"


def _start_infrastructure(stack: Stack) -> str:
    from tools.tansu import free_port

    broker = _start_broker(stack)
    if not os.environ.get("DATABASE_URL"):
        from tools.pg import start_postgres

        pg = start_postgres(stack.run_dir / "pg", int(os.environ.get("PG_PORT", 0)) or free_port())
        stack.stoppers.append(pg)
        stack.env["DATABASE_URL"] = pg.dsn
        print(f"  PostgreSQL (embedded)        {pg.dsn}", flush=True)
    return broker


def _start_services(stack: Stack) -> None:
    for name, default_port in SERVICES.items():
        stack.ports[name] = _env_port(name, default_port)
        _start_service(stack, name)


def _write_pids(stack: Stack) -> None:
    (stack.run_dir / "services.json").write_text(json.dumps(
        {name: {"pid": proc.pid, "port": stack.ports[name]} for name, proc in stack.processes.items()}, indent=1))


def _supervise(stack: Stack) -> None:
    """Like a process manager: a service that dies (a crash, or a SIGKILL drill) is started again."""
    sms = Path(stack.env.get("SMS_CONSOLE_FILE", "")) if stack.env.get("SMS_CONSOLE_FILE") else None
    printed = sms.stat().st_size if sms and sms.exists() else 0
    while True:
        if sms and sms.exists() and sms.stat().st_size > printed:
            with open(sms, "rb") as f:
                f.seek(printed)
                chunk = f.read()
            printed += len(chunk)
            for line in chunk.decode(errors="replace").splitlines():
                with contextlib.suppress(ValueError, KeyError):
                    sent = json.loads(line)
                    print(f"  SMS (dev, not sent) to {sent['phone'][:4]}***{sent['phone'][-3:]}: "
                          f"mã OTP {sent['code']}", flush=True)
        for name, proc in list(stack.processes.items()):
            if proc.poll() is not None:
                print(f"  {name} exited with {proc.returncode}; restarting it", flush=True)
                _start_service(stack, name)
                _write_pids(stack)
        time.sleep(0.5)


def _start_service(stack: Stack, name: str) -> None:
    own = {**stack.env, "PORT": str(stack.ports[name]), "DB_SCHEMA": name, "PYTHONUNBUFFERED": "1",
           # One replica per service, restarted under the same id: static group membership.
           "REPLICA_ID": f"{name}-1"}
    # Written so a fault drill can see exactly how each service was started.
    (stack.run_dir / "env").mkdir(exist_ok=True)
    env_file = stack.run_dir / "env" / f"{name}.json"
    env_file.touch(mode=0o600)  # it holds the secrets
    env_file.chmod(0o600)
    env_file.write_text(json.dumps(own, indent=1))
    log = open(stack.run_dir / "logs" / f"{name}.log", "ab")
    stack.processes[name] = subprocess.Popen(
        [sys.executable, "-m", f"services.{name}"], cwd=ROOT, env={**os.environ, **own},
        stdout=log, stderr=subprocess.STDOUT,
    )


def _wait_ready(stack: Stack, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    pending = dict(stack.ports)
    with httpx.Client(timeout=2) as client:
        while pending:
            for name, port in list(pending.items()):
                proc = stack.processes[name]
                if proc.poll() is not None:
                    raise SystemExit(f"{name} exited with {proc.returncode}; see {stack.run_dir}/logs/{name}.log")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                        del pending[name]
            if pending and time.monotonic() > deadline:
                raise SystemExit(f"not ready after {timeout:.0f}s: {', '.join(pending)} (see {stack.run_dir}/logs)")
            time.sleep(0.3)


def main() -> None:
    run_dir = Path(os.environ.get("RUN_DIR", ROOT / ".run")).resolve()
    (run_dir / "logs").mkdir(parents=True, exist_ok=True)
    stack = Stack(run_dir)
    admin_token = os.environ.get("CONTEST_ADMIN_TOKEN") or secrets.token_urlsafe(24)
    private, public = _keys(run_dir)
    contest_file = Path(os.environ.get("CONTEST_FILE") or write_contest(run_dir / "contest" / "contest.yaml",
                                                                        contest_dict(blueprints=True)))
    stack.env.update({
        "ENVIRONMENT": os.environ.get("ENVIRONMENT", "dev"),
        "CONTEST_ADMIN_TOKEN": admin_token,
        "CONTEST_FILE": str(contest_file),
        "PARTICIPANT_PUBLIC_KEY": str(public),
        "PARTICIPANT_PRIVATE_KEY": str(private),
        **{name: _secret(run_dir, name, nbytes) for name, nbytes in GENERATED_SECRETS.items()},
        "KAFKA_SESSION_TIMEOUT_MS": os.environ.get("KAFKA_SESSION_TIMEOUT_MS", "6000"),
        "KAFKA_HEARTBEAT_INTERVAL_MS": os.environ.get("KAFKA_HEARTBEAT_INTERVAL_MS", "1000"),
    })
    if os.environ.get("SMS_SENDER", "console") == "console":
        # Dev: one-time codes are not sent; quiz appends them here and _supervise prints them.
        stack.env["SMS_CONSOLE_FILE"] = os.environ.get("SMS_CONSOLE_FILE") or str(run_dir / "sms.jsonl")
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    print("Starting the Ứng Hòa contest platform …", flush=True)
    try:
        broker = _start_infrastructure(stack)
        bootstrap = stack.env.get("KAFKA_BOOTSTRAP_SERVERS") or os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        database_url = stack.env.get("DATABASE_URL") or os.environ["DATABASE_URL"]
        (run_dir / "stack.json").write_text(json.dumps(
            {"database_url": database_url, "kafka_bootstrap_servers": bootstrap, "broker": broker}, indent=1))
        asyncio.run(create_topics(bootstrap, all_topics()))
        _start_services(stack)
        _wait_ready(stack)
        _write_pids(stack)
        entry = _start_proxy(stack)
        _seed(stack, entry, admin_token, _secret(run_dir, "DEMO_STAFF_PASSWORD", 12))
        print("", flush=True)
        for name, port in stack.ports.items():
            print(f"  {name:<12} http://127.0.0.1:{port}   (API docs: http://127.0.0.1:{port}/docs)", flush=True)
        print(f"  admin token  {admin_token}", flush=True)
        print(f"\n  Open: {entry}\n", flush=True)
        print("Ctrl-C stops everything.", flush=True)
        _supervise(stack)
    except KeyboardInterrupt:
        print("\nStopping …", flush=True)
    finally:
        stack.stop()
        print("Stopped.", flush=True)


def _start_proxy(stack: Stack) -> str:
    """One origin for every page and API: nginx when installed, else the dev gateway with nginx's
    routing table (ORIGIN_PROXY=nginx|gateway forces one; the default, auto, prefers nginx)."""
    from tools.gateway import start_gateway
    from tools.nginx import nginx_binary, start_nginx

    public_port = int(os.environ.get("PUBLIC_PORT", 8080))
    choice = os.environ.get("ORIGIN_PROXY", "auto")
    if choice not in ("auto", "nginx", "gateway"):
        raise SystemExit(f"ORIGIN_PROXY={choice!r}: use auto, nginx or gateway")
    if choice == "nginx" or (choice == "auto" and nginx_binary()):
        proxy: object = start_nginx(stack.ports, public_port, stack.run_dir)
        if proxy is None:
            raise SystemExit("ORIGIN_PROXY=nginx but nginx is not installed")
        print(f"  origin (nginx)               http://127.0.0.1:{public_port}/", flush=True)
    else:
        proxy = start_gateway(stack.ports, public_port, stack.run_dir)
        print(f"  origin (dev gateway)         http://127.0.0.1:{public_port}/", flush=True)
    stack.stoppers.append(proxy)
    return f"http://127.0.0.1:{public_port}/"


def _seed(stack: Stack, entry: str, admin_token: str, staff_password: str) -> None:
    try:
        from tools.seed_demo import seed
    except ImportError:
        return
    try:
        seed(entry, {n: f"http://127.0.0.1:{p}" for n, p in stack.ports.items()}, admin_token, staff_password)
    except Exception as exc:  # the platform runs without demo data; say why
        print(f"  demo data not loaded: {exc}", flush=True)


if __name__ == "__main__":
    main()
