"""Per-drill figures for the broker-failure drills, taken after the segment's checker converged:
acknowledged submissions lost, events double-counted, checker differences, submit p99 while the fault
lasted, and seconds until the boards were fresh again."""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.quizday.recorder import SUBMIT, Recorder, percentile
from shared.events import ANSWER_SUBMITTED, TOPIC_PARTITIONS
from tests.audit import AuditResult


@dataclass
class DrillFigures:
    acknowledged: int  # submits answered 200 in the segment
    lost: int  # of those: not stored with the same score by quiz, or never reached the ranking's facts
    double_counted: int  # board values above their recomputation (an event applied twice inflates one)
    log_duplicates: int  # answer-submitted records in the log with an event id seen before (absorbed downstream)
    differences: int  # the checker's differences + problems
    fault_seconds: float
    submits_during: int  # HTTP answers to submit while the fault lasted
    submits_refused: int  # of those, not 200 (503 with Retry-After is allowed)
    submit_p99_ms: float
    in_sync_after: float
    fresh_after: float

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.double_counted == 0 and self.differences == 0


def double_counted(audit: AuditResult) -> int:
    """Differences where the board shows more than the source of truth allows."""
    n = 0
    for d in audit.differences:
        if d.what == "unexpected entry" or d.what == "entrant listed twice":
            n += 1
        elif isinstance(d.expected, (int, float)) and isinstance(d.actual, (int, float)) and d.actual > d.expected:
            n += d.what != "rank"
    return n


async def not_in_ranking(dsn: str, acked: list[dict[str, Any]]) -> list[str]:
    if not acked:
        return []
    conn = await asyncpg.connect(dsn, server_settings={"application_name": "drill"})
    try:
        rows = await conn.fetch("SELECT attempt_id FROM ranking.attempts WHERE attempt_id = ANY($1::text[])",
                                [s["attempt_id"] for s in acked])
    finally:
        await conn.close()
    have = {r["attempt_id"] for r in rows}
    return [f"{s['attempt_id']}: acknowledged (200) but not in the ranking's facts"
            for s in acked if s["attempt_id"] not in have]


async def log_duplicates(bootstrap: str, timeout: float = 60.0) -> int:
    """answer-submitted records whose event id appeared earlier in the log (read up to the end offsets)."""
    tps = [TopicPartition(ANSWER_SUBMITTED, p) for p in range(TOPIC_PARTITIONS[ANSWER_SUBMITTED])]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest", max_partition_fetch_bytes=4 << 20)
    await consumer.start()
    ids: Counter[str] = Counter()
    try:
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        await consumer.seek_to_beginning(*tps)
        deadline = time.monotonic() + timeout
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{ANSWER_SUBMITTED} not read to its end offsets in {timeout:.0f}s")
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for r in (r for rs in batch.values() for r in rs):
                try:
                    ids[json.loads(r.value)["id"]] += 1
                except (ValueError, TypeError, KeyError):
                    continue  # a poison drill's record
    finally:
        await consumer.stop()
    return sum(n - 1 for n in ids.values())


def submit_window(rec: Recorder, start: float, end: float) -> tuple[int, int, float]:
    """(answers, not-200 answers, p99 seconds) of submit requests started in [start, end]."""
    inside = [(s, st) for t, s, st in rec.timed.get(SUBMIT, []) if start <= t <= end and not isinstance(st, str)]
    return len(inside), sum(st != 200 for _, st in inside), percentile([s for s, _ in inside], 99)


def figures(rec: Recorder, log: Any, audit: AuditResult | None, acked: list[dict[str, Any]], lost: list[str],
            dups: int) -> DrillFigures:
    start = log.fault_started if log.fault_started is not None else math.nan
    end = log.fault_lifted if log.fault_lifted is not None else start
    n, refused, p99 = submit_window(rec, start, end)
    return DrillFigures(
        acknowledged=len(acked), lost=len(lost),
        double_counted=double_counted(audit) if audit else 0, log_duplicates=dups,
        differences=(len(audit.differences) + len(audit.problems)) if audit else 1,
        fault_seconds=end - start, submits_during=n, submits_refused=refused, submit_p99_ms=1000 * p99,
        in_sync_after=log.in_sync_after if log.in_sync_after is not None else math.nan,
        fresh_after=log.fresh_after if log.fresh_after is not None else math.nan)
