"""The tables: users and their samples (SQLAlchemy 2 declarative models).

A sample keeps what is needed to show it (its scores, as JSON so that new
score columns need no migration) and to re-score or export it later (the
parsed profile, as zlib-compressed JSON; see :mod:`gutbalance.web.profiles`).
Identifiers are random, never reused: a token signed for a deleted user can
never match a later account.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, LargeBinary, String
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
