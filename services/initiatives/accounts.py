"""Staff credentials: argon2 password hashes and HMAC-signed (HS256) staff tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ISSUER = "unghoa-contest/initiatives"
AUDIENCE = "staff"
_HASHER = PasswordHasher()
# Verified when the user is unknown, so a wrong user name costs as much time as a wrong password.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def issue_staff_token(secret: str, *, staff_id: str, role: str, unit_id: str | None, ttl: timedelta,
                      version: int = 1) -> str:
    now = datetime.now(UTC)
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": staff_id, "role": role, "unit": unit_id, "ver": version,
              "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm="HS256")


class InvalidStaffToken(Exception):
    def __init__(self, expired: bool = False) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def decode_staff_token(secret: str, token: str) -> dict[str, Any]:
    try:
        return jwt.decode(token, secret, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER,
                          options={"require": ["sub", "exp", "iat"]})
    except jwt.ExpiredSignatureError:
        raise InvalidStaffToken(expired=True) from None
    except jwt.InvalidTokenError:
        raise InvalidStaffToken() from None
