"""Reference distributions, percentiles, technical variation and building a reference."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import gutbalance
from gutbalance.errors import DataError, FormatError
from gutbalance.reference import (
    Distribution,
    Reference,
    build_reference,
    load_reference,
    merge_repeated_samples,
    percentiles,
    technical_variation,
    with_percentiles,
    with_percentiles_explained,
)
from gutbalance.reference.comparability import diversity_rank_note
from gutbalance.reference.variation import SRD_FACTOR, within_subject_sd
from gutbalance.scores import DESCRIPTIVE_COLUMNS, DIVERSITY_COLUMNS, score, score_with_contributions
from tests.helpers import SMALL_COMMUNITY, make_cohort, scored, warnings_besides_shallow


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-5, 5), min_size=1, max_size=40),
    st.lists(st.integers(-7, 7), min_size=1, max_size=10),
)
def test_percentile_is_scipy_percentileofscore_mean(reference_values, queries):
    dist = Distribution.from_values(reference_values)
    got = dist.percentile(queries)
    want = [stats.percentileofscore(reference_values, q, kind="mean") for q in queries]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


def test_percentile_keeps_nan_and_quantiles_approximate_values():
    rng = np.random.default_rng(1)
    values = rng.normal(size=5000)
    exact = Distribution.from_values(values)
    compact = Distribution.from_values(values, as_quantiles=True)
    assert compact.kind == "quantiles"
    assert len(compact.values) == 101
    assert compact.n == 5000
    q = np.array([-2.0, -0.5, 0.0, 0.7, 3.0, np.nan])
    a, b = exact.percentile(q), compact.percentile(q)
    assert np.isnan(a[-1])
    assert np.isnan(b[-1])
    np.testing.assert_allclose(a[:-1], b[:-1], atol=0.6)
    assert compact.percentile([-100])[0] == 0
    assert compact.percentile([100])[0] == 100


@pytest.mark.parametrize("as_quantiles", [False, True])
def test_quantile_is_numpy_quantile_however_often_asked(as_quantiles):
    """Quantiles (and the summary cached from them) stay numpy's however
    often asked, and a replaced distribution answers for its own values."""
    import dataclasses

    values = np.random.default_rng(3).normal(size=300)
    dist = Distribution.from_values(values, as_quantiles=as_quantiles)
    want = [float(np.quantile(values, q)) if not as_quantiles else float(np.interp(q, dist.levels, dist.values)) for q in (0.05, 0.5, 0.95)]
    assert [dist.quantile(q) for q in (0.05, 0.5, 0.95)] == want
    assert [dist.quantile(q) for q in (0.05, 0.5, 0.95)] == want
    shifted = dataclasses.replace(dist, values=dist.values + 1.0)
    assert shifted.quantile(0.5) == pytest.approx(want[1] + 1.0)


def test_quantile_percentiles_with_many_ties_count_ties_half():
    dist = Distribution.from_values([0.0] * 60 + list(np.linspace(1, 4, 40)), as_quantiles=True)
    assert dist.percentile([0.0])[0] == pytest.approx(30.0, abs=1.0)


def test_distribution_refuses_empty():
    with pytest.raises(DataError):
        Distribution.from_values([np.nan])


def test_within_subject_sd_is_the_anova_residual_sd():
    # two subjects: (1, 3) and (10, 11, 15): residual SS = 2 + 14 = 16 on 1 + 2 df
    values = pd.Series([1.0, 3.0, 10.0, 11.0, 15.0, 7.0])
    subjects = pd.Series(["a", "a", "b", "b", "b", "single"])
    sw, n_subjects, n_measurements = within_subject_sd(values, subjects)
    assert sw == pytest.approx(np.sqrt(16 / 3))
    assert (n_subjects, n_measurements) == (2, 5)
    tv = technical_variation(pd.DataFrame({"x": values}), subjects)["x"]
    assert tv.smallest_real_difference == pytest.approx(1.96 * np.sqrt(2) * np.sqrt(16 / 3))
    assert pytest.approx(2.77, abs=0.01) == SRD_FACTOR  # Bland & Altman 1996: 2.77 s_w
    assert tv.exceeds(tv.smallest_real_difference * 1.01)
    assert not tv.exceeds(-tv.smallest_real_difference * 0.99)


def test_within_subject_sd_needs_a_replicate():
    with pytest.raises(DataError):
        within_subject_sd(pd.Series([1.0, 2.0]), pd.Series(["a", "b"]))


def _percent(species: dict[str, float]) -> dict[str, float]:
    total = sum(species.values())
    return {k: 100.0 * v / total for k, v in species.items()}


def _runs_cohort():
    names = list(SMALL_COMMUNITY)
    shifted = dict(SMALL_COMMUNITY)
    shifted[names[0]] += 10.0
    shifted[names[1]] -= 10.0
    profiles = {
        "run1": SMALL_COMMUNITY,
        "run2": shifted,
        "run3": SMALL_COMMUNITY,
        "run4": _percent({k: SMALL_COMMUNITY[k] for k in names[:5]}),
        "run5": _percent({k: SMALL_COMMUNITY[k] for k in names[2:]}),
    }
    subjects = pd.Series({"run1": "p1", "run2": "p1", "run3": "p2", "run4": "p2", "run5": "p3"})
    return make_cohort(profiles), subjects


def test_merge_repeated_samples_averages_runs():
    cohort, subjects = _runs_cohort()
    merged = merge_repeated_samples(cohort, subjects)
    assert merged.sample_names == ["p1", "p2", "p3"]
    np.testing.assert_allclose(merged.X[0].toarray(), (cohort.X[0] + cohort.X[1]).toarray() / 2)
    np.testing.assert_allclose(merged.X[2].toarray(), cohort.X[4].toarray())
    assert merged.samples["n_runs"].tolist() == [2, 2, 1]
    with pytest.raises(DataError):
        merge_repeated_samples(cohort, subjects.drop("run5"))


def test_build_reference_round_trips_and_gives_percentiles(tmp_path):
    cohort, subjects = _runs_cohort()
    ref = build_reference(cohort, name="t", description="test people", source="made up", subjects=subjects)
    # Every run is one profile of the distributions (a user's sample is one run).
    run_scores = score(cohort)
    numeric = [c for c in run_scores.columns if c not in ("diversity_rank", "stool_like", "missing", "warnings", *DESCRIPTIVE_COLUMNS)]
    assert set(ref.scores) == {c for c in numeric if run_scores[c].notna().any()}
    for col in ref.scores:
        values = run_scores[col].dropna().to_numpy()
        np.testing.assert_allclose(ref.distribution(col).values, np.sort(values))
    assert ref.primary.n_people == 3
    assert ref.primary.characteristics["n_profiles"] == 5
    assert ref.primary.kind == {"profiler": "unknown", "rank": "species"}
    assert set(ref.variation) == set(ref.scores)
    assert ref.variation["shannon"].n_subjects == 2
    path = ref.save(tmp_path / "ref.json")
    again = Reference.load(path)
    assert again.to_json() == ref.to_json()
    table = score(cohort)
    table["not_a_reference_score"] = 1.0
    pct = percentiles(table, again)
    assert list(pct.columns) == [f"{c}_percentile" for c in table.columns if c in ref.scores]
    assert pct.index.equals(table.index)
    # Missing stays missing: a percentile is NaN exactly where its score is.
    for col in pct.columns:
        base = table[col.removesuffix("_percentile")]
        assert (pct[col].isna() == base.isna()).all(), col
    assert ((pct >= 0) & (pct <= 100) | pct.isna()).all().all()


def test_load_reference_errors_are_format_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(FormatError, match="not JSON"):
        Reference.load(bad)
    bad.write_text(json.dumps({"format": "something else"}), encoding="utf-8")
    with pytest.raises(FormatError, match="gutbalance-reference"):
        Reference.load(bad)
    with pytest.raises(FormatError):
        Reference.load(tmp_path / "missing.json")


def test_shipped_reference_covers_every_score_column():
    """Fails when score() gains a column: re-run scripts/build_healthy_reference.py."""
    ref = load_reference()
    columns = score(make_cohort({"a": SMALL_COMMUNITY})).columns
    # chao1 needs read counts, which no reference population (MetaPhlAn, mOTUs
    # relative profiles) has: its percentile is missing with that reason.
    text = {"diversity_rank", "stool_like", "missing", "warnings", "chao1", *DESCRIPTIVE_COLUMNS}
    missing = [c for c in columns if c not in ref.scores and c not in text]
    assert not missing, f"re-run scripts/build_healthy_reference.py: no reference distribution for {missing}"
    assert ref.primary.n_people == 66
    assert ref.primary.characteristics["n_profiles"] == 457
    assert all(d.n == 457 for k, d in ref.primary.distributions.items() if k != "gmhi")
    assert ref.primary.kind == {"profiler": "mOTUs", "rank": "species"}
    assert "doi:10.15252/msb.20145645" in ref.primary.source
    assert ref.context["gmwi_webtool_5026"].n_people == 5026
    assert not ref.context["gmwi_webtool_5026"].healthy
    assert ref.variation["shannon"].n_measurements == 457


@pytest.mark.shared
@pytest.mark.slow
def test_shipped_reference_is_what_the_script_builds(shared_data, tmp_path):
    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "ref.json"
    subprocess.run(
        [sys.executable, str(root / "scripts" / "build_healthy_reference.py"), "--shared", str(shared_data), "-o", str(out)],
        check=True, capture_output=True,
    )
    built = json.loads(out.read_text(encoding="utf-8"))
    shipped = json.loads((root / "src" / "gutbalance" / "reference" / "data" / "healthy_reference.json").read_text(encoding="utf-8"))
    built["provenance"].pop("gutbalance", None)
    shipped["provenance"].pop("gutbalance", None)
    assert built == shipped, "the shipped reference is stale: re-run scripts/build_healthy_reference.py"


@pytest.fixture(scope="module")
def zeller_runs(shared_data):
    import warnings

    folder = shared_data / "profiles" / "zeller2014_motus3_controls" / "profiles"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
        return gutbalance.read(sorted(folder.iterdir()))


@pytest.mark.shared
def test_reference_runs_land_in_the_middle_of_the_shipped_reference(zeller_runs):
    """Issue 11: over the 457 Zeller runs scored one by one, the median
    percentile of richness, Shannon and GMWI2 lies between 40 and 60."""
    assert zeller_runs.n_samples == 457
    table = scored(zeller_runs)
    # One by one: a run scored alone has the row it has in the batch.
    for name in zeller_runs.sample_names[::50]:
        alone = scored(zeller_runs.subset([name]))
        pd.testing.assert_frame_equal(alone, table.loc[[name]])
    for column in ("richness", "shannon", "gmwi2"):
        median = table[f"{column}_percentile"].median()
        assert 40 <= median <= 60, (column, median)
    # mOTUs species-level: comparable, stool-like.  (mOTUs' precision mode
    # reports no species under 0.03 % in 236 of these 457 runs, which
    # the shallow-profile warning says.)
    assert table["warnings"].map(warnings_besides_shallow).map(len).eq(0).all()


def test_percentiles_only_against_the_same_kind_of_input():
    """The shipped reference is mOTUs and MetaPhlAn species-level: a Kraken
    profile and a genus-level table get no percentiles, and a warning that says why."""
    genus = {
        "k__Bacteria|p__Bacillota|c__Clostridia|o__Eubacteriales|f__Oscillospiraceae|g__Faecalibacterium": 50.0,
        "k__Bacteria|p__Bacteroidota|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides": 50.0,
    }
    cohort = make_cohort({"species": SMALL_COMMUNITY, "genus": genus})
    cohort.samples["source_format"] = ["cami", "cami"]
    cohort.samples["database"] = ["motus version 3.0.2", "motus version 3.0.2"]
    table = scored(cohort)
    pct = table[[c for c in table.columns if c.endswith("_percentile")]]
    assert pct.loc["species"].notna().all()
    assert pct.loc["genus"].isna().all()
    assert table.loc["genus", "diversity_rank"] == "genus"
    assert "percentiles not comparable" in table.loc["genus", "warnings"]
    assert "mOTUs, genus-level" in table.loc["genus", "warnings"]
    # A MetaPhlAn species profile: the MetaPhlAn population; the genus table still none.
    cohort.samples["source_format"] = ["metaphlan", "metaphlan"]
    table = scored(cohort)
    assert table.filter(like="_percentile").loc["species"].notna().all()
    assert table.filter(like="_percentile").loc["genus"].isna().all()
    assert "this sample is MetaPhlAn, genus-level" in table.loc["genus", "warnings"]
    # A Kraken profile: no population of its kind.
    cohort.samples["source_format"] = ["kraken", "kraken"]
    table = scored(cohort)
    assert table.filter(like="_percentile").isna().all().all()
    assert "this sample is Kraken, species-level" in table.loc["species", "warnings"]


_GENUS_ONLY = {
    "k__Bacteria|p__Bacillota|c__Clostridia|o__Eubacteriales|f__Oscillospiraceae|g__Faecalibacterium": 50.0,
    "k__Bacteria|p__Bacteroidota|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides": 50.0,
}
_DIVERSITY_PERCENTILES = [f"{c}_percentile" for c in DIVERSITY_COLUMNS]


def _metaphlan_cohort(source_format: str = "metaphlan", database: str = "") -> gutbalance.Cohort:
    cohort = make_cohort({"species": SMALL_COMMUNITY, "genus": _GENUS_ONLY})
    cohort.samples["source_format"] = [source_format, source_format]
    cohort.samples["database"] = [database, database]
    return cohort


def test_a_fixed_diversity_rank_keeps_the_samples_population_and_withholds_only_its_diversity():
    """--diversity-rank genus on a MetaPhlAn species profile: its population
    is still the species-level MetaPhlAn one (its own resolution), every
    percentile but diversity's is the default run's, and its genus diversity is
    not ranked against species diversity; a genus-only sample is as before."""
    cohort = _metaphlan_cohort()
    default = with_percentiles(score(cohort), cohort)
    genus = with_percentiles(score(cohort, diversity_rank="genus"), cohort)
    assert genus["resolved_rank"].to_dict() == {"species": "species", "genus": "genus"}
    pct = [c for c in default.columns if c.endswith("_percentile")]
    diversity = [c for c in pct if c in _DIVERSITY_PERCENTILES]
    others = [c for c in pct if c not in diversity]
    assert {"shannon_percentile", "richness_percentile"} <= set(diversity)
    assert default.loc["species", pct].notna().all()
    pd.testing.assert_frame_equal(genus[others], default[others])
    assert genus.loc["species", diversity].isna().all()
    assert "diversity at genus rank; the healthy population's diversity is at species rank" in genus.loc[
        "species", "warnings"]
    assert "not comparable" not in genus.loc["species", "warnings"]
    # the genus-only sample: no population of its kind, in either run, said the same way
    assert genus.loc["genus", pct].isna().all()
    assert genus.loc["genus", "warnings"] == default.loc["genus", "warnings"]
    assert "this sample is MetaPhlAn, genus-level" in genus.loc["genus", "warnings"]
    # asked at the population's own rank, the diversity percentiles are the default run's too
    species = with_percentiles(score(cohort, diversity_rank="species"), cohort)
    pd.testing.assert_frame_equal(species[pct], default[pct])
    assert species["warnings"].equals(default["warnings"])
    # a sample's row depends on itself and the run's parameters alone
    alone = with_percentiles(score(cohort, diversity_rank="genus").loc[["species"]], cohort.samples)
    pd.testing.assert_frame_equal(alone, genus.loc[["species"]])


def test_a_fixed_rank_explains_the_withheld_diversity_in_scores_json_too():
    cohort = _metaphlan_cohort(database="mpa_v30_CHOCOPhlAn_201901")
    table, explained = score_with_contributions(cohort, diversity_rank="genus")
    table, explained = with_percentiles_explained(table, explained, cohort)
    said = explained["species"]["warnings"]
    # the version caveat and the rank note are two warnings, as in the table
    assert any(w.startswith("percentiles against MetaPhlAn") for w in said)
    assert any(w.startswith("diversity at genus rank") for w in said)
    assert " | ".join(said) == table.loc["species", "warnings"]


def test_diversity_rank_note_only_where_the_ranks_differ():
    assert diversity_rank_note("genus", {"profiler": "MetaPhlAn", "rank": "species"}).startswith(
        "diversity at genus rank; the healthy population's diversity is at species rank")
    assert diversity_rank_note("species", {"profiler": "MetaPhlAn", "rank": "species"}) == ""
    assert diversity_rank_note("", {"profiler": "MetaPhlAn", "rank": "species"}) == ""  # no diversity at all
    assert diversity_rank_note("genus", None) == ""  # a reference without kinds ranks everything
