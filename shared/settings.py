"""Settings every service shares (pydantic-settings, read from the environment, fail fast).

No secret has a default: in every environment (dev and test included) a missing or short secret
(the admin token here, each service's own keys in its settings) stops the service at start with a
message naming the variable; `make run` generates each one under .run/. Outside `dev`/`test` the
settings also refuse a missing signing key and the dev broker's lack of idempotence.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.contest import Contest, load_contest

_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
ADMIN_TOKEN_MIN = 24


def require_secret(value: SecretStr | None, env_var: str, min_length: int) -> None:
    """Refuse a missing or short secret, whatever the environment: none may default to a value."""
    if len(value.get_secret_value() if value else "") < min_length:
        raise ValueError(f"{env_var} must be set to a secret of at least {min_length} characters in every"
                         " environment (`make run` generates one under .run/secrets/)")


def _read_key(value: str | None) -> str | None:
    """A key is given inline (PEM text) or as a path to a PEM file."""
    if not value:
        return None
    if value.lstrip().startswith("-----BEGIN"):
        return value
    return Path(value).read_text(encoding="ascii")


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    service_name: str = "service"
    environment: Literal["dev", "test", "prod"] = "dev"
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    log_level: str = "INFO"

    database_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    db_schema: str = ""  # defaults to the service name
    db_pool_min: Annotated[int, Field(ge=1)] = 2
    db_pool_max: Annotated[int, Field(ge=1)] = 10
    migrate_on_start: bool = True

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Idempotent producer (with acks=all, always): a retried send after a lost ack is written once,
    # in order, per partition. On by default because production is Apache Kafka; only the embedded
    # dev broker (Tansu) turns it off — it fails producer start with it (../shared/BROKER.md).
    kafka_enable_idempotence: bool = True
    # Static group membership (KIP-345): each consumer joins as `<consumer>@<replica_id>`, so a
    # replica restarted with the same id (a crash, a SIGKILL, a rolling deploy) takes back its own
    # partitions at once instead of waiting for the broker to expire the old member and rebalance.
    # Must be unique per running replica and stable across its restarts (a StatefulSet pod name,
    # `make run`'s `<service>-1`); "hostname" uses the container's hostname; empty = dynamic membership.
    replica_id: str = ""
    kafka_session_timeout_ms: Annotated[int, Field(ge=1000)] = 10_000
    kafka_heartbeat_interval_ms: Annotated[int, Field(ge=100)] = 3_000
    topic_prefix: str = ""  # tests give each test its own topics
    consumer_group_prefix: str = ""
    consumer_batch_size: Annotated[int, Field(ge=1, le=10_000)] = 500

    outbox_batch_size: Annotated[int, Field(ge=1, le=10_000)] = 500
    outbox_poll_seconds: Annotated[float, Field(gt=0)] = 1.0

    contest_file: Path = Path("contest/demo.yaml")
    admin_token: SecretStr = Field(default=SecretStr(""), validation_alias="CONTEST_ADMIN_TOKEN")
    participant_public_key: str | None = None  # Ed25519 PEM (or a path to one)
    max_body_bytes: Annotated[int, Field(ge=1024)] = 1_000_000
    cors_origins: list[str] = []

    @field_validator("participant_public_key", mode="before")
    @classmethod
    def _load_public(cls, v: str | None) -> str | None:
        return _read_key(v)

    @model_validator(mode="after")
    def _defaults_and_safety(self) -> ServiceSettings:
        if not self.db_schema:
            object.__setattr__(self, "db_schema", self.service_name)
        if not _SCHEMA.match(self.db_schema):
            raise ValueError(f"db_schema {self.db_schema!r} must be a lowercase SQL identifier")
        require_secret(self.admin_token, "CONTEST_ADMIN_TOKEN", ADMIN_TOKEN_MIN)
        if self.environment == "prod":
            if not self.participant_public_key:
                raise ValueError("PARTICIPANT_PUBLIC_KEY must be set in prod")
            if not self.kafka_enable_idempotence:
                raise ValueError("KAFKA_ENABLE_IDEMPOTENCE must be true against a production Kafka")
        return self

    def topic(self, name: str) -> str:
        return self.topic_prefix + name

    def group(self, name: str) -> str:
        return self.consumer_group_prefix + self.topic_prefix + name

    def group_instance_id(self, consumer: str) -> str | None:
        """The static member id of this replica in `consumer`'s group (None: dynamic membership)."""
        if not self.replica_id:
            return None
        replica = socket.gethostname() if self.replica_id == "hostname" else self.replica_id
        return f"{consumer}@{replica}"

    def load_contest(self) -> Contest:
        return load_contest(self.contest_file)


Settings = TypeVar("Settings", bound=ServiceSettings)


def settings_or_exit(cls: type[Settings]) -> Settings:
    """The settings from the environment, or exit with one line per problem (no traceback)."""
    try:
        return cls()
    except ValidationError as exc:
        problems = [f"  {'.'.join(str(p) for p in e['loc']) or '-'}: {e['msg'].removeprefix('Value error, ')}"
                    for e in exc.errors()]
        raise SystemExit(f"{cls.__name__}: refusing to start:\n" + "\n".join(problems)) from None
