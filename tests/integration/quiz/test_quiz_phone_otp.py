"""One person, one phone, one account (issue 12): phones in one canonical form everywhere (item 2),
phone ownership proved by a one-time code (item 6), and the code's abuse limits (item 7). Real
PostgreSQL; codes are read from the console sender's file, never from the API."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import asyncpg
import jwt
import orjson

from services.quiz.app import create_app
from shared import db
from tests.integration.quiz.conftest import auth, fresh_phone, quiz_settings, start
from tests.support import running, wait_for
from tools.demo_contest import contest_dict, write_contest

MIGRATIONS = Path(__file__).resolve().parents[3] / "services" / "quiz" / "migrations"
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


class Codes:
    """The console sender's file: one JSON line per code sent."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def all(self, phone: str) -> list[str]:
        if not self.path.exists():
            return []
        lines = [orjson.loads(line) for line in self.path.read_bytes().splitlines() if line]
        return [x["code"] for x in lines if x["phone"] == phone]

    async def next(self, phone: str, after: int = 0) -> str:
        await wait_for(lambda: len(self.all(phone)) > after, timeout=10, what=f"a code for {phone}")
        return self.all(phone)[-1]


def app_with_codes(ns: Any, tmp_path: Path, **overrides: Any):
    file = tmp_path / "sms.jsonl"
    return create_app(quiz_settings(ns, sms_console_file=file, **overrides)), Codes(file)


async def register(client, phone: str, name: str = "Nguyễn Văn An"):
    return await client.post("/api/participants", json={"full_name": name, "phone": phone, "unit_id": "van-dinh"})


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


async def test_a_full_width_digit_does_not_dodge_the_exclusion_list(ns, tmp_path):
    app, _ = app_with_codes(ns, tmp_path)
    async with running(app) as client:
        res = await register(client, "091２000001")  # 0912000001 is excluded by the contest file
        assert res.status_code == 403, res.text
        assert res.json()["error"]["code"] == "not_eligible"
        async with app.state.runtime.pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM participants") == 0


async def test_one_phone_in_any_digits_or_prefix_is_one_account(ns, tmp_path):
    app, _ = app_with_codes(ns, tmp_path)
    phone = fresh_phone()
    async with running(app) as client:
        first = await register(client, phone)
        assert first.status_code == 201, first.text
        arabic_last = phone[:-1] + phone[-1].translate(ARABIC)
        spaced = f"+84 {phone[1:3]} {phone[3:6]} {phone[6:]}"
        for form in (arabic_last, phone.translate(FULL_WIDTH), spaced):
            again = await register(client, form, "Người Khác")
            assert again.status_code == 409, (form, again.text)
            err = again.json()["error"]
            assert err["code"] == "phone_registered"
            assert "Nguyễn Văn An" not in again.text and first.json()["participant_id"] not in again.text
        async with app.state.runtime.pool.acquire() as conn:
            assert await conn.fetch("SELECT phone FROM participants") == [(phone,)]
            bad = await conn.fetchval("SELECT count(*) FROM participants WHERE phone !~ '^0[0-9]{9}$'")
            assert bad == 0


async def test_a_non_vietnamese_number_is_a_clear_422(ns, tmp_path):
    app, _ = app_with_codes(ns, tmp_path)
    async with running(app) as client:
        for raw in ("+1 415 555 0100", "0212345678", "091\u200b2345678", "09123456７８９"):
            res = await register(client, raw)
            assert res.status_code == 422, (raw, res.text)
            assert res.json()["error"]["code"] == "invalid_phone" and "di động Việt Nam" in res.json()["error"]["message"]


