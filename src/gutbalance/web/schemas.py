"""Bodies and responses of the JSON API (they make the OpenAPI schema)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _as_utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were written in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]

USERNAME_PATTERN = r"^[A-Za-z0-9_.@+-]{3,64}$"
#: The same rule as an HTML ``pattern`` attribute: anchored by the browser,
#: and ``-`` escaped because browsers compile patterns with the ``v`` flag.
USERNAME_HTML_PATTERN = r"[A-Za-z0-9_.@+\-]{3,64}"
#: :data:`USERNAME_PATTERN` in words: the register form states it.
USERNAME_CHARACTERS = "3-64 letters, digits or _ . @ + - (no spaces)"
#: ... and a refusal names it.
USERNAME_RULE = "a username has " + USERNAME_CHARACTERS


class Credentials(BaseModel):
    """Body of a request to create an account: username (3-64 letters, digits
    or ``_.@+-``; case does not matter) and password."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=USERNAME_PATTERN)
    password: str = Field(min_length=8, max_length=1024)


class LoginBody(BaseModel):
    """Body of a login request."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class PasswordConfirmation(BaseModel):
    """Body of a request that asks for the password again (deleting the account)."""

    model_config = ConfigDict(extra="forbid")

    password: str = Field(max_length=1024)


class PasswordChange(BaseModel):
    """Body of a password change: the current password and the new one."""

    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class UserOut(BaseModel):
    """An account as the API shows it."""

    id: str
    username: str
    created_at: UtcDatetime


class AuditEventOut(BaseModel):
    """One entry of the account's audit log: when, what was done (``upload``,
    ``view``, ``download``, ``correct``, ``delete``), how (``page``: a
    logged-in browser, ``api``: a token, ``worker``: an upload's samples
    stored), which sample (its id and name then; ``sample_id`` null for a
    download of all the samples at once), what was seen or downloaded, and
    whether the sample is still held (``sample_exists``: false once it was
    deleted, when ``/api/samples/{sample_id}`` is 404; null without a sample)."""

    model_config = ConfigDict(from_attributes=True)

    at: UtcDatetime
    action: str
    via: str
    sample_id: str | None
    sample_name: str
    detail: str
    sample_exists: bool | None = Field(
        default=None, description="Whether the account still holds the sample (false once deleted); null for a row without a sample"
    )


class Token(BaseModel):
    """A bearer token for the API and how many seconds it is valid."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int


class SampleSummary(BaseModel):
    """A sample as the list shows it: name, subject, collection date and where it came from."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    subject: str | None
    collected: date | None
    source_file: str
    source_format: str
    database: str
    created_at: UtcDatetime


class SampleOut(SampleSummary):
    """A sample with its scores (one value per score column; ``null`` where a
    score cannot be computed for this sample)."""

    scores: dict[str, float | int | bool | str | None]
    #: The rank declared at upload for the file's bare taxon names, for a
    #: table whose format reads it (``null``: none declared, or a format whose
    #: taxa name their ranks).
    feature_rank: str | None = None
    #: The person's age in years when the sample was taken, as the upload
    #: gave it (``null``: not given); it changes no score.
    age_years: float | None = None
    #: What was suspicious when the file was read (the warnings ``gutbalance
    #: analyze`` lists in ``problems.tsv``: abundances adding up to 1 where
    #: percentages were expected, rows without a taxon name ...); the sample
    #: was scored all the same, and these say what to read with care.
    read_warnings: list[str] = []
    #: When its subject or collection date was last corrected after upload (``null``: never).
    corrected_at: UtcDatetime | None = None
    #: The subject and collection date it was uploaded with (``null`` unless corrected).
    uploaded_subject: str | None = None
    uploaded_collected: date | None = None


class SampleCorrection(BaseModel):
    """A correction of a sample's subject and collection date (``PATCH
    /api/samples/{id}``): a field left out keeps its value, ``null`` or ""
    clears it."""

    model_config = ConfigDict(extra="forbid")

    subject: str | None = Field(default=None, max_length=128, description="Who the sample came from, for the timeline")
    collected: str | None = Field(default=None, max_length=32, description="Collection date, YYYY-MM-DD")


class SubjectOut(BaseModel):
    """A subject and how many samples it has."""

    subject: str
    samples: int


class UploadProblemOut(BaseModel):
    """A file of an uploaded zip that could not be read (the others were stored)."""

    #: Its name in the archive.
    file: str
    #: What is wrong with it (the line and field where there is one).
    problem: str


class JobOut(BaseModel):
    """An upload being scored off the request path.  ``status`` is
    ``queued``, ``running``, ``done`` (``samples`` lists what was stored,
    ``problems`` the files of a zip that could not be read) or ``failed``
    (``error`` says why; ``error_status`` is the HTTP status an immediate
    answer would have had: 413 too large, 422 unreadable, 500 ours)."""

    id: str
    status: str
    filename: str
    subject: str | None
    collected: date | None
    #: The rank declared for the file's bare taxon names (``genus``), or null.
    feature_rank: str | None = None
    #: The age in years the upload gave (for the samples its sheet gives none), or null.
    age_years: float | None = None
    created_at: UtcDatetime
    started_at: UtcDatetime | None
    finished_at: UtcDatetime | None
    error: str | None
    error_status: int | None
    samples: list[str]
    problems: list[UploadProblemOut] = []
    url: str
