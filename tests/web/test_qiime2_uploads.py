"""A QIIME 2 table of ASV ids and its taxonomy uploaded in one zip are read
as the pair ``gutbalance analyze table.qza taxonomy.qza`` reads: the stored
scores are the command line's cells, to the character (the independent
calculation); two tables with one taxonomy are read as ``analyze`` reads the
three files.  A table of ASV ids uploaded alone, a zip of artifacts without a
taxonomy, or a taxonomy alone are refused with what a clinic can do, in the
web app's terms; an artifact inside the zip is read within the upload's
limits, its members and the other files counted together, by the request from
the directories (a .qza bomb in the pair is 413 before a job is queued) and
by the worker as the backstop, each naming the total and the limit."""

from __future__ import annotations

import gzip
import io
import os
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from gutbalance.cli import main
from gutbalance.errors import SizeLimitError
from gutbalance.io.archive import check_archive
from gutbalance.io.formats import qza
from gutbalance.io.source import InputLimits
from gutbalance.web.ingest import check_zip_upload, score_upload
from gutbalance.web.models import Job
from tests.bombs import qza_bomb
from tests.helpers import SMALL_COMMUNITY, make_cohort
from tests.web.conftest import CHEAP_HASHING, WAIT_FOR_SCORING, count_rows, register, upload
from tests.web.test_api import zip_of
from tests.web.test_feature_rank import assert_same_as_cli

#: Upload formats and pages over the same queries as test_api: SQLite alone (conftest.py).
DATABASES = ("sqlite",)

QIIME2 = "formats/qiime2"
OUTSIDE = Path(os.environ.get("GUTBALANCE_OUTSIDE_DATA") or "/work/outside-data")
PAIR_WAY = ("upload one zip holding the table and its FeatureData[Taxonomy] (taxonomy.qza or taxonomy.tsv), "
            "which are read together as gutbalance analyze table.qza taxonomy.qza reads them")
WAYS = ("collapse the table to taxa (qiime taxa collapse, to genus or species level) and upload that artifact, "
        "or score the pair on the command line (gutbalance analyze table.qza taxonomy.qza)")


def pair_files(tmp_path: Path) -> tuple[Path, Path]:
    """A FeatureTable[Frequency] of hashed feature ids and its FeatureData[Taxonomy], as the library writes them."""
    cohort = make_cohort({"A": SMALL_COMMUNITY, "B": dict(reversed(list(SMALL_COMMUNITY.items())))})
    table, taxonomy = tmp_path / "table.qza", tmp_path / "taxonomy.qza"
    qza.write_artifacts(cohort, table, taxonomy)
    return table, taxonomy


def data_member(artifact: Path, suffix: str) -> bytes:
    with zipfile.ZipFile(artifact) as zf:
        return zf.read(next(n for n in zf.namelist() if n.endswith(suffix)))


def cli_pair_scores(tmp_path: Path, table: Path, taxonomy: Path) -> pd.DataFrame:
    """``gutbalance analyze TABLE TAXONOMY``'s scores.tsv, every cell as written."""
    out = tmp_path / "cli"
    done = CliRunner().invoke(main, ["analyze", str(table), str(taxonomy), "-o", str(out), "--reports", "none", "-j", "1"])
    assert done.exit_code == 0, done.output
    return pd.read_csv(out / "scores.tsv", sep="\t", dtype=str, keep_default_na=False, index_col=0)


def assert_stored_as_cli(client, headers, samples: list[dict], expected: pd.DataFrame) -> None:
    assert sorted(s["name"] for s in samples) == sorted(expected.index)
    for s in samples:
        tsv = client.get(f"/api/samples/{s['id']}/scores.tsv", headers=headers)
        assert tsv.status_code == 200
        assert_same_as_cli(tsv.text, expected.loc[[s["name"]]])


def test_a_zip_of_a_table_qza_and_its_taxonomy_qza_is_scored_as_the_cli(client, tmp_path):
    headers = register(client, "clinic")
    table, taxonomy = pair_files(tmp_path)
    created = upload(client, headers, zip_of({"table.qza": table.read_bytes(), "taxonomy.qza": taxonomy.read_bytes()}),
                     filename="pair.zip")
    assert created.status_code == 201, created.text
    samples = created.json()
    assert [s["name"] for s in samples] == ["A", "B"]
    assert all(s["scores"]["immune_support"] is not None for s in samples)
    assert_stored_as_cli(client, headers, samples, cli_pair_scores(tmp_path, table, taxonomy))


