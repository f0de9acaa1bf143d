"""The event contract (DESIGN §3): CloudEvents 1.0 envelopes and the four payloads.

One definition, imported by producers and consumers alike. Validation is strict on types and
required fields, tolerant of unknown extra fields (a newer producer may add some), and every
datetime is timezone-aware and normalised to UTC.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

import orjson
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer

# Topic names (DESIGN §3). The dead-letter topic of a topic is `<topic>.dlq`.
ANSWER_SUBMITTED = "quiz.answer-submitted.v1"
CONTENT_LIKED = "engagement.content-liked.v1"
JUDGE_SCORED = "initiatives.judge-scored.v1"
ENGAGEMENT_INBOUND = "engagement.inbound.v1"
BOARD_CHANGED = "ranking.board-changed.v1"
# Not in DESIGN §3's public list: how engagement learns which contents exist and ranking learns
# an initiative's title and unit without calling back (same envelope rules as the others).
INITIATIVE_PUBLISHED = "initiatives.initiative-published.v1"

# Partition counts for the topics; keys spread participants/contents across them.
TOPIC_PARTITIONS = {
    ANSWER_SUBMITTED: 6,
    CONTENT_LIKED: 6,
    JUDGE_SCORED: 3,
    ENGAGEMENT_INBOUND: 3,
    BOARD_CHANGED: 1,
    INITIATIVE_PUBLISHED: 3,
}
CONTENT_TYPE = "application/cloudevents+json"


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


def all_topics(prefix: str = "") -> dict[str, int]:
    """Every topic (with its DLQ) the system uses, with partition counts."""
    out: dict[str, int] = {}
    for topic, partitions in TOPIC_PARTITIONS.items():
        out[prefix + topic] = partitions
        out[prefix + dlq_topic(topic)] = 1
    return out


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-01:00; pydantic only reports ValueErrors
        raise ValueError("datetime is out of range once converted to UTC") from None


def format_utc(value: datetime) -> str:
    """RFC 3339 with milliseconds and `Z`, as in the contract examples (4-digit years always)."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


UtcDatetime = Annotated[
    AwareDatetime,
    AfterValidator(_to_utc),
    PlainSerializer(format_utc, return_type=str, when_used="json"),
]
NonEmpty = Annotated[str, Field(min_length=1, max_length=200)]


