"""Quiz settings: the shared ones plus the signing key, rate limits and OTP options."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from shared.settings import ServiceSettings, _read_key


class QuizSettings(ServiceSettings):
    service_name: str = "quiz"
    port: Annotated[int, Field(ge=1, le=65535)] = 8001

    # Ed25519 private key (PEM text or a path to a PEM file) that signs participant tokens.
    participant_private_key: str | None = None

    # Token buckets (per process): per client IP on register/login/start/submit, and per participant.
    rate_limit_ip_per_second: Annotated[float, Field(gt=0)] = 10.0
    rate_limit_ip_burst: Annotated[int, Field(ge=1)] = 60
    rate_limit_participant_per_second: Annotated[float, Field(gt=0)] = 1.0
    rate_limit_participant_burst: Annotated[int, Field(ge=1)] = 10
    # Requests from these addresses (the reverse proxy) are attributed to X-Forwarded-For's last hop.
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])

    otp_sender: Literal["log"] = "log"  # dev: the code goes to the log; plug an SMS sender in prod
    otp_ttl_seconds: Annotated[int, Field(ge=30, le=3600)] = 300
    otp_max_tries: Annotated[int, Field(ge=1, le=20)] = 5

    bank_upload_max_bytes: Annotated[int, Field(ge=1024)] = 5_000_000
    active_gauge_refresh_seconds: Annotated[float, Field(gt=0)] = 5.0
    # How often each replica closes attempts past deadline + grace with their saved answers.
    sweep_interval_seconds: Annotated[float, Field(gt=0, le=3600)] = 5.0
    sweep_batch: Annotated[int, Field(ge=1, le=10_000)] = 200

    @field_validator("participant_private_key", mode="before")
    @classmethod
    def _load_private(cls, v: str | None) -> str | None:
        return _read_key(v)

    @model_validator(mode="after")
    def _need_key_in_prod(self) -> QuizSettings:
        if self.environment == "prod" and not self.participant_private_key:
            raise ValueError("PARTICIPANT_PRIVATE_KEY must be set in prod")
        return self
