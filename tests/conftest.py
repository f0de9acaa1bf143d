"""Session infrastructure for the suite: a real Kafka-protocol broker and a real PostgreSQL.

Each test gets its own topics (a unique prefix), consumer groups and database schemas (`ns`).
Set TEST_DATABASE_URL / TEST_KAFKA_BOOTSTRAP to use servers you run yourself.
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


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[Any]:
    if os.environ.get("TEST_KAFKA_BOOTSTRAP"):
        yield None
        return
    broker = start_broker(log_file=ROOT / ".run" / f"test-tansu-{os.getpid()}.log")
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: Any) -> str:
    return os.environ.get("TEST_KAFKA_BOOTSTRAP") or kafka_broker.bootstrap


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


@pytest.fixture
async def ns(database_url: str, kafka_bootstrap: str, contest_file: Path, keypair: tuple[str, str]) -> Namespace:
    space = Namespace(
        id="t" + uuid.uuid4().hex[:10], database_url=database_url, bootstrap=kafka_bootstrap,
        contest_file=contest_file, private_key=keypair[0], public_key=keypair[1],
    )
    await create_topics(kafka_bootstrap, all_topics(space.topic_prefix))
    return space
