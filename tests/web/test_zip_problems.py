"""A zip of profiles with some files that cannot be read: the good files'
samples are stored, each bad file is named with its problem (in the API's
answer, the job and the upload's page), and the archive is refused whole
only where the archive itself is the problem.  SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from gutbalance.web import ingest
from tests.helpers import SMALL_COMMUNITY, metaphlan_text
from tests.web.conftest import register, single_profile, upload
from tests.web.test_api import zip_of
from tests.web.test_pages import page_register, page_upload

#: Upload formats and pages over the same queries as test_api: SQLite alone (conftest.py).
DATABASES = ("sqlite",)


def _negative(text: str) -> str:
    """``text`` with the abundance of its first species made negative."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if "s__" in line and not line.startswith("#"):
            fields = line.rstrip("\n").split("\t")
            column = 2 if len(fields) >= 3 else 1  # MetaPhlAn 3/4: clade, taxid, abundance, ...; 2: clade, abundance
            fields[column] = "-" + fields[column]
            lines[i] = "\t".join(fields) + "\n"
            return "".join(lines)
    raise AssertionError("no species line")


def _broken(good: bytes) -> dict[str, bytes]:
    """The four kinds of bad file a clinic's folder holds."""
    return {
        "broken/truncated_metaphlan.txt": good[: len(good) // 2 - 3],  # cut mid-line
        "broken/empty_metaphlan.txt": b"",
        "broken/notes.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>\n",
        "broken/negative_metaphlan.txt": _negative(good.decode()).encode(),
    }


def _check_problems(problems: list[dict]) -> None:
    by_file = {p["file"]: p["problem"] for p in problems}
    assert set(by_file) == {"broken/truncated_metaphlan.txt", "broken/empty_metaphlan.txt", "broken/notes.svg", "broken/negative_metaphlan.txt"}
    assert "looks truncated" in by_file["broken/truncated_metaphlan.txt"]
    assert by_file["broken/truncated_metaphlan.txt"].startswith("line ")
    assert "empty" in by_file["broken/empty_metaphlan.txt"]
    assert "not a recognised profile format" in by_file["broken/notes.svg"]
    assert "--format" not in by_file["broken/notes.svg"]  # the command line's way out, not the web app's
    assert "gutbalance formats" not in by_file["broken/notes.svg"]  # a command the web app does not have
    assert "negative abundance" in by_file["broken/negative_metaphlan.txt"]
    assert "field 'relative_abundance'" in by_file["broken/negative_metaphlan.txt"]


def test_a_zip_of_real_profiles_with_bad_files_keeps_the_good_ones(client, shared_data):
    """Six kefir MetaPhlAn 3 profiles and four bad files: 207 with the six
    samples stored (each scored as its file alone) and the four files named
    with their problems, the same when the job is polled; nothing else stored."""
    files = sorted((shared_data / "profiles" / "kefir_metaphlan3").glob("Subj00*_metaphlan3.txt"))[:6]
    assert len(files) == 6
    members = {f"kefir/{f.name}": f.read_bytes() for f in files} | _broken(files[0].read_bytes())
    alice = register(client, "alice")
    response = upload(client, alice, zip_of(members), filename="clinic.zip")
    assert response.status_code == 207, response.text
    job = response.json()
    assert job["status"] == "done"
    assert response.headers["Location"] == job["url"]
    _check_problems(job["problems"])
    assert client.get(job["url"], headers=alice).json() == job
    stored = [client.get(f"/api/samples/{i}", headers=alice).json() for i in job["samples"]]
    assert [s["name"] for s in stored] == [f.name.removesuffix("_metaphlan3.txt") for f in files]
    assert [s["source_file"] for s in stored] == [f"clinic.zip/kefir/{f.name}" for f in files]
    listed = client.get("/api/samples", headers=alice).json()
    assert sorted(s["id"] for s in listed) == sorted(job["samples"])
    alone = upload(client, alice, files[3].read_bytes(), filename=files[3].name)
    assert alone.status_code == 201, alone.text
    assert alone.json()[0]["scores"] == stored[3]["scores"]


def test_the_problems_do_not_depend_on_the_other_files():
    """Each member is judged alone: the same bad file gives the same problem
    beside any good files, in any order, and the good files' scores are the
    same bytes as without the bad ones."""
    good = {"a.txt": single_profile().encode(), "b.txt": metaphlan_text({**SMALL_COMMUNITY}).encode()}
    bad = _broken(good["a.txt"])
    clean = ingest.score_uploads([(zip_of(good), "c.zip", None)])[0]
    mixed = ingest.score_uploads([(zip_of(bad | good), "c.zip", None)])[0]
    reordered = ingest.score_uploads([(zip_of(dict(reversed((good | bad).items()))), "c.zip", None)])[0]
    assert isinstance(clean, ingest.ScoredUpload)
    assert isinstance(mixed, ingest.ScoredUpload)
    assert isinstance(reordered, ingest.ScoredUpload)
    assert clean.problems == []
    assert sorted(mixed.problems, key=lambda p: p.file) == sorted(reordered.problems, key=lambda p: p.file)
    _check_problems([{"file": p.file, "problem": p.problem} for p in mixed.problems])
    assert [s.scores for s in mixed.samples] == [s.scores for s in clean.samples]
    assert [s.contributions for s in mixed.samples] == [s.contributions for s in clean.samples]


def test_a_zip_where_no_file_can_be_read_is_refused_naming_each(client):
    alice = register(client, "alice")
    response = upload(client, alice, zip_of(_broken(single_profile().encode())), filename="clinic.zip")
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert "none of the 4 files in the zip archive could be read as a profile" in detail
    for name in ("truncated_metaphlan.txt", "empty_metaphlan.txt", "notes.svg", "negative_metaphlan.txt"):
        assert name in detail
    assert client.get("/api/samples", headers=alice).json() == []


@pytest.mark.parametrize(
    ("extra", "status", "message"),
    [
        ({"inner.zip": zip_of({"S2.txt": b"k__Bacteria\t100.0\n"})}, 422, "member 'inner.zip' is itself a zip archive"),
        ({"S2.txt": b"k__Bacteria\t100\n" + b"0" * (3 * 1024 * 1024)}, 413, "refusing a possible archive bomb"),
        ({"samples.tsv": b"sample\tcollected\nS1\t05/03/2024\n"}, 422, "'05/03/2024' is not a date written YYYY-MM-DD"),
    ],
    ids=["nested", "bomb", "wrong-sheet"],
)
def test_the_archive_itself_being_the_problem_still_refuses_it_whole(client, extra, status, message):
    """Beside a good and a bad file, a zip in the zip, a bomb or a wrong
    sample sheet still refuses the whole upload: nothing is stored."""
    alice = register(client, "alice")
    members = {"S1.txt": single_profile().encode(), "bad.txt": b""} | extra
    response = upload(client, alice, zip_of(members), filename="clinic.zip")
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]
    assert client.get("/api/samples", headers=alice).json() == []


