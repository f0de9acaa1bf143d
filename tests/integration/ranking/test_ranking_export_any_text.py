"""Exports never fail on what is already stored: a name that reached the board with control
characters (stored before the door cleaned names) still exports, cleaned, and formulas are defused."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.integration.ranking.helpers import answer, send, serve
from tests.support import wait_for

DIRTY = "Ab\x1b[31m\x07"


async def test_a_dirty_name_already_stored_still_exports(ns):
    topic, event = answer("a-dirty-1", "p-dirty", 80.0)
    dirty = event.model_copy(update={"data": event.data.model_copy(update={"display_name": DIRTY})})
    topic2, event2 = answer("a-formula-1", "p-formula", 70.0, minutes=1)
    formula = event2.model_copy(update={"data": event2.data.model_copy(update={"display_name": "=HYPERLINK(1)"})})
    async with serve(ns) as (client, _app):
        await send(ns.bootstrap, ns.topic_prefix, [(topic, dirty), (topic2, formula)])

        async def both_on_board():
            r = await client.get("/api/boards/quiz.individual.all")
            return r.status_code == 200 and len(r.json()["entries"]) == 2

        await wait_for(both_on_board, timeout=30, what="both attempts on the board")
        xlsx = await client.get("/api/boards/quiz.individual.all/export.xlsx")
        assert xlsx.status_code == 200, xlsx.text
        sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
        names = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert names == ["Ab[31m", "'=HYPERLINK(1)"]
        csv = await client.get("/api/boards/quiz.individual.all/export.csv")
        assert csv.status_code == 200
        text = csv.content.decode("utf-8-sig")
        assert "\x1b" not in text and "\x07" not in text and ",'=HYPERLINK(1)," in text
