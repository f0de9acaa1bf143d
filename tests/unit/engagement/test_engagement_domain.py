"""Pure rules: like/unlike netting, daily caps, views, spike quarantine, pseudonyms, item checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.engagement.domain import (
    BAD_ACTION,
    MALFORMED,
    OUTSIDE_WINDOW,
    Item,
    PlatformConfig,
    Rejection,
    Resolved,
    State,
    decide,
    hash_actor,
    parse_item,
    stat_deltas,
)
from shared.contest import parse_contest
from tools.demo_contest import contest_dict

NOW = datetime.now(UTC)
KEY = b"unit-test-key"


def contest(**engagement):
    raw = {k: v for k, v in contest_dict().items() if k != "units_file"}
    raw["quiz"] = {k: v for k, v in raw["quiz"].items() if k != "bank_file"}
    return parse_contest({**raw, "units": [{"id": "u1", "name": "Xã 1"}],
                          **({"engagement": engagement} if engagement else {})})


_SEQ = [0]


def ev(action, actor="h:a", content="ini-1", at=None):
    _SEQ[0] += 1
    n = _SEQ
    at = at or NOW
    return Resolved(Item(n[0], "fb", content, actor, action, at, f"e{n[0]}"), content)


def kinds(outcomes):
    return [o.kind for o in outcomes]


def test_like_unlike_netting_only_effective_changes():
    c, s = contest(), State()
    t = [NOW + timedelta(seconds=i) for i in range(6)]
    out = decide(s, [ev("like", at=t[0]), ev("like", at=t[1]), ev("unlike", at=t[2]), ev("unlike", at=t[3]),
                     ev("like", at=t[4])], c)
    assert kinds(out) == ["effective", "noop", "effective", "noop", "effective"]
    assert stat_deltas(out) == {"ini-1": {"likes": 1, "shares": 0, "comments": 0, "views": 0}}


def test_unlike_without_like_is_noop_and_a_late_older_like_is_ignored():
    c, s = contest(), State()
    out = decide(s, [ev("unlike", at=NOW), ev("like", at=NOW - timedelta(seconds=5))], c)
    assert kinds(out) == ["noop", "noop"]
    assert decide(s, [ev("like", at=NOW + timedelta(seconds=1))], c)[0].kind == "effective"


def test_one_like_per_platform_actor_content():
    c, s = contest(), State()
    out = decide(s, [ev("like", actor="h:a"), ev("like", actor="h:b"), ev("like", actor="h:a", content="ini-2")], c)
    assert kinds(out) == ["effective"] * 3
    assert kinds(decide(s, [ev("like", actor="h:a")], c)) == ["noop"]  # state carries over


def test_daily_caps_per_actor_per_content_per_local_day():
    c, s = contest(daily_cap_per_actor={"share": 2, "comment": 3, "view": 1}), State()
    out = decide(s, [ev("share") for _ in range(4)] + [ev("comment") for _ in range(4)], c)
    assert kinds(out) == ["effective"] * 2 + ["noop"] * 2 + ["effective"] * 3 + ["noop"]
    # another actor has its own cap; the next local day resets
    assert decide(s, [ev("share", actor="h:z")], c)[0].kind == "effective"
    assert decide(s, [ev("share", at=NOW + timedelta(days=1))], c)[0].kind == "effective"


def test_local_day_is_contest_time_zone():
    c = contest(daily_cap_per_actor={"share": 1})
    s = State()
    # 16:59 and 17:01 UTC are different days in Asia/Ho_Chi_Minh (UTC+7)
    base = NOW.replace(hour=16, minute=59, second=0, microsecond=0)
    out = decide(s, [ev("share", at=base), ev("share", at=base + timedelta(minutes=2))], c)
    assert kinds(out) == ["effective", "effective"]


def test_views_only_when_enabled():
    assert kinds(decide(State(), [ev("view")], contest())) == ["noop"]
    assert kinds(decide(State(), [ev("view"), ev("view")],
                        contest(count_views=True, daily_cap_per_actor={"view": 1}))) == ["effective", "noop"]


def test_spike_quarantines_new_actors_beyond_threshold():
    c = contest(spike={"window_seconds": 60, "new_actors": 3})
    s = State()
    events = [ev("like", actor=f"h:{i}", at=NOW + timedelta(seconds=i)) for i in range(5)]
    out = decide(s, events, c)
    assert kinds(out) == ["effective"] * 3 + ["quarantined"] * 2
    # a held actor's later events stay held; known actors still count
    later = decide(s, [ev("share", actor="h:4", at=NOW + timedelta(seconds=10)),
                       ev("share", actor="h:0", at=NOW + timedelta(seconds=10))], c)
    assert kinds(later) == ["quarantined", "effective"]
    # outside the window, new actors count again
    assert decide(s, [ev("like", actor="h:new", at=NOW + timedelta(seconds=200))], c)[0].kind == "effective"


def test_spike_is_per_content():
    c = contest(spike={"window_seconds": 60, "new_actors": 2})
    out = decide(State(), [ev("like", actor=f"h:{i}", content=f"ini-{i}") for i in range(5)], c)
    assert kinds(out) == ["effective"] * 5


def test_hash_actor_is_keyed_and_platform_scoped():
    h = hash_actor(KEY, "fb", "user-1")
    assert h.startswith("h:") and len(h) == 18 and all(ch in "0123456789abcdef" for ch in h[2:])
    assert h == hash_actor(KEY, "fb", "user-1")
    assert h != hash_actor(b"other-key", "fb", "user-1")
    assert h != hash_actor(KEY, "zalo", "user-1")
    assert "user-1" not in h


PLATFORM = PlatformConfig(id="fb", name="Facebook", secrets=(), allowed_actions=("like", "unlike", "share"))


def raw(**over):
    base = {"contest_id": "unghoa-cds-2025", "phase_id": "initiatives", "content_ref": "p1", "platform": "fb",
            "actor_id": "u1", "action": "like", "occurred_at": NOW.isoformat(), "source_event_id": "s1"}
    base.update(over)
    return base


@pytest.mark.parametrize(("over", "code"), [
    ({"action": "comment"}, BAD_ACTION),
    ({"action": "dance"}, BAD_ACTION),
    ({"occurred_at": (NOW - timedelta(days=60)).isoformat()}, OUTSIDE_WINDOW),
    ({"occurred_at": (NOW + timedelta(hours=1)).isoformat()}, OUTSIDE_WINDOW),
    ({"phase_id": "quiz"}, OUTSIDE_WINDOW),
    ({"platform": "zalo"}, MALFORMED),
    ({"contest_id": "other"}, MALFORMED),
    ({"actor_id": ""}, MALFORMED),
    ({"occurred_at": "2025-01-01T00:00:00"}, MALFORMED),  # no time zone
    ({"content_ref": None}, MALFORMED),
])
def test_parse_item_rejections(over, code):
    out = parse_item(raw(**over), 3, platform=PLATFORM, contest=contest(), hash_key=KEY, now=NOW)
    assert isinstance(out, Rejection) and out.code == code and out.index == 3 and out.message


def test_parse_item_accepts_envelope_and_bare_data_and_hashes_actor():
    c = contest()
    bare = parse_item(raw(), 0, platform=PLATFORM, contest=c, hash_key=KEY, now=NOW)
    env = parse_item({"specversion": "1.0", "data": raw()}, 0, platform=PLATFORM, contest=c, hash_key=KEY, now=NOW)
    assert isinstance(bare, Item) and bare == env
    assert bare.actor == hash_actor(KEY, "fb", "u1")
    by_id = parse_item(raw(content_ref=None, content_id="ini-7"), 0, platform=PLATFORM, contest=c, hash_key=KEY,
                       now=NOW)
    assert isinstance(by_id, Item) and by_id.content_ref == "ini-7"
    assert isinstance(parse_item("x", 0, platform=PLATFORM, contest=c, hash_key=KEY, now=NOW), Rejection)


def test_settings_refuse_dev_key_in_prod():
    from services.engagement.settings import EngagementSettings

    with pytest.raises(ValueError, match="ACTOR_HASH_KEY"):
        EngagementSettings(environment="prod", CONTEST_ADMIN_TOKEN="x" * 30, participant_public_key="-----BEGIN PUBLIC KEY-----x",
                           kafka_enable_idempotence=True, contest_file="x.yaml")


@given(st.lists(st.tuples(st.sampled_from(["like", "unlike"]), st.integers(0, 3), st.text("abc", min_size=1,
                                                                                              max_size=3)),
                min_size=1, max_size=8, unique_by=lambda t: t[2]),
       st.randoms(use_true_random=False))
def test_net_like_state_agrees_with_ranking_merge_in_any_arrival_order(actions, rnd):
    """Equal times included: engagement and ranking order like/unlike by (occurred_at, source_event_id),
    so whatever order the events arrive in, the likes engagement counts equal what ranking nets."""
    from services.ranking.domain import engagement_action, merge_engagement

    events = [Resolved(Item(i, "fb", "ini-1", "h:a", action, NOW + timedelta(seconds=sec), src), "ini-1")
              for i, (action, sec, src) in enumerate(actions)]
    rnd.shuffle(events)
    state = State()
    outcomes = decide(state, events, contest())
    merged = None
    for o in outcomes:
        if o.kind == "effective":
            it = o.event.item
            merged = merge_engagement(merged, engagement_action(
                "ini-1", it.platform, it.actor, it.action, it.occurred_at, it.source_event_id))
    engagement_likes = stat_deltas(outcomes).get("ini-1", {"likes": 0})["likes"]
    ranking_likes = int(merged.liked) if merged else 0
    assert engagement_likes == ranking_likes
    last = max(events, key=lambda e: (e.item.occurred_at, e.item.source_event_id)).item
    assert engagement_likes == int(last.action == "like")
