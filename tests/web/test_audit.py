"""The account's audit log: every upload that stored a sample, every view of
a sample's scores or report, every download, correction and deletion, with
when, how and which sample; shown on the account page and by
``GET /api/account/audit``, never to another user, gone with the account,
on SQLite and PostgreSQL; migration 0009 goes up and down on both."""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import command
from sqlalchemy import func, select

from gutbalance.web.db import make_engine
from gutbalance.web.models import AuditEvent
from tests.web.conftest import PASSWORD, register, upload
from tests.web.test_declared_rank_page import _alembic
from tests.web.test_pages import csrf_of, page_register, page_upload

KEFIR = "profiles/kefir_metaphlan3"
FIRST = "Subj001_time1_S1_metaphlan3.txt"
SECOND = "Subj001_time2_S2_metaphlan3.txt"


def _audit(client, headers) -> list[tuple]:
    body = client.get("/api/account/audit", headers=headers)
    assert body.status_code == 200, body.text
    return [(e["action"], e["via"], e["sample_id"], e["sample_name"], e["detail"]) for e in body.json()]


def _events_in_database(app) -> int:
    with app.state.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_the_api_records_who_uploaded_viewed_downloaded_corrected_and_deleted(client, shared_data):
    headers = register(client, "clinic")
    first = upload(client, headers, (shared_data / KEFIR / FIRST).read_bytes(), filename=FIRST, subject="P-01").json()[0]
    sid = first["id"]
    assert _audit(client, headers) == [("upload", "worker", sid, "Subj001_time1_S1", FIRST)]

    assert client.get(f"/api/samples/{sid}", headers=headers).status_code == 200
    assert client.get(f"/api/samples/{sid}/scores.tsv", headers=headers).status_code == 200
    assert client.get(f"/api/samples/{sid}/report", headers=headers).status_code == 200
    assert client.patch(f"/api/samples/{sid}", json={"collected": "2024-01-10"}, headers=headers).status_code == 200
    assert client.get("/api/account/export", headers=headers).status_code == 200
    assert client.delete(f"/api/samples/{sid}", headers=headers).status_code == 204
    assert client.delete(f"/api/samples/{sid}", headers=headers).status_code == 404  # nothing to delete: nothing recorded

    events = client.get("/api/account/audit", headers=headers).json()
    assert [(e["action"], e["via"], e["sample_id"], e["detail"]) for e in events] == [  # newest first
        ("delete", "api", sid, ""),
        ("download", "api", None, "export.zip (1 sample)"),
        ("correct", "api", sid, ""),
        ("view", "api", sid, "report"),
        ("download", "api", sid, "scores.tsv"),
        ("view", "api", sid, "scores"),
        ("upload", "worker", sid, FIRST),
    ]
    assert {e["sample_name"] for e in events if e["sample_id"]} == {"Subj001_time1_S1"}  # the deleted sample is still named
    assert [e["sample_exists"] for e in events] == [False, None, False, False, False, False, False]
    times = [e["at"] for e in events]
    assert times == sorted(times, reverse=True)
    assert all(t.endswith(("Z", "+00:00")) for t in times)

    paged = client.get("/api/account/audit", params={"limit": 2, "offset": 2}, headers=headers)
    assert paged.headers["X-Total-Count"] == "7"
    assert [e["action"] for e in paged.json()] == ["correct", "view"]
    assert 'rel="next"' in paged.headers["Link"]
    assert 'rel="prev"' in paged.headers["Link"]
    assert client.get("/api/account/audit").status_code == 401


def test_the_api_says_which_samples_of_the_log_are_still_held(client, shared_data):
    headers = register(client, "clinic")
    kept = upload(client, headers, (shared_data / KEFIR / FIRST).read_bytes(), filename=FIRST).json()[0]["id"]
    gone = upload(client, headers, (shared_data / KEFIR / SECOND).read_bytes(), filename=SECOND).json()[0]["id"]
    assert client.get(f"/api/samples/{gone}", headers=headers).status_code == 200
    assert client.get(f"/api/samples/{kept}", headers=headers).status_code == 200
    before = client.get("/api/account/audit", headers=headers).json()
    assert {(e["sample_id"], e["sample_exists"]) for e in before} == {(kept, True), (gone, True)}
    assert client.delete(f"/api/samples/{gone}", headers=headers).status_code == 204

    events = client.get("/api/account/audit", headers=headers).json()
    assert [(e["action"], e["sample_id"], e["sample_exists"]) for e in events] == [
        ("delete", gone, False), ("view", kept, True), ("view", gone, False), ("upload", gone, False), ("upload", kept, True),
    ]
    # the fields clients read before are all still there, with the same values
    assert all(set(e) == {"at", "action", "via", "sample_id", "sample_name", "detail", "sample_exists"} for e in events)
    assert [(e["action"], e["sample_id"]) for e in events[1:]] == [(b["action"], b["sample_id"]) for b in before]
    assert client.get(f"/api/samples/{gone}", headers=headers).status_code == 404  # what sample_exists=false tells


