"""The web app takes the person's age with an upload (form, API and a zip's
sample sheet), stores it with each sample (migration 0010) and gives it to the
report, which says what ``gutbalance report --age-column`` says when the age
is outside the ages of the healthy reference people.  On SQLite and
PostgreSQL; the form in a real headless Chromium."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from click.testing import CliRunner

from gutbalance.cli import main
from gutbalance.web.db import make_engine
from tests.helpers import write_metaphlan
from tests.web.conftest import count_rows, register, single_profile, upload
from tests.web.test_api import zip_of
from tests.web.test_browser import CHROMIUM, browser, page, register_in_browser, server  # noqa: F401 (fixtures)
from tests.web.test_declared_rank_page import _alembic
from tests.web.test_pages import page_register, page_upload

EIGHT_MONTHS = 8 * (1 / 12)
AGE_NOTE = re.compile(r"<strong>Read with care\.</strong> (This person is [^<]*)</p>")


def _age_note(page_html: str) -> str:
    """The report's age note, as text ("" when the page has none)."""
    match = AGE_NOTE.search(page_html)
    return html.unescape(match.group(1)) if match else ""


def _cli_age_note(tmp_path, profile: str, age: str, unit: str) -> str:
    """The age note ``gutbalance analyze --age-column`` puts on the same profile's page."""
    folder = tmp_path / "cli"
    folder.mkdir()
    (folder / "S1_metaphlan.txt").write_text(profile)
    name = "S1"  # the sample name analyze gives the file, as the web app does
    meta = tmp_path / "meta.tsv"
    pd.DataFrame({"sample": [name], "age": [age]}).to_csv(meta, sep="\t", index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["analyze", str(folder), "-o", str(out), "-j", "1", "--metadata", str(meta),
                                       "--age-column", f"age:{unit}"])
    assert result.exit_code == 0, result.output
    return _age_note((out / "samples" / f"{name}.html").read_text(encoding="utf-8"))


def test_the_form_takes_an_age_and_the_report_says_what_the_cli_says(client, tmp_path):
    assert page_register(client).status_code == 303
    response = page_upload(client, single_profile(), age="8", age_unit="months")
    assert response.status_code == 303, response.text
    sample_url = response.headers["location"].split("?")[0]
    details = client.get(sample_url).text
    assert "<dt>Age</dt><dd>0.7 years" in details
    web_note = _age_note(client.get(sample_url + "/report").text)
    assert web_note.startswith("This person is 0.7 years old; the healthy reference people were 6-84 years old")
    assert web_note == _cli_age_note(tmp_path, single_profile(), "8", "months")
    # the downloaded page is the same page
    assert _age_note(client.get(sample_url + "/report.html").text) == web_note


def test_an_adult_or_no_age_gets_no_note(client):
    assert page_register(client).status_code == 303
    for fields in ({"age": "40"}, {}):
        response = page_upload(client, single_profile(), **fields)
        assert response.status_code == 303, response.text
        sample_url = response.headers["location"].split("?")[0]
        assert _age_note(client.get(sample_url + "/report").text) == ""
        assert ("<dt>Age</dt>" in client.get(sample_url).text) == bool(fields)


def test_the_api_stores_the_age_in_years_and_returns_it(client):
    alice = register(client, "alice")
    response = upload(client, alice, single_profile(), age="8", age_unit="months")
    assert response.status_code == 201, response.text
    (sample,) = response.json()
    assert sample["age_years"] == EIGHT_MONTHS
    assert client.get(f"/api/samples/{sample['id']}", headers=alice).json()["age_years"] == EIGHT_MONTHS
    for fields, years in (({"age": "1.5"}, 1.5), ({"age": "365.25", "age_unit": "Days"}, 1.0), ({}, None)):
        response = upload(client, alice, single_profile(), **fields)
        assert response.status_code == 201, response.text
        assert response.json()[0]["age_years"] == years
        # the scores do not depend on the age
        assert response.json()[0]["scores"] == sample["scores"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"age": "eight", "age_unit": "months"}, "age (the person's age in age_unit) is not a number of months; or leave it empty"),
        ({"age": "-1"}, "age (the person's age in age_unit) is not a number of years of 0 or more"),
        ({"age": "nan"}, "age (the person's age in age_unit) is not a number of years of 0 or more"),
        ({"age": "200"}, "is more than 130 years (is the unit years right?)"),
        ({"age": "8", "age_unit": "weeks"}, "age_unit is not a unit of age: give years, months or days"),
    ],
    ids=["word", "negative", "nan", "too-old", "unit"],
)
def test_an_age_that_is_no_age_is_refused_naming_the_field(client, app, fields, message):
    alice = register(client, "alice")
    response = upload(client, alice, single_profile(), **fields)
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    assert "eight" not in response.json()["detail"]  # errors never repeat the input
    assert count_rows(app)["samples"] == 0


