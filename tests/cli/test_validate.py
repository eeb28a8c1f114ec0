"""gutbalance validate: a results folder and a metadata table in, validation.tsv and .html out."""

import shutil

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from gutbalance.cli import main
from gutbalance.reference.validation import auc
from tests.helpers import write_metaphlan


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("validate")
    folder = out / "in"
    folder.mkdir()
    for i in range(6):
        write_metaphlan(folder / f"p{i}.txt", unknown=float(i))
    assert run("analyze", folder, "-o", out / "results", "--reports", "none").exit_code == 0
    meta = out / "meta.tsv"
    # "Sample" (capitalised, not the first column) is found as analyze finds it.
    pd.DataFrame({"Dataset": ["x"] * 6, "Sample": [f"p{i}" for i in range(6)],
                  "group": ["ok", "ok", "ok", "bad", "bad", "other"], "study": ["A", "A", "B", "A", "B", "B"]}
                 ).to_csv(meta, sep="\t", index=False)
    return out


def test_validate_writes_table_and_page(results):
    out = results / "val"
    r = run("validate", results / "results", "--metadata", results / "meta.tsv", "--label", "group=ok",
            "--against", "bad", "--study", "study", "--bootstrap", "50", "-o", out)
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out / "validation.tsv", sep="\t")
    assert list(table.columns[:7]) == ["score", "study", "auc", "low", "high", "n_label", "n_against"]
    assert {"immune_support", "gmhi", "gmwi2", "shannon"} <= set(table.score)
    assert set(table.study) == {"A", "B", "pooled"}
    pooled = table[(table.score == "shannon") & (table.study == "pooled")].iloc[0]
    assert (pooled.n_label, pooled.n_against) == (3, 2)  # "other" is in neither group
    scores = pd.read_csv(results / "results" / "scores.tsv", sep="\t", index_col=0)
    expected = auc(scores.loc[["p0", "p1", "p2", "p3", "p4"], "shannon"].to_numpy(),
                   np.array([True, True, True, False, False]))
    assert pooled.auc == pytest.approx(expected)
    html = (out / "validation.html").read_text()
    assert "<svg" in html
    assert "does not diagnose" in html.replace("\n", " ")
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_validate_against_defaults_to_every_other_value(results):
    r = run("validate", results / "results", "--metadata", results / "meta.tsv", "--label", "group=ok",
            "--bootstrap", "20", "-o", results / "val2")
    assert r.exit_code == 0, r.output
    table = pd.read_csv(results / "val2" / "validation.tsv", sep="\t")
    assert set(table.study) == {"pooled"}
    assert table.n_against.iloc[0] == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--label", "nosuch=ok"], "no metadata column 'nosuch'"),
        (["--label", "group=missing"], "no scored sample has group = 'missing'"),
        (["--label", "group=ok", "--against", "ok"], "both --label and --against"),
        (["--label", "group"], "COLUMN=VALUE"),
        (["--label", "group=ok", "--study", "nosuch"], "no metadata column 'nosuch'"),
    ],
)
def test_validate_errors_name_the_problem(results, args, message):
    r = CliRunner().invoke(main, ["validate", str(results / "results"), "--metadata", str(results / "meta.tsv"),
                                  *args, "-o", str(results / "bad")])
    assert r.exit_code == 2
    assert message in r.output


QUALITY_COLUMNS = {"coverage", "kb_reach", "placed", "training_confidence", "homeostasis_confidence",
                   "nutrients_confidence", "barrier_confidence", "defense_confidence"}


def test_validate_leaves_quality_columns_out_of_the_scores(results):
    r = run("validate", results / "results", "--metadata", results / "meta.tsv", "--label", "group=ok",
            "--bootstrap", "20", "-o", results / "val3")
    assert r.exit_code == 0, r.output
    table = pd.read_csv(results / "val3" / "validation.tsv", sep="\t")
    assert not QUALITY_COLUMNS & set(table.score)
    assert not any(s.endswith("_percentile") for s in table.score)
    assert {"immune_support", "training", "defense", "gmhi", "gmwi2", "shannon", "richness", "dysbiosis"} <= set(table.score)
    assert not (results / "val3" / "validation_quality.tsv").exists()
    assert "Quality columns" not in (results / "val3" / "validation.html").read_text()


