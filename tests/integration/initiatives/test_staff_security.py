"""Staff security: login throttling that cannot lock a judge out from elsewhere, password changes that
revoke tokens, numbers-only scores, and people's text cleaned at the door (issue 12)."""

from __future__ import annotations

import asyncpg

from tests.integration.initiatives.helpers import PASSWORD, account, admin, approved_initiative, make_app, scores
from tests.support import running


def _from(ip: str) -> dict[str, str]:
    # The in-process client is 127.0.0.1, a trusted proxy: X-Forwarded-For names the client.
    return {"X-Forwarded-For": ip}


async def _login(client, username: str, password: str, ip: str):
    return await client.post("/api/staff/login", json={"username": username, "password": password},
                             headers=_from(ip))


async def test_wrong_passwords_from_elsewhere_do_not_lock_the_judge_out(ns):
    async with running(make_app(ns)) as client:
        await account(client, ns, "gk-01", "judge")
        attacker, judge = "203.0.113.5", "198.51.100.7"
        answers = [(await _login(client, "gk-01", "sai-mat-khau-0", attacker)) for _ in range(14)]
        codes = [r.status_code for r in answers]
        assert set(codes) <= {401, 429} and codes[:5] == [401] * 5, codes
        throttled = [r for r in answers if r.status_code == 429]
        assert throttled, "14 wrong passwords in a row were never throttled"
        assert int(throttled[0].headers["Retry-After"]) >= 1
        assert throttled[0].json()["error"]["code"] == "rate_limited"
        # the attacker's address is throttled even with the right password …
        assert (await _login(client, "gk-01", PASSWORD, attacker)).status_code == 429
        # … but the judge, from their own address, logs in at once
        ok = await _login(client, "gk-01", PASSWORD, judge)
        assert ok.status_code == 200, ok.text


async def test_many_user_names_from_one_address_are_throttled(ns):
    async with running(make_app(ns)) as client:
        await account(client, ns, "gk-02", "judge")
        spray = [(await _login(client, f"user-{i:02d}", "mat-khau-doan", "203.0.113.9")) for i in range(30)]
        codes = [r.status_code for r in spray]
        assert 429 in codes, f"30 user names from one address were never throttled: {codes}"
        first = codes.index(429)
        assert all(c == 401 for c in codes[:first]) and all(c == 429 for c in codes[first:]), codes
        assert spray[first].headers.get("Retry-After", "").isdigit()
        # another address is not affected
        assert (await _login(client, "gk-02", PASSWORD, "198.51.100.20")).status_code == 200


async def test_changing_a_password_revokes_the_tokens_issued_before(ns):
    async with running(make_app(ns)) as client:
        old = await account(client, ns, "gk-03", "judge")
        other_session = await account(client, ns, "gk-03b", "judge")
        assert (await client.get("/api/staff/me", headers=old)).status_code == 200
        # a change that is not a password keeps the session
        renamed = await client.patch("/api/admin/initiatives/staff/gk-03", headers=admin(ns),
                                     json={"display_name": "Giám khảo Ba"})
        assert renamed.status_code == 200
        assert (await client.get("/api/staff/me", headers=old)).status_code == 200
        changed = await client.patch("/api/admin/initiatives/staff/gk-03", headers=admin(ns),
                                     json={"password": "mat-khau-moi-456789"})
        assert changed.status_code == 200, changed.text
        revoked = await client.get("/api/staff/me", headers=old)
        assert revoked.status_code == 401 and revoked.json()["error"]["code"] == "token_revoked"
        assert (await client.post("/api/staff/login", json={"username": "gk-03", "password": PASSWORD})
                ).status_code == 401
        new = await client.post("/api/staff/login", json={"username": "gk-03", "password": "mat-khau-moi-456789"})
        assert new.status_code == 200
        me = await client.get("/api/staff/me", headers={"Authorization": f"Bearer {new.json()['token']}"})
        assert me.status_code == 200 and me.json()["display_name"] == "Giám khảo Ba"
        assert (await client.get("/api/staff/me", headers=other_session)).status_code == 200


async def test_judge_scores_accept_only_json_numbers(ns):
    async with running(make_app(ns)) as client:
        rep = await account(client, ns, "rep-van-dinh", "unit_rep", "van-dinh")
        ini = await approved_initiative(client, ns, rep)
        judge = await account(client, ns, "gk-04", "judge")
        url = "/api/judging/judges/gk-04/scores"
        for bad in (True, "10", "8,5", None, [8]):
            r = await client.post(url, headers=judge, json={"subject_id": ini, "criteria": [
                {"criterion_id": "feasibility", "score": bad}, *scores(impact=7, novelty=9)]})
            assert r.status_code == 422, (bad, r.text)
            assert r.json()["error"]["code"] == "validation_error"
        history = await client.get(f"/api/judging/judges/gk-04/scores/{ini}", headers=judge)
        assert history.status_code == 200 and history.json()["items"] == [], history.text
        ok = await client.post(url, headers=judge, json={"subject_id": ini, "criteria": scores(
            feasibility=8, impact=7.5, novelty=9)})
        assert ok.status_code == 201, ok.text
        stored = (await client.get(f"/api/judging/judges/gk-04/scores/{ini}", headers=judge)).json()["items"]
        assert len(stored) == 1, stored


async def test_names_and_free_text_are_cleaned_at_the_door(ns):
    async with running(make_app(ns)) as client:
        invisible = await client.post("/api/admin/initiatives/staff", headers=admin(ns), json={
            "username": "gk-05", "display_name": "\u200b\u202e\u2066\x07", "role": "judge", "password": PASSWORD})
        assert invisible.status_code == 422, invisible.text
        err = invisible.json()["error"]
        assert err["code"] == "validation_error" and "display_name" in err["message"]
        created = await client.post("/api/admin/initiatives/staff", headers=admin(ns), json={
            "username": "gk-05", "display_name": "Gia\u0301m kha\u0309o\x1b[31m\x07 \u202eNăm", "role": "judge",
            "password": PASSWORD})
        assert created.status_code == 201, created.text
        assert created.json()["display_name"] == "Giám khảo[31m Năm"
        rep = await account(client, ns, "rep-cao-thanh", "unit_rep", "cao-thanh")
        ini = await approved_initiative(client, ns, rep, title="Chợ\u200b 4.0\u202e\x00 số",
                                        description="Dòng một\r\nDòng\x1b hai\u2066\tcột")
        detail = (await client.get(f"/api/initiatives/{ini}")).json()
        assert detail["title"] == "Chợ 4.0 số"
        assert detail["description"] == "Dòng một\nDòng hai\tcột"
    conn = await asyncpg.connect(ns.database_url, server_settings={"search_path": ns.schema("initiatives")})
    try:
        stored = await conn.fetchrow("SELECT title, description FROM initiatives WHERE id = $1", ini)
        name = await conn.fetchval("SELECT display_name FROM staff WHERE id = 'gk-05'")
    finally:
        await conn.close()
    assert (stored["title"], stored["description"], name) == (detail["title"], detail["description"],
                                                               "Giám khảo[31m Năm")
