"""Standard Webhooks verification: valid, wrong secret, rotated secret, stale timestamp, tampered body."""

from __future__ import annotations

import base64

import pytest

from services.engagement.signing import SignatureError, decode_secret, sign, verify

OLD = "whsec_" + base64.b64encode(b"old-secret-key-0123456789").decode()
NEW = "whsec_" + base64.b64encode(b"new-secret-key-9876543210").decode()
BODY = b'[{"action":"like"}]'
NOW = 1_760_000_000


def check(secrets, sig, *, body=BODY, ts=NOW, now=NOW, msg_id="msg_1"):
    verify(secrets, msg_id, str(ts), body, sig, now=now, tolerance_seconds=300)


def test_valid_signature_passes():
    check([NEW], sign(NEW, "msg_1", NOW, BODY))


def test_known_vector_from_the_spec():
    # The example in the Standard Webhooks reference implementation.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected
    verify([secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body, expected, now=1614265330)


def test_wrong_secret_fails():
    with pytest.raises(SignatureError) as exc:
        check([NEW], sign(OLD, "msg_1", NOW, BODY))
    assert exc.value.code == "invalid_signature"


def test_rotated_secret_either_side_passes():
    # platform still signs with the old secret while both are registered
    check([NEW, OLD], sign(OLD, "msg_1", NOW, BODY))
    # platform sends both signatures during its own rotation
    both = sign(OLD, "msg_1", NOW, BODY) + " " + sign(NEW, "msg_1", NOW, BODY)
    check([NEW], both)
    # after the old secret is removed, only the new one works
    with pytest.raises(SignatureError):
        check([NEW], sign(OLD, "msg_1", NOW, BODY))


@pytest.mark.parametrize("skew", [301, -301, 10_000])
def test_stale_or_future_timestamp_fails(skew):
    sig = sign(NEW, "msg_1", NOW - skew, BODY)
    with pytest.raises(SignatureError) as exc:
        check([NEW], sig, ts=NOW - skew)
    assert exc.value.code == "stale_timestamp"


def test_within_tolerance_passes():
    check([NEW], sign(NEW, "msg_1", NOW - 299, BODY), ts=NOW - 299)


def test_tampered_body_fails():
    with pytest.raises(SignatureError):
        check([NEW], sign(NEW, "msg_1", NOW, BODY), body=BODY.replace(b"like", b"view"))


def test_tampered_id_fails():
    with pytest.raises(SignatureError):
        check([NEW], sign(NEW, "msg_1", NOW, BODY), msg_id="msg_2")


@pytest.mark.parametrize("header", ["", "v2,abc", "v1,", "v1,not base64!!", "garbage"])
def test_malformed_signature_headers_fail(header):
    with pytest.raises(SignatureError):
        check([NEW], header)


def test_missing_headers_and_bad_timestamp():
    with pytest.raises(SignatureError) as exc:
        verify([NEW], None, str(NOW), BODY, "v1,x", now=NOW)
    assert exc.value.code == "missing_signature"
    with pytest.raises(SignatureError) as exc:
        verify([NEW], "m", "yesterday", BODY, "v1,x", now=NOW)
    assert exc.value.code == "invalid_timestamp"


@pytest.mark.parametrize("bad", ["nope", "whsec_***", "whsec_" + base64.b64encode(b"short").decode()])
def test_secret_format(bad):
    with pytest.raises(ValueError):
        decode_secret(bad)
