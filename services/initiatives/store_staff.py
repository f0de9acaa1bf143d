"""Staff accounts in PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class Staff:
    id: str
    display_name: str
    role: str
    unit_id: str | None
    active: bool
    created_at: datetime
    token_version: int = 1  # bumped by a password change: older tokens are refused

    def public(self) -> dict:
        return {"id": self.id, "display_name": self.display_name, "role": self.role, "unit_id": self.unit_id,
                "active": self.active, "created_at": self.created_at.isoformat()}


def _staff(row: asyncpg.Record) -> Staff:
    return Staff(row["id"], row["display_name"], row["role"], row["unit_id"], row["active"], row["created_at"],
                 row["token_version"])


_COLS = "id, display_name, role, unit_id, active, created_at, token_version"


async def create(conn: asyncpg.Connection, *, staff_id: str, display_name: str, role: str,
                 unit_id: str | None, password_hash: str) -> Staff | None:
    """None when the id is taken (or the unit already has an active representative)."""
    try:
        row = await conn.fetchrow(
            f"INSERT INTO staff (id, display_name, role, unit_id, password_hash) VALUES ($1, $2, $3, $4, $5)"
            f" ON CONFLICT (id) DO NOTHING RETURNING {_COLS}",
            staff_id, display_name, role, unit_id, password_hash,
        )
    except asyncpg.UniqueViolationError:
        return None
    return _staff(row) if row else None


async def get(conn: asyncpg.Connection, staff_id: str) -> Staff | None:
    row = await conn.fetchrow(f"SELECT {_COLS} FROM staff WHERE id = $1", staff_id)
    return _staff(row) if row else None


async def credentials(conn: asyncpg.Connection, staff_id: str) -> tuple[Staff, str] | None:
    row = await conn.fetchrow(f"SELECT {_COLS}, password_hash FROM staff WHERE id = $1", staff_id)
    return (_staff(row), row["password_hash"]) if row else None


async def list_all(conn: asyncpg.Connection, role: str | None = None) -> list[Staff]:
    rows = await conn.fetch(
        f"SELECT {_COLS} FROM staff WHERE ($1::text IS NULL OR role = $1) ORDER BY role, id", role
    )
    return [_staff(r) for r in rows]


async def judges(conn: asyncpg.Connection) -> list[Staff]:
    rows = await conn.fetch(
        f"SELECT {_COLS} FROM staff WHERE role IN ('judge', 'head_judge') AND active ORDER BY id"
    )
    return [_staff(r) for r in rows]


async def update(conn: asyncpg.Connection, staff_id: str, *, display_name: str | None, active: bool | None,
                 password_hash: str | None) -> Staff | None:
    try:
        row = await conn.fetchrow(
            f"UPDATE staff SET display_name = coalesce($2, display_name), active = coalesce($3, active),"
            f" password_hash = coalesce($4, password_hash),"
            f" token_version = token_version + (CASE WHEN $4::text IS NULL THEN 0 ELSE 1 END)"
            f" WHERE id = $1 RETURNING {_COLS}",
            staff_id, display_name, active, password_hash,
        )
    except asyncpg.UniqueViolationError:
        return None
    return _staff(row) if row else None
