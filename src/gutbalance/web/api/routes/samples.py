"""Samples: upload (and its job), list, read scores and report, delete (JSON API)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, Response, UploadFile, status
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse

from ....taxonomy import RANKS
from ... import crud, jobs, services
from ...reporting import sample_report
from ...schemas import JobOut, SampleCorrection, SampleOut, SampleSummary, SubjectOut
from ..deps import ApiUser, SessionDep, SettingsDep

router = APIRouter(prefix="/api", tags=["samples"])

_NOT_FOUND = "no such sample"
#: How these routes are reached, for the audit log.
_VIA = "api"


def _opened(session, user, sample_id: str, *, action: str, detail: str):
    """The caller's sample (404 if it is not theirs), its view or download
    recorded in the audit log and committed."""
    sample = crud.open_sample(session, owner=user, sample_id=sample_id, action=action, via=_VIA, detail=detail)
    if sample is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _NOT_FOUND)
    session.commit()
    return sample


def _job_response(session, user, job) -> Response:
    """201 with the samples of a finished job; 207 with the job (the ids of
    the samples stored and, in ``problems``, the files of the zip that could
    not be read) when only some of its files were; the job's error if it
    failed, else 202 with the job and where to poll it."""
    if job.status == jobs.DONE and job.problems:
        return JSONResponse(
            JobOut.model_validate(services.job_record(job)).model_dump(mode="json"),
            status_code=status.HTTP_207_MULTI_STATUS,
            headers={"Location": f"/api/jobs/{job.id}"},
        )
    if job.status == jobs.DONE:
        created = services.job_samples(session, owner=user, job=job)
        body = [services.sample_out(s) for s in created]
        return JSONResponse(body, status_code=status.HTTP_201_CREATED)
    if job.status == jobs.FAILED:
        raise services.WebError(job.error_status or 422, job.error or "the file could not be read")
    url = f"/api/jobs/{job.id}"
    return JSONResponse(
        JobOut.model_validate(services.job_record(job)).model_dump(mode="json"),
        status_code=status.HTTP_202_ACCEPTED,
        headers={"Location": url},
    )


@router.post(
    "/samples",
    status_code=status.HTTP_201_CREATED,
    response_model=list[SampleOut],
    responses={
        202: {"model": JobOut, "description": "Queued or being scored: poll the job's url"},
        207: {"model": JobOut, "description": "A zip of which some files could not be read: the others' samples were stored (`samples`), each file left out is in `problems`"},
    },
)
def upload_samples(
    request: Request,
    user: ApiUser,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="A profile in any format gutbalance reads (MetaPhlAn, Kraken2/Bracken, BIOM, ...), optionally gzipped")],
    subject: Annotated[str | None, Form(max_length=128, description="Who the sample(s) came from, for the timeline")] = None,
    collected: Annotated[str | None, Form(max_length=32, description="Collection date, YYYY-MM-DD")] = None,
    feature_rank: Annotated[
        str | None,
        Form(
            max_length=32,
            description="The rank of the file's bare taxon names (a table of genera headed `SampleID, Bacteroides, "
            f"Blautia, ...`): one of {', '.join(RANKS)}. Never guessed: such a table is refused (422) without it. "
            "Lineages and prefixed names (`g__Blautia`) keep their own rank.",
        ),
    ] = None,
    age: Annotated[
        str | None,
        Form(max_length=32, description="The person's age when the sample was taken, a number in `age_unit` (optional). "
             "It changes no score; outside the ages of the healthy reference people the report says so."),
    ] = None,
    age_unit: Annotated[str | None, Form(max_length=16, description="years (default), months or days")] = None,
) -> Response:
    """Queue the file for reading and scoring: all its samples or none, but
    a zip of profiles keeps the samples of the files it could read.

    Answers 201 with the samples when scoring ends within the app's short
    wait, else 202 with the job (``Location`` is its URL; poll
    ``GET /api/jobs/{id}``).  A zip of which some files could not be read
    (truncated, empty, not a profile, negative abundances) answers 207 with
    the job: the samples of the others stored, and per file left out its
    name in the archive and the problem; the job's ``problems`` say the same
    when polled.  413 when the file or its decompressed content is over the
    limits, 422 naming the problem when it cannot be read (for a zip: none
    of its files, or the archive itself), when ``feature_rank`` is no
    rank or ``age`` no age in ``age_unit``, 503 when too many uploads are waiting."""
    job = services.upload(
        session, settings=settings, runner=request.app.state.jobs, owner=user, stream=file.file, filename=file.filename, subject=subject, collected=collected,
        feature_rank=feature_rank, age=age, age_unit=age_unit,
    )
    return _job_response(session, user, job)


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: str, user: ApiUser, session: SessionDep) -> JobOut:
    """An upload's job: ``queued``, ``running``, ``done`` (with its sample ids)
    or ``failed`` (with the error and the HTTP status it stands for).  Another
    user's job is 404."""
    job = crud.get_job(session, owner=user, job_id=job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such job")
    return JobOut.model_validate(services.job_record(job))


@router.get("/samples", response_model=list[SampleSummary])
def list_samples(
    request: Request,
    response: Response,
    user: ApiUser,
    session: SessionDep,
    subject: str | None = None,
    limit: Annotated[int, Query(ge=1, le=services.MAX_SAMPLES_PAGE, description="Samples per page")] = services.SAMPLES_PAGE,
    offset: Annotated[int, Query(ge=0, le=services.MAX_OFFSET, description="Samples of the list to skip")] = 0,
) -> list[SampleSummary]:
    """One page of the caller's samples (optionally of one subject), in a
    stable order: those with a subject first, by subject, then by collection
    date (undated last), upload time, name and id.

    ``X-Total-Count`` says how many samples the whole list holds; ``Link``
    gives the next and previous pages (``rel="next"``, ``rel="prev"``) where
    there are such pages.  Pages do not move unless samples are added or
    deleted meanwhile."""
    page = services.samples_page(session, owner=user, limit=limit, offset=offset, subject=subject)
    response.headers.update(services.page_links(request.url, page))
    return [SampleSummary.model_validate(s) for s in page.items]


@router.get("/subjects", response_model=list[SubjectOut])
def list_subjects(
    request: Request,
    response: Response,
    user: ApiUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=services.MAX_SAMPLES_PAGE, description="Subjects per page")] = services.SAMPLES_PAGE,
    offset: Annotated[int, Query(ge=0, le=services.MAX_OFFSET, description="Subjects of the list to skip")] = 0,
) -> list[SubjectOut]:
    """One page of the subjects the caller named, by name, with the number
    of samples of each; ``X-Total-Count`` and ``Link`` as for ``/api/samples``."""
    page = services.subjects_page(session, owner=user, limit=limit, offset=offset)
    response.headers.update(services.page_links(request.url, page))
    return [SubjectOut(subject=s, samples=n) for s, n in page.items]


