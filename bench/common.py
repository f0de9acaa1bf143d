"""What every benchmark shares: a description of the machine, and its own broker and PostgreSQL."""

from __future__ import annotations

import os
import platform
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import psutil

    mem = psutil.virtual_memory().total / 2**30
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"nproc {len(os.sched_getaffinity(0))}, {model}, {mem:.0f} GiB, Python {platform.python_version()}, "
            f"load average {load}")


@dataclass
class Infrastructure:
    bootstrap: str
    dsn: str
    tmp: Path


@contextmanager
def infrastructure(name: str, *, fast_pg: bool = True) -> Iterator[Infrastructure]:
    """A fresh Tansu broker and embedded PostgreSQL in `.run/bench-<name>*` (one folder per
    benchmark, so two benchmarks may run at once). `fast_pg` turns fsync off."""
    from tools.pg import start_postgres
    from tools.tansu import free_port, start_broker

    tmp = ROOT / ".run" / f"bench-{name}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    pg = start_postgres(ROOT / ".run" / f"bench-{name}-pg", free_port(), fast=fast_pg, fresh=True)
    try:
        broker = start_broker(log_file=tmp / "tansu.log")
        try:
            yield Infrastructure(broker.bootstrap, pg.dsn, tmp)
        finally:
            broker.stop()
    finally:
        pg.stop()
