"""Reading and writing users, samples, login sessions, throttle counters and the audit log.
Every function takes the session and keyword arguments only; every sample
query is scoped by its owner, so a sample of another user is simply not found."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.orm import Session, defer, joinedload

from ..errors import UnrecognizedFormatError
from ..io.registry import get_format
from . import ingest
from .models import AuditEvent, AuthSession, Job, Sample, Throttle, User, utcnow

#: Set in ``session.info`` by deletions; the commit then checkpoints SQLite's WAL
#: (see :func:`gutbalance.web.db.session_factory`).
FORGET_DELETED = "forget_deleted"
#: ``session.info`` key of the :class:`~gutbalance.web.audit_writer.AuditWriter`
#: that writes views and downloads in batches (see :func:`record_access`).
AUDIT_WRITER = "audit_writer"



def affected_rows(result: Result[Any]) -> int:
    """The number of rows an UPDATE or DELETE matched.

    ``Session.execute`` returns a ``CursorResult`` for these statements but is
    typed as returning a plain ``Result``; SQLAlchemy's documentation casts.
    """
    return cast(CursorResult[Any], result).rowcount


def get_user(session: Session, *, user_id: str) -> User | None:
    """The user with this id, or None."""
    return session.get(User, user_id)


def get_user_by_name(session: Session, *, username: str) -> User | None:
    """The user with this (normalised) username, or None."""
    return session.scalar(select(User).where(User.username == username))


def create_user(session: Session, *, username: str, password_hash: str) -> User:
    """Add a user (flushed, so it has its id); the caller commits."""
    user = User(username=username, password_hash=password_hash)
    session.add(user)
    session.flush()
    return user


def delete_user(session: Session, *, user: User) -> None:
    """Delete the user and, explicitly, every sample they hold (not relying on
    the database honouring ON DELETE CASCADE)."""
    if (writer := session.info.get(AUDIT_WRITER)) is not None:
        writer.forget(user.id)
    session.execute(delete(Sample).where(Sample.owner_id == user.id))
    session.execute(delete(AuditEvent).where(AuditEvent.owner_id == user.id))
    session.execute(delete(Job).where(Job.owner_id == user.id))
    session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    session.execute(delete(User).where(User.id == user.id))
    session.info[FORGET_DELETED] = True


def set_password_hash(session: Session, *, user: User, password_hash: str) -> None:
    """Replace the user's password hash; the caller commits."""
    session.execute(update(User).where(User.id == user.id).values(password_hash=password_hash))


def add_scored_samples(
    session: Session,
    *,
    owner_id: str,
    scored: Sequence[ingest.ScoredSample],
    subject: str | None = None,
    collected: date | None = None,
    filename: str = "",
    feature_rank: str | None = None,
    age_years: float | None = None,
) -> list[str]:
    """Add every sample a worker scored for one upload, with its stored
    contributions; the ids in file order.  Nothing is committed here: the
    caller commits once, with the job's status, so a failure leaves none.

    ``feature_rank`` (the rank the upload declared for bare taxon names) is
    kept with each sample whose format reads it (:func:`declared_rank`)."""
    ids = []
    for item in scored:
        # a member of an uploaded zip keeps its path in the archive ("clinic.zip/S1.txt")
        member = bool(filename) and item.source_file.startswith(f"{filename}/")
        sample = Sample(
            owner_id=owner_id,
            name=item.name[:255],
            subject=item.subject or subject,
            collected=date.fromisoformat(item.collected) if item.collected else collected,
            source_file=(item.source_file if member else filename or item.source_file)[:255],
            source_format=item.source_format[:64],
            database=item.database[:255],
            feature_rank=declared_rank(item.source_format, feature_rank),
            age_years=item.age_years if item.age_years is not None else age_years,
            scores=item.scores,
            profile=item.profile,
            contributions=item.contributions,
        )
        session.add(sample)
        session.flush()
        ids.append(sample.id)
        record_sample_event(session, sample=sample, action=UPLOAD, via="worker", detail=filename or item.source_file)
    return ids


def declared_rank(source_format: str, feature_rank: str | None) -> str | None:
    """The rank declared for bare taxon names, if the sample's format reads it
    (``Format.takes_feature_rank``: a BIOM, QIIME 2 or CSV table); None for a
    format whose taxa name their ranks (a MetaPhlAn profile in the same zip
    was not read at the declared rank, and its page must not say it was)."""
    if not feature_rank:
        return None
    try:
        takes = get_format(source_format).takes_feature_rank
    except UnrecognizedFormatError:
        return None
    return feature_rank[:16] if takes else None


