"""MDSINE2's forecasting protocol on the real healthy-donor mice, and the fit/simulate command line on a slice of them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from gutbalance.cli import main
from gutbalance.errors import FormatError, SimulationError
from gutbalance.simulate.forecast import (
    cohort_mean_forecast,
    median_rmse,
    parse_perturbation,
    persistence_forecast,
    rmse_per_taxon,
)
from gutbalance.simulate.longitudinal import (
    SubjectSeries,
    consistency_filter,
    mdsine2_dataset,
    merge_identical_sequences,
    qpcr_geometric_mean,
    rank_lineages,
    read_perturbations,
)
from tests.helpers import write_metaphlan


@pytest.fixture(scope="module")
def mice(shared_data):
    return shared_data / "dynamics" / "mdsine2_gibson_healthy"


@pytest.fixture(scope="module")
def dataset(mice):
    return mdsine2_dataset(mice)


def test_protocol_keeps_141_otus_of_mice_2_to_5(dataset):
    assert len(dataset.taxa) == 141
    assert dataset.subjects == ["2", "3", "4", "5"]
    for s in dataset.series.values():
        assert s.times[0] == 1.0
        assert 0.5 not in s.times
        assert 0.0 not in s.times
    assert dataset.provenance["merged_sequences"] == 0  # no two ASVs of this data set share a sequence
    assert {p.name for p in dataset.perturbations} == {"High Fat Diet", "Vancomycin", "Gentamicin"}
    assert dataset.lineages[0].startswith("k__Bacteria;p__")


def test_absolute_abundance_is_relative_over_kept_taxa_times_qpcr_geometric_mean(dataset, mice):
    counts = pd.read_csv(mice / "counts.tsv", sep="\t", index_col=0)
    qpcr = pd.read_csv(mice / "qpcr.tsv", sep="\t", index_col=0)
    s = dataset.series["3"]
    k = 10
    sample = s.samples[k]
    kept = counts.loc[dataset.taxa, sample].to_numpy(dtype=float)
    load = float(np.exp(np.log(qpcr.loc[sample].to_numpy(dtype=float)).mean()))
    np.testing.assert_allclose(s.values[k], kept / kept.sum() * load, rtol=1e-12)
    np.testing.assert_array_equal(s.observed[k], kept > 0)


def test_qpcr_geometric_mean_skips_missing_replicates():
    frame = pd.DataFrame({"a": [1.0, 4.0, np.nan], "b": [100.0, np.nan, np.nan], "c": [10.0, 9.0, 0.0]}, index=["x", "y", "z"])
    out = qpcr_geometric_mean(frame)
    np.testing.assert_allclose(out[["x", "y"]], [10.0, 6.0])
    assert np.isnan(out["z"])


def test_identical_sequences_are_merged_and_filter_counts_consecutive_samples():
    counts = pd.DataFrame({"s1": [1, 2, 3], "s2": [4, 5, 6]}, index=["A", "B", "C"])
    merged = merge_identical_sequences(counts, pd.Series({"A": "ACGT", "B": "TTTT", "C": "ACGT"}))
    assert merged.index.tolist() == ["A", "B"]
    assert merged.loc["A"].tolist() == [4, 10]
    times = pd.DataFrame({"subject": ["1"] * 9 + ["2"] * 9, "time": list(range(4, 13)) * 2},
                         index=[f"{s}-{t}" for s in "12" for t in range(9)])
    rel = pd.DataFrame(0.0, index=["steady", "gappy", "early"], columns=times.index)
    rel.loc["steady"] = 1e-3
    rel.loc["gappy"] = [1e-3, 1e-3, 1e-3, 0, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3] * 2   # longest run from day 5 on: 5
    rel.loc["early"] = [1e-3] * 7 + [0, 0] + [1e-3] * 7 + [0, 0]                 # 7 in a row but starting at day 4
    assert consistency_filter(rel, times).tolist() == ["steady"]


def test_baselines_reproduce_the_independent_figures(dataset):
    """Persistence 2.41 and cohort mean 0.86 (medians over mice 2-5), measured independently."""
    persistence, cohort = [], []
    for subject in dataset.subjects:
        series = dataset.series[subject]
        training = dataset.subset([s for s in dataset.subjects if s != subject])
        persistence.append(median_rmse(persistence_forecast(series), series))
        cohort.append(median_rmse(cohort_mean_forecast(training, series.times), series))
    assert np.median(persistence) == pytest.approx(2.41, abs=0.03)
    assert np.median(cohort) == pytest.approx(0.86, abs=0.03)


def test_rmse_scores_observed_points_after_the_start_only():
    series = SubjectSeries("x", [1.0, 2.0, 3.0], [[1e5], [1e7], [0.0]], [[True], [True], [False]])
    pred = np.array([[1e9], [1e6], [1e9]])
    rmse = rmse_per_taxon(pred, series)
    expected = abs(np.log10(1e6 + 1e3) - np.log10(1e7 + 1e3))
    np.testing.assert_allclose(rmse, [expected])


def test_rank_lineages_join_the_species_epithet_and_stop_at_empty_ranks():
    frame = pd.DataFrame({"Kingdom": ["Bacteria", "Bacteria"], "Genus": ["Bacteroides", None], "Species": ["ovatus", "x"]},
                         index=["ASV_1", "ASV_2"])
    assert rank_lineages(frame).tolist() == ["k__Bacteria;g__Bacteroides;s__Bacteroides ovatus", "k__Bacteria"]


def test_perturbation_table_errors_name_the_line(tmp_path):
    path = tmp_path / "p.tsv"
    path.write_text("name\tstart\tend\nVanco\t5\t3\n")
    with pytest.raises(FormatError, match="line 2"):
        read_perturbations(path)
    with pytest.raises(SimulationError, match="NAME:days=A-B"):
        parse_perturbation("Vanco 3-5")
    assert parse_perturbation("High Fat Diet:days=21.5-28.5").name == "High Fat Diet"


@pytest.fixture(scope="module")
def mice_slice(mice, tmp_path_factory):
    """Mice 2 and 3 up to day 45 (high-fat diet and vancomycin), the real files cut down."""
    out = tmp_path_factory.mktemp("mice")
    meta = pd.read_csv(mice / "metadata.tsv", sep="\t", dtype={"subject": str})
    meta = meta[meta["subject"].isin(["2", "3"]) & (meta["time"] <= 45)]
    counts = pd.read_csv(mice / "counts.tsv", sep="\t", index_col=0)[meta["sampleID"]]
    counts = counts[counts.sum(axis=1) > 0]
    counts.index.name = "feature"
    counts.to_csv(out / "counts.tsv", sep="\t")
    taxonomy = pd.read_csv(mice / "silva_species.tsv", sep="\t", index_col=0).loc[counts.index]
    taxonomy.to_csv(out / "silva_species.tsv", sep="\t")
    meta.to_csv(out / "metadata.tsv", sep="\t", index=False)
    qpcr = pd.read_csv(mice / "qpcr.tsv", sep="\t", index_col=0)
    qpcr.loc[qpcr.index.isin(meta["sampleID"])].to_csv(out / "qpcr.tsv", sep="\t")
    perts = pd.read_csv(mice / "perturbations.tsv", sep="\t", dtype={"subject": str})
    perts[perts["subject"].isin(["2", "3"]) & (perts["name"] != "Gentamicin")].to_csv(out / "perturbations.tsv", sep="\t", index=False)
    return out


def test_fit_and_simulate_what_ifs_on_real_mice(mice_slice, tmp_path):
    d = mice_slice
    runner = CliRunner()
    model = tmp_path / "mice.npz"
    result = runner.invoke(main, ["fit", str(d / "counts.tsv"), "--taxonomy", str(d / "silva_species.tsv"),
                                  "--metadata", str(d / "metadata.tsv"), "--perturbations", str(d / "perturbations.tsv"),
                                  "--qpcr", str(d / "qpcr.tsv"), "--rank", "family", "--members", "2",
                                  "--start-day", "1", "-o", str(model)])
    assert result.exit_code == 0, result.output
    assert "logistic model of" in result.output
    assert "High Fat Diet, Vancomycin" in result.output
    from gutbalance.simulate.model import load_model

    fitted = load_model(model)
    assert fitted.n_members == 2
    assert fitted.provenance["rank"] == "family"
    vanco = fitted.perturbation_effects().query("perturbation == 'Vancomycin'")
    assert vanco["effect"].notna().all()
    assert vanco["sd"].notna().all()

    totals = {}
    for label, extra in {
        "as-trained": [],
        "no-vancomycin": ["--without", "Vancomycin"],
        "moved-shortened": ["--perturbation", "High Fat Diet:days=21.5-28.5", "--perturbation", "Vancomycin:days=30-32"],
        "long-course": ["--perturbation", "Vancomycin:days=10-40"],
    }.items():
        out = tmp_path / label
        result = runner.invoke(main, ["simulate", "--model", str(model), "--from", "2-D1AM", "-o", str(out), *extra])
        assert result.exit_code == 0, result.output
        traj = pd.read_csv(out / "trajectory.tsv", sep="\t")
        values = traj.drop(columns=["time", "total"]).to_numpy()
        assert np.all(np.isfinite(values))
        assert np.all(values >= 0)
        assert traj["total"].max() <= fitted.total_cap * (1 + 1e-9)
        assert traj["time"].iloc[0] == 1.0
        pillars = pd.read_csv(out / "pillars.tsv", sep="\t")
        assert {"training", "barrier", "defense", "barrier_p05"} <= set(pillars.columns)
        assert pillars[["training", "homeostasis", "nutrients", "barrier", "defense"]].notna().all().all()
        assert "<svg" in (out / "simulation.html").read_text()
        totals[label] = traj
    # a what-if window past the forecast's end is refused: it was applied while the page read "no intervention"
    result = runner.invoke(main, ["simulate", "--model", str(model), "--from", "2-D1AM", "-o", str(tmp_path / "past"),
                                  "--perturbation", "Vancomycin:days=30-200"])
    assert result.exit_code == 2
    assert "runs past the forecast's end" in result.output
    # From a person's profile: the page says its day 0 is the model's part of the profile (it said "the
    # measured profile" while its pillars were those of 10 % of it), and the notes name what the model lacks.
    profile = write_metaphlan(tmp_path / "person.txt")
    result = runner.invoke(main, ["simulate", "--model", str(model), "--from", str(profile), "--start-day", "1",
                                  "-o", str(tmp_path / "person")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "person" / "simulation.html").read_text()
    # the data's clock: the forecast starts on day 1, and the page said "day 0" (an outside check)
    assert "day 1 = the start of the forecast, the profile&#39;s taxa that the fitted model has" in page
    assert "day 0 = the measured profile" not in page
    assert "Left out, not in the model:" in page
    # leaving vancomycin out changes the forecast after day 35.5 and not before
    a, b = totals["as-trained"], totals["no-vancomycin"]
    before, after = a["time"] < 35.5, a["time"] > 37
    np.testing.assert_allclose(a.loc[before, "total"], b.loc[before, "total"], rtol=1e-9)
    assert not np.allclose(a.loc[after, "total"], b.loc[after, "total"], rtol=1e-3)


def test_simulate_fitted_model_errors(mice_slice, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["simulate", "--from", "2-D1AM", "-o", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "fitted model" in result.output
    result = runner.invoke(main, ["simulate", "--model", str(tmp_path / "absent.npz"), "--from", "x", "-o", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "model file" in result.output
    text = tmp_path / "profile.txt"
    text.write_text("#clade_name\tabundance\nk__Bacteria\t100\n")
    result = runner.invoke(main, ["simulate", "--model", str(text), "--from", "x", "-o", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "not a NumPy .npz archive" in result.output
    assert "allow_pickle" not in result.output
