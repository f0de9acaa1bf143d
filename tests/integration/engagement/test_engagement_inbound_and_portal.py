"""The inbound topic behaves like HTTP ingestion; the portal's like button; CORS."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson

from shared.auth import issue_participant_token
from shared.events import CONTENT_LIKED, ENGAGEMENT_INBOUND, dlq_topic
from tests.integration.engagement.helpers import (
    CONTEST,
    admin,
    emitted,
    event,
    make_app,
    publish_contents,
    register_platform,
    send,
)
from tests.support import produce, read_topic, running, wait_consumers_ready, wait_for

SCRIPT = [("alice", "like"), ("alice", "like"), ("bob", "like"), ("alice", "unlike"), ("bob", "share"),
          ("bob", "share"), ("bob", "share"), ("bob", "share"), ("carol", "comment"), ("carol", "view")]


def envelope(data: dict) -> bytes:
    return orjson.dumps({
        "specversion": "1.0", "id": str(uuid.uuid4()), "source": "/platforms/fb",
        "type": "contest.content-liked.v1", "time": datetime.now(UTC).isoformat(),
        "subject": data["content_ref"], "datacontenttype": "application/json", "data": data,
    })


def projection(events: list[dict], content: str) -> list[tuple[str, str]]:
    rows = sorted((e for e in events if e["data"]["content_id"] == content), key=lambda e: e["data"]["occurred_at"])
    return [(e["data"]["actor_id"], e["data"]["action"]) for e in rows]


async def test_inbound_topic_path_equals_http_path(ns):
    app = make_app(ns)
    async with running(app) as client:
        await wait_consumers_ready(app)
        await register_platform(client, ns)
        await publish_contents(app, ns, "ini-1", "ini-2")
        for ref, cid in (("http-post", "ini-1"), ("kafka-post", "ini-2")):
            r = await client.put("/api/admin/engagement/mappings", headers=admin(ns),
                                 json={"platform": "fb", "content_ref": ref, "content_id": cid})
            assert r.status_code == 200
        base = datetime.now(UTC).timestamp()

        def batch(ref: str) -> list[dict]:
            return [event(ref, actor, action, occurred_at=datetime.fromtimestamp(base - 60 + i, UTC).isoformat())
                    for i, (actor, action) in enumerate(SCRIPT)]

        http_batch, kafka_batch = batch("http-post"), batch("kafka-post")
        assert (await send(client, http_batch)).status_code == 202
        msgs = [(e["content_ref"].encode(), envelope(e)) for e in kafka_batch]
        msgs.append((b"x", msgs[0][1]))  # the same CloudEvent twice: de-duplicated
        dup_source = dict(kafka_batch[1], occurred_at=kafka_batch[1]["occurred_at"])
        msgs.append((b"x", envelope(dup_source)))  # same platform event id, new envelope: de-duplicated
        msgs.append((b"x", b"{not json"))  # poison → DLQ
        msgs.append((b"x", envelope(event("kafka-post", "z", "like", platform="unknown-platform"))))  # → DLQ
        msgs.append((b"x", envelope(event("kafka-post", "z", "like", occurred_at="2020-01-01T00:00:00Z"))))  # → DLQ
        await produce(ns.bootstrap, ns.topic(ENGAGEMENT_INBOUND), msgs)

        async def both_done() -> list[dict] | None:
            events = await emitted(app, ns, CONTENT_LIKED, settle=0.2)
            kafka_side = projection(events, "ini-2")
            return events if len(kafka_side) >= len(projection(events, "ini-1")) > 0 else None

        events = await wait_for(both_done, timeout=30, what="inbound events applied")
        http_side, kafka_side = projection(events, "ini-1"), projection(events, "ini-2")
        assert http_side == kafka_side
        assert [a for _, a in http_side] == ["like", "like", "unlike", "share", "share", "share", "comment"]
        dlq = await read_topic(ns.bootstrap, ns.topic(dlq_topic(ENGAGEMENT_INBOUND)), count=3, timeout=15)
        errors = sorted(dict(r.headers)["dlq-error"].decode()[:20] for r in dlq)
        assert len(dlq) == 3
        assert any(e.startswith("outside_window") for e in errors)
        assert any(e.startswith("unknown_platform") for e in errors)
        one = await client.get("/api/contents/ini-1/stats")
        two = await client.get("/api/contents/ini-2/stats")
        assert {**one.json(), "content_id": ""} == {**two.json(), "content_id": ""}
        # the same platform event sent again over HTTP is a duplicate
        again = await send(client, [kafka_batch[0]])
        assert again.json()["duplicates"] == 1


async def test_portal_likes_and_stats_with_cors(ns):
    app = make_app(ns, cors_origins=["https://gallery.example"])
    async with running(app) as client:
        await wait_consumers_ready(app)
        await publish_contents(app, ns, "ini-1")
        token = issue_participant_token(ns.private_key, participant_id="p-123", contest_id=CONTEST,
                                        display_name="Nguyễn Văn A", unit_id="u1", phone_verified=True)
        auth = {"Authorization": f"Bearer {token}"}
        r = await client.post("/api/contents/ini-1/like", headers=auth)
        assert r.status_code == 200, r.text
        assert r.json() == {"content_id": "ini-1", "liked": True, "changed": True, "quarantined": False, "likes": 1}
        again = await client.post("/api/contents/ini-1/like", headers=auth)
        assert again.json()["changed"] is False and again.json()["likes"] == 1
        stats = await client.get("/api/contents/ini-1/stats", headers=auth)
        assert stats.json() == {"content_id": "ini-1", "likes": 1, "shares": 0, "comments": 0, "views": 0,
                                "liked_by_me": True}
        gone = await client.delete("/api/contents/ini-1/like", headers=auth)
        assert gone.json()["liked"] is False and gone.json()["likes"] == 0
        assert (await client.get("/api/contents/ini-1/stats", headers=auth)).json()["liked_by_me"] is False

        assert (await client.post("/api/contents/ini-1/like")).status_code == 401
        assert (await client.post("/api/contents/ini-1/like", headers={"Authorization": "Bearer x"})).status_code == 401
        missing = await client.post("/api/contents/ini-404/like", headers=auth)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_content"
        preflight = await client.options("/api/contents/ini-1/like", headers={
            "Origin": "https://gallery.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization"})
        assert preflight.headers.get("access-control-allow-origin") == "https://gallery.example"

        events = await emitted(app, ns, CONTENT_LIKED)
        assert [(e["data"]["platform"], e["data"]["action"]) for e in events] == [("portal", "like"), ("portal", "unlike")]
        assert events[0]["data"]["actor_id"].startswith("h:") and "p-123" not in orjson.dumps(events).decode()


async def test_likes_count_only_from_a_verified_phone(ns):
    """20 throw-away registrations must not make 20 likes: quiz sets `pv` once a code proved the phone."""
    app = make_app(ns)
    async with running(app) as client:
        await publish_contents(app, ns, "ini-1")
        for i in range(3):
            unverified = issue_participant_token(ns.private_key, participant_id=f"p-new-{i}", contest_id=CONTEST,
                                                 display_name="Người Mới", unit_id="u1")
            r = await client.post("/api/contents/ini-1/like", headers={"Authorization": f"Bearer {unverified}"})
            assert r.status_code == 403, r.text
            assert r.json()["error"]["code"] == "phone_unverified" and "OTP" in r.json()["error"]["message"]
        assert (await client.get("/api/contents/ini-1/stats")).json()["likes"] == 0
        verified = issue_participant_token(ns.private_key, participant_id="p-new-0", contest_id=CONTEST,
                                           display_name="Người Mới", unit_id="u1", phone_verified=True)
        ok = await client.post("/api/contents/ini-1/like", headers={"Authorization": f"Bearer {verified}"})
        assert ok.status_code == 200 and ok.json()["likes"] == 1
