"""A scripted stream with duplicates, reordering and late events gives exactly the expected boards;
poison messages go to the DLQ; SSE clients get updates; admin freeze; rebuild equals live."""

from __future__ import annotations

import asyncio
import contextlib

import orjson

from services.ranking.rebuild import rebuild
from services.ranking.settings import RankingSettings
from shared import events as ev
from tests.integration.ranking.helpers import (
    all_boards,
    answer,
    engaged,
    judged,
    new_id,
    published,
    send,
    serve,
)
from tests.support import read_topic, wait_for

A1 = new_id()


def script() -> list:
    dup_attempt = answer("a1", "p1", 60, minutes=30, event_id=A1)
    return [
        dup_attempt,
        answer("a2", "p1", 80, minutes=10),
        answer("a3", "p2", 80, minutes=20, dur=200_000),  # same score as a2: shorter a2 wins
        dup_attempt,  # duplicate (same id)
        answer("a2", "p1", 80, minutes=10),  # same attempt re-sent with a fresh event id
        judged("quiz", "attempt", "a2", "e1", 2, 50.0),  # essay: revision 2 before revision 1
        judged("quiz", "attempt", "a2", "e1", 1, 10.0),
        judged("initiatives", "initiative", "ini-1", "j1", 2, 90.0),
        judged("initiatives", "initiative", "ini-1", "j1", 1, 40.0),  # late, lower revision
        judged("initiatives", "initiative", "ini-1", "j2", 1, 70.0),
        judged("initiatives", "initiative", "ini-2", "j1", 1, 60.0),
        engaged("ini-2", "x", "unlike", 20),  # reordered: the unlike arrives first
        engaged("ini-2", "x", "like", 10),
        engaged("ini-2", "y", "like", 5),
        engaged("ini-1", "z", "share", 1, platform="zalo"),
        published("ini-1", "Sổ hóa hồ sơ một cửa"),
        published("ini-2", "Chợ nông sản 4.0"),
        *[judged("stage", "initiative", "ini-1", f"s{i}", 1, v) for i, v in enumerate([60, 70, 80, 90, 100])],
        (ev.ANSWER_SUBMITTED, b"{not json"),
        (ev.JUDGE_SCORED, orjson.dumps({"specversion": "1.0", "id": "x", "data": {}})),
        answer("a4", "p3", 70, minutes=60 * 24 * 8, rnd="week-1"),  # late: last week's round
    ]


# What the script must give once every topic is applied.
QUIZ_RANKS = [(1, "p1", 90.0), (2, "p2", 80.0), (3, "p3", 70.0)]
STAGE_RANKS = [(1, "ini-1", 80.0)]
INI_RANKS = [(1, "ini-1", 86.0), (2, "ini-2", 52.0)]  # 0.7×80 + 0.3×100 ; 0.7×60 + 0.3×(100×1/3)
INI_TITLES = ["Sổ hóa hồ sơ một cửa", "Chợ nông sản 4.0"]


def ranks(entries):
    return [(e["rank"], e["entrant_id"], e["score"]) for e in entries]


