"""Group statistics and quantile summaries of a cohort (what the cohort report shows)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import gutbalance
from gutbalance.reference import load_reference
from gutbalance.reference.comparability import PROFILER_COLUMN
from gutbalance.reference.sample import sample_statistics
from gutbalance.reference.statistics import (
    cohort_statistics,
    compare_column,
    compare_groups,
    diversity_ranks,
    grouping_columns,
    per_person_in_groups,
    summary,
)
from tests.helpers import SMALL_COMMUNITY, make_cohort


def test_compare_groups_matches_scipy_and_benjamini_hochberg():
    rng = np.random.default_rng(3)
    scores = pd.DataFrame({"a": rng.normal(size=30), "b": np.r_[rng.normal(size=15), rng.normal(2, size=15)]},
                          index=[f"s{i}" for i in range(30)])
    groups = pd.Series(["x"] * 15 + ["y"] * 15, index=scores.index)
    table = compare_groups(scores, groups)
    assert list(table["score"]) == ["a", "b"]
    for _, row in table.iterrows():
        xa = scores.loc[groups == "x", row["score"]]
        xb = scores.loc[groups == "y", row["score"]]
        res = stats.mannwhitneyu(xa, xb, alternative="two-sided")
        assert row["u"] == res.statistic
        assert row["p"] == pytest.approx(res.pvalue)
        greater = sum((u > v) - (u < v) for u in xa for v in xb) / (len(xa) * len(xb))
        assert row["rank_biserial"] == pytest.approx(greater)  # P(a > b) - P(a < b)
    p = table["p"].to_numpy()
    order = np.argsort(p)
    bh = np.minimum.accumulate((p[order] * len(p) / np.arange(1, len(p) + 1))[::-1])[::-1]
    np.testing.assert_allclose(table["q"].to_numpy()[order], np.minimum(bh, 1))
    assert table.set_index("score").loc["b", "rank_biserial"] < -0.5  # y is higher


def test_grouping_columns_need_two_groups_of_three():
    meta = pd.DataFrame({"arm": list("aaabbb"), "tiny": list("aaaaab"), "age": [1.5, 2, 3, 4, 5, 6],
                         "id": list("abcdef"), "source_file": list("aaabbb")})
    assert grouping_columns(meta) == ["arm"]


def test_a_word_for_no_value_is_no_group():
    # MetAML's disease column: "-" (and " -") where the study did not say; NA, n/a and "" likewise
    index = [f"s{i}" for i in range(12)]
    meta = pd.DataFrame({"disease": ["n"] * 3 + ["cirrhosis"] * 3 + ["-", " -", "NA", "n/a", "", " - "],
                         "only_one": ["n"] * 3 + ["-"] * 9}, index=index)
    assert grouping_columns(meta) == ["disease"]
    scores = pd.DataFrame({"a": np.arange(12.0)}, index=index)
    tests = compare_groups(scores, meta["disease"])
    assert tests[["group_a", "group_b", "n_a", "n_b"]].values.tolist() == [["cirrhosis", "n", 3, 3]]
    compared = compare_column(scores, ["a"], meta["disease"], "disease")
    assert compared.counts == [("cirrhosis", 3), ("n", 3)]
    assert compared.levels == ["cirrhosis", "n"]
    assert [label for label, _ in compared.values["a"]] == ["cirrhosis", "n"]


def test_summary_is_numpy_quantiles_of_the_finite_values():
    values = [3.0, float("nan"), 1.0, 2.0, 10.0, None]
    got = summary(values)
    expected = np.quantile([3.0, 1.0, 2.0, 10.0], [0.05, 0.25, 0.5, 0.75, 0.95])
    assert list(got) == ["p5", "p25", "p50", "p75", "p95"]
    np.testing.assert_allclose(list(got.values()), expected)
    assert summary([float("nan")]) is None


def test_cohort_statistics_compare_each_grouping_column_and_summarise_each_group():
    rng = np.random.default_rng(5)
    index = [f"s{i}" for i in range(12)]
    scores = pd.DataFrame({"a": rng.normal(size=12), "b": rng.normal(size=12)}, index=index)
    scores.iloc[0, 1] = np.nan
    meta = pd.DataFrame({"arm": ["x"] * 6 + ["y"] * 6, "site": list("pqpqpqpqpqpq")}, index=index)
    result = cohort_statistics(scores, keys=["a", "b"], metadata=meta, group_columns=["arm"])
    assert result.reference is None
    assert result.n_other_kind == 0
    assert [c.column for c in result.comparisons] == ["arm"]
    arm = result.comparisons[0]
    assert arm.counts == [("x", 6), ("y", 6)]
    pd.testing.assert_frame_equal(
        pd.DataFrame([r for k in ("a", "b") for r in arm.tests[k]]),
        compare_groups(scores, meta["arm"]),
    )
    assert arm.medians["b"]["x"] == pytest.approx(np.median(scores["b"].iloc[1:6]))
    assert arm.summaries["a"]["y"] == summary(scores["a"].iloc[6:].tolist())
    assert result.summaries["b"] == summary(scores["b"].tolist())
    # without group columns named, the metadata decides (two groups of at least three)
    assert {c.column for c in cohort_statistics(scores, keys=["a"], metadata=meta).comparisons} == {"arm", "site"}


def test_a_group_without_any_value_has_no_median_and_no_runtime_warning():
    # David et al. 2014's 16S genus table: GMHI is missing in every sample of
    # one diet arm; the report printed numpy's "All-NaN slice encountered".
    index = [f"s{i}" for i in range(12)]
    scores = pd.DataFrame({"gmhi": [np.nan] * 4 + [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]}, index=index)
    meta = pd.DataFrame({"diet": ["animal"] * 4 + ["plant"] * 4 + ["usual"] * 4}, index=index)
    result = cohort_statistics(scores, keys=["gmhi"], metadata=meta, group_columns=["diet"])
    medians = result.comparisons[0].medians["gmhi"]
    assert np.isnan(medians["animal"])
    assert medians["plant"] == pytest.approx(0.25)


def test_each_sample_is_placed_as_its_own_page_places_it_whatever_the_other_kinds():
    # cohort_statistics ranks once per kind and diversity rank; each row must still be the
    # sample's own (sample_statistics, one sample at a time): MetaPhlAn, mOTUs, Kraken and
    # unnamed profiles, a MetaPhlAn sample whose diversity is at genus rank, one whose kind
    # only its saved results tell, and one whose kind nothing tells
    names = ["mpa", "motus", "kraken", "table", "mpa_genus", "saved", "untold", "mpa2"]
    community = list(SMALL_COMMUNITY.items())
    def shares(i: int) -> dict[str, float]:
        kept = community[i % 3:]
        return {k: 100.0 * v / sum(w for _, w in kept) for k, v in kept}

    cohort = make_cohort({n: shares(i) for i, n in enumerate(names)})
    cohort.samples["source_format"] = ["metaphlan", "cami", "kraken", "csv", "metaphlan", "", "", "metaphlan"]
    cohort.samples["database"] = ["mpa_v30", "mOTUs 3", "", "", "mpa_v30", "", "", "mpa_v30"]
    scores = gutbalance.score(cohort)
    scores["resolved_rank"] = scores["diversity_rank"]
    scores.loc["mpa_genus", "diversity_rank"] = "genus"
    scores[PROFILER_COLUMN] = ["", "", "", "", "", "MetaPhlAn", "", ""]
    meta = cohort.samples.drop(index=["saved", "untold"])
    keys = ["immune_support", "gmhi", "shannon", "richness"]
    reference = load_reference()
    result = cohort_statistics(scores, keys=keys, metadata=meta, reference=reference)
    placed = 0
    for i, sample in enumerate(names):
        profiles = cohort if sample in meta.index else None  # a sample without profiles at hand
        own = sample_statistics(sample, scores, keys=keys, cohort=profiles, reference=reference)
        assert result.kind_notes[i] == own.not_comparable, sample
        for position in own.positions:
            cell = result.percentiles.at[sample, f"{position.key}_percentile"]
            if position.percentile is None:
                assert np.isnan(cell), (sample, position.key)
            else:
                assert cell == pytest.approx(position.percentile, abs=1e-12), (sample, position.key)
                placed += 1
    assert [bool(n) for n in result.kind_notes] == [False, False, True, True, False, False, True, False]
    assert np.isnan(result.percentiles.at["mpa_genus", "richness_percentile"])
    assert np.isfinite(result.percentiles.at["mpa_genus", "immune_support_percentile"])
    assert placed == 5 * len(keys) - 2  # the genus-rank sample's two diversity scores are not placed
    # the population drawn beside the cohort is that of the most common comparable kind
    assert result.reference is not None
    assert result.reference.primary.kind["profiler"] == "MetaPhlAn"


def test_diversity_ranks_finest_first_and_none_when_the_table_does_not_say():
    scores = pd.DataFrame({"diversity_rank": ["genus", "species", "", np.nan, "genus", "otu"]})
    assert diversity_ranks(scores) == ("species", "genus", "otu")
    assert diversity_ranks(scores.iloc[2:4]) == ()
    assert diversity_ranks(pd.DataFrame({"richness": [1.0]})) is None


def test_what_gutbalance_records_of_each_input_is_never_a_grouping():
    # a genus count table beside MetaPhlAn profiles: counted True/False, two formats
    meta = pd.DataFrame({"counted": [True] * 4 + [False] * 4, "source_format": ["csv"] * 4 + ["metaphlan"] * 4,
                         "counts_estimated_by": ["metaphlan"] * 4 + ["kraken"] * 4, "arm": list("ABABABAB")},
                        index=[f"s{i}" for i in range(8)])
    assert grouping_columns(meta) == ["arm"]


def test_a_person_sampled_again_counts_once_per_group():
    # fault (outside check): the cohort page tested 43 post- against 38 pre-intervention samples of 18
    # people as independent (evenness p = 0.0005, bold); one value per person gives p = 0.018
    rng = np.random.default_rng(3)
    rows, groups, persons = [], [], []
    for person in range(8):
        for group, shift in (("pre", 0.0), ("post", 1.0)):
            for _ in range(1 + person % 3):  # 1-3 samples per person and group
                rows.append(person + shift + rng.normal(0, 0.1))
                groups.append(group)
                persons.append(f"P{person}")
    persons[0] = ""  # a sample without a person is a person of its own
    index = pd.Index([f"s{i}" for i in range(len(rows))])
    scores = pd.DataFrame({"shannon": rows, "diversity_rank": "species"}, index=index)
    table, labels = per_person_in_groups(scores, pd.Series(groups, index=index), pd.Series(persons, index=index))
    assert len(table) == 16  # P0's pre sample is now s0's own: 7 people x 2 groups, P0 post, s0 pre
    expected = (scores.assign(person=[p or s for p, s in zip(persons, index, strict=True)], group=groups)
                .groupby(["person", "group"])["shannon"].median())
    assert sorted(table["shannon"]) == pytest.approx(sorted(expected))
    comparison = compare_column(scores, ["shannon"], pd.Series(groups, index=index), "arm",
                                pd.Series(persons, index=index))
    assert comparison.unit == "person"
    assert dict(comparison.counts) == {"post": 8, "pre": 8}
    assert comparison.grouped_samples == len(rows)
    (row,) = comparison.tests["shannon"]
    values = table.assign(group=labels.to_numpy())
    direct = stats.mannwhitneyu(values[values.group == "post"]["shannon"], values[values.group == "pre"]["shannon"],
                                alternative="two-sided")
    assert (row["n_a"], row["n_b"]) == (8, 8)
    assert row["p"] == pytest.approx(direct.pvalue)
    assert compare_column(scores, ["shannon"], pd.Series(groups, index=index), "arm").unit == "sample"
