"""Every failure a route can raise reaches the client as `{"error": {code, message}}`, never a trace."""

from __future__ import annotations

import asyncpg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shared.errors import ContestError
from shared.http import install_error_handlers


def _client(exc: BaseException) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise exc

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (ContestError(409, "already_submitted", "Đã nộp bài."), 409, "already_submitted"),
        (asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence: 0x00"), 422, "invalid_input"),
        (asyncpg.exceptions.NumericValueOutOfRangeError("bigint out of range"), 422, "invalid_input"),
        (asyncpg.exceptions._base.DataError("invalid input for query argument $1"), 422, "invalid_input"),
        (OverflowError("int too big to convert"), 422, "invalid_input"),
        (asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"), 503, "unavailable"),
        (asyncpg.exceptions._base.InternalClientError("cannot switch to state 15"), 503, "unavailable"),
        (ConnectionRefusedError(111, "refused"), 503, "unavailable"),
        (RuntimeError("bug"), 500, "internal_error"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_exception_maps_to_status_and_json_error(exc: BaseException, status: int, code: str):
    response = _client(exc).get("/boom")
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"] and "Traceback" not in response.text and type(exc).__name__ not in response.text
    assert (response.headers.get("retry-after") is not None) == (status == 503)
