"""The server-rendered site: sessions, CSRF, escaping, headers, limits and
error pages.  Runs on SQLite and PostgreSQL like the API tests."""

from __future__ import annotations

import re
from html import escape
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from gutbalance.score_specs import describe, describe_at_rank
from tests.web.conftest import (
    CHEAP_HASHING,
    PASSWORD,
    WAIT_FOR_SCORING,
    count_rows,
    merged_metaphlan,
    register,
    single_profile,
    upload,
)
from tests.web.test_api import zip_of

XSS = "<img src=x onerror=alert(1)>"

def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has a form with a CSRF value"
    return match.group(1)

def page_register(client: TestClient, username: str = "alice", password: str = PASSWORD):
    token = csrf_of(client.get("/register").text)
    return client.post(
        "/register", data={"username": username, "password": password, "csrf_token": token}, follow_redirects=False
    )

def page_upload(client: TestClient, content, *, filename="S1_metaphlan.txt", follow=False, **fields):
    token = csrf_of(client.get("/samples").text)
    return client.post(
        "/samples/upload",
        data={"csrf_token": token, **fields},
        files={"file": (filename, content)},
        follow_redirects=follow,
    )

def test_register_upload_read_delete_through_pages(client, app):
    response = page_register(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/samples"
    response = page_upload(client, single_profile(), subject="P-01", collected="2024-05-06")
    assert response.status_code == 303
    sample_url = response.headers["location"].split("?")[0]
    page = client.get(sample_url)
    assert page.status_code == 200
    assert "Sample S1" in page.text
    assert "shannon" in page.text
    assert "P-01" in client.get("/samples").text
    assert "S1" in client.get("/subject", params={"name": "P-01"}).text
    tsv = client.get(f"{sample_url}/scores.tsv")
    assert tsv.status_code == 200
    assert tsv.text.splitlines()[1].split("\t")[1] == "S1"
    assert client.get(f"{sample_url}/scores.json").json()["name"] == "S1"
    token = csrf_of(page.text)
    response = client.post(f"{sample_url}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get(sample_url).status_code == 404
    assert count_rows(app)["samples"] == 0

def test_pages_need_a_session(client):
    for path in ("/samples", "/subjects", "/account", "/samples/abc", "/subject?name=x", "/scores.tsv", "/account/export.zip"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")

def test_login_goes_back_but_never_off_site(client):
    page_register(client)
    client.cookies.delete("gb_session")
    for target, expected in [("/account", "/account"), ("//evil.example/x", "/samples"), ("https://evil.example", "/samples"), ("/\\evil.example", "/samples")]:
        token = csrf_of(client.get("/login").text)
        response = client.post(
            "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token, "next": target}, follow_redirects=False
        )
        assert response.status_code == 303
        assert response.headers["location"] == expected, target

def test_session_cookie_flags(client):
    response = page_register(client)
    cookie = response.headers["set-cookie"]
    assert "gb_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http on a local server: a Secure cookie would never come back

@pytest.mark.parametrize("settings_overrides", [{**CHEAP_HASHING, **WAIT_FOR_SCORING, "behind_tls_proxy": True}])
def test_cookies_are_secure_behind_tls_proxy(client, settings_overrides):
    response = page_register(client)
    assert "Secure" in response.headers["set-cookie"]
    assert client.get("/").headers["strict-transport-security"].startswith("max-age=")

def test_cookies_are_secure_over_https(app):
    with TestClient(app, base_url="https://testserver") as client:
        response = page_register(client)
        assert "Secure" in response.headers["set-cookie"]

@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/register", {"username": "mallory", "password": PASSWORD}),
        ("/login", {"username": "alice", "password": PASSWORD}),
        ("/logout", {}),
        ("/samples/upload", {}),
        ("/account/delete", {"password": PASSWORD}),
    ],
)
def test_forms_without_a_valid_csrf_token_are_refused(client, app, path, data):
    page_register(client)
    files = {"file": ("S1.txt", single_profile())} if path == "/samples/upload" else None
    for token in (None, "forged", csrf_of(client.get("/register").text)[:-2] + "xx"):
        payload = dict(data) if token is None else {**data, "csrf_token": token}
        response = client.post(path, data=payload, files=files, follow_redirects=False)
        assert response.status_code == 403, (path, token)
    assert count_rows(app) == {"users": 1, "samples": 0}

def test_csrf_token_is_bound_to_the_browser(client, app):
    """A value from another browser (another CSRF cookie) does not pass."""
    with TestClient(app) as other:
        foreign = csrf_of(other.get("/register").text)
    client.get("/register")
    response = client.post("/register", data={"username": "mallory", "password": PASSWORD, "csrf_token": foreign})
    assert response.status_code == 403

def test_uploaded_content_is_escaped_everywhere(client, tmp_path):
    page_register(client)
    response = page_upload(client, merged_metaphlan(tmp_path, [XSS, "plain"]), filename=f"{XSS}.tsv", subject=XSS, follow=True)
    assert response.status_code == 200
    pages = [client.get("/samples").text, client.get("/subject", params={"name": XSS}).text]
    sample_id = re.search(r'href="/samples/([0-9a-f]{32})">&lt;img', pages[0]).group(1)
    pages.append(client.get(f"/samples/{sample_id}").text)
    pages.append(client.get(f"/samples/{sample_id}/report").text)
    pages.append(client.get("/subject/timeline", params={"name": XSS}).text)
    for html in pages:
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "<img src=x" not in html
        assert "onerror=alert(1)>" not in html
    # a bad upload's error message names the file: escaped as well
    response = page_upload(client, b"<script>alert(1)</script> not a profile\n", filename=f"{XSS}.txt")
    assert response.status_code == 422
    assert "<img src=x" not in response.text
    assert "<script>alert" not in response.text

def test_security_headers_everywhere(client):
    headers_for = [client.get("/"), client.get("/login"), client.get("/api/samples"), client.get("/nowhere"), client.get("/openapi.json")]
    register(client, "alice")
    for response in headers_for:
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert "script-src 'self'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
    assert "server" not in client.get("/").headers or "uvicorn" not in client.get("/").headers["server"]

def test_pages_have_no_inline_script(client):
    page_register(client)
    page_upload(client, single_profile())
    for path in ("/", "/samples", "/account"):
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert not re.search(r"\son[a-z]+=", html), path

def test_error_pages_are_generic(client):
    page = client.get("/samples/zzz", follow_redirects=False)
    assert page.status_code == 303
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Traceback" not in response.text
    assert "<h1>404</h1>" in response.text
    response = client.post("/api/login", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "not json" not in response.text

def test_crash_gives_a_generic_500_page(client, monkeypatch):
    from gutbalance.web import crud

    page_register(client)

    def explode(*args, **kwargs):
        raise ZeroDivisionError("secret internal detail")

    monkeypatch.setattr(crud, "list_samples", explode)
    response = client.get("/samples")
    assert response.status_code == 500
    assert "secret internal detail" not in response.text
    assert "ZeroDivisionError" not in response.text
    assert "Traceback" not in response.text

@pytest.mark.parametrize("settings_overrides", [{**CHEAP_HASHING, **WAIT_FOR_SCORING, "max_upload_bytes": 4096}])
def test_upload_size_limit(client, app, settings_overrides):
    headers = register(client, "alice")
    big = single_profile() + ("#" + "x" * 100 + "\n") * 100
    assert upload(client, headers, big).status_code == 413
    # without a Content-Length the stream is still cut off
    body = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\n" + big.encode() + b"\r\n--b--\r\n")

    def chunks():
        for i in range(0, len(body), 1000):
            yield body[i : i + 1000]

    response = client.post("/api/samples", headers={**headers, "content-type": "multipart/form-data; boundary=b"}, content=chunks())
    assert response.status_code == 413
    assert upload(client, headers, single_profile()).status_code == 201
    assert count_rows(app)["samples"] == 1
    # other endpoints take small bodies only
    assert client.post("/api/login", content=b"x" * (2 << 20), headers={"content-type": "application/json"}).status_code == 413

@pytest.mark.parametrize("settings_overrides", [{**CHEAP_HASHING, **WAIT_FOR_SCORING, "uploads_per_window": 2}])
def test_upload_rate_limit_per_user(client, settings_overrides):
    alice = register(client, "alice")
    bob = register(client, "bob")
    assert [upload(client, alice, single_profile()).status_code for _ in range(3)] == [201, 201, 429]
    response = upload(client, alice, single_profile())
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert upload(client, bob, single_profile()).status_code == 201

def test_login_throttling_per_username_and_address(client):
    register(client, "alice")
    register(client, "bob")
    for _ in range(5):
        assert client.post("/api/login", json={"username": "alice", "password": "wrong password"}).status_code == 401
    response = client.post("/api/login", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert client.post("/api/login", json={"username": "bob", "password": PASSWORD}).status_code == 200
    # the login page shares the same throttle
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 429

def test_account_deletion_through_the_page(client, app):
    page_register(client)
    page_upload(client, single_profile())
    other = register(client, "bob")
    upload(client, other, single_profile())
    account = client.get("/account").text
    assert "Deletes your account and its one sample for good." in account
    token = csrf_of(account)
    wrong = client.post("/account/delete", data={"csrf_token": token, "password": "not it at all"})
    assert wrong.status_code == 403
    assert count_rows(app) == {"users": 2, "samples": 2}
    response = client.post("/account/delete", data={"csrf_token": token, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303
    assert count_rows(app) == {"users": 1, "samples": 1}
    assert client.get("/samples", follow_redirects=False).status_code == 303

def test_subject_timeline(client):
    page_register(client)
    first = page_upload(client, single_profile(), filename="A_metaphlan.txt", subject="P/01", collected="2024-02-01")
    subject_page = client.get("/subject", params={"name": "P/01"})
    assert "Upload a second sample" in subject_page.text
    assert client.get("/subject/timeline", params={"name": "P/01"}).status_code == 404
    second = page_upload(client, single_profile(), filename="B_metaphlan.txt", subject="P/01", collected="2024-01-01")
    timeline = client.get("/subject/timeline", params={"name": "P/01"})
    assert timeline.status_code == 200
    ids = [r.headers["location"].split("?")[0].rsplit("/", 1)[1] for r in (first, second)]
    html = timeline.text
    assert all(f'href="/samples/{i}"' in html for i in ids)
    assert html.index("B") < html.rindex("A")  # ordered by collection date
    assert "unsafe-inline" not in timeline.headers["content-security-policy"]
    assert client.get("/subject/timeline", params={"name": "nobody"}).status_code == 404

def test_sample_page_names_and_explains_every_score(client, shared_data):
    """A real kefir profile (MetaPhlAn 3): the sample page gives each score
    its label and what it measures, the percentile in words beside the value
    (not as a row of its own), the reason of each missing value and the
    warnings; it used to list raw column names and bare numbers."""

    profile = shared_data / "profiles" / "kefir_metaphlan3" / "Subj001_time1_S1_metaphlan3.txt"
    page_register(client)
    response = page_upload(client, profile.read_bytes(), filename=profile.name)
    assert response.status_code == 303
    sample_url = response.headers["location"].split("?")[0]
    html = client.get(sample_url).text
    scores = client.get(f"{sample_url}/scores.json").json()["scores"]
    for key in ("immune_support", "training", "gmhi", "shannon", "coverage", "chao1"):
        # a diversity line names the rank it was counted at (species for a MetaPhlAn profile)
        spec = describe_at_rank(key, scores["diversity_rank"])
        assert f">{spec.label} <span" in html, key
        assert escape(spec.summary) in html, key
    assert scores["diversity_rank"] == "species"
    assert ">Shannon diversity of species <span" in html  # a MetaPhlAn profile's diversity counts species
    assert f"{describe('immune_support').format(scores['immune_support'])} / 100" in html
    percentile = round(scores["immune_support_percentile"])
    assert f"Percentile {percentile}: about {percentile} in 100 people" in html
    assert "immune_support_percentile" not in html  # beside its score, not a row
    assert scores["chao1"] is None
    assert "Why: the input gives relative abundances, not read counts" in html
    assert "Read with care" in html
    assert "MetaPhlAn 3" in html


def test_a_sample_sheet_in_the_zip_gives_each_sample_its_subject_and_date(client, shared_data):
    """The kefir study's people at two time points, zipped with a sample
    sheet (sample, subject, date): each sample is stored under its person
    and date, and the person's timeline page draws them; the upload form's
    subject is kept for a sample the sheet leaves empty."""
    folder = shared_data / "profiles" / "kefir_metaphlan3"
    files = [folder / f"{name}_metaphlan3.txt" for name in ("Subj001_time1_S1", "Subj001_time2_S2", "Subj003_time1_S3")]
    sheet = "sample,subject,date\nSubj001_time1_S1,Subj001,2019-01-07\nSubj001_time2_S2,Subj001,2019-02-04\nSubj003_time1_S3,,\n"
    members = {f.name: f.read_bytes() for f in files} | {"samples.csv": sheet.encode()}
    page_register(client)
    response = page_upload(client, zip_of(members), filename="kefir.zip", subject="walk-in")
    assert response.status_code == 303
    assert response.headers["location"] == "/samples?notice=uploaded"
    rows = [line.split("\t") for line in client.get("/scores.tsv").text.splitlines()]
    stored = {row[1]: (row[2], row[3] or None) for row in rows[1:]}
    assert stored == {
        "Subj001_time1_S1": ("Subj001", "2019-01-07"),
        "Subj001_time2_S2": ("Subj001", "2019-02-04"),
        "Subj003_time1_S3": ("walk-in", None),
    }
    subject = client.get("/subject", params={"name": "Subj001"}).text
    assert "Subj001_time1_S1" in subject
    # one column per score, named as the reports name it; percentiles and text on each sample's page
    assert '<abbr title="Immune support">Immune support</abbr>' in subject
    assert "_percentile" not in subject
    assert "warnings" not in subject
    timeline = client.get("/subject/timeline", params={"name": "Subj001"})
    assert timeline.status_code == 200
    assert "Subj001_time2_S2" in timeline.text


@pytest.mark.parametrize("settings_overrides", [{**CHEAP_HASHING, **WAIT_FOR_SCORING, "max_upload_bytes": 1024 * 1024}])
def test_a_file_over_the_limit_from_the_page_gets_a_page(client, settings_overrides):
    """A browser's upload far over the limit is cut off by the middleware
    before FastAPI: the person gets a page naming the limit and what to do
    (it was the API's JSON, shown raw); the API keeps its JSON."""
    page_register(client)
    big = single_profile() + ("#" + "x" * 100 + "\n") * 30_000
    response = page_upload(client, big)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "larger than 1 MB, the most one upload may hold" in response.text
    assert '<a href="/samples">Back to your samples</a>' in response.text
    token = client.post("/api/login", json={"username": "alice", "password": PASSWORD}).json()["access_token"]
    api = upload(client, {"Authorization": f"Bearer {token}"}, big)
    assert api.status_code == 413
    # it said "request body too large" without the limit, where a file just over it was told the limit
    assert api.json() == {"detail": "the file is larger than 1 MB"}


def test_a_table_without_a_named_profiler_says_why_it_has_no_percentiles(client, shared_data):
    """The GMHI authors' 25-sample CSV (species names only, no profiler
    named, as the GAN-GMHI table of 782 samples): each score on the sample
    page says why it has no percentile instead of showing none or a number."""
    table = shared_data / "gmhi" / "species_relative_abundances.csv"
    page_register(client)
    response = page_upload(client, table.read_bytes(), filename=table.name)
    assert response.status_code == 303
    assert response.headers["location"] == "/samples?notice=uploaded"
    first = re.search(r'<a href="(/samples/[0-9a-f]+)">Sample1</a>', client.get("/samples").text)
    assert first
    html = client.get(first.group(1)).text
    assert "percentiles not comparable" in html  # the warning, under "Read with care"
    assert html.count("No percentile: the healthy reference is of another kind of input (see the warnings).") >= 6
    assert "Percentile " not in html
    # its report shows none of the reference's figures either, and says why
    report = client.get(first.group(1) + "/report").text
    assert "This sample is not compared with healthy people" in report
    assert "Healthy reference: middle half between" not in report
    assert '<th scope="row">Healthy reference</th>' not in report
    assert "Percentiles on this page are against" not in report

def test_login_goes_back_to_a_page_not_to_a_forms_action(client):
    """A ``next`` that is a form's POST-only path (a delete or an upload sent
    without a session) leads after login to the page above it: the path
    itself ended on a 404."""
    page_register(client)
    sample_url = page_upload(client, single_profile()).headers["location"].split("?")[0]
    client.cookies.delete("gb_session")
    response = client.post(f"{sample_url}/delete", data={"csrf_token": csrf_of(client.get("/login").text)}, follow_redirects=False)
    assert response.headers["location"] == f"/login?next={quote(f'{sample_url}/delete', safe='')}"
    for action, page in [(f"{sample_url}/delete", sample_url), (f"{sample_url}/correct", sample_url), ("/samples/upload", "/samples"),
                         ("/account/password", "/account"), ("/logout", "/samples"), ("/samples?page=2", "/samples?page=2")]:
        token = csrf_of(client.get("/login", params={"next": action}).text)
        response = client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token, "next": action},
                               follow_redirects=False)
        assert response.headers["location"] == page, action
        assert client.get(page).status_code == 200, page
        client.cookies.delete("gb_session")


def test_the_upload_page_counts_the_samples_deleted_since(client):
    """An upload whose sample was deleted says so, instead of "0 samples of
    this upload were read, scored and stored"."""
    page_register(client, "dora")
    members = {"S1_metaphlan.txt": single_profile().encode(), "empty.txt": b""}
    job_url = page_upload(client, zip_of(members), filename="visit.zip").headers["location"]
    assert job_url.startswith("/uploads/")
    (sample_id,) = re.findall(r'href="/samples/([0-9a-f]{32})"', client.get(job_url).text)
    token = csrf_of(client.get(f"/samples/{sample_id}").text)
    assert client.post(f"/samples/{sample_id}/delete", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    page = client.get(job_url)
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    assert "1 sample of this upload was read, scored and stored (it was deleted since); 1 file in it could not be read" in text
    assert "<caption>Samples stored</caption>" not in text


def test_the_page_of_an_upload_read_whole_counts_a_deleted_sample(client, app):
    """An upload with no file left out, one of whose samples was deleted
    since: its page (reached from the browser's history) said nothing but a
    500, its list of files left out being None (an outside check)."""
    from sqlalchemy import select

    from gutbalance.web.models import Job

    page_register(client, "gina")
    members = {"S1_metaphlan.txt": single_profile().encode(), "S2_metaphlan.txt": single_profile().encode()}
    assert page_upload(client, zip_of(members), filename="visits.zip").status_code == 303
    with app.state.sessions() as session:
        (job_id,) = session.scalars(select(Job.id)).all()
    ids = re.findall(r'href="/samples/([0-9a-f]{32})"', client.get(f"/uploads/{job_id}", follow_redirects=True).text)
    token = csrf_of(client.get(f"/samples/{ids[0]}").text)
    assert client.post(f"/samples/{ids[0]}/delete", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    page = client.get(f"/uploads/{job_id}")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    assert "2 samples of this upload were read, scored and stored (1 of them was deleted since)." in text
    assert "Files left out" not in text
    assert "<caption>Samples stored</caption>" in text


def test_a_profile_uploaded_twice_is_said_on_both_pages(client):
    """The same file uploaded again was stored without a word, and the
    timeline read the two as two visits (an outside check)."""
    page_register(client, "hana")
    first = page_upload(client, single_profile(), subject="P-7", collected="2024-05-01").headers["location"].split("?")[0]
    second = page_upload(client, single_profile(), subject="P-7", collected="2024-05-03").headers["location"].split("?")[0]
    other = page_upload(client, single_profile(), filename="S9_metaphlan.txt").headers["location"].split("?")[0]
    text = re.sub(r"\s+", " ", client.get(second).text)
    assert "The same profile, under the same name, is stored once more:" in text
    assert f'<a href="{first}">uploaded ' in text
    assert f'<a href="{second}">' in re.sub(r"\s+", " ", client.get(first).text)
    assert "The same profile" not in client.get(other).text


def test_a_downloaded_table_quotes_text_a_spreadsheet_would_run(client):
    """A sample name and a subject starting with "=", "@" ... are written
    with a leading apostrophe into the TSV downloads (a spreadsheet runs them
    as formulas); the JSON keeps them as they are."""
    page_register(client, "erin")
    sample_url = page_upload(client, single_profile(), filename="@SUM(1)_metaphlan.txt", subject="=1+1").headers["location"].split("?")[0]
    for url in ("/scores.tsv", f"{sample_url}/scores.tsv"):
        header, row = client.get(url).text.splitlines()[:2]
        cells = dict(zip(header.split("\t"), row.split("\t"), strict=True))
        assert (cells["sample"], cells["subject"]) == ("'@SUM(1)", "'=1+1"), url
    record = client.get(f"{sample_url}/scores.json").json()
    assert (record["name"], record["subject"]) == ("@SUM(1)", "=1+1")


def test_a_profile_uploaded_alone_and_again_in_a_zip_is_said(client):
    """The note compared the stored profiles with the file each was read
    from, which a zip's member names differently (``batch.zip/S1_metaphlan.txt``):
    the same file uploaded alone and inside a zip went unsaid (an outside check)."""
    import io
    import zipfile

    page_register(client, "ines")
    alone = page_upload(client, single_profile()).headers["location"].split("?")[0]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("S1_metaphlan.txt", single_profile())
    zipped = page_upload(client, archive.getvalue(), filename="batch.zip", follow=True)
    assert zipped.status_code == 200
    text = re.sub(r"\s+", " ", client.get(alone).text)
    assert "The same profile, under the same name, is stored once more:" in text
