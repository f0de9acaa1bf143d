"""Restart to ready after SIGKILL, per service: `python -m bench.restart_ready [--broker kafka|tansu]`.

Starts the whole system as `make run` does (BROKER=kafka by default), then for each service, `--kills`
times: SIGKILL it, let `make run`'s supervisor start it again, and time until its /readyz is 200 with
the new pid (readiness includes every consumer group joined). Prints a markdown table. ~2–3 min.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import time

from bench.quizday.stack import SERVICES, Stack
from tests.e2e.stack import run_dir, start_stack


async def measure(stack: Stack, kills: int) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {}
    for name in SERVICES:
        figures[name] = []
        for _ in range(kills):
            await stack.wait_ready(name)
            pid = stack.pid(name)
            started = time.monotonic()
            os.kill(pid, signal.SIGKILL)
            await stack.wait_ready(name, not_pid=pid)
            figures[name].append(time.monotonic() - started)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", choices=("kafka", "tansu"), default="kafka")
    parser.add_argument("--kills", type=int, default=3)
    args = parser.parse_args()
    with run_dir("bench-restart-") as path:
        handle = start_stack(path, timeout=240, broker=args.broker)
        try:
            stack = Stack(run_dir=path, admin_token=handle.admin_token, handle=handle)
            figures = asyncio.run(measure(stack, args.kills))
        finally:
            handle.stop()
    broker = next((line.split("(", 1)[1].split(",")[0].rstrip(")") for line in handle.output
                   if line.strip().startswith("broker (")), args.broker)
    print(f"\nRestart to ready after SIGKILL on {broker} ({args.kills} kills each)\n")
    print("| service | median | max | all (s) |\n|---|---|---|---|")
    for name, values in figures.items():
        print(f"| {name} | {statistics.median(values):.1f} s | {max(values):.1f} s |"
              f" {', '.join(f'{v:.1f}' for v in values)} |")


if __name__ == "__main__":
    main()