def test_a_zip_of_a_biom_table_and_a_taxonomy_tsv_is_scored_as_the_cli(client, tmp_path):
    headers = register(client, "lab")
    table, taxonomy = pair_files(tmp_path)
    (tmp_path / "exported").mkdir()
    biom, tsv = tmp_path / "exported" / "feature-table.biom", tmp_path / "exported" / "taxonomy.tsv"
    biom.write_bytes(data_member(table, "feature-table.biom"))
    tsv.write_bytes(data_member(taxonomy, "taxonomy.tsv"))
    created = upload(client, headers, zip_of({"exported/feature-table.biom": biom.read_bytes(),
                                              "exported/taxonomy.tsv": tsv.read_bytes()}), filename="exported.zip")
    assert created.status_code == 201, created.text
    assert_stored_as_cli(client, headers, created.json(), cli_pair_scores(tmp_path, biom, tsv))


@pytest.mark.skipif(not (OUTSIDE / "movingpictures" / "taxonomy.qza").is_file(), reason="Moving Pictures' files are not here")
def test_moving_pictures_pair_is_stored_with_the_clis_scores(client, tmp_path):
    headers = register(client, "clinic")
    table, taxonomy = OUTSIDE / "movingpictures" / "table-dada2.qza", OUTSIDE / "movingpictures" / "taxonomy.qza"
    created = upload(client, headers, zip_of({table.name: table.read_bytes(), taxonomy.name: taxonomy.read_bytes()}),
                     filename="movingpictures.zip")
    assert created.status_code == 201, created.text
    samples = created.json()
    assert len(samples) == 34
    assert_stored_as_cli(client, headers, samples, cli_pair_scores(tmp_path, table, taxonomy))


def test_a_table_of_asv_ids_alone_says_to_zip_it_with_its_taxonomy(client, shared_data):
    headers = register(client, "clinic")
    table = (shared_data / QIIME2 / "dada2_table.qza").read_bytes()
    response = upload(client, headers, table, filename="table-dada2.qza")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert f"{PAIR_WAY}; or {WAYS}" in detail
    assert "gutbalance.read(" not in detail
    assert "cannot pair" not in detail


def test_a_taxonomy_alone_says_to_zip_it_with_its_table(client, tmp_path):
    headers = register(client, "clinic")
    _, taxonomy = pair_files(tmp_path)
    alone = upload(client, headers, taxonomy.read_bytes(), filename="taxonomy.qza")
    assert alone.status_code == 422
    assert "upload it in one zip with the FeatureTable it describes" in alone.json()["detail"]
    assert "gutbalance.read(" not in alone.json()["detail"]
    zipped = upload(client, headers, zip_of({"taxonomy.qza": taxonomy.read_bytes()}), filename="taxonomy.zip")
    assert zipped.status_code == 422
    assert ("the zip archive holds only the taxonomy 'taxonomy.qza': add the feature table it describes"
            in zipped.json()["detail"])
    assert count_rows(client.app)["samples"] == 0


