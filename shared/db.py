"""PostgreSQL helpers: a pool bound to the service's schema, and ordered plain-SQL migrations."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable
from pathlib import Path

import asyncpg
import orjson

log = logging.getLogger(__name__)

SHARED_MIGRATIONS = Path(__file__).parent / "migrations"


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=_dumps, decoder=orjson.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=_dumps, decoder=orjson.loads, schema="pg_catalog")


async def _reset_on_release(conn: asyncpg.Connection) -> None:
    # Pooled connections only ever hold transaction-scoped state (xact advisory locks; no SET,
    # LISTEN or session locks: those use dedicated connections), so asyncpg's default reset
    # query would be one needless round trip per request. An abandoned transaction still ends.
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def connect(dsn: str, schema: str, application_name: str = "contest") -> asyncpg.Connection:
    conn = await asyncpg.connect(
        dsn, server_settings={"search_path": schema, "application_name": application_name}
    )
    await _init_connection(conn)
    return conn


async def create_pool(
    dsn: str, schema: str, *, min_size: int = 2, max_size: int = 10, application_name: str = "contest"
) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_reset_on_release,
        server_settings={"search_path": schema, "application_name": application_name},
        command_timeout=30,
    )


def _lock_id(schema: str) -> int:
    return zlib.crc32(f"migrate:{schema}".encode())


def migration_files(dirs: Iterable[Path]) -> list[Path]:
    """Shared infrastructure first, then the service's own files, each folder in name order."""
    files: list[Path] = []
    for d in dirs:
        files.extend(sorted(p for p in Path(d).glob("*.sql")))
    return files


async def migrate(dsn: str, schema: str, dirs: Iterable[Path]) -> list[str]:
    """Apply pending migrations in order; safe to run twice and from two processes at once.

    A session advisory lock serialises concurrent migrators; each file runs in its own
    transaction together with its record in `schema_migrations`.
    """
    applied_now: list[str] = []
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _lock_id(schema))
        try:
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            await conn.execute(f'SET search_path TO "{schema}"')
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
            for path in migration_files(dirs):
                name = f"{path.parent.parent.name}/{path.name}"
                if name in done:
                    continue
                async with conn.transaction():
                    await conn.execute(path.read_text(encoding="utf-8"))
                    await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
                applied_now.append(name)
                log.info("applied migration %s to schema %s", name, schema)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _lock_id(schema))
    finally:
        await conn.close()
    return applied_now


async def drop_schema(dsn: str, schema: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()
