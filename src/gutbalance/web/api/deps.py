"""Typed dependencies: the database session, the settings, the current user
(bearer token for the API, session cookie for pages, each naming a live login
session), the CSRF check and the refusal of control characters."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import Depends, Form, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from .. import crud
from ..accounts import API_AUDIENCE, SESSION_AUDIENCE
from ..core.config import Settings
from ..core.security import csrf_valid, read_token
from ..models import User
from ..templating import CSRF_COOKIE, SESSION_COOKIE

__all__ = ["API_AUDIENCE", "SESSION_AUDIENCE"]


async def get_settings(request: Request) -> Settings:
    """The app's :class:`Settings` (set when the app was made)."""
    # async: read on the event loop, not on a pool thread for every request
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    """A database session for one request, closed when the request ends."""
    with request.app.state.sessions() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_db)]

_bearer = HTTPBearer(auto_error=False, description="The access_token from POST /api/login")


@dataclass(frozen=True)
class Viewer:
    """What pages show of the logged-in user: plain values copied when the
    request is authenticated, so an error page rendered after a failed
    commit never touches an expired ORM object."""

    id: str
    username: str
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> Viewer:
        """The viewer of ``user``: its id, name and creation time (UTC)."""
        created = user.created_at
        return cls(user.id, user.username, created.replace(tzinfo=UTC) if created.tzinfo is None else created)


def _logged_in(request: Request, session: Session, session_id: str | None, kind: str) -> User | None:
    record = crud.get_auth_session(session, session_id=session_id, kind=kind) if session_id else None
    if record is None:
        return None
    user = record.user
    request.state.user = Viewer.of(user)
    request.state.session_id = record.id
    return user


def api_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The user of a bearer token whose session is live; 401 otherwise."""
    session_id = read_token(settings.secret, credentials.credentials, audience=API_AUDIENCE) if credentials else None
    user = _logged_in(request, session, session_id, API_AUDIENCE)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "not authenticated", headers={"WWW-Authenticate": "Bearer"}
        )
    return user


class LoginRequired(Exception):
    """A page needs a logged-in user: the handler redirects to the login page."""


def optional_page_user(request: Request, session: SessionDep, settings: SettingsDep) -> User | None:
    """The user of the session cookie while its session is live (not logged
    out, not ended by a password change); ``None`` otherwise."""
    token = request.cookies.get(SESSION_COOKIE)
    session_id = read_token(settings.secret, token, audience=SESSION_AUDIENCE) if token else None
    request.state.user = None
    request.state.session_id = None
    return _logged_in(request, session, session_id, SESSION_AUDIENCE)


def page_user(user: Annotated[User | None, Depends(optional_page_user)]) -> User:
    """The logged-in user of a page; :class:`LoginRequired` (a redirect to the login page) otherwise."""
    if user is None:
        raise LoginRequired
    return user


def check_csrf(
    request: Request,
    settings: SettingsDep,
    user: Annotated[User | None, Depends(optional_page_user)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> None:
    """Forms carry a value bound to the browser's CSRF cookie and to its login
    session; refuse them without it."""
    session_id = request.state.session_id if user is not None else None
    if not csrf_valid(settings.secret, request.cookies.get(CSRF_COOKIE), csrf_token, session_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the form has expired or did not come from this site; reload the page and try again")


#: Threads that account actions (login, registration: they hash a password)
#: may occupy at once, out of the 40 that serve every synchronous route.  The
#: rest wait without a thread, so a login flood cannot starve other requests.
AUTH_THREADS = 10

T = TypeVar("T")


async def in_auth_thread(request: Request, work: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run ``work`` on one of the :data:`AUTH_THREADS` threads kept for account actions."""
    limiter = request.app.state.__dict__.get("auth_threads")  # made in the app's lifespan, on its event loop
    return await anyio.to_thread.run_sync(functools.partial(work, *args, **kwargs), limiter=limiter)


async def account_action(request: Request, session: Session, action: Callable[..., T], /, **fields: Any) -> T:
    """Run the account service ``action`` (registration, login: it hashes a
    password) on the threads kept for them, with the app's settings and
    guards and the client's address; the API and the pages call it alike."""
    app = request.app
    return await in_auth_thread(
        request, action, session, settings=app.state.settings, guards=app.state.guards, address=client_address(request), **fields
    )


def client_address(request: Request) -> str:
    """The peer's address; the client's behind a trusted proxy (see
    ``forwarded_allow_ips``), never what an untrusted X-Forwarded-For claims."""
    return request.client.host if request.client else "unknown"


#: C0 controls (NUL included), DEL, C1 controls and lone surrogates: never
#: part of a name, subject, date or password, and NUL or a surrogate in a
#: PostgreSQL query is an error that closes the connection.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _bad(value: object) -> bool:
    if isinstance(value, str):
        return CONTROL_CHARACTERS.search(value) is not None
    if isinstance(value, dict):
        return any(_bad(k) or _bad(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_bad(v) for v in value)
    return False


def _refuse(where: str, name: str) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "string_control_characters", "loc": (where, name), "msg": "control characters are not allowed", "input": None}]
    )


async def refuse_control_characters(request: Request) -> None:
    """422 for a control character in any string the client sent: path and
    query parameters, form fields, uploaded file names and JSON bodies.  An
    app-wide dependency, so it runs before any route's own dependencies and
    before anything reaches the database.  The body was already parsed by
    FastAPI for the route; Starlette keeps it, so it is not read twice."""
    for name, value in request.path_params.items():
        if _bad(value):
            raise _refuse("path", name)
    for name, value in request.query_params.multi_items():
        if _bad(name) or _bad(value):
            raise _refuse("query", name if not _bad(name) else "?")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        for name, value in form.multi_items():
            if _bad(name):
                raise _refuse("body", "?")
            if isinstance(value, UploadFile):
                if _bad(value.filename):
                    raise _refuse("body", f"{name} (file name)")
            elif _bad(value):
                raise _refuse("body", name)
    elif content_type == "application/json" or content_type.endswith("+json"):
        try:
            body = await request.json()
        except ValueError:
            return  # not JSON: the route's own validation answers 422
        fields = body.items() if isinstance(body, dict) else [("json", body)]
        for name, value in fields:
            if _bad(value) or _bad(name):
                raise _refuse("body", name if not _bad(name) else "?")


ApiUser = Annotated[User, Depends(api_user)]
PageUser = Annotated[User, Depends(page_user)]
OptionalPageUser = Annotated[User | None, Depends(optional_page_user)]
Csrf = Depends(check_csrf)
