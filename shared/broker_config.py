"""The broker and topic settings Apache Kafka runs with here, in one place.

tools/kafka.py starts local brokers with `broker_properties(n)`, shared/kafka.py creates topics with
`replication_factor` / `topic_config`, and tests/ops/test_deploy_manifests.py checks deploy/compose.yaml
and the Strimzi resources against the same values, so what the tests prove is what production runs.
"""

from __future__ import annotations

# Production is a 3-node KRaft cluster (deploy/): RF 3 survives one broker down with writes still
# accepted (min.insync.replicas 2) and a second one down without losing acknowledged data.
PRODUCTION_BROKERS = 3
# 14 days: a quiz day's events stay replayable for a rebuild well past the contest's appeals.
TOPIC_RETENTION_MS = 14 * 24 * 3600 * 1000


def replication_factor(brokers: int) -> int:
    """RF = min(3, brokers): every copy on its own broker, and 3 is enough for RF − 1 in-sync."""
    return max(1, min(3, brokers))


def min_insync_replicas(rf: int) -> int:
    """RF − 1 (at least 1): an acks=all write needs a quorum of copies, so one broker may be down
    (a rolling restart) without refusing writes, and an acknowledged write is on ≥ 2 brokers at RF 3."""
    return max(1, rf - 1)


def topic_config(rf: int) -> dict[str, str]:
    return {"min.insync.replicas": str(min_insync_replicas(rf)), "retention.ms": str(TOPIC_RETENTION_MS)}


def broker_properties(brokers: int) -> dict[str, str]:
    """Cluster-wide settings for a cluster of `brokers` nodes (the same keys as deploy/)."""
    rf = replication_factor(brokers)
    isr = str(min_insync_replicas(rf))
    return {
        "default.replication.factor": str(rf),
        "min.insync.replicas": isr,
        # Committed offsets and producer-id state replicated like the data they describe.
        "offsets.topic.replication.factor": str(rf),
        "transaction.state.log.replication.factor": str(rf),
        "transaction.state.log.min.isr": isr,
        # Topics are created explicitly with their partition counts (shared/events.py); a typo'd
        # topic name must fail, not silently create a 1-partition topic.
        "auto.create.topics.enable": "false",
        # Never elect an out-of-sync replica: that would drop acknowledged writes.
        "unclean.leader.election.enable": "false",
        # A group's first join completes at once instead of waiting 3 s for more members: services
        # start one consumer at a time, and static members rejoin individually anyway.
        "group.initial.rebalance.delay.ms": "0",
    }


# Only for brokers on this machine (tools/kafka.py): fewer threads and offset partitions so three
# nodes start fast on 2 cores. Not production settings, so deploy/ does not carry them.
LOCAL_ONLY_PROPERTIES = {
    "num.network.threads": "2",
    "num.io.threads": "4",
    "num.recovery.threads.per.data.dir": "1",
    "offsets.topic.num.partitions": "10",
    "transaction.state.log.num.partitions": "4",
    "log.segment.bytes": str(64 * 1024 * 1024),
    # Tests use 2–3 s sessions so a crashed (dynamic) member's partitions move quickly; Kafka's
    # floor is 6 s. Production services keep the 10 s default (shared/settings.py).
    "group.min.session.timeout.ms": "1000",
}
