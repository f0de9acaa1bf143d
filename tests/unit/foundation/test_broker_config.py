"""The Kafka-grade settings: replication from the broker count, static member ids, idempotence."""

from __future__ import annotations

import secrets
import socket

import pytest

from shared import broker_config
from shared.settings import ServiceSettings


@pytest.mark.parametrize(("brokers", "rf", "isr"), [(1, 1, 1), (2, 2, 1), (3, 3, 2), (5, 3, 2)])
def test_replication_is_min_3_brokers_and_min_insync_is_rf_minus_1(brokers, rf, isr):
    assert broker_config.replication_factor(brokers) == rf
    assert broker_config.min_insync_replicas(rf) == isr
    assert broker_config.topic_config(rf)["min.insync.replicas"] == str(isr)
    props = broker_config.broker_properties(brokers)
    assert props["default.replication.factor"] == str(rf) and props["min.insync.replicas"] == str(isr)
    assert props["auto.create.topics.enable"] == "false"


def test_local_only_properties_never_override_the_tested_broker_settings():
    assert not set(broker_config.LOCAL_ONLY_PROPERTIES) & set(broker_config.broker_properties(3))


def _settings(**kw: object) -> ServiceSettings:
    # The admin token has no default (never a value written in the repository): a random one per call.
    return ServiceSettings(service_name="svc", environment="test", contest_file="x.yaml",
                           CONTEST_ADMIN_TOKEN=secrets.token_urlsafe(32), **kw)


def test_idempotence_is_on_unless_turned_off_for_the_dev_broker():
    assert _settings().kafka_enable_idempotence
    assert not _settings(kafka_enable_idempotence=False).kafka_enable_idempotence


def test_static_member_id_per_consumer_and_replica():
    assert _settings().group_instance_id("svc.c") is None  # no replica id: dynamic membership
    assert _settings(replica_id="svc-1").group_instance_id("svc.c") == "svc.c@svc-1"
    assert _settings(replica_id="hostname").group_instance_id("svc.c") == f"svc.c@{socket.gethostname()}"


def test_kraft_cluster_ids_never_start_with_a_dash():
    # kafka-storage reads "-…" as an option ("--cluster-id: expected one argument"): 1 id in 64 did.
    from tools.kafka import _cluster_id

    ids = [_cluster_id() for _ in range(5000)]
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)
