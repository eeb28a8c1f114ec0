"""The server-rendered site: register, log in, upload, samples and subjects,
reports, downloads, deletion and export.  Every form posts a CSRF value;
every action answers with a redirect (post/redirect/get)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, Response, UploadFile, status
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.routing import Match

from ....reference.age import AGE_UNITS, years_text
from ....report.render import reach_sentence
from ....report.validity import has_tested_scores, validity_view
from ....taxonomy import RANKS
from ... import accounts, crud, ingest, jobs, services
from ...core.security import new_csrf_seed
from ...reporting import declared_rank_text, explained_scores, page_with_inline_styles, subject_columns, timeline_html
from ...reporting import sample_report as rendered_report
from ...services import WebError
from ...templating import SESSION_COOKIE, cookie_secure, render, set_csrf_cookie, subject_href
from ..deps import (
    SESSION_AUDIENCE,
    Csrf,
    OptionalPageUser,
    PageUser,
    SessionDep,
    SettingsDep,
    account_action,
    in_auth_thread,
)

router = APIRouter(include_in_schema=False)

#: Messages shown after a redirect, chosen by key so no text is reflected from the URL.
NOTICES = {
    "deleted": "The sample was deleted.",
    "account-deleted": "Your account and all its samples were deleted.",
    "logged-out": "You are logged out.",
    "logged-out-everywhere": "You are logged out on every device, and every API token is revoked.",
    "password-changed": "Your password was changed; every other session and API token has ended.",
    "uploaded": "The file was read and scored.",
    "corrected": "The subject and collection date were saved; the subject's timeline follows them, the scores stay as they were.",
}

#: Seconds between reloads of a page that waits for scoring (a meta refresh:
#: the Content-Security-Policy allows no inline script).
REFRESH_SECONDS = 2
#: How these routes are reached, for the audit log.
_VIA = "page"
#: Audit events shown on the account page (newest first; the API pages through them all).
AUDIT_SHOWN = 100


def _safe_next(target: str | None) -> str:
    """Where to go after login: only same-site paths (no scheme, no host, no
    ``//``), and only pages a browser can GET.  A form's POST-only path (a
    delete sent with the session gone) becomes the nearest page above it
    (``/samples/ID/delete`` -> ``/samples/ID``): going back to it ended on a
    404 (an outside check, 2026-11-29)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/samples"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/samples"
    path = parts.path
    while not _a_page(path):
        path = path.rstrip("/").rsplit("/", 1)[0]
        if not path:
            return "/samples"
    return target if path == parts.path else path


def _a_page(path: str) -> bool:
    """Whether ``path`` is one of these pages: the first route of this router
    whose path it matches answers a GET.  (The router would serve a GET of ``/samples/upload``, a
    POST-only path, as the page of a sample called "upload": a 404.)"""
    scope = {"type": "http", "path": path, "method": "GET", "root_path": ""}
    for route in router.routes:
        match, _ = route.matches(scope)
        if match != Match.NONE:
            return match == Match.FULL
    return False


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)


def _start_session(request: Request, session, response: Response, user_id: str) -> None:
    """Log the browser in: a new session row and cookie, and a new CSRF seed
    (forms rendered before the login are worthless after it)."""
    settings = request.app.state.settings
    _, token = accounts.start_session(session, settings=settings, user_id=user_id, audience=SESSION_AUDIENCE)
    _set_session_cookie(request, response, token)


def _set_session_cookie(request: Request, response: Response, token: str) -> None:
    """The cookie of a new browser session, and a new CSRF seed (forms
    rendered before the login are worthless after it)."""
    settings = request.app.state.settings
    set_csrf_cookie(request, response, new_csrf_seed())
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_seconds,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        path="/",
    )


def _end_browser_session(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=cookie_secure(request))
    set_csrf_cookie(request, response, new_csrf_seed())


def _own_sample(session, user, sample_id: str, *, action: str | None = None, detail: str = ""):
    """The user's sample (404 if there is none); with ``action``, the view or
    download recorded in the audit log and committed."""
    sample = (crud.get_sample(session, owner=user, sample_id=sample_id) if action is None
              else crud.open_sample(session, owner=user, sample_id=sample_id, action=action, via=_VIA, detail=detail))
    if sample is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "There is no such sample.")
    if action is not None:
        session.commit()
    return sample


