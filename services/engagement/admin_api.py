"""Organizer routes: platforms, content mappings, pending events, quarantine decisions, audit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.engagement import store
from services.engagement.domain import ACTIONS, PORTAL, PlatformConfig
from services.engagement.ingest import decide_quarantine, resolve_pending
from services.engagement.signing import decode_secret
from shared.errors import ContestError
from shared.pages import page
from shared.service import AdminDep, Runtime
from shared.text import PersonName

WEB = Path(__file__).parent / "web"
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
Ref = Annotated[str, Field(min_length=1, max_length=200)]


router = APIRouter(prefix="/api/admin/engagement", tags=["engagement admin"])
pages = APIRouter(include_in_schema=False)


class PlatformIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Slug
    name: Annotated[PersonName, Field(min_length=1, max_length=200)]
    secrets: Annotated[list[str], Field(min_length=1, max_length=5)]
    allowed_actions: Annotated[list[Literal["like", "unlike", "share", "comment", "view"]], Field(min_length=1)] = \
        list(ACTIONS)  # type: ignore[assignment]
    rate_per_second: Annotated[float, Field(gt=0, le=100_000)] = 500.0
    burst: Annotated[int, Field(ge=1, le=1_000_000)] = 5000
    actor_per_minute: Annotated[int, Field(ge=1, le=100_000)] = 120

    @field_validator("secrets")
    @classmethod
    def _whsec(cls, secrets: list[str]) -> list[str]:
        for s in secrets:
            try:
                decode_secret(s)
            except ValueError as exc:
                raise ValueError(f"bí mật không hợp lệ ({exc}); dạng đúng: whsec_<base64 ≥ 16 byte>") from None
        return secrets

    @model_validator(mode="after")
    def _not_portal(self) -> PlatformIn:
        if self.id == PORTAL:
            raise ValueError("'portal' là nền tảng nội bộ, không đăng ký lại được")
        return self

    def config(self) -> PlatformConfig:
        return PlatformConfig(**{**self.model_dump(), "secrets": tuple(self.secrets),
                                 "allowed_actions": tuple(dict.fromkeys(self.allowed_actions))})


def _public(p: PlatformConfig) -> dict[str, Any]:
    out = p.model_dump()
    out["secrets"] = [s[:10] + "…" for s in p.secrets]  # never echo a whole secret
    out["secret_count"] = len(p.secrets)
    return out


@router.get("/platforms", summary="Danh sách nền tảng")
async def list_platforms(rt: AdminDep) -> list[dict[str, Any]]:
    async with rt.pool.acquire() as conn:
        return [_public(p) for p in await store.list_platforms(conn)]


@router.post("/platforms", status_code=201, summary="Đăng ký nền tảng")
async def create_platform(body: PlatformIn, rt: AdminDep) -> dict[str, Any]:
    async with rt.pool.acquire() as conn, conn.transaction():
        if not await store.upsert_platform(conn, body.config(), create_only=True):
            raise ContestError(409, "platform_exists", f"Nền tảng {body.id!r} đã được đăng ký; dùng PUT để cập nhật.")
        await store.audit(conn, "admin", "platform_create", body.id, {"secrets": len(body.secrets)})
    return _public(body.config())


@router.put("/platforms/{platform_id}", summary="Cập nhật nền tảng (đổi bí mật, giới hạn)")
async def update_platform(platform_id: Slug, body: PlatformIn, rt: AdminDep) -> dict[str, Any]:
    if body.id != platform_id:
        raise ContestError(422, "validation_error", "Mã nền tảng trong đường dẫn và nội dung phải trùng nhau.")
    async with rt.pool.acquire() as conn, conn.transaction():
        await store.upsert_platform(conn, body.config(), create_only=False)
        await store.audit(conn, "admin", "platform_update", body.id, {"secrets": len(body.secrets)})
    return _public(body.config())


class MappingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Slug
    content_ref: Ref
    content_id: Ref


@router.get("/mappings", summary="Ánh xạ bài đăng của nền tảng → sáng kiến")
async def list_mappings(rt: AdminDep, platform: str | None = None) -> list[dict[str, Any]]:
    async with rt.pool.acquire() as conn:
        return await store.list_mappings(conn, platform)


@router.put("/mappings", summary="Tạo hoặc sửa một ánh xạ; các sự kiện đang chờ được tính ngay")
async def put_mapping(body: MappingIn, rt: AdminDep) -> dict[str, Any]:
    async with rt.pool.acquire() as conn, conn.transaction():
        if await store.get_platform(conn, body.platform) is None:
            raise ContestError(404, "unknown_platform", f"Nền tảng {body.platform!r} chưa được đăng ký.")
        await store.upsert_mapping(conn, body.platform, body.content_ref, body.content_id)
        result = await resolve_pending(conn, rt, platform=body.platform, content_ref=body.content_ref)
        await store.audit(conn, "admin", "mapping_put", f"{body.platform}:{body.content_ref}",
                          {"content_id": body.content_id, "resolved": len(result.outcomes)})
        status = await store.content_status(conn, body.content_id)
    return {**body.model_dump(), "content_status": status, "resolved": len(result.outcomes),
            "effective": result.effective}


@router.delete("/mappings/{platform}/{content_ref}", status_code=204, summary="Xóa một ánh xạ")
async def delete_mapping(platform: str, content_ref: str, rt: AdminDep) -> None:
    async with rt.pool.acquire() as conn, conn.transaction():
        if not await store.delete_mapping(conn, platform, content_ref):
            raise ContestError(404, "not_found", "Không có ánh xạ này.")
        await store.audit(conn, "admin", "mapping_delete", f"{platform}:{content_ref}", {})


@router.get("/contents", summary="Danh mục sáng kiến đã biết")
async def contents(rt: AdminDep) -> list[dict[str, Any]]:
    async with rt.pool.acquire() as conn:
        return await store.list_contents(conn)


@router.get("/pending", summary="Sự kiện đang chờ ánh xạ hoặc chờ sáng kiến được công bố")
async def pending(rt: AdminDep) -> list[dict[str, Any]]:
    async with rt.pool.acquire() as conn:
        return await store.pending_summary(conn)


@router.get("/quarantine", summary="Sự kiện bị cách ly (đột biến)")
async def quarantine(rt: AdminDep, status: Literal["held", "released", "rejected"] = "held",
                     limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[dict[str, Any]]:
    async with rt.pool.acquire() as conn:
        return await store.list_quarantine(conn, status, limit)


QuarantineId = Annotated[int, Field(ge=1, le=2**63 - 1)]  # a bigserial


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content_id: Ref | None = None
    ids: Annotated[list[QuarantineId], Field(min_length=1, max_length=10_000)] | None = None

    @model_validator(mode="after")
    def _some(self) -> DecisionIn:
        if self.content_id is None and self.ids is None:
            raise ValueError("cần content_id hoặc ids")
        return self


async def _decide(rt: Runtime, body: DecisionIn, decision: str) -> dict[str, Any]:
    async with rt.pool.acquire() as conn, conn.transaction():
        n, result = await decide_quarantine(conn, rt, decision=decision, content_id=body.content_id, ids=body.ids)
    if n == 0:
        raise ContestError(404, "nothing_held", "Không có sự kiện nào đang bị cách ly khớp yêu cầu.")
    return {"decision": decision, "events": n, "effective": result.effective}


@router.post("/quarantine/release", summary="Thả sự kiện bị cách ly: tính và phát đi")
async def release(body: DecisionIn, rt: AdminDep) -> dict[str, Any]:
    return await _decide(rt, body, "release")


@router.post("/quarantine/reject", summary="Loại sự kiện bị cách ly (giữ lại để kiểm tra)")
async def reject(body: DecisionIn, rt: AdminDep) -> dict[str, Any]:
    return await _decide(rt, body, "reject")


@router.get("/audit", summary="Nhật ký quyết định")
async def audit(rt: AdminDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:
    async with rt.pool.acquire() as conn:
        return await store.list_audit(conn, limit)


@pages.get("/engagement/admin")
async def admin_page() -> HTMLResponse:
    return page(WEB / "admin.html")
