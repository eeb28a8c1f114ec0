"""AUC, ROC and the per-study table of gutbalance.reference.validation, checked
against an independent pairwise count and scipy's Mann-Whitney U."""

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu

from gutbalance.errors import DataError
from gutbalance.reference.validation import POOLED, auc, auc_interval, auc_table, per_person, roc_curve, roc_curves


def pairwise_auc(scores, labels):
    """The definition, pair by pair: P(label > against) + half the ties."""
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a, b in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


@pytest.mark.parametrize("seed", range(5))
def test_auc_matches_pairwise_count_and_mann_whitney(seed):
    rng = np.random.default_rng(seed)
    scores = np.round(rng.normal(size=60), 1)  # rounding makes ties
    labels = rng.random(60) < 0.4
    expected = pairwise_auc(scores, labels)
    assert auc(scores, labels) == pytest.approx(expected, abs=1e-12)
    u = mannwhitneyu(scores[labels], scores[~labels]).statistic
    assert auc(scores, labels) == pytest.approx(u / (labels.sum() * (~labels).sum()), abs=1e-12)


def test_direction_is_higher_in_label_group():
    assert auc([5, 6, 7, 1, 2], [True, True, True, False, False]) == 1.0
    assert auc([5, 6, 7, 1, 2], [False, False, False, True, True]) == 0.0


def test_roc_area_equals_auc_and_ends_at_corners():
    rng = np.random.default_rng(3)
    scores = np.round(rng.normal(size=80), 1)
    labels = rng.random(80) < 0.5
    fpr, tpr = roc_curve(scores, labels)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0)
    assert np.all(np.diff(tpr) >= 0)
    assert np.trapezoid(tpr, fpr) == pytest.approx(auc(scores, labels), abs=1e-12)


def test_nan_scores_left_out_and_one_group_gives_nan():
    assert auc([np.nan, 1.0, 0.0], [True, True, False]) == 1.0
    assert np.isnan(auc([1.0, 2.0], [True, True]))
    with pytest.raises(DataError):
        auc([1.0, 2.0], [1, 0])


def test_bootstrap_interval_brackets_auc_and_is_reproducible():
    rng = np.random.default_rng(0)
    labels = np.r_[np.ones(50, bool), np.zeros(50, bool)]
    scores = rng.normal(size=100) + labels * 1.0
    low, high = auc_interval(scores, labels, n_boot=500, seed=1)
    assert low < auc(scores, labels) < high
    assert (low, high) == auc_interval(scores, labels, n_boot=500, seed=1)
    # A perfect separation stays perfect in every resample.
    assert auc_interval(np.r_[np.ones(5), np.zeros(5)], labels[::10], n_boot=50) == (1.0, 1.0)


def test_cluster_bootstrap_is_wider_for_repeated_samples():
    """Ten copies of each person's sample are not ten people: resampling people
    gives a wider interval than resampling samples."""
    rng = np.random.default_rng(2)
    person_scores = rng.normal(size=30) + np.r_[np.ones(15), np.zeros(15)] * 0.5
    person_labels = np.r_[np.ones(15, bool), np.zeros(15, bool)]
    scores = np.repeat(person_scores, 10)
    labels = np.repeat(person_labels, 10)
    people = np.repeat(np.arange(30), 10)
    naive = auc_interval(scores, labels, n_boot=300)
    clustered = auc_interval(scores, labels, cluster=people, n_boot=300)
    assert clustered[1] - clustered[0] > 2 * (naive[1] - naive[0])


def test_auc_table_per_study_and_pooled():
    index = [f"s{i}" for i in range(8)]
    scores = pd.DataFrame({"good": [8, 7, 1, 2, 6, 5, 3, 4], "flat": [1.0] * 8}, index=index)
    labels = pd.Series([True, True, False, False, True, True, False, False], index=index)
    study = pd.Series(["A"] * 4 + ["B"] * 4, index=index)
    table = auc_table(scores, labels, study=study, n_boot=50)
    assert list(table.columns[:7]) == ["score", "study", "auc", "low", "high", "n_label", "n_against"]
    good = table[table.score == "good"].set_index("study")
    assert list(good.index) == ["A", "B", POOLED]
    assert good.loc["A", "auc"] == 1.0
    assert good.loc["B", "auc"] == 1.0
    assert good.loc[POOLED, "auc"] == 1.0
    assert (good.loc[POOLED, "n_label"], good.loc[POOLED, "n_against"]) == (4, 4)
    assert table[table.score == "flat"]["auc"].eq(0.5).all()


def test_auc_table_notes_missing_group_and_unlabelled_samples():
    index = ["a", "b", "c", "d"]
    scores = pd.DataFrame({"x": [1.0, 2.0, np.nan, 0.5]}, index=index)
    labels = pd.Series([True, None, False, False], index=index, dtype="boolean")
    study = pd.Series(["A", "A", "A", "B"], index=index)
    table = auc_table(scores, labels, study=study, n_boot=20).set_index("study")
    assert np.isnan(table.loc["B", "auc"])
    assert "no label sample" in table.loc["B", "note"]
    assert "1 sample(s) with no value" in table.loc["A", "note"]
    assert table.loc[POOLED, "n_label"] == 1
    assert table.loc[POOLED, "n_against"] == 1
    with pytest.raises(DataError):
        auc_table(scores, pd.Series([None] * 4, index=index, dtype="boolean"))


