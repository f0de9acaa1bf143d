"""`make migrate`: apply every service's migrations to DATABASE_URL (one schema per service).

Safe to run twice and concurrently with services starting (shared.db.migrate takes a lock).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from shared import db

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("quiz", "initiatives", "engagement", "ranking")


async def migrate_all(dsn: str) -> None:
    for service in SERVICES:
        applied = await db.migrate(dsn, service, [db.SHARED_MIGRATIONS, ROOT / "services" / service / "migrations"])
        print(f"{service}: {len(applied)} applied" + (f" ({', '.join(applied)})" if applied else ""))


if __name__ == "__main__":
    asyncio.run(migrate_all(os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")))
