"""The end report: Markdown (report.md) with PNG plots when matplotlib is installed, else tables only."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

from bench.quizday.recorder import percentile


def _ms(x: float) -> str:
    return "–" if math.isnan(x) else f"{1000 * x:,.0f}"


def _s(x: float) -> str:
    return "–" if math.isnan(x) else f"{x:,.2f}"


def write(outcome: Any, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    rec, p = outcome.rec, outcome.params
    lines = [f"# Quiz-day run — {'PASSED' if outcome.ok else 'FAILED'}", ""]
    lines += [f"- participants: **{p.participants:,}** arriving over **{p.duration:,.0f} s** "
              f"(launch spike, then a long tail); think time median {p.think} s/question",
              f"- drills: {', '.join(p.drills) if p.drills else 'none'}; seed {p.seed}",
              f"- wall time: {outcome.wall_seconds:,.0f} s", ""]
    total = sum(sum(c.values()) for c in rec.statuses.values())
    per_sec = Counter({s: c["requests"] for s, c in rec.timeline.items()})
    submits = Counter({s: c["submitted"] for s, c in rec.timeline.items()})
    busy = max(1, len([s for s in per_sec if per_sec[s]]))
    lines += ["## Throughput", "",
              "| what | value |", "|---|---|",
              f"| HTTP requests | {total:,} |",
              f"| mean req/s (busy seconds) | {total / busy:,.1f} |",
              f"| peak req/s | {max(per_sec.values(), default=0):,} |",
              f"| attempts submitted | {rec.counters['submitted']:,} |",
              f"| peak submits/s | {max(submits.values(), default=0):,} |",
              f"| engagement batches accepted (+ replays) | {rec.counters['ingest_batches']:,} "
              f"(+ {rec.counters['ingest_replays']:,}) |",
              f"| engagement events accepted / duplicates / rejected | {rec.counters['ingest_events_accepted']:,} / "
              f"{rec.counters['ingest_events_duplicates']:,} / {rec.counters['ingest_events_rejected']:,} |", ""]
    lines += ["## Journeys", "", "| counter | n |", "|---|---|"]
    lines += [f"| {k} | {v:,} |" for k, v in sorted(rec.counters.items())]
    lines += ["", "## Latency per endpoint (ms)", "",
              "| endpoint | n | p50 | p90 | p99 | max | statuses |", "|---|---|---|---|---|---|---|"]
    for ep, vals in sorted(rec.latencies.items()):
        st = ", ".join(f"{k}: {v:,}" for k, v in sorted(rec.statuses[ep].items(), key=lambda kv: str(kv[0])))
        lines.append(f"| `{ep}` | {len(vals):,} | {_ms(percentile(vals, 50))} | {_ms(percentile(vals, 90))} | "
                     f"{_ms(percentile(vals, 99))} | {_ms(max(vals) if vals else math.nan)} | {st} |")
    cw = rec.client_wait
    lines += ["", f"Generator-side wait for a connection slot (not in the latencies above): p50 "
              f"{_ms(percentile(cw, 50))} ms, p99 {_ms(percentile(cw, 99))} ms, max {_ms(max(cw) if cw else math.nan)} ms "
              f"({outcome.params.max_connections} connections per service)."]
    f = rec.freshness
    lines += ["", "## Freshness (submit → visible on `quiz.individual.all`, s)", "",
              "| n | p50 | p90 | p99 | max | never seen (120 s) |", "|---|---|---|---|---|---|",
              f"| {len(f):,} | {_s(percentile(f, 50))} | {_s(percentile(f, 90))} | {_s(percentile(f, 99))} | "
              f"{_s(max(f) if f else math.nan)} | {rec.freshness_missed} |", ""]
    lines += ["## Errors by code", "", "| status | code | n |", "|---|---|---|"]
    lines += [f"| {s} | {c} | {n:,} |" for (s, c), n in sorted(rec.error_codes.items(), key=lambda kv: -kv[1])]
    lines += ["", f"## Contract violations: {len(rec.violations)}", ""]
    lines += [f"- {v.at:.1f}s `{v.endpoint}` {v.status}: {v.problem} — {v.body}" for v in rec.violations[:50]]
    lines += ["", "## Drills and checker", ""]
    for seg in outcome.segments:
        lines.append(f"### Segment {seg.index + 1}: {seg.drill or 'no drill'} — {'ok' if seg.ok else 'FAILED'}")
        lines.append(f"{seg.participants:,} participants, {seg.seconds:,.0f} s")
        lines.append("")
        lines += [f"- {n}" for n in seg.notes]
        if seg.audit:
            lines += ["", "```", seg.audit.summary(), "```"]
        lines += [f"- PROBLEM: {pr}" for pr in seg.problems]
        lines.append("")
    lines += broker_drill_table(outcome.segments)
    lines += [f"## Acknowledged submissions lost: {len(outcome.lost)}", ""]
    lines += [f"- {x}" for x in outcome.lost[:50]]
    lines += ["", "## Resource use (service processes, psutil)", "",
              "| process | mean CPU % | max CPU % | max RSS MB |", "|---|---|---|---|"]
    names = sorted({k for r in rec.resources for k in r if k != "t"})
    for name in names:
        cpu = [r[name]["cpu"] for r in rec.resources if name in r]
        rss = [r[name]["rss_mb"] for r in rec.resources if name in r]
        lines.append(f"| {name} | {sum(cpu) / len(cpu):,.0f} | {max(cpu):,.0f} | {max(rss):,.0f} |")
    plots = _plots(outcome, out)
    if plots:
        lines += ["", "## Plots", ""] + [f"![{name}]({name})" for name in plots]
    else:
        lines += ["", "(matplotlib not installed: tables only)"]
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "summary.json").write_text(json.dumps({
        "ok": outcome.ok, "params": vars(p), "counters": dict(rec.counters), "requests": total,
        "violations": len(rec.violations), "lost": len(outcome.lost),
        "latency_ms": {ep: {"n": len(v), "p50": 1000 * percentile(v, 50), "p99": 1000 * percentile(v, 99)}
                       for ep, v in rec.latencies.items()},
        "freshness_s": {"n": len(f), "p50": percentile(f, 50), "p99": percentile(f, 99)},
        "segments": [{"drill": s.drill, "ok": s.ok, "differences": len(s.audit.differences) if s.audit else None,
                      "notes": s.notes, "problems": s.problems,
                      "figures": vars(s.figures) if getattr(s, "figures", None) else None}
                     for s in outcome.segments],
    }, indent=1, default=str), encoding="utf-8")
    return path


def broker_drill_table(segments: list[Any]) -> list[str]:
    """One row per broker-failure drill (bench/quizday/drill_figures.py says what each column is)."""
    rows = [s for s in segments if getattr(s, "figures", None)]
    if not rows:
        return []
    lines = ["## Broker-failure drills (3-node Apache Kafka)", "",
             "| drill | result | acknowledged submits | lost | double-counted | checker differences | fault (s) "
             "| submits during fault (not 200) | submit p99 during fault (ms) | ISRs full after (s) "
             "| boards fresh again after (s) | duplicate records in the log |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in rows:
        f = s.figures
        lines.append(f"| {s.drill} | {'ok' if s.ok else 'FAILED'} | {f.acknowledged:,} | {f.lost} | {f.double_counted} "
                     f"| {f.differences} | {_s(f.fault_seconds)} | {f.submits_during:,} ({f.submits_refused:,}) "
                     f"| {_ms(f.submit_p99_ms / 1000)} | {_s(f.in_sync_after)} | {_s(f.fresh_after)} "
                     f"| {f.log_duplicates if f.log_duplicates >= 0 else '– (log not read)'} |")
    lines += ["", "Lost: acknowledged (200) but not stored with that score, or never in the ranking's facts. "
              "Double-counted: board values above their recomputation from the sources. Fresh again: from the "
              "moment the fault was lifted until every submit acknowledged by then is in the ranking's facts "
              "and the newest is on `quiz.individual.all`. Duplicate records: answer-submitted records whose "
              "event id was already in the log (consumers absorb them; the idempotent producer should keep "
              "this at 0).", ""]
    return lines


def _plots(outcome: Any, out: Path) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    rec = outcome.rec
    made = []
    secs = sorted(rec.timeline)
    if secs:
        fig, ax = plt.subplots(figsize=(11, 4))
        for kind in ("requests", "submitted", "errors", "connection_errors"):
            ax.plot(secs, [rec.timeline[s][kind] for s in secs], label=kind, linewidth=0.9)
        for t, _label in rec.events:
            ax.axvline(t, color="grey", alpha=0.3, linewidth=0.7)
        ax.set_xlabel("seconds since start")
        ax.set_ylabel("per second")
        ax.legend()
        ax.set_title("Throughput (vertical lines: drill actions and checker runs)")
        fig.tight_layout()
        fig.savefig(out / "throughput.png", dpi=110)
        plt.close(fig)
        made.append("throughput.png")
    eps = [ep for ep, v in sorted(rec.latencies.items()) if len(v) >= 5]
    if eps:
        fig, ax = plt.subplots(figsize=(11, 5))
        for ep in eps:
            v = sorted(rec.latencies[ep])
            ax.plot([1000 * x for x in v], [i / len(v) for i in range(len(v))], label=ep, linewidth=0.9)
        ax.set_xscale("log")
        ax.set_xlabel("latency (ms, log)")
        ax.set_ylabel("fraction ≤")
        ax.legend(fontsize=7)
        ax.set_title("Latency CDF per endpoint")
        fig.tight_layout()
        fig.savefig(out / "latency.png", dpi=110)
        plt.close(fig)
        made.append("latency.png")
    if rec.freshness:
        fig, ax = plt.subplots(figsize=(8, 3.5))
        ax.hist(rec.freshness, bins=40)
        ax.set_xlabel("seconds from submit to visible on the board")
        ax.set_title("Freshness")
        fig.tight_layout()
        fig.savefig(out / "freshness.png", dpi=110)
        plt.close(fig)
        made.append("freshness.png")
    if rec.resources:
        names = sorted({k for r in rec.resources for k in r if k != "t"})
        fig, (a1, a2) = plt.subplots(2, 1, figsize=(11, 6), sharex=True)
        for name in names:
            pts = [(r["t"], r[name]) for r in rec.resources if name in r]
            a1.plot([t for t, _ in pts], [v["cpu"] for _, v in pts], label=name, linewidth=0.9)
            a2.plot([t for t, _ in pts], [v["rss_mb"] for _, v in pts], label=name, linewidth=0.9)
        a1.set_ylabel("CPU %")
        a2.set_ylabel("RSS MB")
        a2.set_xlabel("seconds since start")
        a1.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "resources.png", dpi=110)
        plt.close(fig)
        made.append("resources.png")
    return made
