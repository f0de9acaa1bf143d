"""Demo data for `make run`: staff accounts and a few approved initiatives, through the public APIs.

Idempotent; the question bank comes from the contest file and is loaded by quiz itself.
"""

from __future__ import annotations

from services.initiatives.demo_seed import seed as seed_initiatives


def seed(entry: str, service_urls: dict[str, str], admin_token: str, staff_password: str) -> None:
    accounts = seed_initiatives(service_urls["initiatives"], admin_token, staff_password)
    print("  demo staff accounts (login at /initiatives/login.html):", flush=True)
    for username, password, role in accounts:
        print(f"    {role:<11} {username} / {password}", flush=True)