def test_validate_quality_writes_them_apart_as_a_batch_check(results):
    out = results / "val4"
    r = run("validate", results / "results", "--metadata", results / "meta.tsv", "--label", "group=ok",
            "--against", "bad", "--study", "study", "--bootstrap", "20", "--quality", "-o", out)
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out / "validation.tsv", sep="\t")
    quality = pd.read_csv(out / "validation_quality.tsv", sep="\t")
    assert list(quality.columns[:7]) == ["score", "study", "auc", "low", "high", "n_label", "n_against"]
    assert set(quality.score) == QUALITY_COLUMNS
    assert not QUALITY_COLUMNS & set(table.score)
    assert set(quality.study) == {"A", "B", "pooled"}
    # the same AUC as a score's: the coverage of ok (p0-p2) against bad (p3, p4), pooled; read exactly,
    # as validate reads it (pandas' default parser reads 0.9999999999999999 as 1.0, tying what is not tied)
    scores = pd.read_csv(results / "results" / "scores.tsv", sep="\t", index_col=0, float_precision="round_trip")
    row = quality[(quality.score == "coverage") & (quality.study == "pooled")].iloc[0]
    expected = auc(scores.loc[["p0", "p1", "p2", "p3", "p4"], "coverage"].to_numpy(),
                   np.array([True, True, True, False, False]))
    assert row.auc == pytest.approx(expected)
    html = " ".join((out / "validation.html").read_text().split())
    assert "Quality columns: a check for batch differences, not scores" in html
    assert "does not mean the groups differ in health" in html


def test_validate_per_person_counts_each_person_once(results):
    meta = results / "meta_people.tsv"
    pd.DataFrame({"Sample": [f"p{i}" for i in range(6)], "group": ["ok", "ok", "ok", "bad", "bad", "other"],
                  "person": ["A", "A", "B", "C", "D", "E"]}).to_csv(meta, sep="\t", index=False)
    out = results / "val_people"
    r = run("validate", results / "results", "--metadata", meta, "--label", "group=ok", "--against", "bad",
            "--cluster", "person", "--per-person", "--bootstrap", "20", "-o", out)
    assert r.exit_code == 0, r.output
    assert "2 label vs 2 against people" in r.output
    table = pd.read_csv(out / "validation.tsv", sep="\t")
    row = table[(table.score == "shannon") & (table.study == "pooled")].iloc[0]
    assert (row.n_label, row.n_against) == (2, 2)
    scores = pd.read_csv(results / "results" / "scores.tsv", sep="\t", index_col=0)["shannon"]
    people = np.array([np.median(scores[["p0", "p1"]]), scores["p2"], scores["p3"], scores["p4"]])
    assert row.auc == pytest.approx(auc(people, np.array([True, True, False, False])))
    assert "median of their samples" in (out / "validation.html").read_text()


def test_validate_per_person_needs_the_person_column(results):
    r = run("validate", results / "results", "--metadata", results / "meta.tsv", "--label", "group=ok",
            "--per-person", "-o", results / "val_nobody")
    assert r.exit_code != 0
    assert "--cluster" in r.output


def test_validate_warns_when_compared_samples_do_not_look_like_stool(results, tmp_path):
    # analyze's stool check marks a skin or mouth profile stool_like False; a copy
    # of the results with one "ok" sample so marked stands in for such a cohort.
    copy = tmp_path / "results"
    shutil.copytree(results / "results", copy)
    table = pd.read_csv(copy / "scores.tsv", sep="\t", index_col=0)
    table["stool_like"] = table["stool_like"].astype(object)
    table.loc["p0", "stool_like"] = False
    table.to_csv(copy / "scores.tsv", sep="\t")
    r = run("validate", copy, "--metadata", results / "meta.tsv", "--label", "group=ok", "--against", "bad",
            "--bootstrap", "20", "-o", tmp_path / "val")
    assert r.exit_code == 0, r.output
    assert "1 compared sample(s) do not look like stool (stool_like False: 1 label, 0 against; e.g. p0)" in r.output
    clean = run("validate", results / "results", "--metadata", results / "meta.tsv", "--label", "group=ok",
                "--against", "bad", "--bootstrap", "20", "-o", tmp_path / "val2")
    assert "do not look like stool" not in clean.output


def test_compared_samples_the_results_lack_are_counted_and_named(results):
    # fault: five metadata samples absent from the results were left out without a word
    meta = results / "meta_extra.tsv"
    pd.DataFrame({"Sample": [f"p{i}" for i in range(6)] + ["p9", "q1"], "group": ["ok", "ok", "ok", "bad", "bad", "other",
                                                                                  "ok", "none"]}
                 ).to_csv(meta, sep="\t", index=False)
    r = run("validate", results / "results", "--metadata", meta, "--label", "group=ok", "--against", "bad",
            "--bootstrap", "20", "-o", results / "val_extra")
    assert r.exit_code == 0, r.output
    assert "warning: 1 sample(s) of the compared groups in the metadata are not in" in r.output
    assert "(e.g. p9)" in r.output


