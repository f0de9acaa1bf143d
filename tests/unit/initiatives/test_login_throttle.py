"""Staff login back-off (pure): per (user, IP) and per IP, exponential, forgiven after a quiet hour."""

from __future__ import annotations

from services.initiatives.login_throttle import LoginThrottle


def test_back_off_doubles_after_the_free_tries_and_is_per_address():
    t = LoginThrottle(free_per_account_ip=3, free_per_ip=100, base_seconds=1, max_seconds=60)
    for _ in range(3):
        assert t.retry_after("gk-01", "10.0.0.1", now=0) == 0
        t.failed("gk-01", "10.0.0.1", now=0)
    assert t.retry_after("gk-01", "10.0.0.1", now=0) == 0  # three free tries used, not over yet
    waits = []
    for i in range(4):
        t.failed("GK-01", "10.0.0.1", now=100 * i)
        waits.append(t.retry_after("gk-01", "10.0.0.1", now=100 * i))
    assert waits == [1, 2, 4, 8]
    assert t.retry_after("gk-01", "10.0.0.2", now=300) == 0  # the judge's own address
    for _ in range(20):
        t.failed("gk-01", "10.0.0.1", now=400)
    assert t.retry_after("gk-01", "10.0.0.1", now=400) == 60  # capped


def test_the_ip_key_spans_user_names_and_a_success_does_not_clear_it():
    t = LoginThrottle(free_per_account_ip=5, free_per_ip=10, base_seconds=1)
    for i in range(10):
        t.failed(f"user-{i}", "10.0.0.9", now=0)
    assert t.retry_after("user-99", "10.0.0.9", now=0) == 0
    t.failed("user-10", "10.0.0.9", now=0)
    assert t.retry_after("someone-else", "10.0.0.9", now=0) == 1
    t.succeeded("someone-else", "10.0.0.9")
    assert t.retry_after("someone-else", "10.0.0.9", now=0) == 1


def test_failures_are_forgiven_after_a_quiet_period_and_memory_is_bounded():
    t = LoginThrottle(free_per_account_ip=1, free_per_ip=1, base_seconds=1, forget_seconds=3600, max_keys=10)
    t.failed("a", "10.0.0.1", now=0)
    t.failed("a", "10.0.0.1", now=0)
    assert t.retry_after("a", "10.0.0.1", now=0.5) > 0
    t.failed("a", "10.0.0.1", now=3700)  # after an hour of quiet: counted from one again
    assert t.retry_after("a", "10.0.0.1", now=3700) == 0
    for i in range(50):
        t.failed("x", f"10.1.0.{i}", now=4000)
    assert len(t._state) <= 10