class Payload(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


# --- quiz.answer-submitted.v1 ---------------------------------------------------------------


class AnswerGiven(Payload):
    question_id: NonEmpty
    option_key: str | None
    correct: bool


class EssayAnswer(Payload):
    question_id: NonEmpty
    text: Annotated[str, Field(max_length=20_000)]


class AnswerSubmitted(Payload):
    contest_id: NonEmpty
    phase_id: NonEmpty
    round_id: NonEmpty
    attempt_id: NonEmpty
    participant_id: NonEmpty
    display_name: Annotated[str, Field(max_length=200)]
    unit_id: NonEmpty
    started_at: UtcDatetime
    submitted_at: UtcDatetime
    duration_ms: Annotated[int, Field(ge=0)]
    correct: Annotated[int, Field(ge=0)]
    total: Annotated[int, Field(ge=0)]
    score: float
    prediction: float | None
    essay: EssayAnswer | None
    answers: list[AnswerGiven]


# --- engagement.content-liked.v1 and engagement.inbound.v1 ----------------------------------

Action = Literal["like", "unlike", "share", "comment", "view"]


class ContentLiked(Payload):
    contest_id: NonEmpty
    phase_id: NonEmpty
    content_id: NonEmpty
    platform: NonEmpty
    actor_id: NonEmpty
    action: Action
    occurred_at: UtcDatetime
    source_event_id: NonEmpty


class InboundEngagement(Payload):
    """What a platform produces straight to Kafka: its own `content_ref`, not our `content_id`."""

    contest_id: NonEmpty
    phase_id: NonEmpty
    content_ref: NonEmpty
    platform: NonEmpty
    actor_id: NonEmpty
    action: Action
    occurred_at: UtcDatetime
    source_event_id: NonEmpty


# --- initiatives.judge-scored.v1 ------------------------------------------------------------


class CriterionScore(Payload):
    criterion_id: NonEmpty
    score: Annotated[float, Field(ge=0)]
    max: Annotated[float, Field(gt=0)]


class JudgeScored(Payload):
    contest_id: NonEmpty
    phase_id: NonEmpty
    subject_type: Literal["initiative", "attempt"]
    subject_id: NonEmpty
    judge_id: NonEmpty
    criteria: list[CriterionScore]
    total: Annotated[float, Field(ge=0, le=100)]
    revision: Annotated[int, Field(ge=1)]
    scored_at: UtcDatetime


# --- initiatives.initiative-published.v1 (internal) -----------------------------------------


class InitiativePublished(Payload):
    """An initiative entered (`published`) or left (`withdrawn`) the public gallery."""

    contest_id: NonEmpty
    phase_id: NonEmpty
    initiative_id: NonEmpty  # the canonical content_id
    title: Annotated[str, Field(min_length=1, max_length=300)]
    unit_id: NonEmpty
    field: NonEmpty
    status: Literal["published", "withdrawn"]
    version: Annotated[int, Field(ge=1)]  # increases with every change; the highest wins
    changed_at: UtcDatetime


# --- the envelope ---------------------------------------------------------------------------

DataT = TypeVar("DataT", bound=Payload)


class CloudEvent(BaseModel, Generic[DataT]):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    specversion: Literal["1.0"]
    id: NonEmpty
    source: NonEmpty
    type: NonEmpty
    time: UtcDatetime
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    data: DataT

    @property
    def dedupe_key(self) -> str:
        """CloudEvents: `source` + `id` identify an event uniquely."""
        return f"{self.source}#{self.id}"


class AnswerSubmittedEvent(CloudEvent[AnswerSubmitted]):
    type: Literal["contest.answer-submitted.v1"]


class ContentLikedEvent(CloudEvent[ContentLiked]):
    type: Literal["contest.content-liked.v1"]


class InboundEngagementEvent(CloudEvent[InboundEngagement]):
    type: Literal["contest.content-liked.v1"]


class JudgeScoredEvent(CloudEvent[JudgeScored]):
    type: Literal["contest.judge-scored.v1"]


class InitiativePublishedEvent(CloudEvent[InitiativePublished]):
    type: Literal["contest.initiative-published.v1"]


# topic -> (envelope model, CloudEvents type, how the key is derived from the data)
EVENT_TYPES: dict[str, tuple[type[CloudEvent[Any]], str, str]] = {
    ANSWER_SUBMITTED: (AnswerSubmittedEvent, "contest.answer-submitted.v1", "participant_id"),
    CONTENT_LIKED: (ContentLikedEvent, "contest.content-liked.v1", "content_id"),
    JUDGE_SCORED: (JudgeScoredEvent, "contest.judge-scored.v1", "subject_id"),
    ENGAGEMENT_INBOUND: (InboundEngagementEvent, "contest.content-liked.v1", "content_ref"),
    INITIATIVE_PUBLISHED: (InitiativePublishedEvent, "contest.initiative-published.v1", "initiative_id"),
}


class EventDecodeError(ValueError):
    """A message that is not a valid event of its topic (a poison message)."""


def decode_event(topic: str, raw: bytes) -> CloudEvent[Any]:
    """Parse and validate one message of `topic` (without prefix); raise EventDecodeError if bad."""
    model = EVENT_TYPES[topic][0]
    try:
        return model.model_validate_json(raw)
    except ValueError as exc:  # pydantic.ValidationError and JSON errors are ValueErrors
        raise EventDecodeError(_short_error(exc)) from None


def _short_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        parts = []
        for err in errors()[:5]:
            loc = ".".join(str(p) for p in err.get("loc", ())) or "(message)"
            parts.append(f"{loc}: {err.get('msg')}")
        return "; ".join(parts)
    return str(exc)[:500]


def new_event(topic: str, source: str, data: Payload, *, time: datetime | None = None) -> CloudEvent[Any]:
    """Build the envelope for `data` on `topic` (without prefix), with a fresh id."""
    model, ce_type, key_field = EVENT_TYPES[topic]
    # `data` is already a validated payload and the envelope fields are ours: skip re-validation.
    return model.model_construct(
        specversion="1.0",
        id=str(uuid.uuid4()),
        source=source,
        type=ce_type,
        time=time or datetime.now(UTC),
        subject=str(getattr(data, key_field)),
        datacontenttype="application/json",
        data=data,
    )


def event_key(topic: str, event: CloudEvent[Any]) -> str:
    return str(getattr(event.data, EVENT_TYPES[topic][2]))


def encode_event(event: BaseModel) -> bytes:
    return orjson.dumps(event.model_dump(mode="json"))
