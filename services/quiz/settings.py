"""Quiz settings: the shared ones plus the signing key, rate limits and OTP options."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

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

    # One-time codes (services/quiz/sms.py): "console" logs them (dev; SMS_CONSOLE_FILE also appends
    # them to a file for demos and browser tests), "http" posts them to SMS_GATEWAY_URL with
    # SMS_GATEWAY_TOKEN (no default: the http sender refuses to start without both).
    sms_sender: Literal["console", "http"] = "console"
    sms_console_file: Path | None = None
    sms_gateway_url: str | None = None
    sms_gateway_token: SecretStr | None = None
    sms_gateway_timeout_seconds: Annotated[float, Field(gt=0, le=30)] = 5.0
    otp_ttl_seconds: Annotated[int, Field(ge=30, le=3600)] = 300
    # Wrong codes per phone in any 24 h (a new code does not reset them), then the phone is locked.
    otp_max_tries: Annotated[int, Field(ge=1, le=20)] = 5
    otp_cooldown_seconds: Annotated[int, Field(ge=0, le=3600)] = 60  # between two codes to one phone
    otp_daily_per_phone: Annotated[int, Field(ge=1, le=100)] = 5  # codes per phone in any 24 h
    # Codes asked from one IP in any hour: generous, since mobile carriers put many residents behind one
    # address (CGNAT); it stops one client spraying codes at many numbers.
    otp_hourly_per_ip: Annotated[int, Field(ge=1)] = 60

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
        if self.sms_sender == "http" and not (self.sms_gateway_url and self.sms_gateway_token
                                              and self.sms_gateway_token.get_secret_value()):
            raise ValueError("SMS_SENDER=http needs SMS_GATEWAY_URL and SMS_GATEWAY_TOKEN")
        return self
