"""Session infrastructure for the suite: Apache Kafka (tools/kafka.py) and a real PostgreSQL.

Each test gets its own topics (a unique prefix), consumer groups and database schemas (`ns`; `ns3`
on the 3-broker cluster for fault tests; `tansu_ns` on the embedded dev broker for its smoke tests).
Set TEST_DATABASE_URL / TEST_KAFKA_BOOTSTRAP to use servers you run yourself, TEST_BROKER=tansu to
run the suite on the dev broker.
"""

from __future__ import annotations

import os
import secrets
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from shared.auth import generate_keypair
from shared.events import all_topics
from shared.kafka import create_topics
from tools.demo_contest import contest_dict, write_contest
from tools.pg import start_postgres
from tools.tansu import free_port, start_broker

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url
        return
    # One server per test session (several sessions may run at once on one machine).
    data_dir = ROOT / ".run" / f"test-pg-{os.getpid()}"
    server = start_postgres(data_dir, free_port(), fast=True, fresh=True)
    try:
        yield server.dsn
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(data_dir.parent / f"{data_dir.name}-sock", ignore_errors=True)
        (data_dir.parent / f"{data_dir.name}.log").unlink(missing_ok=True)


def _suite_broker() -> str:
    """TEST_BROKER=kafka (default: Apache Kafka, the production engine) or tansu (the embedded dev
    broker, for a machine without Java)."""
    broker = os.environ.get("TEST_BROKER", "kafka")
    if broker not in ("kafka", "tansu"):
        raise pytest.UsageError(f"TEST_BROKER must be kafka or tansu, not {broker!r}")
    return broker


def _start_kafka(nodes: int) -> Any:
    from tools.kafka import KafkaUnavailable, start_cluster

    try:
        return start_cluster(ROOT / ".run" / f"test-kafka{nodes}-{os.getpid()}", nodes, fresh=True)
    except KafkaUnavailable as exc:
        pytest.exit(f"{exc} (or run the suite on the dev broker with TEST_BROKER=tansu)", returncode=2)


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[Any]:
    """The suite's broker: one single-node Apache Kafka per session (Tansu with TEST_BROKER=tansu).
    Both have .bootstrap, .pause() and .resume() (SIGSTOP/SIGCONT of every node)."""
    if os.environ.get("TEST_KAFKA_BOOTSTRAP"):
        yield None
        return
    if _suite_broker() == "tansu":
        broker: Any = start_broker(log_file=ROOT / ".run" / f"test-tansu-{os.getpid()}.log")
    else:
        broker = _start_kafka(1)
    try:
        yield broker
    finally:
        broker.stop()
        if _suite_broker() == "kafka":
            shutil.rmtree(broker.home, ignore_errors=True)


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: Any) -> str:
    return os.environ.get("TEST_KAFKA_BOOTSTRAP") or kafka_broker.bootstrap


@pytest.fixture(scope="session")
def tansu_broker() -> Iterator[Any]:
    """The embedded dev broker, for the smoke tests of what `make run` gives a newcomer."""
    log = ROOT / ".run" / f"test-tansu-smoke-{os.getpid()}.log"
    broker = start_broker(log_file=log)
    try:
        yield broker
    finally:
        broker.stop()
        log.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def _kafka_cluster3_session() -> Iterator[Any]:
    if _suite_broker() == "tansu":
        pytest.skip("TEST_BROKER=tansu: the 3-broker fault tests need Apache Kafka")
    cluster = _start_kafka(3)
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.home, ignore_errors=True)


@pytest.fixture
def kafka_cluster3(_kafka_cluster3_session: Any) -> Iterator[Any]:
    """A 3-broker KRaft cluster shared by the fault tests; every node is running again after each."""
    cluster = _kafka_cluster3_session
    yield cluster
    for node in cluster.nodes:
        cluster.resume(node)
        if not node.alive():
            cluster.start_node(node, wait=False)
    cluster.wait_ready(create_topic=False)


@pytest.fixture(scope="session")
def keypair() -> tuple[str, str]:
    return generate_keypair()


@pytest.fixture(scope="session")
def contest_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_contest(tmp_path_factory.mktemp("contest") / "contest.yaml", contest_dict())


@dataclass
class Namespace:
    """One test's private slice of the shared servers."""

    id: str
    database_url: str
    bootstrap: str
    contest_file: Path
    private_key: str
    public_key: str
    # Secrets are random per test, never a value written in the repository (the services have no default).
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    staff_token_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    actor_hash_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    idempotence: bool = True  # off only on Tansu, which fails producer start with it

    @property
    def topic_prefix(self) -> str:
        return f"{self.id}."

    def schema(self, service: str) -> str:
        return f"{self.id}_{service}"

    def topic(self, name: str) -> str:
        return self.topic_prefix + name

    def settings_kwargs(self, service: str, **overrides: Any) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "service_name": service,
            "environment": "test",
            "database_url": self.database_url,
            "db_schema": self.schema(service),
            "db_pool_min": 1,
            "db_pool_max": 5,
            "kafka_bootstrap_servers": self.bootstrap,
            "kafka_enable_idempotence": self.idempotence,
            "kafka_session_timeout_ms": 3000,
            "kafka_heartbeat_interval_ms": 500,
            "topic_prefix": self.topic_prefix,
            "outbox_poll_seconds": 0.2,
            "contest_file": self.contest_file,
            "CONTEST_ADMIN_TOKEN": self.admin_token,
            "staff_token_secret": self.staff_token_secret,  # ignored by the services that have none
            "actor_hash_key": self.actor_hash_key,
            "participant_public_key": self.public_key,
        }
        kw.update(overrides)
        return kw


def _namespace(database_url: str, bootstrap: str, contest_file: Path, keypair: tuple[str, str],
               *, idempotence: bool) -> Namespace:
    return Namespace(
        id="t" + uuid.uuid4().hex[:10], database_url=database_url, bootstrap=bootstrap,
        contest_file=contest_file, private_key=keypair[0], public_key=keypair[1], idempotence=idempotence,
    )


@pytest.fixture
async def ns(database_url: str, kafka_bootstrap: str, contest_file: Path, keypair: tuple[str, str]) -> Namespace:
    on_tansu = not os.environ.get("TEST_KAFKA_BOOTSTRAP") and _suite_broker() == "tansu"
    space = _namespace(database_url, kafka_bootstrap, contest_file, keypair, idempotence=not on_tansu)
    await create_topics(kafka_bootstrap, all_topics(space.topic_prefix))
    return space


@pytest.fixture
async def tansu_ns(database_url: str, tansu_broker: Any, contest_file: Path, keypair: tuple[str, str]) -> Namespace:
    """Like `ns`, on the embedded dev broker (idempotence off, as `make run` runs it)."""
    space = _namespace(database_url, tansu_broker.bootstrap, contest_file, keypair, idempotence=False)
    await create_topics(tansu_broker.bootstrap, all_topics(space.topic_prefix))
    return space


@pytest.fixture
async def ns3(database_url: str, kafka_cluster3: Any, contest_file: Path, keypair: tuple[str, str]) -> Namespace:
    """Like `ns`, on the 3-broker cluster: topics with RF 3 and min.insync.replicas 2."""
    space = _namespace(database_url, kafka_cluster3.bootstrap, contest_file, keypair, idempotence=True)
    await create_topics(kafka_cluster3.bootstrap, all_topics(space.topic_prefix))
    return space
