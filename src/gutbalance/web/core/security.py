"""Passwords, signed tokens, CSRF values, rate limits and the password policy.

Tokens are ``<payload>.<signature>``: the payload is base64url JSON
``{"sid": session id, "aud": "api" | "session", "exp": unix time}`` and the
signature HMAC-SHA256 of it with the app's secret.  The audience keeps a
browser session cookie from being replayed as an API token and vice versa;
the session id names a row in ``auth_sessions``, without which the token is
worth nothing (logout deletes it).  Decoding is strict: only the canonical
unpadded base64url spelling of a signature is accepted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import threading
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class HashingBusy(Exception):
    """Every password-hashing slot is taken and the short queue is full: the
    request is shed (503) instead of holding a server thread while it waits."""


class PasswordHashing:
    """Argon2id hashing with a bound on how many hashes run at once.

    The default cost is OWASP's recommended minimum for argon2id (19 MiB,
    2 iterations, 1 lane; OWASP Password Storage Cheat Sheet): about 0.15 s
    on one core here, where the RFC 9106 64 MiB profile takes a second and
    would let a handful of logins saturate the server.

    ``concurrency`` hashes run at once and at most ``queue`` more wait for a
    slot, each for at most ``wait`` seconds; any further request is refused
    at once with :class:`HashingBusy`.  Waiting without a bound let a burst of
    logins hold every server thread (issue 15: ``/healthz`` took 10 s).
    """

    def __init__(
        self, *, concurrency: int, memory_kib: int = 19456, time_cost: int = 2, queue: int | None = None, wait: float = 2.0
    ) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        self.concurrency = max(1, concurrency)
        # Default: a short queue (a few seconds of hashing) that still leaves
        # most of the server's 40 threads to everything else.
        self.queue = min(8 * self.concurrency, 16) if queue is None else max(0, queue)
        self.wait = wait
        self._slots = threading.BoundedSemaphore(self.concurrency)
        self._admitted = 0  # hashing or waiting for a slot
        self._lock = threading.Lock()
        # A real hash to verify against when the username does not exist, so
        # that a login for an unknown user takes as long as a wrong password.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def _run(self, work):
        with self._lock:
            if self._admitted >= self.concurrency + self.queue:
                raise HashingBusy
            self._admitted += 1
        try:
            if not self._slots.acquire(timeout=self.wait):
                raise HashingBusy
            try:
                return work()
            finally:
                self._slots.release()
        finally:
            with self._lock:
                self._admitted -= 1

    def hash(self, password: str) -> str:
        """The Argon2 hash of ``password``, computed within the concurrency cap.

        :class:`HashingBusy` when the queue is full.
        """
        return self._run(lambda: self._hasher.hash(password))

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored`` (``None``: no such user; still costs a hash)."""

        def check() -> bool:
            try:
                return self._hasher.verify(stored or self._dummy, password) and stored is not None
            except (VerificationError, InvalidHashError):
                return False

        return self._run(check)


