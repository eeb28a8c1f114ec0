"""Passwords, signed tokens, CSRF values and rate limits.

Tokens are ``<payload>.<signature>``: the payload is base64url JSON
``{"sub": user id, "aud": "api" | "session", "exp": unix time}`` and the
signature HMAC-SHA256 of it with the app's secret.  The audience keeps a
browser session cookie from being replayed as an API token and vice versa.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class PasswordHashing:
    """Argon2id hashing with a bound on how many hashes run at once.

    The default cost is OWASP's recommended minimum for argon2id (19 MiB,
    2 iterations, 1 lane; OWASP Password Storage Cheat Sheet): about 0.15 s
    on one core here, where the RFC 9106 64 MiB profile takes a second and
    would let a handful of logins saturate the server.
    """

    def __init__(self, *, concurrency: int, memory_kib: int = 19456, time_cost: int = 2) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        # A real hash to verify against when the username does not exist, so
        # that a login for an unknown user takes as long as a wrong password.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        with self._slots:
            return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored`` (``None``: no such user; still costs a hash)."""
        with self._slots:
            try:
                return self._hasher.verify(stored or self._dummy, password) and stored is not None
            except (VerificationError, InvalidHashError):
                return False


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, purpose: str, message: bytes) -> bytes:
    return hmac.new(secret, purpose.encode() + b"\x00" + message, hashlib.sha256).digest()


def make_token(secret: bytes, *, user_id: str, audience: str, lifetime: int, now: float | None = None) -> str:
    """A signed token for ``user_id`` valid for ``lifetime`` seconds."""
    issued = int(time.time() if now is None else now)
    payload = _b64(json.dumps({"sub": user_id, "aud": audience, "exp": issued + lifetime}, separators=(",", ":")).encode())
    return f"{payload}.{_b64(_sign(secret, 'token', payload.encode()))}"


def read_token(secret: bytes, token: str, *, audience: str, now: float | None = None) -> str | None:
    """The user id in a valid, unexpired token for ``audience``; ``None`` otherwise."""
    try:
        payload, signature = token.split(".")
        if not hmac.compare_digest(_unb64(signature), _sign(secret, "token", payload.encode())):
            return None
        claims = json.loads(_unb64(payload))
    except (ValueError, UnicodeError):
        return None
    if not isinstance(claims, dict) or claims.get("aud") != audience:
        return None
    exp, sub = claims.get("exp"), claims.get("sub")
    if not isinstance(exp, int) or not isinstance(sub, str) or exp <= (time.time() if now is None else now):
        return None
    return sub


def new_csrf_seed() -> str:
    """The random value kept in the CSRF cookie."""
    return secrets.token_urlsafe(32)


def csrf_token(secret: bytes, seed: str) -> str:
    """The value forms carry: bound to the browser's CSRF cookie by an HMAC, so
    a cookie planted by another site (or subdomain) cannot be matched."""
    return _b64(_sign(secret, "csrf", seed.encode()))


def csrf_valid(secret: bytes, seed: str | None, submitted: str | None) -> bool:
    if not seed or not submitted:
        return False
    return hmac.compare_digest(csrf_token(secret, seed), submitted)


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds for each key, in memory.

    Per process: with several worker processes each counts on its own, which
    multiplies the limit by the number of workers.
    """

    def __init__(self, limit: int, window: float, *, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= self.max_keys:
                self._prune(now)
            events = self._events[key] = deque()
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def _prune(self, now: float) -> None:
        for key in [k for k, ev in self._events.items() if not ev or ev[-1] <= now - self.window]:
            del self._events[key]
        if len(self._events) >= self.max_keys:  # still full of live keys: forget the oldest
            for key in list(self._events)[: len(self._events) // 2]:
                del self._events[key]

    def retry_after(self, key: str, *, now: float | None = None) -> int:
        """Seconds until ``key`` may act again; 0 when it may now."""
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._recent(key, now)
            if len(events) < self.limit:
                return 0
            return max(1, int(events[0] + self.window - now + 0.999))

    def hit(self, key: str, *, now: float | None = None) -> int:
        """Record an event if allowed; return 0, or the seconds to wait when refused."""
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._recent(key, now)
            if len(events) >= self.limit:
                return max(1, int(events[0] + self.window - now + 0.999))
            events.append(now)
            return 0

    def reset(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)
