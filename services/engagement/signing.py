"""Standard Webhooks signatures (https://www.standardwebhooks.com/), computed by the `standardwebhooks` library.

Signed content: `<webhook-id>.<webhook-timestamp>.<raw body>`; signature header: one or more
space-separated `v1,<base64 HMAC-SHA256>`; secrets are `whsec_<base64 key>`. Any configured
secret (rotation) may match any listed signature; comparisons are constant-time.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook, hmac_data

SECRET_PREFIX = "whsec_"
MIN_KEY_BYTES = 16


class SignatureError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def decode_secret(secret: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret; ValueError if it is not one."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("secret must start with whsec_")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("secret must be whsec_ followed by base64") from None
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"secret key must be at least {MIN_KEY_BYTES} bytes")
    return key


def sign(secret: str, msg_id: str, timestamp: int | str, body: bytes) -> str:
    """`v1,<base64>` for one secret (what a platform sends)."""
    decode_secret(secret)  # the library accepts any string; a platform's secret must be a real one
    return Webhook(secret).sign(msg_id, _instant(int(timestamp)), body.decode())


def verify(
    secrets: Sequence[str], msg_id: str | None, timestamp: str | None, body: bytes,
    signature_header: str | None, *, now: float, tolerance_seconds: int = 300,
) -> None:
    """Return if the request is authentic and fresh; raise SignatureError(code, message) if not.

    The headers and the clock are checked here (our codes, our configured tolerance, a `now` the
    tests can set: the library's `Webhook.verify` reads the wall clock with a fixed 5 minutes, and
    decodes the body as text); the HMAC is the library's `hmac_data` over the exact signed bytes,
    once per secret of the platform so that a rotated-in secret and the one it replaces both
    verify. Platforms (and our tests and benchmarks) sign with the library's `Webhook.sign`."""
    if not msg_id or not timestamp or not signature_header:
        raise SignatureError("missing_signature", "Thiếu tiêu đề webhook-id, webhook-timestamp hoặc webhook-signature.")
    try:
        ts = int(timestamp)
    except ValueError:
        raise SignatureError("invalid_timestamp", "webhook-timestamp phải là số giây Unix.") from None
    if abs(now - ts) > tolerance_seconds:
        raise SignatureError(
            "stale_timestamp", f"webhook-timestamp lệch quá {tolerance_seconds} giây so với giờ máy chủ."
        )
    offered = [_signature_bytes(part) for part in signature_header.split(" ")]
    offered = [o for o in offered if o is not None]
    if not offered:
        raise SignatureError("invalid_signature", "Chữ ký webhook-signature không đúng định dạng v1,<base64>.")
    signed = f"{msg_id}.{timestamp}.".encode() + body  # the exact bytes: a body need not be UTF-8
    matched = False
    for secret in secrets:
        try:
            key = decode_secret(secret)
        except ValueError:
            continue
        expected = hmac_data(key, signed)
        for candidate in offered:  # check all: no early exit that leaks which one matched
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError("invalid_signature", "Chữ ký không khớp với bí mật đã đăng ký của nền tảng.")


def _signature_bytes(part: str) -> bytes | None:
    version, _, sig = part.partition(",")
    if version != "v1" or not sig:
        return None
    try:
        return base64.b64decode(sig, validate=True)
    except (binascii.Error, ValueError):
        return None


def _instant(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)
