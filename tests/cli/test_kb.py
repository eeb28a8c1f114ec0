"""``gutbalance kb``: ``coverage`` over a batch leaves out and names a file it
cannot read and still measures the others; ``show`` names the ranks it takes."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from gutbalance.cli import main
from tests.helpers import write_metaphlan


def test_kb_coverage_leaves_out_a_bad_file_and_measures_the_others(tmp_path):
    folder = tmp_path / "profiles"
    folder.mkdir()
    write_metaphlan(folder / "S1_metaphlan.txt")
    write_metaphlan(folder / "S2_metaphlan.txt")
    (folder / "notes.txt").write_text("sequenced on a Tuesday\n", encoding="utf-8")
    out = tmp_path / "coverage.tsv"
    result = CliRunner().invoke(main, ["kb", "coverage", str(folder), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "1 input(s) or sample(s) could not be used (left out; every other input was used):" in result.output
    assert f"{folder / 'notes.txt'}: not a recognised profile format" in result.output
    table = pd.read_csv(out, sep="\t", index_col=0)
    assert sorted(table.index) == ["S1", "S2"]
    assert (table["annotated"] > 0.9).all()
    # only the bad file: nothing to measure, status 2, no table
    result = CliRunner().invoke(main, ["kb", "coverage", str(folder / "notes.txt"), "-o", str(tmp_path / "n.tsv")])
    assert result.exit_code == 2, result.output
    assert "no input could be read" in result.output
    assert not (tmp_path / "n.tsv").exists()


def test_kb_show_names_the_ranks_when_one_is_misspelt():
    result = CliRunner().invoke(main, ["kb", "show", "Faecalibacterium", "--rank", "genu"])
    assert result.exit_code == 2
    assert "'genu' is not one of 'domain', 'phylum', 'class', 'order', 'family', 'genus', 'species', 'strain'" in (
        result.output
    )
    result = CliRunner().invoke(main, ["kb", "show", "Faecalibacterium", "--rank", "Genus", "--max-rank", "family"])
    assert result.exit_code == 0, result.output
    assert "genus Faecalibacterium" in result.output


def test_kb_coverage_of_a_bare_genus_table_says_it_has_no_species(tmp_path):
    table = tmp_path / "genus.csv"
    table.write_text("SampleID,Bacteroides,Faecalibacterium,Blautia\nA,400,300,150\nB,350,200,250\n", encoding="utf-8")
    out = tmp_path / "coverage.tsv"
    result = CliRunner().invoke(main, ["kb", "coverage", str(table), "--feature-rank", "genus", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 samples, none with species-level abundance: coverage is measured on species" in result.output
    assert "nan" not in result.output
    assert pd.read_csv(out, sep="\t", index_col=0)["annotated"].isna().all()  # missing, never a made-up 0


@pytest.mark.parametrize(
    ("taxon", "call", "said"),
    [
        # an outside review: M. gnavus's two pro-inflammatory rows (one strain-level, one
        # not) showed "strain-specific" while the weight averaged them
        ("Mediterraneibacter gnavus", "pro_inflammatory =", "strain-specific in 1 of 2 rows"),
        # an outside check: B. fragilis's gram_negative weight 0.48 held bugphyzz's curation "low"
        # (x 0.6), which nothing shown explained
        ("Bacteroides fragilis", "gram_negative = 1", "bugphyzz curation: low"),
    ],
)
def test_kb_show_says_what_a_calls_weight_holds(taxon, call, said):
    result = CliRunner().invoke(main, ["kb", "show", taxon])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith(call))
    assert said in lines[at + 1]
