"""The caller's account: who am I, change the password, export everything,
delete everything."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from ... import accounts, crud, services
from ...schemas import AuditEventOut, PasswordChange, PasswordConfirmation, Token, UserOut
from ..deps import API_AUDIENCE, ApiUser, SessionDep, SettingsDep

router = APIRouter(prefix="/api/account", tags=["account"])


@router.get("", response_model=UserOut)
def me(user: ApiUser) -> UserOut:
    """The caller's account: id, username and when it was created."""
    return UserOut(id=user.id, username=user.username, created_at=user.created_at)


@router.get("/audit", response_model=list[AuditEventOut])
def audit(
    request: Request,
    response: Response,
    user: ApiUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=services.MAX_SAMPLES_PAGE, description="Events per page")] = services.SAMPLES_PAGE,
    offset: Annotated[int, Query(ge=0, le=services.MAX_OFFSET, description="Events of the log to skip")] = 0,
) -> list[AuditEventOut]:
    """One page of the account's audit log, newest first: every upload that
    stored a sample, every view of a sample's scores or report, every
    download, correction and deletion, with when, how and which sample
    (``sample_exists`` false for a sample deleted since).
    ``X-Total-Count`` and ``Link`` as for ``/api/samples``."""
    events = crud.list_events(session, owner=user, limit=limit, offset=offset)
    total = crud.count_events(session, owner=user)
    response.headers.update(services.page_links(request.url, services.ListPage(items=events, total=total, limit=limit, offset=offset)))
    held = crud.held_sample_ids(session, owner=user, sample_ids=[e.sample_id for e in events])
    return [
        AuditEventOut.model_validate(e).model_copy(update={"sample_exists": None if e.sample_id is None else e.sample_id in held})
        for e in events
    ]


@router.post("/password", response_model=Token)
def change_password(body: PasswordChange, request: Request, user: ApiUser, session: SessionDep, settings: SettingsDep) -> Token:
    """Change the password (the current one is asked again: 403 when wrong,
    throttled).  Every API token and browser session of the account ends,
    this token too; the answer is a fresh token."""
    user_id = user.id
    accounts.change_password(
        session, settings=settings, guards=request.app.state.guards, user=user, current=body.current_password, new=body.new_password
    )
    _, token = accounts.start_session(session, settings=settings, user_id=user_id, audience=API_AUDIENCE)
    return Token(access_token=token, expires_in=settings.api_token_seconds)


@router.get("/export", response_class=Response, responses={200: {"content": {"application/zip": {}}}})
def export(user: ApiUser, session: SessionDep) -> Response:
    """A zip of everything held for the caller: account.json, samples.json
    (details and scores), scores.tsv and profiles/<id>.json (the parsed profiles)."""
    body = services.export_zip(session, user=user, via="api")
    session.commit()  # the download recorded
    return Response(
        body,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="gutbalance-export.zip"'},
    )


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
def delete_account(body: PasswordConfirmation, request: Request, user: ApiUser, session: SessionDep, settings: SettingsDep) -> Response:
    """Delete the account and every sample in it, for good (on SQLite the
    write-ahead log is checkpointed, so the rows do not linger in it).  The
    password is asked again so that a leaked token alone cannot erase an
    account."""
    accounts.check_password(session, settings=settings, guards=request.app.state.guards, user=user, password=body.password)
    crud.delete_user(session, user=user)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
