"""A QIIME 2 table of ASV ids and its taxonomy uploaded in one zip are read
as the pair ``gutbalance analyze table.qza taxonomy.qza`` reads: the stored
scores are the command line's cells, to the character (the independent
calculation).  A table of ASV ids uploaded alone, a zip of artifacts without a
taxonomy, a taxonomy alone, or a taxonomy with two tables are refused with
what a clinic can do, in the web app's terms; an artifact inside the zip is
read within the upload's limits (a .qza bomb in the pair is refused whole)."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from gutbalance.cli import main
from gutbalance.errors import SizeLimitError
from gutbalance.io.archive import check_archive
from gutbalance.io.formats import qza
from gutbalance.io.source import InputLimits
from gutbalance.web.ingest import score_upload
from tests.bombs import qza_bomb
from tests.helpers import SMALL_COMMUNITY, make_cohort
from tests.web.conftest import count_rows, register, upload
from tests.web.test_api import zip_of
from tests.web.test_feature_rank import assert_same_as_cli

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


def test_two_tables_with_one_taxonomy_are_refused_naming_them(client, tmp_path, shared_data):
    headers = register(client, "clinic")
    table, taxonomy = pair_files(tmp_path)
    archive = zip_of({"table.qza": table.read_bytes(), "run2.qza": (shared_data / QIIME2 / "dada2_table.qza").read_bytes(),
                      "taxonomy.qza": taxonomy.read_bytes()})
    response = upload(client, headers, archive, filename="two.zip")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "holds the taxonomy 'taxonomy.qza' and 2 other files ('table.qza', 'run2.qza')" in detail
    assert "zip each table with its taxonomy" in detail
    assert count_rows(client.app)["samples"] == 0


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


def test_a_qza_bomb_zipped_with_a_taxonomy_is_refused_by_the_upload_limits(client, tmp_path):
    headers = register(client, "clinic")
    _, taxonomy = pair_files(tmp_path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:  # stored: the outer ratio is 1, only the .qza's gives it away
        zf.writestr("table.qza", qza_bomb())
        zf.writestr("taxonomy.qza", taxonomy.read_bytes())
    response = upload(client, headers, buffer.getvalue(), filename="bomb.zip")
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert detail.startswith("bomb.zip/table.qza: the archive expands to more than")
    assert "over the limit of 209,715,200" in detail
    assert count_rows(client.app)["samples"] == 0


def _expanded(artifact: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(artifact)) as zf:
        return sum(info.file_size for info in check_archive(zf, len(artifact), Path("a.qza")))


def test_the_artifacts_of_a_pair_count_together_against_the_expanded_limit(tmp_path):
    table, taxonomy = (p.read_bytes() for p in pair_files(tmp_path))
    archive = zip_of({"table.qza": table, "taxonomy.qza": taxonomy})
    inside = _expanded(table) + _expanded(taxonomy)
    assert len(score_upload(archive, filename="pair.zip", limits=InputLimits(max_expanded_bytes=inside))) == 2
    # each artifact alone is within the limit, the two together are not
    assert max(_expanded(table), _expanded(taxonomy), len(archive)) < inside - 1
    with pytest.raises(SizeLimitError, match=f"expand to more than {inside:,} bytes together, over the limit of {inside - 1:,}"):
        score_upload(archive, filename="pair.zip", limits=InputLimits(max_expanded_bytes=inside - 1))