def test_two_tables_with_one_taxonomy_are_read_as_the_cli_reads_them(client, tmp_path, shared_data):
    """Each table is read with the taxonomy, as ``analyze table.qza run2.qza
    taxonomy.qza`` reads them: the table it describes is stored with the
    command line's cells; the other, none of whose features it names, is left
    out with the command line's words, the zip member named."""
    headers = register(client, "clinic")
    table, taxonomy = pair_files(tmp_path)
    run2 = tmp_path / "run2.qza"
    run2.write_bytes((shared_data / QIIME2 / "dada2_table.qza").read_bytes())
    out = tmp_path / "cli"
    done = CliRunner().invoke(main, ["analyze", str(table), str(run2), str(taxonomy), "-o", str(out), "--reports", "none", "-j", "1"])
    assert done.exit_code == 1, done.output  # an input could not be read
    problems = pd.read_csv(out / "problems.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert problems["file"].tolist() == [str(run2)]
    assert "are not in the taxonomy given beside the table" in problems["message"].iloc[0]
    archive = zip_of({"table.qza": table.read_bytes(), "run2.qza": run2.read_bytes(), "taxonomy.qza": taxonomy.read_bytes()})
    response = upload(client, headers, archive, filename="two.zip")
    assert response.status_code == 207, response.text
    job = response.json()
    assert job["problems"] == [{"file": "run2.qza",
                                "problem": problems["message"].iloc[0].replace(str(taxonomy), "two.zip/taxonomy.qza")}]
    samples = [client.get(f"/api/samples/{i}", headers=headers).json() for i in job["samples"]]
    expected = pd.read_csv(out / "scores.tsv", sep="\t", dtype=str, keep_default_na=False, index_col=0)
    assert_stored_as_cli(client, headers, samples, expected)


def test_a_zip_of_qiime2_artifacts_without_a_taxonomy_is_refused_with_the_way_out(client, shared_data):
    headers = register(client, "clinic")
    archive = zip_of({"table-dada2.qza": (shared_data / QIIME2 / "dada2_table.qza").read_bytes(),
                      "other.qza": (shared_data / QIIME2 / "simple_relative_abundances.qza").read_bytes()})
    response = upload(client, headers, archive, filename="pair.zip")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "member 'table-dada2.qza' is a QIIME 2 artifact, which is read uploaded on its own, or in a zip" in detail
    assert PAIR_WAY in detail
    assert "upload it on its own" not in detail


def _jobs(app) -> int:
    with app.state.sessions() as session:
        return session.scalar(select(func.count()).select_from(Job))


def _declared(artifact: bytes) -> int:
    """What an artifact's directory says its members expand to."""
    with zipfile.ZipFile(io.BytesIO(artifact)) as zf:
        return sum(info.file_size for info in zf.infolist())


def _expanded(artifact: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(artifact)) as zf:
        return sum(info.file_size for info in check_archive(zf, len(artifact), Path("a.qza")))


def test_a_qza_bomb_zipped_with_a_taxonomy_is_refused_by_the_request_naming_its_size(client, tmp_path):
    """The bomb's directory is read in the request, from the end of the
    artifact streamed out of the zip: 413 naming what the bomb declares and
    the limit, and no job is queued."""
    headers = register(client, "clinic")
    _, taxonomy = pair_files(tmp_path)
    bomb = qza_bomb()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:  # stored: the outer ratio is 1, only the .qza's gives it away
        zf.writestr("table.qza", bomb)
        zf.writestr("taxonomy.qza", taxonomy.read_bytes())
    response = upload(client, headers, buffer.getvalue(), filename="bomb.zip")
    assert response.status_code == 413
    assert response.json()["detail"] == (f"bomb.zip/table.qza: the archive expands to {_declared(bomb):,} bytes, over "
                                         "the limit of 209,715,200; refusing it (a possible archive bomb)")
    assert _declared(bomb) == 1070 * 1024 * 1024 + len(b"uuid: 0f0e0d0c-0b0a-4908-8706-050403020100\n"
                                                     b"type: FeatureTable[Frequency]\nformat: BIOMV210DirFmt\n")
    assert _jobs(client.app) == 0
    assert count_rows(client.app)["samples"] == 0


def test_the_artifacts_of_a_pair_count_together_against_the_expanded_limit(tmp_path):
    """The worker's check (the backstop of the request's): exactly at the
    limit the pair is read; one byte under, refused naming the total and the
    limit, both right."""
    table, taxonomy = (p.read_bytes() for p in pair_files(tmp_path))
    archive = zip_of({"table.qza": table, "taxonomy.qza": taxonomy})
    inside = _expanded(table) + _expanded(taxonomy)
    assert len(score_upload(archive, filename="pair.zip", limits=InputLimits(max_expanded_bytes=inside))) == 2
    # each artifact alone is within the limit, the two together are not
    assert max(_expanded(table), _expanded(taxonomy), len(archive)) < inside - 1
    with pytest.raises(SizeLimitError) as refused:
        score_upload(archive, filename="pair.zip", limits=InputLimits(max_expanded_bytes=inside - 1))
    assert refused.value.message == (f"the files in the archive (QIIME 2 artifacts' members counted) expand to {inside:,} "
                                     f"bytes together, over the limit of {inside - 1:,} bytes of one upload")
    # passed before the last file: the worker stops counting there and says "at least"
    late = zip_of({"table.qza": table, "taxonomy.qza": taxonomy, "notes.txt": b"x\n"})
    with pytest.raises(SizeLimitError) as stopped:
        score_upload(late, filename="pair.zip", limits=InputLimits(max_expanded_bytes=inside - 1))
    assert f"expand to at least {inside:,} bytes together, over the limit of {inside - 1:,} bytes" in stopped.value.message


#: A small expanded limit for the pair below: the pair's artifacts are tens of KB.
PAIR_LIMIT = 100_000


def _padding_to_pass(tmp_path: Path) -> tuple[bytes, bytes, int]:
    """The pair's artifacts and how many more bytes pass :data:`PAIR_LIMIT` by one."""
    table, taxonomy = (p.read_bytes() for p in pair_files(tmp_path))
    inside = _expanded(table) + _expanded(taxonomy)
    assert inside < PAIR_LIMIT // 2
    return table, taxonomy, PAIR_LIMIT - inside + 1


@pytest.mark.parametrize("settings_overrides", [{**CHEAP_HASHING, **WAIT_FOR_SCORING, "upload_max_expanded_bytes": PAIR_LIMIT}])
def test_a_pair_over_the_expanded_limit_is_refused_by_the_request_before_a_job(client, tmp_path):
    """The artifacts' members and a plain file, known from the directories:
    413 from the request, the total and the limit named, no job queued."""
    headers = register(client, "clinic")
    table, taxonomy, extra = _padding_to_pass(tmp_path)
    notes = b"#" * (extra - 1) + b"\n"
    archive = zip_of({"table.qza": table, "notes.txt": notes, "taxonomy.qza": taxonomy})
    with pytest.raises(SizeLimitError, match="expand to 100,001 bytes together, over the limit of 100,000 bytes"):
        check_zip_upload(archive, filename="pair.zip", limits=InputLimits(max_expanded_bytes=PAIR_LIMIT))
    response = upload(client, headers, archive, filename="pair.zip")
    assert response.status_code == 413
    assert response.json()["detail"] == ("pair.zip: the files in the archive (QIIME 2 artifacts' members counted) expand to "
                                         "100,001 bytes together, over the limit of 100,000 bytes of one upload")
    assert _jobs(client.app) == 0
    within = zip_of({"table.qza": table, "notes.txt": notes[1:], "taxonomy.qza": taxonomy})  # one byte less: read
    check_zip_upload(within, filename="pair.zip", limits=InputLimits(max_expanded_bytes=PAIR_LIMIT))


@pytest.mark.parametrize("settings_overrides", [{**CHEAP_HASHING, **WAIT_FOR_SCORING, "upload_max_expanded_bytes": PAIR_LIMIT}])
def test_a_gzip_in_the_pair_passing_the_limit_is_refused_by_the_worker(client, tmp_path):
    """What a gzip member expands to is known only once decompressed: the
    request counts it 0 and queues the job, and the worker's backstop refuses
    it with the same words and the right total."""
    headers = register(client, "clinic")
    table, taxonomy, extra = _padding_to_pass(tmp_path)
    notes = gzip.compress(b"#" * (extra - 1) + b"\n")
    archive = zip_of({"table.qza": table, "taxonomy.qza": taxonomy, "notes.txt.gz": notes})
    check_zip_upload(archive, filename="pair.zip", limits=InputLimits(max_expanded_bytes=PAIR_LIMIT))  # passes the request
    response = upload(client, headers, archive, filename="pair.zip")
    assert response.status_code == 413
    assert response.json()["detail"] == ("pair.zip: the files in the archive (QIIME 2 artifacts' members counted) expand to "
                                         "100,001 bytes together, over the limit of 100,000 bytes of one upload")
    assert _jobs(client.app) == 1  # queued, then failed in the worker
    assert count_rows(client.app)["samples"] == 0


@pytest.mark.parametrize("bad", [b"PK\x03\x04" + b"\x00" * 60, zip_of({"../evil": b"x"})], ids=["no-directory", "unsafe-name"])
def test_a_broken_artifact_does_not_stop_the_request_counting_the_rest(tmp_path, bad):
    """An artifact whose directory cannot be read, or that its reader will
    refuse (a member named '../evil'), counts as its bytes (the worker names
    what is wrong with it), and the files after it still count."""
    table, taxonomy, extra = _padding_to_pass(tmp_path)
    archive = zip_of({"bad.qza": bad, "table.qza": table, "taxonomy.qza": taxonomy,
                      "notes.txt": b"#" * (extra - 1 - len(bad)) + b"\n"})
    with pytest.raises(SizeLimitError, match="expand to 100,001 bytes together, over the limit of 100,000 bytes"):
        check_zip_upload(archive, filename="pair.zip", limits=InputLimits(max_expanded_bytes=PAIR_LIMIT))
