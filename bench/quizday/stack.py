"""The system under test, started exactly as `make run` does (tools.run via tests/e2e/stack.py), or
an already running one (RUN_DIR). Knows every process: services (RUN_DIR/services.json, rewritten when
the supervisor restarts one), the broker (RUN_DIR/broker.pid) and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

SERVICES = ("quiz", "initiatives", "engagement", "ranking")


@dataclass
class Stack:
    run_dir: Path
    admin_token: str
    handle: Any = None  # tests.e2e.stack.RunningStack when we started it
    _procs: dict[int, psutil.Process] = field(default_factory=dict)
    # Kafka nodes a drill started again: children of this process, not of tools.run, so stopped here.
    _relaunched: dict[int, Any] = field(default_factory=dict)

    # --- addresses -------------------------------------------------------------------------
    def services(self) -> dict[str, dict[str, int]]:
        return json.loads((self.run_dir / "services.json").read_text())

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.services()[name]['port']}"

    def pid(self, name: str) -> int:
        return int(self.services()[name]["pid"])

    @property
    def stack_json(self) -> dict[str, str]:
        return json.loads((self.run_dir / "stack.json").read_text())

    @property
    def dsn(self) -> str:
        return self.stack_json["database_url"]

    @property
    def bootstrap(self) -> str:
        return self.stack_json["kafka_bootstrap_servers"]

    def env(self, name: str) -> dict[str, str]:
        return json.loads((self.run_dir / "env" / f"{name}.json").read_text())

    @property
    def contest_file(self) -> str:
        return self.env("quiz")["CONTEST_FILE"]

    def broker_pid(self) -> int | None:
        path = self.run_dir / "broker.pid"
        if path.exists():
            return int(path.read_text().strip())
        port = self.bootstrap.rsplit(":", 1)[-1]
        for p in psutil.process_iter(["cmdline"]):
            cmd = " ".join(p.info["cmdline"] or [])
            if "tansu" in cmd and f":{port}" in cmd:
                return p.pid
        return None

    # --- Apache Kafka nodes (RUN_DIR/kafka.json, written by tools.run with BROKER=kafka) --------------
    def kafka_nodes(self) -> list[dict[str, Any]]:
        path = self.run_dir / "kafka.json"
        return json.loads(path.read_text())["nodes"] if path.exists() else []

    def kafka_pid(self, node_id: int) -> int:
        return next(int(n["pid"]) for n in self.kafka_nodes() if n["id"] == node_id)

    def relaunch_kafka(self, node_id: int) -> int:
        """Start a stopped or killed node again on its own folder and ports (tools/kafka.py's KafkaNode)."""
        from tools.kafka import KafkaNode
        from tools.kafka_libs import ensure_libs

        info = json.loads((self.run_dir / "kafka.json").read_text())
        spec = next(n for n in info["nodes"] if n["id"] == node_id)
        node = KafkaNode(node_id, spec["port"], spec["controller_port"], Path(spec["home"]), ensure_libs())
        node.launch()
        self._relaunched[node_id] = node
        assert node.pid is not None
        spec["pid"] = node.pid  # kept current for the next drill (and for an attached tool)
        (self.run_dir / "kafka.json").write_text(json.dumps(info, indent=1))
        if node_id == info["nodes"][0]["id"]:
            (self.run_dir / "broker.pid").write_text(str(node.pid))
        return node.pid

    def postgres_pid(self) -> int | None:
        """The postmaster of the stack's embedded PostgreSQL (by its port)."""
        port = self.dsn.rsplit(":", 1)[-1].split("/")[0]
        for p in psutil.process_iter(["name", "cmdline"]):
            cmd = p.info["cmdline"] or []
            if p.info["name"] in ("postgres", "postmaster") and any(f"-p {port}" in c or c == port for c in cmd):
                return p.pid
        return None

    # --- processes ---------------------------------------------------------------------------
    def processes(self) -> dict[str, list[psutil.Process]]:
        """name -> processes (PostgreSQL with its backends), for resource sampling."""
        out: dict[str, list[psutil.Process]] = {}
        ids: dict[str, int | None] = {n: self.pid(n) for n in SERVICES}
        nodes = self.kafka_nodes()
        if len(nodes) > 1:
            ids.update({f"kafka node {n['id']}": int(n["pid"]) for n in nodes})
        else:
            ids["broker"] = self.broker_pid()
        ids["postgres"] = self.postgres_pid()
        for name, pid in ids.items():
            if pid is None:
                continue
            proc = self._proc(pid)
            if proc is None:
                continue
            group = [proc]
            if name == "postgres":
                try:
                    group += [self._proc(c.pid) or c for c in proc.children()]
                except psutil.Error:
                    pass
            out[name] = group
        return out

    def _proc(self, pid: int) -> psutil.Process | None:
        proc = self._procs.get(pid)
        try:
            if proc is None or not proc.is_running():
                proc = psutil.Process(pid)
                proc.cpu_percent(None)  # prime
                self._procs[pid] = proc
            return proc
        except psutil.Error:
            return None

    def sample(self) -> dict[str, dict[str, float]]:
        out = {}
        groups = self.processes()
        me = self._proc(os.getpid())
        if me is not None:
            groups["load generator"] = [me]
        for name, procs in groups.items():
            cpu = rss = 0.0
            for i, p in enumerate(procs):
                try:
                    cpu += p.cpu_percent(None)
                    mem = p.memory_info()
                    # PostgreSQL backends share the buffer pool: count it once (with the postmaster)
                    rss += mem.rss if i == 0 else max(0, mem.rss - getattr(mem, "shared", 0))
                except psutil.Error:
                    pass
            out[name] = {"cpu": cpu, "rss_mb": rss / 2**20}
        return out

    async def wait_ready(self, name: str, *, not_pid: int | None = None, timeout: float = 120.0) -> float:
        """Seconds until `name` answers /readyz 200 (with a pid other than `not_pid`, after a kill)."""
        started = time.monotonic()
        async with httpx.AsyncClient(timeout=3) as http:
            while time.monotonic() - started < timeout:
                try:
                    if not_pid is None or self.pid(name) != not_pid:
                        r = await http.get(f"{self.url(name)}/readyz")
                        if r.status_code == 200:
                            return time.monotonic() - started
                except (httpx.HTTPError, OSError, ValueError, KeyError):
                    pass
                await asyncio.sleep(0.25)
        raise TimeoutError(f"{name} not ready after {timeout:.0f}s")

    def stop(self) -> None:
        for node in self._relaunched.values():  # SIGTERM now, alongside tools.run's own nodes
            node.signal(signal.SIGCONT)
            node.signal(signal.SIGTERM)
        if self.handle is not None:
            self.handle.stop()
        for node in self._relaunched.values():
            node.stop()


def start(run_dir: Path, broker: str = "tansu", brokers: int = 1) -> Stack:
    """Start the whole system as `make run BROKER=<broker> KAFKA_NODES=<brokers>` does, on free ports."""
    from tests.e2e.stack import start_stack

    handle = start_stack(run_dir, timeout=240, broker=broker, extra_env={"KAFKA_NODES": str(brokers)})
    return Stack(run_dir=run_dir, admin_token=handle.admin_token, handle=handle)


def attach(run_dir: Path, admin_token: str) -> Stack:
    return Stack(run_dir=run_dir, admin_token=admin_token)
