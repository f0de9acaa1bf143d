"""Settings of the initiatives service: the shared ones plus the staff-token signing secret."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, model_validator

from shared.settings import ServiceSettings

DEV_STAFF_SECRET = "dev-only-staff-token-secret-change-me-0000"


class InitiativesSettings(ServiceSettings):
    service_name: str = "initiatives"
    port: Annotated[int, Field(ge=1, le=65535)] = 8002
    # HMAC key for staff (unit representative, judge, organizer) tokens.
    staff_token_secret: SecretStr = SecretStr(DEV_STAFF_SECRET)
    staff_token_ttl_hours: Annotated[int, Field(ge=1, le=24 * 30)] = 12
    # A judge whose total differs from the median of all judges by more than this is an outlier.
    outlier_threshold: Annotated[float, Field(gt=0, le=100)] = 20.0

    @model_validator(mode="after")
    def _secret_safe(self) -> InitiativesSettings:
        secret = self.staff_token_secret.get_secret_value()
        if self.environment == "prod" and (secret == DEV_STAFF_SECRET or len(secret) < 32):
            raise ValueError("STAFF_TOKEN_SECRET must be set to at least 32 characters in prod")
        return self
