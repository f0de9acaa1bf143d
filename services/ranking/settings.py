from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr

from shared.settings import ServiceSettings


class RankingSettings(ServiceSettings):
    service_name: str = "ranking"
    port: Annotated[int, Field(ge=1, le=65535)] = 8004
    # Server-Sent Events: changes of a board are coalesced and pushed at most once per interval.
    stream_interval_seconds: Annotated[float, Field(gt=0, le=10)] = 0.4
    # A provisional prediction reference (the live participant count) re-keys the quiz boards at
    # most once per this many seconds (a full re-key costs ~80 µs per attempt, done in slices by
    # the index worker); a final (organizer-set) reference is applied at once.
    reference_refresh_seconds: Annotated[float, Field(ge=0, le=600)] = 10.0
    gc_thresholds: tuple[int, int, int] = (50_000, 50, 100)
    # Where the public reaches the site (certificate QR codes and short URLs); empty: the request's own.
    public_base_url: Annotated[str, Field(pattern=r"^(https?://[^\s/]+(/[^\s]*)?)?$")] = ""
    # The initiatives service's STAFF_TOKEN_SECRET: when set, organizers and head judges signed in
    # there may freeze, reveal and set reference values; when unset, only the admin token may.
    staff_token_secret: SecretStr | None = None
