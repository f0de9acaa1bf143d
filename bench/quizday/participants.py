"""One simulated resident on a phone: register, start, think, answer (with their own accuracy),
submit; some abandon, some try again up to the attempt limit (and once past it), some like an
initiative on the portal."""

from __future__ import annotations

import asyncio
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.quizday.client import Client
from bench.quizday.recorder import Recorder

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Hữu", "Ngọc", "Quang", "Thanh", "Hải"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Giang", "Hà", "Hùng", "Lan", "Linh", "Mai", "Nam", "Phương",
         "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Việt", "Yến"]
ESSAY = ("Xây dựng nhóm Zalo của thôn để thông báo lịch tiêm chủng, họp thôn và hướng dẫn bà con dùng "
         "ứng dụng VNeID, thanh toán không dùng tiền mặt khi mua bán tại chợ.")


@dataclass
class Profile:
    index: int
    unit_id: str
    skill: float  # probability of a right answer
    think_median: float  # seconds per question
    attempts: int  # how many attempts they mean to make (may exceed the limit on purpose)
    abandons: bool
    essay: bool
    likes: int
    freshness_probe: bool
    arrival: float  # seconds from the start of the run

    @property
    def phone(self) -> str:
        return f"09{(self.index * 7919 + 1234567) % 100_000_000:08d}"

    @property
    def ip(self) -> str:
        return f"10.{(self.index >> 16) & 255}.{(self.index >> 8) & 255}.{self.index & 255}"


def unit_weights(unit_ids: list[str], rng: random.Random, exponent: float = 1.1) -> list[float]:
    """Skewed activity: a Zipf-like weight per unit (a few communes far more active)."""
    order = list(range(len(unit_ids)))
    rng.shuffle(order)
    return [1.0 / (order[i] + 1) ** exponent for i in range(len(unit_ids))]


def arrival_offsets(n: int, duration: float, rng: random.Random, spike_share: float = 0.45,
                    spike_seconds: float | None = None) -> list[float]:
    """A launch spike (a share of everyone within the first ~8% of the run), then a long tail."""
    spike_seconds = spike_seconds if spike_seconds is not None else max(1.0, 0.08 * duration)
    out = []
    for _ in range(n):
        if rng.random() < spike_share:
            out.append(rng.triangular(0, spike_seconds, spike_seconds * 0.3))
        else:  # exponential decay truncated to the run
            mean = duration / 3
            u = rng.random() * (1 - math.exp(-duration / mean))
            out.append(-mean * math.log(1 - u))
    out.sort()
    return out


def make_profiles(n: int, duration: float, unit_ids: list[str], attempt_limit: int, rng: random.Random, *,
                  think_median: float, freshness_share: float, likes: bool) -> list[Profile]:
    weights = unit_weights(unit_ids, rng)
    arrivals = arrival_offsets(n, duration, rng)
    profiles = []
    for i in range(n):
        r = rng.random()
        attempts = 1 if r < 0.6 else (attempt_limit if r < 0.93 else attempt_limit + 1)
        profiles.append(Profile(
            index=i, unit_id=rng.choices(unit_ids, weights)[0], skill=rng.betavariate(4, 2),
            think_median=think_median * rng.uniform(0.5, 1.8), attempts=attempts,
            abandons=rng.random() < 0.08, essay=rng.random() < 0.6,
            likes=rng.choice((0, 0, 0, 1, 2)) if likes else 0,
            freshness_probe=rng.random() < freshness_share, arrival=arrivals[i],
        ))
    return profiles


@dataclass
class World:
    """What every journey shares."""

    client: Client
    rec: Recorder
    quiz: str
    engagement: str
    ranking: str
    round_id: str
    free_kind: str
    answer_key: dict[str, str]
    contents: list[str] = field(default_factory=list)
    submitted: list[dict[str, Any]] = field(default_factory=list)
    probes: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(20))
    probe_http: httpx.AsyncClient | None = None
    sms: SmsInbox | None = None  # the dev SMS sender's file: likes count only from verified phones


