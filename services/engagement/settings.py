"""Engagement settings: the actor-hash key and the webhook tolerance on top of the shared ones."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, model_validator

from shared.settings import ServiceSettings, require_secret

ACTOR_HASH_KEY_MIN = 24


class EngagementSettings(ServiceSettings):
    service_name: str = "engagement"
    port: Annotated[int, Field(ge=1, le=65535)] = 8003
    # HMAC key for pseudonymizing actor ids (`h:<16 hex>`); required, never defaulted: a known key
    # lets anyone re-identify the actors behind the pseudonyms.
    actor_hash_key: SecretStr | None = None
    webhook_tolerance_seconds: Annotated[int, Field(ge=1, le=3600)] = 300
    # A signed batch of 1,000 events is well under 1 MB, but allow generous items.
    ingest_max_body_bytes: Annotated[int, Field(ge=1024)] = 2_000_000

    @model_validator(mode="after")
    def _require_key(self) -> EngagementSettings:
        require_secret(self.actor_hash_key, "ACTOR_HASH_KEY", ACTOR_HASH_KEY_MIN)
        return self
