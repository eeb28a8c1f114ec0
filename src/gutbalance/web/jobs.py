"""Uploads are parsed and scored off the request path, in a bounded pool of
worker processes, as jobs whose state lives in the database.

Why: reading and scoring a file is CPU and memory the size of the file (an
11.8 MB gzip of 1.18 M MetaPhlAn lines took 142 s and 5.9 GB in the server
process).  Here the request only checks the upload while it streams
(:func:`gutbalance.io.source.expand_bytes`: bombs and line floods stop at
their limit) and stores it as a :class:`~gutbalance.web.models.Job`; a
worker process does the rest under its own limits:

* at most :attr:`Settings.worker_processes` uploads are read at once, each
  in a process of its own with an address-space limit
  (``RLIMIT_AS`` = :attr:`Settings.worker_memory_bytes`), so a file that
  needs more fails with ``MemoryError`` in the worker, not in the server;
* a worker busy for longer than :attr:`Settings.worker_seconds` is killed
  and replaced, and its job fails;
* a worker that dies (killed by the kernel, a crash in a library) fails its
  job and is replaced.

The job's status (queued, running, done, failed) is in the database, so any
server process can report it, and any server process can run a queued job:
each claims a job with one conditional ``UPDATE`` (only one claim can
succeed, on SQLite and PostgreSQL alike), and a sweep every few seconds picks
up jobs queued by a process that has gone, and re-queues (once) a job whose
process died while running it.

The worker processes come from a ``forkserver`` (never forked from the
threaded server) and are shared by every app in one Python process.
"""

from __future__ import annotations

import atexit
import logging
import queue
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from ..errors import GutBalanceError, SizeLimitError
from ..io.source import InputLimits
from . import crud, forkserver, ingest
from .core.config import Settings
from .models import Job, utcnow
from .reporting import PageContext, RenderedReport, is_warm, prerender, remember, warm_up

log = logging.getLogger("gutbalance.web.jobs")

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
FINISHED = (DONE, FAILED)

#: Seconds between sweeps for jobs nobody is running (see the module docstring).
SWEEP_SECONDS = 5.0
#: A queued job older than this is picked up by the sweep of any process.
ORPHAN_SECONDS = 5.0
#: Seconds a new worker may take to import and warm up before it counts as broken.
START_SECONDS = 300.0
#: Queued jobs one worker scores together (see :meth:`WorkerPool.run_batch`):
#: scoring sixteen one-sample uploads costs about what scoring one does.
BATCH_JOBS = 16
#: Only uploads up to this size join a batch; larger ones are scored alone, so
#: that a batch stays within one upload's time and memory limits.
BATCH_UPLOAD_BYTES = 256 * 1024
#: The worker renders the reports of uploads of up to this many samples once
#: their jobs are done (about 25 ms each); larger files' reports are
#: rendered when they are first read.
PRERENDER_SAMPLES = 16


@dataclass
class _Claimed:
    """What a running job needs, copied out of its row."""

    id: str
    data: bytes
    filename: str
    owner_id: str
    subject: str | None
    collected: date | None
    #: The rank declared for the upload's bare taxon names (None: not declared).
    feature_rank: str | None = None
    #: The age in years the upload form gave (None: not given).
    age_years: float | None = None


