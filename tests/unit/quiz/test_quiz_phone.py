"""Phone numbers in one canonical form (issue 12, item 2) and the one-time-code limits (item 7): pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.quiz import domain
from services.quiz.otp import OtpLimits, locked_for, send_refusal
from shared.errors import ContestError


@pytest.mark.parametrize(("raw", "canonical"), [
    ("0913640480", "0913640480"),
    ("091364048٠", "0913640480"),               # Arabic-Indic zero
    ("091２000001", "0912000001"),              # full-width two
    ("０９１２０００００１", "0912000001"),       # all full-width
    ("۰۹۱۳۶۴۰۴۸۰", "0913640480"),               # extended Arabic-Indic
    ("০৯১৩৬৪০৪৮০", "0913640480"),               # Bengali
    ("+84 91 364 0480", "0913640480"),
    ("+84913640480", "0913640480"),
    ("84913640480", "0913640480"),
    ("0084913640480", "0913640480"),
    ("+84 0913 640 480", "0913640480"),         # the national 0 kept after +84
    ("＋８４９１３６４０４８０", "0913640480"),   # full-width plus and digits (NFKC)
    ("(091) 364-0480", "0913640480"),
    ("091.364.0480", "0913640480"),
    ("091\u2013364\u20130480", "0913640480"),   # en dashes
    ("\u00a0091 364 0480\u3000", "0913640480"),  # no-break and ideographic spaces
    ("091364048²", "0913640482"),               # NFKC makes the superscript a plain 2
    ("0321234567", "0321234567"),
    ("0551234567", "0551234567"),
    ("0701234567", "0701234567"),
    ("0861234567", "0861234567"),
])
def test_every_form_of_a_mobile_number_has_one_canonical_form(raw, canonical):
    assert domain.normalize_phone(raw) == canonical
    assert domain.normalize_phone(canonical) == canonical  # idempotent


@pytest.mark.parametrize("raw", [
    "", "0912", "09123456789", "091234567", "0212345678",  # landline
    "0312345678", "0112345678", "1912345678",
    "091\u200b3640480",       # zero-width space
    "0913640480\x00",         # NUL
    "091364048O",             # letter O
    "091364048½",             # a fraction is no digit
    "+1 913 640 4800", "+840", "84 91 364 048", "0913+640480", "++84913640480",
    "\u202e0913640480",       # bidi override
])
def test_what_is_not_a_vietnamese_mobile_number_is_refused(raw):
    with pytest.raises(ContestError) as exc:
        domain.normalize_phone(raw)
    assert exc.value.status == 422 and exc.value.code == "invalid_phone"


def test_the_exclusion_list_is_canonical_and_refuses_typos():
    assert domain.excluded_phones(["+84 912 000 001", "091２000002"]) == {"0912000001", "0912000002"}
    with pytest.raises(ValueError, match="0912"):
        domain.excluded_phones(["0912000001", "0912"])


NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LIMITS = OtpLimits(cooldown=timedelta(seconds=60), daily_per_phone=5, hourly_per_ip=20, max_tries=5)


def usage(**over):
    base = {"last_at": None, "day_count": 0, "day_first": None, "ip_count": 0, "ip_first": None,
            "fail_count": 0, "fail_first": None}
    return {**base, **over}


@pytest.mark.parametrize(("u", "expected"), [
    (usage(), None),
    (usage(last_at=NOW - timedelta(seconds=59), day_count=1, day_first=NOW), ("otp_cooldown", 1)),
    (usage(last_at=NOW - timedelta(seconds=20), day_count=1, day_first=NOW), ("otp_cooldown", 40)),
    (usage(last_at=NOW - timedelta(seconds=61), day_count=1, day_first=NOW), None),
    (usage(last_at=NOW - timedelta(hours=1), day_count=5, day_first=NOW - timedelta(hours=20)),
     ("otp_daily_limit", 4 * 3600)),
    (usage(ip_count=20, ip_first=NOW - timedelta(minutes=30)), ("otp_ip_limit", 1800)),
    (usage(fail_count=5, fail_first=NOW - timedelta(hours=23)), ("otp_locked", 3600)),
])
def test_code_requests_are_refused_with_the_time_to_wait(u, expected):
    assert send_refusal(u, LIMITS, NOW) == expected


def test_wrong_tries_lock_the_phone_for_a_day_from_the_first():
    assert locked_for(usage(fail_count=4, fail_first=NOW), LIMITS, NOW) is None
    assert locked_for(usage(fail_count=5, fail_first=NOW - timedelta(hours=2)), LIMITS, NOW) == 22 * 3600
