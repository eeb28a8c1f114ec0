"""The JSON API against SQLite and PostgreSQL: accounts, uploads, owner
isolation, atomic uploads, deletion, export and limits."""

from __future__ import annotations

import io
import json
import os
import signal
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

import gutbalance
from gutbalance.io import read_source
from gutbalance.io.source import Source
from gutbalance.web import ingest
from gutbalance.web.models import Job
from tests.helpers import scored
from tests.web.conftest import PASSWORD, count_rows, merged_metaphlan, register, single_profile, upload

XSS = "<img src=x onerror=alert(1)>"


def test_upload_scores_match_the_library(client, app):
    headers = register(client, "alice")
    response = upload(client, headers, single_profile(), subject="P-01", collected="2024-03-05")
    assert response.status_code == 201, response.text
    (created,) = response.json()
    assert created["name"] == "S1"
    assert created["subject"] == "P-01"
    assert created["collected"] == "2024-03-05"

    expected = scored(gutbalance.build_cohort(read_source(Source.from_bytes(single_profile().encode(), name="S1_metaphlan.txt"))))
    stored = client.get(f"/api/samples/{created['id']}", headers=headers).json()["scores"]
    assert set(stored) == set(expected.columns)
    for column, value in expected.iloc[0].items():
        if column in ("diversity_rank", "missing", "warnings"):  # text columns, stored as written
            assert stored[column] == value, column
        elif column == "stool_like":
            assert stored[column] is (None if pd.isna(value) else bool(value))
        elif np.isfinite(value):
            assert stored[column] == pytest.approx(float(value), rel=1e-12), column
        else:
            assert stored[column] is None

    listed = client.get("/api/samples", headers=headers).json()
    assert [s["id"] for s in listed] == [created["id"]]
    assert client.get("/api/subjects", headers=headers).json() == [{"subject": "P-01", "samples": 1}]


def test_stored_profile_rescores_identically(client, app):
    headers = register(client, "alice")
    (created,) = upload(client, headers, single_profile()).json()
    with app.state.sessions() as session:
        from gutbalance.web.models import Sample

        row = session.get(Sample, created["id"])
        profile = ingest.unpack_profile(row.profile)
        assert ingest.score_profile(profile) == row.scores


