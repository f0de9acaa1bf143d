"""Public routes: signed batch ingestion, the portal's like button, content stats."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
import orjson
from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import JSONResponse

from services.engagement import limits, state_store, store
from services.engagement.domain import MALFORMED, PORTAL, Item, PlatformConfig, Rejection, hash_actor
from services.engagement.ingest import count_metrics, events_counter, hash_key, ingest_items, ingest_raw
from services.engagement.signing import SignatureError, verify
from shared.auth import bearer, verify_participant_token
from shared.errors import ContestError
from shared.ratelimit import too_many_requests
from shared.service import Runtime, RuntimeDep

router = APIRouter(tags=["engagement"])
ContentId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]


@router.post("/api/ingest", status_code=202, summary="Nhận một lô sự kiện đã ký (Standard Webhooks)")
async def ingest(
    request: Request, rt: RuntimeDep,
    webhook_platform: Annotated[str | None, Header()] = None,
    webhook_id: Annotated[str | None, Header()] = None,
    webhook_timestamp: Annotated[str | None, Header()] = None,
    webhook_signature: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    body = await request.body()
    platform = await _signed_by(rt, body, webhook_platform, webhook_id, webhook_timestamp, webhook_signature)
    assert webhook_id is not None  # _signed_by refuses a request without one
    raw = _batch_of(body, rt.contest.engagement.max_batch)
    wait = limits.platform_retry_after(rt, platform, len(raw))
    if wait > 0:
        raise too_many_requests(wait, "Nền tảng gửi quá nhiều sự kiện, vui lòng thử lại sau.")
    async with rt.pool.acquire() as conn, conn.transaction():
        if not await store.claim_delivery(conn, platform.id, webhook_id, len(raw)):
            return await _replayed(conn, rt, platform.id, webhook_id)
        result = await ingest_raw(conn, rt, [(platform, e) for e in raw], now=datetime.now(UTC))
    count_metrics(rt, result)
    return JSONResponse(result.response(), status_code=202)


async def _signed_by(rt: Runtime, body: bytes, platform_id: str | None, webhook_id: str | None,
                     timestamp: str | None, signature: str | None) -> PlatformConfig:
    """The registered platform whose secret signed this request, or the refusal (400/401)."""
    if not platform_id:
        raise ContestError(400, "missing_platform", "Thiếu tiêu đề webhook-platform (mã nền tảng đã đăng ký).")
    async with rt.pool.acquire() as conn:
        platform = await store.get_platform(conn, platform_id)
    if platform is None or not platform.secrets:
        raise ContestError(401, "unknown_platform", "Nền tảng chưa được đăng ký để gửi sự kiện.")
    try:
        verify(platform.secrets, webhook_id, timestamp, body, signature,
               now=time.time(), tolerance_seconds=rt.settings.webhook_tolerance_seconds)  # type: ignore[attr-defined]
    except SignatureError as exc:
        # Missing headers are an unauthenticated request like a wrong signature: 401 either way.
        raise ContestError(401, exc.code, exc.message) from None
    assert webhook_id is not None
    if len(webhook_id) > 200:
        raise ContestError(400, "invalid_webhook_id", "webhook-id dài tối đa 200 ký tự.")
    return platform


def _batch_of(body: bytes, max_batch: int) -> list[dict[str, Any]]:
    """The batch's events: a JSON array of objects (or `{"events": [...]}`), whole or refused."""
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ContestError(400, "invalid_json", "Nội dung không phải JSON hợp lệ.") from None
    if isinstance(raw, dict) and isinstance(raw.get("events"), list):
        raw = raw["events"]
    if not isinstance(raw, list):
        raise ContestError(422, "malformed_batch", "Lô sự kiện phải là một mảng JSON (hoặc {\"events\": [...]}).")
    if len(raw) > max_batch:
        raise ContestError(413, "batch_too_large", f"Mỗi lô tối đa {max_batch} sự kiện (lô này có {len(raw)}).")
    not_objects = [Rejection(i, MALFORMED, "Mỗi sự kiện phải là một đối tượng JSON.").as_dict()
                   for i, e in enumerate(raw) if not isinstance(e, dict)]
    if not_objects:
        raise ContestError(422, "malformed_batch",
                           "Lô có phần tử không phải đối tượng JSON; không sự kiện nào được ghi.",
                           details=not_objects[:100])
    return raw


