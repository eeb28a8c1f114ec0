import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

from gutbalance.cli import main
from gutbalance.report.files import read_scores
from tests.helpers import write_metaphlan


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_analyze_example(tmp_path):
    result = run("analyze", "--example", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    scores = read_scores(tmp_path / "out" / "scores.tsv")
    assert len(scores) == 3
    assert {"richness", "shannon"} <= set(scores.columns)
    assert (scores["missing"] == "").all()
    numbers = scores.drop(columns=["diversity_rank", "stool_like", "missing", "warnings"])
    assert not numbers.isna().any().any()
    assert (scores["diversity_rank"] == "species").all()
    # Missing values are written as NA, one spelling everywhere.
    text = (tmp_path / "out" / "scores.tsv").read_text()
    assert "\tnan" not in text.lower()


def test_bad_files_are_listed_and_good_ones_scored(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_metaphlan(folder / "good1.txt")
    write_metaphlan(folder / "good2.txt", unknown=10.0)
    text = (folder / "good1.txt").read_text()
    (folder / "truncated.txt").write_text(text[: len(text) // 2 + 7])
    (folder / "empty.txt").write_text("")
    (folder / "binary.bin").write_bytes(bytes(range(256)) * 8)
    result = run("analyze", folder, "-o", tmp_path / "out")
    assert result.exit_code == 1
    scores = pd.read_csv(tmp_path / "out" / "scores.tsv", sep="\t", index_col=0)
    assert sorted(scores.index) == ["good1", "good2"]
    problems = pd.read_csv(tmp_path / "out" / "problems.tsv", sep="\t")
    errors = problems[problems.severity == "error"]
    assert sorted(errors.file.map(lambda f: f.rsplit("/", 1)[-1])) == ["binary.bin", "empty.txt", "truncated.txt"]
    assert errors.message.str.len().min() > 10


def test_nothing_readable_exits_2(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    result = run("analyze", tmp_path / "empty.txt", "-o", tmp_path / "out")
    assert result.exit_code == 2


def test_missing_input_is_one_line_error(tmp_path):
    result = CliRunner().invoke(main, ["convert", str(tmp_path / "nope.txt"), "-o", str(tmp_path / "x.h5ad")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "no such file" in result.output


@pytest.mark.shared
def test_kefir_with_bad_files(shared_data, tmp_path):
    folder = tmp_path / "kefir"
    shutil.copytree(shared_data / "profiles" / "kefir_metaphlan3", folder)
    text = (folder / "Subj001_time1_S1_metaphlan3.txt").read_text()
    (folder / "zz_truncated.txt").write_text(text[: len(text) // 3 + 5])
    (folder / "zz_empty.txt").write_text("")
    (folder / "zz_binary.dat").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    result = run("analyze", folder, "-o", tmp_path / "out")
    assert result.exit_code == 1
    scores = pd.read_csv(tmp_path / "out" / "scores.tsv", sep="\t", index_col=0)
    assert len(scores) == 44
    problems = pd.read_csv(tmp_path / "out" / "problems.tsv", sep="\t")
    assert (problems.severity == "error").sum() == 3
