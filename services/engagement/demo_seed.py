"""Demo engagement for `make run`: Facebook, Zalo and YouTube register and push signed batches of
likes, shares, comments and views spread over the initiatives phase, and a few residents press the
portal's like button — all through the public API, as the real platforms and phones would.

Idempotent: platforms get a fresh secret (PUT) on a second run; events carry stable ids, so the
same batch twice is a replay; portal likes are net (liking twice is one like).
"""

from __future__ import annotations

import base64
import random
import secrets
import time
from datetime import UTC, datetime, timedelta

import httpx
import orjson

from services.engagement.signing import sign

PLATFORMS = {"facebook": "Facebook – Trang Huyện ủy Ứng Hòa", "zalo": "Zalo OA Ứng Hòa",
             "youtube": "YouTube – Truyền hình Ứng Hòa"}
ACTIONS = ["like"] * 6 + ["share"] * 2 + ["comment"] * 2 + ["view"] * 3
BATCH = 500


def events_for(platform: str, content_refs: dict[str, float], contest_id: str, phase_id: str,
               opens_at: datetime, now: datetime, rng: random.Random) -> list[dict]:
    """Inbound events (the platform's own refs) with popularity per content in (0, 1]. Pure."""
    out = []
    span = (now - timedelta(minutes=5) - opens_at).total_seconds()
    for ref, popularity in content_refs.items():
        for n in range(int(10 + 110 * popularity * rng.uniform(0.5, 1.2))):
            occurred = opens_at + timedelta(seconds=rng.uniform(0.05, 1.0) * span)
            out.append({
                "contest_id": contest_id, "phase_id": phase_id, "content_ref": ref, "platform": platform,
                "actor_id": f"{platform[:2]}u-{rng.randrange(5000)}", "action": rng.choice(ACTIONS),
                "occurred_at": occurred.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                "source_event_id": f"{platform}-demo-{ref}-{n}",
            })
    out.sort(key=lambda e: e["occurred_at"])
    return out


def seed(engagement_url: str, admin_token: str, initiatives: list[str], *, contest_id: str, phase_id: str,
         opens_at: datetime, portal_tokens: list[str], deadline_seconds: float = 20) -> dict[str, int]:
    """Returns the number of events accepted per platform (portal: likes given with `portal_tokens`,
    participant tokens with a verified phone)."""
    admin = {"Authorization": f"Bearer {admin_token}"}
    rng = random.Random(9)
    now = datetime.now(UTC)
    accepted: dict[str, int] = {}
    popularity = {ini: rng.uniform(0.05, 1.0) ** 2 for ini in initiatives}
    with httpx.Client(base_url=engagement_url, timeout=20) as client:
        for platform, name in PLATFORMS.items():
            secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
            body = {"id": platform, "name": name, "secrets": [secret]}
            r = client.post("/api/admin/engagement/platforms", json=body, headers=admin)
            if r.status_code == 409:
                r = client.put(f"/api/admin/engagement/platforms/{platform}", json=body, headers=admin)
            r.raise_for_status()
            refs = {}
            for ini in initiatives:
                ref = f"{platform}-post-{ini}"
                client.put("/api/admin/engagement/mappings", headers=admin,
                           json={"platform": platform, "content_ref": ref, "content_id": ini}).raise_for_status()
                refs[ref] = popularity[ini] * rng.uniform(0.6, 1.4)
            events = events_for(platform, refs, contest_id, phase_id, opens_at, now, rng)
            accepted[platform] = 0
            for start in range(0, len(events), BATCH):
                payload = orjson.dumps(events[start:start + BATCH])
                msg_id, ts = f"demo-{platform}-{start}", str(int(time.time()))
                r = client.post("/api/ingest", content=payload, headers={
                    "content-type": "application/json", "webhook-platform": platform, "webhook-id": msg_id,
                    "webhook-timestamp": ts, "webhook-signature": sign(secret, msg_id, ts, payload)})
                r.raise_for_status()
                accepted[platform] += r.json()["accepted"]
        accepted["portal"] = _portal_likes(client, portal_tokens, initiatives, popularity, rng, deadline_seconds)
    return accepted


def _portal_likes(client: httpx.Client, tokens: list[str], initiatives: list[str], popularity: dict[str, float],
                  rng: random.Random, deadline_seconds: float) -> int:
    """Residents with a verified phone press the portal's like button on what they liked."""
    liked = 0
    deadline = time.monotonic() + deadline_seconds
    for token in tokens:
        picks = rng.choices(initiatives, [popularity[i] for i in initiatives], k=4)
        for ini in dict.fromkeys(picks):
            while True:  # the content is likeable once engagement has seen it published
                r = client.post(f"/api/contents/{ini}/like", headers={"Authorization": f"Bearer {token}"})
                if r.status_code != 404 or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            liked += r.status_code == 200
    return liked
