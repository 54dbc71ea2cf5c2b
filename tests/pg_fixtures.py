"""A real, throwaway PostgreSQL server for the store tests (Debian's `postgresql` package).

`postgres_server` (session) runs initdb into a temporary folder and starts the server on a
Unix socket only (no TCP port is opened); as root it runs as the `postgres` user.
`postgres_url(name)` then creates an empty database per test. Where the binaries are missing
the tests that need them are skipped with the reason (`make postgres` installs them).
Use with `from pg_fixtures import postgres_server  # noqa: F401`.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest


def pg_bindir() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or the one holding `initdb` on PATH."""
    for cand in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
                       if Path(p).parent.name.isdigit() else 0, reverse=True):
        if (Path(cand) / "initdb").exists() and (Path(cand) / "pg_ctl").exists():
            return Path(cand)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(os.path.realpath(initdb)).parent
    return None


def _free_port() -> int:
    # Only names the socket file (.s.PGSQL.<port>); picking a free TCP port avoids surprises.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    socket_dir: Path
    port: int
    _counter = itertools.count(1)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket_dir}&port={self.port}"

    def new_database(self) -> str:
        """An empty database of its own: its SQLAlchemy URL."""
        import psycopg

        name = f"kb_test_{os.getpid()}_{next(self._counter)}"
        with psycopg.connect(host=str(self.socket_dir), port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def postgres_server():
    bindir = pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL binaries not found (apt-get install postgresql, or `make postgres` as root)")
    as_user: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="kb-pg-"))
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            pg = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root, ignore_errors=True)
            pytest.skip("running as root and there is no `postgres` user to run PostgreSQL as")
        os.chown(root, pg.pw_uid, pg.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, log, port = root / "data", root / "server.log", _free_port()
    env = {**os.environ, "LC_ALL": "C"}
    try:
        subprocess.run(
            [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
             "--no-locale", "--no-sync"],
            check=True, capture_output=True, text=True, timeout=120, env=env,
        )
        # fsync off: a throwaway cluster; durability is what the crash test checks, on SQLite.
        options = f"-k {root} -p {port} -c listen_addresses='' -c fsync=off -c max_connections=200"
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60",
             "start"],
            check=True, capture_output=True, text=True, timeout=90, env=env,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {e}\n{getattr(e, 'stderr', '')}\n{tail}")
    try:
        yield PostgresServer(root, port)
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request, tmp_path):
    """Settings whose document store is SQLite, then a fresh database on the throwaway server."""
    from kb import db
    from kb.config import Settings

    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_server").new_database()
    s = Settings(data_dir=tmp_path / "data", database_url=url)
    yield s
    db.dispose(s)
