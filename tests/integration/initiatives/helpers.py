"""Shared steps of the initiatives integration tests (real broker + PostgreSQL)."""

from __future__ import annotations

from typing import Any

import httpx

from services.initiatives.app import create_app
from services.initiatives.settings import InitiativesSettings

PASSWORD = "mat-khau-an-toan-123"


def make_app(ns: Any, **overrides: Any):
    return create_app(InitiativesSettings(**ns.settings_kwargs("initiatives", **overrides)))


def admin(ns: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {ns.admin_token}"}


async def account(client: httpx.AsyncClient, ns: Any, username: str, role: str,
                  unit_id: str | None = None) -> dict[str, str]:
    """Create a staff account as the organizers, log in, return its auth header."""
    body = {"username": username, "display_name": username.title(), "role": role, "password": PASSWORD}
    if unit_id:
        body["unit_id"] = unit_id
    r = await client.post("/api/admin/initiatives/staff", json=body, headers=admin(ns))
    assert r.status_code == 201, r.text
    r = await client.post("/api/staff/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


DRAFT = {
    "title": "Chợ 4.0 – thanh toán không dùng tiền mặt",
    "field": "kinh-te-so",
    "summary": "Đưa thanh toán QR vào chợ xã, tiểu thương được hướng dẫn tận nơi.",
    "description": "Tổ công nghệ số cộng đồng hướng dẫn 120 tiểu thương mở tài khoản, in mã QR, "
                   "và theo dõi doanh thu trên điện thoại.",
    "links": [{"kind": "photo", "url": "https://example.org/anh-cho.jpg", "label": "Ảnh chợ"}],
    "contact": "0912 345 678",
}


async def approved_initiative(client: httpx.AsyncClient, ns: Any, rep: dict[str, str], **fields: Any) -> str:
    r = await client.post("/api/initiatives/manage", json={**DRAFT, **fields}, headers=rep)
    assert r.status_code == 201, r.text
    ini_id = r.json()["id"]
    r = await client.post(f"/api/initiatives/manage/{ini_id}/submit", headers=rep)
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/admin/initiatives/initiatives/{ini_id}/approve", headers=admin(ns))
    assert r.status_code == 200, r.text
    return ini_id


def scores(**values: float) -> list[dict[str, Any]]:
    return [{"criterion_id": k, "score": v} for k, v in values.items()]
