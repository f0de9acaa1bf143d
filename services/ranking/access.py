"""Who may run the results (freeze, reveal, the prediction's reference value): the organizers' admin
token, or the staff token of an organizer or a head judge. Staff tokens are signed by the initiatives
service (HS256, services/initiatives/accounts.py); ranking verifies them offline when it is given the
same STAFF_TOKEN_SECRET, and accepts only the admin token when it is not. A disabled account's token
stays valid here until it expires (initiatives checks the account on every request; ranking cannot)."""

from __future__ import annotations

import hmac

import jwt

from shared.auth import bearer
from shared.errors import ContestError
from shared.service import Runtime

STAFF_ISSUER = "unghoa-contest/initiatives"  # the claims initiatives issues
STAFF_AUDIENCE = "staff"
RESULT_ROLES = ("organizer", "head_judge")


def results_operator(rt: Runtime, authorization: str | None) -> str:
    """The caller's id ("admin" or the staff id); 401 without a token, 403 for anyone else."""
    token = bearer(authorization)
    admin = rt.settings.admin_token.get_secret_value()
    if admin and hmac.compare_digest(token.encode(), admin.encode()):
        return "admin"
    secret = getattr(rt.settings, "staff_token_secret", None)
    if secret is None or token.count(".") != 2:
        raise ContestError(403, "forbidden", "Mã quản trị không đúng.")
    try:
        claims = jwt.decode(token, secret.get_secret_value(), algorithms=["HS256"], audience=STAFF_AUDIENCE,
                            issuer=STAFF_ISSUER, options={"require": ["sub", "exp", "iat"]})
    except jwt.ExpiredSignatureError:
        raise ContestError(401, "token_expired", "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.") from None
    except jwt.InvalidTokenError:
        raise ContestError(403, "forbidden", "Mã quản trị không đúng.") from None
    if claims.get("role") not in RESULT_ROLES:
        raise ContestError(403, "forbidden", "Chỉ Ban tổ chức và Trưởng ban giám khảo được điều khiển kết quả.")
    return str(claims["sub"])
