"""`make bench`: run every benchmark in turn; each prints a markdown table and writes bench/results/."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

SKIP = {"quizday", "common"}


def main() -> int:
    here = Path(__file__).parent
    names = [m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_") and m.name not in SKIP]
    failed = []
    for name in sorted(names):
        module = importlib.util.find_spec(f"bench.{name}")
        if module is None:
            continue
        print(f"\n## bench.{name}\n", flush=True)
        if subprocess.call([sys.executable, "-m", f"bench.{name}"]) != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
