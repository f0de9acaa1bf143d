"""Write the AsyncAPI document of every topic and payload (what `make docs` runs).

Usage: python -m tools.asyncapi OUT.json
"""

from __future__ import annotations

import sys
from pathlib import Path

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from shared import events as ev

PRODUCERS = {
    ev.ANSWER_SUBMITTED: ("quiz", ev.AnswerSubmittedEvent),
    ev.CONTENT_LIKED: ("engagement", ev.ContentLikedEvent),
    ev.JUDGE_SCORED: ("initiatives", ev.JudgeScoredEvent),
    ev.INITIATIVE_PUBLISHED: ("initiatives", ev.InitiativePublishedEvent),
    ev.ENGAGEMENT_INBOUND: ("other platforms", ev.InboundEngagementEvent),
}
CONSUMERS = {
    ev.ANSWER_SUBMITTED: ["initiatives", "ranking"],
    ev.CONTENT_LIKED: ["ranking"],
    ev.JUDGE_SCORED: ["ranking"],
    ev.INITIATIVE_PUBLISHED: ["engagement", "ranking"],
    ev.ENGAGEMENT_INBOUND: ["engagement"],
}


def build_spec() -> AsyncAPI:
    broker = KafkaBroker("kafka:9092", description="Apache Kafka (KRaft, 3 brokers, RF 3)")
    for topic, (producer, model) in PRODUCERS.items():
        broker.publisher(
            topic, schema=model, title=f"{topic}:publish",
            description=f"Produced by {producer}. CloudEvents 1.0 structured mode; key = {ev.EVENT_TYPES[topic][2]}.",
        )
        for consumer in CONSUMERS[topic]:

            async def handler(event) -> None:  # type: ignore[no-untyped-def]
                """Consumed idempotently (dedupe on source+id); poison messages go to `<topic>.dlq`."""

            handler.__annotations__ = {"event": model, "return": None}  # the payload schema shown
            broker.subscriber(topic, group_id=consumer, title=f"{topic}:{consumer}")(handler)
    return AsyncAPI(broker, title="Ứng Hòa contest platform events", version="1.0.0",
                    description="Event contract of DESIGN §3.")


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/asyncapi.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(build_spec().to_specification().to_json(), encoding="utf-8")
    print(out)


if __name__ == "__main__":
    main()