@pytest.fixture
def synthetic(tmp_path):
    """A scores table of 24 samples (12 healthy, 12 not) written as a rewritten
    table may hold it, and the folder it is in."""
    rng = np.random.default_rng(1)
    names = [f"s{i:02d}" for i in range(24)]
    healthy = np.array([i < 12 for i in range(24)])
    scores = pd.DataFrame({"sample": names, "immune_support": rng.normal(50, 10, 24) + 8 * healthy,
                           "shannon": rng.normal(3, 0.5, 24)})
    (tmp_path / "results").mkdir()
    scores.to_csv(tmp_path / "results" / "scores.tsv", sep="\t", index=False)
    meta = pd.DataFrame({"sample": names, "group": np.where(healthy, "healthy", "disease")})
    return tmp_path, meta


def test_words_for_no_value_are_in_no_group(synthetic):
    # fault: 'NA', 'n/a', '-' and 'none' in the --label column were counted in the default
    # against group, as patients (MetAML's disease row holds '-' 27 times)
    path, meta = synthetic
    meta.loc[[12, 13, 14, 15], "group"] = ["NA", "n/a", "-", "none"]
    meta.to_csv(path / "meta.tsv", sep="\t", index=False)
    r = CliRunner().invoke(main, ["validate", str(path / "results"), "--metadata", str(path / "meta.tsv"),
                                  "--label", "group=healthy", "--bootstrap", "20", "-o", str(path / "v")])
    assert r.exit_code == 0, r.output
    table = pd.read_csv(path / "v" / "validation.tsv", sep="\t")
    assert set(table.n_against) == {8}
    assert "12 label vs 8 against samples" in r.output


def test_samples_without_a_study_are_said_and_not_counted(synthetic):
    # fault: the summary line counted samples --study had left out, without a word
    path, meta = synthetic
    meta["study"] = "A"
    meta.loc[[0, 1, 20], "study"] = ["", "NA", "-"]
    meta.to_csv(path / "meta.tsv", sep="\t", index=False)
    r = CliRunner().invoke(main, ["validate", str(path / "results"), "--metadata", str(path / "meta.tsv"),
                                  "--label", "group=healthy", "--study", "study", "--bootstrap", "20",
                                  "-o", str(path / "v")])
    assert r.exit_code == 0, r.output
    table = pd.read_csv(path / "v" / "validation.tsv", sep="\t", keep_default_na=False)
    assert set(table.study) == {"A", "pooled"}  # no study named 'NA'
    assert set(zip(table.n_label, table.n_against)) == {(10, 11)}
    assert "3 compared sample(s) have no study value" in r.output
    assert "10 label vs 11 against samples" in r.output


def test_samples_without_a_person_are_each_their_own(synthetic):
    # fault: every sample without a person was one "nan" person, resampled as one
    # block (an interval of 0.37-0.61 became 0.00-0.51), and --per-person dropped them
    path, meta = synthetic
    meta.to_csv(path / "plain.tsv", sep="\t", index=False)
    meta["person"] = ""
    meta.loc[0, "person"] = "p0"
    meta.to_csv(path / "meta.tsv", sep="\t", index=False)

    def pooled(metadata, *extra):
        r = CliRunner().invoke(main, ["validate", str(path / "results"), "--metadata", str(path / metadata),
                                      "--label", "group=healthy", "--bootstrap", "200", *extra,
                                      "-o", str(path / "v")])
        assert r.exit_code == 0, r.output
        table = pd.read_csv(path / "v" / "validation.tsv", sep="\t")
        return table[table.score == "immune_support"].iloc[0], r.output

    plain, _ = pooled("plain.tsv")
    clustered, said = pooled("meta.tsv", "--cluster", "person")
    assert (clustered.low, clustered.high) == (plain.low, plain.high)
    assert "23 compared sample(s) have no person value" in said
    people, said = pooled("meta.tsv", "--cluster", "person", "--per-person")
    assert (people.n_label, people.n_against) == (12, 12)
    assert people.auc == pytest.approx(plain.auc)


