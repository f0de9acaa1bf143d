"""Staff accounts: login for everyone on staff, account management for the organizers."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from services.initiatives import store_staff
from services.initiatives.accounts import hash_password, issue_staff_token, verify_password
from services.initiatives.login_throttle import LoginThrottle
from services.initiatives.security import ActorDep, OrganizerDep
from services.initiatives.settings import InitiativesSettings
from shared.client_address import client_ip
from shared.errors import ContestError
from shared.ratelimit import too_many_requests
from shared.service import Runtime, RuntimeDep
from shared.text import PersonName

router = APIRouter(tags=["staff"])

StaffId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{1,63}$", description="tên đăng nhập")]
Password = Annotated[str, Field(min_length=8, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginIn(Strict):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=200)]


class StaffIn(Strict):
    username: StaffId
    display_name: Annotated[PersonName, Field(min_length=1, max_length=200)]
    role: Literal["unit_rep", "judge", "head_judge", "organizer"]
    unit_id: str | None = None
    password: Password


class StaffPatch(Strict):
    display_name: Annotated[PersonName, Field(min_length=1, max_length=200)] | None = None
    active: bool | None = None
    password: Password | None = None


def _throttle(runtime: Runtime) -> LoginThrottle:
    if "login_throttle" not in runtime.state:
        s = runtime.settings
        assert isinstance(s, InitiativesSettings)
        runtime.state["login_throttle"] = LoginThrottle(
            free_per_account_ip=s.login_free_failures_per_account_ip, free_per_ip=s.login_free_failures_per_ip,
            max_seconds=s.login_backoff_max_seconds)
    return runtime.state["login_throttle"]


@router.post("/api/staff/login")
async def login(body: LoginIn, request: Request, runtime: RuntimeDep) -> dict:
    throttle, username = _throttle(runtime), body.username.lower()
    ip = client_ip(request, runtime.settings.trusted_proxies)  # type: ignore[attr-defined]
    wait = throttle.retry_after(username, ip)
    if wait > 0:
        raise too_many_requests(wait, "Đăng nhập sai quá nhiều lần, vui lòng thử lại sau.")
    async with runtime.pool.acquire() as conn:
        found = await store_staff.credentials(conn, username)
    staff, stored_hash = found if found else (None, None)
    if not verify_password(stored_hash, body.password) or staff is None:
        throttle.failed(username, ip)
        raise ContestError(401, "invalid_credentials", "Tên đăng nhập hoặc mật khẩu không đúng.")
    throttle.succeeded(username, ip)
    if not staff.active:
        raise ContestError(403, "account_disabled", "Tài khoản đã bị khóa.")
    settings = runtime.settings
    token = issue_staff_token(
        settings.staff_token_secret.get_secret_value(), staff_id=staff.id, role=staff.role,  # type: ignore[attr-defined]
        unit_id=staff.unit_id, ttl=timedelta(hours=settings.staff_token_ttl_hours),  # type: ignore[attr-defined]
        version=staff.token_version,
    )
    return {"token": token, "staff": staff.public()}


@router.get("/api/staff/me")
async def me(actor: ActorDep, runtime: RuntimeDep) -> dict:
    unit = runtime.contest.units_by_id.get(actor.unit_id or "")
    return {"id": actor.id, "display_name": actor.display_name, "role": actor.role, "unit_id": actor.unit_id,
            "unit_name": unit.name if unit else None}


@router.post("/api/admin/initiatives/staff", status_code=201)
async def create_staff(body: StaffIn, _: OrganizerDep, runtime: RuntimeDep) -> dict:
    units = runtime.contest.units_by_id
    if body.role == "unit_rep" and not body.unit_id:
        raise ContestError(422, "unit_required", "Tài khoản đại diện đơn vị phải gắn với một đơn vị.")
    if body.role == "organizer" and body.unit_id:
        raise ContestError(422, "unit_not_allowed", "Tài khoản ban tổ chức không gắn với đơn vị.")
    if body.unit_id and body.unit_id not in units:
        raise ContestError(422, "unknown_unit", f"Không có đơn vị “{body.unit_id}”.")
    async with runtime.pool.acquire() as conn:
        staff = await store_staff.create(
            conn, staff_id=body.username, display_name=body.display_name, role=body.role,
            unit_id=body.unit_id, password_hash=hash_password(body.password),
        )
    if staff is None:
        raise ContestError(409, "already_exists",
                       "Tên đăng nhập đã tồn tại, hoặc đơn vị này đã có tài khoản đại diện.")
    return staff.public()


@router.get("/api/admin/initiatives/staff")
async def list_staff(_: OrganizerDep, runtime: RuntimeDep, role: str | None = None) -> dict:
    async with runtime.pool.acquire() as conn:
        items = await store_staff.list_all(conn, role)
    return {"items": [s.public() for s in items]}


@router.patch("/api/admin/initiatives/staff/{staff_id}")
async def update_staff(staff_id: str, body: StaffPatch, _: OrganizerDep, runtime: RuntimeDep) -> dict:
    async with runtime.pool.acquire() as conn:
        if await store_staff.get(conn, staff_id) is None:
            raise ContestError(404, "not_found", "Không tìm thấy tài khoản.")
        staff = await store_staff.update(
            conn, staff_id, display_name=body.display_name, active=body.active,
            password_hash=hash_password(body.password) if body.password else None,
        )
    if staff is None:
        raise ContestError(409, "already_exists", "Đơn vị này đã có một tài khoản đại diện đang hoạt động.")
    return staff.public()
