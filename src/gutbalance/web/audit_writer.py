"""Writing the audit log's views and downloads in batches.

Every view of a sample's page, report or scores is an audit event.  Written
one by one, each view was its own write transaction: on SQLite, which has
one writer at a time, 130 views a second queued with the uploads' writes and
took the load benchmark from 10.5 to 9 uploads a second (p95 1.3 s to 2.2 s).
Views and downloads change nothing else, so they are collected here and
written together, by one thread, at most :data:`FLUSH_SECONDS` after they
happened, with the time they happened.  An upload, a correction or a deletion
is still written in the same transaction as the change it records (see
:mod:`gutbalance.web.crud`).

Reading the log first writes what is waiting (:meth:`AuditWriter.flush`), so
an account's own page always shows its latest views.  What is waiting when
the process is killed outright (not stopped) is lost: at most the views of
the last :data:`FLUSH_SECONDS`.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import SQLAlchemyError

from .models import AuditEvent, User, new_id, utcnow

log = logging.getLogger("gutbalance.web")

#: The longest an event waits before it is written.
FLUSH_SECONDS = 0.25
#: Beyond this many waiting events, the request that adds one writes them all
#: itself (the database is slower than the views: do not grow without bound).
MAX_WAITING = 5_000


class AuditWriter:
    """Audit events waiting to be written to ``engine``, and the thread that
    writes them every ``every`` seconds (:data:`FLUSH_SECONDS`)."""

    def __init__(self, engine: Engine, *, every: float = FLUSH_SECONDS) -> None:
        self._engine = engine
        self._every = every
        self._waiting: list[dict[str, Any]] = []
        self._lock = threading.Lock()  # guards _waiting
        self._writing = threading.Lock()  # one batch at a time, in the order they were taken
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, **event: Any) -> None:
        """Queue one event (the columns of :class:`~gutbalance.web.models.AuditEvent`);
        its id and time are given now, so the log keeps the order things happened in."""
        row: dict[str, Any] = {"id": new_id(), "at": utcnow(), "sample_id": None, "sample_name": "", "detail": ""} | event
        row["sample_name"], row["detail"] = row["sample_name"][:255], row["detail"][:255]
        with self._lock:
            self._waiting.append(row)
            overfull = len(self._waiting) > MAX_WAITING
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="gutbalance-audit-writer", daemon=True)
                self._thread.start()
        if overfull:
            self.flush()

    def forget(self, owner_id: str) -> None:
        """Drop the waiting events of an account being deleted."""
        with self._lock:
            self._waiting = [row for row in self._waiting if row["owner_id"] != owner_id]

    def flush(self) -> None:
        """Write every waiting event now, in one transaction.  Events of an
        account deleted meanwhile are dropped; if the database cannot be
        written, the events wait for the next flush."""
        with self._writing:
            with self._lock:
                rows, self._waiting = self._waiting, []
            if not rows:
                return
            try:
                self._write(rows)
            except SQLAlchemyError:
                log.exception("%d audit events could not be written yet", len(rows))
                with self._lock:
                    self._waiting[:0] = rows
                    dropped = len(self._waiting) - 2 * MAX_WAITING
                    if dropped > 0:  # the database has been failing for long: keep the newest
                        del self._waiting[:dropped]
                        log.error("%d audit events were dropped: the database could not be written", dropped)

    def _write(self, rows: list[dict[str, Any]]) -> None:
        with self._engine.begin() as connection:
            owners = {row["owner_id"] for row in rows}
            existing = set(connection.scalars(select(User.id).where(User.id.in_(owners))))
            kept = [row for row in rows if row["owner_id"] in existing]
            if kept:
                connection.execute(insert(AuditEvent), kept)

    def close(self) -> None:
        """Stop the thread and write what is waiting (the app's shutdown)."""
        self._stop.set()
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self.flush()
            except Exception:  # the thread must outlive one bad batch; the events of a failed write wait
                log.exception("the audit writer failed")
