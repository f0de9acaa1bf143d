"""Apache Kafka on this machine: fetch its jars with Maven, run 1 or 3 KRaft nodes, drill them.

`ensure_libs()` (tools/kafka_libs.py) copies the runtime jars that tools/kafka/pom.xml names into
.run/kafka-libs-<version> (Maven's own cache keeps the download). `start_cluster(base_dir, nodes=1|3)` formats KRaft storage
once per node directory and starts combined broker+controller nodes on loopback ports, each with its
own data dir, log dir and a small heap; it returns when every broker is in the metadata and a topic
with RF = N can be created. A cluster started again on the same `base_dir` keeps its data and ports.
`kill`, `pause`/`resume`, `stop_node` and `restart` act on one node for drills.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.broker_config import LOCAL_ONLY_PROPERTIES, broker_properties
from tools.kafka_libs import KafkaUnavailable, ensure_libs, version
from tools.tansu import _port_open, free_port

ROOT = Path(__file__).resolve().parent.parent
# 256m young+old is plenty for a test broker; 3 nodes + PostgreSQL + 4 services fit in a few GB.
HEAP = os.environ.get("KAFKA_HEAP", "-Xms256m -Xmx384m")
JVM_OPTS = ["-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:+ExitOnOutOfMemoryError",
            "-XX:MaxMetaspaceSize=128m", "-Djava.awt.headless=true"]
READY_TOPIC = "_cluster_ready"


_LOG4J2 = """\
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = {log_dir}/server.log
appender.file.filePattern = {log_dir}/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
"""


def _java(libs: Path, main: str, args: list[str], log_dir: Path) -> list[str]:
    return ["java", *HEAP.split(), *JVM_OPTS, f"-Dlog4j2.configurationFile={log_dir / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={log_dir}", "-cp", f"{libs}/*", main, *args]


@dataclass
class KafkaNode:
    node_id: int
    port: int
    controller_port: int
    home: Path  # holds data/, logs/, server.properties
    libs: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    @property
    def config(self) -> Path:
        return self.home / "server.properties"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def launch(self) -> None:
        _stop_leftover(self.home / "pid", self.config)
        out = open(self.log_dir / "stdout.log", "ab")
        self.process = subprocess.Popen(
            _java(self.libs, "kafka.Kafka", [str(self.config)], self.log_dir),
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
        out.close()
        (self.home / "pid").write_text(str(self.process.pid))

    def signal(self, sig: int) -> None:
        if self.alive():
            assert self.process is not None
            os.kill(self.process.pid, sig)

    def stop(self, timeout: float = 30.0) -> None:
        """Controlled shutdown (SIGTERM: leadership moves away first), SIGKILL if it hangs."""
        if not self.alive():
            return
        assert self.process is not None
        self.signal(signal.SIGCONT)
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def _stop_leftover(pid_file: Path, config: Path) -> None:
    """A node left running by a killed `make run` holds the data dir's lock: stop it first."""
    try:
        pid = int(pid_file.read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except (OSError, ValueError):
        return
    if str(config) not in cmdline:
        return  # the pid was reused by something else
    os.kill(pid, signal.SIGCONT)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    if Path(f"/proc/{pid}").exists():
        os.kill(pid, signal.SIGKILL)


@dataclass
class KafkaCluster:
    home: Path
    nodes: list[KafkaNode] = field(default_factory=list)
    cluster_id: str = ""

    @property
    def bootstrap(self) -> str:
        return ",".join(n.address for n in self.nodes)

    @property
    def pids(self) -> list[int | None]:
        return [n.pid for n in self.nodes]

    def node(self, node: int | KafkaNode) -> KafkaNode:
        """A node by its node.id (1-based) or itself."""
        return node if isinstance(node, KafkaNode) else self.nodes[node - 1]

    def kill(self, node: int | KafkaNode) -> None:
        """SIGKILL: no controlled shutdown; the controller fences it after broker.session.timeout.ms."""
        n = self.node(node)
        n.signal(signal.SIGKILL)
        if n.process:
            n.process.wait(10)

    def pause(self, node: int | KafkaNode | None = None) -> None:
        """SIGSTOP one node (every node when None: the whole broker frozen, as a network cut)."""
        for n in [self.node(node)] if node is not None else self.nodes:
            n.signal(signal.SIGSTOP)

    def resume(self, node: int | KafkaNode | None = None) -> None:
        for n in [self.node(node)] if node is not None else self.nodes:
            n.signal(signal.SIGCONT)

    def stop_node(self, node: int | KafkaNode) -> None:
        self.node(node).stop()

    def start_node(self, node: int | KafkaNode, *, wait: bool = True, timeout: float = 90.0) -> None:
        n = self.node(node)
        if not n.alive():
            n.launch()
        if wait:
            self.wait_ready(timeout, create_topic=False)

    def restart(self, node: int | KafkaNode, *, timeout: float = 90.0) -> None:
        self.stop_node(node)
        self.start_node(node, timeout=timeout)

    def stop(self) -> None:
        for n in self.nodes:
            n.signal(signal.SIGCONT)
            if n.alive():
                assert n.process is not None
                n.process.terminate()
        for n in self.nodes:
            n.stop()

    def wait_ready(self, timeout: float = 120.0, *, create_topic: bool = True) -> None:
        """All N brokers registered (and, the first time, a topic with RF = N creatable)."""
        deadline = time.monotonic() + timeout
        while True:
            for n in self.nodes:
                if n.process is not None and n.process.poll() is not None:
                    raise RuntimeError(f"Kafka node {n.node_id} exited with {n.process.returncode};"
                                       f" see {n.log_dir}/server.log")
            try:
                down = [n.node_id for n in self.nodes if not _port_open(n.port)]
                if down:  # not yet listening: don't let the client log connection errors
                    raise RuntimeError(f"nodes {down} not listening yet")
                _run(_probe(self.bootstrap, len(self.nodes), create_topic))
                return
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kafka not ready after {timeout:.0f}s ({exc!r}); see {self.home}") from exc
                time.sleep(0.25)

    def describe(self) -> dict[str, Any]:
        return {"version": version(), "cluster_id": self.cluster_id, "bootstrap": self.bootstrap,
                "nodes": [{"id": n.node_id, "port": n.port, "controller_port": n.controller_port, "pid": n.pid,
                           "home": str(n.home)} for n in self.nodes]}


async def _probe(bootstrap: str, brokers: int, create_topic: bool) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="kafka-ready", request_timeout_ms=5000)
    await admin.start()
    try:
        cluster = await admin.describe_cluster()
        seen = len(cluster["brokers"])
        if seen < brokers:
            raise RuntimeError(f"{seen}/{brokers} brokers in the metadata")
        if create_topic:
            try:
                await admin.create_topics([NewTopic(READY_TOPIC, 1, brokers)])
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


