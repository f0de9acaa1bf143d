"""The quiz service and the blueprints of the contest file, on the real PostgreSQL: start-up refuses
a blueprint the bank cannot fill (naming the round and the missing cell); imports are checked too."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from pathlib import Path

from services.quiz.app import create_app
from tests.integration.quiz.conftest import auth, quiz_settings
from tests.support import running
from tools.demo_contest import bank_with_levels, contest_dict, write_contest
from tools.tansu import free_port

ROOT = Path(__file__).resolve().parents[3]


def _ns_with(ns, tmp_path, **quiz_changes):
    raw = contest_dict(blueprints=True)
    for rnd in raw["quiz"]["rounds"]:
        rnd["blueprint"] = quiz_changes.get("blueprint", rnd["blueprint"])
    return dataclasses.replace(ns, contest_file=write_contest(tmp_path / "contest.yaml", raw))


async def test_start_up_refuses_a_blueprint_the_bank_cannot_fill(ns, tmp_path):
    """The real entry point (`python -m services.quiz`) stops with the reason instead of serving."""
    # The sample bank has 6 hard questions; this blueprint wants 10 in every round.
    bad = _ns_with(ns, tmp_path, blueprint={"levels": {"easy": 5, "medium": 5, "hard": 10}})
    env = {k.upper(): str(v) for k, v in bad.settings_kwargs("quiz").items()}
    env.update(PATH=os.environ["PATH"], PYTHONPATH=str(ROOT), PORT=str(free_port()),
               PARTICIPANT_PRIVATE_KEY=ns.private_key)
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "services.quiz", cwd=ROOT, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), 90)
    finally:
        if proc.returncode is None:
            proc.kill()
    text = out.decode("utf-8", "replace")
    assert proc.returncode != 0, text
    assert "quiz.rounds[week-2].blueprint" in text and "quiz.rounds[week-3].blueprint" in text, text
    assert "mức độ khó (hard) cần 10 câu, ngân hàng chỉ có 6" in text, text
    assert "quiz.rounds[week-1]" not in text  # closed a week ago: it draws no more papers


async def test_an_import_that_cannot_fill_a_round_is_refused_and_imports_nothing(ns, tmp_path):
    good = _ns_with(ns, tmp_path)
    admin = auth(ns.admin_token)
    async with running(create_app(quiz_settings(good))) as quiz:
        before = (await quiz.get("/api/admin/questions", headers=admin)).json()["versions"]
        plain = {"questions": [{k: v for k, v in q.items() if k not in ("topic", "level")}
                               for q in bank_with_levels()["questions"]]}
        res = await quiz.post("/api/admin/questions", json=plain, headers=admin)
        assert res.status_code == 422 and res.json()["error"]["code"] == "blueprint_unfillable", res.text
        message = res.json()["error"]["message"]
        assert "vòng week-2 (Tuần 2)" in message and "mức độ dễ (easy) cần 8 câu, ngân hàng chỉ có 0" in message
        assert (await quiz.get("/api/admin/questions", headers=admin)).json()["versions"] == before

        week3 = bank_with_levels()
        for q in week3["questions"]:
            q["id"] = "w3-" + q["id"]
        week3["questions"] = [q for q in week3["questions"] if q["topic"] != "an-toan-so"]
        res = await quiz.post("/api/admin/questions?round_id=week-3", json=week3, headers=admin)
        assert res.status_code == 422 and "chủ đề an-toan-so cần ít nhất 1 câu" in res.json()["error"]["message"]
        week3 = bank_with_levels()
        res = await quiz.post("/api/admin/questions?round_id=week-3", json=week3, headers=admin)
        assert res.status_code == 201, res.text