async def test_migration_canonicalises_old_rows_and_keeps_the_earliest_of_a_collision(ns, tmp_path):
    schema = f"{ns.id}_mig"
    old = tmp_path / "quiz" / "migrations"
    old.mkdir(parents=True)
    shutil.copy(MIGRATIONS / "001_quiz.sql", old / "001_quiz.sql")
    conn = None
    try:
        await db.migrate(ns.database_url, schema, [db.SHARED_MIGRATIONS, old])
        conn = await asyncpg.connect(ns.database_url, server_settings={"search_path": schema})
        rows = [  # what the old check let in: Unicode digits stored as typed
            ("p-early", "0913640480", "2025-01-01T00:00:00Z"),
            ("p-late", "091364048٠", "2025-01-02T00:00:00Z"),
            ("p-later", "０９１３６４０４８０", "2025-01-03T00:00:00Z"),
            ("p-alone", "091２000009", "2025-01-01T00:00:00Z"),
            ("p-first-odd", "098765432১", "2025-01-01T00:00:00Z"),
            ("p-second-plain", "0987654321", "2025-01-05T00:00:00Z"),
        ]
        for pid, phone, at in rows:
            await conn.execute("INSERT INTO participants (participant_id, contest_id, phone, full_name, unit_id,"
                               " created_at) VALUES ($1, 'c', $2, 'Tên', 'van-dinh', $3::text::timestamptz)",
                               pid, phone, at)
        await conn.execute("INSERT INTO otp_codes VALUES ('p-late', 'x', now(), 0)")
        applied = await db.migrate(ns.database_url, schema, [db.SHARED_MIGRATIONS, MIGRATIONS])
        assert "quiz/002_phone_canonical_otp.sql" in applied
        got = {r["participant_id"]: (r["phone"], r["duplicate_of"]) for r in
               await conn.fetch("SELECT participant_id, phone, duplicate_of FROM participants")}
        assert got == {
            "p-early": ("0913640480", None), "p-late": (None, "p-early"), "p-later": (None, "p-early"),
            "p-alone": ("0912000009", None),
            "p-first-odd": ("0987654321", None), "p-second-plain": (None, "p-first-odd"),
        }
        assert await conn.fetchval("SELECT count(*) FROM otp_codes") == 0
        refused = None
        try:
            await conn.execute("UPDATE participants SET phone = '091364048٠' WHERE participant_id = 'p-alone'")
        except asyncpg.CheckViolationError as exc:
            refused = exc
        assert refused is not None  # the database itself holds only the canonical form now
    finally:
        if conn is not None:
            await conn.close()
        await db.drop_schema(ns.database_url, schema)


async def test_a_code_proves_the_phone_and_the_new_token_says_so(ns, tmp_path):
    app, codes = app_with_codes(ns, tmp_path)
    phone = fresh_phone()
    async with running(app) as client:
        reg = (await register(client, phone)).json()
        assert reg["phone_verified"] is False and "pv" not in claims(reg["token"])
        ask = await client.post("/api/participants/me/otp", headers=auth(reg["token"]))
        assert ask.status_code == 202, ask.text
        assert ask.json()["sent"] is True and phone not in ask.text
        code = await codes.next(phone)
        assert code not in ask.text
        wrong = await client.post("/api/participants/me/verify", json={"code": "x" + code[1:]},
                                  headers=auth(reg["token"]))
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_otp"
        ok = await client.post("/api/participants/me/verify", json={"code": code}, headers=auth(reg["token"]))
        assert ok.status_code == 200, ok.text
        assert ok.json()["phone_verified"] is True and claims(ok.json()["token"])["pv"] is True
        me = await client.get("/api/participants/me", headers=auth(ok.json()["token"]))
        assert me.json()["phone_verified"] is True
        async with app.state.runtime.pool.acquire() as conn:
            stored = await conn.fetchval("SELECT code_hash FROM otp_codes")
        assert stored is None  # spent; and only ever a hash (checked below)


async def test_codes_are_stored_hashed_and_expire(ns, tmp_path):
    app, codes = app_with_codes(ns, tmp_path)
    phone = fresh_phone()
    async with running(app) as client:
        reg = (await register(client, phone)).json()
        await client.post("/api/participants/me/otp", headers=auth(reg["token"]))
        code = await codes.next(phone)
        async with app.state.runtime.pool.acquire() as conn:
            row = await conn.fetchrow("SELECT code_hash, expires_at - now() AS ttl FROM otp_codes")
            assert code not in row["code_hash"] and 250 < row["ttl"].total_seconds() <= 300
            await conn.execute("UPDATE otp_codes SET expires_at = now() - interval '1 second'")
        late = await client.post("/api/participants/me/verify", json={"code": code}, headers=auth(reg["token"]))
        assert late.status_code == 401


async def test_registering_a_taken_phone_sends_the_owner_a_code_and_nothing_else(ns, tmp_path):
    app, codes = app_with_codes(ns, tmp_path)
    phone = fresh_phone()
    async with running(app) as client:
        owner = (await register(client, phone, "Chủ Số Máy")).json()
        taken = await register(client, "+84" + phone[1:], "Kẻ Mạo Danh")
        assert taken.status_code == 409 and "Chủ Số Máy" not in taken.text
        code = await codes.next(phone)  # only the phone's owner sees it
        login = await client.post("/api/participants/login", json={"phone": phone, "code": code})
        assert login.status_code == 200, login.text
        assert login.json()["participant_id"] == owner["participant_id"]
        assert claims(login.json()["token"])["pv"] is True  # the login code proved the phone as well


