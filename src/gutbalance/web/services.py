"""What the API and the pages both do: upload, export (accounts and logins
are :mod:`gutbalance.web.accounts`).

Routes translate HTTP in and out; these functions hold the rules (limits,
throttling, one transaction per upload).  Failures are :class:`WebError`
with the HTTP status the routes answer with.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from ..errors import GutBalanceError
from . import crud, ingest
from .core.config import Settings
from .core.security import PasswordHashing, RateLimiter
from .models import Sample, User


class WebError(Exception):
    """A request that cannot be served, with the status and a message safe to show."""

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class Guards:
    """The app's stateful protections (one set per app)."""

    hashing: PasswordHashing
    uploads: RateLimiter

    @classmethod
    def from_settings(cls, settings: Settings) -> Guards:
        return cls(
            hashing=PasswordHashing(
                concurrency=settings.password_hash_concurrency,
                memory_kib=settings.password_hash_memory_kib,
                time_cost=settings.password_hash_time_cost,
                queue=None if settings.password_hash_queue < 0 else settings.password_hash_queue,
            ),
            uploads=RateLimiter(settings.uploads_per_window, settings.upload_window_seconds),
        )


def _too_many(wait: int, what: str) -> WebError:
    return WebError(429, f"too many {what}; try again in {wait} s", headers={"Retry-After": str(wait)})


def parse_upload_fields(subject: str | None, collected: str | None) -> tuple[str | None, date | None]:
    subject = (subject or "").strip() or None
    if subject is not None and len(subject) > 128:
        raise WebError(422, "a subject has at most 128 characters")
    text = (collected or "").strip()
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        raise WebError(422, "the collection date must be written YYYY-MM-DD") from None
    return subject, day


def upload(
    session: Session,
    *,
    settings: Settings,
    guards: Guards,
    owner: User,
    data: bytes,
    filename: str,
    subject: str | None,
    collected: date | None,
) -> list[Sample]:
    """Read, score and store every sample of one file, all or nothing."""
    if len(data) > settings.max_upload_bytes:
        raise WebError(413, f"the file is larger than {settings.max_upload_bytes // (1024 * 1024)} MB")
    if wait := guards.uploads.hit(owner.id):
        raise _too_many(wait, "uploads")
    if not data.strip():
        raise WebError(422, "the file is empty")
    filename = (filename or "upload").replace("\\", "/").rsplit("/", 1)[-1][:255] or "upload"
    session.commit()  # hand the connection back while parsing and scoring (CPU work, no database)
    try:
        profiles = ingest.read_upload(data, filename=filename)
        scored = [(profile, ingest.score_profile(profile)) for profile in profiles]
        samples = crud.add_samples(
            session, owner=owner, scored=scored, subject=subject, collected=collected, filename=filename
        )
        session.commit()
    except GutBalanceError as exc:
        session.rollback()
        raise WebError(422, str(exc)) from None
    except BaseException:
        session.rollback()
        raise
    return samples


def scores_table(samples: list[Sample]) -> pd.DataFrame:
    """The scores of ``samples`` as the ``analyze`` command's table, with the
    web app's identifiers and sample details in front."""
    rows = []
    for s in samples:
        rows.append(
            {"id": s.id, "sample": s.name, "subject": s.subject or "", "collected": s.collected.isoformat() if s.collected else "", **s.scores}
        )
    return pd.DataFrame(rows, columns=None if rows else ["id", "sample", "subject", "collected"])


def scores_tsv(samples: list[Sample]) -> str:
    return scores_table(samples).to_csv(sep="\t", index=False, na_rep="NA", lineterminator="\n")


def sample_record(sample: Sample) -> dict[str, Any]:
    return {
        "id": sample.id,
        "name": sample.name,
        "subject": sample.subject,
        "collected": sample.collected.isoformat() if sample.collected else None,
        "source_file": sample.source_file,
        "source_format": sample.source_format,
        "database": sample.database,
        "created_at": sample.created_at.isoformat(),
        "scores": sample.scores,
    }


def export_zip(session: Session, *, user: User) -> bytes:
    """Everything the app holds about ``user``: account, samples with their
    scores, and each parsed profile (enough to import them elsewhere)."""
    samples = crud.list_samples(session, owner=user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        account = {
            "username": user.username,
            "id": user.id,
            "created_at": user.created_at.isoformat(),
            "exported_at": datetime.now(UTC).isoformat(),
        }
        archive.writestr("account.json", json.dumps(account, indent=2))
        archive.writestr("samples.json", json.dumps([sample_record(s) for s in samples], indent=2))
        archive.writestr("scores.tsv", scores_tsv(samples))
        for s in samples:
            archive.writestr(f"profiles/{s.id}.json", json.dumps(ingest.profile_record(s.profile)))
    return buffer.getvalue()
