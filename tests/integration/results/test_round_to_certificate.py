"""End to end over the real quiz and ranking services (PostgreSQL + broker): papers drawn to the
round's blueprint; before the round closes no route reveals a key; after it the review shows the
right options; the frozen board's results are published once with a stable hash; a winner's
certificate PDF carries the name with its diacritics and its verification page shows the same."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from pypdf import PdfReader

from services.quiz.app import create_app as create_quiz
from services.ranking import prizes
from tests.integration.quiz.conftest import auth, fresh_phone, quiz_settings
from tests.integration.ranking.helpers import serve
from tests.integration.results.browser import ARTIFACTS, chromium_available, pdf_to_png, phone, signed_in, uvicorn_served
from tests.support import wait_for
from tools.demo_contest import DEMO_BLUEPRINT, bank_with_levels, contest_dict, write_contest

BOARD = "quiz.individual.round-week-1"
CLOSE_IN = timedelta(seconds=35)  # room for two service start-ups and three attempts on a busy machine
TIME_LIMIT = 20  # seconds per attempt: the round is settled (keys shown) this long after its close
NAMES = ["Nguyễn Thị Thu Hằng", "Trần Văn Bình", "Lê Đức Mạnh"]
RIGHT = [20, 15, 10]  # correct answers per participant: three different scores, no tie


def _contest(tmp: Path, closes_at: datetime) -> Path:
    raw = contest_dict(blueprints=True)
    raw["quiz"].update(time_limit_seconds=TIME_LIMIT, grace_seconds=0)
    iso = lambda d: d.isoformat()  # noqa: E731
    raw["quiz"]["rounds"] = [
        {"id": "week-1", "name": "Tuần 1", "opens_at": iso(closes_at - timedelta(hours=2)), "closes_at": iso(closes_at),
         "blueprint": DEMO_BLUEPRINT},
        {"id": "week-2", "name": "Tuần 2", "opens_at": iso(closes_at), "closes_at": iso(closes_at + timedelta(days=7)),
         "blueprint": DEMO_BLUEPRINT},
    ]
    return write_contest(tmp / "contest.yaml", raw)


def _week2_bank() -> dict:
    bank = bank_with_levels()
    for q in bank["questions"]:
        q["id"] = "w2-" + q["id"]
    return bank


@pytest.fixture
def closing_ns(ns, tmp_path):
    closes_at = datetime.now(UTC).replace(microsecond=0) + CLOSE_IN
    return dataclasses.replace(ns, contest_file=_contest(tmp_path, closes_at)), closes_at


async def test_a_round_from_blueprint_papers_to_verified_certificates(closing_ns):
    ns, closes_at = closing_ns
    bank = {q["id"]: q for q in json.loads((ns.contest_file.parent / "questions.json").read_text("utf-8"))["questions"]}
    admin = auth(ns.admin_token)
    quiz_app = create_quiz(quiz_settings(ns))
    async with (uvicorn_served(quiz_app) as quiz_url, httpx.AsyncClient(base_url=quiz_url, timeout=10) as quiz,
                serve(ns) as (ranking, ranking_app)):
        people, papers, sent = [], [], []
        for name in NAMES:
            res = await quiz.post("/api/participants", json={"full_name": name, "phone": fresh_phone(),
                                                             "unit_id": "van-dinh"})
            assert res.status_code == 201, res.text
            people.append(res.json())
        for who in people:
            res = await quiz.post("/api/attempts", json={"round_id": "week-1"}, headers=auth(who["token"]))
            assert res.status_code == 201, res.text
            papers.append(res.json())

        # Every paper is drawn to the blueprint: 8 easy, 8 medium, 4 hard, every topic present.
        for paper in papers:
            served = [bank[q["question_id"]] for q in paper["questions"]]
            assert Counter(q["level"] for q in served) == {"easy": 8, "medium": 8, "hard": 4}
            assert set(DEMO_BLUEPRINT["topics"]) <= {q["topic"] for q in served}
            assert "answer" not in json.dumps(paper) and "correct" not in json.dumps(paper)

        # Before the close no route reveals a key.
        first = papers[0]["attempt_id"]
        for path, headers in ((f"/api/attempts/{first}/review", auth(people[0]["token"])),
                              ("/api/rounds/week-1/review", auth(people[0]["token"])),
                              ("/api/rounds/week-1/key", {})):
            res = await quiz.get(path, headers=headers)
            assert res.status_code == 409 and res.json()["error"]["code"] == "round_not_closed", (path, res.text)
        res = await quiz.post("/api/admin/rounds/week-1/publish-key", json={"published_by": "Ban Tổ chức"},
                              headers=admin)
        assert res.status_code == 409, res.text
        assert (await quiz.get(f"/api/attempts/{first}/review")).status_code == 401
        assert (await quiz.get(f"/api/attempts/{first}/review", headers=auth(people[1]["token"]))).status_code == 404

        for who, paper, right in zip(people, papers, RIGHT, strict=True):
            answers = []
            for i, q in enumerate(paper["questions"]):
                key = bank[q["question_id"]]["answer"]
                if i < right:
                    answers.append({"question_id": q["question_id"], "option_key": key})
                elif i < 18:
                    answers.append({"question_id": q["question_id"],
                                    "option_key": next(o["key"] for o in q["options"] if o["key"] != key)})
            sent.append({a["question_id"]: a["option_key"] for a in answers})
            res = await quiz.post(f"/api/attempts/{paper['attempt_id']}/submit", json={"answers": answers},
                                  headers=auth(who["token"]))
            assert res.status_code == 200 and res.json()["correct"] == right, res.text

        # The ranking service gets the three attempts; the board is frozen; results wait for the close.
        async def board_total() -> int:
            return (await ranking.get(f"/api/boards/{BOARD}")).json()["total"] == 3
        await wait_for(board_total, timeout=60, what="three attempts on the round board")
        res = await ranking.post("/api/admin/results", json={"board_id": BOARD, "published_by": "Trưởng ban"},
                                 headers=admin)
        assert res.status_code == 409 and res.json()["error"]["code"] == "window_not_closed", res.text
        assert (await ranking.post(f"/api/admin/boards/{BOARD}/freeze", headers=admin)).status_code == 200
        res = await ranking.post("/api/admin/results", json={"board_id": BOARD, "published_by": "Trưởng ban"},
                                 headers=admin)
        assert res.status_code == 409 and res.json()["error"]["code"] == "window_not_closed", res.text

        await wait_for(lambda: datetime.now(UTC) >= closes_at, timeout=CLOSE_IN.total_seconds() + 30,
                       interval=0.2, what="the round to close")
        # Closed, but an attempt started just before the close could still be running: still no key.
        if datetime.now(UTC) < closes_at + timedelta(seconds=TIME_LIMIT - 3):
            res = await quiz.get(f"/api/attempts/{first}/review", headers=auth(people[0]["token"]))
            assert res.status_code == 409 and "review_opens_at" in res.json()["error"]["details"], res.text
            assert (await quiz.get("/api/rounds/week-1/key")).status_code == 409
        settled = closes_at + timedelta(seconds=TIME_LIMIT)
        await wait_for(lambda: datetime.now(UTC) >= settled, timeout=TIME_LIMIT + 30, interval=0.2,
                       what="the round's last attempt to run out of time")

        # After the close: the review shows each question with the right option — except questions
        # still in the bank of the open week-2 round, whose keys stay hidden.
        res = await quiz.get(f"/api/attempts/{first}/review", headers=auth(people[0]["token"]))
        assert res.status_code == 200, res.text
        assert all(q["withheld"] and q["correct_key"] is None for q in res.json()["questions"])
        assert "correct" not in json.dumps([q["options"] for q in res.json()["questions"]])
        res = await quiz.post("/api/admin/questions?round_id=week-2", json=_week2_bank(), headers=admin)
        assert res.status_code == 201, res.text
        for who, paper, chosen in zip(people, papers, sent, strict=True):
            res = await quiz.get(f"/api/attempts/{paper['attempt_id']}/review", headers=auth(who["token"]))
            assert res.status_code == 200, res.text
            review = res.json()
            assert [q["question_id"] for q in review["questions"]] == [q["question_id"] for q in paper["questions"]]
            for q in review["questions"]:
                key = bank[q["question_id"]]["answer"]
                assert (q["correct_key"], q["chosen_key"], q["withheld"]) == (key, chosen.get(q["question_id"]), False)
                assert [o["key"] for o in q["options"] if o["correct"]] == [key]
                assert q["is_correct"] == (chosen.get(q["question_id"]) == key)
        rounds = (await quiz.get("/api/rounds/week-1/review", headers=auth(people[1]["token"]))).json()
        assert [a["attempt_id"] for a in rounds["attempts"]] == [papers[1]["attempt_id"]]

        # Item analysis for organizers: each served question's share correct next to its declared level.
        items = (await quiz.get("/api/admin/rounds/week-1/items", headers=admin)).json()["items"]
        assert {i["question_id"] for i in items} == {q["question_id"] for p in papers for q in p["questions"]}
        for item in items:
            right = sum(chosen.get(item["question_id"]) == bank[item["question_id"]]["answer"] for chosen in sent)
            served = sum(1 for p in papers if item["question_id"] in {q["question_id"] for q in p["questions"]})
            assert (item["served"], item["share_correct"]) == (served, round(right / served, 4))
            assert item["declared_level"] == bank[item["question_id"]]["level"]

        # The answer key: not public until published, then every served question with its key.
        assert (await quiz.get("/api/rounds/week-1/key")).status_code == 404
        res = await quiz.post("/api/admin/rounds/week-1/publish-key", json={"published_by": "Ban Tổ chức"},
                              headers=admin)
        assert res.status_code == 201, res.text
        key = (await quiz.get("/api/rounds/week-1/key")).json()
        served_ids = {q["question_id"] for p in papers for q in p["questions"]}
        assert {q["question_id"]: q["correct_key"] for q in key["questions"]} == {
            i: bank[i]["answer"] for i in served_ids}
        assert key["published_by"] == "Ban Tổ chức"

        # Official results: published once, immutable, hash re-computed equal, re-publishing is the same.
        res = await ranking.post("/api/admin/results", json={"board_id": BOARD, "published_by": "Trưởng ban"},
                                 headers=admin)
        assert res.status_code == 201, res.text
        snap = res.json()
        assert prizes.sha256(prizes.canonical(snap["content"])) == snap["sha256"]
        winners = [(e["display_name"], e["prize"]) for e in snap["content"]["entries"]]
        assert winners == [(NAMES[0], "first"), (NAMES[1], "second"), (NAMES[2], "second")]
        again = await ranking.post("/api/admin/results", json={"board_id": BOARD, "published_by": "Người khác"},
                                   headers=admin)
        assert again.status_code == 200 and again.json() == snap
        public = (await ranking.get(f"/api/results/{snap['snapshot_id']}")).json()
        assert public == snap
        async with ranking_app.state.runtime.pool.acquire() as conn:
            stored = await conn.fetchval("SELECT content FROM published_results WHERE snapshot_id = $1",
                                         snap["snapshot_id"])
            assert prizes.sha256(stored.encode()) == snap["sha256"]
            with pytest.raises(asyncpg.RaiseError, match="immutable"):
                await conn.execute("UPDATE published_results SET published_by = 'x'")
        page = await ranking.get(f"/results/{snap['snapshot_id']}")
        assert page.status_code == 200 and NAMES[0] in page.text and "Giải Nhất" in page.text
        assert snap["sha256"] in page.text
        csv_text = (await ranking.get(f"/api/results/{snap['snapshot_id']}/export.csv")).content.decode("utf-8-sig")
        assert f"Giải Nhất,{people[0]['participant_id']},{NAMES[0]}" in csv_text
        xlsx = await ranking.get(f"/api/results/{snap['snapshot_id']}/export.xlsx")
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"

        # The certificate: a PDF with the name as registered, the unit, the prize and the verification URL.
        res = await ranking.get(f"/api/results/{snap['snapshot_id']}/certificates/{people[0]['participant_id']}.pdf")
        assert res.status_code == 200 and res.headers["content-type"] == "application/pdf"
        text = PdfReader(io.BytesIO(res.content)).pages[0].extract_text()
        for part in (NAMES[0], "GIẢI NHẤT", "Thị trấn Vân Đình", "Chuyển đổi số – Vững bước tiến vào Kỷ nguyên mới"):
            assert part in text, (part, text)
        code = re.search(r"/verify/([A-Z2-7]{10})", text).group(1)
        assert code == prizes.certificate_code(snap["sha256"], people[0]["participant_id"])
        verified = (await ranking.get(f"/api/results/verify/{code}")).json()
        assert verified["entry"]["display_name"] == NAMES[0] and verified["entry"]["prize_name"] == "Giải Nhất"
        assert verified["snapshot"]["sha256"] == snap["sha256"]
        page = await ranking.get(f"/verify/{code}")
        assert page.status_code == 200 and "Giấy chứng nhận hợp lệ" in page.text
        assert f'id="verified-name">{NAMES[0]}<' in page.text and 'id="verified-prize">Giải Nhất<' in page.text
        bogus = await ranking.get("/verify/AAAAAAAAAA")
        assert bogus.status_code == 404 and "không tồn tại" in bogus.text
        loser = await ranking.get(f"/api/results/{snap['snapshot_id']}/certificates/nobody.pdf")
        assert loser.status_code == 404 and loser.json()["error"]["code"] == "not_a_winner"

        if chromium_available():
            await _look_at_the_pages(quiz_url, str(ranking.base_url).rstrip("/"), people[0], snap, code, res.content)


async def _look_at_the_pages(quiz_url: str, ranking_url: str, who: dict, snap: dict, code: str, pdf: bytes) -> None:
    """What a resident sees on a phone: the review, the results page (also printed), the verification."""
    from playwright.async_api import expect

    async with phone() as (context, errors):
        await signed_in(context, quiz_url, who)
        page = await context.new_page()
        await page.goto(f"{quiz_url}/quiz/review?round=week-1")
        await expect(page.get_by_text("— đáp án đúng").first).to_be_visible(timeout=20_000)
        await expect(page.locator(".review-q")).to_have_count(20)
        await page.get_by_text("— đáp án đúng").first.scroll_into_view_if_needed()
        await page.screenshot(path=ARTIFACTS / "review-phone.png")

        await page.goto(f"{ranking_url}/results/{snap['snapshot_id']}")
        await expect(page.get_by_role("heading", name="Giải Nhất", exact=True)).to_be_visible()
        await expect(page.get_by_text(NAMES[0])).to_be_visible()
        await page.screenshot(path=ARTIFACTS / "results-phone.png")
        await page.emulate_media(media="print")
        assert await page.locator("header.site").is_hidden() and await page.locator(".rs-actions").is_hidden()
        await page.emulate_media(media="screen")

        await page.goto(f"{ranking_url}/verify/{code}")
        await expect(page.get_by_role("heading", name="Giấy chứng nhận hợp lệ")).to_be_visible()
        await page.screenshot(path=ARTIFACTS / "verify-phone.png", full_page=True)
        assert errors == [], errors
    png = pdf_to_png(pdf, ARTIFACTS / "certificate.png")
    assert png.stat().st_size > 10_000
