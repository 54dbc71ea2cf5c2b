"""The database behind the document store and the key store: one code path, two engines.

SQLite at `data_dir/kb.sqlite3` by default (WAL, so readers never wait for the writer;
a busy timeout, so a second writer waits instead of failing; foreign keys on, so deleting
a document deletes its rows), PostgreSQL when `KB_DATABASE_URL` is set.

Opening a database brings its schema to the newest Alembic revision (kb/db/migrations).
Every write runs in `writing()`: one transaction that takes the writer's lock first
(SQLite `BEGIN IMMEDIATE`, a PostgreSQL advisory lock), so writes are serialised across
threads and processes and a crash leaves the previous state or the new one, never half.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url

from kb.config import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Any constant: the key of the PostgreSQL advisory lock that serialises writers.
PG_WRITER_LOCK = 0x6B625F7772  # "kb_wr"

_engines: dict[str, Engine] = {}
_identities: dict[str, tuple[int, int] | None] = {}
_engines_lock = threading.Lock()


def database_url(settings: Settings) -> str:
    """The SQLAlchemy URL of the store. A plain postgresql:// URL gets the psycopg 3 driver."""
    url = settings.database_url
    if not url:
        return f"sqlite+pysqlite:///{Path(settings.sqlite_path).resolve()}"
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


def create_engine_for(settings: Settings) -> Engine:
    """A new engine for the configured database (no migrations; see `engine_for`)."""
    url = make_url(database_url(settings))
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _sqlite_setup(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Take transactions out of the driver's hands (it would BEGIN lazily, deferred)
        # so that "begin" below decides: writers start with the write lock held, and a
        # writer never fails half-way with "database is locked" upgrading a read lock.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        # FULL: a committed document survives a power cut too, not only a killed process.
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("kb_write") else "BEGIN")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction holding the writer's lock; committed on exit, rolled back on error."""
    with engine.connect() as conn:
        conn.execution_options(kb_write=True)
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_WRITER_LOCK})
            yield conn


def _alembic_config(conn: Connection | None = None):
    from alembic.config import Config

    cfg = Config()
    # configparser interpolation: a literal % in the path must be doubled
    cfg.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> None:
    """`alembic upgrade head`, under the writer's lock so that two processes opening a new
    database at once do not both create it."""
    head = head_revision()
    if current_revision(engine) == head:
        return
    from alembic import command

    with writing(engine) as conn:
        command.upgrade(_alembic_config(conn), "head")


def _sqlite_file_identity(engine: Engine) -> tuple[int, int] | None:
    path = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return None
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return (-1, -1)
    return st.st_dev, st.st_ino


def engine_for(settings: Settings) -> Engine:
    """The process-wide engine for the configured database, migrated on first use."""
    url = database_url(settings)
    with _engines_lock:
        engine = _engines.get(url)
        if engine is not None and _sqlite_file_identity(engine) != _identities.get(url):
            # The SQLite file was removed or replaced under us (a cleaned data folder): pooled
            # connections would keep writing to the unlinked file, so start over.
            engine.dispose()
            engine = None
        if engine is None:
            engine = create_engine_for(settings)
            try:
                migrate(engine)
            except BaseException:
                engine.dispose()
                raise
            _engines[url] = engine
            _identities[url] = _sqlite_file_identity(engine)
        return engine


def dispose(settings: Settings | None = None) -> None:
    """Close pooled connections (of one database, or of all): tests, forks, shutdown."""
    with _engines_lock:
        urls = [database_url(settings)] if settings else list(_engines)
        for url in urls:
            engine = _engines.pop(url, None)
            if engine is not None:
                engine.dispose()