async def test_scripted_stream_sse_freeze_and_rebuild(ns):
    async with serve(ns) as (client, _app):
        # an SSE client connected before the events
        lines: list[str] = []

        async def listen():
            async with client.stream("GET", "/api/boards/quiz.individual.all/stream", timeout=30) as resp:
                assert resp.status_code == 200
                async for line in resp.aiter_lines():
                    lines.append(line)

        listener = asyncio.create_task(listen())
        await wait_for(lambda: any(line.startswith("event: hello") for line in lines), what="SSE hello")
        await send(ns.bootstrap, ns.topic_prefix, script())

        async def settled():
            # each topic has its own subscriber and batches: wait until every stream's last event is in
            quiz = (await client.get("/api/boards/quiz.individual.all")).json()["entries"]
            stage = (await client.get("/api/boards/stage.entry.all")).json()["entries"]
            ini = (await client.get("/api/boards/initiatives.entry.all")).json()["entries"]
            views = (ranks(quiz), ranks(stage), ranks(ini), [e["display_name"] for e in ini])
            return views == (QUIZ_RANKS, STAGE_RANKS, INI_RANKS, INI_TITLES)

        with contextlib.suppress(AssertionError):  # on a timeout the assertions below show what differs
            await wait_for(settled, timeout=30, what="all events applied")
        quiz = (await client.get("/api/boards/quiz.individual.all")).json()
        assert ranks(quiz["entries"]) == QUIZ_RANKS
        assert quiz["entries"][0]["details"]["round_id"] == "week-2"
        assert quiz["entries"][0]["details"]["essay_judges"] == {"e1": 50.0}
        week1 = (await client.get("/api/boards/quiz.individual.round-week-1")).json()
        assert ranks(week1["entries"]) == [(1, "p3", 70.0)]
        unit = (await client.get("/api/boards/quiz.unit.all")).json()["entries"][0]
        assert unit["details"]["participants"] == 3 and unit["details"]["attempts"] == 4
        ini = (await client.get("/api/boards/initiatives.entry.all")).json()["entries"]
        assert ranks(ini) == INI_RANKS
        assert ini[0]["display_name"] == INI_TITLES[0]
        assert ini[1]["details"]["engagement"] == {"portal": {"like": 1, "share": 0, "comment": 0, "view": 0}}
        assert ini[0]["details"]["judges"]["j1"] == {"total": 90.0, "revision": 2}
        stage = (await client.get("/api/boards/stage.entry.all")).json()["entries"]
        assert ranks(stage) == STAGE_RANKS and stage[0]["details"]["aggregation"] == "trimmed_mean"

        # poison messages went to the DLQ, and processing went on
        dlq = await read_topic(ns.bootstrap, ns.topic(ev.dlq_topic(ev.ANSWER_SUBMITTED)), count=1)
        assert dlq[0].value == b"{not json"
        assert len(await read_topic(ns.bootstrap, ns.topic(ev.dlq_topic(ev.JUDGE_SCORED)), count=1)) == 1

        # the SSE client received the changed rows
        def sse_rows():
            rows = [orjson.loads(line[5:]) for line in lines if line.startswith("data:")]
            return [r for m in rows for r in m.get("changed", [])]

        await wait_for(lambda: {"p1", "p2", "p3"} <= {r["entrant_id"] for r in sse_rows()}, what="SSE rows")

        # around-me, errors, exports
        me = (await client.get("/api/boards/quiz.individual.all/entries/p2", params={"around": 1})).json()
        assert me["rank"] == 2 and [e["entrant_id"] for e in me["entries"]] == ["p1", "p2", "p3"]
        assert (await client.get("/api/boards/nope.x.all")).status_code == 404
        assert (await client.get("/api/boards/quiz.individual.all/entries/zz")).status_code == 404
        bad = await client.get("/api/boards/quiz.individual.all", params={"limit": 0})
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"
        csv = await client.get("/api/boards/quiz.individual.all/export.csv")
        assert csv.status_code == 200 and "Người p1" in csv.content.decode("utf-8-sig")
        xlsx = await client.get("/api/boards/quiz.individual.all/export.xlsx")
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
        found = (await client.get("/api/boards/quiz.individual.all", params={"q": "người p3"})).json()
        assert [e["entrant_id"] for e in found["entries"]] == ["p3"]
        assert (await client.get("/boards/quiz.individual.all")).status_code == 200
        assert (await client.get("/boards/stage.entry.all/screen")).status_code == 200

        # freeze: the public view stops moving while events still apply
        admin = {"Authorization": f"Bearer {ns.admin_token}"}
        organizer = (await client.get("/api/admin/boards/quiz.individual.all/live", headers=admin)).json()
        assert organizer["entries"][0]["details"]["attempt_id"] == "a2"  # the organizers' view names it
        assert (await client.post("/api/admin/boards/stage.entry.all/freeze")).status_code == 401
        assert (await client.post("/api/admin/boards/stage.entry.all/freeze", headers=admin)).status_code == 200
        await send(ns.bootstrap, ns.topic_prefix, [judged("stage", "initiative", "ini-2", "s1", 1, 99.0)])
        def live():
            return client.get("/api/admin/boards/stage.entry.all/live", headers=admin)

        await wait_for(lambda: _total(live(), 2), what="event applied while frozen")
        public = (await client.get("/api/boards/stage.entry.all")).json()
        assert public["frozen"] and ranks(public["entries"]) == [(1, "ini-1", 80.0)]
        assert (await client.post("/api/admin/boards/stage.entry.all/unfreeze", headers=admin)).status_code == 200
        assert ranks((await client.get("/api/boards/stage.entry.all")).json()["entries"])[0][1] == "ini-2"
        ref = "/api/admin/boards/references/week-2"
        assert (await client.put(ref, json={"value": 120})).status_code == 401
        assert (await client.put(ref, json={"value": 120}, headers=admin)).json()["final"] is True
        assert (await client.put(ref, json={"value": "x"}, headers=admin)).status_code == 422
        assert (await client.put("/api/admin/boards/references/nope", json={"value": 1},
                                 headers=admin)).status_code == 404
        assert (await client.delete(ref, headers=admin)).status_code == 200
        listener.cancel()
        live_state = await all_boards(client)

    # rebuild from the topics into fresh state equals the live state
    counts = await rebuild(RankingSettings(**ns.settings_kwargs("ranking")))
    assert counts[ev.ANSWER_SUBMITTED] == 5
    async with serve(ns) as (client, _app):
        assert await all_boards(client) == live_state


async def _total(response, n):
    return (await response).json()["total"] == n
