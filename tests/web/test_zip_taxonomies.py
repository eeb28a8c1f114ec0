"""Taxonomy files in an uploaded zip are read as ``gutbalance analyze`` reads
the same files given together (through the same merge,
:func:`gutbalance.io.taxonomy_file.merge_taxonomies`): two taxonomies of
different features are merged and the table is stored with the command
line's scores, to the character (the independent calculation); a taxonomy
that classifies a feature otherwise than one before it is left out with the
command line's words, the zip member named, as ``problems.tsv`` lists it; a
taxonomy beside MetaPhlAn profiles, which no file takes, is listed as not
used while the profiles are stored (207), as ``problems.tsv`` lists it beside
the same files in a folder.  SQLite and PostgreSQL."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from gutbalance.cli import main
from gutbalance.io.taxonomy_file import TAXONOMY_NOT_USED
from tests.web.conftest import count_rows, register, upload
from tests.web.test_api import zip_of
from tests.web.test_pages import page_register, page_upload
from tests.web.test_qiime2_uploads import assert_stored_as_cli, data_member, pair_files

#: Upload formats and pages over the same queries as test_api: SQLite alone (conftest.py).
DATABASES = ("sqlite",)


def _cli(tmp_path: Path, *inputs: Path, exit_code: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``gutbalance analyze INPUTS``' scores.tsv (every cell as written) and
    problems.tsv; ``exit_code`` 1 where an input could not be read."""
    out = tmp_path / "cli"
    done = CliRunner().invoke(main, ["analyze", *map(str, inputs), "-o", str(out), "--reports", "none", "-j", "1"])
    assert done.exit_code == exit_code, done.output
    scores = pd.read_csv(out / "scores.tsv", sep="\t", dtype=str, keep_default_na=False, index_col=0)
    return scores, pd.read_csv(out / "problems.tsv", sep="\t", dtype=str, keep_default_na=False)