def test_a_study_without_a_group_is_told_apart_from_a_group_without_values():
    # fault: a study with no label sample at all read "no label sample with a value of x", as if its
    # values were missing
    index = ["a", "b", "c", "d"]
    scores = pd.DataFrame({"x": [np.nan, 2.0, 1.0, 0.5]}, index=index)
    labels = pd.Series([True, False, False, False], index=index, dtype="boolean")
    study = pd.Series(["A", "A", "B", "B"], index=index)
    notes = auc_table(scores, labels, study=study, n_boot=20).set_index("study")["note"]
    assert notes["A"].startswith("no label sample with a value of x")
    assert notes["B"] == "this study has no label sample"


def test_roc_curves_keyed_by_score_and_study():
    index = list("abcd")
    scores = pd.DataFrame({"x": [4.0, 3.0, 2.0, 1.0]}, index=index)
    labels = pd.Series([True, False, True, False], index=index)
    curves = roc_curves(scores, labels, study=pd.Series(["A", "A", "B", "B"], index=index))
    assert set(curves) == {("x", "A"), ("x", "B"), ("x", POOLED)}


def test_auc_table_draws_no_interval_for_a_group_under_five():
    """1 vs 1 resampled gives 1.00-1.00, which reads as certainty: the AUC
    stays, the interval is missing with the reason; 5 vs 5 gets one."""
    index = [f"s{i}" for i in range(12)]
    scores = pd.DataFrame({"x": [9.0, 1.0] + list(range(10))}, index=index)
    labels = pd.Series([True, False] + [True] * 5 + [False] * 5, index=index)
    study = pd.Series(["tiny"] * 2 + ["five"] * 10, index=index)
    table = auc_table(scores, labels, study=study, n_boot=50).set_index("study")
    assert table.loc["tiny", "auc"] == 1.0
    assert np.isnan(table.loc["tiny", "low"])
    assert np.isnan(table.loc["tiny", "high"])
    assert "only 1 label sample(s)" in table.loc["tiny", "note"]
    assert np.isfinite(table.loc["five", "low"])
    assert table.loc["five", "note"] == ""


def test_per_person_takes_each_persons_median_and_counts_people_once():
    # A has three samples (one missing), B one, C two: one row each.
    scores = pd.DataFrame({"s": [1.0, 5.0, np.nan, 2.0, 7.0, 9.0]}, index=list("abcdef"))
    labels = pd.Series([True, True, True, True, False, False], index=scores.index)
    person = pd.Series(["A", "A", "A", "B", "C", "C"], index=scores.index)
    out, lab, study = per_person(scores, labels, person)
    assert list(out.index) == ["A", "B", "C"]
    assert out["s"].tolist() == [3.0, 2.0, 8.0]
    assert lab.tolist() == [True, True, False]
    assert study is None
    table = auc_table(out, lab, n_boot=10)
    assert table["n_label"].iloc[0] == 2
    assert table["n_against"].iloc[0] == 1
    assert table["auc"].iloc[0] == 0.0  # both healthy people score below the one patient


def test_per_person_splits_a_person_whose_label_changed_and_keeps_their_study():
    scores = pd.DataFrame({"s": [1.0, 3.0, 4.0]}, index=["x1", "x2", "y1"])
    labels = pd.Series([True, False, True], index=scores.index)
    person = pd.Series(["X", "X", "Y"], index=scores.index)
    study = pd.Series(["S1", "S1", "S2"], index=scores.index)
    out, lab, st = per_person(scores, labels, person, study)
    assert list(out.index) == ["X (label)", "X (against)", "Y"]
    assert lab.tolist() == [True, False, True]
    assert st.tolist() == ["S1", "S1", "S2"]


def test_per_person_leaves_out_samples_without_label_or_person_and_refuses_two_studies():
    scores = pd.DataFrame({"s": [1.0, 2.0, 3.0]}, index=["a", "b", "c"])
    labels = pd.Series([True, pd.NA, False], index=scores.index, dtype="boolean")
    person = pd.Series(["A", "B", None], index=scores.index)
    out, lab, _ = per_person(scores, labels, person)
    assert list(out.index) == ["A"]
    with pytest.raises(DataError, match="2 studies"):
        per_person(scores, pd.Series([True, True, False], index=scores.index), pd.Series(["A", "A", "B"], index=scores.index),
                   pd.Series(["S1", "S2", "S1"], index=scores.index))
    with pytest.raises(DataError, match="names a person"):
        per_person(scores, labels, pd.Series([None, None, None], index=scores.index, dtype="object"))


def test_samples_without_a_person_never_crash_the_clustered_bootstrap():
    """Scores of samples the cluster series does not list (a results folder
    holding more samples than the metadata, as the labelled sets' does) made
    ``auc_table`` fail: the units of their own were assigned as a list of
    tuples, which pandas reads as a 2-D array (session 30, the labelled sets)."""
    rng = np.random.default_rng(0)
    names = [f"s{i}" for i in range(40)]
    scores = pd.DataFrame({"x": rng.normal(size=40)}, index=names)
    labels = pd.Series([True] * 20 + [False] * 20, index=names)
    cluster = pd.Series({f"s{i}": f"p{i // 2}" for i in range(10)})
    table = auc_table(scores, labels, cluster=cluster, n_boot=50)
    unclustered = auc_table(scores, labels, n_boot=50)
    assert table.loc[0, "auc"] == unclustered.loc[0, "auc"]
    assert np.isfinite(table.loc[0, "low"])