def test_a_score_column_with_nan_words_is_kept(synthetic):
    # fault: a column with 'nan' cells (Python's csv module writes them) was read
    # as text and left out of validation.tsv without a word
    path, meta = synthetic
    meta.to_csv(path / "meta.tsv", sep="\t", index=False)
    scores = pd.read_csv(path / "results" / "scores.tsv", sep="\t", dtype=str)
    scores.loc[[3, 15], "shannon"] = ["nan", "N/A"]
    scores.to_csv(path / "results" / "scores.tsv", sep="\t", index=False)
    r = CliRunner().invoke(main, ["validate", str(path / "results"), "--metadata", str(path / "meta.tsv"),
                                  "--label", "group=healthy", "--bootstrap", "20", "-o", str(path / "v")])
    assert r.exit_code == 0, r.output
    table = pd.read_csv(path / "v" / "validation.tsv", sep="\t").set_index("score")
    assert (table.loc["shannon", "n_label"], table.loc["shannon", "n_against"]) == (11, 11)
    assert "2 sample(s) with no value left out" in table.loc["shannon", "note"]


def test_qiime2_directive_rows_are_not_samples(synthetic):
    # fault: QIIME 2 metadata's '#q2:types' row was read as a sample of the default against group
    path, meta = synthetic
    text = "sample-id\tgroup\n#q2:types\tcategorical\n# a comment\tx\n" + meta.to_csv(sep="\t", index=False,
                                                                                       header=False)
    (path / "meta.tsv").write_text(text)
    r = CliRunner().invoke(main, ["validate", str(path / "results"), "--metadata", str(path / "meta.tsv"),
                                  "--label", "group=healthy", "--bootstrap", "20", "-o", str(path / "v")])
    assert r.exit_code == 0, r.output
    assert "#q2:types" not in r.output
    assert "12 label vs 12 against samples" in r.output


@pytest.mark.parametrize(("healthy", "disease"), [("1", "0"), ("01", "02")])
def test_a_label_coded_as_numbers_is_matched_as_written(synthetic, healthy, disease):
    # fault (outside check): with a metadata row missing, the 0/1 label column was read as numbers,
    # reindexed onto the scores with a gap, and written back as '1.0': `--label y=1` found no sample;
    # '01' was read as 1. The grouping columns are compared as written.
    path, meta = synthetic
    meta["y"] = np.where(meta.group == "healthy", healthy, disease)
    meta["study"] = np.where(np.arange(24) % 2 == 0, "1", "2")
    meta.iloc[1:].to_csv(path / "meta.tsv", sep="\t", index=False)  # s00 not in the metadata
    r = CliRunner().invoke(main, ["validate", str(path / "results"), "--metadata", str(path / "meta.tsv"),
                                  "--label", f"y={healthy}", "--against", disease, "--study", "study",
                                  "--bootstrap", "20", "-o", str(path / "v")])
    assert r.exit_code == 0, r.output
    table = pd.read_csv(path / "v" / "validation.tsv", sep="\t", dtype={"study": str})
    assert "11 label vs 12 against samples" in r.output
    assert set(table.study) == {"1", "2", "pooled"}


def test_a_pooled_auc_of_studies_that_each_hold_one_group_says_so(synthetic):
    # fault (outside check): with every study of one group, the pooled AUC (GMWI2 0.848 on GAN-GMHI's
    # table without Wirbel 2019) compared only samples of different studies, and its note was empty
    path, meta = synthetic
    meta["study"] = np.where(meta.group == "healthy", "H", np.where(np.arange(24) % 2 == 0, "D1", "D2"))
    meta.to_csv(path / "meta.tsv", sep="\t", index=False)

    def pooled_note():
        r = CliRunner().invoke(main, ["validate", str(path / "results"), "--metadata", str(path / "meta.tsv"),
                                      "--label", "group=healthy", "--study", "study", "--bootstrap", "20",
                                      "-o", str(path / "v")])
        assert r.exit_code == 0, r.output
        table = pd.read_csv(path / "v" / "validation.tsv", sep="\t", keep_default_na=False)
        return table[(table.score == "immune_support") & (table.study == "pooled")].iloc[0].note

    assert pooled_note().startswith("no study holds both groups: every pair the pooled AUC compares is of two")
    meta.loc[[0, 1], "study"] = "D1"  # D1 now holds 2 healthy and 6 disease samples: 8 of 24
    meta.to_csv(path / "meta.tsv", sep="\t", index=False)
    assert pooled_note().startswith("only 8 of the 24 compared sample(s) are in a study that holds both groups")
    meta.loc[[2, 3, 4, 5], "study"] = "D2"  # D2: 4 healthy, 6 disease; 18 of 24 in mixed studies
    meta.to_csv(path / "meta.tsv", sep="\t", index=False)
    assert pooled_note() == ""
