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
    status: int | str  # an HTTP status, or "connection" / "timeout" when no answer came
    body: Any
    headers: httpx.Headers | None = None

    @property
    def ok(self) -> bool:
        return isinstance(self.status, int) and 200 <= self.status < 300


SHARD = 8  # connections per httpx client


class Client:
    """Per service, several small httpx clients (SHARD connections each), each behind our own
    semaphore: httpcore's pool checks every connection of the pool (a socket poll each) and scans its
    wait queue for every request, so one big pool with thousands of waiters makes the generator
    itself the bottleneck. Latency is measured from the moment a connection slot is ours; the wait
    for a slot (offered load above the generator's concurrency) is recorded apart as `client_wait`."""

    def __init__(self, recorder: Recorder, *, max_connections: int = 200, retry_budget: float = 90.0,
                 timeout: float = 30.0) -> None:
        self.rec = recorder
        self.retry_budget = retry_budget
        self.timeout = timeout
        self.per_service = max_connections
        self.pools: dict[str, list[tuple[httpx.AsyncClient, asyncio.Semaphore]]] = {}
        self._next = 0

    def _pool(self, url: str) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        origin = httpx.URL(url).netloc.decode()
        shards = self.pools.get(origin)
        if shards is None:
            limits = httpx.Limits(max_connections=SHARD, max_keepalive_connections=SHARD)
            shards = self.pools[origin] = [
                (httpx.AsyncClient(timeout=self.timeout, limits=limits), asyncio.Semaphore(SHARD))
                for _ in range(max(1, self.per_service // SHARD))]
        self._next += 1
        n = len(shards)
        for i in range(n):  # the first shard with a free slot, starting round-robin
            shard = shards[(self._next + i) % n]
            if not shard[1].locked():
                return shard
        return shards[self._next % n]

    async def close(self) -> None:
        for shards in self.pools.values():
            for http, _ in shards:
                await http.aclose()

    async def call(self, endpoint: str, method: str, url: str, *, json: Any = None, content: bytes | None = None,
                   headers: dict[str, str] | None = None, params: dict[str, Any] | None = None,
                   retry: bool = True) -> Answer:
        """One logical request; retried (same body) on 429/503/connection errors within the budget."""
        deadline = time.monotonic() + self.retry_budget
        delay = 0.3
        http, slots = self._pool(url)
        while True:
            queued = time.monotonic()
            try:
                async with slots:
                    started = time.monotonic()
                    self.rec.client_wait.append(started - queued)
                    r = await http.request(method, url, json=json, content=content, headers=headers,
                                           params=params)
                    took = time.monotonic() - started
                body: Any
                try:
                    body = orjson.loads(r.content) if r.content else None
                except orjson.JSONDecodeError:
                    body = r.text[:300]
                self.rec.http(endpoint, r.status_code, took, body, r.headers)
                answer = Answer(r.status_code, body, r.headers)
                if not retry or r.status_code not in RETRY_STATUSES or time.monotonic() > deadline:
                    return answer
                wait = _retry_after(r.headers, delay)
            except (httpx.TransportError, OSError) as exc:
                kind = "timeout" if isinstance(exc, httpx.TimeoutException) else "connection"
                self.rec.http(endpoint, kind, 0.0)
                answer = Answer(kind, repr(exc))
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
