"""Test helpers: waiting on conditions with a deadline, reading topics, running apps in-process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

T = TypeVar("T")


async def wait_for(
    probe: Callable[[], Awaitable[T] | T], *, timeout: float = 20.0, interval: float = 0.05, what: str = "condition"
) -> T:
    """Poll `probe` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = probe()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} (last value: {last!r})")
        await asyncio.sleep(interval)


async def read_topic(
    bootstrap: str, topic: str, *, count: int | None = None, timeout: float = 15.0, settle: float = 0.0
) -> list[Any]:
    """Read `topic` from the beginning: until `count` records arrived, or (count=None) until
    `settle` seconds pass without new records. Returns aiokafka ConsumerRecords."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = time.monotonic() + timeout
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=100)
            got = [r for rs in batch.values() for r in rs]
            if got:
                records.extend(got)
                quiet_since = time.monotonic()
            if count is not None and len(records) >= count:
                break
            if count is None and records and time.monotonic() - quiet_since >= settle:
                break
            if count is None and not records and settle and time.monotonic() - quiet_since >= settle:
                break
    finally:
        await consumer.stop()
    return records


def event_bodies(records: list[Any]) -> list[dict[str, Any]]:
    return [orjson.loads(r.value) for r in records]


async def produce(bootstrap: str, topic: str, messages: list[tuple[bytes | None, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in messages:
            await producer.send_and_wait(topic, value=value, key=key)
    finally:
        await producer.stop()


@asynccontextmanager
async def running(app: FastAPI, *, startup_timeout: float = 60.0) -> AsyncIterator[httpx.AsyncClient]:
    """Run `app` with its lifespan (real DB and broker) and give an HTTP client bound to it."""
    async with LifespanManager(app, startup_timeout=startup_timeout, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def wait_consumers_ready(app: FastAPI, timeout: float = 30.0) -> None:
    """Wait until the app's broker has started (its consumer groups joined)."""
    runtime = app.state.runtime
    await asyncio.wait_for(runtime.broker_ready.wait(), timeout)
