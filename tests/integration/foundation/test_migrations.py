"""Migrations (shared/db.py): ordered, recorded, a no-op the second time, safe from two migrators."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import asyncpg

from shared import db

ROOT = Path(__file__).resolve().parents[3]
ALL = ["shared/0001_outbox_and_dedupe.sql", "shared/0002_outbox_headers.sql", "svc/001_first.sql", "svc/002_second.sql"]

# Deliberately NOT idempotent: a second application would fail (CREATE TABLE) or double the rows.
FIRST = """
CREATE TABLE ledger (n int NOT NULL);
INSERT INTO ledger VALUES (1);
"""
SECOND = """
ALTER TABLE ledger ADD COLUMN note text;
INSERT INTO ledger VALUES (2, 'second');
"""


def service_migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "svc" / "migrations"
    folder.mkdir(parents=True)
    # written out of order on purpose: files apply in name order
    (folder / "002_second.sql").write_text(SECOND, encoding="utf-8")
    (folder / "001_first.sql").write_text(FIRST, encoding="utf-8")
    return folder


async def state(dsn: str, schema: str) -> tuple[list[str], list[int]]:
    conn = await asyncpg.connect(dsn)
    try:
        records = await conn.fetch(f'SELECT name FROM "{schema}".schema_migrations ORDER BY name')
        names = [r["name"] for r in records]
        rows = [r["n"] for r in await conn.fetch(f'SELECT n FROM "{schema}".ledger ORDER BY n')]
        return names, rows
    finally:
        await conn.close()


async def test_applying_twice_is_a_no_op(ns, tmp_path):
    schema = ns.schema("mig")
    dirs = [db.SHARED_MIGRATIONS, service_migrations(tmp_path)]
    try:
        first = await db.migrate(ns.database_url, schema, dirs)
        assert first == ALL
        assert await db.migrate(ns.database_url, schema, dirs) == []
        assert await db.migrate(ns.database_url, schema, dirs) == []
        names, rows = await state(ns.database_url, schema)
        assert names == sorted(first)
        assert rows == [1, 2]

        # a new file added later is applied alone, after the others
        (dirs[1] / "003_third.sql").write_text("INSERT INTO ledger VALUES (3, 'third');", encoding="utf-8")
        assert await db.migrate(ns.database_url, schema, dirs) == ["svc/003_third.sql"]
        assert (await state(ns.database_url, schema))[1] == [1, 2, 3]
    finally:
        await db.drop_schema(ns.database_url, schema)


async def test_failed_file_rolls_back_with_its_record(ns, tmp_path):
    schema = ns.schema("migfail")
    folder = service_migrations(tmp_path)
    (folder / "003_broken.sql").write_text("INSERT INTO ledger VALUES (3); SELECT no_such_function();")
    dirs = [db.SHARED_MIGRATIONS, folder]
    try:
        try:
            await db.migrate(ns.database_url, schema, dirs)
            raise AssertionError("a broken migration must fail")
        except asyncpg.PostgresError:
            pass
        names, rows = await state(ns.database_url, schema)
        assert "svc/003_broken.sql" not in names and rows == [1, 2]  # nothing of the broken file stayed
        (folder / "003_broken.sql").write_text("INSERT INTO ledger VALUES (3);")
        assert await db.migrate(ns.database_url, schema, dirs) == ["svc/003_broken.sql"]
        assert (await state(ns.database_url, schema))[1] == [1, 2, 3]
    finally:
        await db.drop_schema(ns.database_url, schema)


async def test_concurrent_migrators_on_a_fresh_schema(ns, tmp_path):
    """Two coroutines (two connections) and two OS processes race on fresh schemas."""
    folder = service_migrations(tmp_path)
    # widen the race window: the first file holds its transaction open for a moment
    (folder / "001_first.sql").write_text(FIRST + "SELECT pg_sleep(0.3);", encoding="utf-8")
    dirs = [db.SHARED_MIGRATIONS, folder]

    schema = ns.schema("migrace")
    try:
        results = await asyncio.gather(*(db.migrate(ns.database_url, schema, dirs) for _ in range(4)))
        applied = [name for r in results for name in r]
        assert sorted(applied) == ALL
        assert sum(1 for r in results if r) == 1  # one migrator did everything, the others found it done
        names, rows = await state(ns.database_url, schema)
        assert len(names) == len(ALL) and rows == [1, 2]
    finally:
        await db.drop_schema(ns.database_url, schema)

    schema = ns.schema("migproc")
    code = (
        "import asyncio, sys; from pathlib import Path; from shared import db;"
        "dirs = [db.SHARED_MIGRATIONS, Path(sys.argv[3])];"
        "print(len(asyncio.run(db.migrate(sys.argv[1], sys.argv[2], dirs))))"
    )
    try:
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-c", code, ns.database_url, schema, str(folder), cwd=ROOT,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
            for _ in range(2)
        ]
        outs = [await asyncio.wait_for(p.communicate(), 60) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], [o[1].decode()[-2000:] for o in outs]
        assert sorted(int(o[0]) for o in outs) == [0, len(ALL)]
        names, rows = await state(ns.database_url, schema)
        assert len(names) == len(ALL) and rows == [1, 2]
    finally:
        await db.drop_schema(ns.database_url, schema)
