"""Signed HTTP ingestion against a real broker and PostgreSQL (issue 6, "Must show")."""

from __future__ import annotations

import re

import orjson

from shared.events import CONTENT_LIKED, decode_event
from tests.integration.engagement.helpers import (
    admin,
    emitted,
    event,
    make_app,
    publish_contents,
    register_platform,
    send,
    signed_headers,
)
from tests.support import running, wait_consumers_ready

PSEUDONYM = re.compile(r"^h:[0-9a-f]{16}$")


async def test_signed_batch_emits_exactly_the_effective_events(ns):
    app = make_app(ns)
    async with running(app) as client:
        await wait_consumers_ready(app)
        await register_platform(client, ns, allowed_actions=["like", "unlike", "share", "comment", "view"])
        await publish_contents(app, ns, "ini-1", "ini-9")
        await publish_contents(app, ns, "ini-9", status="withdrawn", version=2)
        batch = [
            event("ini-1", "alice", "like"),            # 0 effective
            event("ini-1", "alice", "like"),            # 1 no effect (already liked)
            event("ini-1", "bob", "like"),              # 2 effective
            event("ini-1", "alice", "unlike"),          # 3 effective
            *[event("ini-1", "carol", "share") for _ in range(4)],  # 4-7: cap 3 → 3 effective
            event("ini-1", "carol", "view"),            # 8 accepted, views not counted
            event("ini-1", "dave", "dance"),            # 9 bad_action
            event("ini-1", "dave", "like", occurred_at="2020-01-01T00:00:00Z"),  # 10 outside_window
            {"platform": "fb", "action": "like"},       # 11 malformed
            event("ini-9", "erin", "like"),             # 12 unknown_content (withdrawn)
        ]
        r = await send(client, batch)
        assert r.status_code == 202, r.text
        body = r.json()
        assert body["accepted"] == 9 and body["duplicates"] == 0
        assert [(x["index"], x["code"]) for x in body["rejected"]] == [
            (9, "bad_action"), (10, "outside_window"), (11, "malformed"), (12, "unknown_content")]
        assert all(x["message"] for x in body["rejected"])
        events = await emitted(app, ns, CONTENT_LIKED)
        assert len(events) == 6
        data = [decode_event(CONTENT_LIKED, orjson.dumps(e)).data for e in events]
        assert sorted(d.action for d in data) == ["like", "like", "share", "share", "share", "unlike"]
        raw_ids = {e["source_event_id"] for e in batch if "source_event_id" in e}
        for d, e in zip(data, events, strict=True):
            assert d.contest_id == "unghoa-cds-2025" and d.phase_id == "initiatives" and d.content_id == "ini-1"
            assert d.platform == "fb" and PSEUDONYM.match(d.actor_id) and d.source_event_id in raw_ids
            assert e["subject"] == "ini-1" and e["source"] == "/services/engagement"
        assert not any(name in orjson.dumps(events).decode() for name in ("alice", "bob", "carol"))
        stats = (await client.get("/api/contents/ini-1/stats")).json()
        assert stats == {"content_id": "ini-1", "likes": 1, "shares": 3, "comments": 0, "views": 0,
                         "liked_by_me": None}
        metrics = (await client.get("/metrics")).text
        assert 'engagement_events_total{outcome="rejected"} 4.0' in metrics
        assert 'engagement_events_total{outcome="accepted"} 9.0' in metrics


async def test_replays_and_duplicates_emit_nothing(ns):
    app = make_app(ns)
    async with running(app) as client:
        await wait_consumers_ready(app)
        await register_platform(client, ns)
        await publish_contents(app, ns, "ini-1")
        batch = [event("ini-1", f"user-{i}", "like") for i in range(3)]
        body = orjson.dumps(batch)
        headers = signed_headers(body, msg_id="msg_replay_1")
        first = await client.post("/api/ingest", content=body, headers=headers)
        assert first.status_code == 202 and first.json()["accepted"] == 3
        replay = await client.post("/api/ingest", content=body, headers=headers)
        assert replay.status_code == 202
        assert replay.json()["accepted"] == 0 and replay.json()["duplicates"] == 3 and replay.json()["replay"]
        # same events in a new delivery, plus an in-batch duplicate of a new event
        fresh = event("ini-1", "user-9", "like", sid="fresh-1")
        again = await send(client, [*batch, fresh, dict(fresh)])
        assert again.status_code == 202
        assert again.json()["accepted"] == 1 and again.json()["duplicates"] == 4
        events = await emitted(app, ns, CONTENT_LIKED)
        assert len(events) == 4
        assert len({e["data"]["source_event_id"] for e in events}) == 4
        assert (await client.get("/api/contents/ini-1/stats")).json()["likes"] == 4