@router.get("/", response_class=HTMLResponse)
def index(request: Request, user: OptionalPageUser, notice: str | None = None) -> Response:
    """The start page; a logged-in user goes straight to their samples."""
    if user is not None:
        return _redirect("/samples")
    return render(request, "index.html", {"notice": NOTICES.get(notice or "")})


# --- accounts --------------------------------------------------------------


@router.get("/register", response_class=HTMLResponse)
def register_page(request: Request, user: OptionalPageUser) -> Response:
    """The form to create an account."""
    return render(request, "register.html", {"error": None, "username": ""})


@router.post("/register", dependencies=[Csrf])
async def register_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    """Create an account from the form and log this browser in; the form again with the reason when refused."""
    try:
        user = await account_action(request, session, accounts.register, username=username, password=password)
    except WebError as exc:
        response: Response = render(request, "register.html", {"error": exc.message, "username": username}, status_code=exc.status)
        response.headers.update(exc.headers)
        return response
    _, token = await in_auth_thread(request, accounts.start_session, session, settings=settings, user_id=user.id, audience=SESSION_AUDIENCE)
    response = _redirect("/samples")
    _set_session_cookie(request, response, token)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, user: OptionalPageUser, next: str | None = None) -> Response:
    """The login form (``next``: where to go after logging in, if on this site)."""
    return render(request, "login.html", {"error": None, "username": "", "next": _safe_next(next)})


@router.post("/login", dependencies=[Csrf])
async def login_submit(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2000)] = "/samples",
) -> Response:
    """Log in from the form and go on to ``next``; the form again with the reason when refused or throttled."""
    try:
        _, _, token = await account_action(
            request, session, accounts.log_in, username=username, password=password, audience=SESSION_AUDIENCE
        )
    except WebError as exc:
        context = {"error": exc.message, "username": username, "next": _safe_next(next)}
        response: Response = render(request, "login.html", context, status_code=exc.status)
        response.headers.update(exc.headers)
        return response
    response = _redirect(_safe_next(next))
    _set_session_cookie(request, response, token)
    return response


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request, session: SessionDep, user: OptionalPageUser) -> Response:
    """End this browser's session: its cookie is worthless from now on, even if kept."""
    if user is not None:
        accounts.end_session(session, session_id=request.state.session_id)
    response = _redirect("/?notice=logged-out")
    _end_browser_session(request, response)
    return response


@router.post("/logout/everywhere", dependencies=[Csrf])
def logout_everywhere(request: Request, session: SessionDep, user: PageUser) -> Response:
    """End every session of the account, in every browser, and revoke every API token."""
    accounts.end_all_sessions(session, user_id=user.id)
    response = _redirect("/?notice=logged-out-everywhere")
    _end_browser_session(request, response)
    return response


def _account_page(request: Request, session, user, *, error: str | None = None, password_error: str | None = None, status_code: int = 200, notice: str | None = None) -> Response:
    count = crud.count_samples(session, owner=user)
    events = crud.list_events(session, owner=user, limit=AUDIT_SHOWN)
    live = crud.held_sample_ids(session, owner=user, sample_ids=[e.sample_id for e in events])
    context = {"sample_count": count, "events": events, "live_ids": live,
               "event_count": crud.count_events(session, owner=user), "error": error, "password_error": password_error, "notice": NOTICES.get(notice or "")}
    return render(request, "account.html", context, status_code=status_code)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, user: PageUser, session: SessionDep, notice: str | None = None) -> Response:
    """The account page: number of samples, password change, export and deletion."""
    return _account_page(request, session, user, notice=notice)


@router.post("/account/password", dependencies=[Csrf])
def account_password(
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    current_password: Annotated[str, Form(max_length=1024)],
    new_password: Annotated[str, Form(max_length=1024)],
    confirm_password: Annotated[str, Form(max_length=1024)],
) -> Response:
    """Change the password; every session of the account ends and this browser gets a new one."""
    user_id = user.id
    try:
        if new_password != confirm_password:
            raise WebError(422, "the two new passwords differ")
        accounts.change_password(
            session, settings=settings, guards=request.app.state.guards, user=user, current=current_password, new=new_password
        )
    except WebError as exc:
        session.rollback()
        response = _account_page(request, session, user, password_error=exc.message, status_code=exc.status)
        response.headers.update(exc.headers)
        return response
    response = _redirect("/account?notice=password-changed")
    _start_session(request, session, response, user_id)
    return response


