"""Prometheus metrics shared by every service, each service with its own registry.

Names follow `<service>_<thing>_total|_seconds`; labels stay bounded (routes are templates,
topics and outcomes are small fixed sets; never participant or content ids).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
FRESHNESS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)


class ServiceMetrics:
    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.service = service
        self.registry = registry or CollectorRegistry()
        r, s = self.registry, service
        self.http_requests = Counter(
            f"{s}_http_requests_total", "HTTP requests by route and status", ["method", "route", "status"],
            registry=r,
        )
        self.http_latency = Histogram(
            f"{s}_http_request_duration_seconds", "HTTP request latency", ["method", "route"],
            buckets=LATENCY_BUCKETS, registry=r,
        )
        self.outbox_backlog = Gauge(f"{s}_outbox_backlog", "Outbox events not yet published", registry=r)
        self.outbox_oldest_age = Gauge(
            f"{s}_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox event", registry=r
        )
        self.outbox_published = Counter(
            f"{s}_outbox_published_total", "Outbox events acknowledged by the broker", ["topic"], registry=r
        )
        self.outbox_publish_errors = Counter(
            f"{s}_outbox_publish_errors_total", "Failed outbox publish attempts (retried)", registry=r
        )
        self.events_consumed = Counter(
            f"{s}_events_consumed_total", "Events consumed by outcome (applied, duplicate, dead_lettered)",
            ["topic", "outcome"], registry=r,
        )
        self.dlq_messages = Counter(
            f"{s}_dlq_messages_total", "Poison messages sent to the dead-letter topic", ["topic"], registry=r
        )
        self.consumer_lag = Gauge(
            f"{s}_consumer_lag", "Messages behind the high-water mark", ["topic", "partition"], registry=r
        )
        self.consumer_batch_seconds = Histogram(
            f"{s}_consumer_batch_seconds", "Time to apply one consumed batch", ["topic"],
            buckets=LATENCY_BUCKETS, registry=r,
        )
        self.db_pool = Gauge(f"{s}_db_pool_connections", "DB pool connections by state", ["state"], registry=r)
