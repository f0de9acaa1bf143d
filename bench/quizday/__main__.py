"""`make quizday` / `python -m bench.quizday`: the quiz-day simulation with fault drills and the checker.

Starts the whole system exactly as `make run` does (on free ports, in a fresh run dir), or attaches to a
running one with --run-dir and --admin-token. Writes report.md (+ PNG plots) under bench/results/.
Examples:
  python -m bench.quizday                                   # full day: 20,000 over 10 min, all drills
  python -m bench.quizday --participants 300 --duration 40 --think 0.05 --drills kill-ranking
  python -m bench.quizday --drills none --participants 2000 --duration 120
  python -m bench.quizday --broker kafka --brokers 3 --drills broker --participants 1500 --duration 240
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

from bench.quizday import report
from bench.quizday.drills import BROKER_DRILLS, DRILLS, GROUPS
from bench.quizday.run import Params, default_out, run
from bench.quizday.stack import attach, start


def parse(argv: list[str] | None) -> tuple[Params, argparse.Namespace]:
    ap = argparse.ArgumentParser(prog="python -m bench.quizday", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--participants", type=int, default=20_000)
    ap.add_argument("--duration", type=float, default=600.0, help="seconds over which participants arrive")
    ap.add_argument("--drills", default="all",
                    help=f"comma list of drills or groups ({', '.join(GROUPS)}), 'all' or 'none'; known: "
                         f"{', '.join(DRILLS)} (kafka-* need --broker kafka --brokers 3; 'all' has them then)")
    ap.add_argument("--broker", choices=("tansu", "kafka"), default="tansu",
                    help="the broker `make run BROKER=…` starts (ignored with --run-dir)")
    ap.add_argument("--brokers", type=int, choices=(1, 3), default=1, help="Kafka nodes (KAFKA_NODES)")
    ap.add_argument("--think", type=float, default=1.5, help="median think time per question (s)")
    ap.add_argument("--engagement-rate", type=float, default=40.0, help="events/s per platform")
    ap.add_argument("--connections", type=int, default=100, help="concurrent connections per service")
    ap.add_argument("--seed", type=int, default=20250106)
    ap.add_argument("--audit-timeout", type=float, default=180.0)
    ap.add_argument("--out", type=Path, default=None, help="report folder (default bench/results/quizday-…)")
    ap.add_argument("--run-dir", type=Path, default=None, help="attach to a running `make run` (its RUN_DIR)")
    ap.add_argument("--admin-token", default=os.environ.get("CONTEST_ADMIN_TOKEN"))
    args = ap.parse_args(argv)
    cluster = args.broker == "kafka" and args.brokers == 3
    if args.drills == "all":
        drills = [d for d in DRILLS if cluster or d not in BROKER_DRILLS]
    elif args.drills in ("none", ""):
        drills = []
    else:
        drills = []
        for d in (d.strip() for d in args.drills.split(",") if d.strip()):
            drills += GROUPS.get(d, [d])
        unknown = [d for d in drills if d not in DRILLS]
        if unknown:
            ap.error(f"unknown drills: {', '.join(unknown)}")
        if not cluster and not args.run_dir and any(d in BROKER_DRILLS for d in drills):
            ap.error("the kafka-* drills need --broker kafka --brokers 3")
    params = Params(participants=args.participants, duration=args.duration, drills=drills, think=args.think,
                    seed=args.seed, engagement_rate=args.engagement_rate, audit_timeout=args.audit_timeout,
                    max_connections=args.connections)
    return params, args


def _loop_runner():  # type: ignore[no-untyped-def]
    """uvloop (installed with uvicorn[standard]) makes the generator's own loop cheaper per request."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run
    return uvloop.run


def main(argv: list[str] | None = None) -> int:
    params, args = parse(argv)
    if args.run_dir:
        if not args.admin_token:
            print("--admin-token (or CONTEST_ADMIN_TOKEN) is needed with --run-dir", file=sys.stderr)
            return 2
        stack = attach(args.run_dir.resolve(), args.admin_token)
    else:
        run_dir = Path(tempfile.mkdtemp(prefix="quizday-", dir=Path(__file__).resolve().parents[2] / ".run"
                                        if (Path(__file__).resolve().parents[2] / ".run").exists() else None))
        print(f"starting the system as `make run` does (RUN_DIR={run_dir}) …", flush=True)
        stack = start(run_dir, broker=args.broker, brokers=args.brokers)
    out = args.out or default_out()
    try:
        outcome = _loop_runner()(run(params, stack))
    finally:
        stack.stop()
        if stack.handle is not None:  # we started it: keep the logs of a failed run, drop the data
            if "outcome" not in locals() or not outcome.ok:
                shutil.copytree(stack.run_dir / "logs", out / "logs", dirs_exist_ok=True)
            shutil.rmtree(stack.run_dir, ignore_errors=True)
    path = report.write(outcome, out)
    print(f"\nreport: {path}\n{'PASSED' if outcome.ok else 'FAILED'}", flush=True)
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
