"""Uploads off the request path (issue 15 item 1): bombs and line floods
refused while the upload streams in, jobs in the database that the API and
the pages poll, worker processes with a time limit, the sweep that runs jobs
left by another server process, and reports from stored contributions."""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from gutbalance.errors import GutBalanceError
from gutbalance.io.source import HDF5_MAGIC, InputLimits
from gutbalance.web import jobs
from gutbalance.web.models import Job, Sample, User, utcnow
from tests.bombs import gzip_bomb, qza_bomb
from tests.helpers import SMALL_COMMUNITY, metaphlan_text
from tests.web.conftest import (
    CHEAP_HASHING,
    WAIT_FOR_SCORING,
    count_rows,
    merged_metaphlan,
    register,
    single_profile,
    upload,
)
from tests.web.test_pages import csrf_of, page_register

NO_WAIT = {**CHEAP_HASHING, "upload_wait_seconds": 0.0}


def poll(client, headers, url: str, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        if response.json()["status"] in jobs.FINISHED:
            return response.json()
        time.sleep(0.1)
    raise AssertionError(f"{url} did not finish in {seconds} s")


def jobs_in(app) -> list[Job]:
    with app.state.sessions() as session:
        return list(session.scalars(select(Job)))


@pytest.mark.parametrize("settings_overrides", [NO_WAIT])
def test_an_upload_is_accepted_and_polled(client, app, settings_overrides):
    alice = register(client, "alice")
    response = upload(client, alice, single_profile(), subject="P-01")
    assert response.status_code == 202
    job = response.json()
    assert response.headers["location"] == job["url"] == f"/api/jobs/{job['id']}"
    assert job["status"] in ("queued", "running", "done")
    finished = poll(client, alice, job["url"])
    assert finished["status"] == "done"
    assert finished["error"] is None
    (sample_id,) = finished["samples"]
    sample = client.get(f"/api/samples/{sample_id}", headers=alice).json()
    assert sample["subject"] == "P-01"
    assert sample["scores"]["immune_support"] is not None
    # the job belongs to its owner alone; the uploaded bytes are gone once it ended
    bob = register(client, "bob")
    assert client.get(job["url"], headers=bob).status_code == 404
    assert client.get(job["url"]).status_code == 401
    (stored,) = jobs_in(app)
    assert stored.upload is None
    assert stored.status == "done"


@pytest.mark.parametrize("settings_overrides", [NO_WAIT])
def test_a_failed_job_says_why(client, settings_overrides):
    alice = register(client, "alice")
    response = upload(client, alice, b"#clade_name\tNCBI_tax_id\trelative_abundance\nk__Bacteria\t2\t-5\n", filename="neg.txt")
    assert response.status_code == 202
    finished = poll(client, alice, response.json()["url"])
    assert finished["status"] == "failed"
    assert finished["error_status"] == 422
    assert "negative" in finished["error"]
    assert finished["samples"] == []


def test_bombs_are_refused_while_streaming_and_never_queued(client, app):
    """The issue's bombs, eight at once: each refused from the request (no
    job, no worker), within the upload limits' cap on expanded bytes."""
    alice = register(client, "alice")
    bombs = [
        ("zeros.txt.gz", gzip_bomb(2100), 422, "binary content"),
        ("table.biom.gz", gzip_bomb(2100, prefix=HDF5_MAGIC), 413, "expands more than 100:1"),
        ("table.qza", qza_bomb(), 413, "over the limit of 209,715,200"),
        ("text.txt.gz", gzip_bomb(2100, byte=b"0"), 413, "expands beyond the limit of 209,715,200 bytes"),
    ]
    with ThreadPoolExecutor(8) as executor:
        responses = list(executor.map(lambda b: upload(client, alice, b[1], filename=b[0]), bombs * 2))
    for (name, _, status, message), response in zip(bombs * 2, responses, strict=True):
        assert response.status_code == status, (name, response.text)
        assert message in response.json()["detail"], name
    assert jobs_in(app) == []


def test_a_flood_of_lines_is_refused_before_parsing(client, app):
    """The issue's 11.8 MB gzip of 1.18 M MetaPhlAn lines (201 after 142 s
    and 5.9 GB before): refused by the line limit while it streams."""
    alice = register(client, "alice")
    head = metaphlan_text(SMALL_COMMUNITY)
    lines = "".join(f"k__Bacteria|p__Firmicutes|c__C|o__O|f__F|g__G{i // 50}|s__G{i // 50}_sp{i}\t0.00001\n" for i in range(1_180_000))
    data = gzip.compress((head + lines).encode(), compresslevel=6)
    assert len(data) < 20 * 1024**2
    response = upload(client, alice, data, filename="flood.txt.gz")
    assert response.status_code == 422
    assert "more than 200,000 lines" in response.json()["detail"]
    assert jobs_in(app) == []


@pytest.mark.parametrize("settings_overrides", [{**CHEAP_HASHING, **WAIT_FOR_SCORING, "upload_max_samples": 2}])
def test_too_many_samples_is_422(client, app, tmp_path, settings_overrides):
    alice = register(client, "alice")
    response = upload(client, alice, merged_metaphlan(tmp_path, ["A", "B", "C"]), filename="merged.tsv")
    assert response.status_code == 422
    # what to do about it, too (the bioBakery HMP2 table of 1,595 samples meets the default 1,000)
    assert "3 samples, over the limit of 2 per file; split it into files of at most 2 samples" in response.json()["detail"]
    assert count_rows(app)["samples"] == 0


@pytest.mark.parametrize("settings_overrides", [{**CHEAP_HASHING, "upload_wait_seconds": 120.0, "worker_seconds": 0.05}])
def test_a_job_over_the_time_limit_fails_and_its_worker_is_replaced(client, app, tmp_path, settings_overrides):
    # 1,000 samples take a worker far over 0.05 s on any machine (reading and
    # scoring cost about 1 ms a sample on this 2-core machine: a CI machine
    # 20 times faster would still exceed the limit)
    alice = register(client, "alice")
    response = upload(client, alice, merged_metaphlan(tmp_path, [f"S{i}" for i in range(1000)]), filename="merged.tsv")
    assert response.status_code == 422
    assert "took longer than 0.05 s" in response.json()["detail"]
    assert count_rows(app)["samples"] == 0
    # the next worker starts afresh (its warm-up does not count against the
    # job); given time enough that a busy machine cannot fail it
    app.state.jobs.settings = dataclasses.replace(app.state.jobs.settings, worker_seconds=120)
    assert upload(client, alice, single_profile()).status_code == 201


def test_the_sweep_runs_jobs_another_process_left(client, app):
    """A job queued by a server process that went away, and one that was
    running when its process died, are done by this process's sweep."""
    alice = register(client, "alice")
    with app.state.sessions() as session:
        owner = session.scalar(select(User))
        old = utcnow() - timedelta(seconds=app.state.settings.worker_seconds + jobs.START_SECONDS + 60)
        queued = Job(owner_id=owner.id, upload=single_profile().encode(), filename="a.txt", created_at=old, status="queued")
        running = Job(
            owner_id=owner.id, upload=single_profile().encode(), filename="b.txt", created_at=old, started_at=old, status="running", attempts=1
        )
        session.add_all([queued, running])
        session.commit()
        ids = [queued.id, running.id]
    app.state.jobs.sweep()
    for job_id in ids:
        assert poll(client, alice, f"/api/jobs/{job_id}")["status"] == "done"
    assert count_rows(app)["samples"] == 2


def test_the_report_uses_the_stored_contributions(client, app, monkeypatch):
    from gutbalance.web import reporting

    alice = register(client, "alice")
    (created,) = upload(client, alice, single_profile()).json()
    with app.state.sessions() as session:
        assert session.get(Sample, created["id"]).contributions is not None

    def no_rescoring(cohort):
        raise AssertionError("the report scored the sample again")

    monkeypatch.setattr(reporting._scores, "contributions", no_rescoring)
    response = client.get(f"/api/samples/{created['id']}/report", headers=alice)
    assert response.status_code == 200
    assert "Faecalibacterium" in response.text


@pytest.mark.parametrize("settings_overrides", [NO_WAIT])
def test_the_upload_page_says_scoring_and_reloads_without_script(client, app, settings_overrides):
    page_register(client)
    page = client.get("/samples")
    response = client.post(
        "/samples/upload",
        data={"csrf_token": csrf_of(page.text)},
        files={"file": ("S1_metaphlan.txt", single_profile())},
        follow_redirects=False,
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert re.fullmatch(r"/uploads/[0-9a-f]{32}", location)
    seen_scoring = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        page = client.get(location, follow_redirects=False)
        if page.status_code == 303:
            break
        assert page.status_code == 200
        assert "Scoring…" in page.text
        assert '<meta http-equiv="refresh" content="2">' in page.text
        assert "<script>" not in page.text
        seen_scoring = True
        time.sleep(0.1)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/samples/")
    assert client.get(page.headers["location"]).status_code == 200
    assert seen_scoring or jobs_in(app)[0].status == "done"
    # another user's upload page is 404
    client.cookies.clear()
    page_register(client, "mallory")
    assert client.get(location).status_code == 404


@pytest.mark.parametrize("settings_overrides", [NO_WAIT])
def test_account_deletion_deletes_jobs(client, app, settings_overrides):
    alice = register(client, "alice")
    upload(client, alice, single_profile())
    response = client.request("DELETE", "/api/account", headers=alice, json={"password": "correct horse battery"})
    assert response.status_code == 204
    time.sleep(0.5)
    assert jobs_in(app) == []
    assert count_rows(app)["samples"] == 0


def test_workers_run_under_their_memory_limit():
    """RLIMIT_AS is in force in a worker: a file that needs more memory than
    its limit fails with 413 (MemoryError in the worker, not in the server),
    and the worker is replaced for the next job.  (The limit counts the
    address space the worker starts with, about 0.6 GB of imported libraries.)"""
    pool = jobs.WorkerPool(1, 300 * 1024**2)
    text_bomb = gzip_bomb(190, byte=b"0")  # ratio 990, no newline: within 200 MB expanded
    try:
        with pytest.raises(jobs.WorkerFailure) as failure:
            pool.run(text_bomb, "big.txt.gz", InputLimits(max_expanded_bytes=200 * 1024**2), 120)
        assert failure.value.status == 413
        assert "needs more than the 0.3 GB an upload may use" in failure.value.message
        assert pool.run(single_profile().encode(), "S1.txt", InputLimits(), 120).samples[0].scores["immune_support"] is not None
    finally:
        pool.close()


def test_workers_start_with_the_warm_caches_of_their_fork_server():
    """The fork server warms up once (``gutbalance.web.forkserver_preload``)
    and each worker forked from it starts with the readers, tables, reference
    and report templates loaded, instead of loading them itself while the
    first upload after the server starts waits (seconds per worker)."""
    pool = jobs.WorkerPool(2, 2 * 1024**3)
    try:
        pool.prestart()
        assert [worker.process is not None for worker in pool.workers] == [True, True]
        assert [worker.started_warm for worker in pool.workers] == [True, True]
        assert pool.run(single_profile().encode(), "S1.txt", InputLimits(), 120).samples[0].scores["immune_support"] is not None
    finally:
        pool.close()


def test_finished_jobs_expire_after_their_keep_time(client, app):
    """Finished jobs are deleted by the sweep once older than job_keep_seconds
    (their samples stay); unfinished and recent ones are kept."""
    register(client, "alice")
    keep = app.state.settings.job_keep_seconds
    now = utcnow()
    with app.state.sessions() as session:
        owner = session.scalar(select(User))
        rows = {
            "old done": Job(owner_id=owner.id, filename="a", status="done", sample_ids=[], finished_at=now - timedelta(seconds=keep + 60)),
            "old failed": Job(owner_id=owner.id, filename="b", status="failed", error="x", finished_at=now - timedelta(seconds=keep + 60)),
            "recent done": Job(owner_id=owner.id, filename="c", status="done", sample_ids=[], finished_at=now - timedelta(seconds=keep - 60)),
            "running": Job(owner_id=owner.id, filename="d", status="running", upload=b"x", started_at=now, created_at=now),
        }
        session.add_all(rows.values())
        session.commit()
        ids = {name: job.id for name, job in rows.items()}
    app.state.jobs.sweep()
    with app.state.sessions() as session:
        left = {job.id for job in session.scalars(select(Job))}
    assert left == {ids["recent done"], ids["running"]}


def test_uploads_scored_together_equal_each_scored_alone(tmp_path):
    """A worker scores queued uploads in one batch: every sample's scores and
    contributions are the same bytes as when its upload is scored alone, and
    an unreadable upload fails alone.  On real profiles where they are present."""
    from gutbalance import example_path
    from gutbalance.io.source import InputLimits
    from gutbalance.web import ingest
    from tests.conftest import SHARED

    files = sorted(p for p in example_path().iterdir() if p.suffix == ".txt")
    shared = SHARED / "profiles" / "kefir_metaphlan3"
    files += sorted(shared.glob("*.txt"))[:12] if shared.is_dir() else []
    uploads = [(p.read_bytes(), p.name, InputLimits()) for p in files]
    uploads.insert(2, (b"not a profile\n", "junk.txt", InputLimits()))
    uploads.append((merged_metaphlan(tmp_path, ["A", "B", "A2"]), "merged.tsv", InputLimits()))
    together = ingest.score_uploads(uploads)
    assert isinstance(together[2], GutBalanceError)
    for (data, name, limits), batch in zip(uploads, together, strict=True):
        if name == "junk.txt":
            continue
        alone = ingest.score_upload(data, filename=name, limits=limits)
        assert batch.problems == []
        assert [s.name for s in batch.samples] == [s.name for s in alone]
        for a, b in zip(alone, batch.samples, strict=True):
            assert json.dumps(a.scores) == json.dumps(b.scores), name
            assert a.contributions == b.contributions, name
            assert a.profile == b.profile, name


def test_a_batch_that_fails_as_a_whole_is_retried_one_upload_at_a_time():
    """One upload that kills its batch's worker (over the memory limit) fails
    alone; the other uploads of the batch are scored."""
    pool = jobs.WorkerPool(1, 300 * 1024**2)
    text_bomb = gzip_bomb(190, byte=b"0")
    try:
        good = (single_profile().encode(), "S1.txt", InputLimits())
        results = pool.run_batch([good, (text_bomb, "big.txt.gz", InputLimits(max_expanded_bytes=200 * 1024**2)), good], 120)
        assert isinstance(results[1], jobs.WorkerFailure)
        assert results[1].status == 413
        assert results[0].samples[0].scores == results[2].samples[0].scores
        assert results[0].samples[0].scores["immune_support"] is not None
    finally:
        pool.close()


def _wait_for_page(sample_id: str, seconds: float = 60, *, subject: str = ""):
    from datetime import date

    from gutbalance.web import reporting

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page = reporting._rendered.get((sample_id, date.today().isoformat(), subject))
        if page is not None:
            return page
        time.sleep(0.05)
    raise AssertionError(f"no report of {sample_id} was kept within {seconds} s")


def test_the_worker_renders_the_report_the_server_would(client, app, tmp_path):
    """The page a worker renders once the upload is stored is the page the
    server renders from the stored sample, byte for byte, headers included;
    the server then serves it without rendering."""
    from gutbalance.web import reporting

    alice = register(client, "alice")
    content = merged_metaphlan(tmp_path, ["S1", "S2"])
    created = upload(client, alice, content, filename="merged.tsv", subject="P-01").json()
    assert len(created) == 2
    prerendered_pages = [_wait_for_page(sample["id"], subject="P-01") for sample in created]
    for sample, prerendered in zip(created, prerendered_pages, strict=True):
        reporting.remember(sample["id"], prerendered)
        served = client.get(f"/api/samples/{sample['id']}/report", headers=alice)
        assert served.status_code == 200
        assert served.content == zlib.decompress(prerendered.compressed)
        reporting._rendered.clear()
        again = client.get(f"/api/samples/{sample['id']}/report", headers=alice)
        assert again.content == served.content
        for header in ("content-type", "content-security-policy", "content-length"):
            assert again.headers[header] == served.headers[header]
        assert 'href="/subject?name=P-01"' in served.text  # the subject's timeline link, known to the worker from the job


def test_a_kept_report_is_never_served_to_another_user_or_after_deletion(client, app):
    alice = register(client, "alice")
    bob = register(client, "bob")
    (created,) = upload(client, alice, single_profile()).json()
    _wait_for_page(created["id"])
    assert client.get(f"/api/samples/{created['id']}/report", headers=bob).status_code == 404
    assert client.delete(f"/api/samples/{created['id']}", headers=alice).status_code == 204
    assert client.get(f"/api/samples/{created['id']}/report", headers=alice).status_code == 404


def test_the_report_cache_keeps_to_its_byte_budget():
    from gutbalance.web.reporting import RenderedReport, _RenderedReports

    pages = [RenderedReport.of(f"<html><style>p{{}}</style>{i}{'x' * 1000}</html>", day="2026-01-01") for i in range(4)]
    size = len(pages[0].compressed)
    cache = _RenderedReports(max_bytes=3 * size)
    for i, page in enumerate(pages[:3]):
        cache.put((str(i), page.day), page)
    assert cache.get(("0", "2026-01-01")) is pages[0]  # now the most recently read
    cache.put(("3", "2026-01-01"), pages[3])
    assert cache.get(("1", "2026-01-01")) is None  # the least recently read went
    assert [cache.get((str(i), "2026-01-01")) for i in (0, 2, 3)] == [pages[0], pages[2], pages[3]]
    assert pages[3].html().endswith("3" + "x" * 1000 + "</html>")
    assert "'sha256-" in pages[3].csp


def test_a_report_is_the_same_bytes_whatever_was_rendered_before():
    """Chart ids are numbered per page, so a stored sample's report does not
    depend on what the process (a server, a worker) rendered before it."""
    from gutbalance.web import ingest, reporting

    (first,) = ingest.score_upload(single_profile().encode(), filename="S1.txt")
    (other,) = ingest.score_upload(metaphlan_text({**SMALL_COMMUNITY}).encode(), filename="S2.txt")
    page = reporting.prerender(first, "P-01").html()
    reporting.prerender(other, None)
    again = reporting.prerender(first, "P-01").html()
    assert again == page
    assert 'id="c1t"' in page
