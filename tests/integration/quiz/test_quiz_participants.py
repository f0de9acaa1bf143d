"""Registration rules, OTP login, the public contest description and rate limits."""

from __future__ import annotations

import asyncio

from services.quiz.app import create_app
from tests.integration.quiz.conftest import auth, fresh_phone, quiz_settings
from tests.support import running, wait_for


async def test_register_normalizes_phone_and_refuses_a_second_registration(quiz, ns):
    local = fresh_phone()
    res = await quiz.post("/api/participants", json={"full_name": "  Phạm   Minh Đức ", "phone": local,
                                                     "unit_id": "van-dinh", "birth_year": 1990})
    assert res.status_code == 201, res.text
    body = res.json()
    assert body["participant_id"] and body["token"] and body["display_name"] == "Phạm Minh Đức"
    assert local not in res.text  # the phone is never echoed, only masked
    for form in ("+84" + local[1:], "84" + local[1:], f"{local[:4]} {local[4:7]} {local[7:]}"):
        again = await quiz.post("/api/participants", json={"full_name": "Ai Đó", "phone": form, "unit_id": "van-dinh"})
        assert again.status_code == 409, again.text
        err = again.json()["error"]
        assert err["code"] == "phone_registered" and "đã được đăng ký" in err["message"]
    me = await quiz.get("/api/participants/me", headers=auth(body["token"]))
    assert me.status_code == 200 and me.json()["masked_phone"].count("*") == 3
    assert local not in me.text


async def test_register_rejects_bad_input_and_excluded_people(quiz, ns):
    cases = [
        ({"full_name": "Nguyễn Văn A", "phone": "0123", "unit_id": "van-dinh"}, 422, "invalid_phone"),
        ({"full_name": "Nguyễn Văn A", "phone": "0212345678", "unit_id": "van-dinh"}, 422, "invalid_phone"),
        ({"full_name": "Nguyễn Văn A", "phone": fresh_phone(), "unit_id": "hang-xom"}, 422, "unknown_unit"),
        ({"full_name": "A", "phone": fresh_phone(), "unit_id": "van-dinh"}, 422, "invalid_name"),
        ({"full_name": "Nguyễn Văn A", "phone": fresh_phone(), "unit_id": "van-dinh", "birth_year": 1800},
         422, "invalid_birth_year"),
        ({"full_name": "Nguyễn Văn A", "unit_id": "van-dinh"}, 422, "validation_error"),
        ({"full_name": "Ban Tổ Chức", "phone": "+84 912 000 001", "unit_id": "van-dinh"}, 403, "not_eligible"),
    ]
    for body, status, code in cases:
        res = await quiz.post("/api/participants", json=body)
        assert res.status_code == status, (body, res.text)
        assert res.json()["error"]["code"] == code
        assert res.json()["error"]["message"]
    rt = quiz.app.state.runtime
    async with rt.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM participants") == 0


async def test_concurrent_registrations_of_one_phone_make_one_participant(quiz, ns):
    phone = fresh_phone()
    results = await asyncio.gather(*[
        quiz.post("/api/participants", json={"full_name": "Đỗ Thị Lan", "phone": phone, "unit_id": "van-dinh"})
        for _ in range(5)
    ])
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409, 409]


async def test_otp_login_for_a_returning_participant(quiz, ns):
    sent: list[tuple[str, str]] = []

    class Capture:
        async def send_code(self, phone: str, code: str, ttl_seconds: int) -> None:
            sent.append((phone, code))

    quiz.app.state.runtime.state["quiz"].sms = Capture()
    phone = fresh_phone()
    reg = (await quiz.post("/api/participants", json={"full_name": "Vũ Văn Nam", "phone": phone,
                                                      "unit_id": "van-dinh"})).json()
    unknown = await quiz.post("/api/participants/otp", json={"phone": fresh_phone()})
    assert unknown.status_code == 202 and not sent  # same answer, nothing sent
    res = await quiz.post("/api/participants/otp", json={"phone": "+84" + phone[1:]})
    assert res.status_code == 202
    await wait_for(lambda: sent, timeout=10, what="the code sent (in the background)")
    assert sent[0][0] == phone
    code = sent[-1][1]
    wrong = await quiz.post("/api/participants/login", json={"phone": phone, "code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_otp"
    ok = await quiz.post("/api/participants/login", json={"phone": phone, "code": code})
    assert ok.status_code == 200, ok.text
    assert ok.json()["participant_id"] == reg["participant_id"]
    reuse = await quiz.post("/api/participants/login", json={"phone": phone, "code": code})
    assert reuse.status_code == 401  # one use only


async def test_contest_description(quiz, ns):
    res = await quiz.get("/api/contest")
    assert res.status_code == 200
    c = res.json()
    assert c["contest_id"] == "unghoa-cds-2025"
    assert {p["id"] for p in c["phases"]} == {"quiz", "initiatives", "stage"}
    assert all({"opens_at", "closes_at", "open"} <= set(p) for p in c["phases"])
    rounds = {r["id"]: r for r in c["rounds"]}
    assert rounds["week-2"]["open"] is True and rounds["week-1"]["open"] is False
    assert {"id", "name", "opens_at", "closes_at", "open"} <= set(rounds["week-2"])
    assert any(u["id"] == "van-dinh" and u["name"] == "Thị trấn Vân Đình" for u in c["units"])
    assert c["free_question"]["kind"] == "essay"
    assert "0912000001" not in res.text


async def test_pages_are_served(quiz, ns):
    for path in ("/", "/quiz/register", "/quiz/login", "/quiz/take", "/quiz/result", "/quiz/admin"):
        res = await quiz.get(path)
        assert res.status_code == 200, path
        assert "text/html" in res.headers["content-type"]
        assert '<html lang="vi"' in res.text
    assert (await quiz.get("/static/quiz/quiz.js")).status_code == 200


async def test_rate_limits_answer_429_with_retry_after(ns):
    settings = quiz_settings(ns, rate_limit_ip_per_second=0.1, rate_limit_ip_burst=3,
                             rate_limit_participant_per_second=0.1, rate_limit_participant_burst=2)
    async with running(create_app(settings)) as client:
        statuses = []
        token = None
        for _ in range(4):
            res = await client.post("/api/participants", json={"full_name": "Hoàng Văn Tú", "phone": fresh_phone(),
                                                               "unit_id": "van-dinh"})
            statuses.append(res.status_code)
            if res.status_code == 201:
                token = res.json()["token"]
            else:
                limited = res
        assert statuses == [201, 201, 201, 429]
        assert int(limited.headers["Retry-After"]) >= 1
        assert limited.json()["error"]["code"] == "rate_limited"
        # Per participant: the third call within the burst window is refused.
        codes = [(await client.get("/api/participants/me", headers=auth(token))).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
