"""The service's own Prometheus metrics (bounded labels only)."""

from __future__ import annotations

import asyncpg
from prometheus_client import Counter, Gauge

from services.initiatives import store_initiatives
from services.initiatives.domain import STATUS_NAMES
from shared.service import Runtime


class InitiativesMetrics:
    def __init__(self, runtime: Runtime) -> None:
        r = runtime.metrics.registry
        self.scores_submitted = Counter(
            "initiatives_scores_submitted", "Judge scores stored (each revision counts), by kind and outcome",
            ["kind", "outcome"], registry=r,
        )
        self.initiatives = Gauge(
            "initiatives_initiatives_total", "Initiatives by status", ["status"], registry=r,
        )
        for status in STATUS_NAMES:
            self.initiatives.labels(status).set(0)

    async def refresh(self, conn: asyncpg.Connection) -> None:
        counts = await store_initiatives.count_by_status(conn)
        for status in STATUS_NAMES:
            self.initiatives.labels(status).set(counts.get(status, 0))


def metrics_of(runtime: Runtime) -> InitiativesMetrics:
    return runtime.state["initiatives_metrics"]
