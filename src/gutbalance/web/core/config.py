"""Settings of the web app: where data live, the signing secret and the limits.

Every field can be set from the environment (``GUTBALANCE_<FIELD>``, upper
case), and :func:`load_settings` fills the two that depend on the data folder:
the SQLite database and the signing secret, which is generated once and kept
in the data folder (mode 0600) so tokens survive a restart.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ...io.source import InputLimits

#: Default data folder (overridden by ``--data-dir`` or ``GUTBALANCE_DATA_DIR``).
DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "gutbalance"
SECRET_FILE = "secret_key"


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to know at start-up.

    Attributes
    ----------
    data_dir
        Folder for the SQLite database and the signing secret.
    database_url
        SQLAlchemy URL; empty means SQLite in ``data_dir``.  PostgreSQL is
        ``postgresql+psycopg://user:password@host/db``.
    secret_key
        Key for signing tokens and CSRF values (hex); empty means the one
        stored in ``data_dir``.
    api_token_seconds, session_seconds
        Lifetime of a bearer token and of a browser session.
    max_upload_bytes
        Largest upload accepted (the whole request body is capped a little above).
    upload_max_expanded_bytes, upload_max_lines, upload_max_samples, upload_max_taxa
        What one upload may hold once decompressed (gzip/bz2/xz, or all
        members of a ``.qza``): bytes, lines, samples, taxa per sample.  Bytes
        and lines are counted while the upload streams, before it is queued
        (413 for bytes, 422 for the rest).
    server_processes
        Processes ``gutbalance serve`` runs the app in (uvicorn workers sharing
        the port); they share the database, so its throttles and job queue.
    worker_processes
        Worker processes that parse and score uploads, off the request path,
        in each server process.
    worker_memory_bytes
        Address-space limit of each worker (``RLIMIT_AS``): an upload that
        needs more fails with 413 instead of taking the machine's memory.
    worker_seconds
        Longest a worker may spend on one upload before it is stopped (the
        upload fails with 422 and the worker is replaced).
    upload_wait_seconds
        How long an upload request waits for its job: done by then, the
        answer is 201 with the samples; else 202 with the job's URL.
    job_keep_seconds
        How long a finished job (done or failed) is kept for its status page
        and ``GET /api/jobs/{id}``; then the sweep deletes it (its samples stay).
    max_queued_jobs
        Uploads waiting for a worker in one server process before new ones
        are refused (503 with ``Retry-After``).
    uploads_per_window, upload_window_seconds
        Per-user upload rate limit.
    login_failures_allowed, login_window_seconds
        Failed logins per username and client address before a pause.  Each
        attempt is reserved in the database before its password is hashed
        (so concurrent attempts and several server processes share one count)
        and given back when the login succeeds.
    login_address_failures_allowed
        Failed logins per client address across all usernames, in the same window.
    login_user_failures_allowed
        Failed logins per username from all addresses, in the same window (a
        guesser spread over many addresses).
    password_checks_allowed
        Wrong passwords per user when a logged-in user confirms it (password
        change, account deletion), in the login window.
    registrations_per_window, registration_window_seconds
        New accounts per client address (registration hashes a password,
        which is deliberately expensive).
    behind_tls_proxy
        The app is served over HTTPS by a proxy: cookies are always ``Secure``
        and HSTS is sent, and the proxy's ``X-Forwarded-For``/``-Proto``
        headers are honoured from ``forwarded_allow_ips``.  Without it,
        cookies are ``Secure`` when the request itself arrived over HTTPS and
        forwarded headers are ignored from everyone.
    forwarded_allow_ips
        The proxies (comma-separated addresses or networks, ``*`` for any)
        whose forwarded headers are believed with ``behind_tls_proxy``.
    password_hash_concurrency
        Argon2 hashes computed at once (each takes a core and its memory).
        Default: one core fewer than the machine has (at least 1, at most
        4), so that a flood of logins leaves a core to the server's event
        loop and every other request.
    password_hash_queue
        Logins or registrations that may wait (up to 2 s) for a hashing slot;
        beyond them requests are refused at once with 503 and Retry-After.
        -1 (the default): 8 per slot, at most 16.
    password_hash_memory_kib, password_hash_time_cost
        Argon2id cost of new hashes (stored hashes keep their own parameters).
    password_min_length, password_min_score
        The password policy: at least this many characters, never containing
        the username, and a zxcvbn strength score (0-4) of at least this.
    """

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    secret_key: str = ""
    api_token_seconds: int = 3600
    session_seconds: int = 8 * 3600
    max_upload_bytes: int = 20 * 1024 * 1024
    upload_max_expanded_bytes: int = 200 * 1024 * 1024
    upload_max_lines: int = 200_000
    upload_max_samples: int = 1000
    upload_max_taxa: int = 50_000
    server_processes: int = 1
    worker_processes: int = 2
    worker_memory_bytes: int = 3 * 1024**3
    worker_seconds: float = 120
    upload_wait_seconds: float = 1.0
    max_queued_jobs: int = 500
    job_keep_seconds: int = 24 * 3600
    uploads_per_window: int = 20
    upload_window_seconds: int = 60
    login_failures_allowed: int = 5
    login_window_seconds: int = 15 * 60
    login_address_failures_allowed: int = 30
    login_user_failures_allowed: int = 20
    password_checks_allowed: int = 5
    registrations_per_window: int = 100
    registration_window_seconds: int = 3600
    behind_tls_proxy: bool = False
    forwarded_allow_ips: str = "127.0.0.1"
    password_hash_concurrency: int = field(default_factory=lambda: max(1, min(4, (os.cpu_count() or 1) - 1)))
    password_hash_queue: int = -1
    password_hash_memory_kib: int = 19456
    password_hash_time_cost: int = 2
    password_min_length: int = 8
    password_min_score: int = 3

    @property
    def secret(self) -> bytes:
        """The signing secret as bytes (``secret_key`` is hex)."""
        return bytes.fromhex(self.secret_key)

    @property
    def upload_limits(self) -> InputLimits:
        """The limits of one upload, as the library applies them while reading."""
        return InputLimits(
            max_bytes=self.max_upload_bytes,
            max_expanded_bytes=self.upload_max_expanded_bytes,
            max_lines=self.upload_max_lines,
            max_samples=self.upload_max_samples,
            max_taxa=self.upload_max_taxa,
        )

    @property
    def max_request_bytes(self) -> int:
        """The cap on a whole request body: the upload plus multipart overhead."""
        return self.max_upload_bytes + 64 * 1024


