"""The SMS port's adapters (issue 12, item 6): the HTTP sender against a real local HTTP server, the
console sender's file, and the settings that choose between them."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from services.quiz.settings import QuizSettings
from services.quiz.sms import ConsoleSmsSender, HttpSmsSender, sms_sender
from shared.errors import ContestError


@pytest.fixture
def gateway() -> Iterator[dict[str, Any]]:
    seen: dict[str, Any] = {"requests": [], "status": 200}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen["requests"].append({"auth": self.headers.get("Authorization"), "body": json.loads(body)})
            self.send_response(seen["status"])
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    seen["url"] = f"http://127.0.0.1:{server.server_port}/send"
    yield seen
    server.shutdown()
    server.server_close()


async def test_http_sender_posts_the_code_to_the_gateway_with_its_token(gateway):
    sender = HttpSmsSender(gateway["url"], "gw-token-for-this-test", timeout=5)
    await sender.send_code("0913640480", "123456", 300)
    gateway["status"] = 500
    with pytest.raises(ContestError) as exc:
        await sender.send_code("0913640480", "654321", 300)
    await sender.aclose()
    first = gateway["requests"][0]
    assert first["auth"] == "Bearer gw-token-for-this-test"
    assert first["body"]["to"] == "+84913640480" and "123456" in first["body"]["text"]
    assert exc.value.status == 503 and exc.value.headers == {"Retry-After": "30"}


async def test_http_sender_unreachable_is_a_503():
    sender = HttpSmsSender("http://127.0.0.1:9/send", "t", timeout=2)
    with pytest.raises(ContestError) as exc:
        await sender.send_code("0913640480", "123456", 300)
    await sender.aclose()
    assert exc.value.code == "sms_unavailable"


async def test_console_sender_appends_one_line_per_code(tmp_path):
    sender = ConsoleSmsSender(tmp_path / "run" / "sms.jsonl")
    await sender.send_code("0913640480", "111111", 300)
    await sender.send_code("0987000111", "222222", 300)
    lines = [orjson.loads(x) for x in (tmp_path / "run" / "sms.jsonl").read_bytes().splitlines()]
    assert [(x["phone"], x["code"]) for x in lines] == [("0913640480", "111111"), ("0987000111", "222222")]


def test_settings_choose_the_sender_and_the_http_one_has_no_default_secret():
    assert isinstance(sms_sender(QuizSettings(CONTEST_ADMIN_TOKEN="x" * 30)), ConsoleSmsSender)
    with pytest.raises(ValidationError, match="SMS_GATEWAY_TOKEN"):
        QuizSettings(CONTEST_ADMIN_TOKEN="x" * 30, sms_sender="http", sms_gateway_url="http://127.0.0.1:1/")
    chosen = sms_sender(QuizSettings(CONTEST_ADMIN_TOKEN="x" * 30, sms_sender="http",
                                     sms_gateway_url="http://127.0.0.1:1/", sms_gateway_token="secret-from-env"))
    assert isinstance(chosen, HttpSmsSender)