class SmsInbox:
    """One-time codes as the dev (console) SMS sender writes them (RUN_DIR/sms.jsonl), read incrementally."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset = path, 0
        self.latest: dict[str, str] = {}  # phone → newest code (each phone verifies once per run)

    def _read(self) -> None:
        if not self.path.exists():
            return
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            chunk = f.read()
        complete = chunk[:chunk.rfind(b"\n") + 1]
        self.offset += len(complete)
        for line in complete.splitlines():
            sent = orjson.loads(line)
            self.latest[sent["phone"]] = sent["code"]

    async def code(self, phone: str, timeout: float = 15.0) -> str | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            self._read()
            if phone in self.latest:
                return self.latest[phone]
            await asyncio.sleep(0.1)
        return None


async def _verified(w: World, p: Profile, auth: dict[str, str]) -> dict[str, str] | None:
    """Prove the phone with a one-time code; the new token's likes count."""
    if w.sms is None:
        return None
    r = await w.client.call("POST /api/participants/me/otp", "POST", f"{w.quiz}/api/participants/me/otp",
                            headers=auth)
    code = await w.sms.code(p.phone) if r.status == 202 else None
    if code is None:
        w.rec.count("verify_failed")
        return None
    r = await w.client.call("POST /api/participants/me/verify", "POST", f"{w.quiz}/api/participants/me/verify",
                            headers=auth, json={"code": code})
    if r.status != 200:
        w.rec.count("verify_failed")
        return None
    w.rec.count("verified")
    return {**auth, "Authorization": f"Bearer {r.body['token']}"}


async def journey(w: World, p: Profile, rng: random.Random) -> None:
    h = {"X-Forwarded-For": p.ip}
    name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    r = await w.client.call("POST /api/participants", "POST", f"{w.quiz}/api/participants", headers=h,
                            json={"full_name": name, "phone": p.phone, "unit_id": p.unit_id,
                                  "birth_year": rng.randint(1950, 2010)})
    if r.status != 201:
        w.rec.count("register_failed" if r.status != 409 else "register_conflict")
        return
    w.rec.count("registered")
    pid, token = r.body["participant_id"], r.body["token"]
    auth = {**h, "Authorization": f"Bearer {token}"}
    for k in range(p.attempts):
        r = await w.client.call("POST /api/attempts", "POST", f"{w.quiz}/api/attempts", headers=auth,
                                json={"round_id": w.round_id})
        if r.status == 409:
            w.rec.count("start_refused_409")  # over the limit (on purpose) or one still open
            break
        if r.status != 201:
            w.rec.count("start_failed")
            break
        w.rec.count("started")
        attempt = r.body
        questions = attempt.get("questions", [])
        think = sum(rng.lognormvariate(math.log(p.think_median), 0.5) for _ in questions)
        await asyncio.sleep(think)
        if p.abandons and k == p.attempts - 1:
            w.rec.count("abandoned")
            break
        answers, right = [], 0
        for q in questions:
            keys = [o["key"] for o in q.get("options", [])]
            good = w.answer_key.get(q["question_id"])
            if good in keys and rng.random() < p.skill:
                choice = good
            else:
                choice = rng.choice([k_ for k_ in keys if k_ != good] or keys) if keys else None
            right += choice is not None and choice == good
            answers.append({"question_id": q["question_id"], "option_key": choice})
        free: Any = None
        if p.essay:
            free = ESSAY if w.free_kind == "essay" else rng.randint(5_000, 40_000)
        url = f"{w.quiz}/api/attempts/{attempt['attempt_id']}/submit"
        r = await w.client.call("POST /api/attempts/{id}/submit", "POST", url, headers=auth,
                                json={"answers": answers, "free_answer": free})
        if r.status != 200:
            w.rec.count("submit_failed")
            break
        w.rec.count("submitted")
        if w.answer_key and r.body.get("correct") != right:
            w.rec.count("grading_mismatch")
        w.submitted.append({"participant_id": pid, **r.body})
        if p.freshness_probe and k == 0:
            asyncio.create_task(_probe_freshness(w, pid))
        await asyncio.sleep(rng.uniform(0.2, 2.0) * p.think_median)
    if p.likes and w.contents:
        auth = await _verified(w, p, auth) or auth
    for content in rng.sample(w.contents, min(p.likes, len(w.contents))):
        r = await w.client.call("POST /api/contents/{id}/like", "POST",
                                f"{w.engagement}/api/contents/{content}/like", headers=auth)
        w.rec.count("portal_like" if r.ok else "portal_like_failed")


async def _probe_freshness(w: World, pid: str, timeout: float = 120.0) -> None:
    """Seconds from the 200 of a submit until the participant is on the all-time board."""
    async with w.probes:
        loop = asyncio.get_running_loop()
        started = loop.time()
        url = f"{w.ranking}/api/boards/quiz.individual.all/entries/{pid}"
        assert w.probe_http is not None
        while loop.time() - started < timeout:
            try:
                r = await w.probe_http.get(url, params={"around": 0})
                if r.status_code == 200:
                    w.rec.freshness.append(loop.time() - started)
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
        w.rec.freshness_missed += 1
