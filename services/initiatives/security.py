"""Who is calling: the organizers' admin token, or a staff token (with its account still active)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header

from services.initiatives import store_staff
from services.initiatives.accounts import InvalidStaffToken, decode_staff_token
from services.initiatives.settings import InitiativesSettings
from shared.auth import bearer
from shared.errors import ContestError
from shared.service import RuntimeDep


@dataclass(frozen=True)
class Actor:
    id: str
    role: str
    unit_id: str | None
    display_name: str

    @property
    def is_organizer(self) -> bool:
        return self.role == "organizer"


ADMIN = Actor(id="admin", role="organizer", unit_id=None, display_name="Ban tổ chức")


async def current_actor(runtime: RuntimeDep, authorization: Annotated[str | None, Header()] = None) -> Actor:
    token = bearer(authorization)
    admin = runtime.settings.admin_token.get_secret_value()
    if admin and hmac.compare_digest(token.encode(), admin.encode()):
        return ADMIN
    settings = runtime.settings
    assert isinstance(settings, InitiativesSettings)
    try:
        claims = decode_staff_token(settings.staff_token_secret.get_secret_value(), token)
    except InvalidStaffToken as exc:
        if exc.expired:
            raise ContestError(401, "token_expired", "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.") from None
        raise ContestError(401, "invalid_token", "Mã đăng nhập không hợp lệ.") from None
    async with runtime.pool.acquire() as conn:
        staff = await store_staff.get(conn, claims["sub"])
    if staff is None or not staff.active:
        raise ContestError(401, "account_disabled", "Tài khoản không còn hoạt động.")
    if claims.get("ver") != staff.token_version:  # the password changed since this token was issued
        raise ContestError(401, "token_revoked", "Mật khẩu đã đổi, vui lòng đăng nhập lại.")
    return Actor(id=staff.id, role=staff.role, unit_id=staff.unit_id, display_name=staff.display_name)


ActorDep = Annotated[Actor, Depends(current_actor)]


def require_role(actor: Actor, *roles: str) -> None:
    if actor.role not in roles:
        raise ContestError(403, "forbidden", "Tài khoản của bạn không có quyền thực hiện thao tác này.")


async def organizer(actor: ActorDep) -> Actor:
    require_role(actor, "organizer")
    return actor


async def judge(actor: ActorDep) -> Actor:
    require_role(actor, "judge", "head_judge")
    return actor


OrganizerDep = Annotated[Actor, Depends(organizer)]
JudgeDep = Annotated[Actor, Depends(judge)]
