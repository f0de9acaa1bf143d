"""Settings of the initiatives service: the shared ones plus the staff-token signing secret."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, model_validator

from shared.settings import ServiceSettings, require_secret

STAFF_SECRET_MIN = 32


class InitiativesSettings(ServiceSettings):
    service_name: str = "initiatives"
    port: Annotated[int, Field(ge=1, le=65535)] = 8002
    # HMAC key for staff (unit representative, judge, organizer) tokens; required, never defaulted:
    # anyone who knows it can mint a head judge's token.
    staff_token_secret: SecretStr | None = None
    staff_token_ttl_hours: Annotated[int, Field(ge=1, le=24 * 30)] = 12
    # Failed staff logins: free tries per (user name, IP) and per IP, then exponential back-off.
    login_free_failures_per_account_ip: Annotated[int, Field(ge=1, le=100)] = 5
    login_free_failures_per_ip: Annotated[int, Field(ge=1, le=10_000)] = 20
    login_backoff_max_seconds: Annotated[float, Field(gt=0, le=86_400)] = 900.0
    # Requests from these addresses (the reverse proxy) are attributed to X-Forwarded-For's last hop.
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    # A judge whose total differs from the median of all judges by more than this is an outlier.
    outlier_threshold: Annotated[float, Field(gt=0, le=100)] = 20.0

    @model_validator(mode="after")
    def _require_secret(self) -> InitiativesSettings:
        require_secret(self.staff_token_secret, "STAFF_TOKEN_SECRET", STAFF_SECRET_MIN)
        return self
