"""`python -m services.ranking` serves the service; `python -m services.ranking rebuild` replays
every topic from the beginning into fresh state and exits."""

from __future__ import annotations

import asyncio
import logging
import sys

from services.ranking.settings import RankingSettings
from shared.service import serve
from shared.settings import settings_or_exit


def main(argv: list[str]) -> int:
    settings = settings_or_exit(RankingSettings)
    if argv[:1] == ["rebuild"]:
        from services.ranking.rebuild import rebuild

        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        counts = asyncio.run(rebuild(settings))
        print("rebuilt:", ", ".join(f"{k}={v}" for k, v in counts.items()))
        return 0
    if argv:
        print("usage: python -m services.ranking [rebuild]", file=sys.stderr)
        return 2
    from services.ranking.app import create_app

    serve(lambda: create_app(settings), settings)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
