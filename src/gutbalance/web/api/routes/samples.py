"""Samples: upload, list, read scores and report, delete (JSON API)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, Response, UploadFile, status
from fastapi.responses import HTMLResponse, PlainTextResponse

from ... import crud, services
from ...reporting import page_with_inline_styles, sample_report_html
from ...schemas import SampleOut, SampleSummary, SubjectOut
from ..deps import ApiUser, SessionDep, SettingsDep

router = APIRouter(prefix="/api", tags=["samples"])

_NOT_FOUND = "no such sample"


def read_upload_file(file: UploadFile, limit: int) -> bytes:
    """The uploaded bytes, refusing (413) more than ``limit``."""
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise services.WebError(413, f"the file is larger than {limit // (1024 * 1024)} MB")
    return data


def store_upload(
    request: Request,
    session,
    settings,
    user,
    file: UploadFile,
    subject: str | None,
    collected: str | None,
) -> list:
    """Check the form fields, then read, score and store the uploaded file
    (the one path shared by the API and the upload page)."""
    subject_value, collected_value = services.parse_upload_fields(subject, collected)
    return services.upload(
        session,
        settings=settings,
        guards=request.app.state.guards,
        owner=user,
        data=read_upload_file(file, settings.max_upload_bytes),
        filename=file.filename or "upload",
        subject=subject_value,
        collected=collected_value,
    )


@router.post("/samples", status_code=status.HTTP_201_CREATED, response_model=list[SampleOut])
def upload_samples(
    request: Request,
    user: ApiUser,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="A profile in any format gutbalance reads (MetaPhlAn, Kraken2/Bracken, BIOM, ...), optionally gzipped")],
    subject: Annotated[str | None, Form(max_length=128, description="Who the sample(s) came from, for the timeline")] = None,
    collected: Annotated[str | None, Form(max_length=32, description="Collection date, YYYY-MM-DD")] = None,
) -> list[SampleOut]:
    """Read, score and store every sample in the file, all or nothing (422
    naming the problem when the file cannot be read)."""
    created = store_upload(request, session, settings, user, file, subject, collected)
    return [SampleOut.model_validate(s) for s in created]


@router.get("/samples", response_model=list[SampleSummary])
def list_samples(user: ApiUser, session: SessionDep, subject: str | None = None) -> list[SampleSummary]:
    """The caller's samples (optionally of one subject)."""
    return [SampleSummary.model_validate(s) for s in crud.list_samples(session, owner=user, subject=subject)]


@router.get("/subjects", response_model=list[SubjectOut])
def list_subjects(user: ApiUser, session: SessionDep) -> list[SubjectOut]:
    return [SubjectOut(subject=s, samples=n) for s, n in crud.list_subjects(session, owner=user)]


@router.get("/samples/{sample_id}", response_model=SampleOut)
def get_sample(sample_id: str, user: ApiUser, session: SessionDep) -> SampleOut:
    """One sample with its scores (404 if it is not the caller's)."""
    sample = crud.get_sample(session, owner=user, sample_id=sample_id)
    if sample is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _NOT_FOUND)
    return SampleOut.model_validate(sample)


@router.get("/samples/{sample_id}/scores.tsv", response_class=PlainTextResponse)
def get_sample_tsv(sample_id: str, user: ApiUser, session: SessionDep) -> Response:
    sample = crud.get_sample(session, owner=user, sample_id=sample_id)
    if sample is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _NOT_FOUND)
    return PlainTextResponse(services.scores_tsv([sample]), media_type="text/tab-separated-values; charset=utf-8")


@router.get("/samples/{sample_id}/report", response_class=HTMLResponse)
def get_sample_report(sample_id: str, user: ApiUser, session: SessionDep) -> Response:
    """The sample's report as an HTML page."""
    sample = crud.get_sample(session, owner=user, sample_id=sample_id)
    if sample is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _NOT_FOUND)
    session.commit()  # hand the connection back before rendering
    return page_with_inline_styles(sample_report_html(sample))


@router.delete("/samples/{sample_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_sample(sample_id: str, user: ApiUser, session: SessionDep) -> Response:
    """Delete the sample and everything stored with it."""
    if not crud.delete_sample(session, owner=user, sample_id=sample_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, _NOT_FOUND)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
