"""The one error a rule raises when it says no, in any service and any layer.

Framework-free: domain modules raise it without knowing about HTTP. `status` names the kind of
refusal (the status the HTTP edge answers with: 404 not found, 409 conflict with the current state,
422 invalid input, ...); `shared/http.py` is the only place that turns it into a response,
`{"error": {"code", "message", "details"?}}`. Clients branch on `code`, people read `message`.
"""

from __future__ import annotations

from typing import Any


class ContestError(Exception):
    """A rule said no. `field` (optional) names the input at fault; it becomes `details` if none given."""

    def __init__(self, status: int, code: str, message: str, details: Any = None, *,
                 field: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        if details is None and field:
            details = [{"field": field, "message": code}]
        self.status, self.code, self.message = status, code, message
        self.details, self.field, self.headers = details, field, headers