def test_another_user_neither_sees_the_log_nor_leaves_a_trace_in_it(client, app, shared_data):
    owner = register(client, "clinic")
    sid = upload(client, owner, (shared_data / KEFIR / FIRST).read_bytes(), filename=FIRST).json()[0]["id"]
    other = register(client, "intruder")
    for method, url in (("GET", f"/api/samples/{sid}"), ("GET", f"/api/samples/{sid}/scores.tsv"),
                        ("GET", f"/api/samples/{sid}/report"), ("DELETE", f"/api/samples/{sid}")):
        assert client.request(method, url, headers=other).status_code == 404
    assert client.patch(f"/api/samples/{sid}", json={"subject": "X"}, headers=other).status_code == 404
    assert _audit(client, other) == []
    assert [e[0] for e in _audit(client, owner)] == ["upload"]
    assert _events_in_database(app) == 1


def test_the_account_page_shows_the_activity_and_the_account_takes_it_along(client, app, shared_data):
    assert page_register(client, "clinic").status_code == 303
    done = page_upload(client, (shared_data / KEFIR / FIRST).read_bytes(), filename=FIRST, subject="P-01")
    kept_url = done.headers["location"].split("?")[0]
    gone = page_upload(client, (shared_data / KEFIR / SECOND).read_bytes(), filename=SECOND, subject="P-01")
    gone_url = gone.headers["location"].split("?")[0]
    shown = client.get(gone_url)
    assert client.get(f"{kept_url}/scores.json").status_code == 200
    assert client.get(f"{kept_url}/report").status_code == 200
    assert client.get("/scores.tsv").status_code == 200
    assert client.post(f"{gone_url}/delete", data={"csrf_token": csrf_of(shown.text)}, follow_redirects=False).status_code == 303

    page = client.get("/account").text
    rows = re.findall(r"<tr>\s*<td class=\"nowrap\">[^<]+</td>\s*<td>([^<]+)</td>\s*<td>(.*?)</td>\s*<td>([^<]*)</td>\s*<td>([^<]+)</td>", page, re.S)
    assert [(what, re.sub(r"<[^>]+>", "", sample), detail, how) for what, sample, detail, how in rows] == [
        ("deleted", "Subj001_time2_S2 (deleted)", "", "browser as clinic"),
        ("downloaded", "all samples", "scores.tsv (2 samples)", "browser as clinic"),
        ("viewed", "Subj001_time1_S1", "report", "browser as clinic"),
        ("downloaded", "Subj001_time1_S1", "scores.json", "browser as clinic"),
        ("viewed", "Subj001_time2_S2 (deleted)", "sample page", "browser as clinic"),
        ("uploaded", "Subj001_time2_S2 (deleted)", SECOND, "upload as clinic"),
        ("uploaded", "Subj001_time1_S1", FIRST, "upload as clinic"),
    ]
    # a sample still held is linked, every row of it; a deleted one is named, marked and not linked
    assert page.count(f'<a href="{kept_url}">Subj001_time1_S1</a>') == 3
    assert f'href="{gone_url}"' not in page
    assert page.count('Subj001_time2_S2 <span class="deleted">(deleted)</span>') == 3
    assert "7 events, newest first" in page

    assert client.post("/account/delete", data={"password": PASSWORD, "csrf_token": csrf_of(page)}, follow_redirects=False).status_code == 303
    assert _events_in_database(app) == 0


def test_migration_0009_goes_up_and_down(database_url):
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            command.upgrade(_alembic(connection), "head")
            assert "audit_events" in sa.inspect(connection).get_table_names()
            command.downgrade(_alembic(connection), "0008")
            assert "audit_events" not in sa.inspect(connection).get_table_names()
            command.upgrade(_alembic(connection), "head")
            assert {c["name"] for c in sa.inspect(connection).get_columns("audit_events")} == {
                "id", "owner_id", "at", "action", "via", "sample_id", "sample_name", "detail"}
    finally:
        engine.dispose()
