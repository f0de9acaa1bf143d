"""Seed what a quiz day needs, through the public and organizer APIs only: initiatives (created,
submitted, approved), judges, two platforms with signing secrets and content mappings, stage finalists."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.quizday.client import Client
from bench.quizday.platforms import Platform, new_secret
from bench.quizday.stack import Stack
from shared.contest import load_contest

FIELDS = ["chinh-quyen-so", "kinh-te-so", "xa-hoi-so"]
TITLES = ["Chợ 4.0 không dùng tiền mặt", "Sổ tay đảng viên điện tử", "Camera an ninh thôn xóm",
          "Bản đồ số nông sản OCOP", "Zalo OA tiếp nhận phản ánh", "Trạm y tế số", "Thư viện số trường học",
          "Quét mã QR điểm du lịch", "Số hóa hồ sơ một cửa", "Nhà văn hóa thông minh", "Sàn thương mại làng nghề",
          "Loa truyền thanh thông minh", "Ví điện tử cho người cao tuổi", "Học bạ số", "Họp không giấy",
          "Bảo hiểm y tế trên VNeID"]


class SetupError(RuntimeError):
    pass


@dataclass
class Judge:
    id: str
    token: str


@dataclass
class World:
    contest: dict[str, Any]
    round_id: str
    free_kind: str
    units: list[str]
    attempt_limit: int
    answer_key: dict[str, str]
    initiatives: list[str]
    judges: list[Judge]
    platforms: list[Platform]
    finalists: list[str]
    criteria: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # ini/stage/essay rubrics


def answer_key(contest_file: str) -> dict[str, str]:
    path = Path(contest_file)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    bank = raw.get("quiz", {}).get("bank_file")
    if not bank:
        return {}
    data = json.loads((path.parent / bank).read_text(encoding="utf-8"))
    return {q["id"]: q["answer"] for q in data.get("questions", []) if "answer" in q}


def _must(r: Any, what: str, *ok: int) -> Any:
    if r.status not in ok:
        raise SetupError(f"{what}: HTTP {r.status} {str(r.body)[:300]}")
    return r.body


async def seed(client: Client, stack: Stack, *, initiatives: int = 12, judges: int = 5, finalists: int = 6,
               tag: str | None = None) -> World:
    tag = tag or secrets.token_hex(3)
    quiz, ini, eng = stack.url("quiz"), stack.url("initiatives"), stack.url("engagement")
    admin = {"Authorization": f"Bearer {stack.admin_token}"}
    contest = _must(await client.call("GET /api/contest", "GET", f"{quiz}/api/contest"), "contest", 200)
    open_rounds = [r for r in contest["rounds"] if r["open"]]
    if not open_rounds:
        raise SetupError("no quiz round is open")
    units = [u["id"] for u in contest["units"]]
    ini_phase = next(p["id"] for p in contest["phases"] if p["kind"] == "initiatives")

    ids = []
    for i in range(initiatives):
        body = {"title": f"{TITLES[i % len(TITLES)]} ({tag}-{i})", "field": FIELDS[i % len(FIELDS)],
                "summary": "Ứng dụng công nghệ số phục vụ người dân và doanh nghiệp.",
                "description": "Mô tả chi tiết: mục tiêu, cách làm, kết quả đạt được và khả năng nhân rộng.",
                "unit_id": units[(i * 5) % len(units)]}
        made = _must(await client.call("POST /api/initiatives/manage", "POST", f"{ini}/api/initiatives/manage",
                                       json=body, headers=admin), "create initiative", 201)
        _must(await client.call("POST /api/initiatives/manage/{id}/submit", "POST",
                                f"{ini}/api/initiatives/manage/{made['id']}/submit", headers=admin),
              "submit initiative", 200)
        _must(await client.call("POST /api/admin/initiatives/initiatives/{id}/approve", "POST",
                                f"{ini}/api/admin/initiatives/initiatives/{made['id']}/approve", headers=admin),
              "approve initiative", 200)
        ids.append(made["id"])

    judge_list = []
    for k in range(judges):
        username, password = f"gk-{tag}-{k}", secrets.token_urlsafe(12)
        _must(await client.call("POST /api/admin/initiatives/staff", "POST", f"{ini}/api/admin/initiatives/staff",
                                json={"username": username, "display_name": f"Giám khảo {k + 1}", "role": "judge",
                                      "password": password}, headers=admin), "create judge", 201)
        login = _must(await client.call("POST /api/staff/login", "POST", f"{ini}/api/staff/login",
                                        json={"username": username, "password": password}), "judge login", 200)
        judge_list.append(Judge(login["staff"]["id"], login["token"]))


    platforms = []
    for pid in ("facebook", "zalo"):
        secrets_ = [new_secret(), new_secret()]
        body = {"id": pid, "name": pid.capitalize(), "secrets": secrets_, "rate_per_second": 20000,
                "burst": 200000, "actor_per_minute": 10000}
        r = await client.call("POST /api/admin/engagement/platforms", "POST",
                              f"{eng}/api/admin/engagement/platforms", json=body, headers=admin)
        if r.status == 409:
            r = await client.call("PUT /api/admin/engagement/platforms/{id}", "PUT",
                                  f"{eng}/api/admin/engagement/platforms/{pid}", json=body, headers=admin)
        _must(r, f"register platform {pid}", 200, 201)
        refs = {}
        for n, content in enumerate(ids):
            ref = f"{pid}-post-{tag}-{n}"
            _must(await client.call("PUT /api/admin/engagement/mappings", "PUT",
                                    f"{eng}/api/admin/engagement/mappings",
                                    json={"platform": pid, "content_ref": ref, "content_id": content},
                                    headers=admin), "mapping", 200)
            refs[ref] = content
        platforms.append(Platform(pid, secrets_, refs, contest["contest_id"], ini_phase))

    chosen = ids[:finalists]
    _must(await client.call("PUT /api/stage/finalists", "PUT", f"{ini}/api/stage/finalists",
                            json={"initiative_ids": chosen}, headers=admin), "stage finalists", 200)
    return World(contest=contest, round_id=open_rounds[0]["id"], free_kind=contest["free_question"]["kind"],
                 units=units, attempt_limit=int(contest["quiz"]["attempts_per_round"]),
                 answer_key=answer_key(stack.contest_file), initiatives=ids, judges=judge_list,
                 platforms=platforms, finalists=chosen, criteria=_criteria(stack.contest_file))


def _criteria(contest_file: str) -> dict[str, list[dict[str, Any]]]:
    """The three rubrics (initiatives, stage, essays) from the contest file: [{id, max}]."""
    c = load_contest(contest_file)
    return {name: [{"id": k.id, "max": k.max} for k in rubric.criteria]
            for name, rubric in (("initiatives", c.initiatives.rubric), ("stage", c.stage.rubric),
                                 ("essays", c.essay_rubric()))}
