"""A clinic corrects a mislabelled sample's subject and collection date after
upload (``PATCH /api/samples/{id}``, the form on the sample page): the
scores stay, the subject's list, timeline and report link follow, on SQLite
and PostgreSQL, and migration 0007 goes up and down on both."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from gutbalance.web.db import make_engine
from tests.web.conftest import PASSWORD, register, upload
from tests.web.test_declared_rank_page import SAMPLES, USERS, _alembic
from tests.web.test_pages import csrf_of

KEFIR = "profiles/kefir_metaphlan3"
VISITS = (("Subj001_time1_S1_metaphlan3.txt", "2024-01-10"), ("Subj001_time2_S2_metaphlan3.txt", "2024-03-05"))
MISLABELLED = "Subj003_time1_S3_metaphlan3.txt"


def _upload_visits(client, shared_data, headers) -> tuple[list[dict], dict]:
    """P-01's two visits, and a third sample of P-01 uploaded as P-02 with a wrong date."""
    visits = [upload(client, headers, (shared_data / KEFIR / name).read_bytes(), filename=name, subject="P-01", collected=day).json()[0]
              for name, day in VISITS]
    wrong = upload(client, headers, (shared_data / KEFIR / MISLABELLED).read_bytes(), filename=MISLABELLED,
                   subject="P-02", collected="2014-02-02").json()[0]
    return visits, wrong


def _subject_names(client, headers, subject: str) -> list[str]:
    return [s["name"] for s in client.get("/api/samples", params={"subject": subject}, headers=headers).json()]


def test_the_api_corrects_subject_and_date_and_the_timeline_follows(client, shared_data):
    headers = register(client, "clinic")
    visits, wrong = _upload_visits(client, shared_data, headers)
    assert _subject_names(client, headers, "P-01") == ["Subj001_time1_S1", "Subj001_time2_S2"]

    fixed = client.patch(f"/api/samples/{wrong['id']}", json={"subject": "P-01", "collected": "2024-02-01"}, headers=headers)
    assert fixed.status_code == 200, fixed.text
    body = fixed.json()
    assert (body["subject"], body["collected"]) == ("P-01", "2024-02-01")
    assert (body["uploaded_subject"], body["uploaded_collected"]) == ("P-02", "2014-02-02")
    assert body["corrected_at"] is not None
    assert body["scores"] == wrong["scores"]  # the scores are the file's
    assert body["read_warnings"] == wrong["read_warnings"]
    # in its place by date, and P-02 is gone
    assert _subject_names(client, headers, "P-01") == ["Subj001_time1_S1", "Subj003_time1_S3", "Subj001_time2_S2"]
    assert [s["subject"] for s in client.get("/api/subjects", headers=headers).json()] == ["P-01"]
    assert client.get(f"/api/samples/{wrong['id']}", headers=headers).json()["subject"] == "P-01"

    # a field left out stays; null clears; the values it was uploaded with stay those of the upload
    only_date = client.patch(f"/api/samples/{wrong['id']}", json={"collected": None}, headers=headers).json()
    assert (only_date["subject"], only_date["collected"]) == ("P-01", None)
    assert (only_date["uploaded_subject"], only_date["uploaded_collected"]) == ("P-02", "2014-02-02")
    assert _subject_names(client, headers, "P-01")[-1] == "Subj003_time1_S3"  # undated last
    assert client.patch(f"/api/samples/{visits[0]['id']}", json={}, headers=headers).json()["corrected_at"] is None


def test_a_correction_is_checked_and_permissioned_like_an_upload(client, shared_data):
    alice = register(client, "alice")
    bob = register(client, "bob")
    _, wrong = _upload_visits(client, shared_data, alice)
    url = f"/api/samples/{wrong['id']}"

    bad_date = client.patch(url, json={"collected": "05/03/2024"}, headers=alice)
    assert bad_date.status_code == 422
    assert bad_date.json()["detail"] == "the collection date must be written YYYY-MM-DD"
    # a date in the right form that the calendar lacks was told to be written in that form
    no_such_day = client.patch(url, json={"collected": "2024-02-30"}, headers=alice)
    assert no_such_day.json()["detail"] == "the collection date is not a day of the calendar (YYYY-MM-DD)"
    future = client.patch(url, json={"collected": "2999-01-01"}, headers=alice)
    assert (future.status_code, future.json()["detail"]) == (422, "the collection date lies in the future")
    assert client.patch(url, json={"subject": "x" * 129}, headers=alice).status_code == 422
    assert client.patch(url, json={"subject": "P\x0001"}, headers=alice).status_code == 422
    assert client.patch(url, json={"name": "renamed"}, headers=alice).status_code == 422  # only subject and date
    assert client.patch(url, json={"subject": "P-01"}, headers=bob).status_code == 404
    assert client.patch(url, json={"subject": "P-01"}).status_code == 401
    assert client.patch("/api/samples/0123456789abcdef0123456789abcdef", json={"subject": "P-01"}, headers=alice).status_code == 404
    after = client.get(url, headers=alice).json()
    assert (after["subject"], after["collected"], after["corrected_at"]) == ("P-02", "2014-02-02", None)


