"""Start the whole system exactly as `make run` does (tools.run), on free ports, for e2e tests."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tools.tansu import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class RunningStack:
    process: subprocess.Popen[str]
    run_dir: Path
    ports: dict[str, int]
    public_port: int
    admin_token: str
    output: list[str] = field(default_factory=list)
    entry: str = ""

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def stop(self, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode


@contextmanager
def run_dir(prefix: str = "run-") -> Iterator[Path]:
    """A fresh RUN_DIR under the repo's .run/, removed afterwards.

    Not pytest's tmp_path: a concurrent pytest session prunes old basetemp folders, and a run folder
    deleted under the embedded PostgreSQL leaves that server running after the stack stops."""
    (ROOT / ".run").mkdir(exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=ROOT / ".run"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def start_stack(run_dir: Path, *, timeout: float = 120, extra_env: dict[str, str] | None = None,
                broker: str | None = None) -> RunningStack:
    """`broker`: make run's BROKER (tansu or kafka); None = the suite's broker (TEST_BROKER, default
    kafka: the system's tests run on Apache Kafka; tests of the newcomer's default pass tansu)."""
    broker = broker or os.environ.get("TEST_BROKER") or "kafka"
    ports = {name: free_port() for name in ("quiz", "initiatives", "engagement", "ranking")}
    public_port = free_port()
    token = "e2e-admin-token-" + os.urandom(8).hex()
    env = {
        **os.environ,
        "RUN_DIR": str(run_dir),
        "CONTEST_ADMIN_TOKEN": token,
        "PUBLIC_PORT": str(public_port),
        "PYTHONUNBUFFERED": "1",
        "BROKER": broker,
        **{f"{n.upper()}_PORT": str(p) for n, p in ports.items()},
        **(extra_env or {}),
    }
    for var in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "CONTEST_FILE"):
        env.pop(var, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.run"], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    stack = RunningStack(proc, run_dir, ports, public_port, token)
    ready = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            stack.output.append(line.rstrip("\n"))
            if m := re.search(r"Open: (\S+)", line):
                stack.entry = m.group(1)
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    while not ready.wait(0.2):
        if proc.poll() is not None or time.monotonic() > deadline:
            stack.stop()
            raise AssertionError("make run did not come up:\n" + "\n".join(stack.output[-40:]))
    return stack