def test_a_sheet_naming_a_sample_of_a_bad_file_leaves_that_line_out(client):
    """The sheet's line for a sample whose file could not be read is a
    problem of its own, not a reason to refuse the good files; with every
    file read, a sheet naming an unknown sample still refuses the upload."""
    alice = register(client, "alice")
    sheet = b"sample\tsubject\tcollected\nS1\tP-01\t2024-03-05\nS7\tP-07\t2024-03-06\n"
    members = {"S1_metaphlan.txt": single_profile().encode(), "S7_metaphlan.txt": b"", "samples.tsv": sheet}
    response = upload(client, alice, zip_of(members), filename="visit.zip")
    assert response.status_code == 207, response.text
    job = response.json()
    assert [p["file"] for p in job["problems"]] == ["S7_metaphlan.txt", "samples.tsv"]
    assert "line 3: no sample 'S7' among the files read" in job["problems"][1]["problem"]
    (stored,) = [client.get(f"/api/samples/{i}", headers=alice).json() for i in job["samples"]]
    assert (stored["name"], stored["subject"], stored["collected"]) == ("S1", "P-01", "2024-03-05")
    members.pop("S7_metaphlan.txt")
    refused = upload(client, alice, zip_of(members), filename="visit.zip")
    assert refused.status_code == 422
    assert "no sample 'S7' in the upload" in refused.json()["detail"]