async def test_unmapped_content_counted_after_mapping(ns):
    app = make_app(ns)
    async with running(app) as client:
        await wait_consumers_ready(app)
        await register_platform(client, ns)
        await publish_contents(app, ns, "ini-1")
        r = await send(client, [event("fb-post-77", "alice", "like"), event("fb-post-77", "bob", "share"),
                                event("ini-2", "carol", "like")])  # ini-2: not published yet
        assert r.status_code == 202 and r.json()["accepted"] == 3 and r.json()["pending"] == 3
        assert await emitted(app, ns, CONTENT_LIKED, settle=0.5) == []
        pending = (await client.get("/api/admin/engagement/pending", headers=admin(ns))).json()
        assert {(p["content_ref"], p["events"]) for p in pending} == {("fb-post-77", 2), ("ini-2", 1)}

        m = await client.put("/api/admin/engagement/mappings", headers=admin(ns),
                             json={"platform": "fb", "content_ref": "fb-post-77", "content_id": "ini-1"})
        assert m.status_code == 200, m.text
        assert m.json()["resolved"] == 2 and m.json()["effective"] == 2
        await publish_contents(app, ns, "ini-2")
        events = await emitted(app, ns, CONTENT_LIKED)
        assert sorted((e["data"]["content_id"], e["data"]["action"]) for e in events) == [
            ("ini-1", "like"), ("ini-1", "share"), ("ini-2", "like")]
        # later events on the mapped ref count at once
        r = await send(client, [event("fb-post-77", "dave", "like")])
        assert r.json()["pending"] == 0
        assert len(await emitted(app, ns, CONTENT_LIKED)) == 4
        assert (await client.get("/api/admin/engagement/pending", headers=admin(ns))).json() == []
        listed = (await client.get("/api/admin/engagement/mappings", headers=admin(ns))).json()
        assert [(x["content_ref"], x["content_id"]) for x in listed] == [("fb-post-77", "ini-1")]
        page = await client.get("/engagement/admin")
        assert page.status_code == 200 and "Ánh xạ" in page.text


async def test_quarantined_spike_emits_nothing_until_released(ns):
    app = make_app(ns)  # demo contest: more than 50 new actors within 60 s is a spike
    async with running(app) as client:
        await wait_consumers_ready(app)
        await register_platform(client, ns)
        await publish_contents(app, ns, "ini-1", "ini-2")
        r = await send(client, [event("ini-1", f"bot-{i}", "like") for i in range(56)])
        assert r.status_code == 202 and r.json()["quarantined"] == 6 and r.json()["effective"] == 50
        assert len(await emitted(app, ns, CONTENT_LIKED)) == 50
        # a held actor's further events are held too
        r = await send(client, [event("ini-1", "bot-55", "share")])
        assert r.json()["quarantined"] == 1
        held = (await client.get("/api/admin/engagement/quarantine", headers=admin(ns))).json()
        assert len(held) == 7 and {h["content_id"] for h in held} == {"ini-1"}
        assert all(PSEUDONYM.match(h["actor"]) for h in held)
        assert len(await emitted(app, ns, CONTENT_LIKED, settle=0.4)) == 50
        assert (await client.get("/api/contents/ini-1/stats")).json()["likes"] == 50

        no = await client.post("/api/admin/engagement/quarantine/release", json={"content_id": "ini-1"})
        assert no.status_code == 401
        rel = await client.post("/api/admin/engagement/quarantine/release", headers=admin(ns),
                                json={"ids": [h["id"] for h in held[:3]]})
        assert rel.status_code == 200 and rel.json() == {"decision": "release", "events": 3, "effective": 3}
        rej = await client.post("/api/admin/engagement/quarantine/reject", headers=admin(ns),
                                json={"content_id": "ini-1"})
        assert rej.status_code == 200 and rej.json()["events"] == 4
        again = await client.post("/api/admin/engagement/quarantine/reject", headers=admin(ns),
                                  json={"content_id": "ini-1"})
        assert again.status_code == 404
        events = await emitted(app, ns, CONTENT_LIKED)
        assert len(events) == 53
        assert (await client.get("/api/contents/ini-1/stats")).json()["likes"] == 53
        audit = (await client.get("/api/admin/engagement/audit", headers=admin(ns))).json()
        assert {a["action"] for a in audit} >= {"quarantine", "release", "reject", "platform_create"}
        metrics = (await client.get("/metrics")).text
        assert 'engagement_events_total{outcome="quarantined"} 7.0' in metrics


