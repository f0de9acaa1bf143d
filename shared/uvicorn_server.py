"""How every service is served: uvicorn with httptools, answering even unparseable HTTP in the JSON
error shape (`{"error": {"code", "message"}}`) instead of uvicorn's plain-text 400."""

from __future__ import annotations

from typing import Any

import orjson
import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from shared.http import error_body

_BAD_REQUEST = orjson.dumps(error_body("bad_request", "Yêu cầu HTTP không hợp lệ."))


class JsonErrorHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol; a request it cannot parse gets a JSON 400 (then the connection
    closes, as it must: the byte stream can no longer be trusted)."""

    def send_400_response(self, msg: str) -> None:
        content = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend([
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(_BAD_REQUEST)).encode("ascii") + b"\r\n",
            b"connection: close\r\n",
            b"\r\n",
            _BAD_REQUEST,
        ])
        self.transport.write(b"".join(content))
        self.transport.close()


def server_config(app: Any, *, host: str, port: int, log_level: str, **extra: Any) -> uvicorn.Config:
    return uvicorn.Config(app, host=host, port=port, log_level=log_level.lower(), access_log=False,
                          http=JsonErrorHttpToolsProtocol, timeout_graceful_shutdown=10, **extra)