def _split_taxonomy(tmp_path: Path, taxonomy: Path) -> tuple[Path, Path, list[str]]:
    """The taxonomy.tsv of ``taxonomy`` split in two files that name different
    features (as a SILVA and a GTDB classification of parts of a table), and its rows."""
    header, *rows = data_member(taxonomy, "taxonomy.tsv").decode().splitlines()
    first, second = tmp_path / "silva.tsv", tmp_path / "gtdb.tsv"
    first.write_text("\n".join([header, *rows[: len(rows) // 2]]) + "\n")
    second.write_text("\n".join([header, *rows[len(rows) // 2 :]]) + "\n")
    return first, second, [header, *rows]


def test_two_taxonomies_of_different_features_are_merged_as_the_cli_merges_them(client, tmp_path):
    headers = register(client, "lab")
    table, taxonomy = pair_files(tmp_path)
    silva, gtdb, _ = _split_taxonomy(tmp_path, taxonomy)
    expected, problems = _cli(tmp_path, table, silva, gtdb)
    assert problems.empty
    archive = zip_of({"table.qza": table.read_bytes(), "silva.tsv": silva.read_bytes(), "gtdb.tsv": gtdb.read_bytes()})
    created = upload(client, headers, archive, filename="two.zip")
    assert created.status_code == 201, created.text
    assert [s["name"] for s in created.json()] == ["A", "B"]
    assert_stored_as_cli(client, headers, created.json(), expected)
    # the merge is the whole taxonomy's: the same cells as the pair with its one taxonomy
    whole, _ = _cli(tmp_path / "whole", table, taxonomy)
    assert whole.equals(expected)


def test_a_feature_classified_otherwise_leaves_that_taxonomy_out_in_the_clis_words(client, tmp_path):
    """The second taxonomy names every feature as the first does but its last
    one otherwise: as ``analyze`` does, it is left out whole (none of its
    lineages used, not even those read before the conflicting one), named
    with the command line's message, and the table is scored with the first."""
    headers = register(client, "lab")
    table, taxonomy = pair_files(tmp_path)
    header, *rows = data_member(taxonomy, "taxonomy.tsv").decode().splitlines()
    feature = rows[-1].split("\t")[0]
    # named so that path order (analyze's) and the zip's order (the web app's) agree: silva first
    other = tmp_path / "other.tsv"  # the first half only, then the last feature as another genus
    other.write_text("\n".join([header, *rows[: len(rows) // 2], f"{feature}\td__Bacteria; p__Bacillota; g__Blautia"]) + "\n")
    silva = tmp_path / "a_silva.tsv"  # the other half: the features the left-out file would have added
    silva.write_text("\n".join([header, *rows[len(rows) // 2 :]]) + "\n")
    expected, problems = _cli(tmp_path, table, silva, other, exit_code=1)
    assert list(problems["file"]) == [str(other), str(table)]
    assert problems["severity"].tolist() == ["error", "warning"]
    cli_words = problems["message"].iloc[0]
    assert cli_words.startswith(f"feature {feature!r} is 'd__Bacteria; p__Bacillota; g__Blautia' here but ")
    assert "not in the taxonomy" in problems["message"].iloc[1]  # the first half's features are unassigned
    archive = zip_of({"table.qza": table.read_bytes(), "a_silva.tsv": silva.read_bytes(), "other.tsv": other.read_bytes()})
    response = upload(client, headers, archive, filename="conflict.zip")
    assert response.status_code == 207, response.text
    job = response.json()
    assert job["problems"] == [{"file": "other.tsv", "problem": cli_words.replace(str(silva), "conflict.zip/a_silva.tsv")}]
    samples = [client.get(f"/api/samples/{i}", headers=headers).json() for i in job["samples"]]
    assert_stored_as_cli(client, headers, samples, expected)


def test_a_zip_of_taxonomies_only_is_refused_naming_them(client, tmp_path):
    headers = register(client, "lab")
    _, taxonomy = pair_files(tmp_path)
    silva, gtdb, _ = _split_taxonomy(tmp_path, taxonomy)
    response = upload(client, headers, zip_of({"silva.tsv": silva.read_bytes(), "gtdb.tsv": gtdb.read_bytes()}),
                      filename="taxa.zip")
    assert response.status_code == 422
    assert ("the zip archive holds only the taxonomy 'silva.tsv', 'gtdb.tsv': add the feature table it describes"
            in response.json()["detail"])
    assert count_rows(client.app)["samples"] == 0


def test_metaphlan_profiles_with_a_taxonomy_are_stored_and_the_taxonomy_listed_as_not_used(client, tmp_path, shared_data):
    """What ``analyze FOLDER`` does with the same files: the profiles scored
    (the same cells), the taxonomy a warning of problems.tsv, not used; the
    web app stores the profiles, answers 207 and lists the taxonomy with that
    problem, in the job and on the upload's page."""
    folder = tmp_path / "visits"
    folder.mkdir()
    for profile in sorted((shared_data / "profiles" / "kefir_metaphlan3").glob("Subj00*_metaphlan3.txt"))[:3]:
        shutil.copy(profile, folder / profile.name)
    _, taxonomy = pair_files(tmp_path)
    (folder / "taxonomy.tsv").write_bytes(data_member(taxonomy, "taxonomy.tsv"))
    expected, problems = _cli(tmp_path, folder)
    assert problems.to_dict("records") == [{"file": str(folder / "taxonomy.tsv"), "severity": "warning",
                                            "message": TAXONOMY_NOT_USED}]
    archive = zip_of({f"visits/{f.name}": f.read_bytes() for f in sorted(folder.iterdir())})
    headers = register(client, "clinic")
    response = upload(client, headers, archive, filename="visits.zip")
    assert response.status_code == 207, response.text
    job = response.json()
    assert job["problems"] == [{"file": "visits/taxonomy.tsv", "problem": TAXONOMY_NOT_USED}]
    samples = [client.get(f"/api/samples/{i}", headers=headers).json() for i in job["samples"]]
    assert len(samples) == 3
    assert_stored_as_cli(client, headers, samples, expected)
    # the upload's page lists the taxonomy with its problem beside the samples stored
    client.cookies.clear()
    assert page_register(client, "clinic2").status_code == 303
    page = page_upload(client, archive, filename="visits.zip", follow=True)
    assert page.status_code == 200
    assert "visits/taxonomy.tsv" in page.text
    assert TAXONOMY_NOT_USED in page.text
    assert all(name in page.text for name in expected.index)
    status = re.search(r'<p role="status">(.*?)</p>', page.text, re.S)
    assert status is not None
    assert " ".join(status.group(1).split()) == (
        "3 samples of this upload were read, scored and stored; 1 taxonomy file in it was not used: no feature table "
        "beside it names its taxa by feature ids."
    )  # no "could not be read", no "fix it": nothing is wrong with the profiles


def test_a_zip_of_profiles_with_an_unreadable_taxonomy_keeps_the_profiles(client, tmp_path, shared_data):
    """A taxonomy file that cannot be read is that file's problem, as in
    problems.tsv; the MetaPhlAn profiles beside it are stored."""
    profile = sorted((shared_data / "profiles" / "kefir_metaphlan3").glob("*_metaphlan3.txt"))[0]
    broken = b"Feature ID\tTaxon\n"  # a header, no rows
    headers = register(client, "clinic")
    response = upload(client, headers, zip_of({profile.name: profile.read_bytes(), "taxonomy.tsv": broken}),
                      filename="visit.zip")
    assert response.status_code == 207, response.text
    assert response.json()["problems"] == [{"file": "taxonomy.tsv", "problem": "the taxonomy table has no rows"}]
    assert len(response.json()["samples"]) == 1
    (tmp_path / "taxonomy.tsv").write_bytes(broken)  # the command line says the same of the file
    _, problems = _cli(tmp_path, profile, tmp_path / "taxonomy.tsv", exit_code=1)
    assert problems["message"].tolist() == ["the taxonomy table has no rows"]
