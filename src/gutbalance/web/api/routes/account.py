"""The caller's account: who am I, export everything, delete everything."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from ... import crud, services
from ...schemas import PasswordConfirmation, UserOut
from ..deps import ApiUser, SessionDep

router = APIRouter(prefix="/api/account", tags=["account"])


@router.get("", response_model=UserOut)
def me(user: ApiUser) -> UserOut:
    return UserOut(id=user.id, username=user.username, created_at=user.created_at)


@router.get("/export", response_class=Response, responses={200: {"content": {"application/zip": {}}}})
def export(user: ApiUser, session: SessionDep) -> Response:
    """A zip of everything held for the caller: account.json, samples.json
    (details and scores), scores.tsv and profiles/<id>.json (the parsed profiles)."""
    return Response(
        services.export_zip(session, user=user),
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="gutbalance-export.zip"'},
    )


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
def delete_account(body: PasswordConfirmation, request: Request, user: ApiUser, session: SessionDep) -> Response:
    """Delete the account and every sample in it, for good.  The password is
    asked again so that a leaked token alone cannot erase an account."""
    services.check_password(guards=request.app.state.guards, user=user, password=body.password)
    crud.delete_user(session, user=user)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
