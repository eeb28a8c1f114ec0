"""Which column of a metadata table names the samples (``read_metadata``)."""

from pathlib import Path

import pytest

from gutbalance.errors import FormatError
from gutbalance.io import read_metadata

# A table of sequencing runs as SRA-derived sheets write it: several runs
# (profiles) of one biological sample, the run first and unique, the sample
# under ``sample_id`` repeating.
RUNS = (
    '"library_id","project_id","sample_id","diagnosis","age"\n'
    '"RUN1","X1","S1","adenoma",63\n'
    '"RUN2","X2","S1","adenoma",63\n'
    '"RUN3","X3","S2","control",NA\n'
)


def test_a_repeating_sample_id_gives_way_to_a_unique_first_column(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_text(RUNS)
    meta = read_metadata(path)
    assert list(meta.index) == ["RUN1", "RUN2", "RUN3"]
    assert meta.loc["RUN2", "sample_id"] == "S1"
    assert meta.loc["RUN3", "diagnosis"] == "control"


def test_a_unique_named_column_still_wins_over_the_first(tmp_path: Path) -> None:
    path = tmp_path / "runs.tsv"
    path.write_text("library_id\trun\tsample\nL1\tR1\tS1\nL1\tR2\tS1\n")
    assert list(read_metadata(path).index) == ["R1", "R2"]


def test_nothing_unique_is_refused_naming_the_file_and_columns(tmp_path: Path) -> None:
    path = tmp_path / "repeats.csv"
    path.write_text("library_id,sample_id,diagnosis\nL1,S1,adenoma\nL1,S1,adenoma\nL2,S2,control\n")
    with pytest.raises(FormatError) as caught:
        read_metadata(path)
    message = str(caught.value)
    assert "repeats.csv" in message
    assert "no column names each sample once ('sample_id' repeats 'S1'; 'library_id' repeats 'L1')" in message
    # nothing to choose among: say what the table needs, not "choose the sample column"
    assert "give each sample one row, named in the first column or one headed 'sample'" in message
    assert "choose" not in message


def test_a_refusal_of_repeats_names_the_columns_that_would_do(tmp_path: Path) -> None:
    path = tmp_path / "repeats.csv"
    path.write_text("library_id,sample_id,barcode\nL1,S1,AC\nL1,S1,GT\nL2,S2,TT\n")
    with pytest.raises(FormatError, match=r"choose the sample column \(--sample-column; .*\) among: barcode"):
        read_metadata(path)


def test_values_lose_the_spaces_around_them(tmp_path: Path) -> None:
    # MetAML's disease column writes "-" and " -"; GAN-GMHI's phenotypes end in a space
    path = tmp_path / "meta.tsv"
    path.write_text("sample\tdisease\tage\nA\t -\t 31\nB\t-\t40 \nC\tHealthy \t NA\n", encoding="utf-8")
    meta = read_metadata(path)
    assert meta["disease"].tolist() == ["-", "-", "Healthy"]
    assert meta["age"].tolist()[:2] == [31, 40]
    assert meta["age"].isna().tolist() == [False, False, True]