@router.get("/account/export.zip")
def account_export(user: PageUser, session: SessionDep) -> Response:
    """Download every sample of the account, with its scores, as one zip file."""
    body = services.export_zip(session, user=user, via=_VIA)
    session.commit()  # the download recorded
    return Response(
        body,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="gutbalance-export.zip"'},
    )


@router.post("/account/delete", dependencies=[Csrf])
def account_delete(
    request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, password: Annotated[str, Form(max_length=1024)]
) -> Response:
    """Delete the account and all its samples once the password is confirmed.

    The account page with the reason when not.
    """
    try:
        accounts.check_password(session, settings=settings, guards=request.app.state.guards, user=user, password=password)
    except WebError as exc:
        response = _account_page(request, session, user, error=exc.message, status_code=exc.status)
        response.headers.update(exc.headers)
        return response
    crud.delete_user(session, user=user)
    session.commit()
    request.state.user = None
    response = _redirect("/?notice=account-deleted")
    _end_browser_session(request, response)
    return response


# --- samples -----------------------------------------------------------------


def _numbered_page(fetch: Callable[..., services.ListPage], page: int) -> services.ListPage:
    """Page ``page`` (from 1) of a list, :data:`services.SAMPLES_PAGE` a page;
    past the end (entries deleted meanwhile, an old link) the last page."""
    size = services.SAMPLES_PAGE
    listed = fetch(limit=size, offset=(page - 1) * size)
    if page > listed.pages:
        listed = fetch(limit=size, offset=(listed.pages - 1) * size)
    return listed


def _samples_page(
    request: Request, session, user, *, page: int = 1, error: str | None = None, status_code: int = 200, notice: str | None = None,
    feature_rank: str = "", age: str = "", age_unit: str = "years",
) -> Response:
    pending = crud.list_unfinished_jobs(session, owner=user)
    listed = _numbered_page(partial(services.samples_page, session, owner=user), page)
    subjects = services.subjects_page(session, owner=user, limit=services.SUBJECTS_SHOWN)
    context = {
        "samples": listed.items,
        "listed": listed,
        "subjects": subjects.items,
        "subjects_total": subjects.total,
        "pending": pending,
        "refresh": REFRESH_SECONDS if pending else None,
        "error": error,
        "notice": NOTICES.get(notice or ""),
        "max_mb": request.app.state.settings.max_upload_bytes // (1024 * 1024),
        # the upload form's select of the rank of bare taxon names, kept as
        # chosen when the upload is refused (an option of RANKS or "")
        "ranks": RANKS,
        "rank_label": services.FEATURE_RANK_LABEL,
        "feature_rank": feature_rank,
        # the age and its unit, kept as given when the upload is refused
        "age": age,
        "age_units": list(AGE_UNITS),
        "age_unit": age_unit,
    }
    return render(request, "samples.html", context, status_code=status_code)


@router.get("/samples", response_class=HTMLResponse)
def samples_page(
    request: Request, user: PageUser, session: SessionDep, notice: str | None = None, page: Annotated[int, Query(ge=1, le=10**7)] = 1
) -> Response:
    """One page of the user's samples (:data:`services.SAMPLES_PAGE` a page),
    their subjects and unfinished uploads, with the upload form."""
    return _samples_page(request, session, user, page=page, notice=notice)


@router.get("/subjects", response_class=HTMLResponse)
def subjects_list_page(request: Request, user: PageUser, session: SessionDep, page: Annotated[int, Query(ge=1, le=10**7)] = 1) -> Response:
    """Every subject of the user, by name, :data:`services.SAMPLES_PAGE` a page."""
    listed = _numbered_page(partial(services.subjects_page, session, owner=user), page)
    return render(request, "subjects.html", {"subjects": listed.items, "listed": listed})


