"""The shipped reference holds one healthy population per kind of input; a
sample gets its percentiles from the population of its own kind."""

from __future__ import annotations

import importlib.util
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

import gutbalance
from gutbalance.reference import load_reference, with_percentiles_explained
from gutbalance.reference.comparability import metaphlan_version
from gutbalance.scores import score_with_contributions
from tests.helpers import scored

ROOT = Path(__file__).resolve().parents[2]


def _read(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
        return gutbalance.read(path)


def _build_script():
    spec = importlib.util.spec_from_file_location("build_healthy_reference", ROOT / "scripts" / "build_healthy_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_reference_has_a_metaphlan_population_with_its_provenance():
    ref = load_reference()
    pop = ref.population_for({"profiler": "MetaPhlAn", "rank": "species"})
    assert pop is not None
    assert pop is not ref.primary
    assert pop.kind == {"profiler": "MetaPhlAn", "rank": "species"}
    studies = pop.characteristics["studies"]
    assert {k: v["n_runs"] for k, v in studies.items()} == {
        "franzosa2019_ibd": 56, "ihmp_ibdmdb2019": 104, "metaml_pasolli2016": 379}
    assert studies["ihmp_ibdmdb2019"]["n_people"] == 26  # several runs per subject, each run one profile
    assert pop.n_profiles == 539
    assert pop.n_people == 56 + 26 + 379
    assert all(d.n == 539 for d in pop.distributions.values())
    assert pop.characteristics["profiler"] == "MetaPhlAn 2"
    # run-to-run variation of the iHMP subjects
    assert pop.variation["shannon"].n_subjects == 25  # the iHMP subjects with two runs or more
    assert ref.population_for({"profiler": "mOTUs", "rank": "species"}) is ref.primary
    assert ref.population_for({"profiler": "Kraken", "rank": "species"}) is None
    assert ref.population_for({"profiler": "MetaPhlAn", "rank": "genus"}) is None


def test_metaphlan3_profile_gets_percentiles_from_the_metaphlan_population(shared_data):
    folder = shared_data / "profiles" / "kefir_metaphlan3"
    if not folder.is_dir():
        pytest.skip(f"{folder} is not present")
    path = sorted(folder.glob("*.txt"))[0]
    cohort = _read(path)
    table, explained = with_percentiles_explained(*score_with_contributions(cohort), cohort)
    sample = table.index[0]
    pop = load_reference().populations["metaphlan_healthy_controls"]
    for key in ("richness", "shannon", "gmwi2", "immune_support"):
        expected = float(pop.distributions[key].percentile(np.array([table.at[sample, key]]))[0])
        assert table.at[sample, f"{key}_percentile"] == pytest.approx(expected), key
    motus = load_reference().primary.distributions["richness"]
    assert table.at[sample, "richness_percentile"] != pytest.approx(
        float(motus.percentile(np.array([table.at[sample, "richness"]]))[0]))
    assert explained[sample]["percentiles_against"] == "539 healthy MetaPhlAn runs (species level)"
    # one family, but the version difference is said
    assert any("MetaPhlAn 2" in w and "MetaPhlAn 3" in w for w in explained[sample]["warnings"])
    assert not any(w.startswith("percentiles not comparable") for w in explained[sample]["warnings"])


def test_motus_profile_still_uses_the_motus_population(shared_data):
    folder = shared_data / "profiles" / "zeller2014_motus3_controls" / "profiles"
    if not folder.is_dir():
        pytest.skip(f"{folder} is not present")
    path = sorted(folder.iterdir())[0]
    cohort = _read(path)
    table, explained = with_percentiles_explained(*score_with_contributions(cohort), cohort)
    sample = table.index[0]
    motus = load_reference().primary
    expected = float(motus.distributions["shannon"].percentile(np.array([table.at[sample, "shannon"]]))[0])
    assert table.at[sample, "shannon_percentile"] == pytest.approx(expected)
    assert explained[sample]["percentiles_against"] == "457 healthy mOTUs runs (species level)"
    assert not any("MetaPhlAn" in w for w in explained[sample]["warnings"])


def test_a_kind_no_population_covers_stays_missing_with_the_reason(tmp_path):
    path = tmp_path / "kraken.tsv"
    # A Kraken 2 report (family Kraken): no healthy Kraken population is shipped.
    rows = [
        (10.0, 10, 10, "U", 0, "unclassified"),
        (90.0, 90, 0, "R", 1, "root"),
        (90.0, 90, 0, "D", 2, "  Bacteria"),
        (90.0, 90, 0, "P", 1239, "    Firmicutes"),
        (90.0, 90, 0, "C", 186801, "      Clostridia"),
        (90.0, 90, 0, "O", 186802, "        Eubacteriales"),
        (90.0, 90, 0, "F", 216572, "          Oscillospiraceae"),
        (90.0, 90, 0, "G", 216851, "            Faecalibacterium"),
        (60.0, 60, 60, "S", 853, "              Faecalibacterium prausnitzii"),
        (30.0, 30, 30, "S", 1000, "              Faecalibacterium sp. X"),
    ]
    path.write_text("".join(f"{p:.2f}\t{a}\t{b}\t{r}\t{t}\t{n}\n" for p, a, b, r, t, n in rows))
    cohort = _read(path)
    table, explained = with_percentiles_explained(*score_with_contributions(cohort), cohort)
    sample = table.index[0]
    assert table.filter(like="_percentile").iloc[0].isna().all()
    assert explained[sample]["percentiles_against"] == ""
    note = next(w for w in explained[sample]["warnings"] if w.startswith("percentiles not comparable"))
    assert "mOTUs" in note
    assert "MetaPhlAn" in note
    assert "Kraken" in note


@pytest.mark.shared
def test_healthy_metaphlan_controls_land_in_the_middle_of_their_population(shared_data):
    if not (shared_data / "labelled" / "metaml_pasolli2016").is_dir():
        pytest.skip("labelled sets not present")
    cohort, _ = _build_script().metaphlan_cohort(shared_data)
    table = scored(cohort)  # every row depends on its sample alone
    for key in ("richness", "shannon", "gmwi2"):
        median = float(np.nanmedian(table[f"{key}_percentile"]))
        assert 40 <= median <= 60, (key, median)
    # one by one gives the same rows
    for name in cohort.sample_names[::97]:
        alone = scored(cohort.subset([name]))
        for key in ("richness", "shannon", "gmwi2"):
            a, b = alone.at[name, f"{key}_percentile"], table.at[name, f"{key}_percentile"]
            assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b), (name, key)


def test_metaphlan_versions():
    assert metaphlan_version("mpa_v20_m200") == "MetaPhlAn 2"
    assert metaphlan_version("#mpa_v31_CHOCOPhlAn_201901") == "MetaPhlAn 3"
    assert metaphlan_version("mpa_vOct22_CHOCOPhlAnSGB_202212") == "MetaPhlAn 4"
    assert metaphlan_version("") == ""


def test_written_reports_use_the_population_of_the_sample_kind(shared_data, tmp_path):
    folder = shared_data / "profiles" / "kefir_metaphlan3"
    if not folder.is_dir():
        pytest.skip(f"{folder} is not present")
    from gutbalance.report.files import write_reports

    cohort = _read(sorted(folder.glob("*.txt"))[0])
    table, explained = with_percentiles_explained(*score_with_contributions(cohort), cohort)
    files = write_reports(tmp_path, cohort, table, explained, figures=False, save_cohort=False)
    page = next(iter(files.sample_reports.values())).read_text(encoding="utf-8")
    assert "against 539 healthy MetaPhlAn runs" in page
    assert "against 457 healthy mOTUs runs" not in page
    assert "against 539 healthy MetaPhlAn runs" in files.cohort_report.read_text(encoding="utf-8")
