"""Initiatives in PostgreSQL: drafts, status changes, the public gallery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.initiatives.domain import initiative_id


@dataclass(frozen=True)
class Initiative:
    id: str
    unit_id: str
    field: str
    title: str
    summary: str
    description: str
    links: list[dict[str, Any]]
    contact: str
    status: str
    return_reason: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    approved_at: datetime | None
    publish_version: int

    def public(self) -> dict[str, Any]:
        """What the gallery shows (no contact, no workflow details)."""
        return {"id": self.id, "content_id": self.id, "unit_id": self.unit_id, "field": self.field,
                "title": self.title, "summary": self.summary, "description": self.description,
                "links": self.links, "approved_at": _iso(self.approved_at)}

    def full(self) -> dict[str, Any]:
        return {**self.public(), "contact": self.contact, "status": self.status,
                "return_reason": self.return_reason, "created_by": self.created_by,
                "created_at": _iso(self.created_at), "updated_at": _iso(self.updated_at),
                "submitted_at": _iso(self.submitted_at)}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


_COLS = ("id, unit_id, field, title, summary, description, links, contact, status, return_reason, created_by,"
         " created_at, updated_at, submitted_at, approved_at, publish_version")


def _ini(row: asyncpg.Record) -> Initiative:
    return Initiative(**dict(row))


async def create(conn: asyncpg.Connection, *, unit_id: str, created_by: str, fields: dict[str, Any]) -> Initiative:
    seq = await conn.fetchval("SELECT nextval('initiative_seq')")
    row = await conn.fetchrow(
        f"INSERT INTO initiatives (id, unit_id, field, title, summary, description, links, contact, created_by)"
        f" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {_COLS}",
        initiative_id(seq), unit_id, fields["field"], fields["title"], fields["summary"], fields["description"],
        fields["links"], fields["contact"], created_by,
    )
    return _ini(row)


async def get(conn: asyncpg.Connection, ini_id: str, *, for_update: bool = False) -> Initiative | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT {_COLS} FROM initiatives WHERE id = $1{lock}", ini_id)
    return _ini(row) if row else None


async def update_fields(conn: asyncpg.Connection, ini_id: str, fields: dict[str, Any]) -> Initiative:
    row = await conn.fetchrow(
        f"UPDATE initiatives SET field = $2, title = $3, summary = $4, description = $5, links = $6, contact = $7,"
        f" updated_at = now() WHERE id = $1 RETURNING {_COLS}",
        ini_id, fields["field"], fields["title"], fields["summary"], fields["description"], fields["links"],
        fields["contact"],
    )
    return _ini(row)


async def set_status(conn: asyncpg.Connection, ini_id: str, status: str, *, reason: str | None = None,
                     bump_version: bool = False) -> Initiative:
    row = await conn.fetchrow(
        f"UPDATE initiatives SET status = $2, return_reason = $3, updated_at = now(),"
        f" submitted_at = CASE WHEN $2 = 'submitted' THEN now() ELSE submitted_at END,"
        f" approved_at = CASE WHEN $2 = 'approved' THEN now() ELSE approved_at END,"
        f" publish_version = publish_version + CASE WHEN $4 THEN 1 ELSE 0 END"
        f" WHERE id = $1 RETURNING {_COLS}",
        ini_id, status, reason, bump_version,
    )
    return _ini(row)


async def search(conn: asyncpg.Connection, *, statuses: list[str] | None = None, unit_id: str | None = None,
                 field: str | None = None, ids: list[str] | None = None, limit: int = 100,
                 offset: int = 0, newest_first: bool = False) -> tuple[int, list[Initiative]]:
    where = ("($1::text[] IS NULL OR status = ANY($1)) AND ($2::text IS NULL OR unit_id = $2)"
             " AND ($3::text IS NULL OR field = $3) AND ($4::text[] IS NULL OR id = ANY($4))")
    total = await conn.fetchval(f"SELECT count(*) FROM initiatives WHERE {where}", statuses, unit_id, field, ids)
    rows = await conn.fetch(
        f"SELECT {_COLS} FROM initiatives WHERE {where}"
        f" ORDER BY {'approved_at DESC NULLS LAST, id DESC' if newest_first else 'id'} LIMIT $5 OFFSET $6",
        statuses, unit_id, field, ids, limit, offset,
    )
    return total, [_ini(r) for r in rows]


async def count_by_status(conn: asyncpg.Connection) -> dict[str, int]:
    rows = await conn.fetch("SELECT status, count(*) AS n FROM initiatives GROUP BY status")
    return {r["status"]: r["n"] for r in rows}
