"""Attempt counters in the database, shared by every server process: one
attempt is reserved atomically under each of its limits *before* the work
it guards (a password hash, an upload), so concurrent attempts can never all
pass a limit that only one of them had room for.

Used by :mod:`gutbalance.web.accounts` (logins, registrations, password
checks) and :mod:`gutbalance.web.services` (uploads per user).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import threading
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

from . import crud
from .core.security import AddressRefusals

#: Expired throttle rows are deleted on every this many reservations.
_PURGE_EVERY = 64
_reservations = itertools.count(1)


@dataclass(frozen=True)
class Limit:
    """At most ``allowed`` attempts under ``key`` per ``window`` seconds.

    ``remember`` (kind, address) marks a limit on a whole address: when it
    refuses, the refusal is kept in memory for the rest of its window
    (:class:`~gutbalance.web.core.security.AddressRefusals`)."""

    key: str
    allowed: int
    window: int
    remember: tuple[str, str] | None = None


def key(kind: str, *parts: str) -> str:
    """The counter's key for ``kind`` and ``parts`` (a username, an address, a user id)."""
    # Hashed: keys have a fixed length whatever the input, and the table
    # holds no usernames or client addresses in clear.
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"{kind}:{digest}"


_sqlite_writers: dict[str, threading.Lock] = {}
_sqlite_writers_lock = threading.Lock()


def _one_writer(session: Session):
    """On SQLite, the threads of this process take turns for the throttle's
    short write transactions on a lock of their own: SQLite would make them
    poll its database lock with sleeps of up to 100 ms each, holding server
    threads that every other request needs.  (Other processes still wait on
    SQLite's lock; PostgreSQL locks the rows and needs nothing here.)"""
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return contextlib.nullcontext()
    url = str(bind.engine.url)  # a session may be bound to a Connection, which has no .url
    with _sqlite_writers_lock:
        return _sqlite_writers.setdefault(url, threading.Lock())


def reserve(session: Session, limits: list[Limit], *, refusals: AddressRefusals | None = None) -> int:
    """Count one attempt under every limit, all or none: 0 when counted, else
    the seconds until the first used-up limit's window ends (a refusal of a
    limit on a whole address is also remembered in ``refusals``).

    Runs in a transaction of its own (committed here), begun with the write so
    that SQLite takes its write lock at once rather than upgrading a read.
    """
    session.commit()
    now = int(time.time())
    with _one_writer(session):
        for limit in sorted(limits, key=lambda lim: lim.key):  # one order everywhere: no deadlocks on PostgreSQL
            if not crud.reserve_attempt(session, key=limit.key, limit=limit.allowed, window=limit.window, now=now):
                session.rollback()  # undoes the reservations made under the other keys
                wait = crud.retry_after(session, key=limit.key, now=now)
                session.rollback()
                if refusals is not None and limit.remember is not None:
                    refusals.refuse(*limit.remember, wait)
                return wait
        if next(_reservations) % _PURGE_EVERY == 0:
            crud.purge_throttles(session, now=now)
        session.commit()
    return 0


def refund(session: Session, limits: list[Limit]) -> None:
    """Give back the attempt counted under each limit (it succeeded, or was never checked)."""
    session.rollback()
    now = int(time.time())
    with _one_writer(session):
        for limit in sorted(limits, key=lambda lim: lim.key):
            crud.refund_attempt(session, key=limit.key, now=now)
        session.commit()