@router.post("/samples/upload", dependencies=[Csrf])
def samples_upload(
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
    subject: Annotated[str, Form(max_length=200)] = "",
    collected: Annotated[str, Form(max_length=32)] = "",
    feature_rank: Annotated[str, Form(max_length=32)] = "",
    age: Annotated[str, Form(max_length=32)] = "",
    age_unit: Annotated[str, Form(max_length=16)] = "years",
) -> Response:
    """Queue an uploaded profile for scoring and go to its samples (or its progress page).

    The samples page with the reason when refused.
    """
    try:
        job = services.upload(
            session, settings=settings, runner=request.app.state.jobs, owner=user, stream=file.file, filename=file.filename, subject=subject, collected=collected,
            feature_rank=feature_rank, age=age, age_unit=age_unit,
        )
        if job.status == jobs.FAILED:
            raise WebError(job.error_status or 422, job.error or "the file could not be read")
    except WebError as exc:
        response = _samples_page(request, session, user, error=exc.message, status_code=exc.status, feature_rank=feature_rank,
                                 age=age, age_unit=age_unit if age_unit in AGE_UNITS else "years")
        response.headers.update(exc.headers)
        return response
    return _redirect(_after_job(job))


def _after_job(job) -> str:
    """Where a finished upload leads: its sample, or the list for several;
    an unfinished one: its page, which reloads until scoring ends."""
    if job.status != jobs.DONE or job.problems:  # files left out are said on the upload's page
        return f"/uploads/{job.id}"
    ids = list(job.sample_ids or [])
    if len(ids) == 1:
        return f"/samples/{ids[0]}?notice=uploaded"
    return "/samples?notice=uploaded"


@router.get("/uploads/{job_id}", response_class=HTMLResponse)
def upload_page(request: Request, job_id: str, user: PageUser, session: SessionDep) -> Response:
    """An upload being scored: "scoring…" and a reload every few seconds,
    then on to its samples, or the reason it failed; a zip of which some
    files could not be read stays here, with its stored samples and, per
    file left out, the problem."""
    job = crud.get_job(session, owner=user, job_id=job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "There is no such upload.")
    stored = services.job_samples(session, owner=user, job=job) if job.status == jobs.DONE else []
    # Samples the user deleted since are counted apart: "0 samples stored"
    # read as if the upload had stored nothing (an outside check, 2026-11-29).
    deleted = len(job.sample_ids or []) - len(stored) if job.status == jobs.DONE else 0
    if job.status == jobs.DONE and not job.problems and not deleted:
        return _redirect(_after_job(job))
    waiting = job.status not in jobs.FINISHED
    counts = ingest.count_problems(job.problems or [])
    return render(request, "upload.html", {"job": job, "stored": stored, "deleted": deleted,
                                           "refresh": REFRESH_SECONDS if waiting else None, **counts._asdict()})


@router.get("/samples/{sample_id}", response_class=HTMLResponse)
def sample_page(request: Request, sample_id: str, user: PageUser, session: SessionDep, notice: str | None = None) -> Response:
    """One sample: its details, scores and links to its report and downloads (404 if not the user's)."""
    sample = _own_sample(session, user, sample_id, action=crud.VIEW, detail="sample page")
    sections, warnings = explained_scores(sample.scores)
    context = {"sample": sample, "sections": sections, "warnings": warnings, "notice": NOTICES.get(notice or ""),
               "read_warnings": ingest.read_warnings(sample.profile),
               "declared_rank": declared_rank_text(sample.feature_rank),
               "age_text": f"{years_text(sample.age_years)} years" if sample.age_years is not None else "",
               # what the immune-support scores rest on, in words (the report's sentence)
               "reach": reach_sentence(sample.scores or {}),
               "twins": crud.same_profile_samples(session, owner=user, sample=sample)}
    # "How far these scores have been tested" (its own partial), as the report: not for a
    # sample without an immune-support or pillar score (its cards say why there is none)
    context["validity"] = validity_view() if has_tested_scores(sample.scores or {}) else None
    return render(request, "sample.html", context)


@router.get("/samples/{sample_id}/report", response_class=HTMLResponse)
def sample_report(sample_id: str, user: PageUser, session: SessionDep) -> Response:
    """The sample's report as an HTML page, its styles inline."""
    sample = _own_sample(session, user, sample_id, action=crud.VIEW, detail="report")  # committed: the connection handed back before rendering
    return rendered_report(sample, release=session.commit).response()


def _download_name(sample, suffix: str) -> str:
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in sample.name)[:80] or "sample"
    return f'attachment; filename="{stem}.{suffix}"'


