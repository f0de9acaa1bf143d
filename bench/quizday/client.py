"""HTTP calls as a phone would make them: record every answer, honour Retry-After on 429/503,
and ride out a service restart (connection refused) with capped backoff."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from bench.quizday.recorder import Recorder

RETRY_STATUSES = (429, 502, 503, 504)


@dataclass
class Answer:
    status: int | str  # an HTTP status, or "connection" when no answer came
    body: Any
    headers: httpx.Headers | None = None

    @property
    def ok(self) -> bool:
        return isinstance(self.status, int) and 200 <= self.status < 300


class Client:
    def __init__(self, recorder: Recorder, *, max_connections: int = 200, retry_budget: float = 90.0,
                 timeout: float = 30.0) -> None:
        self.rec = recorder
        self.retry_budget = retry_budget
        self.http = httpx.AsyncClient(
            timeout=timeout, limits=httpx.Limits(max_connections=max_connections,
                                                 max_keepalive_connections=max_connections))

    async def close(self) -> None:
        await self.http.aclose()

    async def call(self, endpoint: str, method: str, url: str, *, json: Any = None, content: bytes | None = None,
                   headers: dict[str, str] | None = None, params: dict[str, Any] | None = None,
                   retry: bool = True) -> Answer:
        """One logical request; retried (same body) on 429/503/connection errors within the budget."""
        deadline = time.monotonic() + self.retry_budget
        delay = 0.3
        while True:
            started = time.monotonic()
            try:
                r = await self.http.request(method, url, json=json, content=content, headers=headers,
                                            params=params)
                body: Any
                try:
                    body = orjson.loads(r.content) if r.content else None
                except orjson.JSONDecodeError:
                    body = r.text[:300]
                self.rec.http(endpoint, r.status_code, time.monotonic() - started, body, r.headers)
                answer = Answer(r.status_code, body, r.headers)
                if not retry or r.status_code not in RETRY_STATUSES or time.monotonic() > deadline:
                    return answer
                wait = _retry_after(r.headers, delay)
            except (httpx.TransportError, OSError) as exc:
                self.rec.http(endpoint, "connection", time.monotonic() - started)
                answer = Answer("connection", repr(exc))
                if not retry or time.monotonic() > deadline:
                    return answer
                wait = delay
            delay = min(delay * 2, 4.0)
            await asyncio.sleep(wait * random.uniform(0.8, 1.3))


def _retry_after(headers: httpx.Headers, default: float) -> float:
    try:
        return min(10.0, max(0.2, float(headers.get("retry-after", default))))
    except ValueError:
        return default
