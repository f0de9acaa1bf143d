"""Engagement settings: the actor-hash key and the webhook tolerance on top of the shared ones."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, model_validator

from shared.settings import ServiceSettings

DEV_ACTOR_HASH_KEY = "dev-only-actor-hash-key-change-me"


class EngagementSettings(ServiceSettings):
    service_name: str = "engagement"
    port: Annotated[int, Field(ge=1, le=65535)] = 8003
    # HMAC key for pseudonymizing actor ids (`h:<16 hex>`); the dev default is refused in prod.
    actor_hash_key: SecretStr = SecretStr(DEV_ACTOR_HASH_KEY)
    webhook_tolerance_seconds: Annotated[int, Field(ge=1, le=3600)] = 300
    portal_actor_per_minute: Annotated[int, Field(ge=1)] = 30
    # A signed batch of 1,000 events is well under 1 MB, but allow generous items.
    ingest_max_body_bytes: Annotated[int, Field(ge=1024)] = 2_000_000

    @model_validator(mode="after")
    def _refuse_dev_key(self) -> EngagementSettings:
        key = self.actor_hash_key.get_secret_value()
        if self.environment == "prod" and (key == DEV_ACTOR_HASH_KEY or len(key) < 24):
            raise ValueError("ACTOR_HASH_KEY must be set to a secret of at least 24 characters in prod")
        return self