class WorkerFailure(Exception):
    """A job that could not be done, with the HTTP status and a message safe to show."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# --- inside a worker process ---------------------------------------------------


def _worker_main(conn: Any, memory_bytes: int) -> None:
    """The loop of one worker process: limits, warm-up, then one batch of
    uploads at a time (:func:`gutbalance.web.ingest.score_uploads`)."""
    # resource is a Unix-only module, needed only inside the worker process
    import resource

    # Ctrl-C in the server's terminal reaches the whole process group; the
    # server stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    # Forked from a fork server that warmed up (forkserver_preload), the
    # caches are already loaded and this takes a few milliseconds.
    inherited = is_warm()
    warm_up()
    conn.send(("ready", inherited))
    while True:
        try:
            uploads, pages_for = conn.recv()
        except (EOFError, OSError):
            return
        out_of_memory = False
        results: list = []
        try:
            results = ingest.score_uploads(uploads)
            reply: tuple = ("ok", [_outcome(result) for result in results])
        except MemoryError:
            out_of_memory = True
            message = f"reading this file needs more than the {memory_bytes / 1024**3:.1f} GB an upload may use"
            reply = ("error", 413, message, True)
        except GutBalanceError as exc:  # scoring, not reading, refused the batch
            reply = ("error", 422, str(exc), False)
        except Exception:  # a reader bug: the user sees a generic message, the log the details
            log.exception("scoring %s failed", ", ".join(ingest.Upload(*upload).filename for upload in uploads))
            reply = ("error", 500, "the file could not be scored because of an error on our side", False)
        del uploads
        conn.send(reply)
        if out_of_memory:
            return  # after a MemoryError the heap may be in pieces: start afresh
        if pages_for is not None and reply[0] == "ok":
            # After the scores went back (their jobs are done meanwhile): the
            # report pages, so that the server does not render them itself.
            conn.send(("pages", [_pages(result, context, conn) for result, context in zip(results, pages_for, strict=True)]))
        del results


def _pages(result: ingest.ScoredUpload | GutBalanceError, context: PageContext, conn: Any) -> list[RenderedReport | None] | None:
    """The report pages of one upload's samples (None for an upload that
    failed or holds more than :data:`PRERENDER_SAMPLES` samples; a page not
    rendered is None and is rendered when first read).

    Scoring goes first: once the next batch is waiting in the pipe, the
    remaining pages are left to be rendered when read."""
    if isinstance(result, GutBalanceError) or len(result.samples) > PRERENDER_SAMPLES:
        return None
    pages: list[RenderedReport | None] = []
    for scored in result.samples:
        if conn.poll(0):
            pages.append(None)
            continue
        try:
            pages.append(prerender(scored, scored.subject or context.subject,
                                   scored.age_years if scored.age_years is not None else context.age_years))
        except Exception:  # the page is rendered on its first request instead, with the error there
            log.exception("pre-rendering the report of %s failed", scored.name)
            pages.append(None)
    return pages


def _outcome(result: ingest.ScoredUpload | GutBalanceError) -> tuple:
    if isinstance(result, SizeLimitError):
        return ("error", 413, str(result))
    if isinstance(result, GutBalanceError):
        return ("error", 422, str(result))
    return ("ok", result)


# --- in the server -------------------------------------------------------------


class _Worker:
    """One worker process and the pipe to it; restarted when it dies or is killed.

    After a batch scored with ``pages_for`` the worker renders the reports of
    its samples and sends them in one message, which arrives while the
    worker is already idle again: :meth:`collect_pages` (in a thread of its
    own) or the next :meth:`run` (whose batch stops the rendering, see
    :func:`_pages`) receives it, under ``lock``, which guards the pipe."""

    def __init__(self, context: Any, memory_bytes: int) -> None:
        self.context = context
        self.memory_bytes = memory_bytes
        self.process: Any = None
        self.conn: Any = None
        self.lock = threading.Lock()
        #: A "pages" message is due from the worker.
        self.pages_due = False
        #: The ids of the stored samples those pages are of, per upload (None: not wanted).
        self.page_ids: list[list[str] | None] | None = None
        #: Batches scored, so that a collector waits for its own batch's pages only.
        self.batches = 0
        #: The running process started with the fork server's warm caches (it did not load them itself).
        self.started_warm = False

    def _start(self) -> None:
        parent, child = self.context.Pipe()
        process = self.context.Process(
            target=_worker_main, args=(child, self.memory_bytes), daemon=True, name="gutbalance-worker"
        )
        process.start()
        child.close()
        self.process, self.conn = process, parent
        if not parent.poll(START_SECONDS):
            self._stop()
            raise WorkerFailure(503, "the scoring service is not available; try again later")
        try:
            self.started_warm = bool(parent.recv()[1])
        except (EOFError, OSError):
            self._stop()
            raise WorkerFailure(503, "the scoring service could not start; try again later") from None

    def ensure_started(self) -> None:
        with self.lock:
            self._ensure_started()

    def _ensure_started(self) -> None:
        if self.process is None or not self.process.is_alive():
            self._stop()
            self._start()

    def run(
        self, uploads: list[ingest.Upload], seconds: float, *, pages_for: list[PageContext] | None = None
    ) -> list[ingest.ScoredUpload | WorkerFailure]:
        """Each upload's scored samples, or why it failed; :class:`WorkerFailure`
        when the whole batch failed (time, memory, a crash).  With ``pages_for``
        (one per upload: the subject and age its pages are for) the worker goes on to render the samples' reports:
        set :attr:`page_ids` once they are stored."""
        with self.lock:
            self._ensure_started()
            try:
                self.conn.send((uploads, pages_for))
                self._receive_pages(seconds)  # the last batch's, cut short by this one
                if self.process is None:  # the worker died rendering them: this batch goes to a new one
                    self._ensure_started()
                    self.conn.send((uploads, pages_for))
                if not self.conn.poll(seconds):
                    self._stop()
                    raise WorkerFailure(422, f"reading and scoring the file took longer than {seconds:g} s, the limit for one upload")
                reply = self.conn.recv()
            except (EOFError, OSError, BrokenPipeError):
                code = self.process.exitcode if self.process is not None else None
                self._stop()
                raise WorkerFailure(
                    413, f"the worker reading the file stopped (exit {code}): it needs more memory or time than one upload may use"
                ) from None
            if reply[0] == "ok":
                self.batches += 1
                self.pages_due = pages_for is not None
                self.page_ids = None
                return [result if kind == "ok" else WorkerFailure(result, rest[0]) for kind, result, *rest in reply[1]]
            if reply[3]:  # the worker is ending (after a MemoryError): the next job gets a new one
                self._stop()
            raise WorkerFailure(reply[1], reply[2])

    def _receive_pages(self, seconds: float) -> None:
        """Receive the due pages (waiting up to ``seconds``) and keep those of
        stored samples; a worker that does not send them is replaced."""
        if not self.pages_due:
            return
        self.pages_due = False
        ids, self.page_ids = self.page_ids, None
        try:
            if self.conn.poll(seconds):
                kind, pages = self.conn.recv()
                if kind == "pages":
                    _keep_pages(ids, pages)
                    return
        except (EOFError, OSError):
            pass
        log.warning("the worker did not send its report pages; it is replaced")
        self._stop()

    def collect_pages(self, batch: int, seconds: float) -> None:
        """Wait up to ``seconds`` for the pages of ``batch`` (a value of
        :attr:`batches`), without holding the pipe from a :meth:`run` meanwhile."""
        deadline = time.monotonic() + seconds
        while True:
            with self.lock:
                if not self.pages_due or self.batches != batch:
                    return
                if self.conn is None or self.conn.poll(0) or time.monotonic() >= deadline:
                    self._receive_pages(0)
                    return
            time.sleep(0.02)

    def stop(self) -> None:
        with self.lock:
            self._stop()

    def _stop(self) -> None:
        self.pages_due = False
        self.page_ids = None
        if self.conn is not None:
            self.conn.close()
        if self.process is not None:
            if self.process.is_alive():
                self.process.kill()
            self.process.join(10)
        self.process = self.conn = None


def _keep_pages(ids: list[list[str] | None] | None, pages: list[list[RenderedReport | None] | None]) -> None:
    """Keep each rendered page as the report of its stored sample."""
    for upload_ids, upload_pages in zip(ids or [], pages, strict=False):
        for sample_id, page in zip(upload_ids or [], upload_pages or [], strict=False):
            if page is not None:
                remember(sample_id, page)


class WorkerPool:
    """``size`` worker processes; :meth:`run` takes a free one (waiting for it)."""

    def __init__(self, size: int, memory_bytes: int) -> None:
        # The fork server warms up once, so each worker starts with the
        # readers, tables, reference and templates loaded.
        context = forkserver.context()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self.workers = [_Worker(context, memory_bytes) for _ in range(size)]
        for worker in self.workers:
            self._idle.put(worker)

    def run(
        self, data: bytes, filename: str, limits: InputLimits, seconds: float, *, feature_rank: str | None = None
    ) -> ingest.ScoredUpload:
        """One upload's scored samples (and unreadable zip members), its bare
        taxon names read at ``feature_rank``; :class:`WorkerFailure` when it cannot be."""
        (result,) = self.run_batch([ingest.Upload(data, filename, limits, feature_rank)], seconds)
        if isinstance(result, WorkerFailure):
            raise result
        return result

    def run_batch(
        self,
        uploads: list[ingest.Upload],
        seconds: float,
        *,
        pages_for: list[PageContext] | None = None,
        store: Callable[[list[ingest.ScoredUpload | WorkerFailure]], list[list[str] | None]] | None = None,
    ) -> list[ingest.ScoredUpload | WorkerFailure]:
        """Several uploads in one worker (see :func:`gutbalance.web.ingest.score_uploads`):
        each one's scored samples or its failure.  When the batch as a whole
        fails (time, memory, a crash, a scoring error), each upload is tried
        again on its own, so that one upload's failure is never another's.

        With ``store``, the results are handed to it before the worker is
        free again (it stores them and answers, per upload, the ids of the
        samples stored, or None); with ``pages_for`` too (each upload's
        subject and age), the worker then renders the stored samples' reports, kept
        for the report pages (:func:`gutbalance.web.reporting.remember`), so
        that the first reading of a report costs the server nothing.  Its
        next batch goes first: the pages not rendered by then are rendered
        when read."""
        worker = self._idle.get()
        collect, batch = False, 0
        try:
            try:
                results = worker.run(uploads, seconds, pages_for=pages_for if store is not None else None)
            except WorkerFailure as failure:
                if len(uploads) == 1:
                    results = [failure]
                    if store is not None:
                        store(results)
                    return results
            else:
                if store is not None:
                    worker.page_ids = store(results)
                    collect = worker.pages_due
                    batch = worker.batches
                return results
            out: list[ingest.ScoredUpload | WorkerFailure] = []
            for upload in uploads:
                try:
                    out += worker.run([upload], seconds)
                except WorkerFailure as failure:
                    out.append(failure)
            if store is not None:
                store(out)
            return out
        finally:
            self._idle.put(worker)
            if collect:
                threading.Thread(target=worker.collect_pages, args=(batch, seconds), name="gutbalance-jobs-pages", daemon=True).start()

    def prestart(self) -> None:
        """Start every worker now (each imports and warms up for seconds), so
        that the first uploads do not wait for it."""
        for _ in self.workers:
            worker = self._idle.get()
            try:
                worker.ensure_started()
            except (WorkerFailure, OSError) as exc:
                # OSError: the forkserver could not be reached (its socket is
                # gone while the interpreter exits); a warm-up is best effort
                # and must never end its thread with an unhandled exception
                log.warning("a worker process could not start (%s); it will be tried again with the next job", exc)
            finally:
                self._idle.put(worker)

    def close(self) -> None:
        """Stop every worker process."""
        for worker in self.workers:
            worker.stop()


_pools: dict[tuple[int, int], WorkerPool] = {}
_pools_lock = threading.Lock()


def shared_pool(settings: Settings) -> WorkerPool:
    """The pool for these settings, shared by every app in this process (tests
    make many apps; a server makes one)."""
    key = (settings.worker_processes, settings.worker_memory_bytes)
    with _pools_lock:
        if key not in _pools:
            _pools[key] = WorkerPool(*key)
        return _pools[key]


@atexit.register
def _close_pools() -> None:
    with _pools_lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()


@dataclass
class JobRunner:
    """Runs this server process's share of the queued jobs (one thread per
    worker process) and lets an upload request wait a little for its own."""

    settings: Settings
    sessions: sessionmaker[Session]

    def __post_init__(self) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._done: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._starts = 0

    # lifecycle
    def start(self) -> None:
        """Start the threads (once: an app whose lifespan runs twice, as two
        test clients do, shares them; each start needs its stop)."""
        with self._lock:
            self._starts += 1
            if self._starts > 1:
                return
            self._stopping.clear()
        self.sweep()
        for index in range(self.settings.worker_processes):
            thread = threading.Thread(target=self._serve, name=f"gutbalance-jobs-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        sweeper = threading.Thread(target=self._sweep_loop, name="gutbalance-jobs-sweep", daemon=True)
        sweeper.start()
        self._threads.append(sweeper)

    def prestart(self) -> None:
        """Start the worker processes in the background (:meth:`WorkerPool.prestart`):
        the fork server imports and warms up once, then forks them; the app
        calls this first when it starts, so that they warm up while it migrates
        and warms up itself, and are ready before the first upload."""
        threading.Thread(target=lambda: shared_pool(self.settings).prestart(), name="gutbalance-jobs-prestart", daemon=True).start()

    def stop(self, *, seconds: float = 10.0) -> None:
        """Stop taking jobs; wait up to ``seconds`` for the running ones (a
        job cut short stays "running" and is re-queued by a later sweep)."""
        with self._lock:
            self._starts -= 1
            if self._starts > 0:
                return
            self._stopping.set()
        for _ in range(self.settings.worker_processes):
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=seconds)
        self._threads.clear()

    # the request side
    def backlog(self) -> int:
        """Jobs waiting in this process for a worker."""
        return self._queue.qsize()

    def submit(self, job_id: str) -> None:
        """Queue a stored job for this process's threads (once, however often it is submitted)."""
        with self._lock:
            if job_id in self._done:
                return
            self._done[job_id] = threading.Event()
        self._queue.put(job_id)

    def wait(self, job_id: str, seconds: float) -> None:
        """Return when the job has ended here, or after ``seconds``."""
        with self._lock:
            event = self._done.get(job_id)
        if event is not None and seconds > 0:
            event.wait(seconds)

    # the worker side
    def _serve(self) -> None:
        pool = shared_pool(self.settings)
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            batch = [job_id]
            while len(batch) < BATCH_JOBS:  # whatever else is waiting, up to a batch
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # the stop signal is for this thread, after the batch
                    break
                batch.append(more)
            try:
                self.run_jobs(batch, pool)
            except Exception:  # never let one batch stop the thread
                log.exception("jobs %s could not be run", ", ".join(batch))
            finally:
                for done in batch:
                    self._finished(done)

    def _finished(self, job_id: str) -> None:
        """Wake the request waiting for this job (if it waits here)."""
        with self._lock:
            event = self._done.pop(job_id, None)
        if event is not None:
            event.set()

    def run(self, job_id: str, pool: WorkerPool) -> None:
        """Claim the job (if still queued), score it in a worker, store its samples."""
        self.run_jobs([job_id], pool)

    def run_jobs(self, job_ids: list[str], pool: WorkerPool) -> None:
        """Claim the jobs still queued, score the small ones together in one
        worker (:meth:`WorkerPool.run_batch`) and the large ones each alone,
        and store each job's samples in a transaction of its own."""
        claimed = self._claim(job_ids)
        small = [job for job in claimed if len(job.data) <= BATCH_UPLOAD_BYTES]
        groups = ([small] if small else []) + [[job] for job in claimed if len(job.data) > BATCH_UPLOAD_BYTES]
        limits = self.settings.upload_limits
        for group in groups:

            def store(results: list[ingest.ScoredUpload | WorkerFailure], group: list[_Claimed] = group) -> list[list[str] | None]:
                stored: list[list[str] | None] = []
                for job, result in zip(group, results, strict=True):
                    job.data = b""
                    if isinstance(result, WorkerFailure):
                        self._fail(job.id, result.status, result.message)
                        stored.append(None)
                    else:
                        stored.append(self._store(job, result))
                    self._finished(job.id)  # its request need not wait for the rest of the batch
                return stored

            pool.run_batch(
                [ingest.Upload(job.data, job.filename, limits, job.feature_rank) for job in group],
                self.settings.worker_seconds,
                pages_for=[PageContext(job.subject, job.age_years) for job in group],
                store=store,
            )

    def _claim(self, job_ids: list[str]) -> list[_Claimed]:
        """The jobs among ``job_ids`` this thread now runs: each claimed by a
        conditional ``UPDATE`` (only one claim can succeed), all in one
        transaction, then read in one query."""
        with self.sessions() as session:
            won = []
            for job_id in job_ids:
                claim = session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.status == QUEUED)
                    .values(status=RUNNING, started_at=utcnow(), attempts=Job.attempts + 1)
                )
                if crud.affected_rows(claim) == 1:  # else another thread or process has it, or it was deleted
                    won.append(job_id)
            session.commit()
            if not won:
                return []
            jobs = {job.id: job for job in session.scalars(select(Job).where(Job.id.in_(won)))}
            return [
                _Claimed(job.id, job.upload, job.filename, job.owner_id, job.subject, job.collected, job.feature_rank,
                         job.age_years)
                for job in (jobs.get(job_id) for job_id in won)
                if job is not None and job.upload is not None
            ]

    def _store(self, job: _Claimed, scored: ingest.ScoredUpload) -> list[str] | None:
        """Store the job's samples and mark it done, with the zip members that
        could not be read; the samples' ids (None when nothing was kept)."""
        problems = [{"file": p.file[:255], "problem": p.problem[:2000]} for p in scored.problems]
        try:
            with self.sessions() as session:
                ids = crud.add_scored_samples(
                    session, owner_id=job.owner_id, scored=scored.samples, subject=job.subject, collected=job.collected, filename=job.filename,
                    feature_rank=job.feature_rank, age_years=job.age_years,
                )
                done = session.execute(
                    update(Job)
                    .where(Job.id == job.id, Job.status == RUNNING)
                    .values(status=DONE, sample_ids=ids, problems=problems or None, upload=None, finished_at=utcnow())
                )
                if crud.affected_rows(done) != 1:  # the job (or its owner) was deleted meanwhile: keep nothing
                    session.rollback()
                    return None
                session.commit()
                return ids
        except Exception:
            log.exception("storing the samples of job %s failed", job.id)
            self._fail(job.id, 500, "the samples could not be stored; nothing was kept")
            return None

    def _fail(self, job_id: str, status: int, message: str) -> None:
        with self.sessions() as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == RUNNING)
                .values(status=FAILED, error=message[:2000], error_status=status, upload=None, finished_at=utcnow())
            )
            session.commit()

    def sweep(self) -> None:
        """Re-queue (once) jobs whose process died while running them, delete
        jobs finished more than :attr:`Settings.job_keep_seconds` ago, and
        take on jobs queued by a process that is no longer there."""
        now = utcnow()
        stale = now - timedelta(seconds=self.settings.worker_seconds + START_SECONDS)
        try:
            with self.sessions() as session:
                session.execute(
                    update(Job)
                    .where(Job.status == RUNNING, Job.started_at < stale, Job.attempts >= 2)
                    .values(
                        status=FAILED,
                        error="the server stopped twice while scoring this file",
                        error_status=500,
                        upload=None,
                        finished_at=now,
                    )
                )
                session.execute(update(Job).where(Job.status == RUNNING, Job.started_at < stale).values(status=QUEUED))
                # finished jobs are kept a day for their status page, then forgotten (their samples stay)
                expired = now - timedelta(seconds=self.settings.job_keep_seconds)
                session.execute(delete(Job).where(Job.status.in_(FINISHED), Job.finished_at < expired))
                orphans = list(
                    session.scalars(
                        select(Job.id)
                        .where(Job.status == QUEUED, Job.created_at < now - timedelta(seconds=ORPHAN_SECONDS))
                        .order_by(Job.created_at)
                        .limit(100)
                    )
                )
                session.commit()
        except Exception:  # the database may be briefly unavailable; try again at the next sweep
            log.exception("sweeping the job queue failed")
            return
        for job_id in orphans:
            self.submit(job_id)

    def _sweep_loop(self) -> None:
        while not self._stopping.wait(SWEEP_SECONDS):
            self.sweep()
