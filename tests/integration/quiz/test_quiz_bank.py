"""Question bank import (JSON, CSV, XLSX), row errors, nothing imported on error, bank versions."""

from __future__ import annotations

import io

from openpyxl import Workbook

from tests.integration.quiz.conftest import auth, register, start

HEADER = ["id", "text", "A", "B", "C", "D", "answer"]


def _rows(n: int, prefix: str = "n") -> list[list[str]]:
    return [[f"{prefix}{i:03d}", f"Câu hỏi số {i} về chuyển đổi số – Ứng Hòa?", "Phương án một",
             "Phương án hai", "Phương án ba", "Phương án bốn", "B"] for i in range(1, n + 1)]


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv(rows: list[list[str]]) -> bytes:
    import csv

    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


async def _versions(quiz, ns) -> list[dict]:
    res = await quiz.get("/api/admin/questions", headers=auth(ns.admin_token))
    assert res.status_code == 200
    return res.json()["versions"]


async def test_the_contest_bank_is_loaded_at_start_up(quiz, ns):
    versions = await _versions(quiz, ns)
    assert len(versions) == 1 and versions[0]["source"] == "questions.json" and versions[0]["question_count"] == 25


async def test_import_each_format_and_attempts_keep_their_version(quiz, ns):
    who = await register(quiz)
    first = (await start(quiz, who["token"])).json()
    assert all(q["question_id"].startswith("q") for q in first["questions"])

    json_bank = {"questions": [{"id": f"j{i:03d}", "text": f"Câu JSON {i}: “Chính quyền số” là gì?",
                                "options": [{"key": "A", "text": "Đúng"}, {"key": "B", "text": "Sai"}],
                                "answer": "A"} for i in range(1, 21)]}
    res = await quiz.post("/api/admin/questions", json=json_bank, headers=auth(ns.admin_token))
    assert res.status_code == 201, res.text
    assert res.json()["question_count"] == 20

    res = await quiz.post("/api/admin/questions", headers=auth(ns.admin_token),
                          files={"file": ("ngan-hang.csv", _csv([HEADER, *_rows(21, "c")]), "text/csv")})
    assert res.status_code == 201, res.text
    assert res.json()["question_count"] == 21

    xlsx = _xlsx([HEADER, *_rows(22, "x")])
    res = await quiz.post("/api/admin/questions", headers=auth(ns.admin_token),
                          files={"file": ("ngan-hang.xlsx", xlsx,
                                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    assert res.status_code == 201, res.text
    assert res.json()["question_count"] == 22
    versions = await _versions(quiz, ns)
    assert [v["question_count"] for v in versions] == [22, 21, 20, 25]

    # The running attempt keeps version 1: its questions and grading are unchanged.
    resumed = (await quiz.get(f"/api/attempts/{first['attempt_id']}", headers=auth(who["token"]))).json()
    assert [q["question_id"] for q in resumed["questions"]] == [q["question_id"] for q in first["questions"]]
    done = await quiz.post(f"/api/attempts/{first['attempt_id']}/submit", headers=auth(who["token"]),
                           json={"answers": [{"question_id": q["question_id"], "option_key": q["options"][0]["key"]}
                                             for q in first["questions"]]})
    assert done.status_code == 200
    # A new attempt draws from the newest bank, Vietnamese text exactly as uploaded.
    second = (await start(quiz, who["token"])).json()
    assert all(q["question_id"].startswith("x") for q in second["questions"])
    assert second["questions"][0]["text"].startswith("Câu hỏi số ") and "Ứng Hòa" in second["questions"][0]["text"]
    assert {o["text"] for o in second["questions"][0]["options"]} == {
        "Phương án một", "Phương án hai", "Phương án ba", "Phương án bốn"}
    done = await quiz.post(f"/api/attempts/{second['attempt_id']}/submit", headers=auth(who["token"]),
                           json={"answers": [{"question_id": q["question_id"], "option_key": "B"}
                                             for q in second["questions"]]})
    assert done.json()["correct"] == 20


async def test_a_bad_xlsx_is_rejected_with_row_errors_and_nothing_imported(quiz, ns):
    rows = _rows(5)
    rows[1][6] = "E"                       # row 3: answer is not an option
    rows[2][0] = "n001"                    # row 4: duplicate id
    rows[3][2:6] = ["Chỉ một", "", "", ""]  # row 5: one option only
    rows[4][6] = ""                        # row 6: no answer
    res = await quiz.post("/api/admin/questions", headers=auth(ns.admin_token),
                          files={"file": ("sai.xlsx", _xlsx([HEADER, *rows]), "application/octet-stream")})
    assert res.status_code == 422, res.text
    err = res.json()["error"]
    assert err["code"] == "invalid_bank" and "chưa nhập" in err["message"]
    by_row = {(d["row"], d["field"]) for d in err["details"]}
    assert {(3, "answer"), (4, "id"), (5, "options"), (6, "answer")} <= by_row
    assert all(d["row"] != 2 for d in err["details"])
    assert len(await _versions(quiz, ns)) == 1

    broken = await quiz.post("/api/admin/questions", headers=auth(ns.admin_token),
                             files={"file": ("hong.xlsx", b"PK\x03\x04 not really a workbook", "application/octet-stream")})
    assert broken.status_code == 422 and broken.json()["error"]["code"] == "invalid_bank_file"
    no_header = await quiz.post("/api/admin/questions", headers=auth(ns.admin_token),
                                files={"file": ("x.csv", b"foo,bar\n1,2\n", "text/csv")})
    assert no_header.status_code == 422 and no_header.json()["error"]["code"] == "invalid_bank_file"
    bad_json = await quiz.post("/api/admin/questions", headers=auth(ns.admin_token),
                               json={"questions": [{"id": "a", "text": "?", "options": [
                                   {"key": "A", "text": "1", "correct": True}, {"key": "B", "text": "2", "correct": True}]}]})
    assert bad_json.status_code == 422 and bad_json.json()["error"]["details"][0]["field"] == "answer"
    assert len(await _versions(quiz, ns)) == 1


async def test_admin_token_is_required(quiz, ns):
    res = await quiz.post("/api/admin/questions", json={"questions": []})
    assert res.status_code == 401
    res = await quiz.post("/api/admin/questions", json={"questions": []}, headers=auth("wrong-token"))
    assert res.status_code == 403
