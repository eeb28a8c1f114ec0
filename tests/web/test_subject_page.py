"""The subject's page says how its samples are ordered: by collection date
only where they have one. It said "by collection date" for samples with no
date at all (a person's sequencing runs uploaded without dates), and the
timeline then numbered them as if they were visits in time."""

from __future__ import annotations

import re

from tests.web.test_pages import page_register, page_upload

#: Upload formats and pages over the same queries as test_api: SQLite alone (conftest.py).
DATABASES = ("sqlite",)

KEFIR = "profiles/kefir_metaphlan3"


def upload_kefir(client, shared_data, name: str, *, subject: str, collected: str = "") -> None:
    """One real kefir profile through the upload form."""
    content = (shared_data / KEFIR / f"{name}_metaphlan3.txt").read_bytes()
    assert page_upload(client, content, filename=f"{name}_metaphlan3.txt", subject=subject, collected=collected).status_code == 303


def order_sentence(html: str) -> str:
    match = re.search(r"<h1>Subject [^<]*</h1>\s*<p[^>]*>(.*?)</p>", html, re.S)
    assert match is not None
    return " ".join(match.group(1).split())


def test_undated_samples_are_said_to_be_in_upload_order(client, shared_data):
    page_register(client, "clinic")
    upload_kefir(client, shared_data, "Subj001_time1_S1", subject="P-01")
    upload_kefir(client, shared_data, "Subj001_time2_S2", subject="P-01")
    html = client.get("/subject?name=P-01").text
    assert order_sentence(html) == (
        "2 samples, in the order they were uploaded: none has a collection date, so this need not be the order they were taken."
    )
    assert "by collection date" not in html
    assert "the timeline numbers them 1, 2, 3" in html
    assert "Read the timeline" in html
    # the timeline itself says so too, in the app's terms (it said "in time order")
    timeline = client.get("/subject/timeline?name=P-01").text
    assert "in time order" not in timeline
    assert "in the order of the input: none has a time" in timeline
    assert "Give each sample its collection date under" in timeline
    assert "--time-column" not in timeline

    upload_kefir(client, shared_data, "Subj003_time1_S3", subject="P-01", collected="2024-03-05")
    html = client.get("/subject?name=P-01").text
    assert order_sentence(html) == "3 samples, by collection date; 2 have none and come last, in the order uploaded."
    assert "the timeline numbers them 1, 2, 3" in html
    # the dated sample first, then the undated ones as uploaded
    assert html.index(">Subj003_time1_S3<") < html.index(">Subj001_time1_S1<") < html.index(">Subj001_time2_S2<")


def test_dated_samples_are_by_collection_date(client, shared_data):
    page_register(client, "lab")
    upload_kefir(client, shared_data, "Subj001_time2_S2", subject="P-02", collected="2024-04-02")
    upload_kefir(client, shared_data, "Subj001_time1_S1", subject="P-02", collected="2024-03-05")
    html = client.get("/subject?name=P-02").text
    assert order_sentence(html) == "2 samples, by collection date."
    assert "the timeline numbers them" not in html
    assert html.index(">Subj001_time1_S1<") < html.index(">Subj001_time2_S2<")
    assert "samples of the same person, in time order" in client.get("/subject/timeline?name=P-02").text


def test_samples_sharing_a_date_are_told_how_to_split_in_the_web_apps_terms(client, shared_data):
    """The timeline of two samples of one date told the web reader to name the
    arm with ``--subject-column person,arm``, an option of the command line."""
    page_register(client, "clinic")
    upload_kefir(client, shared_data, "Subj001_time1_S1", subject="P-07", collected="2026-03-02")
    upload_kefir(client, shared_data, "Subj001_time2_S2", subject="P-07", collected="2026-03-02")
    html = client.get("/subject/timeline?name=P-07").text
    assert "Two or more samples share a time" in html
    assert "--subject-column" not in html
    assert "Give each arm its own subject (P-07 A, P-07 B) under" in html
