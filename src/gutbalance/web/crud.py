"""Reading and writing users and samples.  Every function takes the session
and keyword arguments only; every sample query is scoped by its owner, so a
sample of another user is simply not found."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, defer

from . import ingest
from .models import Job, Sample, User


def get_user(session: Session, *, user_id: str) -> User | None:
    return session.get(User, user_id)


def get_user_by_name(session: Session, *, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def create_user(session: Session, *, username: str, password_hash: str) -> User:
    user = User(username=username, password_hash=password_hash)
    session.add(user)
    session.flush()
    return user


def delete_user(session: Session, *, user: User) -> None:
    """Delete the user and, explicitly, every sample they hold (not relying on
    the database honouring ON DELETE CASCADE)."""
    session.execute(delete(Sample).where(Sample.owner_id == user.id))
    session.execute(delete(Job).where(Job.owner_id == user.id))
    session.execute(delete(User).where(User.id == user.id))


def add_scored_samples(
    session: Session,
    *,
    owner_id: str,
    scored: Sequence[ingest.ScoredSample],
    subject: str | None = None,
    collected: date | None = None,
    filename: str = "",
) -> list[str]:
    """Add every sample a worker scored for one upload, with its stored
    contributions; the ids in file order.  Nothing is committed here: the
    caller commits once, with the job's status, so a failure leaves none."""
    ids = []
    for item in scored:
        sample = Sample(
            owner_id=owner_id,
            name=item.name[:255],
            subject=subject,
            collected=collected,
            source_file=(filename or item.source_file)[:255],
            source_format=item.source_format[:64],
            database=item.database[:255],
            scores=item.scores,
            profile=item.profile,
            contributions=item.contributions,
        )
        session.add(sample)
        session.flush()
        ids.append(sample.id)
    return ids


def create_job(
    session: Session, *, owner: User, upload: bytes, filename: str, subject: str | None, collected: date | None
) -> Job:
    job = Job(owner_id=owner.id, upload=upload, filename=filename[:255], subject=subject, collected=collected, status="queued")
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, *, owner: User, job_id: str) -> Job | None:
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


def list_samples(session: Session, *, owner: User, subject: str | None = None) -> list[Sample]:
    query = select(Sample).where(Sample.owner_id == owner.id)
    if subject is not None:
        query = query.where(Sample.subject == subject)
    query = query.order_by(Sample.subject.is_(None), Sample.subject, Sample.collected, Sample.created_at, Sample.name)
    return list(session.scalars(query))


def list_subjects(session: Session, *, owner: User) -> list[tuple[str, int]]:
    """(subject, number of samples) for every subject the owner named."""
    rows = session.execute(
        select(Sample.subject, func.count())
        .where(Sample.owner_id == owner.id, Sample.subject.is_not(None))
        .group_by(Sample.subject)
        .order_by(Sample.subject)
    )
    return [(subject, int(n)) for subject, n in rows]


def get_sample(session: Session, *, owner: User, sample_id: str) -> Sample | None:
    return session.scalar(select(Sample).where(Sample.id == sample_id, Sample.owner_id == owner.id))


def get_samples(session: Session, *, owner: User, sample_ids: Sequence[str]) -> list[Sample]:
    if not sample_ids:
        return []
    return list(session.scalars(select(Sample).where(Sample.owner_id == owner.id, Sample.id.in_(list(sample_ids)))))


def delete_sample(session: Session, *, owner: User, sample_id: str) -> bool:
    result = session.execute(delete(Sample).where(Sample.id == sample_id, Sample.owner_id == owner.id))
    return result.rowcount > 0
