"""``POST /api/register`` and ``POST /api/login``."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from ...core.security import make_token
from ...schemas import Credentials, LoginBody, Token, UserOut
from ...services import authenticate, register
from ..deps import API_AUDIENCE, SessionDep, SettingsDep, client_address

router = APIRouter(prefix="/api", tags=["auth"])


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserOut)
def register_user(body: Credentials, request: Request, session: SessionDep) -> UserOut:
    """Create an account (409 if the username is taken)."""
    user = register(
        session, guards=request.app.state.guards, username=body.username, password=body.password, address=client_address(request)
    )
    return UserOut(id=user.id, username=user.username, created_at=user.created_at)


@router.post("/login", response_model=Token)
def login(body: LoginBody, request: Request, session: SessionDep, settings: SettingsDep) -> Token:
    """A bearer token for the API.  Failed attempts are throttled per username
    and client address (429 with Retry-After)."""
    user = authenticate(
        session, guards=request.app.state.guards, username=body.username, password=body.password, address=client_address(request)
    )
    token = make_token(settings.secret, user_id=user.id, audience=API_AUDIENCE, lifetime=settings.api_token_seconds)
    return Token(access_token=token, expires_in=settings.api_token_seconds)