def create_job(
    session: Session, *, owner: User, upload: bytes, filename: str, subject: str | None, collected: date | None,
    feature_rank: str | None = None, age_years: float | None = None,
) -> Job:
    """Add a queued scoring job holding the uploaded bytes (flushed, so it has
    its id), the rank declared for its bare taxon names and the age the form
    gave (years); the caller commits."""
    job = Job(
        owner_id=owner.id, upload=upload, filename=filename[:255], subject=subject, collected=collected,
        feature_rank=feature_rank, age_years=age_years, status="queued",
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, *, owner: User, job_id: str) -> Job | None:
    """The owner's job with this id (without the uploaded bytes), or None."""
    # The upload itself (up to the size limit) is only read by the worker side.
    return session.scalar(select(Job).options(defer(Job.upload)).where(Job.id == job_id, Job.owner_id == owner.id))


def list_unfinished_jobs(session: Session, *, owner: User) -> list[Job]:
    """The owner's uploads still queued or being scored, oldest first."""
    query = (
        select(Job)
        .options(defer(Job.upload))
        .where(Job.owner_id == owner.id, Job.status.in_(("queued", "running")))
        .order_by(Job.created_at)
    )
    return list(session.scalars(query))


#: The stored profile and contributions (compressed, tens of KB a sample):
#: read only to render a report, a timeline or an export, not to list samples
#: or to serve a report already rendered.
_BLOBS = (defer(Sample.profile), defer(Sample.contributions))


