"""Reading and writing users and samples.  Every function takes the session
and keyword arguments only; every sample query is scoped by its owner, so a
sample of another user is simply not found."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..cohort import SampleProfile
from . import ingest
from .models import Sample, User


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
    session.execute(delete(User).where(User.id == user.id))


def add_samples(
    session: Session,
    *,
    owner: User,
    scored: Sequence[tuple[SampleProfile, dict]],
    subject: str | None = None,
    collected: date | None = None,
    filename: str = "",
) -> list[Sample]:
    """Add every (profile, scores row) of one upload, flushing each.  Nothing
    is committed here: the caller commits once, so a failure on any sample
    leaves none behind."""
    added = []
    for profile, scores in scored:
        sample = Sample(
            owner_id=owner.id,
            name=profile.sample[:255],
            subject=subject,
            collected=collected,
            source_file=(filename or profile.source_file)[:255],
            source_format=profile.source_format[:64],
            database=profile.database[:255],
            scores=scores,
            profile=ingest.pack_profile(profile),
        )
        session.add(sample)
        session.flush()
        added.append(sample)
    return added


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


def delete_sample(session: Session, *, owner: User, sample_id: str) -> bool:
    result = session.execute(delete(Sample).where(Sample.id == sample_id, Sample.owner_id == owner.id))
    return result.rowcount > 0