_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    """Strict base64url: the unpadded alphabet only, and only the canonical
    spelling (unused trailing bits zero), so each value has one encoding."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not canonical base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise ValueError("not base64url") from None
    if _b64(data) != text:
        raise ValueError("not canonical base64url")
    return data


def _sign(secret: bytes, purpose: str, message: bytes) -> bytes:
    return hmac.new(secret, purpose.encode() + b"\x00" + message, hashlib.sha256).digest()


def new_session_id() -> str:
    """A random session id (256 bits)."""
    return secrets.token_urlsafe(32)


def make_token(secret: bytes, *, session_id: str, audience: str, lifetime: int, now: float | None = None) -> str:
    """A signed token for the session ``session_id``, valid for ``lifetime`` seconds."""
    issued = int(time.time() if now is None else now)
    claims = {"sid": session_id, "aud": audience, "exp": issued + lifetime}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{payload}.{_b64(_sign(secret, 'token', payload.encode()))}"


def read_token(secret: bytes, token: str, *, audience: str, now: float | None = None) -> str | None:
    """The session id in a valid, unexpired token for ``audience``; ``None`` otherwise.

    The caller must still find the session: a token outlives its logout only
    as a string.
    """
    try:
        payload, signature = token.split(".")
        if not hmac.compare_digest(_unb64(signature), _sign(secret, "token", payload.encode())):
            return None
        claims = json.loads(_unb64(payload))
    except (ValueError, UnicodeError):
        return None
    if not isinstance(claims, dict) or claims.get("aud") != audience:
        return None
    exp, sid = claims.get("exp"), claims.get("sid")
    if not isinstance(exp, int) or not isinstance(sid, str) or exp <= (time.time() if now is None else now):
        return None
    return sid


def new_csrf_seed() -> str:
    """The random value kept in the CSRF cookie."""
    return secrets.token_urlsafe(32)


def csrf_token(secret: bytes, seed: str, session_id: str | None = None) -> str:
    """The value forms carry: an HMAC of the browser's CSRF cookie and of the
    login session (none before login), so a cookie planted by another site
    (or subdomain) cannot be matched, and a token taken before login, or from
    another session, is worthless after it."""
    return _b64(_sign(secret, "csrf", seed.encode() + b"\x00" + (session_id or "").encode()))


def csrf_valid(secret: bytes, seed: str | None, submitted: str | None, session_id: str | None = None) -> bool:
    """Whether ``submitted`` is the CSRF token of ``seed`` (and login session), compared in constant time.

    False when either is missing.
    """
    if not seed or not submitted:
        return False
    return hmac.compare_digest(csrf_token(secret, seed, session_id), submitted)


class AddressRefusals:
    """Addresses the database refused under a per-address limit (failed
    logins across usernames, registrations), until their window ends.

    A cache of the database's answer, so that a flood from one address is
    answered from memory instead of costing a request, a thread and a
    transaction each (:class:`~gutbalance.web.middleware.FrontDoor`).  The
    database stays the one count: a process that has not seen the refusal
    asks it, and it refuses again.  Per process, bounded to ``max_keys``.
    """

    def __init__(self, *, max_keys: int = 100_000) -> None:
        self.max_keys = max_keys
        self._until: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def refuse(self, kind: str, address: str, seconds: int, *, now: float | None = None) -> None:
        """Remember that ``address`` may not try ``kind`` for ``seconds``."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._until) >= self.max_keys:
                for key in [k for k, until in self._until.items() if until <= now] or list(self._until)[: self.max_keys // 2]:
                    del self._until[key]
            self._until[(kind, address)] = now + seconds

    def wait(self, kind: str, address: str, *, now: float | None = None) -> int:
        """Seconds ``address`` must still wait before trying ``kind``; 0 when it may try."""
        until = self._until.get((kind, address))
        if until is None:
            return 0
        now = time.monotonic() if now is None else now
        if until <= now:
            with self._lock:
                self._until.pop((kind, address), None)
            return 0
        return max(1, int(until - now + 0.999))


#: Only the first characters of a password are rated.  zxcvbn refuses more
#: than 72, and its l33t matching grows exponentially with the number of
#: l33t-like characters: 20 of them took 2.4 s here, 16 a tenth of that
#: (measured under a load average of 15).  Every entry of its lists of common
#: passwords fits in 16 characters, and a password whose first 16 are hard
#: to guess is at least as hard to guess whole.
RATED_PREFIX = 16


def password_problem(password: str, *, username: str, min_length: int, min_score: int) -> str | None:
    """Why ``password`` is refused for ``username``, or ``None`` when it is acceptable.

    Length first (NIST SP 800-63B asks for at least 8 characters), then the
    username (refused anywhere inside the password), then zxcvbn's estimate,
    whose offline frequency lists hold common passwords, names, words and
    keyboard patterns: a score of ``min_score`` or more (3 = at least 10^8
    guesses) for the first :data:`RATED_PREFIX` characters is accepted.
    """
    # zxcvbn (web extra) loads its frequency lists on import: only when a password is checked
    import zxcvbn

    if len(password) < min_length:
        return f"a password has at least {min_length} characters"
    if username and username.casefold() in password.casefold():
        return "a password must not contain the username"
    result = zxcvbn.zxcvbn(password[:RATED_PREFIX], user_inputs=[username] if username else [])
    if result["score"] < min_score:
        warning = result["feedback"].get("warning") or "it is too easy to guess"
        return f"that password is too easy to guess ({warning.rstrip('.')}); try a few unrelated words"
    return None
