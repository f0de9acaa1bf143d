"""Staff passwords (argon2) and tokens (HS256), and the prod guard on the signing secret."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from services.initiatives.accounts import (
    InvalidStaffToken,
    decode_staff_token,
    hash_password,
    issue_staff_token,
    verify_password,
)
from services.initiatives.settings import InitiativesSettings

SECRET = "a-test-secret-that-is-long-enough-0123456789"


def test_password_hash_round_trip():
    stored = hash_password("mat-khau-an-toan")
    assert stored.startswith("$argon2")
    assert verify_password(stored, "mat-khau-an-toan")
    assert not verify_password(stored, "sai-mat-khau")
    assert not verify_password(None, "mat-khau-an-toan")
    assert not verify_password("not-a-hash", "x")


def test_staff_token_round_trip_and_rejections():
    token = issue_staff_token(SECRET, staff_id="judge-1", role="judge", unit_id=None, ttl=timedelta(hours=1))
    claims = decode_staff_token(SECRET, token)
    assert claims["sub"] == "judge-1" and claims["role"] == "judge"
    with pytest.raises(InvalidStaffToken) as err:
        decode_staff_token("another-secret-that-is-long-enough-000000", token)
    assert not err.value.expired
    old = issue_staff_token(SECRET, staff_id="judge-1", role="judge", unit_id=None, ttl=timedelta(seconds=-5))
    with pytest.raises(InvalidStaffToken) as err:
        decode_staff_token(SECRET, old)
    assert err.value.expired


def test_prod_refuses_the_dev_secret():
    prod = {"environment": "prod", "CONTEST_ADMIN_TOKEN": "x" * 32, "participant_public_key": "-----BEGIN k",
            "kafka_enable_idempotence": True}
    with pytest.raises(ValidationError, match="STAFF_TOKEN_SECRET"):
        InitiativesSettings(**prod)
    ok = InitiativesSettings(**prod, staff_token_secret="s" * 40)
    assert ok.port == 8002 and ok.service_name == "initiatives"
