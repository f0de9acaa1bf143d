"""Tokens: participants' Ed25519-signed JWTs (quiz signs, everyone verifies offline) and the
organizers' admin bearer token."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.errors import ContestError

ISSUER = "unghoa-contest/quiz"
AUDIENCE = "participant"


def generate_keypair() -> tuple[str, str]:
    """(private PEM, public PEM) of a fresh Ed25519 key."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private, public


def issue_participant_token(
    private_pem: str, *, participant_id: str, contest_id: str, display_name: str, unit_id: str,
    ttl: timedelta = timedelta(days=120), phone_verified: bool = False,
) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": participant_id, "contest": contest_id,
        "name": display_name, "unit": unit_id, "iat": now, "exp": now + ttl,
    }
    if phone_verified:
        claims["pv"] = True  # a one-time code proved the phone (engagement counts only such likes)
    return jwt.encode(claims, private_pem, algorithm="EdDSA")


class Participant(dict):
    @property
    def id(self) -> str:
        return self["sub"]

    @property
    def phone_verified(self) -> bool:
        return self.get("pv") is True


@lru_cache(maxsize=8)
def _public_key(public_pem: str) -> Any:
    # Parsing the PEM costs more than verifying a signature: do it once per key.
    return serialization.load_pem_public_key(public_pem.encode())


def verify_participant_token(public_pem: str | None, token: str, contest_id: str) -> Participant:
    if not public_pem:
        raise ContestError(503, "unavailable", "Chưa cấu hình khóa xác thực người dự thi.")
    try:
        claims: dict[str, Any] = jwt.decode(
            token, _public_key(public_pem), algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER,
            options={"require": ["sub", "exp", "iat"]},
        )
    except jwt.ExpiredSignatureError:
        raise ContestError(401, "token_expired", "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.") from None
    except jwt.InvalidTokenError:
        raise ContestError(401, "invalid_token", "Mã xác thực không hợp lệ.") from None
    if claims.get("contest") != contest_id:
        raise ContestError(401, "invalid_token", "Mã xác thực không thuộc cuộc thi này.")
    return Participant(claims)


def bearer(authorization: str | None) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise ContestError(401, "unauthorized", "Thiếu mã xác thực (Authorization: Bearer …).")
    return authorization[7:].strip()


def check_admin(expected: str, authorization: str | None) -> None:
    token = bearer(authorization)
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise ContestError(403, "forbidden", "Mã quản trị không đúng.")
