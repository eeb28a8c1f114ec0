"""What ``gutbalance analyze`` warns of in problems.tsv while reading a file
(a total far from 100 %, abundances written as fractions where the format
expects percentages) reaches the sample's page and the API: the web app used
to drop these and score the file without a word, while GMHI and homeostasis
moved."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from gutbalance.cli import main
from tests.web.conftest import PASSWORD, register, upload
from tests.web.test_pages import csrf_of

#: Upload formats and pages over the same queries as test_api: SQLite alone (conftest.py).
DATABASES = ("sqlite",)

KEFIR = "profiles/kefir_metaphlan3/Subj001_time1_S1_metaphlan3.txt"
FRACTIONS_WARNING = "abundances add up to 1, not 100: they look like fractions"


def as_fractions(text: str) -> str:
    """A real MetaPhlAn profile with every relative abundance divided by 100
    (percentages saved as fractions, as a spreadsheet round trip may do)."""
    out = []
    for line in text.splitlines(keepends=True):
        if line.startswith("#"):
            out.append(line)
            continue
        cells = line.rstrip("\n").split("\t")
        cells[2] = repr(float(cells[2]) / 100)
        out.append("\t".join(cells) + "\n")
    return "".join(out)


def cli_warnings(tmp_path: Path, filename: str, content: str) -> list[str]:
    """The warnings ``gutbalance analyze`` writes to problems.tsv for the file
    (whose ``file`` column names it), each led by the file's name as the
    upload knows it (the web app has no such column)."""
    path = tmp_path / "cli_in" / filename
    path.parent.mkdir()
    path.write_text(content)
    out = tmp_path / "cli_out"
    done = CliRunner().invoke(main, ["analyze", str(path), "-o", str(out), "--reports", "none", "-j", "1"])
    assert done.exit_code == 0, done.output
    problems = pd.read_csv(out / "problems.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert set(problems["file"]) == {str(path)}
    return [f"{filename}: {m}" for m in problems.loc[problems["severity"] == "warning", "message"]]


def test_fractions_in_a_percent_format_are_said_on_the_api_and_the_page(client, shared_data, tmp_path):
    real = (shared_data / KEFIR).read_text()
    fractions = as_fractions(real)
    headers = register(client, "clinic")

    response = upload(client, headers, fractions, filename="S1_fractions.txt")
    assert response.status_code == 201, response.text
    (sample,) = response.json()
    expected = cli_warnings(tmp_path, "S1_fractions.txt", fractions)
    assert len(expected) == 1
    assert FRACTIONS_WARNING in expected[0]
    assert sample["read_warnings"] == expected
    assert expected[0].startswith("S1_fractions.txt: sample 'S1_fractions': ")  # no server path
    assert client.get(f"/api/samples/{sample['id']}", headers=headers).json()["read_warnings"] == expected

    clean = upload(client, headers, real, filename="S1_percent.txt").json()[0]
    assert clean["read_warnings"] == []
    # the warning is the reason these two differ: GMHI is missing under fractions
    assert clean["scores"]["gmhi"] is not None
    assert sample["scores"]["gmhi"] is None

    token = csrf_of(client.get("/login").text)
    assert client.post("/login", data={"username": "clinic", "password": PASSWORD, "csrf_token": token}, follow_redirects=False).status_code == 303
    page = client.get(f"/samples/{sample['id']}")
    assert page.status_code == 200
    care = re.search(r'<section class="card caution".*?</section>', page.text, re.S)
    assert care is not None
    assert "When the file was read" in care.group(0)
    assert FRACTIONS_WARNING in care.group(0)
    assert "When the file was read" not in client.get(f"/samples/{clean['id']}").text


def test_the_report_of_a_sample_lists_its_read_warnings_for_a_reader(client, shared_data):
    """The downloadable (and printed) report says it too, first, in words for
    its reader: the file named, the sample's own name (the page's) left out."""
    real = (shared_data / KEFIR).read_text()
    headers = register(client, "printer")
    sample = upload(client, headers, as_fractions(real), filename="S1_fractions.txt").json()[0]
    clean = upload(client, headers, real, filename="S1_percent.txt").json()[0]

    report = client.get(f"/api/samples/{sample['id']}/report", headers=headers)
    assert report.status_code == 200
    block = re.search(r'<section class="notice read-warnings".*?</section>', report.text, re.S)
    assert block is not None
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block.group(0)))
    assert "Something in the file was unusual." in words
    assert f"In the file S1_fractions.txt: {FRACTIONS_WARNING}" in words
    assert "sample 'S1_fractions'" not in words
    # before anything else the report says
    assert report.text.index("read-warnings") < report.text.index('class="cards"')
    assert "read-warnings" not in client.get(f"/api/samples/{clean['id']}/report", headers=headers).text


def test_in_a_zip_only_the_sample_whose_file_is_off_carries_it(client, shared_data, tmp_path):
    real = (shared_data / KEFIR).read_text()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("visits/A_metaphlan.txt", real)
        zf.writestr("visits/B_metaphlan.txt", as_fractions(real))
    headers = register(client, "lab")
    response = upload(client, headers, archive.getvalue(), filename="visits.zip")
    assert response.status_code == 201, response.text
    by_name = {s["name"]: s for s in response.json()}
    assert by_name["A"]["read_warnings"] == []
    (warning,) = by_name["B"]["read_warnings"]
    assert warning.startswith("visits.zip/visits/B_metaphlan.txt: sample 'B': ")
    assert FRACTIONS_WARNING in warning
