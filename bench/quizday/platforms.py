"""Other platforms (social pages) pushing signed engagement batches per Standard Webhooks, with
duplicated events, whole-batch replays (same webhook-id) and re-deliveries (new webhook-id), a few
out-of-order (late) events, and a key rotation (two signatures) on some deliveries."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import random
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson

from bench.quizday.client import Client
from bench.quizday.recorder import Recorder

ACTIONS = ("like", "share", "comment", "view")


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Platform:
    id: str
    secrets: list[str]
    refs: dict[str, str]  # content_ref -> content_id
    contest_id: str
    phase_id: str
    sent: list[dict] = field(default_factory=list)  # events sent so far (for duplicates)
    liked: dict[tuple[str, str], bool] = field(default_factory=dict)
    last_time: dict[tuple[str, str], datetime] = field(default_factory=dict)

    def event(self, ref: str, actor: str, action: str, at: datetime) -> dict:
        data = {"contest_id": self.contest_id, "phase_id": self.phase_id, "content_ref": ref,
                "platform": self.id, "actor_id": actor, "action": action, "occurred_at": iso(at),
                "source_event_id": f"{self.id}-{uuid.uuid4().hex}"}
        return {"specversion": "1.0", "id": str(uuid.uuid4()), "source": f"/platforms/{self.id}",
                "type": "contest.content-liked.v1", "time": iso(at), "subject": ref,
                "datacontenttype": "application/json", "data": data}


def build_batch(p: Platform, rng: random.Random, n: int, elapsed: float) -> list[dict]:
    """n events; actors per content grow slowly (under the spike rule), like/unlike alternate per actor."""
    refs = list(p.refs)
    out: list[dict] = []
    actors_now = int(20 + 25 * elapsed / 60)  # new actors per content per minute stay under the spike rule
    now = datetime.now(UTC)
    for _ in range(n):
        if p.sent and rng.random() < 0.05:  # a duplicate of an earlier event (same source_event_id)
            out.append(rng.choice(p.sent[-2000:]))
            continue
        ref = rng.choice(refs)
        actor = f"{p.id}-u{rng.randrange(actors_now)}"
        key = (ref, actor)
        r = rng.random()
        if r < 0.5:
            action = "unlike" if p.liked.get(key) and rng.random() < 0.3 else "like"
        else:
            action = rng.choice(ACTIONS[1:])
        # strictly increasing time per (content, actor); now and then a little late (out of order)
        at = now - timedelta(seconds=rng.uniform(5, 40)) if rng.random() < 0.05 else now
        last = p.last_time.get(key)
        if last is not None and at <= last:
            at = last + timedelta(milliseconds=1)
        p.last_time[key] = at
        if action in ("like", "unlike"):
            p.liked[key] = action == "like"
        ev = p.event(ref, actor, action, at)
        out.append(ev)
        p.sent.append(ev)
    return out


async def push(client: Client, url: str, p: Platform, batch: list[dict], rec: Recorder, *,
               replay: bool, rotate: bool) -> None:
    body = orjson.dumps({"events": batch})
    msg_id = f"msg_{uuid.uuid4().hex}"
    ts = int(time.time())
    sigs = [sign(s, msg_id, ts, body) for s in (p.secrets if rotate else p.secrets[:1])]
    headers = {"content-type": "application/json", "webhook-platform": p.id, "webhook-id": msg_id,
               "webhook-timestamp": str(ts), "webhook-signature": " ".join(sigs)}
    r = await client.call("POST /api/ingest", "POST", f"{url}/api/ingest", content=body, headers=headers)
    rec.count("ingest_batches" if r.status == 202 else "ingest_failed")
    if r.status == 202 and isinstance(r.body, dict):
        rec.count("ingest_events_accepted", int(r.body.get("accepted", 0)))
        rec.count("ingest_events_duplicates", int(r.body.get("duplicates", 0)))
        rec.count("ingest_events_rejected", len(r.body.get("rejected", [])))
    if replay:  # the very same delivery again: the same webhook-id, signature and body
        r = await client.call("POST /api/ingest", "POST", f"{url}/api/ingest", content=body, headers=headers)
        rec.count("ingest_replays" if r.status == 202 else "ingest_failed")


async def pusher(client: Client, url: str, p: Platform, rec: Recorder, stop: asyncio.Event, *,
                 rate_per_second: float, seed: int, started: float) -> None:
    """Push batches until `stop`: ~rate_per_second events in batches of 20–300."""
    rng = random.Random(seed)
    while not stop.is_set():
        n = rng.randint(20, 300)
        batch = build_batch(p, rng, n, time.monotonic() - started)
        if rng.random() < 0.03:  # a re-delivery under a new webhook-id: every event is a duplicate
            batch = rng.sample(p.sent, min(len(p.sent), n))
        await push(client, url, p, batch, rec, replay=rng.random() < 0.05, rotate=rng.random() < 0.2)
        try:
            await asyncio.wait_for(stop.wait(), n / rate_per_second)
        except TimeoutError:
            pass
