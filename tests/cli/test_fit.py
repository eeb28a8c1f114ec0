"""``gutbalance fit --time-unit``: times in weeks, as iHMP's metadata gives them (``Subject``, ``week_num``)."""

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from gutbalance.cli import main
from gutbalance.simulate.model import load_model

GENERA = {
    "Bacteroides": "k__Bacteria;p__Bacteroidota;c__Bacteroidia;o__Bacteroidales;f__Bacteroidaceae;g__Bacteroides",
    "Faecalibacterium": "k__Bacteria;p__Bacillota;c__Clostridia;o__Eubacteriales;f__Oscillospiraceae;"
                        "g__Faecalibacterium",
    "Escherichia": "k__Bacteria;p__Pseudomonadota;c__Gammaproteobacteria;o__Enterobacterales;f__Enterobacteriaceae;"
                   "g__Escherichia",
}


@pytest.fixture
def ihmp_shaped(tmp_path):
    """Four people seen at irregular weeks (iHMP's week_num), one antibiotic
    course in weeks 4-6, counts as a taxa x samples table."""
    rng = np.random.default_rng(7)
    weeks = {"C3001": [0, 2, 4, 6, 8, 10], "C3002": [0, 1, 3, 5, 7, 9, 12], "C3003": [0, 2, 5, 8, 11],
             "C3004": [1, 4, 6, 8]}
    rows, columns = [], {}
    for subject, times in weeks.items():
        for week in times:
            sample = f"{subject}_W{week}"
            rows.append({"External ID": sample, "Subject": subject, "week_num": week})
            course = 4 <= week < 6
            columns[sample] = rng.poisson([4000 * (0.3 if course else 1), 3000 * (0.4 if course else 1),
                                           200 * (5 if course else 1)])
    counts = pd.DataFrame(columns, index=list(GENERA.values()))
    counts.index.name = "taxonomy"
    counts.to_csv(tmp_path / "counts.tsv", sep="\t")
    meta = pd.DataFrame(rows)
    meta.to_csv(tmp_path / "weeks.tsv", sep="\t", index=False)
    meta.assign(week_num=meta["week_num"] * 7).to_csv(tmp_path / "days.tsv", sep="\t", index=False)
    (tmp_path / "weeks_perts.tsv").write_text("name\tstart\tend\nAntibiotics\t4\t6\n")
    (tmp_path / "days_perts.tsv").write_text("name\tstart\tend\nAntibiotics\t28\t42\n")
    return tmp_path


def _fit(d, unit, *extra):
    args = ["fit", str(d / "counts.tsv"), "--metadata", str(d / f"{unit}.tsv"), "--perturbations",
            str(d / f"{unit}_perts.tsv"), "--subject-column", "Subject", "--time-column", "week_num",
            "--min-samples", "2", "--members", "0", "-o", str(d / f"{unit}.npz"), *extra]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return load_model(d / f"{unit}.npz")


def test_times_in_weeks_fit_the_model_that_days_fit(ihmp_shaped):
    by_hand = _fit(ihmp_shaped, "days")
    in_weeks = _fit(ihmp_shaped, "weeks", "--time-unit", "weeks")
    assert in_weeks.taxa == by_hand.taxa
    np.testing.assert_array_equal(in_weeks.growth, by_hand.growth)
    np.testing.assert_array_equal(in_weeks.effects, by_hand.effects)
    np.testing.assert_array_equal(in_weeks.interactions, by_hand.interactions)
    # read as days, the same weeks fit another (wrong) clock: the option is what makes them equal
    as_days = _fit(ihmp_shaped, "weeks")
    assert not np.allclose(as_days.growth, by_hand.growth)


def test_a_time_unit_other_than_days_or_weeks_is_a_usage_error(ihmp_shaped):
    result = CliRunner().invoke(main, ["fit", str(ihmp_shaped / "counts.tsv"), "--metadata",
                                       str(ihmp_shaped / "weeks.tsv"), "--perturbations",
                                       str(ihmp_shaped / "weeks_perts.tsv"), "--time-unit", "months", "-o",
                                       str(ihmp_shaped / "x.npz")])
    assert result.exit_code == 2
    assert "'months' is not one of 'days', 'weeks'" in result.output


def test_subjects_picks_who_is_fitted_and_an_unknown_one_is_a_usage_error(ihmp_shaped):
    # fault: MDSINE2's metadata lists replicate groups (M2-D10, times 0-5 = replicate indices) as
    # subjects, and fit, run as the README showed, fitted them as mice with no way to leave them out
    three = _fit(ihmp_shaped, "weeks", "--time-unit", "weeks", "--subjects", "C3001, C3002,C3003")
    assert sorted({s for s, _, _ in three.starts.values()}) == ["C3001", "C3002", "C3003"]
    every = _fit(ihmp_shaped, "weeks", "--time-unit", "weeks")
    assert not np.array_equal(three.growth, every.growth)
    result = CliRunner().invoke(main, ["fit", str(ihmp_shaped / "counts.tsv"), "--metadata", str(ihmp_shaped / "weeks.tsv"),
                                       "--perturbations", str(ihmp_shaped / "weeks_perts.tsv"), "--subject-column",
                                       "Subject", "--time-column", "week_num", "--subjects", "C3001,M2-D10",
                                       "-o", str(ihmp_shaped / "x.npz")])
    assert result.exit_code == 2
    assert "--subjects: no subject M2-D10" in result.output
    assert "it has C3001, C3002, C3003, C3004" in result.output
