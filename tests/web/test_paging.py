"""The samples list in pages (the ``/samples`` page and ``GET /api/samples``),
on SQLite and PostgreSQL: a stable total order, a total count, next and
previous links, and pages that together hold every sample once."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select

from gutbalance.web import services
from gutbalance.web.models import Sample, User
from tests.web.conftest import register, single_profile, upload
from tests.web.test_pages import page_register

N = 2 * services.SAMPLES_PAGE + 37


def _store_many(client, app, username: str, n: int = N) -> list[tuple]:
    """``n`` samples of ``username`` (one real scored profile, stored under
    distinct names, subjects and dates straight into the database; upload
    times equal on purpose, so the order must fall back on name and id);
    the sort key the list promises for each, by id."""
    (created,) = upload(client, register(client, username), single_profile()).json()
    with app.state.sessions() as session:
        template = session.get(Sample, created["id"])
        owner = session.scalar(select(User.id).where(User.username == username))
        rows = []
        for i in range(n):
            subject = None if i % 3 == 0 else f"P{(i * 7) % 11:02d}"
            rows.append(
                {
                    "id": f"{(i * 7919) % 100003:032x}",
                    "owner_id": owner,
                    "name": f"S{(i * 13) % 50:03d}",  # names repeat: the id breaks the tie
                    "subject": subject,
                    "collected": None if i % 5 == 0 else date(2024, 1, 1) + timedelta(days=i % 4),
                    "source_file": template.source_file,
                    "source_format": template.source_format,
                    "database": template.database,
                    "scores": template.scores,
                    "profile": template.profile,
                    "contributions": template.contributions,
                    "created_at": template.created_at,
                }
            )
        session.execute(insert(Sample), rows)
        session.commit()
        everything = session.execute(select(Sample.id, Sample.subject, Sample.collected, Sample.created_at, Sample.name).where(Sample.owner_id == owner)).all()
    # the promised order, computed here independently of the database's
    ordered = sorted(
        everything,
        key=lambda r: (r.subject is None, r.subject or "", r.collected is None, r.collected or date.min, r.created_at, r.name, r.id),
    )
    return ordered


def _api_pages(client, headers, limit: int) -> tuple[list[str], list[int]]:
    """Every id, following the ``Link: rel="next"`` headers from the first page; and the totals each page said."""
    url, ids, totals = f"/api/samples?limit={limit}", [], []
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        totals.append(int(response.headers["X-Total-Count"]))
        page = response.json()
        assert len(page) <= limit
        ids += [s["id"] for s in page]
        links = dict((rel, target) for target, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("Link", "")))
        assert ("prev" in links) == (len(ids) > limit)
        # the links are absolute; the test client asks for the path and query
        url = "/" + links["next"].split("://", 1)[-1].split("/", 1)[-1] if "next" in links else ""
    return ids, totals


def test_api_pages_hold_every_sample_once_in_a_stable_order(client, app):
    ordered = _store_many(client, app, "alice")
    headers = register(client, "bob")  # another account's samples never appear
    upload(client, headers, single_profile())
    login = client.post("/api/login", json={"username": "alice", "password": "correct horse battery"}).json()
    alice = {"Authorization": f"Bearer {login['access_token']}"}

    ids, totals = _api_pages(client, alice, limit=50)
    assert totals == [len(ordered)] * len(totals)
    assert len(ids) == len(set(ids)) == len(ordered)
    assert set(ids) == {r.id for r in ordered}
    # the order: subject first (none last), then date (none last), upload time, name, id
    assert ids == [r.id for r in ordered]
    # asking again gives the same pages
    assert _api_pages(client, alice, limit=50)[0] == ids
    # a page of another size cuts the same list
    assert _api_pages(client, alice, limit=services.MAX_SAMPLES_PAGE)[0] == ids


def test_api_page_defaults_and_limits(client, app):
    ordered = _store_many(client, app, "alice")
    login = client.post("/api/login", json={"username": "alice", "password": "correct horse battery"}).json()
    alice = {"Authorization": f"Bearer {login['access_token']}"}
    first = client.get("/api/samples", headers=alice)
    assert len(first.json()) == services.SAMPLES_PAGE
    assert first.headers["X-Total-Count"] == str(len(ordered))
    assert 'rel="next"' in first.headers["Link"]
    assert 'rel="prev"' not in first.headers["Link"]
    assert "offset=100" in first.headers["Link"]
    last = client.get(f"/api/samples?offset={len(ordered) - 5}", headers=alice)
    assert len(last.json()) == 5
    assert 'rel="next"' not in last.headers["Link"]
    assert 'rel="prev"' in last.headers["Link"]
    beyond = client.get(f"/api/samples?offset={len(ordered) + 10}", headers=alice)
    assert beyond.status_code == 200
    assert beyond.json() == []
    assert beyond.headers["X-Total-Count"] == str(len(ordered))
    for bad in ("limit=0", f"limit={services.MAX_SAMPLES_PAGE + 1}", "offset=-1", "limit=ten",
                # beyond the 64-bit integers the database binds: a 500 before (an outside check)
                f"offset={2**63}", f"offset={services.MAX_OFFSET + 1}"):
        assert client.get(f"/api/samples?{bad}", headers=alice).status_code == 422, bad
    for listing in ("/api/subjects", "/api/account/audit"):
        assert client.get(f"{listing}?offset={2**63}", headers=alice).status_code == 422, listing
    assert client.get(f"/api/samples?offset={services.MAX_OFFSET}", headers=alice).json() == []
    # one subject's samples are paged the same way
    subject = next(r.subject for r in ordered if r.subject)
    mine = client.get("/api/samples", headers=alice, params={"subject": subject, "limit": 3})
    assert mine.headers["X-Total-Count"] == str(sum(r.subject == subject for r in ordered))
    assert {s["subject"] for s in mine.json()} == {subject}
    assert "subject=" in mine.headers["Link"]


def _page_rows(html: str) -> list[str]:
    return re.findall(r'<td><a href="/samples/([0-9a-f]{32})">', html)


def test_samples_page_is_paged_with_links(client, app):
    page_register(client, "carol")  # this browser is logged in as carol
    headers = {"Authorization": "Bearer " + client.post("/api/login", json={"username": "carol", "password": "correct horse battery"}).json()["access_token"]}
    upload(client, headers, single_profile())
    with app.state.sessions() as session:
        template = session.scalars(select(Sample)).first()
        rows = [
            {
                "id": f"{i:032x}", "owner_id": template.owner_id, "name": f"S{i:04d}", "subject": None, "collected": None,
                "source_file": "x.txt", "source_format": template.source_format, "database": "", "scores": template.scores,
                "profile": template.profile, "contributions": None, "created_at": template.created_at,
            }
            for i in range(N - 1)
        ]
        session.execute(insert(Sample), rows)
        session.commit()
    pages = -(-N // services.SAMPLES_PAGE)
    first = client.get("/samples")
    assert first.status_code == 200
    assert len(_page_rows(first.text)) == services.SAMPLES_PAGE
    assert f"of {N:,}" in first.text
    assert f"Page 1 of {pages}" in first.text
    assert 'href="/samples?page=2" rel="next"' in first.text
    assert 'rel="prev"' not in first.text
    seen = []
    for number in range(1, pages + 1):
        html = client.get(f"/samples?page={number}").text
        assert f"Page {number} of {pages}" in html
        seen += _page_rows(html)
    assert len(seen) == len(set(seen)) == N
    last = client.get(f"/samples?page={pages}").text
    assert f'href="/samples?page={pages - 1}" rel="prev"' in last
    assert 'rel="next"' not in last
    # past the end (samples deleted meanwhile): the last page, not an empty one
    assert _page_rows(client.get(f"/samples?page={pages + 5}").text) == _page_rows(last)
    assert client.get("/samples?page=0").status_code == 422
    # the account page counts without listing
    assert f"{N} samples stored" in client.get("/account").text


@pytest.mark.parametrize("n", [0, 1])
def test_samples_page_without_pages_has_no_pager(client, n):
    page_register(client, "dave")
    if n:
        headers = {"Authorization": "Bearer " + client.post("/api/login", json={"username": "dave", "password": "correct horse battery"}).json()["access_token"]}
        upload(client, headers, single_profile())
    html = client.get("/samples").text
    assert 'class="pager"' not in html
    assert len(_page_rows(html)) == n


def test_subjects_are_paged_too(client, app):
    """An account with 130 subjects: /samples lists the first
    SUBJECTS_SHOWN and links to /subjects, which pages them; the API pages
    /api/subjects as /api/samples."""
    page_register(client, "erin")
    headers = {"Authorization": "Bearer " + client.post("/api/login", json={"username": "erin", "password": "correct horse battery"}).json()["access_token"]}
    upload(client, headers, single_profile())
    with app.state.sessions() as session:
        template = session.scalars(select(Sample)).first()
        rows = [
            {
                "id": f"{i:032x}", "owner_id": template.owner_id, "name": f"S{i:04d}", "subject": f"P{i % 130:03d}", "collected": None,
                "source_file": "x.txt", "source_format": template.source_format, "database": "", "scores": template.scores,
                "profile": template.profile, "contributions": None, "created_at": template.created_at,
            }
            for i in range(260)
        ]
        session.execute(insert(Sample), rows)
        session.commit()
    names = [f"P{i:03d}" for i in range(130)]
    listed = client.get("/samples").text
    shown = re.findall(r'<li><a href="/subject\?name=(P\d{3})">', listed)
    assert shown == names[: services.SUBJECTS_SHOWN]
    assert '<a href="/subjects">All 130 subjects</a>' in listed
    first = client.get("/subjects").text
    assert re.findall(r'<li><a href="/subject\?name=(P\d{3})">', first) == names[:100]
    assert "(2 samples)" in first
    assert 'href="/subjects?page=2" rel="next"' in first
    second = client.get("/subjects?page=2").text
    assert re.findall(r'<li><a href="/subject\?name=(P\d{3})">', second) == names[100:]
    assert 'href="/subjects?page=1" rel="prev"' in second

    got, url = [], "/api/subjects?limit=40"
    while url:
        response = client.get(url, headers=headers)
        assert response.headers["X-Total-Count"] == "130"
        got += [(s["subject"], s["samples"]) for s in response.json()]
        found = re.search(r'<([^>]+)>; rel="next"', response.headers.get("Link", ""))
        url = "/" + found.group(1).split("://", 1)[-1].split("/", 1)[-1] if found else ""
    assert got == [(n, 2) for n in names]
