"""HTTP plumbing every service shares: JSON errors, health/readiness, metrics, body limits.

Every error leaves as `{"error": {"code", "message"}}` with the right status; no stack trace ever
reaches a client. A lost database or broker is a 503 with Retry-After, never a 500.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import ContestError
from shared.metrics import ServiceMetrics
from shared.pages import not_found_page

log = logging.getLogger(__name__)

_STATUS_CODES = {
    400: ("bad_request", "Yêu cầu không hợp lệ."),
    401: ("unauthorized", "Cần đăng nhập hoặc mã xác thực hợp lệ."),
    403: ("forbidden", "Bạn không có quyền thực hiện thao tác này."),
    404: ("not_found", "Không tìm thấy."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ."),
    409: ("conflict", "Xung đột trạng thái."),
    413: ("payload_too_large", "Dữ liệu gửi lên quá lớn."),
    415: ("unsupported_media_type", "Định dạng dữ liệu không được hỗ trợ."),
    422: ("validation_error", "Dữ liệu không hợp lệ."),
    429: ("rate_limited", "Quá nhiều yêu cầu, vui lòng thử lại sau."),
    503: ("unavailable", "Dịch vụ tạm thời gián đoạn, vui lòng thử lại sau giây lát."),
}
# Input that passed validation but that PostgreSQL cannot store (a NUL character, a number beyond
# bigint): the client's fault, so 422 — checked before UNAVAILABLE, the client-side DataError is an
# InterfaceError.
UNSTORABLE_INPUT = (
    asyncpg.exceptions.DataError,
    asyncpg.exceptions._base.DataError,
    OverflowError,
)
UNAVAILABLE = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.TooManyConnectionsError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.InternalClientError,  # e.g. a pooled connection closed under a running query
    ConnectionError,
    TimeoutError,
    OSError,
)


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        err["details"] = details
    return {"error": err}


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors()[:20]:
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        out.append({"field": ".".join(loc) or "(body)", "message": str(err.get("msg", ""))})
    return out


def wants_page(request: Request) -> bool:
    """A browser navigating to a page (not the API, not a script's fetch): it gets HTML errors."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ContestError)
    async def _contest_error(_: Request, exc: ContestError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and wants_page(request):
            return not_found_page()
        code, default = _STATUS_CODES.get(exc.status_code, ("error", "Lỗi."))
        message = exc.detail if isinstance(exc.detail, str) and exc.detail not in ("Not Found",) else default
        return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        if _not_json(request, exc):
            code, message = _STATUS_CODES[415]
            return error_response(415, code, "Dữ liệu phải gửi dạng JSON (Content-Type: application/json).")
        details = _validation_details(exc)
        first = details[0] if details else {"field": "(body)", "message": ""}
        return error_response(
            422, "validation_error", f"Dữ liệu không hợp lệ ở trường {first['field']}: {first['message']}", details
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return unexpected_error_response(request.method, request.url.path, exc)

    # Starlette's handler for `Exception` answers and then re-raises: the server logs "Exception in
    # ASGI application" and drops the keep-alive connection. Answer here instead, once and cleanly.
    app.add_middleware(UnexpectedErrorMiddleware)


def _not_json(request: Request, exc: RequestValidationError) -> bool:
    """A JSON body was expected and something else was sent (a form, text, nothing typed)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/json", "multipart/form-data") or content_type.endswith("+json"):
        return False
    # FastAPI hands a non-JSON body to the model as raw bytes: "should be a valid dictionary/list".
    return any(tuple(e.get("loc", ()))[:1] == ("body",) and e.get("type") in _RAW_BODY_ERRORS for e in exc.errors())


_RAW_BODY_ERRORS = {"model_attributes_type", "dict_type", "list_type"}


def unexpected_error_response(method: str, path: str, exc: BaseException) -> JSONResponse:
    if isinstance(exc, UNSTORABLE_INPUT):
        log.info("%s %s: unstorable input: %r", method, path, exc)
        return error_response(
            422, "invalid_input", "Dữ liệu chứa ký tự hoặc giá trị không được hỗ trợ (ví dụ ký tự NUL, số quá lớn)."
        )
    if isinstance(exc, UNAVAILABLE):
        log.warning("%s %s: dependency unavailable: %r", method, path, exc)
        code, message = _STATUS_CODES[503]
        return error_response(503, code, message, headers={"Retry-After": "2"})
    log.error("%s %s failed", method, path, exc_info=exc)
    return error_response(500, "internal_error", "Lỗi hệ thống. Vui lòng thử lại sau.")


class UnexpectedErrorMiddleware:
    """An exception no handler took becomes its JSON answer here (unless the response had already
    started: then only closing the connection is honest, and the server does that)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started or isinstance(exc, _BodyTooLarge):
                raise
            response = unexpected_error_response(scope.get("method", ""), scope.get("path", ""), exc)
            await response(scope, receive, send)


class BodyLimitMiddleware:
    """Rejects request bodies over `max_bytes` (by Content-Length, and while streaming) with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int, overrides: dict[str, int] | None = None) -> None:
        self.app, self.max_bytes, self.overrides = app, max_bytes, overrides or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = next((v for k, v in self.overrides.items() if scope["path"].startswith(k)), self.max_bytes)
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await _send_json(send, 413, error_body(*_STATUS_CODES[413]))
                return
        received = 0
        answered = False  # the 413 went out: whatever the app still sends is dropped

        async def limited_receive() -> Message:
            nonlocal received, answered
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit and not answered:
                    # Answered here: raised into the app, the body parser would turn it into a 400.
                    answered = True
                    await _send_json(send, 413, error_body(*_STATUS_CODES[413]))
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            if not answered:
                await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _BodyTooLarge:
            pass
        except Exception:
            if not answered:
                raise


class _BodyTooLarge(Exception):
    """Aborts the app once BodyLimitMiddleware has answered 413."""


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    import orjson

    raw = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": raw})


class MetricsMiddleware:
    """Counts requests and observes latency by route template (bounded label values)."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "(unmatched)"
            method = scope.get("method", "GET")
            self.metrics.http_requests.labels(method, template, str(status)).inc()
            self.metrics.http_latency.labels(method, template).observe(time.perf_counter() - started)


Check = Callable[[], Awaitable[None]]


def ops_router(metrics: ServiceMetrics, checks: dict[str, Check]) -> APIRouter:
    """`/healthz` (process alive), `/readyz` (dependencies reachable), `/metrics`."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await check()
                results[name] = "ok"
            except Exception as exc:  # report, don't raise: readiness is an answer, not an error
                results[name] = f"unavailable: {type(exc).__name__}"
        ready = all(v == "ok" for v in results.values())
        return JSONResponse({"status": "ready" if ready else "not_ready", "checks": results},
                            status_code=200 if ready else 503)

    @router.get("/metrics")
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router
