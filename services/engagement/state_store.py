"""asyncpg SQL for one batch's engagement state: likes, daily counts, content actors, stats.

Everything is read and written set-based (unnest arrays), so a batch of 500 costs a handful of
statements whatever its size."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import timedelta

import asyncpg

from services.engagement.domain import ActorStatus, LikeState, Resolved, State

# --- per-batch state ----------------------------------------------------------------------

async def lock_contents(conn: asyncpg.Connection, content_ids: Iterable[str]) -> None:
    """Serialize batches touching the same contents (ordered to avoid deadlocks)."""
    ids = sorted(set(content_ids))
    if ids:
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext('engagement:' || c))"
            " FROM (SELECT unnest($1::text[]) AS c ORDER BY 1) s", ids,
        )


async def load_state(
    conn: asyncpg.Connection, events: Sequence[Resolved], spike_window: timedelta, spike_threshold: int
) -> State:
    state = State()
    if not events:
        return state
    like_keys = {(e.item.platform, e.item.actor, e.content_id) for e in events if e.item.action in ("like", "unlike")}
    if like_keys:
        ks = list(like_keys)
        for r in await conn.fetch(
            "SELECT l.platform, l.actor, l.content_id, l.liked, l.changed_at, l.changed_src FROM likes l"
            " JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(p, a, c)"
            " ON l.platform = k.p AND l.actor = k.a AND l.content_id = k.c",
            [k[0] for k in ks], [k[1] for k in ks], [k[2] for k in ks],
        ):
            state.likes[(r["platform"], r["actor"], r["content_id"])] = LikeState(
                r["liked"], r["changed_at"], r["changed_src"]
            )
    count_keys = {(e.item.platform, e.item.actor, e.content_id, e.item.action)
                  for e in events if e.item.action not in ("like", "unlike")}
    if count_keys:
        ks = list(count_keys)
        for r in await conn.fetch(
            "SELECT n.platform, n.actor, n.content_id, n.action, n.day, n.n FROM action_counts n"
            " JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS k(p, a, c, x)"
            " ON n.platform = k.p AND n.actor = k.a AND n.content_id = k.c AND n.action = k.x",
            [k[0] for k in ks], [k[1] for k in ks], [k[2] for k in ks], [k[3] for k in ks],
        ):
            state.counts[(r["platform"], r["actor"], r["content_id"], r["action"], r["day"])] = r["n"]
    actor_keys = list({(e.content_id, e.item.platform, e.item.actor) for e in events})
    for r in await conn.fetch(
        "SELECT a.content_id, a.platform, a.actor, a.status FROM content_actors a"
        " JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(c, p, a)"
        " ON a.content_id = k.c AND a.platform = k.p AND a.actor = k.a",
        [k[0] for k in actor_keys], [k[1] for k in actor_keys], [k[2] for k in actor_keys],
    ):
        state.actors[(r["content_id"], r["platform"], r["actor"])] = ActorStatus(r["status"])
    earliest = min(e.item.occurred_at for e in events) - spike_window
    latest = max(e.item.occurred_at for e in events)
    # Spike check: the first-seen times are needed only where the window could exceed the threshold
    # (recent new actors + this batch's events); elsewhere no event can be held, so skip them.
    in_batch = Counter(e.content_id for e in events)
    recent = await conn.fetch(
        "SELECT content_id, count(*) AS n FROM content_actors"
        " WHERE content_id = ANY($1::text[]) AND first_seen_at > $2 AND first_seen_at <= $3 GROUP BY content_id",
        list(in_batch), earliest, latest,
    )
    busy = [r["content_id"] for r in recent if r["n"] + in_batch[r["content_id"]] > spike_threshold]
    if not busy:
        return state
    for r in await conn.fetch(
        "SELECT content_id, first_seen_at FROM content_actors"
        " WHERE content_id = ANY($1::text[]) AND first_seen_at > $2 AND first_seen_at <= $3",
        busy, earliest, latest,
    ):
        state.new_actor_times.setdefault(r["content_id"], []).append(r["first_seen_at"])
    for times in state.new_actor_times.values():
        times.sort()
    return state


async def save_state(conn: asyncpg.Connection, state: State) -> None:
    if state.dirty_likes:
        ks = list(state.dirty_likes)
        await conn.execute(
            "INSERT INTO likes (platform, actor, content_id, liked, changed_at, changed_src)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::timestamptz[], $6::text[])"
            " ON CONFLICT (platform, actor, content_id) DO UPDATE SET liked = EXCLUDED.liked,"
            " changed_at = EXCLUDED.changed_at, changed_src = EXCLUDED.changed_src",
            [k[0] for k in ks], [k[1] for k in ks], [k[2] for k in ks], [state.likes[k].liked for k in ks],
            [state.likes[k].changed_at for k in ks], [state.likes[k].changed_src for k in ks],
        )
    if state.dirty_counts:
        ks = list(state.dirty_counts)
        await conn.execute(
            "INSERT INTO action_counts (platform, actor, content_id, action, day, n)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::date[], $6::int[])"
            " ON CONFLICT (platform, actor, content_id, action, day) DO UPDATE SET n = EXCLUDED.n",
            [k[0] for k in ks], [k[1] for k in ks], [k[2] for k in ks], [k[3] for k in ks], [k[4] for k in ks],
            [state.counts[k] for k in ks],
        )
    if state.new_actors:
        ks = list(state.new_actors)
        await conn.execute(
            "INSERT INTO content_actors (content_id, platform, actor, status, first_seen_at)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])"
            " ON CONFLICT DO NOTHING",
            [k[0] for k in ks], [k[1] for k in ks], [k[2] for k in ks],
            [state.new_actors[k][0] for k in ks], [state.new_actors[k][1] for k in ks],
        )


async def add_stats(conn: asyncpg.Connection, deltas: dict[str, dict[str, int]]) -> None:
    if not deltas:
        return
    ids = list(deltas)
    await conn.execute(
        "INSERT INTO content_stats (content_id, likes, shares, comments, views)"
        " SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::int[], $5::int[])"
        " ON CONFLICT (content_id) DO UPDATE SET likes = content_stats.likes + EXCLUDED.likes,"
        " shares = content_stats.shares + EXCLUDED.shares, comments = content_stats.comments + EXCLUDED.comments,"
        " views = content_stats.views + EXCLUDED.views",
        ids, *([deltas[c][col] for c in ids] for col in ("likes", "shares", "comments", "views")),
    )


async def get_stats(conn: asyncpg.Connection, content_id: str) -> dict[str, int]:
    row = await conn.fetchrow("SELECT likes, shares, comments, views FROM content_stats WHERE content_id = $1", content_id)
    return dict(row) if row else {"likes": 0, "shares": 0, "comments": 0, "views": 0}


async def is_liked(conn: asyncpg.Connection, platform: str, actor: str, content_id: str) -> bool:
    return bool(await conn.fetchval(
        "SELECT liked FROM likes WHERE platform = $1 AND actor = $2 AND content_id = $3", platform, actor, content_id
    ))
