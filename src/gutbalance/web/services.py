"""What the API and the pages both do: upload, export (accounts and logins
are :mod:`gutbalance.web.accounts`).

Routes translate HTTP in and out; these functions hold the rules (limits,
throttling, one transaction per upload).  Failures are :class:`WebError`
with the HTTP status the routes answer with.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, BinaryIO

import pandas as pd
from sqlalchemy.orm import Session

from ..errors import GutBalanceError, SizeLimitError
from ..io.source import expand_bytes
from ..reference.age import AGE_UNITS, age_in_years
from ..scores_table import SCORES_FILE, format_scores
from ..taxonomy import RANKS, standard_rank
from . import crud, ingest, throttles
from .core.config import Settings
from .core.security import AddressRefusals, PasswordHashing
from .jobs import JobRunner
from .models import Job, Sample, User
from .schemas import SampleOut


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
    refusals: AddressRefusals

    @classmethod
    def from_settings(cls, settings: Settings) -> Guards:
        """The guards configured by ``settings`` (password hashing concurrency and queue, upload rate)."""
        return cls(
            hashing=PasswordHashing(
                concurrency=settings.password_hash_concurrency,
                memory_kib=settings.password_hash_memory_kib,
                time_cost=settings.password_hash_time_cost,
                queue=None if settings.password_hash_queue < 0 else settings.password_hash_queue,
            ),
            refusals=AddressRefusals(),
        )


def _too_many(wait: int, what: str) -> WebError:
    return WebError(429, f"too many {what}; try again in {wait} s", headers={"Retry-After": str(wait)})


#: A date written YYYY-MM-DD, whether or not the calendar has that day.
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_upload_fields(subject: str | None, collected: str | None) -> tuple[str | None, date | None]:
    """The upload form's subject (trimmed) and collection date (``YYYY-MM-DD``), None when empty.

    Raises :class:`WebError` 422 for a subject over 128 characters, a malformed date,
    a date the calendar does not have (2024-02-30) or one after tomorrow.
    """
    subject = (subject or "").strip() or None
    if subject is not None and len(subject) > 128:
        raise WebError(422, "a subject has at most 128 characters")
    text = (collected or "").strip()
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        if _ISO_DAY.fullmatch(text):
            raise WebError(422, "the collection date is not a day of the calendar (YYYY-MM-DD)") from None
        raise WebError(422, "the collection date must be written YYYY-MM-DD") from None
    if day is not None and day > date.today() + timedelta(days=1):  # a day of slack for the time zones
        raise WebError(422, "the collection date lies in the future")
    return subject, day


def correct_sample(
    session: Session, *, owner: User, sample_id: str, subject: str | None, collected: str | None, via: str, keep: Collection[str] = ()
) -> Sample | None:
    """Correct the subject and collection date of the owner's sample, read
    and checked as the upload's fields are (:func:`parse_upload_fields`;
    empty clears), those named in ``keep`` left as they are; None when
    there is no such sample of the owner's (see :func:`crud.correct_sample`).
    The correction goes into the audit log (``via``: ``page`` or ``api``)."""
    sample = crud.get_sample(session, owner=owner, sample_id=sample_id)
    if sample is None:
        return None
    if "subject" in keep:
        subject = sample.subject
    if "collected" in keep:
        collected = sample.collected.isoformat() if sample.collected else None
    new_subject, day = parse_upload_fields(subject, collected)
    corrected = crud.correct_sample(session, sample, subject=new_subject, collected=day)
    crud.record_sample_event(session, sample=sample, action=crud.CORRECT, via=via)
    return corrected


#: The name of the upload's field (form and API) that declares the rank of
#: the file's bare taxon names, and its label on the upload form.
FEATURE_RANK_FIELD = "feature_rank"
FEATURE_RANK_LABEL = "Rank of bare taxon names"


def parse_feature_rank(value: str | None) -> str | None:
    """The standard rank the upload declares for its bare taxon names
    (``genus``, ``Genus``; the form's select sends the standard names), None
    when the field is absent or empty ("not declared").

    Raises :class:`WebError` 422 naming the field for a value that is no rank
    (without echoing it: error messages never repeat the input).
    """
    text = (value or "").strip()
    if not text:
        return None
    rank = standard_rank(text)
    if rank is None:
        raise WebError(
            422, f"{FEATURE_RANK_FIELD} ({FEATURE_RANK_LABEL.lower()}) is not a rank: give one of {', '.join(RANKS)}, "
            "or leave it empty when the file's taxa name their ranks themselves"
        )
    return rank


#: The upload's fields (form and API) of the person's age and its unit.
AGE_FIELD = "age"
AGE_UNIT_FIELD = "age_unit"


def parse_age(value: str | None, unit: str | None) -> float | None:
    """The age the upload gives, in years (``8`` with unit ``months``: 0.667),
    None when the field is absent or empty (not given).  The unit is years
    unless ``unit`` names months or days; it is never guessed from the number.

    Raises :class:`WebError` 422 naming the field and the rule (without
    echoing the value).
    """
    text = (value or "").strip()
    name = (unit or "").strip().lower() or "years"
    if name not in AGE_UNITS:
        raise WebError(422, f"{AGE_UNIT_FIELD} is not a unit of age: give years, months or days")
    if not text:
        return None
    try:
        return age_in_years(text, name)
    except ValueError as exc:
        raise WebError(422, f"{AGE_FIELD} (the person's age in {AGE_UNIT_FIELD}) is {exc}; "
                       "or leave it empty") from None


def receive_upload(stream: BinaryIO, *, settings: Settings) -> bytes:
    """The uploaded bytes, refusing (413) more than :attr:`Settings.max_upload_bytes`.

    The one check of an upload's size (the request-body cap of the
    middleware only guards the transport)."""
    data = stream.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise WebError(413, f"the file is larger than {settings.max_upload_bytes // (1024 * 1024)} MB")
    return data


def upload_limit(settings: Settings, owner_id: str) -> throttles.Limit:
    """The per-user upload rate, counted in the database (shared by every server process)."""
    return throttles.Limit(throttles.key("upload", owner_id), settings.uploads_per_window, settings.upload_window_seconds)


def upload(
    session: Session,
    *,
    settings: Settings,
    runner: JobRunner,
    owner: User,
    stream: BinaryIO,
    filename: str | None,
    subject: str | None,
    collected: str | None,
    feature_rank: str | None = None,
    age: str | None = None,
    age_unit: str | None = None,
) -> Job:
    """Check an upload and its form fields and queue it for scoring; wait a
    little for the result.  The one upload path of the API and the pages.

    ``feature_rank`` is the rank declared for the file's bare taxon names
    (:func:`parse_feature_rank`), stored with the job and given to the reader
    as :func:`gutbalance.read`'s ``feature_rank``.  ``age`` and ``age_unit``
    (:func:`parse_age`) are the person's age, stored with each sample that
    the upload's sample sheet gives no age of.

    The upload rate (429) is reserved in the database first.  What the file
    costs to look at is bounded here, in the request: the size, then the
    content decompressed a chunk at a time against the upload limits (a bomb
    is refused at its cap, 413; too many lines, 422), holding one chunk; of a
    zip of profiles, its files and the members of the QIIME 2 artifacts among
    them together, from their directories (:func:`ingest.check_zip_upload`, 413).
    Reading, scoring and storing happen in a worker process
    (:mod:`gutbalance.web.jobs`).  Returns the job as it stands after up to
    :attr:`Settings.upload_wait_seconds`: done (its samples stored, all or
    nothing), failed (``error``, ``error_status``) or still queued/running.
    """
    subject, day = parse_upload_fields(subject, collected)
    rank = parse_feature_rank(feature_rank)
    age_years = parse_age(age, age_unit)
    owner_id = owner.id
    if wait := throttles.reserve(session, [upload_limit(settings, owner_id)]):
        raise _too_many(wait, "uploads")
    data = receive_upload(stream, settings=settings)
    filename = (filename or "upload").replace("\\", "/").rsplit("/", 1)[-1][:255] or "upload"
    if not data.strip():
        raise WebError(422, f"{filename}: the file is empty")
    try:
        expand_bytes(data, name=filename, limits=settings.upload_limits, keep=False)
        ingest.check_zip_upload(data, filename=filename, limits=settings.upload_limits)
    except SizeLimitError as exc:
        raise WebError(413, str(exc)) from None
    except GutBalanceError as exc:
        raise WebError(422, str(exc)) from None
    if runner.backlog() >= settings.max_queued_jobs:
        raise WebError(503, "too many uploads are waiting to be scored; try again in a minute", headers={"Retry-After": "60"})
    job = crud.create_job(session, owner=owner, upload=data, filename=filename, subject=subject, collected=day, feature_rank=rank,
                           age_years=age_years)
    session.commit()
    del data
    runner.submit(job.id)
    runner.wait(job.id, settings.upload_wait_seconds)
    session.expire_all()
    refreshed = crud.get_job(session, owner=owner, job_id=job.id)
    session.commit()
    return refreshed if refreshed is not None else job


#: Samples per page of the ``/samples`` page and, unless ``limit`` says
#: otherwise, of ``GET /api/samples`` (and subjects of ``/subjects`` and
#: ``GET /api/subjects``); an API page holds at most :data:`MAX_SAMPLES_PAGE`
#: (an account may hold a hundred thousand samples).
SAMPLES_PAGE = 100
MAX_SAMPLES_PAGE = 1000
#: The largest ``offset`` a list of the API takes: beyond any account, and within the 64-bit
#: integers SQLite and PostgreSQL bind (a larger one was a 500: an outside check).
MAX_OFFSET = 10**12
#: Subjects the ``/samples`` page lists before linking to the ``/subjects`` pages.
SUBJECTS_SHOWN = 50


@dataclass(frozen=True)
class ListPage:
    """One page of a list (samples in :func:`crud.list_samples` order, or subjects by name)."""

    items: list[Any]
    #: Entries in the whole list.
    total: int
    limit: int
    offset: int

    @property
    def next_offset(self) -> int | None:
        """Where the next page starts (None on the last page)."""
        return self.offset + self.limit if self.offset + self.limit < self.total else None

    @property
    def previous_offset(self) -> int | None:
        """Where the previous page starts (None on the first page)."""
        return max(self.offset - self.limit, 0) if self.offset > 0 else None

    @property
    def number(self) -> int:
        """The page's number, from 1 (a page that starts between two pages counts as the later one)."""
        return -(-self.offset // self.limit) + 1

    @property
    def pages(self) -> int:
        """Pages in the whole list (1 for an empty list)."""
        return max(-(-self.total // self.limit), 1)


def samples_page(session: Session, *, owner: User, limit: int = SAMPLES_PAGE, offset: int = 0, subject: str | None = None) -> ListPage:
    """The samples from ``offset`` on, at most ``limit``, and how many there are in all."""
    total = crud.count_samples(session, owner=owner, subject=subject)
    samples = crud.list_samples(session, owner=owner, subject=subject, limit=limit, offset=offset)
    return ListPage(items=samples, total=total, limit=limit, offset=offset)


def subjects_page(session: Session, *, owner: User, limit: int = SAMPLES_PAGE, offset: int = 0) -> ListPage:
    """The subjects (name, samples) from ``offset`` on, at most ``limit``, and how many there are in all."""
    total = crud.count_subjects(session, owner=owner)
    return ListPage(items=crud.list_subjects(session, owner=owner, limit=limit, offset=offset), total=total, limit=limit, offset=offset)


def page_links(url: Any, page: ListPage) -> dict[str, str]:
    """The headers of an API page: ``X-Total-Count`` and ``Link`` with the next
    and previous pages (``url``: the request's, a Starlette ``URL``)."""
    headers = {"X-Total-Count": str(page.total)}
    links = [
        f'<{url.include_query_params(limit=page.limit, offset=target)}>; rel="{rel}"'
        for rel, target in (("next", page.next_offset), ("prev", page.previous_offset))
        if target is not None
    ]
    if links:
        headers["Link"] = ", ".join(links)
    return headers


def job_samples(session: Session, *, owner: User, job: Job) -> list[Sample]:
    """The samples a finished job stored, in file order (deleted ones left out)."""
    ids = list(job.sample_ids or [])
    found = {s.id: s for s in crud.get_samples(session, owner=owner, sample_ids=ids)}
    return [found[i] for i in ids if i in found]


def sample_out(sample: Sample) -> dict[str, Any]:
    """A sample as the API returns it: its columns and scores, and the
    warnings from reading its file (:func:`ingest.read_warnings`)."""
    out = SampleOut.model_validate(sample).model_dump(mode="json")
    out["read_warnings"] = ingest.read_warnings(sample.profile)
    return out


def job_record(job: Job) -> dict[str, Any]:
    """A job as the API returns it (status, file, error, the ids of its samples,
    the files of a zip that could not be read, and where to poll it)."""
    return {
        "id": job.id,
        "status": job.status,
        "filename": job.filename,
        "subject": job.subject,
        "collected": job.collected.isoformat() if job.collected else None,
        "feature_rank": job.feature_rank,
        "age_years": job.age_years,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "error": job.error,
        "error_status": job.error_status,
        "samples": list(job.sample_ids or []),
        "problems": list(job.problems or []),
        "url": f"/api/jobs/{job.id}",
    }


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
    """:func:`scores_table` as text, spelled as ``gutbalance analyze`` writes
    ``scores.tsv``, but with text cells a spreadsheet would run as a formula
    quoted (:func:`spreadsheet_safe`): these downloads are opened by people,
    and a sample's name comes from a file another lab wrote."""
    table = scores_table(samples)
    for column in table.select_dtypes(include=["object", "string"]).columns:
        table[column] = table[column].map(spreadsheet_safe)
    return format_scores(table, index=False)


#: First characters that make a spreadsheet read a cell as a formula
#: (OWASP, "CSV Injection"; tab and carriage return end a cell early).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """``value`` with a leading apostrophe when it is text that a spreadsheet
    would run as a formula (``=HYPERLINK(...)``, ``@SUM(...)``); numbers,
    numeric text ("-1") and other text unchanged.

    >>> spreadsheet_safe("=1+1"), spreadsheet_safe("-1"), spreadsheet_safe("S1"), spreadsheet_safe(2.5)
    ("'=1+1", '-1', 'S1', 2.5)
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def sample_record(sample: Sample) -> dict[str, Any]:
    """A sample as the API returns it: details and scores."""
    return {
        "id": sample.id,
        "name": sample.name,
        "subject": sample.subject,
        "collected": sample.collected.isoformat() if sample.collected else None,
        "age_years": sample.age_years,
        "source_file": sample.source_file,
        "source_format": sample.source_format,
        "database": sample.database,
        "created_at": sample.created_at.isoformat(),
        "scores": sample.scores,
    }


def export_zip(session: Session, *, user: User, via: str) -> bytes:
    """Everything the app holds about ``user``: account, samples with their
    scores, and each parsed profile (enough to import them elsewhere).  The
    download goes into the audit log (``via``: ``page`` or ``api``) with
    the number of samples it held; the caller commits."""
    samples = crud.list_samples(session, owner=user, profiles=True)
    crud.record_access(session, owner_id=user.id, action=crud.DOWNLOAD, via=via, detail=f"export.zip ({crud.counted(len(samples))})")
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
        archive.writestr(SCORES_FILE, scores_tsv(samples))
        for s in samples:
            archive.writestr(f"profiles/{s.id}.json", json.dumps(ingest.profile_record(s.profile)))
    return buffer.getvalue()
