"""``POST /api/register``, ``POST /api/login`` and ``POST /api/logout``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from ... import accounts
from ...schemas import Credentials, LoginBody, Token, UserOut
from ..deps import API_AUDIENCE, ApiUser, SessionDep, SettingsDep, account_action

router = APIRouter(prefix="/api", tags=["auth"])


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserOut)
async def register_user(body: Credentials, request: Request, session: SessionDep) -> UserOut:
    """Create an account (409 if the username is taken, 422 naming the
    problem when the password is too short, too common or holds the username)."""
    user = await account_action(request, session, accounts.register, username=body.username, password=body.password)
    return UserOut(id=user.id, username=user.username, created_at=user.created_at)


@router.post("/login", response_model=Token)
async def login(body: LoginBody, request: Request, session: SessionDep, settings: SettingsDep) -> Token:
    """A bearer token for the API, valid until it expires or is revoked
    (logout, password change).  Attempts are throttled per username and
    address, per address and per username (429 with Retry-After); 503 with
    Retry-After when the server is busy checking other passwords."""
    _, _, token = await account_action(
        request, session, accounts.log_in, username=body.username, password=body.password, audience=API_AUDIENCE
    )
    return Token(access_token=token, expires_in=settings.api_token_seconds)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, user: ApiUser, session: SessionDep) -> Response:
    """Revoke this token at once."""
    accounts.end_session(session, session_id=request.state.session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/logout/everywhere", status_code=status.HTTP_204_NO_CONTENT)
def logout_everywhere(user: ApiUser, session: SessionDep) -> Response:
    """Revoke every API token and end every browser session of the caller."""
    accounts.end_all_sessions(session, user_id=user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