def list_samples(
    session: Session,
    *,
    owner: User,
    subject: str | None = None,
    profiles: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[Sample]:
    """The owner's samples (of one subject, if given), with their stored
    profiles and contributions when ``profiles`` (else those load when read);
    ``limit`` and ``offset`` cut one page out of that list.

    Those with a subject first, by subject, then by collection date (undated
    last), upload time, name and id: the same total order on every database,
    so consecutive pages neither repeat nor skip a sample while nothing is
    added or deleted.
    """
    order = (Sample.subject.is_(None), Sample.subject, Sample.collected.is_(None), Sample.collected, Sample.created_at, Sample.name, Sample.id)
    owned = [Sample.owner_id == owner.id] + ([Sample.subject == subject] if subject is not None else [])
    query = select(Sample).where(*owned)
    if not profiles:
        query = query.options(*_BLOBS)
    if limit is not None or offset:
        # The page's ids first, from the listing index alone (ix_samples_owner_listing
        # holds every column of the order): skipping 20,000 rows then reads no
        # scores, which are kilobytes a row.
        page = select(Sample.id).where(*owned).order_by(*order).offset(offset).limit(limit)
        query = query.where(Sample.id.in_(page.scalar_subquery()))
    return list(session.scalars(query.order_by(*order)))


def count_samples(session: Session, *, owner: User, subject: str | None = None) -> int:
    """How many samples the owner has (of one subject, if given)."""
    query = select(func.count()).select_from(Sample).where(Sample.owner_id == owner.id)
    if subject is not None:
        query = query.where(Sample.subject == subject)
    return int(session.scalar(query) or 0)


def list_subjects(session: Session, *, owner: User, limit: int | None = None, offset: int = 0) -> list[tuple[str, int]]:
    """(subject, number of samples) for every subject the owner named, by
    subject; ``limit`` and ``offset`` cut one page out of that list."""
    query = (
        select(Sample.subject, func.count())
        .where(Sample.owner_id == owner.id, Sample.subject.is_not(None))
        .group_by(Sample.subject)
        .order_by(Sample.subject)
        .offset(offset)
        .limit(limit)
    )
    return [(subject, int(n)) for subject, n in session.execute(query) if subject is not None]


def count_subjects(session: Session, *, owner: User) -> int:
    """How many subjects the owner named."""
    query = select(func.count(func.distinct(Sample.subject))).where(Sample.owner_id == owner.id, Sample.subject.is_not(None))
    return int(session.scalar(query) or 0)


def get_sample(session: Session, *, owner: User, sample_id: str) -> Sample | None:
    """The owner's sample with this id, or None (also when it is someone else's).

    Its profile and contributions load when read (a report already rendered does not need them)."""
    return session.scalar(select(Sample).options(*_BLOBS).where(Sample.id == sample_id, Sample.owner_id == owner.id))


def get_samples(session: Session, *, owner: User, sample_ids: Sequence[str]) -> list[Sample]:
    """Those of ``sample_ids`` that are the owner's samples (in no particular order)."""
    if not sample_ids:
        return []
    return list(session.scalars(select(Sample).options(*_BLOBS).where(Sample.owner_id == owner.id, Sample.id.in_(list(sample_ids)))))


class Twin(NamedTuple):
    """Another upload of a sample's profile (:func:`same_profile_samples`)."""

    id: str
    created_at: datetime
    collected: date | None


def same_profile_samples(session: Session, *, owner: User, sample: Sample) -> list[Twin]:
    """The owner's other samples of the same name and the same profile as
    ``sample`` (the same file uploaded again), oldest first: ``id``,
    ``created_at``, ``collected``.  Said on the sample's page, since a
    timeline reads two uploads of one file as two visits (an outside check).

    The profiles are compared without the file they came from: one file
    uploaded alone and again inside a zip (``batch.zip/S1.txt``) is the same
    profile (a second outside check found the note missing there)."""
    measured = _measured(sample.profile)
    rows = session.execute(
        select(Sample.id, Sample.created_at, Sample.collected, Sample.profile)
        .where(Sample.owner_id == owner.id, Sample.name == sample.name, Sample.id != sample.id)
        .order_by(Sample.created_at, Sample.id)
    )
    return [Twin(row.id, row.created_at, row.collected) for row in rows if _measured(row.profile) == measured]


def _measured(blob: bytes) -> dict[str, Any]:
    """A stored profile without the name of the file it was read from."""
    record = ingest.profile_record(blob)
    record.pop("source_file", None)
    return record


def held_sample_ids(session: Session, *, owner: User, sample_ids: Iterable[str | None]) -> set[str]:
    """Those of ``sample_ids`` (``None`` ignored) that name samples the owner
    still holds: the audit log names samples deleted since, whose pages are gone."""
    wanted = {i for i in sample_ids if i}
    if not wanted:
        return set()
    return set(session.scalars(select(Sample.id).where(Sample.owner_id == owner.id, Sample.id.in_(wanted))))


def correct_sample(session: Session, sample: Sample, *, subject: str | None, collected: date | None) -> Sample:
    """Give the sample (one :func:`get_sample` returned) this subject and
    collection date (a clinic mislabelled it).

    The values it was uploaded with are kept at its first correction
    (``uploaded_subject``, ``uploaded_collected``) and ``corrected_at`` says
    when it was last changed; the same values again change nothing.  Its
    scores and profile are the file's and do not change."""
    if (sample.subject, sample.collected) != (subject, collected):
        if sample.corrected_at is None:
            sample.uploaded_subject, sample.uploaded_collected = sample.subject, sample.collected
        sample.subject, sample.collected = subject, collected
        sample.corrected_at = utcnow()
    session.flush()
    return sample


def delete_sample(session: Session, *, owner: User, sample_id: str, via: str) -> bool:
    """Delete the owner's sample with this id, recording the deletion in the
    audit log (``via``: ``page`` or ``api``); whether there was one."""
    name = session.scalar(select(Sample.name).where(Sample.id == sample_id, Sample.owner_id == owner.id))
    if name is None:
        return False
    result = session.execute(delete(Sample).where(Sample.id == sample_id, Sample.owner_id == owner.id))
    session.info[FORGET_DELETED] = True
    if affected_rows(result) == 0:
        return False
    record_event(session, owner_id=owner.id, action=DELETE, via=via, sample_id=sample_id, sample_name=name)
    return True


# --- the audit log -------------------------------------------------------------

#: The actions the audit log records.
UPLOAD, VIEW, DOWNLOAD, CORRECT, DELETE = "upload", "view", "download", "correct", "delete"


def record_event(
    session: Session, *, owner_id: str, action: str, via: str, sample_id: str | None = None, sample_name: str = "", detail: str = ""
) -> None:
    """Add one change (an upload, a correction, a deletion) to the owner's
    audit log, in the transaction of the change it records; the caller commits."""
    session.add(AuditEvent(owner_id=owner_id, action=action, via=via, sample_id=sample_id, sample_name=sample_name[:255], detail=detail[:255]))


def record_access(
    session: Session, *, owner_id: str, action: str, via: str, sample_id: str | None = None, sample_name: str = "", detail: str = ""
) -> None:
    """Add one view or download to the owner's audit log.  Through the
    session's audit writer when it has one (written within a quarter of a
    second, in a batch: a view is not a write transaction of its own), else
    as :func:`record_event` (the caller commits)."""
    writer = session.info.get(AUDIT_WRITER)
    if writer is None:
        record_event(session, owner_id=owner_id, action=action, via=via, sample_id=sample_id, sample_name=sample_name, detail=detail)
    else:
        writer.add(owner_id=owner_id, action=action, via=via, sample_id=sample_id, sample_name=sample_name, detail=detail)


def counted(n: int) -> str:
    """``1 sample``, ``2 samples``: how many samples a download of several held."""
    return f"{n} sample{'' if n == 1 else 's'}"


def record_sample_event(session: Session, *, sample: Sample, action: str, via: str, detail: str = "") -> None:
    """:func:`record_event` for one sample, named by its id and name."""
    record_event(session, owner_id=sample.owner_id, action=action, via=via, sample_id=sample.id, sample_name=sample.name, detail=detail)


def open_sample(session: Session, *, owner: User, sample_id: str, action: str, via: str, detail: str = "") -> Sample | None:
    """The owner's sample with this id (``None`` if there is none), its view
    or download (``action``) recorded in the audit log (:func:`record_access`)."""
    sample = get_sample(session, owner=owner, sample_id=sample_id)
    if sample is not None:
        record_access(session, owner_id=sample.owner_id, action=action, via=via, sample_id=sample.id, sample_name=sample.name, detail=detail)
    return sample


def _written(session: Session) -> None:
    # the log is read: the views and downloads waiting in the writer first
    if (writer := session.info.get(AUDIT_WRITER)) is not None:
        writer.flush()


def list_events(session: Session, *, owner: User, limit: int, offset: int = 0) -> list[AuditEvent]:
    """A page of the owner's audit log, newest first."""
    _written(session)
    query = (select(AuditEvent).where(AuditEvent.owner_id == owner.id)
             .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit).offset(offset))
    return list(session.scalars(query))