def test_the_upload_page_lists_the_files_left_out_and_the_samples_stored(client):
    page_register(client, "carol")
    members = {"S1_metaphlan.txt": single_profile().encode(), "<b>x</b>.txt": b""}
    response = page_upload(client, zip_of(members), filename="clinic.zip")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/uploads/")
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    html = page.text
    assert "1 sample of this upload was read, scored and stored; 1 file in it could not be read" in html
    assert "<caption>Files left out</caption>" in html
    assert "&lt;b&gt;x&lt;/b&gt;.txt" in html  # a member's name is escaped
    assert "<b>x</b>" not in html
    assert "the file is empty" in html
    assert '<caption>Samples stored</caption>' in html
    assert ">S1</a>" in html
    assert "http-equiv=\"refresh\"" not in html  # done: the page does not reload


def _with_bad_crc(archive: bytes, content: bytes) -> bytes:
    """``archive`` with one byte of a stored member's ``content`` changed, so
    its CRC-32 no longer matches (the directory stays sound)."""
    at = archive.rindex(content)  # the last member written holding it
    return archive[:at] + bytes([content[0] ^ 0x01]) + archive[at + 1 :]


def test_a_member_with_a_bad_crc_is_that_files_problem(client):
    """A zip whose directory is sound but one member's bytes were damaged
    (bad CRC): that member is named, the others are stored (it used to
    refuse the whole upload as a corrupt archive)."""
    good = {"a.txt": single_profile().encode(), "b.txt": metaphlan_text({**SMALL_COMMUNITY}).encode()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in good.items():
            archive.writestr(name, data)
    damaged = _with_bad_crc(buffer.getvalue(), good["b.txt"])
    scored = ingest.score_uploads([(damaged, "c.zip", None)])[0]
    assert isinstance(scored, ingest.ScoredUpload)
    assert [(p.file, "Bad CRC-32" in p.problem and p.problem.startswith("corrupt")) for p in scored.problems] == [("b.txt", True)]
    assert len(scored.samples) == 1
    alice = register(client, "alice")
    response = upload(client, alice, damaged, filename="clinic.zip")
    assert response.status_code == 207, response.text
    assert [p["file"] for p in response.json()["problems"]] == ["b.txt"]


def test_the_upload_page_counts_files_and_sheet_lines_apart(client):
    """One unreadable file and two lines of the sample sheet naming samples
    no file read: one file could not be read, not three (the page said "3
    files in it could not be read", counting the sheet once per line)."""
    page_register(client, "dora")
    sheet = b"sample\tsubject\nS1\tP-01\nS7\tP-07\nS8\tP-08\n"
    members = {"S1_metaphlan.txt": single_profile().encode(), "S7_metaphlan.txt": b"", "samples.tsv": sheet}
    response = page_upload(client, zip_of(members), filename="visits.zip")
    assert response.status_code == 303
    html = client.get(response.headers["location"]).text
    status = re.search(r'<p role="status">(.*?)</p>', html, re.S)
    assert status is not None
    text = " ".join(status.group(1).split())
    assert text == (
        "1 sample of this upload was read, scored and stored; 1 file in it could not be read and was left out; "
        "2 lines of its sample sheet name no sample read and were left out. "
        "Fix them and upload again (on their own or zipped): the samples stored stay."
    )
    assert html.count("the line was left out") == 2
