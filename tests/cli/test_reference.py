"""``gutbalance reference build`` over a folder with a file that cannot be
read: the file is named and left out, the reference is built from the others."""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner

from gutbalance.cli import main
from gutbalance.reference import Reference
from gutbalance.scores_table import read_scores
from tests.helpers import SMALL_COMMUNITY, write_metaphlan


def test_reference_build_leaves_out_a_bad_file(tmp_path):
    folder = tmp_path / "profiles"
    folder.mkdir()
    for k, scale in enumerate([1.0, 0.9, 1.1], start=1):
        write_metaphlan(folder / f"S{k}_metaphlan.txt", {t: v * scale for t, v in SMALL_COMMUNITY.items()})
    (folder / "S4_metaphlan.txt").write_text("", encoding="utf-8")
    meta = folder / "metadata.tsv"
    meta.write_text("sample\tdiagnosis\nS1\tcontrol\nS2\tcontrol\nS3\tcontrol\nS4\tcontrol\n", encoding="utf-8")
    out = tmp_path / "ref.json"
    result = CliRunner().invoke(
        main, ["reference", "build", str(folder), "--metadata", str(meta), "--group", "diagnosis=control", "-o", str(out)]
    )
    assert result.exit_code == 1, result.output
    assert "1 input(s) or sample(s) could not be used (left out; every other input was used):" in result.output
    assert str(folder / "S4_metaphlan.txt") in result.output
    assert Reference.load(out).primary.n_people == 3


def test_reference_build_reads_a_bare_genus_table_at_the_declared_rank(tmp_path):
    # a 16S lab's samples x genera table: bare names, the rank said nowhere in the file
    table = tmp_path / "genus.csv"
    table.write_text(
        "SampleID,Bacteroides,Faecalibacterium,Blautia,Escherichia-Shigella,Roseburia\n"
        "A,400,300,150,20,130\nB,350,200,250,90,110\nC,500,150,200,10,140\nD,100,100,100,600,100\n",
        encoding="utf-8",
    )
    meta = tmp_path / "metadata.csv"
    meta.write_text("SampleID,Diagnosis\nA,Normal\nB,Normal\nC,Normal\nD,Cancer\n", encoding="utf-8")
    build = ["reference", "build", str(table), "--metadata", str(meta), "--group", "Diagnosis=Normal"]
    refused = CliRunner().invoke(main, [*build, "-o", str(tmp_path / "no.json")])
    assert refused.exit_code != 0
    # the refusal names this command's option
    assert "--feature-rank genus of gutbalance analyze, convert, kb coverage, reference build or simulate" in refused.output
    out = tmp_path / "ref.json"
    result = CliRunner().invoke(main, [*build, "--feature-rank", "genus", "-o", str(out)])
    assert result.exit_code == 0, result.output
    analyzed = CliRunner().invoke(main, ["analyze", str(table), "--feature-rank", "genus", "--reports", "none",
                                         "-o", str(tmp_path / "scores")])
    assert analyzed.exit_code == 0, analyzed.output
    scores = read_scores(tmp_path / "scores" / "scores.tsv")
    reference = Reference.load(out)
    assert reference.primary.n_people == 3
    shannon = reference.primary.distributions["shannon"].values
    np.testing.assert_allclose(np.sort(shannon), np.sort(scores.loc[["A", "B", "C"], "shannon"].to_numpy()))


def test_reference_build_of_two_kinds_says_which_in_words(tmp_path):
    for k in (1, 2, 3):
        write_metaphlan(tmp_path / f"S{k}_metaphlan.txt", SMALL_COMMUNITY)
    # the same species in a CSV table, whose file names no profiler
    rows = [",".join(["sample", *SMALL_COMMUNITY])]
    rows += [",".join([name, *map(str, SMALL_COMMUNITY.values())]) for name in ("T1", "T2")]
    (tmp_path / "table.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    meta = tmp_path / "meta.csv"
    meta.write_text("sample,group\nS1,c\nS2,c\nS3,c\nT1,c\nT2,c\n", encoding="utf-8")
    inputs = [str(tmp_path / name) for name in ("S1_metaphlan.txt", "S2_metaphlan.txt", "S3_metaphlan.txt", "table.csv")]
    result = CliRunner().invoke(main, ["reference", "build", *inputs, "--metadata", str(meta), "--group", "group=c",
                                       "-o", str(tmp_path / "ref.json")])
    assert result.exit_code != 0
    assert ("these samples are MetaPhlAn, species-level (3) and profiles whose files do not name their profiler, "
            "species-level (2): build one reference per kind") in " ".join(result.output.split())
    assert "unknown" not in result.output
    assert not (tmp_path / "ref.json").exists()


def test_reference_build_records_the_age_range_of_its_people(tmp_path):
    folder = tmp_path / "profiles"
    folder.mkdir()
    for k, scale in enumerate([1.0, 0.9, 1.1, 0.8], start=1):
        write_metaphlan(folder / f"S{k}_metaphlan.txt", {t: v * scale for t, v in SMALL_COMMUNITY.items()})
    meta = tmp_path / "metadata.tsv"
    # S1 and S2 one person (the first sample's age counts once), S4 no age, S5 not selected
    meta.write_text("sample\tdiagnosis\tperson\tage_months\nS1\tcontrol\tA\t30\nS2\tcontrol\tA\t31\n"
                    "S3\tcontrol\tB\t90\nS4\tcontrol\tC\tunknown\nS5\tcase\tD\t600\n", encoding="utf-8")
    out = tmp_path / "ref.json"
    result = CliRunner().invoke(main, ["reference", "build", str(folder), "--metadata", str(meta), "--group",
                                       "diagnosis=control", "--subject", "person", "--age-column", "age_months:months",
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "ages 2.5-7.5 years (known for 2 of 3 people)" in result.output
    chars = Reference.load(out).primary.characteristics
    assert chars["age_range"] == [2.5, 7.5]
    assert (chars["age_known"], chars["age_people"], chars["age_median"]) == (2, 3, 5.0)
    refused = CliRunner().invoke(main, ["reference", "build", str(folder), "--metadata", str(meta), "--group",
                                        "diagnosis=control", "--age-column", "Age", "-o", str(tmp_path / "r2.json")])
    assert refused.exit_code != 0
    assert "no metadata column 'Age' to read ages from" in refused.output