def test_merged_file_makes_one_sample_each(client, tmp_path):
    headers = register(client, "alice")
    response = upload(client, headers, merged_metaphlan(tmp_path, ["A", "B", "C"]), filename="merged.tsv")
    assert response.status_code == 201, response.text
    assert sorted(s["name"] for s in response.json()) == ["A", "B", "C"]
    assert len({s["id"] for s in response.json()}) == 3


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/samples"),
        ("post", "/api/samples"),
        ("get", "/api/samples/{id}"),
        ("get", "/api/samples/{id}/report"),
        ("get", "/api/samples/{id}/scores.tsv"),
        ("delete", "/api/samples/{id}"),
        ("get", "/api/subjects"),
        ("get", "/api/account"),
        ("get", "/api/account/export"),
        ("delete", "/api/account"),
    ],
)
def test_anonymous_gets_401(client, method, path):
    headers = register(client, "alice")
    (created,) = upload(client, headers, single_profile()).json()
    response = client.request(method, path.format(id=created["id"]))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    # and the sample is untouched
    assert client.get(f"/api/samples/{created['id']}", headers=headers).status_code == 200


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "eyJzdWIiOiJ4In0.c2ln",
        "",
    ],
)
def test_bad_tokens_get_401(client, token):
    response = client.get("/api/samples", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_tokens_are_bound_to_secret_audience_time_and_a_live_session(client, app):
    from gutbalance.web.core.security import make_token, new_session_id, read_token

    register(client, "alice")
    token = client.post("/api/login", json={"username": "alice", "password": PASSWORD}).json()["access_token"]
    secret = app.state.settings.secret
    sid = read_token(secret, token, audience="api")
    assert sid
    good = make_token(secret, session_id=sid, audience="api", lifetime=60)
    assert client.get("/api/samples", headers={"Authorization": f"Bearer {good}"}).status_code == 200
    for forged in (
        make_token(b"another secret", session_id=sid, audience="api", lifetime=60),
        make_token(secret, session_id=sid, audience="session", lifetime=60),  # a cookie is not an API token
        make_token(secret, session_id=sid, audience="api", lifetime=60, now=0),  # expired
        make_token(secret, session_id=new_session_id(), audience="api", lifetime=60),  # no such session
    ):
        assert client.get("/api/samples", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_other_users_sample_is_404(client, app):
    alice = register(client, "alice")
    bob = register(client, "bob")
    (sample,) = upload(client, alice, single_profile()).json()
    for method, path in [
        ("get", f"/api/samples/{sample['id']}"),
        ("get", f"/api/samples/{sample['id']}/report"),
        ("get", f"/api/samples/{sample['id']}/scores.tsv"),
        ("delete", f"/api/samples/{sample['id']}"),
    ]:
        response = client.request(method, path, headers=bob)
        assert response.status_code == 404, (method, path)
    assert client.get("/api/samples", headers=bob).json() == []
    assert "profiles/" not in str(zipfile.ZipFile(io.BytesIO(client.get("/api/account/export", headers=bob).content)).namelist())
    assert count_rows(app)["samples"] == 1
    assert client.get(f"/api/samples/{sample['id']}", headers=alice).status_code == 200


def _cpu_ticks(pid: int) -> int:
    """The CPU time a process has used, in clock ticks (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _settled_ticks(pid: int) -> int:
    """The CPU ticks of a process once it has stopped using CPU (idle for 0.3 s)."""
    ticks = _cpu_ticks(pid)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = _cpu_ticks(pid)
        if now == ticks:
            return ticks
        ticks = now
    raise AssertionError("the worker never became idle")


def test_a_worker_that_dies_mid_upload_leaves_nothing(client, app, tmp_path):
    """The worker scoring a file is killed (as the kernel does when memory
    runs out): the upload fails with a message, nothing is stored, and the
    next upload gets a new worker.

    The kill must come while the worker is scoring: not while it warms up
    (that is a failed start, 503) and not after it finished (201).  So the
    workers are started and idle first, and the one whose CPU time starts to
    rise once the job runs is killed; scoring the 1,000 samples takes it
    about a second, far longer than the 20 ms between looks."""
    from gutbalance.web import jobs

    headers = register(client, "alice")
    pool = jobs.shared_pool(app.state.settings)
    pool.prestart()
    idle = {worker.process.pid: _settled_ticks(worker.process.pid) for worker in pool.workers if worker.process is not None}
    assert idle, "no worker started"
    big = merged_metaphlan(tmp_path, [f"S{i}" for i in range(app.state.settings.upload_max_samples)])
    with ThreadPoolExecutor(1) as executor:
        future = executor.submit(upload, client, headers, big, filename="merged.tsv")
        busy = None
        deadline = time.monotonic() + 120
        while busy is None and time.monotonic() < deadline and not future.done():
            busy = next((pid for pid, ticks in idle.items() if _cpu_ticks(pid) > ticks + 1), None)
            time.sleep(0.02)
        assert busy is not None, "no worker started scoring the upload"
        os.kill(busy, signal.SIGKILL)
        response = future.result(timeout=120)
    assert response.status_code == 413
    assert "worker reading the file stopped" in response.json()["detail"]
    assert count_rows(app)["samples"] == 0
    with app.state.sessions() as session:
        (job,) = session.scalars(select(Job)).all()
        assert job.status == jobs.FAILED
        assert job.upload is None
    assert upload(client, headers, single_profile()).status_code == 201


def test_storage_failure_after_the_first_row_leaves_nothing(client, app, tmp_path, monkeypatch):
    """The failure comes while storing: the first sample's row is already
    flushed to the database when storing fails."""
    from gutbalance.web import crud

    headers = register(client, "alice")
    real_add = crud.add_scored_samples
    flushed = []

    def add_then_fail(session, **kwargs):
        flushed.extend(real_add(session, **{**kwargs, "scored": kwargs["scored"][:1]}))
        raise OSError("storage failed at /srv/secret/path")

    monkeypatch.setattr(crud, "add_scored_samples", add_then_fail)
    response = upload(client, headers, merged_metaphlan(tmp_path, ["A", "B", "C"]), filename="merged.tsv")
    assert len(flushed) == 1
    assert response.status_code == 500
    assert "storage failed" not in response.text
    assert "/srv/secret" not in response.text
    assert "Traceback" not in response.text
    assert count_rows(app)["samples"] == 0
    assert client.get("/api/samples", headers=headers).json() == []

    monkeypatch.setattr(crud, "add_scored_samples", real_add)
    assert upload(client, headers, merged_metaphlan(tmp_path, ["A", "B", "C"]), filename="merged.tsv").status_code == 201
    assert count_rows(app)["samples"] == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary\x00" * 10, "binary"),
        (b"<html><body>a web page</body></html>\n", "bad.txt"),
        (b"#clade_name\tNCBI_tax_id\trelative_abundance\nk__Bacteria\t2\t-5\n", "negative"),
    ],
)
def test_unreadable_upload_is_422_and_leaves_nothing(client, app, content, message):
    headers = register(client, "alice")
    response = upload(client, headers, content, filename="bad.txt")
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert count_rows(app)["samples"] == 0


def test_metadata_sheet_uploaded_as_a_profile_is_told_what_it_is(client, app):
    headers = register(client, "alice")
    sheet = b"Sample\tSubject\tStudy.Group\tAge\nPRISM.7122\tPRISM.7122\tCD\t38\n"
    response = upload(client, headers, sheet, filename="metadata.tsv")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "a table of sample metadata (columns Subject, Study.Group, Age), not a profile" in detail
    assert "--metadata" not in detail  # the command line's way, not the web app's
    assert "sample sheet of a zip" in detail
    assert count_rows(app)["samples"] == 0


def test_concurrent_uploads_do_not_interfere(client, app, tmp_path):
    users = {name: register(client, name) for name in ("alice", "bob")}
    merged = merged_metaphlan(tmp_path, ["A", "B"])
    results: list[tuple[str, int, list]] = []
    lock = threading.Lock()

    def work(name: str, index: int) -> None:
        response = upload(client, users[name], merged, filename="merged.tsv", subject=f"{name}-{index}")
        with lock:
            results.append((name, response.status_code, response.json()))

    threads = [threading.Thread(target=work, args=(name, i)) for name in users for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [code for _, code, _ in results] == [201] * 8
    for name, headers in users.items():
        listed = client.get("/api/samples", headers=headers).json()
        assert len(listed) == 8
        assert {s["subject"] for s in listed} == {f"{name}-{i}" for i in range(4)}
    assert count_rows(app)["samples"] == 16


def test_delete_really_deletes(client, app):
    headers = register(client, "alice")
    (sample,) = upload(client, headers, single_profile()).json()
    (keep,) = upload(client, headers, single_profile()).json()
    assert client.delete(f"/api/samples/{sample['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/samples/{sample['id']}", headers=headers).status_code == 404
    assert client.delete(f"/api/samples/{sample['id']}", headers=headers).status_code == 404
    with app.state.sessions() as session:
        from gutbalance.web.models import Sample

        assert session.get(Sample, sample["id"]) is None
        assert session.get(Sample, keep["id"]) is not None


def test_account_deletion_removes_user_and_samples(client, app, tmp_path):
    alice = register(client, "alice")
    bob = register(client, "bob")
    upload(client, alice, merged_metaphlan(tmp_path, ["A", "B"]), filename="merged.tsv")
    upload(client, bob, single_profile())
    assert client.request("DELETE", "/api/account", headers=alice, json={"password": "wrong password"}).status_code == 403
    assert count_rows(app) == {"users": 2, "samples": 3}
    assert client.request("DELETE", "/api/account", headers=alice, json={"password": PASSWORD}).status_code == 204
    assert count_rows(app) == {"users": 1, "samples": 1}
    assert client.get("/api/samples", headers=alice).status_code == 401
    assert client.post("/api/login", json={"username": "alice", "password": PASSWORD}).status_code == 401
    # the name is free again, and the new account sees nothing of the old one
    fresh = register(client, "alice")
    assert client.get("/api/samples", headers=fresh).json() == []


def test_export_holds_everything(client):
    headers = register(client, "alice")
    (sample,) = upload(client, headers, single_profile(), subject="P-01").json()
    response = client.get("/api/account/export", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == sorted(["account.json", "samples.json", "scores.tsv", f"profiles/{sample['id']}.json"])
    assert json.loads(archive.read("account.json"))["username"] == "alice"
    (record,) = json.loads(archive.read("samples.json"))
    assert record["id"] == sample["id"]
    assert record["subject"] == "P-01"
    assert record["scores"] == sample["scores"]
    profile = json.loads(archive.read(f"profiles/{sample['id']}.json"))
    assert profile["sample"] == "S1"
    assert len(profile["lineages"]) == len(profile["abundance"]) > 8
    assert archive.read("scores.tsv").decode().splitlines()[0].split("\t")[:4] == ["id", "sample", "subject", "collected"]


def test_register_refuses_duplicates_and_bad_input(client):
    register(client, "alice")
    assert client.post("/api/register", json={"username": "ALICE", "password": PASSWORD}).status_code == 409
    assert client.post("/api/register", json={"username": "al", "password": PASSWORD}).status_code == 422
    assert client.post("/api/register", json={"username": "carol", "password": "short"}).status_code == 422
    response = client.post("/api/register", json={"username": XSS, "password": PASSWORD})
    assert response.status_code == 422
    assert XSS not in response.text


def test_passwords_are_stored_as_argon2(client, app):
    register(client, "alice")
    with app.state.sessions() as session:
        from gutbalance.web import crud

        stored = crud.get_user_by_name(session, username="alice").password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_default_password_cost_is_owasp_minimum():
    from gutbalance.web.core.security import PasswordHashing

    hashing = PasswordHashing(concurrency=1)
    stored = hashing.hash(PASSWORD)
    assert "$m=19456,t=2,p=1$" in stored
    assert hashing.verify(stored, PASSWORD)
    assert not hashing.verify(stored, PASSWORD + "!")
    assert not hashing.verify(None, PASSWORD)


def test_openapi_schema_lists_the_api(client):
    schema = client.get("/openapi.json").json()
    for path, methods in {
        "/api/register": {"post"},
        "/api/login": {"post"},
        "/api/samples": {"get", "post"},
        "/api/samples/{sample_id}": {"get", "delete"},
        "/api/samples/{sample_id}/report": {"get"},
        "/api/account": {"get", "delete"},
        "/api/account/export": {"get"},
    }.items():
        assert methods <= set(schema["paths"][path]), path
    assert not any(p.startswith(("/samples", "/login")) for p in schema["paths"]), "pages stay out of the API schema"


def test_migrations_match_the_models(client, app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from gutbalance.web.models import Base

    with app.state.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_report_is_the_report_modules_page_with_a_strict_csp(client):
    import base64
    import hashlib
    import re

    headers = register(client, "alice")
    (sample,) = upload(client, headers, single_profile(), subject="P-01").json()
    response = client.get(f"/api/samples/{sample['id']}/report", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "S1" in html
    assert "/subject?name=P-01" in html
    (style,) = re.findall(r"<style[^>]*>(.*?)</style>", html, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    csp = response.headers["content-security-policy"]
    assert f"'sha256-{digest}'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert " style=" not in html


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_of_real_profiles_is_one_upload_of_their_samples(client, shared_data):
    """A clinic zips a folder of profiler outputs (here 6 kefir MetaPhlAn 3
    profiles, in a folder, with the files macOS adds): one sample per file,
    each scored exactly as that file uploaded alone, its source the member.
    It used to be refused as 'not a recognised profile format'."""
    folder = shared_data / "profiles" / "kefir_metaphlan3"
    files = sorted(folder.glob("Subj00*_metaphlan3.txt"))[:6]
    assert len(files) == 6
    members = {f"kefir/{f.name}": f.read_bytes() for f in files}
    members |= {"kefir/.DS_Store": b"\x00\x01binary", "__MACOSX/kefir/._x.txt": b"\x00\x05"}
    alice = register(client, "alice")
    response = upload(client, alice, zip_of(members), filename="clinic.zip", subject="", collected="")
    assert response.status_code == 201, response.text
    samples = response.json()
    assert [s["name"] for s in samples] == [f.name.removesuffix("_metaphlan3.txt") for f in files]
    assert [s["source_file"] for s in samples] == [f"clinic.zip/kefir/{f.name}" for f in files]
    alone = upload(client, alice, files[2].read_bytes(), filename=files[2].name)
    assert alone.status_code == 201, alone.text
    assert alone.json()[0]["scores"] == samples[2]["scores"]


@pytest.mark.parametrize(
    ("members", "status", "message"),
    [
        ({"notes.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>\n"}, 422,
         "none of the 1 files in the zip archive could be read as a profile (notes.svg: not a recognised profile format"),
        ({"inner.zip": zip_of({"S1.txt": b"k__Bacteria\t100.0\n"})}, 422, "member 'inner.zip' is itself a zip archive"),
        ({".DS_Store": b"x", "empty/": b""}, 422, "the zip archive holds no profiles"),
        ({"S1.txt": b"k__Bacteria\t100\n" + b"0" * (3 * 1024 * 1024)}, 413, "refusing a possible archive bomb"),
    ],
    ids=["not-a-profile", "nested", "nothing", "bomb"],
)
def test_a_zip_that_cannot_be_read_names_the_member(client, members, status, message):
    alice = register(client, "alice")
    response = upload(client, alice, zip_of(members), filename="clinic.zip")
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]
    assert "--format" not in response.json()["detail"]  # the command line's way out, not the web app's
    assert client.get("/api/samples", headers=alice).json() == []


@pytest.mark.parametrize(
    ("sheet", "message"),
    [
        ("sample\tsubject\nS9\tP-01\n", "kefir.zip/samples.tsv, line 2, field 'sample': no sample 'S9' in the upload"),
        ("sample\tcollected\nS1\t05/03/2024\n", "kefir.zip/samples.tsv, line 2, field 'collected': '05/03/2024' is not a date written YYYY-MM-DD"),
        ("sample\tsubject\nS1\tP-01\nS1\tP-02\n", "line 3, field 'sample': sample 'S1' is listed twice"),
        ("sample\tsubject\nS1\tP\x1b01\n", "line 2, field 'subject': a subject has at most 128 characters and no control characters"),
    ],
    ids=["unknown-sample", "bad-date", "twice", "control-character"],
)
def test_a_sample_sheet_that_is_wrong_names_its_line_and_field(client, sheet, message):
    alice = register(client, "alice")
    members = {"S1.txt": single_profile().encode(), "samples.tsv": sheet.encode()}
    response = upload(client, alice, zip_of(members), filename="kefir.zip")
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    assert client.get("/api/samples", headers=alice).json() == []