@router.get("/samples/{sample_id}/report.html")
def sample_report_download(sample_id: str, user: PageUser, session: SessionDep) -> Response:
    """The sample's report as an HTML file to download."""
    sample = _own_sample(session, user, sample_id, action=crud.DOWNLOAD, detail="report.html")
    return rendered_report(sample, release=session.commit).response(headers={"Content-Disposition": _download_name(sample, "report.html")})


@router.get("/samples/{sample_id}/scores.tsv")
def sample_tsv(sample_id: str, user: PageUser, session: SessionDep) -> Response:
    """The sample's scores as a one-row TSV file to download."""
    sample = _own_sample(session, user, sample_id, action=crud.DOWNLOAD, detail="scores.tsv")
    return Response(
        services.scores_tsv([sample]),
        media_type="text/tab-separated-values; charset=utf-8",
        headers={"Content-Disposition": _download_name(sample, "scores.tsv")},
    )


@router.get("/samples/{sample_id}/scores.json")
def sample_json(sample_id: str, user: PageUser, session: SessionDep) -> Response:
    """The sample's details and scores as a JSON file to download."""
    sample = _own_sample(session, user, sample_id, action=crud.DOWNLOAD, detail="scores.json")
    return Response(
        json.dumps(services.sample_record(sample), indent=2),
        media_type="application/json",
        headers={"Content-Disposition": _download_name(sample, "scores.json")},
    )


@router.post("/samples/{sample_id}/correct", dependencies=[Csrf])
def sample_correct(
    sample_id: str,
    user: PageUser,
    session: SessionDep,
    subject: Annotated[str, Form(max_length=128)] = "",
    collected: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Correct the sample's subject and collection date (the form's two
    fields; empty clears) and return to its page (404 if there is no such
    sample of the user's)."""
    if services.correct_sample(session, owner=user, sample_id=sample_id, subject=subject, collected=collected, via=_VIA) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "There is no such sample.")
    session.commit()
    return _redirect(f"/samples/{sample_id}?notice=corrected")


@router.post("/samples/{sample_id}/delete", dependencies=[Csrf])
def sample_delete(sample_id: str, user: PageUser, session: SessionDep) -> Response:
    """Delete one of the user's samples (404 if there is no such sample) and return to the list."""
    if not crud.delete_sample(session, owner=user, sample_id=sample_id, via=_VIA):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "There is no such sample.")
    session.commit()
    return _redirect("/samples?notice=deleted")


@router.get("/scores.tsv")
def all_scores_tsv(user: PageUser, session: SessionDep) -> Response:
    """The scores of all the user's samples as one TSV file to download."""
    samples = crud.list_samples(session, owner=user)
    crud.record_access(session, owner_id=user.id, action=crud.DOWNLOAD, via=_VIA, detail=f"scores.tsv ({crud.counted(len(samples))})")
    session.commit()
    return Response(
        services.scores_tsv(samples),
        media_type="text/tab-separated-values; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="gutbalance-scores.tsv"'},
    )


@router.get("/subject", response_class=HTMLResponse)
def subject_page(request: Request, name: Annotated[str, Query(max_length=128)], user: PageUser, session: SessionDep) -> Response:
    """The samples of one subject over time, with their timeline when there are two or more (404 if none)."""
    subject = name
    samples = crud.list_samples(session, owner=user, subject=subject)
    if not samples:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "There is no such subject.")
    columns = subject_columns(samples)
    has_timeline = len(samples) > 1
    undated = sum(1 for s in samples if s.collected is None)
    context = {"subject": subject, "samples": samples, "columns": columns, "has_timeline": has_timeline, "subject_href": subject_href(subject),
               "undated": undated}
    return render(request, "subject.html", context)


@router.get("/subject/timeline", response_class=HTMLResponse)
def subject_timeline(name: Annotated[str, Query(max_length=128)], user: PageUser, session: SessionDep) -> Response:
    """The subject's samples over time, as the report module draws it."""
    samples = crud.list_samples(session, owner=user, subject=name, profiles=True)
    session.commit()  # hand the connection back before rendering
    html = timeline_html(name, samples)
    if html is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "A timeline needs two or more samples of the subject.")
    return page_with_inline_styles(html)
