"""Typed dependencies: the database session, the settings, the current user
(bearer token for the API, session cookie for pages) and the CSRF check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Form, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from .. import crud
from ..core.config import Settings
from ..core.security import csrf_valid, read_token
from ..models import User
from ..templating import CSRF_COOKIE, SESSION_COOKIE

API_AUDIENCE = "api"
SESSION_AUDIENCE = "session"


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_db)]

_bearer = HTTPBearer(auto_error=False, description="The access_token from POST /api/login")


def api_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The user a bearer token names; 401 without a valid one."""
    user_id = read_token(settings.secret, credentials.credentials, audience=API_AUDIENCE) if credentials else None
    user = crud.get_user(session, user_id=user_id) if user_id else None
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "not authenticated", headers={"WWW-Authenticate": "Bearer"}
        )
    request.state.user = user
    return user


class LoginRequired(Exception):
    """A page needs a logged-in user: the handler redirects to the login page."""


def optional_page_user(request: Request, session: SessionDep, settings: SettingsDep) -> User | None:
    token = request.cookies.get(SESSION_COOKIE)
    user_id = read_token(settings.secret, token, audience=SESSION_AUDIENCE) if token else None
    user = crud.get_user(session, user_id=user_id) if user_id else None
    request.state.user = user
    return user


def page_user(user: Annotated[User | None, Depends(optional_page_user)]) -> User:
    if user is None:
        raise LoginRequired
    return user


def check_csrf(request: Request, settings: SettingsDep, csrf_token: Annotated[str, Form(max_length=200)] = "") -> None:
    """Forms carry a value bound to the browser's CSRF cookie; refuse them without it."""
    if not csrf_valid(settings.secret, request.cookies.get(CSRF_COOKIE), csrf_token):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the form has expired or did not come from this site; reload the page and try again")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


ApiUser = Annotated[User, Depends(api_user)]
PageUser = Annotated[User, Depends(page_user)]
OptionalPageUser = Annotated[User | None, Depends(optional_page_user)]
Csrf = Depends(check_csrf)
