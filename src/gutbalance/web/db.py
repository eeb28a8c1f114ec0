"""Engine, sessions and migrations.

Migrations are Alembic scripts shipped inside the package and run
programmatically (:func:`migrate`) when the app starts, so an installed wheel
needs no ``alembic.ini``.
"""

from __future__ import annotations

from importlib import resources

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from ..errors import GutBalanceError
from .audit_writer import AuditWriter
from .crud import AUDIT_WRITER, FORGET_DELETED

#: Connections per engine: one for each of the threads that run sync
#: endpoints (anyio's default limit), so no request waits for the pool.
POOL_SIZE = 40


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL (``synchronous=NORMAL``), foreign keys and a busy timeout
    so that concurrent uploads wait for each other instead of failing, and
    ``secure_delete`` so that deleted rows are overwritten, not just unlinked."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy.exc.ArgumentError and friends
        raise GutBalanceError(f"not a database URL: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, pool_size=POOL_SIZE, max_overflow=0, pool_timeout=60
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            # WAL's usual companion: a commit is not synced to disk (a
            # checkpoint is); the database stays consistent, but a power cut
            # may lose the last commits.  FULL synced every commit, and the
            # one-writer-at-a-time throttle and job writes queued behind each
            # sync under load (most of an upload's time in the load benchmark).
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() not in ("psycopg", ""):
        raise GutBalanceError("PostgreSQL is reached through psycopg 3: use postgresql+psycopg://...")
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=POOL_SIZE - 10, pool_timeout=60)


def session_factory(engine: Engine, *, audit: AuditWriter | None = None) -> sessionmaker[Session]:
    """Sessions on ``engine``.  On SQLite, a commit that deleted user data
    (flagged by :mod:`~gutbalance.web.crud`) is followed by a WAL checkpoint,
    so the deleted rows' old pages do not stay readable in ``-wal``.  With
    ``audit``, views and downloads go into the audit log through it, in batches
    (without, each is written with the session's commit)."""
    factory = sessionmaker(bind=engine, expire_on_commit=False, info={} if audit is None else {AUDIT_WRITER: audit})
    if engine.dialect.name == "sqlite":

        @event.listens_for(factory, "after_commit")
        def _forget_deleted(session: Session) -> None:
            if session.info.pop(FORGET_DELETED, False):
                checkpoint(engine)

    return factory


def checkpoint(engine: Engine) -> None:
    """Copy SQLite's write-ahead log into the database file and truncate it
    (best effort: a reader still holding an old snapshot keeps its pages until
    the next checkpoint)."""
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def migrate(engine: Engine) -> None:
    """Bring the database schema up to the newest migration."""
    # alembic (web extra) is needed only here, once at start-up: not loaded by the worker processes
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("gutbalance.web").joinpath("migrations")))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
