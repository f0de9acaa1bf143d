"""Helpers for the engagement integration tests: app, platform, catalogue, signed batches."""

from __future__ import annotations

import base64
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from services.engagement.app import create_app
from services.engagement.settings import EngagementSettings
from shared.events import INITIATIVE_PUBLISHED, InitiativePublished, encode_event, new_event
from shared.outbox import pending_count
from tests.support import produce, read_topic, wait_for

SECRET = "whsec_" + base64.b64encode(b"integration-secret-0123456789").decode()
CONTEST = "unghoa-cds-2025"


def make_app(ns: Any, **overrides: Any):
    return create_app(EngagementSettings(**ns.settings_kwargs("engagement", **overrides)))


def admin(ns: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {ns.admin_token}"}


async def register_platform(client: httpx.AsyncClient, ns: Any, pid: str = "fb", **over: Any) -> None:
    body = {"id": pid, "name": f"Nền tảng {pid}", "secrets": [SECRET], **over}
    r = await client.post("/api/admin/engagement/platforms", json=body, headers=admin(ns))
    assert r.status_code == 201, r.text


async def publish_contents(app: Any, ns: Any, *content_ids: str, status: str = "published", version: int = 1) -> None:
    """Make contents known the way initiatives does: initiative-published events on the topic."""
    msgs = []
    for cid in content_ids:
        data = InitiativePublished(
            contest_id=CONTEST, phase_id="initiatives", initiative_id=cid, title=f"Sáng kiến {cid}",
            unit_id="u1", field="kinh-te-so", status=status, version=version, changed_at=datetime.now(UTC),
        )
        msgs.append((cid.encode(), encode_event(new_event(INITIATIVE_PUBLISHED, "/services/initiatives", data))))
    await produce(ns.bootstrap, ns.topic(INITIATIVE_PUBLISHED), msgs)
    pool = app.state.runtime.pool

    async def known() -> bool:
        n = await pool.fetchval("SELECT count(*) FROM contents WHERE content_id = ANY($1) AND status = $2",
                                list(content_ids), status)
        return n == len(content_ids)

    await wait_for(known, timeout=30, what=f"contents {content_ids} {status}")


def event(ref: str, actor: str, action: str, sid: str | None = None, platform: str = "fb", **over: Any) -> dict:
    body = {
        "contest_id": CONTEST, "phase_id": "initiatives", "content_ref": ref, "platform": platform,
        "actor_id": actor, "action": action, "occurred_at": datetime.now(UTC).isoformat(),
        "source_event_id": sid or f"evt-{uuid.uuid4().hex[:12]}",
    }
    body.update(over)
    return body


def signed_headers(body: bytes, *, platform: str = "fb", msg_id: str | None = None, secret: str = SECRET,
                   ts: int | None = None) -> dict[str, str]:
    from services.engagement.signing import sign

    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    ts = int(time.time()) if ts is None else ts
    return {"webhook-platform": platform, "webhook-id": msg_id, "webhook-timestamp": str(ts),
            "webhook-signature": sign(secret, msg_id, ts, body), "content-type": "application/json"}


async def send(client: httpx.AsyncClient, events: Any, **kw: Any) -> httpx.Response:
    body = events if isinstance(events, bytes) else orjson.dumps(events)
    return await client.post("/api/ingest", content=body, headers=signed_headers(body, **kw))


async def emitted(app: Any, ns: Any, topic: str, *, settle: float = 0.6) -> list[dict]:
    """Everything on `topic` once the outbox is drained."""
    pool = app.state.runtime.pool

    async def drained() -> bool:
        async with pool.acquire() as conn:
            return await pending_count(conn) == 0

    await wait_for(drained, timeout=20, what="outbox drained")
    records = await read_topic(ns.bootstrap, ns.topic(topic), settle=settle, timeout=10)
    return [orjson.loads(r.value) for r in records]
