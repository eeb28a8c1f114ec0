"""A table whose header repeats a sample name loses only that sample (an outside check,
2026-11-30: MetAML's merged table headed by its own sampleID row, 243 names repeated, was
refused whole, and none of its other samples was scored)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from click.testing import CliRunner

import gutbalance
from gutbalance.cli import main
from gutbalance.errors import FormatError, SampleLeftOutWarning

SPECIES = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Ruminococcaceae|g__Faecalibacterium|"
MERGED = (
    "#mpa_v30_CHOCOPhlAn_201901\n"
    "clade_name\tA\tB\tA\tC\n"
    "k__Bacteria\t100\t100\t100\t100\n"
    f"{SPECIES}s__Faecalibacterium_prausnitzii\t60\t30\t10\t50\n"
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|"
    "s__Bacteroides_uniformis\t40\t70\t90\t50\n"
)
WIDE = "taxon,A,B,A,C\nFaecalibacterium prausnitzii,6,3,1,5\nBacteroides uniformis,4,7,9,5\n"
# the same, samples as rows
ROWS = "sample,Faecalibacterium prausnitzii,Bacteroides uniformis\nA,6,4\nB,3,7\nA,1,9\nC,5,5\n"


@pytest.mark.parametrize(("name", "text"), [("merged.tsv", MERGED), ("wide.csv", WIDE), ("rows.csv", ROWS)])
def test_only_the_repeated_name_is_left_out(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cohort = gutbalance.read(path)
    assert cohort.sample_names == ["B", "C"]
    (left_out,) = [w.message for w in caught if isinstance(w.message, SampleLeftOutWarning)]
    assert left_out.sample == "A"
    assert "'A' appears 2 times (sample " in str(left_out)
    assert "s 1, 3)" in str(left_out)
    assert "2 other samples are read" in str(left_out)
    alone = tmp_path / "alone.csv"
    alone.write_text("taxon,B\nFaecalibacterium prausnitzii,3\nBacteroides uniformis,7\n", encoding="utf-8")
    assert gutbalance.score(cohort).loc["B", "immune_support"] == gutbalance.score(
        gutbalance.read(alone)).loc["B", "immune_support"]


def test_a_table_of_one_repeated_name_is_refused(tmp_path):
    path = tmp_path / "merged.tsv"
    path.write_text("#mpa_v30_CHOCOPhlAn_201901\nclade_name\tA\tA\nk__Bacteria\t100\t100\n", encoding="utf-8")
    with pytest.raises(FormatError, match="every sample column's name repeats: A"):
        gutbalance.read(path)


def test_analyze_scores_the_others_and_lists_the_left_out_name_as_an_error(tmp_path):
    path = tmp_path / "merged.tsv"
    path.write_text(MERGED, encoding="utf-8")
    run = CliRunner().invoke(main, ["analyze", str(path), "--reports", "none", "-o", str(tmp_path / "out")])
    assert run.exit_code == 1  # some input could not be used
    scores = pd.read_csv(tmp_path / "out" / "scores.tsv", sep="\t", index_col=0)
    assert list(scores.index) == ["B", "C"]
    problems = pd.read_csv(tmp_path / "out" / "problems.tsv", sep="\t")
    (row,) = problems.itertuples()
    assert row.severity == "error"
    assert "'A' appears 2 times" in row.message