@router.get("/samples/{sample_id}", response_model=SampleOut)
def get_sample(sample_id: str, user: ApiUser, session: SessionDep) -> SampleOut:
    """One sample with its scores (404 if it is not the caller's)."""
    sample = _opened(session, user, sample_id, action=crud.VIEW, detail="scores")
    return SampleOut.model_validate(services.sample_out(sample))


@router.patch("/samples/{sample_id}", response_model=SampleOut)
def correct_sample(sample_id: str, correction: SampleCorrection, user: ApiUser, session: SessionDep) -> SampleOut:
    """Correct the sample's subject and/or collection date (a sample
    mislabelled at upload): the fields given change (``null`` or "" clears
    one), the others stay; its scores do not change, its subject's timeline
    follows.  422 for a subject over 128 characters or a date not written
    YYYY-MM-DD; 404 if it is not the caller's."""
    sample = services.correct_sample(
        session, owner=user, sample_id=sample_id, subject=correction.subject, collected=correction.collected, via=_VIA,
        keep={"subject", "collected"} - correction.model_fields_set,
    )
    if sample is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _NOT_FOUND)
    session.commit()
    return SampleOut.model_validate(services.sample_out(sample))


@router.get("/samples/{sample_id}/scores.tsv", response_class=PlainTextResponse)
def get_sample_tsv(sample_id: str, user: ApiUser, session: SessionDep) -> Response:
    """One sample's scores as a TSV file (404 if it is not the caller's)."""
    sample = _opened(session, user, sample_id, action=crud.DOWNLOAD, detail="scores.tsv")
    return PlainTextResponse(services.scores_tsv([sample]), media_type="text/tab-separated-values; charset=utf-8")


@router.get("/samples/{sample_id}/report", response_class=HTMLResponse)
def get_sample_report(sample_id: str, user: ApiUser, session: SessionDep) -> Response:
    """The sample's report as an HTML page."""
    sample = _opened(session, user, sample_id, action=crud.VIEW, detail="report")  # committed: the connection handed back before rendering
    return sample_report(sample, release=session.commit).response()


@router.delete("/samples/{sample_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_sample(sample_id: str, user: ApiUser, session: SessionDep) -> Response:
    """Delete the sample and everything stored with it."""
    if not crud.delete_sample(session, owner=user, sample_id=sample_id, via=_VIA):
        raise HTTPException(status.HTTP_404_NOT_FOUND, _NOT_FOUND)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