def count_events(session: Session, *, owner: User) -> int:
    """How many events the owner's audit log holds."""
    _written(session)
    return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.owner_id == owner.id)) or 0


# --- login sessions ------------------------------------------------------------


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were written in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def create_auth_session(session: Session, *, user_id: str, session_id: str, kind: str, lifetime: int) -> AuthSession:
    """A new login for ``user_id``; its expired logins are cleared on the way."""
    now = datetime.now(UTC)
    session.execute(delete(AuthSession).where(AuthSession.user_id == user_id, AuthSession.expires_at <= now))
    record = AuthSession(id=session_id, user_id=user_id, kind=kind, created_at=now, expires_at=now + timedelta(seconds=lifetime))
    session.add(record)
    session.flush()
    return record


def get_auth_session(session: Session, *, session_id: str, kind: str) -> AuthSession | None:
    """The live login ``session_id`` of this kind (with its user), or ``None``
    when it was ended or has expired."""
    # one query for the login and its user (every authenticated request asks)
    record = session.get(AuthSession, session_id, options=[joinedload(AuthSession.user)])
    if record is None or record.kind != kind or _aware(record.expires_at) <= datetime.now(UTC):
        return None
    return record


def end_auth_session(session: Session, *, session_id: str) -> None:
    """End one login session (browser session or API token); the caller commits."""
    session.execute(delete(AuthSession).where(AuthSession.id == session_id))


def end_all_auth_sessions(session: Session, *, user_id: str, keep: str | None = None) -> int:
    """End every login of ``user_id`` (browser sessions and API tokens), except ``keep``."""
    query = delete(AuthSession).where(AuthSession.user_id == user_id)
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    return affected_rows(session.execute(query))


# --- throttles -----------------------------------------------------------------


def _upsert(dialect: str):
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"throttles need SQLite or PostgreSQL, not {dialect}")


def reserve_attempt(session: Session, *, key: str, limit: int, window: int, now: int) -> bool:
    """Count one attempt for ``key`` if fewer than ``limit`` were counted in
    its window; whether it was counted.

    One statement, atomic on both databases: an insert that, when the key
    exists, restarts an expired window or adds one to a live count below the
    limit, and otherwise changes nothing.  PostgreSQL locks the row and
    re-checks the condition on its newest version; SQLite runs one writer at a
    time.  So concurrent attempts can never all see "4 of 5" and all proceed.
    """
    table = Throttle.__table__
    expired = table.c.window_end <= now
    insert = _upsert(session.get_bind().dialect.name)(table).values(key=key, count=1, window_end=now + window)
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "count": case((expired, 1), else_=table.c.count + 1),
            "window_end": case((expired, now + window), else_=table.c.window_end),
        },
        where=expired | (table.c.count < limit),
    ).returning(table.c.count)
    return session.execute(statement).first() is not None


def retry_after(session: Session, *, key: str, now: int) -> int:
    """Seconds until ``key``'s window closes (at least 1)."""
    end = session.scalar(select(Throttle.window_end).where(Throttle.key == key))
    return max(1, (end or now) - now)


def refund_attempt(session: Session, *, key: str, now: int) -> None:
    """Give back one attempt counted in ``key``'s live window (it succeeded)."""
    session.execute(
        update(Throttle).where(Throttle.key == key, Throttle.window_end > now, Throttle.count > 0).values(count=Throttle.count - 1)
    )


def purge_throttles(session: Session, *, now: int) -> int:
    """Forget counters whose window has closed."""
    return affected_rows(session.execute(delete(Throttle).where(Throttle.window_end <= now)))
