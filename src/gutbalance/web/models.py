"""The tables: users, their samples, their login sessions and the shared
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

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    samples: Mapped[list[Sample]] = relationship(
        back_populates="owner", cascade="all, delete-orphan", passive_deletes=True
    )


class Sample(Base):
    __tablename__ = "samples"
    __table_args__ = (
        Index("ix_samples_owner_created", "owner_id", "created_at"),
        Index("ix_samples_owner_subject", "owner_id", "subject"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(String(32), ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(String(128))
    collected: Mapped[date | None] = mapped_column(Date)
    source_file: Mapped[str] = mapped_column(String(255), default="")
    source_format: Mapped[str] = mapped_column(String(64), default="")
    database: Mapped[str] = mapped_column(String(255), default="")
    #: One row of :func:`gutbalance.scores.score` ({column: number or null}).
    scores: Mapped[dict] = mapped_column(JSON)
    #: The parsed profile, zlib-compressed JSON.
    profile: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

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