async def test_malformed_batch_is_4xx_and_nothing_half_applied(ns):
    app = make_app(ns)
    async with running(app) as client:
        await wait_consumers_ready(app)
        await register_platform(client, ns)
        await publish_contents(app, ns, "ini-1")
        good = [event("ini-1", "alice", "like", sid="g1"), event("ini-1", "bob", "like", sid="g2")]

        mixed = await send(client, [*good, "not an object", 42], msg_id="msg_bad")
        assert mixed.status_code == 422
        err = mixed.json()["error"]
        assert err["code"] == "malformed_batch"
        assert [(d["index"], d["code"]) for d in err["details"]] == [(2, "malformed"), (3, "malformed")]

        not_json = await send(client, b"{not json", msg_id="msg_bad2")
        assert not_json.status_code == 400 and not_json.json()["error"]["code"] == "invalid_json"
        not_list = await send(client, {"hello": 1})
        assert not_list.status_code == 422 and not_list.json()["error"]["code"] == "malformed_batch"
        too_big = await send(client, [event("ini-1", "x", "like")] * 1001)
        assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "batch_too_large"
        body = orjson.dumps(good)
        tampered = signed_headers(body)
        bad_sig = await client.post("/api/ingest", content=body.replace(b"alice", b"mallory"), headers=tampered)
        assert bad_sig.status_code == 401 and bad_sig.json()["error"]["code"] == "invalid_signature"
        stale = await client.post("/api/ingest", content=body, headers=signed_headers(body, ts=1_600_000_000))
        assert stale.status_code == 401 and stale.json()["error"]["code"] == "stale_timestamp"
        unknown = await client.post("/api/ingest", content=body, headers=signed_headers(body, platform="nope"))
        assert unknown.status_code == 401
        no_headers = await client.post("/api/ingest", content=body, headers={"webhook-platform": "fb"})
        assert no_headers.status_code == 401 and no_headers.json()["error"]["code"] == "missing_signature"

        # nothing was applied: no events, no stats, no dedupe records (the same ids and webhook-id work)
        assert await emitted(app, ns, CONTENT_LIKED, settle=0.4) == []
        assert (await client.get("/api/contents/ini-1/stats")).json()["likes"] == 0
        ok = await send(client, good, msg_id="msg_bad")
        assert ok.status_code == 202 and ok.json()["accepted"] == 2
        assert len(await emitted(app, ns, CONTENT_LIKED)) == 2


async def test_missing_signature_header_is_401_like_a_bad_one(ns):
    app = make_app(ns)
    async with running(app) as client:
        await register_platform(client, ns)
        body = orjson.dumps([event("ini-1", "alice", "like")])
        headers = signed_headers(body)
        del headers["webhook-signature"]
        res = await client.post("/api/ingest", content=body, headers=headers)
        assert res.status_code == 401, res.text
        assert res.json()["error"]["code"] == "missing_signature"
        assert (await client.get("/api/contents/ini-1/stats")).json()["likes"] == 0


async def test_one_event_with_nul_is_rejected_alone_and_the_rest_is_accepted(ns):
    app = make_app(ns)
    async with running(app) as client:
        await register_platform(client, ns)
        await publish_contents(app, ns, "ini-1")
        batch = [event("ini-1", "alice", "like"), event("ini-\x001", "bob", "like"),
                 event("ini-1", "carol\x00", "like"), event("ini-1", "dave", "like", sid="s\x00")]
        res = await send(client, batch)
        assert res.status_code == 202, res.text
        body = res.json()
        assert body["accepted"] == 1 and body["effective"] == 1
        assert [(r["index"], r["code"]) for r in body["rejected"]] == [(1, "malformed"), (2, "malformed"),
                                                                       (3, "malformed")]
        assert "content_ref" in body["rejected"][0]["message"]
        assert (await client.get("/api/contents/ini-1/stats")).json()["likes"] == 1
        assert len(await emitted(app, ns, CONTENT_LIKED)) == 1


async def test_platform_admin_validation_and_rotation(ns):
    app = make_app(ns)
    async with running(app) as client:
        await register_platform(client, ns)
        dup = await client.post("/api/admin/engagement/platforms", headers=admin(ns),
                                json={"id": "fb", "name": "x", "secrets": [helpers_secret()]})
        assert dup.status_code == 409
        bad = await client.post("/api/admin/engagement/platforms", headers=admin(ns),
                                json={"id": "zl", "name": "Zalo", "secrets": ["plain-text"]})
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"
        forbidden = await client.post("/api/admin/engagement/platforms", json={"id": "zl"},
                                      headers={"Authorization": "Bearer wrong"})
        assert forbidden.status_code == 403
        listed = (await client.get("/api/admin/engagement/platforms", headers=admin(ns))).json()
        assert {p["id"] for p in listed} == {"fb", "portal"}
        assert all(s.endswith("…") for p in listed for s in p["secrets"])
        # rotation: add a new secret; both work; then drop the old one
        new = "whsec_" + "bmV3LXNlY3JldC1mb3Itcm90YXRpb24="
        from tests.integration.engagement.helpers import SECRET
        put = await client.put("/api/admin/engagement/platforms/fb", headers=admin(ns),
                               json={"id": "fb", "name": "Facebook", "secrets": [new, SECRET]})
        assert put.status_code == 200
        assert (await send(client, [], secret=new)).status_code == 202
        assert (await send(client, [], secret=SECRET)).status_code == 202
        await client.put("/api/admin/engagement/platforms/fb", headers=admin(ns),
                         json={"id": "fb", "name": "Facebook", "secrets": [new]})
        assert (await send(client, [], secret=SECRET)).status_code == 401


def helpers_secret() -> str:
    from tests.integration.engagement.helpers import SECRET

    return SECRET
