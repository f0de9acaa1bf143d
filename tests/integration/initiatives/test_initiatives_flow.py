"""Unit representatives' drafts, the organizers' review, the public gallery and its event."""

from __future__ import annotations

from shared.events import INITIATIVE_PUBLISHED, decode_event
from tests.integration.initiatives.helpers import DRAFT, account, admin, make_app
from tests.support import read_topic, running


async def test_submit_approve_publish_and_unit_isolation(ns):
    app = make_app(ns)
    async with running(app) as client:
        rep = await account(client, ns, "rep-van-dinh", "unit_rep", "van-dinh")
        other = await account(client, ns, "rep-cao-thanh", "unit_rep", "cao-thanh")
        # one representative per unit
        dup = await client.post("/api/admin/initiatives/staff", headers=admin(ns), json={
            "username": "rep2-van-dinh", "display_name": "X", "role": "unit_rep", "unit_id": "van-dinh",
            "password": "mat-khau-an-toan-123"})
        assert dup.status_code == 409
        # a representative cannot create accounts
        assert (await client.post("/api/admin/initiatives/staff", headers=rep, json={}))\
            .status_code in (403, 422)
        bad_login = await client.post("/api/staff/login", json={"username": "rep-van-dinh", "password": "sai-mat-khau"})
        assert bad_login.status_code == 401 and bad_login.json()["error"]["code"] == "invalid_credentials"

        r = await client.post("/api/initiatives/manage", json=DRAFT, headers=rep)
        assert r.status_code == 201, r.text
        draft = r.json()
        ini_id = draft["id"]
        assert ini_id.startswith("ini-") and draft["status"] == "draft" and draft["unit_id"] == "van-dinh"

        # bad input: clear 422, nothing changes
        bad = await client.put(f"/api/initiatives/manage/{ini_id}", json={**DRAFT, "field": "khong-co"}, headers=rep)
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_field"

        # another unit's representative can neither read nor edit nor submit it
        assert (await client.get(f"/api/initiatives/manage/{ini_id}", headers=other)).status_code == 403
        edit = await client.put(f"/api/initiatives/manage/{ini_id}", json={**DRAFT, "title": "Chiếm quyền"},
                                headers=other)
        assert edit.status_code == 403 and edit.json()["error"]["code"] == "forbidden"
        assert (await client.post(f"/api/initiatives/manage/{ini_id}/submit", headers=other)).status_code == 403
        assert (await client.get("/api/initiatives/manage", headers=other)).json()["total"] == 0

        # drafts are not public
        assert (await client.get(f"/api/initiatives/{ini_id}")).status_code == 404
        r = await client.put(f"/api/initiatives/manage/{ini_id}", json={**DRAFT, "title": "Chợ số Vân Đình"},
                             headers=rep)
        assert r.status_code == 200 and r.json()["title"] == "Chợ số Vân Đình"
        r = await client.post(f"/api/initiatives/manage/{ini_id}/submit", headers=rep)
        assert r.status_code == 200 and r.json()["status"] == "submitted"
        locked = await client.put(f"/api/initiatives/manage/{ini_id}", json=DRAFT, headers=rep)
        assert locked.status_code == 409

        # return with a reason, fix, resubmit, approve
        r = await client.post(f"/api/admin/initiatives/initiatives/{ini_id}/return", headers=admin(ns),
                              json={"reason": "Bổ sung ảnh minh họa"})
        assert r.status_code == 200 and r.json()["status"] == "returned"
        assert r.json()["return_reason"] == "Bổ sung ảnh minh họa"
        assert (await client.post(f"/api/initiatives/manage/{ini_id}/submit", headers=rep)).status_code == 200
        assert (await client.post(f"/api/admin/initiatives/initiatives/{ini_id}/approve",
                                  headers=rep)).status_code == 403
        r = await client.post(f"/api/admin/initiatives/initiatives/{ini_id}/approve", headers=admin(ns))
        assert r.status_code == 200 and r.json()["status"] == "approved"

        # published in the gallery, with filters
        gallery = (await client.get("/api/initiatives")).json()
        assert [i["id"] for i in gallery["items"]] == [ini_id]
        assert "contact" not in gallery["items"][0]
        assert (await client.get("/api/initiatives", params={"field": "kinh-te-so", "unit": "van-dinh"}))\
            .json()["total"] == 1
        assert (await client.get("/api/initiatives", params={"field": "xa-hoi-so"})).json()["total"] == 0
        assert (await client.get("/api/initiatives", params={"unit": "cao-thanh"})).json()["total"] == 0
        detail = await client.get(f"/api/initiatives/{ini_id}")
        assert detail.status_code == 200 and detail.json()["title"] == "Chợ số Vân Đình"

        # withdraw: out of the gallery, second event with a higher version
        r = await client.post(f"/api/admin/initiatives/initiatives/{ini_id}/withdraw", headers=admin(ns), json={})
        assert r.status_code == 200
        assert (await client.get("/api/initiatives")).json()["total"] == 0

        records = await read_topic(ns.bootstrap, ns.topic(INITIATIVE_PUBLISHED), count=2)
        events = [decode_event(INITIATIVE_PUBLISHED, r.value) for r in records]
        assert [(e.data.status, e.data.version) for e in events] == [("published", 1), ("withdrawn", 2)]
        assert all(r.key == ini_id.encode() for r in records)
        assert events[0].data.unit_id == "van-dinh" and events[0].data.title == "Chợ số Vân Đình"

        metrics = (await client.get("/metrics")).text
        assert 'initiatives_initiatives_total{status="withdrawn"} 1.0' in metrics
        page = await client.get("/initiatives/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
