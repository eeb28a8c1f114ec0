"""The tables: users, their samples, their login sessions, their audit log and the shared
throttle counters (SQLAlchemy 2 declarative models).

A sample keeps what is needed to show it (its scores, as JSON so that new
score columns need no migration) and to re-score or export it later (the
parsed profile, as zlib-compressed JSON; see :mod:`gutbalance.web.profiles`).
Identifiers are random, never reused: a token signed for a deleted user can
never match a later account.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def new_id() -> str:
    """A new random id (32 hex digits)."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """The declarative base of the web app's tables."""

    pass


class User(Base):
    """An account: username and Argon2 password hash."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    samples: Mapped[list[Sample]] = relationship(
        back_populates="owner", cascade="all, delete-orphan", passive_deletes=True
    )


class Sample(Base):
    """One scored sample of a user: the profile as uploaded, its scores and contributions, and where it came from."""

    __tablename__ = "samples"
    __table_args__ = (
        Index("ix_samples_owner_created", "owner_id", "created_at"),
        Index("ix_samples_owner_subject", "owner_id", "subject"),
        # every column of the samples list's order (crud.list_samples), so a page's ids come from the index alone
        Index("ix_samples_owner_listing", "owner_id", "subject", "collected", "created_at", "name", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(String(32), ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(String(128))
    collected: Mapped[date | None] = mapped_column(Date)
    source_file: Mapped[str] = mapped_column(String(255), default="")
    source_format: Mapped[str] = mapped_column(String(64), default="")
    database: Mapped[str] = mapped_column(String(255), default="")
    #: The rank declared at upload for the file's bare taxon names (the job's
    #: ``feature_rank``), kept for a sample whose format reads it (a BIOM,
    #: QIIME 2 or CSV table); NULL when none was declared or the format names
    #: the rank of each taxon itself (MetaPhlAn).
    feature_rank: Mapped[str | None] = mapped_column(String(16), nullable=True)
    #: The person's age in years when the sample was taken, as the upload gave
    #: it (the form's age and unit, or the sample sheet's ``age_years``,
    #: ``age_months`` or ``age_days``); NULL when not given.  It changes no
    #: score: the report says when it lies outside the ages of the healthy
    #: reference people (:func:`gutbalance.reference.age.age_note`, migration 0010).
    age_years: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: One row of :func:`gutbalance.scores.score` ({column: number or null}).
    scores: Mapped[dict] = mapped_column(JSON)
    #: The parsed profile, zlib-compressed JSON.
    profile: Mapped[bytes] = mapped_column(LargeBinary)
    #: What the report explains (the sample's entry of
    #: :func:`gutbalance.scores.contributions`), zlib-compressed JSON, stored
    #: when scored so that reports do not score again; NULL for samples
    #: stored before it was kept.
    contributions: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: When its subject or collection date was last corrected (NULL: never;
    #: see :func:`gutbalance.web.crud.correct_sample`, migration 0007).
    corrected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: The subject and collection date it was uploaded with, kept at its first correction.
    uploaded_subject: Mapped[str | None] = mapped_column(String(128), nullable=True)
    uploaded_collected: Mapped[date | None] = mapped_column(Date, nullable=True)

    owner: Mapped[User] = relationship(back_populates="samples")


class AuthSession(Base):
    """One login: a browser session or an API token.  A token names its row
    (``sid``) and is honoured only while the row exists and has not expired,
    so deleting rows ends sessions at once (logout, password change, "log out
    everywhere", account deletion)."""

    __tablename__ = "auth_sessions"
    __table_args__ = (Index("ix_auth_sessions_user", "user_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), ForeignKey("users.id", ondelete="CASCADE"))
    #: ``"session"`` (browser cookie) or ``"api"`` (bearer token): the token's audience.
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class Throttle(Base):
    """A counter of attempts per key (a username at an address, an address, a
    user) in a fixed window.  Kept in the database so that every server
    process shares it, and reserved with one atomic statement before the
    expensive work (see :class:`gutbalance.web.core.security.Throttles`)."""

    __tablename__ = "throttles"
    __table_args__ = (Index("ix_throttles_window_end", "window_end"),)

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    #: Unix time at which the window closes and the count starts again.
    window_end: Mapped[int] = mapped_column(Integer)
class Job(Base):
    """An upload waiting for, or done with, scoring in a worker process.

    The state lives here, not in the server's memory, so that any server
    process can answer ``GET /api/jobs/{id}`` and run a queued job (see
    :mod:`gutbalance.web.jobs`).  The uploaded bytes are kept only until the
    job ends.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_owner_created", "owner_id", "created_at"),
        Index("ix_jobs_status_created", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(String(32), ForeignKey("users.id", ondelete="CASCADE"))
    #: queued, running, done or failed.
    status: Mapped[str] = mapped_column(String(16), default="queued")
    filename: Mapped[str] = mapped_column(String(255), default="")
    subject: Mapped[str | None] = mapped_column(String(128))
    collected: Mapped[date | None] = mapped_column(Date)
    #: The standard rank the uploader declared for the file's bare taxon
    #: names (``genus``; ``feature_rank`` of :func:`gutbalance.read`), None
    #: when not declared.  Kept with the job so that a job run again (after
    #: its server process died) reads the file the same way.
    feature_rank: Mapped[str | None] = mapped_column(String(16), nullable=True)
    #: The age in years the upload form gave for its samples (None: not given).
    age_years: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: The file as uploaded (compressed if it was), until the job ends.
    upload: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    #: Why it failed (safe to show) and the HTTP status that says so (413, 422, 500, 503).
    error: Mapped[str | None] = mapped_column(String(2000))
    error_status: Mapped[int | None] = mapped_column(Integer)
    #: The ids of the samples it stored, in file order.
    sample_ids: Mapped[list | None] = mapped_column(JSON, nullable=True)
    #: The files of a zip that could not be read while the others were stored:
    #: ``[{"file": name in the archive, "problem": why}]`` (None or empty: none).
    problems: Mapped[list | None] = mapped_column(JSON, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """One thing done with an account's samples: an upload that stored a
    sample, a sample viewed, a download, a correction, a deletion; who did it
    (the account, through a browser page or an API token) and when.

    The sample is named by its id and name as they were, not by a foreign
    key: the event of a deletion outlives the sample.  The events go with the
    account when it is deleted (see :func:`gutbalance.web.crud.delete_user`)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_owner_at", "owner_id", "at", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(String(32), ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: upload, view, download, correct or delete.
    action: Mapped[str] = mapped_column(String(16))
    #: How: ``page`` (a logged-in browser) or ``api`` (a bearer token); ``worker`` for an upload's samples stored.
    via: Mapped[str] = mapped_column(String(16))
    #: The sample's id and name when it happened (NULL id: all the account's samples at once, an export).
    sample_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    sample_name: Mapped[str] = mapped_column(String(255), default="")
    #: What was seen or downloaded (``report``, ``scores.tsv``, ``export.zip``) or the uploaded file's name.
    detail: Mapped[str] = mapped_column(String(255), default="")
