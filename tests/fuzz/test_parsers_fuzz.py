"""Hypothesis fuzzing of the parsers that sit behind the event contract, beyond shared.events
(tests/unit/foundation fuzzes decode_event itself): engagement's inbound-item parser and its
Standard Webhooks verifier (against an independent signer), quiz's question-bank parsers, and the
consumers' event → fact conversions of ranking and initiatives. Each must accept what is valid
and turn everything else into its own clean rejection, never an unexpected exception."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from shared.contest import parse_contest
from shared.errors import ContestError
from shared.events import (
    ANSWER_SUBMITTED,
    CONTENT_LIKED,
    INITIATIVE_PUBLISHED,
    JUDGE_SCORED,
    EventDecodeError,
    decode_event,
)
from tools.demo_contest import DATA, contest_dict

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FUZZ = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
json_values = st.recursive(json_scalars, lambda kids: st.lists(kids, max_size=4)
                           | st.dictionaries(st.text(max_size=12), kids, max_size=5), max_leaves=20)


def _contest() -> Any:
    raw = contest_dict()
    raw.pop("units_file", None)
    raw["units"] = json.loads((DATA / "units.json").read_text(encoding="utf-8"))["units"]
    raw["quiz"] = {**raw["quiz"], "bank_file": None}
    return parse_contest(raw)


CONTEST = _contest()


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.example.json").read_text(encoding="utf-8"))


# --- engagement: inbound items ----------------------------------------------------------------

engagement_domain = pytest.importorskip("services.engagement.domain")
signing = pytest.importorskip("services.engagement.signing")


def _platform() -> Any:
    return engagement_domain.PlatformConfig(id="facebook", name="Facebook")


def _inbound(**overrides: Any) -> dict[str, Any]:
    doc = _fixture("engagement.inbound.v1")
    data = {**doc["data"], "contest_id": CONTEST.contest_id, "phase_id": CONTEST.initiatives.phase_id,
            "platform": "facebook", "occurred_at": datetime.now(UTC).isoformat(), **overrides}
    return {**doc, "data": data}


def _parse(raw: Any) -> Any:
    return engagement_domain.parse_item(raw, 0, platform=_platform(), contest=CONTEST, hash_key=b"k" * 32,
                                        now=datetime.now(UTC))


@FUZZ
@given(raw=json_values)
def test_inbound_item_parser_never_raises_on_arbitrary_json(raw: Any):
    out = _parse(raw)
    assert isinstance(out, engagement_domain.Item | engagement_domain.Rejection)
    if isinstance(out, engagement_domain.Rejection):
        assert out.code and out.message


@FUZZ
@given(field=st.sampled_from(["contest_id", "phase_id", "content_ref", "platform", "actor_id", "action",
                              "occurred_at", "source_event_id"]),
       value=json_values, where=st.sampled_from(["envelope", "bare"]))
def test_mutated_inbound_items_are_parsed_or_rejected_cleanly(field: str, value: Any, where: str):
    doc = _inbound(**{field: value})
    out = _parse(doc if where == "envelope" else doc["data"])
    if isinstance(out, engagement_domain.Item):
        assert out.actor.startswith("h:") and out.actor != doc["data"]["actor_id"]  # pseudonymised
        assert out.action in engagement_domain.ACTIONS
        assert out.occurred_at.tzinfo is not None
    else:
        assert out.code in {"malformed", "bad_action", "outside_window", "unknown_content"}, out


CONTROL = [chr(c) for c in range(32)] + ["\x7f"]
ID_TEXT = st.text(st.characters(codec="utf-8", exclude_characters=CONTROL), min_size=1, max_size=50)


@FUZZ
@given(action=st.sampled_from(["like", "unlike", "share", "comment", "view"]), actor=ID_TEXT, ref=ID_TEXT)
def test_valid_inbound_items_are_accepted(action: str, actor: str, ref: str):
    out = _parse(_inbound(action=action, actor_id=actor, content_ref=ref))
    assert isinstance(out, engagement_domain.Item), out
    assert out.content_ref == ref and out.action == action


@FUZZ
@given(field=st.sampled_from(["content_ref", "actor_id", "source_event_id", "platform"]), text=ID_TEXT,
       control=st.sampled_from(CONTROL), at=st.integers(min_value=0, max_value=50))
def test_a_control_character_in_an_id_is_a_per_event_malformed(field: str, text: str, control: str, at: int):
    """Never an exception (that became a 422 for the whole batch): one `malformed` for this event."""
    value = text[:at] + control + text[at:]
    out = _parse(_inbound(**{field: value}))
    assert isinstance(out, engagement_domain.Rejection) and out.code == "malformed", out


def test_items_outside_the_phase_or_in_the_future_are_rejected():
    far = _parse(_inbound(occurred_at=(datetime.now(UTC) + timedelta(days=400)).isoformat()))
    soon = _parse(_inbound(occurred_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat()))
    assert far.code == "outside_window" and soon.code == "outside_window"


# --- engagement: Standard Webhooks verification ------------------------------------------------

def independent_sign(secret: str, msg_id: str, ts: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    return "v1," + base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()


SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123").decode()
OTHER = "whsec_" + base64.b64encode(b"fedcba9876543210fedc").decode()


@FUZZ
@given(msg_id=st.none() | st.text(max_size=40), ts=st.none() | st.text(max_size=20),
       sig=st.none() | st.text(max_size=120), body=st.binary(max_size=200))
def test_verify_rejects_garbage_headers_with_its_own_error(msg_id, ts, sig, body):
    try:
        signing.verify([SECRET], msg_id, ts, body, sig, now=1_700_000_000)
    except signing.SignatureError as exc:
        assert exc.code in {"missing_signature", "invalid_timestamp", "stale_timestamp", "invalid_signature"}
    else:  # only a real signature may pass
        assert sig and independent_sign(SECRET, msg_id, ts, body) in sig.split(" ")


@FUZZ
@given(msg_id=st.text(alphabet=st.characters(codec="ascii", exclude_characters=" "), min_size=1, max_size=40),
       body=st.binary(max_size=500), skew=st.integers(-299, 299), flip=st.integers(0, 10_000),
       rotated=st.booleans())
@example(msg_id="msg_1", body=b"{}", skew=0, flip=0, rotated=True)
def test_independent_signature_verifies_and_any_change_fails(msg_id, body, skew, flip, rotated):
    now = 1_700_000_000
    ts = str(now + skew)
    good = independent_sign(SECRET, msg_id, ts, body)
    header = f"{independent_sign(OTHER, msg_id, ts, body)} {good}" if rotated else good
    signing.verify([SECRET], msg_id, ts, body, header, now=now)  # a rotated key pair: either may match
    signing.verify([OTHER, SECRET], msg_id, ts, body, good, now=now)
    tampered = bytearray(body or b"x")
    tampered[flip % len(tampered)] ^= 0x01
    with pytest.raises(signing.SignatureError):
        signing.verify([SECRET], msg_id, ts, bytes(tampered), good, now=now)
    with pytest.raises(signing.SignatureError):
        signing.verify([SECRET], msg_id, str(now + 301 + abs(skew)), body, good, now=now)


# --- quiz: question banks --------------------------------------------------------------------

quiz_bank = pytest.importorskip("services.quiz.bank")
quiz_domain = pytest.importorskip("services.quiz.domain")


@FUZZ
@given(fmt=st.sampled_from(["json", "csv"]), data=st.binary(max_size=400))
def test_bank_parsers_turn_bad_bytes_into_a_quiz_error(fmt: str, data: bytes):
    try:
        quiz_bank.parse_bank(data, fmt)
    except ContestError as exc:
        assert 400 <= exc.status < 500 and exc.message


@FUZZ
@given(value=json_values)
def test_bank_json_parser_on_arbitrary_json(value: Any):
    try:
        questions = quiz_bank.parse_bank(json.dumps(value).encode(), "json")
    except ContestError as exc:
        assert 400 <= exc.status < 500
    else:
        assert all(q.options for q in questions)


# --- consumers: event → facts ------------------------------------------------------------------

ranking_handlers = pytest.importorskip("services.ranking.handlers")

TOPIC_FIXTURES = {
    ANSWER_SUBMITTED: "quiz.answer-submitted.v1",
    JUDGE_SCORED: "initiatives.judge-scored.v1",
    CONTENT_LIKED: "engagement.content-liked.v1",
}
CONVERT = {
    ANSWER_SUBMITTED: ranking_handlers.attempts_of,
    JUDGE_SCORED: ranking_handlers.judge_totals_of,
    CONTENT_LIKED: ranking_handlers.engagement_of,
    INITIATIVE_PUBLISHED: ranking_handlers.meta_of,
}


@st.composite
def mutated_events(draw: st.DrawFn) -> tuple[str, bytes]:
    topic = draw(st.sampled_from(list(TOPIC_FIXTURES)))
    doc = _fixture(TOPIC_FIXTURES[topic])
    data = doc["data"]
    key = draw(st.sampled_from(sorted(data)))
    data[key] = draw(json_values | st.just(data[key]))
    if draw(st.booleans()):
        data["contest_id"] = draw(st.sampled_from([data["contest_id"], "another-contest"]))
    return topic, json.dumps(doc).encode()


@FUZZ
@given(case=mutated_events())
def test_ranking_turns_every_decodable_event_into_facts(case: tuple[str, bytes]):
    topic, raw = case
    try:
        event = decode_event(topic, raw)
    except EventDecodeError:
        return  # the consumer dead-letters it
    facts = CONVERT[topic](event.data.contest_id, [event])
    assert len(facts) == 1
    assert CONVERT[topic]("not-this-contest", [event]) == [] or event.data.contest_id == "not-this-contest"


@FUZZ
@given(action=st.sampled_from(["like", "unlike", "share", "comment", "view"]),
       at=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_ranking_engagement_fact_of_any_action(action: str, at: datetime):
    doc = _fixture("engagement.content-liked.v1")
    doc["data"].update(action=action, occurred_at=at.isoformat())
    event = decode_event(CONTENT_LIKED, json.dumps(doc).encode())
    (fact,) = ranking_handlers.engagement_of(event.data.contest_id, [event])
    assert fact.content_id == doc["data"]["content_id"]
    assume(action in ("share", "comment", "view"))
    assert fact.shares + fact.comments + fact.views == 1
