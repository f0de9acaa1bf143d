"""Read the facts straight from the owners' schemas (`quiz`, `initiatives`, `engagement`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class Attempt:
    attempt_id: str
    participant_id: str
    display_name: str
    unit_id: str
    round_id: str
    submitted_at: datetime
    duration_ms: int
    correct: int
    total: int
    score: float
    prediction: float | None


@dataclass(frozen=True)
class Score:
    judge_id: str
    phase_id: str
    subject_type: str
    subject_id: str
    revision: int
    total: float


@dataclass
class Facts:
    attempts: list[Attempt] = field(default_factory=list)
    scores: list[Score] = field(default_factory=list)  # every non-abstain revision
    initiatives: dict[str, dict] = field(default_factory=dict)  # id -> {status, title, unit_id, field}
    likes: dict[tuple[str, str], int] = field(default_factory=dict)  # (content, platform) -> liked actors
    actions: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (content, platform, action) -> n
    content_stats: dict[str, dict[str, int]] = field(default_factory=dict)
    references: dict[str, float] = field(default_factory=dict)  # organizer's prediction references


async def _columns(conn: asyncpg.Connection, schema: str, table: str) -> set[str]:
    rows = await conn.fetch("SELECT column_name FROM information_schema.columns"
                            " WHERE table_schema = $1 AND table_name = $2", schema, table)
    return {r["column_name"] for r in rows}


def _float(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


async def load(dsn: str, *, quiz: str = "quiz", initiatives: str = "initiatives", engagement: str = "engagement",
               ranking: str = "ranking") -> Facts:
    facts = Facts()
    conn = await asyncpg.connect(dsn, server_settings={"application_name": "audit"})
    try:
        # one consistent snapshot across the three schemas
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            await _load_quiz(conn, quiz, facts)
            await _load_initiatives(conn, initiatives, facts)
            await _load_engagement(conn, engagement, facts)
            if "value" in await _columns(conn, ranking, "prediction_references"):
                # organizer input (not derived from events): the final reference of a prediction round
                for r in await conn.fetch(f'SELECT round_id, value FROM "{ranking}".prediction_references'):
                    facts.references[r["round_id"]] = r["value"]
    finally:
        await conn.close()
    return facts


async def _load_quiz(conn: asyncpg.Connection, schema: str, facts: Facts) -> None:
    cols = await _columns(conn, schema, "attempts")
    pred = next((c for c in ("prediction", "free_answer", "prediction_value") if c in cols), None)
    rows = await conn.fetch(
        f"SELECT attempt_id, participant_id, display_name, unit_id, round_id, submitted_at, result"
        f"{', ' + pred if pred else ''} FROM \"{schema}\".attempts"
        " WHERE status = 'submitted' AND result IS NOT NULL")
    for r in rows:
        res = r["result"]
        if isinstance(res, str):
            import json
            res = json.loads(res)
        prediction = _float(r[pred]) if pred else _float(res.get("prediction"))
        facts.attempts.append(Attempt(
            r["attempt_id"], r["participant_id"], r["display_name"], r["unit_id"], r["round_id"],
            r["submitted_at"], int(res["duration_ms"]), int(res["correct"]), int(res["total"]),
            float(res["score"]), prediction))


async def _load_initiatives(conn: asyncpg.Connection, schema: str, facts: Facts) -> None:
    # Judges score an essay by its opaque id; the boards know it by its attempt (essays maps the two).
    subject, join = "s.subject_id", ""
    if "essay_id" in await _columns(conn, schema, "essays"):
        subject = "coalesce(e.attempt_id, s.subject_id)"
        join = f' LEFT JOIN "{schema}".essays e ON s.subject_type = \'attempt\' AND e.essay_id = s.subject_id'
    for r in await conn.fetch(
            f"SELECT s.judge_id, s.phase_id, s.subject_type, {subject} AS subject_id, s.revision, s.total"
            f' FROM "{schema}".scores s{join} WHERE NOT s.abstain AND s.total IS NOT NULL'):
        facts.scores.append(Score(r["judge_id"], r["phase_id"], r["subject_type"], r["subject_id"],
                                  r["revision"], float(r["total"])))
    for r in await conn.fetch(f'SELECT id, status, title, unit_id, field FROM "{schema}".initiatives'):
        facts.initiatives[r["id"]] = dict(r)


async def _load_engagement(conn: asyncpg.Connection, schema: str, facts: Facts) -> None:
    for r in await conn.fetch(f'SELECT content_id, platform, count(*) AS n FROM "{schema}".likes'
                              " WHERE liked GROUP BY content_id, platform"):
        facts.likes[(r["content_id"], r["platform"])] = r["n"]
    for r in await conn.fetch(f'SELECT content_id, platform, action, sum(n) AS n FROM "{schema}".action_counts'
                              " GROUP BY content_id, platform, action"):
        facts.actions[(r["content_id"], r["platform"], r["action"])] = int(r["n"])
    for r in await conn.fetch(f'SELECT content_id, likes, shares, comments, views FROM "{schema}".content_stats'):
        facts.content_stats[r["content_id"]] = {k: r[k] for k in ("likes", "shares", "comments", "views")}
