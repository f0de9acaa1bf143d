"""The event contract (shared/events.py): round-trip, strict rejection, tolerance, UTC, fuzz."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shared.events import (
    ANSWER_SUBMITTED,
    CONTENT_LIKED,
    ENGAGEMENT_INBOUND,
    EVENT_TYPES,
    INITIATIVE_PUBLISHED,
    JUDGE_SCORED,
    AnswerSubmitted,
    CloudEvent,
    EventDecodeError,
    InitiativePublished,
    decode_event,
    encode_event,
    event_key,
    new_event,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
FIXTURE_FILES = sorted(FIXTURES.glob("*.example.json"))


def topic_of(path: Path) -> str:
    return path.name.removesuffix(".example.json")


def fixture(topic: str) -> dict[str, Any]:
    return orjson.loads((FIXTURES / f"{topic}.example.json").read_bytes())


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)


def test_every_contract_fixture_has_a_model():
    assert {topic_of(p) for p in FIXTURE_FILES} == {ANSWER_SUBMITTED, CONTENT_LIKED, JUDGE_SCORED,
                                                   ENGAGEMENT_INBOUND}


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=topic_of)
def test_fixture_round_trip(path: Path):
    topic = topic_of(path)
    raw = path.read_bytes()
    first = decode_event(topic, raw)
    encoded = encode_event(first)
    second = decode_event(topic, encoded)
    assert second == first
    # The wire form is the contract's: same fields, same values, RFC 3339 `...sssZ` times.
    assert orjson.loads(encoded) == orjson.loads(raw)
    assert encode_event(second) == encoded


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=topic_of)
def test_fixture_key_is_the_subject(path: Path):
    topic = topic_of(path)
    event = decode_event(topic, path.read_bytes())
    assert event_key(topic, event) == event.subject


def test_new_event_round_trips_through_the_wire():
    data = decode_event(ANSWER_SUBMITTED, dumps(fixture(ANSWER_SUBMITTED))).data
    event = new_event(ANSWER_SUBMITTED, "/services/quiz", data,
                      time=datetime(2025, 1, 6, 8, 15, 42, 311000, tzinfo=UTC))
    back = decode_event(ANSWER_SUBMITTED, encode_event(event))
    assert back == event
    assert back.subject == data.participant_id == event_key(ANSWER_SUBMITTED, back)
    assert back.dedupe_key == f"/services/quiz#{event.id}"


def test_internal_initiative_published_round_trip():
    data = InitiativePublished(
        contest_id="unghoa-cds-2025", phase_id="initiatives", initiative_id="ini-0042",
        title="Chợ 4.0 thôn Văn Đình", unit_id="van-dinh", field="kinh-te-so", status="published",
        version=3, changed_at=datetime(2025, 2, 1, 10, 0, tzinfo=timezone(timedelta(hours=7))),
    )
    event = new_event(INITIATIVE_PUBLISHED, "/services/initiatives", data,
                      time=datetime(2025, 2, 1, 3, 0, tzinfo=UTC))
    back = decode_event(INITIATIVE_PUBLISHED, encode_event(event))
    assert back == event
    assert back.data.changed_at == datetime(2025, 2, 1, 3, 0, tzinfo=UTC)


# --- rejection of each kind of bad payload ------------------------------------------------------


def _mutate(topic: str, path: tuple[str, ...], value: Any = ..., *, delete: bool = False) -> bytes:
    doc = copy.deepcopy(fixture(topic))
    target = doc
    for part in path[:-1]:
        target = target[part]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return dumps(doc)


BAD_PAYLOADS = [
    # (id, topic, raw bytes, a piece the error message must contain)
    ("invalid-json", ANSWER_SUBMITTED, b'{"specversion": "1.0", "id": ', "json"),
    ("not-an-object", ANSWER_SUBMITTED, b"[1, 2, 3]", "(message)"),
    ("empty", CONTENT_LIKED, b"", "json"),
    ("missing-envelope-field", ANSWER_SUBMITTED, _mutate(ANSWER_SUBMITTED, ("id",), delete=True), "id"),
    ("missing-data-field", ANSWER_SUBMITTED,
     _mutate(ANSWER_SUBMITTED, ("data", "participant_id"), delete=True), "data.participant_id"),
    ("missing-data", JUDGE_SCORED, _mutate(JUDGE_SCORED, ("data",), delete=True), "data"),
    ("string-for-int", ANSWER_SUBMITTED, _mutate(ANSWER_SUBMITTED, ("data", "correct"), "18"),
     "data.correct"),
    ("bool-for-int", ANSWER_SUBMITTED, _mutate(ANSWER_SUBMITTED, ("data", "total"), True), "data.total"),
    ("float-for-int", ANSWER_SUBMITTED, _mutate(ANSWER_SUBMITTED, ("data", "duration_ms"), 1.5),
     "data.duration_ms"),
    ("string-for-float", JUDGE_SCORED, _mutate(JUDGE_SCORED, ("data", "total"), "79"), "data.total"),
    ("string-for-bool", ANSWER_SUBMITTED,
     dumps({**fixture(ANSWER_SUBMITTED), "data": {**fixture(ANSWER_SUBMITTED)["data"], "answers": [
         {"question_id": "q001", "option_key": "C", "correct": "true"}]}}), "data.answers.0.correct"),
    ("int-for-string", CONTENT_LIKED, _mutate(CONTENT_LIKED, ("data", "actor_id"), 42), "data.actor_id"),
    ("wrong-type", ANSWER_SUBMITTED, _mutate(ANSWER_SUBMITTED, ("type",), "contest.content-liked.v1"),
     "type"),
    ("other-topics-event", JUDGE_SCORED, dumps(fixture(CONTENT_LIKED)), "type"),
    ("wrong-specversion", CONTENT_LIKED, _mutate(CONTENT_LIKED, ("specversion",), "0.3"), "specversion"),
    ("numeric-specversion", CONTENT_LIKED, _mutate(CONTENT_LIKED, ("specversion",), 1.0), "specversion"),
    ("naive-envelope-time", CONTENT_LIKED, _mutate(CONTENT_LIKED, ("time",), "2025-02-10T13:02:11"), "time"),
    ("naive-data-time", ANSWER_SUBMITTED,
     _mutate(ANSWER_SUBMITTED, ("data", "submitted_at"), "2025-01-06T08:15:42.300"), "data.submitted_at"),
    ("not-a-time", JUDGE_SCORED, _mutate(JUDGE_SCORED, ("data", "scored_at"), "yesterday"), "data.scored_at"),
    ("negative-duration", ANSWER_SUBMITTED, _mutate(ANSWER_SUBMITTED, ("data", "duration_ms"), -1),
     "data.duration_ms"),
    ("negative-score", JUDGE_SCORED, _mutate(JUDGE_SCORED, ("data", "criteria", 0, "score"), -1),
     "data.criteria.0.score"),
    ("total-over-100", JUDGE_SCORED, _mutate(JUDGE_SCORED, ("data", "total"), 100.5), "data.total"),
    ("revision-zero", JUDGE_SCORED, _mutate(JUDGE_SCORED, ("data", "revision"), 0), "data.revision"),
    ("unknown-action", CONTENT_LIKED, _mutate(CONTENT_LIKED, ("data", "action"), "love"), "data.action"),
    ("unknown-subject-type", JUDGE_SCORED, _mutate(JUDGE_SCORED, ("data", "subject_type"), "essay"),
     "data.subject_type"),
    ("empty-id", ENGAGEMENT_INBOUND, _mutate(ENGAGEMENT_INBOUND, ("id",), ""), "id"),
    ("null-required", ENGAGEMENT_INBOUND, _mutate(ENGAGEMENT_INBOUND, ("data", "content_ref"), None),
     "data.content_ref"),
    ("wrong-datacontenttype", CONTENT_LIKED, _mutate(CONTENT_LIKED, ("datacontenttype",), "text/xml"),
     "datacontenttype"),
    ("time-out-of-range-in-utc", CONTENT_LIKED,
     _mutate(CONTENT_LIKED, ("time",), "9999-12-31T23:59:59-01:00"), "time"),
]


@pytest.mark.parametrize(("topic", "raw", "names"), [b[1:] for b in BAD_PAYLOADS],
                         ids=[b[0] for b in BAD_PAYLOADS])
def test_bad_payload_is_rejected_with_a_clear_error(topic: str, raw: bytes, names: str):
    with pytest.raises(EventDecodeError) as info:
        decode_event(topic, raw)
    message = str(info.value)
    assert names.lower() in message.lower(), message
    assert len(message) < 1200
    assert "Traceback" not in message


# --- tolerance and normalisation -----------------------------------------------------------------


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=topic_of)
def test_unknown_extra_fields_are_tolerated(path: Path):
    topic = topic_of(path)
    doc = orjson.loads(path.read_bytes())
    plain = decode_event(topic, dumps(doc))
    doc["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    doc["x_future"] = {"nested": [1, 2, {"deep": True}]}
    doc["data"]["added_in_v1_1"] = "anything"
    doc["data"]["another"] = [None, 1.5]
    if topic == JUDGE_SCORED:
        doc["data"]["criteria"][0]["comment"] = "tốt"
    if topic == ANSWER_SUBMITTED:
        doc["data"]["answers"][0]["latency_ms"] = 1200
        doc["data"]["essay"]["words"] = 17
    extended = decode_event(topic, dumps(doc))
    assert extended == plain
    assert "added_in_v1_1" not in orjson.loads(encode_event(extended))["data"]


def test_datetimes_are_normalised_to_utc():
    doc = fixture(ANSWER_SUBMITTED)
    doc["time"] = "2025-01-06T15:15:42.311+07:00"
    doc["data"]["started_at"] = "2025-01-06T03:10:01.004-05:00"
    doc["data"]["submitted_at"] = "2025-01-06T08:15:42.300+00:00"
    event = decode_event(ANSWER_SUBMITTED, dumps(doc))
    for moment in (event.time, event.data.started_at, event.data.submitted_at):
        assert moment.utcoffset() == timedelta(0)
        assert moment.tzinfo == UTC
    assert event.time == datetime(2025, 1, 6, 8, 15, 42, 311000, tzinfo=UTC)
    assert event.data.started_at == datetime(2025, 1, 6, 8, 10, 1, 4000, tzinfo=UTC)
    wire = orjson.loads(encode_event(event))
    assert wire["time"] == "2025-01-06T08:15:42.311Z"
    assert wire["data"]["started_at"] == "2025-01-06T08:10:01.004Z"
    # the same instant written two ways is the same event
    assert event == decode_event(ANSWER_SUBMITTED, dumps(fixture(ANSWER_SUBMITTED)))


def test_python_side_models_normalise_too():
    data = decode_event(ANSWER_SUBMITTED, dumps(fixture(ANSWER_SUBMITTED))).data
    local = datetime(2025, 1, 6, 15, 10, tzinfo=timezone(timedelta(hours=7)))
    moved = AnswerSubmitted.model_validate({**data.model_dump(), "started_at": local})
    assert moved.started_at.tzinfo == UTC and moved.started_at.hour == 8
    with pytest.raises(ValueError):
        AnswerSubmitted.model_validate({**data.model_dump(), "started_at": datetime(2025, 1, 6, 8, 10)})


# --- fuzz: nothing but EventDecodeError, ever -----------------------------------------------------

TOPICS = sorted(EVENT_TYPES)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
    | st.sampled_from(["1.0", "contest.answer-submitted.v1", "contest.content-liked.v1", "like",
                       "2025-01-06T08:15:42.311Z", "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00",
                       "0005-01-01T00:00:00Z", "2025-01-06T08:15:42"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
iso_times = st.datetimes(timezones=st.timezones() | st.just(UTC)).map(lambda d: d.isoformat())


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.extend(_paths(v, (*prefix, i)))
    return out


@st.composite
def mutated_fixtures(draw: st.DrawFn) -> tuple[str, bytes]:
    topic = draw(st.sampled_from([topic_of(p) for p in FIXTURE_FILES]))
    doc = fixture(topic)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        if not isinstance(parent, dict | list):
            continue
        action = draw(st.sampled_from(["replace", "delete", "time"]))
        if action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "time":
            parent[path[-1]] = draw(iso_times)
        else:
            parent[path[-1]] = draw(json_values)
    return topic, json.dumps(doc).encode()


def _decode_or_error(topic: str, raw: bytes) -> CloudEvent[Any] | None:
    try:
        return decode_event(topic, raw)
    except EventDecodeError as exc:
        assert str(exc)
        return None


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(topic=st.sampled_from(TOPICS), raw=st.binary(max_size=300))
def test_fuzz_arbitrary_bytes(topic: str, raw: bytes):
    _decode_or_error(topic, raw)


@FUZZ
@given(topic=st.sampled_from(TOPICS), value=json_values)
def test_fuzz_arbitrary_json(topic: str, value: Any):
    _decode_or_error(topic, json.dumps(value).encode())  # stdlib: big ints, escaped surrogates


@FUZZ
@given(case=mutated_fixtures())
@example(case=(CONTENT_LIKED, _mutate(CONTENT_LIKED, ("time",), "9999-12-31T23:59:59-01:00")))
@example(case=(JUDGE_SCORED, _mutate(JUDGE_SCORED, ("data", "scored_at"), "0001-01-01T00:00:00+01:00")))
@example(case=(CONTENT_LIKED, _mutate(CONTENT_LIKED, ("time",), "0005-01-01T00:00:00Z")))
def test_fuzz_mutated_events_decode_or_fail_cleanly_and_round_trip(case: tuple[str, bytes]):
    topic, raw = case
    event = _decode_or_error(topic, raw)
    if event is None:
        return
    # Whatever decodes must encode to something that decodes again, to the same event
    # (after one trip: the wire keeps milliseconds, so sub-millisecond digits go on the first trip).
    once = decode_event(topic, encode_event(event))
    assert decode_event(topic, encode_event(once)) == once
