"""No secret defaults to a value: every service refuses to start without each of its secrets, in
every environment (dev included), and says which variable is missing."""

from __future__ import annotations

import importlib
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[3]
SETTINGS = {"quiz": "QuizSettings", "initiatives": "InitiativesSettings", "engagement": "EngagementSettings",
            "ranking": "RankingSettings"}
# The secrets each service needs (what `make run` and the test namespaces give it).
REQUIRED = {
    "quiz": ["CONTEST_ADMIN_TOKEN"],
    "initiatives": ["CONTEST_ADMIN_TOKEN", "STAFF_TOKEN_SECRET"],
    "engagement": ["CONTEST_ADMIN_TOKEN", "ACTOR_HASH_KEY"],
    "ranking": ["CONTEST_ADMIN_TOKEN"],
}
SECRETISH = re.compile(r"secret|token|_key$|password", re.IGNORECASE)


def _settings_class(service: str) -> type:
    return getattr(importlib.import_module(f"services.{service}.settings"), SETTINGS[service])


@pytest.mark.parametrize("service", list(SETTINGS))
def test_no_secret_field_has_a_default_value(service: str):
    cls = _settings_class(service)
    for name, info in cls.model_fields.items():
        if not SECRETISH.search(name) or "ttl" in name:
            continue
        default = info.default
        value = default.get_secret_value() if isinstance(default, SecretStr) else default
        assert not value, f"{cls.__name__}.{name} defaults to a value written in the repository"


@pytest.mark.parametrize(("service", "missing"), [(s, v) for s, vs in REQUIRED.items() for v in vs])
def test_service_refuses_to_start_without_the_secret(service: str, missing: str):
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "HOME": os.environ.get("HOME", "/tmp"),
           "ENVIRONMENT": "dev", "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
           "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "MIGRATE_ON_START": "false",
           **{var: secrets.token_urlsafe(48) for var in REQUIRED[service] if var != missing}}
    done = subprocess.run([sys.executable, "-m", f"services.{service}"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    assert missing in done.stderr, done.stderr[-2000:]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("service", ["initiatives", "engagement"])
def test_a_short_secret_is_refused_in_dev_too(service: str):
    from pydantic import ValidationError

    cls = _settings_class(service)
    own = {"initiatives": "staff_token_secret", "engagement": "actor_hash_key"}[service]
    with pytest.raises(ValidationError, match=own.upper()):
        cls(environment="dev", CONTEST_ADMIN_TOKEN=secrets.token_urlsafe(32), **{own: "short"})
    ok = cls(environment="dev", CONTEST_ADMIN_TOKEN=secrets.token_urlsafe(32), **{own: secrets.token_urlsafe(48)})
    assert ok.environment == "dev"