async def _replayed(conn: asyncpg.Connection, rt: Runtime, platform_id: str, webhook_id: str) -> JSONResponse:
    """A webhook-id seen before (the platform retried): nothing is stored twice."""
    n = await store.delivery_size(conn, platform_id, webhook_id) or 0
    events_counter(rt).labels("duplicate").inc(n)
    return JSONResponse({"accepted": 0, "duplicates": n, "rejected": [], "replay": True}, status_code=202)


# --- the portal's like button -------------------------------------------------------------

async def _participant(rt: Runtime, authorization: str | None) -> str:
    claims = verify_participant_token(rt.settings.participant_public_key, bearer(authorization), rt.contest.contest_id)
    return claims.id


async def _portal_like(rt: Runtime, content_id: str, authorization: str | None, action: str) -> dict[str, Any]:
    claims = verify_participant_token(rt.settings.participant_public_key, bearer(authorization), rt.contest.contest_id)
    # Likes count only from a phone proved by a one-time code (`pv`, set by quiz): throw-away
    # registrations cannot like. Unlike needs no proof: it can only take back.
    if action == "like" and not claims.phone_verified:
        raise ContestError(403, "phone_unverified", "Vui lòng xác minh số điện thoại bằng mã OTP (trang Cuộc thi) "
                       "trước khi bình chọn.")
    participant = claims.id
    actor = hash_actor(hash_key(rt), PORTAL, participant)
    async with rt.pool.acquire() as conn:
        platform = await store.get_platform(conn, PORTAL)
        status = await store.content_status(conn, content_id)
    if platform is None or status != "published":
        raise ContestError(404, "unknown_content", "Không tìm thấy sáng kiến này trong thư viện bình chọn.")
    now = datetime.now(UTC)
    if not rt.contest.phase(rt.contest.initiatives.phase_id).contains(now):
        raise ContestError(409, "outside_window", "Giai đoạn bình chọn sáng kiến chưa mở hoặc đã kết thúc.")
    item = Item(0, PORTAL, content_id, actor, action, now, f"portal-{uuid.uuid4()}")
    ok, limited = limits.limit_actors(rt, platform, [item])
    if limited:
        raise too_many_requests(5, "Bạn thao tác quá nhanh, vui lòng thử lại sau ít giây.")
    async with rt.pool.acquire() as conn, conn.transaction():
        result = await ingest_items(conn, rt, ok)
        stats = await state_store.get_stats(conn, content_id)
        liked = await state_store.is_liked(conn, PORTAL, actor, content_id)
    count_metrics(rt, result)
    return {"content_id": content_id, "liked": liked, "changed": result.effective > 0,
            "quarantined": result.quarantined > 0, "likes": stats["likes"]}


@router.post("/api/contents/{content_id}/like", summary="Thích một sáng kiến (cổng thông tin)")
async def like(content_id: ContentId, rt: RuntimeDep,
               authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    return await _portal_like(rt, content_id, authorization, "like")


@router.delete("/api/contents/{content_id}/like", summary="Bỏ thích một sáng kiến (cổng thông tin)")
async def unlike(content_id: ContentId, rt: RuntimeDep,
                 authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    return await _portal_like(rt, content_id, authorization, "unlike")


@router.get("/api/contents/{content_id}/stats", summary="Số lượt thích, chia sẻ, bình luận, xem")
async def stats(content_id: ContentId, rt: RuntimeDep,
                authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    liked_by_me: bool | None = None
    participant = None
    if authorization:  # public counts: a stale or bad token only drops liked_by_me
        try:
            participant = await _participant(rt, authorization)
        except ContestError:
            participant = None
    async with rt.pool.acquire() as conn:
        counts = await state_store.get_stats(conn, content_id)
        if participant is not None:
            liked_by_me = await state_store.is_liked(conn, PORTAL, hash_actor(hash_key(rt), PORTAL, participant), content_id)
    return {"content_id": content_id, **counts, "liked_by_me": liked_by_me}
