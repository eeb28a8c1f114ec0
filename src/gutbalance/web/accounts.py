"""Accounts: register, log in, confirm or change a password, and the login
sessions behind cookies and API tokens.

Every attempt that hashes a password is first reserved in the database
(:func:`gutbalance.web.crud.reserve_attempt`), atomically and before the hash,
under each of its keys: a username at an address, an address across
usernames, a username across addresses.  So a burst of concurrent guesses
gets at most the limit checked, and several server processes share the
count.  A successful login gives its reservation back.  When every hashing
slot is busy the request is shed with 503 instead of waiting.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import crud, throttles
from .core.config import Settings
from .core.security import AddressRefusals, HashingBusy, make_token, new_session_id, password_problem
from .models import User
from .schemas import USERNAME_PATTERN, USERNAME_RULE
from .services import Guards, WebError
from .throttles import Limit, refund
from .throttles import key as _key

#: Token audiences, and the ``kind`` of the session rows they name.
API_AUDIENCE = "api"
SESSION_AUDIENCE = "session"

def _too_many(wait: int, what: str) -> WebError:
    return WebError(429, f"too many {what}; try again in {wait} s", headers={"Retry-After": str(wait)})


def _busy() -> WebError:
    return WebError(503, "the server is busy checking other passwords; try again in a moment", headers={"Retry-After": "1"})


def reserve(session: Session, limits: list[Limit], *, what: str, refusals: AddressRefusals | None = None) -> None:
    """Count one attempt under every limit, all or none (:func:`gutbalance.web.throttles.reserve`);
    429 naming ``what`` when any is used up."""
    if wait := throttles.reserve(session, limits, refusals=refusals):
        raise _too_many(wait, what)


def normalize_username(username: str) -> str:
    """The form a username is stored and compared in: trimmed and lower-case."""
    return username.strip().lower()


def login_limits(settings: Settings, username: str, address: str) -> list[Limit]:
    """The throttles a login attempt counts against.

    Failures of this username from this address, from this address, and for this username.
    """
    window = settings.login_window_seconds
    return [
        Limit(_key("login", username, address), settings.login_failures_allowed, window),
        Limit(_key("login-address", address), settings.login_address_failures_allowed, window, remember=("login", address)),
        Limit(_key("login-user", username), settings.login_user_failures_allowed, window),
    ]


def check_policy(settings: Settings, *, username: str, password: str) -> None:
    """422 with the reason when ``password`` breaks the password policy."""
    if len(password) > 1024:
        raise WebError(422, "a password has at most 1024 characters")
    problem = password_problem(
        password, username=username, min_length=settings.password_min_length, min_score=settings.password_min_score
    )
    if problem:
        raise WebError(422, problem)


def _hash(session: Session, guards: Guards, limits: list[Limit], password: str) -> str:
    try:
        return guards.hashing.hash(password)
    except HashingBusy:
        refund(session, limits)
        raise _busy() from None


def _verify(session: Session, guards: Guards, limits: list[Limit], stored: str | None, password: str) -> bool:
    try:
        return guards.hashing.verify(stored, password)
    except HashingBusy:
        refund(session, limits)  # never checked: it must not count against the user
        raise _busy() from None


def register(session: Session, *, settings: Settings, guards: Guards, username: str, password: str, address: str) -> User:
    """Create an account and return the new user.

    Raises :class:`WebError`: 422 for a malformed username or a password the
    policy refuses, 409 when the username is taken, 429 when this address has
    opened too many accounts recently.
    """
    username = normalize_username(username)
    if not re.fullmatch(USERNAME_PATTERN, username):
        raise WebError(422, USERNAME_RULE)
    limits = [
        Limit(_key("register", address), settings.registrations_per_window, settings.registration_window_seconds, remember=("register", address))
    ]
    reserve(session, limits, what="new accounts from this address", refusals=guards.refusals)
    check_policy(settings, username=username, password=password)  # after the reservation: rating costs CPU too
    if crud.get_user_by_name(session, username=username) is not None:
        raise WebError(409, "that username is taken")
    session.commit()  # no connection held while hashing (deliberately slow)
    user = crud.create_user(session, username=username, password_hash=_hash(session, guards, limits, password))
    try:
        session.commit()
    except IntegrityError:  # registered by a concurrent request in the meantime
        session.rollback()
        raise WebError(409, "that username is taken") from None
    return user


def authenticate(session: Session, *, settings: Settings, guards: Guards, username: str, password: str, address: str) -> User:
    """The user with these credentials.  The attempt is reserved under the
    login limits before the password is hashed (429 when they are used up)."""
    username = normalize_username(username)
    limits = login_limits(settings, username, address)
    reserve(session, limits, what="failed logins", refusals=guards.refusals)
    user = crud.get_user_by_name(session, username=username)
    session.commit()  # no connection held while verifying (deliberately slow)
    if not _verify(session, guards, limits, user.password_hash if user else None, password) or user is None:
        raise WebError(401, "wrong username or password")
    refund(session, limits)
    return user


def log_in(
    session: Session, *, settings: Settings, guards: Guards, username: str, password: str, address: str, audience: str
) -> tuple[str, str, str]:
    """Authenticate (:func:`authenticate`) and start a login session of
    ``audience`` (a browser session or an API token): (user id, session id,
    signed token).  The one login of the API and the pages."""
    user = authenticate(session, settings=settings, guards=guards, username=username, password=password, address=address)
    session_id, token = start_session(session, settings=settings, user_id=user.id, audience=audience)
    return user.id, session_id, token


def check_password(session: Session, *, settings: Settings, guards: Guards, user: User, password: str) -> None:
    """403 unless ``password`` is ``user``'s: asked again before changing the
    password or deleting the account, and throttled per user, so a stolen
    token cannot be used to guess the password."""
    limits = [Limit(_key("confirm", user.id), settings.password_checks_allowed, settings.login_window_seconds)]
    stored = user.password_hash
    reserve(session, limits, what="wrong passwords")
    if not _verify(session, guards, limits, stored, password):
        raise WebError(403, "wrong password")
    refund(session, limits)


def change_password(
    session: Session, *, settings: Settings, guards: Guards, user: User, current: str, new: str
) -> None:
    """Set a new password and end every login of ``user`` (cookies and API
    tokens alike); the caller starts a fresh one for whoever changed it."""
    user_id, username = user.id, user.username
    check_password(session, settings=settings, guards=guards, user=user, password=current)
    check_policy(settings, username=username, password=new)  # after the (throttled) check: rating costs CPU too
    new_hash = _hash(session, guards, [], new)
    crud.set_password_hash(session, user=user, password_hash=new_hash)
    crud.end_all_auth_sessions(session, user_id=user_id)
    session.commit()


def start_session(session: Session, *, settings: Settings, user_id: str, audience: str) -> tuple[str, str]:
    """A new login for ``user_id``: (session id, signed token).  Committed."""
    lifetime = settings.session_seconds if audience == SESSION_AUDIENCE else settings.api_token_seconds
    session_id = new_session_id()
    crud.create_auth_session(session, user_id=user_id, session_id=session_id, kind=audience, lifetime=lifetime)
    session.commit()
    return session_id, make_token(settings.secret, session_id=session_id, audience=audience, lifetime=lifetime)


def end_session(session: Session, *, session_id: str) -> None:
    """End one login session (a browser session or an API token) and commit."""
    crud.end_auth_session(session, session_id=session_id)
    session.commit()


def end_all_sessions(session: Session, *, user_id: str) -> int:
    """End every browser session and API token of ``user_id``; how many."""
    ended = crud.end_all_auth_sessions(session, user_id=user_id)
    session.commit()
    return ended
