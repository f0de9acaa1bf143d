"""`python -m tests.audit [--run-dir .run] [--dsn DSN --ranking URL --contest FILE] [--timeout S]`.

Reads RUN_DIR/stack.json (database), RUN_DIR/services.json (ranking port) and
RUN_DIR/env/ranking.json (contest file) written by `make run`. Exit code 0 when every board equals
the recomputation, 1 otherwise (each difference printed with entrant, expected and actual)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from shared.contest import load_contest
from tests.audit.check import audit_until_converged


def resolve(run_dir: Path, dsn: str | None, ranking: str | None, contest: str | None) -> tuple[str, str, str]:
    if not dsn:
        dsn = json.loads((run_dir / "stack.json").read_text())["database_url"]
    if not ranking:
        port = json.loads((run_dir / "services.json").read_text())["ranking"]["port"]
        ranking = f"http://127.0.0.1:{port}"
    if not contest:
        contest = json.loads((run_dir / "env" / "ranking.json").read_text())["CONTEST_FILE"]
    return dsn, ranking, contest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.audit", description=__doc__)
    ap.add_argument("--run-dir", default=os.environ.get("RUN_DIR", ".run"))
    ap.add_argument("--dsn")
    ap.add_argument("--ranking", help="ranking base URL, e.g. http://127.0.0.1:8004")
    ap.add_argument("--contest", help="contest YAML file")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for convergence")
    args = ap.parse_args(argv)
    dsn, ranking, contest_file = resolve(Path(args.run_dir), args.dsn, args.ranking, args.contest)
    result = asyncio.run(audit_until_converged(dsn, ranking, load_contest(contest_file), timeout=args.timeout))
    print(result.summary())
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