def test_the_sample_page_corrects_and_the_report_links_the_new_subject(client, shared_data):
    headers = register(client, "clinic")
    _, wrong = _upload_visits(client, shared_data, headers)
    token = csrf_of(client.get("/login").text)
    client.post("/login", data={"username": "clinic", "password": PASSWORD, "csrf_token": token}, follow_redirects=False)
    before = client.get(f"/samples/{wrong['id']}/report")
    assert 'href="/subject?name=P-02"' in before.text  # rendered (and kept) for P-02

    page = client.get(f"/samples/{wrong['id']}")
    form = re.search(rf'<form method="post" action="/samples/{wrong["id"]}/correct">.*?</form>', page.text, re.S)
    assert form is not None
    assert 'value="P-02"' in form.group(0)
    assert 'value="2014-02-02"' in form.group(0)
    url = f"/samples/{wrong['id']}/correct"
    assert client.post(url, data={"subject": "P-01", "collected": "2024-02-01"}, follow_redirects=False).status_code == 403  # no CSRF
    done = client.post(url, data={"subject": " P-01 ", "collected": "2024-02-01", "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == f"/samples/{wrong['id']}?notice=corrected"
    shown = client.get(done.headers["location"]).text
    assert "The subject and collection date were saved" in shown
    assert re.search(r"<dt>Corrected</dt><dd>[^<]*\(uploaded with subject P-02, collected 2014-02-02\)</dd>", shown)
    assert '<a href="/subject?name=P-01">P-01</a>' in shown

    subject_page = client.get("/subject", params={"name": "P-01"}).text
    assert subject_page.count(f'href="/samples/{wrong["id"]}"') == 1
    assert client.get("/subject", params={"name": "P-02"}).status_code == 404
    assert client.get("/subject/timeline", params={"name": "P-01"}).status_code == 200
    report = client.get(f"/samples/{wrong['id']}/report").text
    assert 'href="/subject?name=P-01"' in report
    assert "P-02" not in report

    bad = client.post(url, data={"subject": "P-01", "collected": "2024-13-01", "csrf_token": csrf_of(shown)}, follow_redirects=False)
    assert bad.status_code == 422
    assert "YYYY-MM-DD" in bad.text


def test_migration_0007_goes_up_and_down_keeping_the_samples(database_url):
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    try:
        with engine.begin() as connection:  # from whatever the database holds (PostgreSQL's is shared by the session)
            command.upgrade(_alembic(connection), "head")
            command.downgrade(_alembic(connection), "0006")
            assert "corrected_at" not in {c["name"] for c in sa.inspect(connection).get_columns("samples")}
        with engine.begin() as connection:
            connection.execute(sa.insert(USERS).values(id="u1", username="old", password_hash="x", created_at=now))
            connection.execute(sa.insert(SAMPLES).values(id="s1", owner_id="u1", name="s1", source_file="f", source_format="metaphlan",
                                                         database="", scores={}, profile=b"x", created_at=now))
        with engine.begin() as connection:
            command.upgrade(_alembic(connection), "head")
        with engine.begin() as connection:
            got = connection.execute(sa.text("SELECT id, corrected_at, uploaded_subject, uploaded_collected FROM samples")).all()
            assert [tuple(row) for row in got] == [("s1", None, None, None)]
            command.downgrade(_alembic(connection), "0006")
        with engine.begin() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM samples")).scalar() == 1
            command.upgrade(_alembic(connection), "head")
            connection.execute(sa.text("DELETE FROM samples"))
            connection.execute(sa.text("DELETE FROM users"))
    finally:
        engine.dispose()


def test_an_empty_upload_and_an_empty_zip_are_named_with_their_problem(client):
    # faults: "the file is empty" was the one refusal without the file's name; an empty zip
    # was "binary content that is not a known profile format"
    alice = register(client, "alice")
    empty = upload(client, alice, b"", filename="visit1.txt")
    assert (empty.status_code, empty.json()["detail"]) == (422, "visit1.txt: the file is empty")
    packed = io.BytesIO()
    zipfile.ZipFile(packed, "w").close()
    archive = upload(client, alice, packed.getvalue(), filename="visits.zip")
    assert archive.status_code == 422
    assert archive.json()["detail"] == "visits.zip: an empty zip archive: it holds no file"