def _from_env(name: str, default: object) -> object:
    raw = os.environ.get(f"GUTBALANCE_{name.upper()}")
    if raw is None:
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, Path):
        return Path(raw)
    return raw


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, then ``overrides`` (``None`` values are ignored).

    Creates the data folder, and the signing secret in it when none is given.
    """
    base = Settings()
    # One value per field, of that field's type (see _from_env).
    values: dict[str, Any] = {f.name: _from_env(f.name, getattr(base, f.name)) for f in fields(Settings)}
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["data_dir"] = Path(values["data_dir"]).expanduser()
    settings = replace(base, **values)
    # Private when we create it (0700): the SQLite database in it holds every
    # user's uploads, password hashes and sessions.  A folder that already
    # exists is left as its owner set it, so the database file is made
    # private itself (below).
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not settings.database_url:
        database = settings.data_dir / "gutbalance.sqlite3"
        _create_private(database)
        settings = replace(settings, database_url=f"sqlite:///{database}")
    if not settings.secret_key:
        settings = replace(settings, secret_key=_stored_secret(settings.data_dir))
    bytes.fromhex(settings.secret_key)  # fail at start-up, not at the first login
    return settings


def _create_private(path: Path) -> None:
    """Create ``path`` empty and readable by its owner only (0600), unless it exists.

    SQLite would create the database readable by all (0644 under the usual
    umask), and it gives its write-ahead log and shared-memory files the
    database file's permissions: an empty file is a new database to it, so
    creating it 0600 first keeps all three private, whatever the folder's
    permissions.
    """
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _stored_secret(data_dir: Path) -> str:
    """The secret kept in ``data_dir``, created (0600, exclusively) on first use."""
    path = data_dir / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process may have created it a moment ago and still be writing.
        for _ in range(50):
            value = path.read_text(encoding="ascii").strip()
            if value:
                return value
            time.sleep(0.02)
        raise RuntimeError(f"{path} is empty; delete it to generate a new secret") from None
    value = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value + "\n")
    return value