async def test_otp_cooldown_daily_cap_and_ip_cap_answer_429_with_retry_after(ns, tmp_path):
    app, codes = app_with_codes(ns, tmp_path)
    phone = fresh_phone()
    async with running(app) as client:
        await register(client, phone)
        first = await client.post("/api/participants/otp", json={"phone": phone})
        assert first.status_code == 202
        burst = [await client.post("/api/participants/otp", json={"phone": phone}) for _ in range(10)]
        assert {r.status_code for r in burst} == {429}
        assert burst[0].json()["error"]["code"] == "otp_cooldown"
        assert 1 <= int(burst[0].headers["Retry-After"]) <= 60
        await wait_for(lambda: len(codes.all(phone)) == 1, timeout=10, what="one code")
        # an unregistered number gets the same answers (the limits do not tell who takes part)
        stranger = fresh_phone()
        assert (await client.post("/api/participants/otp", json={"phone": stranger})).status_code == 202
        assert (await client.post("/api/participants/otp", json={"phone": stranger})).status_code == 429

    app, codes = app_with_codes(ns, tmp_path / "b", otp_cooldown_seconds=0, otp_hourly_per_ip=1000)
    async with running(app) as client:
        answers = [(await client.post("/api/participants/otp", json={"phone": phone})).status_code for _ in range(6)]
        assert answers == [202, 202, 202, 202, 429, 429]  # 1 earlier + 4 = the daily cap of 5
        capped = await client.post("/api/participants/otp", json={"phone": phone})
        assert capped.json()["error"]["code"] == "otp_daily_limit" and int(capped.headers["Retry-After"]) > 3600

    app, _ = app_with_codes(ns, tmp_path / "c", otp_hourly_per_ip=3)
    async with running(app) as client:
        elsewhere = {"X-Forwarded-For": "203.0.113.7"}  # one more IP, behind the trusted proxy
        many = [await client.post("/api/participants/otp", json={"phone": fresh_phone()}, headers=elsewhere)
                for _ in range(4)]
        assert [r.status_code for r in many] == [202, 202, 202, 429]
        assert many[-1].json()["error"]["code"] == "otp_ip_limit" and "Retry-After" in many[-1].headers


async def test_limits_hold_across_replicas(ns, tmp_path):
    one, _ = app_with_codes(ns, tmp_path / "1")
    two, _ = app_with_codes(ns, tmp_path / "2")
    phone = fresh_phone()
    async with running(one) as a, running(two) as b:
        results = await asyncio.gather(*[c.post("/api/participants/otp", json={"phone": phone})
                                          for c in (a, b, a, b, a, b)])
        assert sorted(r.status_code for r in results) == [202, 429, 429, 429, 429, 429]


async def test_a_new_code_does_not_reset_the_wrong_tries(ns, tmp_path):
    app, codes = app_with_codes(ns, tmp_path, otp_cooldown_seconds=0)
    phone = fresh_phone()
    async with running(app) as client:
        reg = (await register(client, phone)).json()
        headers = auth(reg["token"])
        for i in range(5):
            await client.post("/api/participants/me/otp", headers=headers)
            code = await codes.next(phone, after=i)
            wrong = "000000" if code != "000000" else "111111"
            res = await client.post("/api/participants/me/verify", json={"code": wrong}, headers=headers)
            assert res.status_code == 401, res.text
        more = await client.post("/api/participants/me/otp", headers=headers)
        assert more.status_code == 429 and more.json()["error"]["code"] == "otp_locked"
        right = await client.post("/api/participants/me/verify", json={"code": code}, headers=headers)
        assert right.status_code == 429 and right.json()["error"]["code"] == "otp_locked"
        assert int(right.headers["Retry-After"]) > 23 * 3600
        login = await client.post("/api/participants/login", json={"phone": phone, "code": code})
        assert login.status_code == 429  # the lock is the phone's, whichever route tries


async def test_contest_can_require_a_verified_phone_before_an_attempt(ns, tmp_path):
    raw = contest_dict()
    raw["quiz"]["require_verified_phone"] = True
    contest = write_contest(tmp_path / "verified.yaml", raw)
    app, codes = app_with_codes(ns, tmp_path, contest_file=contest)
    phone = fresh_phone()
    async with running(app) as client:
        described = (await client.get("/api/contest")).json()
        assert described["quiz"]["require_verified_phone"] is True
        reg = (await register(client, phone)).json()
        refused = await start(client, reg["token"])
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "phone_unverified"
        await client.post("/api/participants/me/otp", headers=auth(reg["token"]))
        ok = await client.post("/api/participants/me/verify", json={"code": await codes.next(phone)},
                               headers=auth(reg["token"]))
        started = await start(client, ok.json()["token"])
        assert started.status_code == 201, started.text