def test_the_form_keeps_a_refused_age_and_says_why(client, app):
    assert page_register(client).status_code == 303
    response = page_upload(client, single_profile(), age="8", age_unit="weeks")
    assert response.status_code == 422
    assert "age_unit is not a unit of age" in response.text
    assert 'name="age" inputmode="decimal" maxlength="16" value="8"' in response.text
    assert count_rows(app)["samples"] == 0


def test_a_sample_sheet_gives_each_sample_its_own_age(client):
    alice = register(client, "alice")
    members = {"S1.txt": single_profile().encode(), "S2.txt": single_profile().encode(), "S3.txt": single_profile().encode(),
               "samples.tsv": b"sample\tage_months\nS1\t8\nS2\t\n"}
    response = upload(client, alice, zip_of(members), filename="visits.zip", age="30")
    assert response.status_code == 201, response.text
    ages = {s["name"]: s["age_years"] for s in response.json()}
    # the sheet's age first; an empty cell or a sample it does not name keeps the form's
    assert ages == {"S1": EIGHT_MONTHS, "S2": 30.0, "S3": 30.0}
    # the account export holds what the app holds
    export = zipfile.ZipFile(io.BytesIO(client.get("/api/account/export", headers=alice).content))
    assert {s["name"]: s["age_years"] for s in json.loads(export.read("samples.json"))} == ages


@pytest.mark.parametrize(
    ("sheet", "message"),
    [
        ("sample\tage_days\nS1\tabout a year\n", "visits.zip/samples.tsv, line 2, field 'age_days': the age is not a number of days"),
        ("sample\tage_years\nS1\t-2\n", "line 2, field 'age_years': the age is not a number of years of 0 or more"),
        ("sample\tage_years\tage_months\nS1\t1\t12\n", "line 1: 2 age columns (age_years, age_months): keep one, in the unit of its name"),
    ],
    ids=["word", "negative", "two-columns"],
)
def test_a_sample_sheet_age_that_is_wrong_names_its_line_and_field(client, sheet, message):
    alice = register(client, "alice")
    response = upload(client, alice, zip_of({"S1.txt": single_profile().encode(), "samples.tsv": sheet.encode()}),
                      filename="visits.zip")
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    assert client.get("/api/samples", headers=alice).json() == []


def test_migration_0010_goes_up_and_down(database_url):
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            command.upgrade(_alembic(connection), "head")
            for table in ("samples", "jobs"):
                assert "age_years" in {c["name"] for c in sa.inspect(connection).get_columns(table)}
            command.downgrade(_alembic(connection), "0009")
            for table in ("samples", "jobs"):
                assert "age_years" not in {c["name"] for c in sa.inspect(connection).get_columns(table)}
            command.upgrade(_alembic(connection), "head")
            assert "age_years" in {c["name"] for c in sa.inspect(connection).get_columns("samples")}
    finally:
        engine.dispose()


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_a_clinic_gives_an_infants_age_in_the_form_and_reads_the_note(server, page, tmp_path):  # noqa: F811
    register_in_browser(server, page, "clinic-age")
    profile = write_metaphlan(tmp_path / "Infant1_metaphlan.txt")
    page.locator("input[type=file]").set_input_files(str(profile))
    page.get_by_label("Age", exact=True).fill("8")
    page.get_by_label("Unit of the age").select_option("months")
    page.get_by_role("button", name="Upload and score").click()
    page.wait_for_url("**/samples/*?notice=uploaded")
    assert page.get_by_text("0.7 years (as uploaded").is_visible()
    page.get_by_role("link", name="Read the report").click()
    page.wait_for_url("**/report")
    note = page.locator(".age-note")
    assert note.is_visible()
    assert "This person is 0.7 years old; the healthy reference people were 6-84 years old" in note.inner_text()