def _run(coro: Coroutine[Any, Any, None]) -> None:
    """asyncio.run, also from inside a running loop (drills call restart() from async tests)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coro)
        return
    error: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            error.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if error:
        raise error[0]


def _layout(home: Path, nodes: int) -> dict[str, Any]:
    """Ports and cluster id, chosen once per `home` and kept so a restarted cluster finds its data."""
    saved = home / "cluster.json"
    if saved.exists():
        layout = json.loads(saved.read_text())
        if len(layout["nodes"]) == nodes:
            return layout
        raise RuntimeError(f"{home} holds a {len(layout['nodes'])}-node cluster, not {nodes}")
    layout = {"cluster_id": _cluster_id(),
              "nodes": [{"id": i, "port": free_port(), "controller_port": free_port()} for i in range(1, nodes + 1)]}
    home.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(layout, indent=1))
    return layout


def _cluster_id() -> str:
    """A KRaft cluster id: a UUID in URL-safe base64. Like Kafka's own Uuid.randomUuid(), never one
    that starts with "-": kafka-storage would read it as an option (1 id in 64; a flaky format)."""
    import base64

    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def start_cluster(home: Path, nodes: int = 1, *, fresh: bool = False, timeout: float = 120.0,
                  overrides: dict[str, str] | None = None) -> KafkaCluster:
    """Format (once) and start `nodes` combined broker+controller nodes under `home`."""
    if nodes not in (1, 3):
        raise ValueError("a local cluster has 1 or 3 nodes")
    libs = ensure_libs()
    home = home.resolve()
    if fresh:
        shutil.rmtree(home, ignore_errors=True)
    layout = _layout(home, nodes)
    cluster = KafkaCluster(home, cluster_id=layout["cluster_id"])
    for spec in layout["nodes"]:
        cluster.nodes.append(KafkaNode(spec["id"], spec["port"], spec["controller_port"],
                                       home / f"node-{spec['id']}", libs))
    voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in cluster.nodes)
    for n in cluster.nodes:
        n.data_dir.mkdir(parents=True, exist_ok=True)
        n.log_dir.mkdir(parents=True, exist_ok=True)
        (n.log_dir / "log4j2.properties").write_text(_LOG4J2.format(log_dir=n.log_dir))
        props = {
            "process.roles": "broker,controller",
            "node.id": str(n.node_id),
            "listeners": f"PLAINTEXT://127.0.0.1:{n.port},CONTROLLER://127.0.0.1:{n.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{n.port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": str(n.data_dir),
            **_quorum(nodes, n, voters),
            **broker_properties(nodes),
            **LOCAL_ONLY_PROPERTIES,
            **(overrides or {}),
        }
        n.config.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
    # Each format is a JVM start (~2 s): run them side by side.
    _format([n for n in cluster.nodes if not (n.data_dir / "meta.properties").exists()],
            cluster.cluster_id, standalone=nodes == 1)
    for n in cluster.nodes:
        n.launch()
    try:
        cluster.wait_ready(timeout)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _quorum(nodes: int, node: KafkaNode, voters: str) -> dict[str, str]:
    if nodes == 1:
        # One node: a dynamic quorum of itself (`format --standalone`), as Kafka's quickstart does.
        return {"controller.quorum.bootstrap.servers": f"127.0.0.1:{node.controller_port}"}
    # Three nodes: a static quorum of all three, fixed in the configuration.
    return {"controller.quorum.voters": voters}


def _format(nodes: list[KafkaNode], cluster_id: str, *, standalone: bool) -> None:
    runs = [(n, subprocess.Popen(
        _java(n.libs, "kafka.tools.StorageTool",
              ["format", "-t", cluster_id, "-c", str(n.config)] + (["--standalone"] if standalone else []),
              n.log_dir),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)) for n in nodes]
    for n, proc in runs:
        out, _ = proc.communicate(timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"formatting Kafka storage of node {n.node_id} failed: {out.strip()[-500:]}")


def main() -> None:
    """`python -m tools.kafka libs` fetches the jars (make kafka-libs); `run [N]` starts a cluster."""
    import sys

    args = sys.argv[1:] or ["libs"]
    try:
        if args[0] == "libs":
            print(f"Apache Kafka {version()} jars in {ensure_libs()}")
            return
        cluster = start_cluster(ROOT / ".run" / "kafka-cli", int(args[1]) if len(args) > 1 else 1)
    except KafkaUnavailable as exc:
        raise SystemExit(str(exc)) from None
    print(json.dumps(cluster.describe(), indent=1), flush=True)
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)  # delivered to sigwait, not as exceptions
    try:
        signal.sigwait(stop_signals)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
