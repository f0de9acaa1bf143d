"""A participant's name is cleaned at the door: control characters, bidi overrides and zero-width
characters never reach the database, and a name that is nothing but those is refused (issue 12)."""

from __future__ import annotations

import asyncpg

from tests.integration.quiz.conftest import auth, fresh_phone


async def test_a_name_with_control_characters_is_stored_cleaned(quiz, ns):
    res = await quiz.post("/api/participants", json={"full_name": "Ab\x1b[31m\x07", "phone": fresh_phone(),
                                                     "unit_id": "van-dinh"})
    assert res.status_code == 201, res.text
    body = res.json()
    assert body["display_name"] == "Ab[31m"
    me = await quiz.get("/api/participants/me", headers=auth(body["token"]))
    assert me.json()["display_name"] == "Ab[31m"
    mixed = await quiz.post("/api/participants", json={
        "full_name": "Nguye\u0302\u0303n\u200b \u202eThị\u2069  Hoa\t", "phone": fresh_phone(), "unit_id": "van-dinh"})
    assert mixed.status_code == 201 and mixed.json()["display_name"] == "Nguyễn Thị Hoa"
    conn = await asyncpg.connect(ns.database_url, server_settings={"search_path": ns.schema("quiz")})
    try:
        stored = await conn.fetchval("SELECT full_name FROM participants WHERE participant_id = $1",
                                     body["participant_id"])
    finally:
        await conn.close()
    assert stored == "Ab[31m"


async def test_an_invisible_name_is_a_clear_422(quiz, ns):
    for name in ("\u200b\u200c\u200d", "\u202e\u2066\x07\x1b", "\ufeff "):
        res = await quiz.post("/api/participants", json={"full_name": name, "phone": fresh_phone(),
                                                         "unit_id": "van-dinh"})
        assert res.status_code == 422, (name, res.text)
        err = res.json()["error"]
        assert err["code"] == "validation_error" and "full_name" in err["message"] and "vô hình" in err["message"]
