"""What the simulation page says, read as a person or a clinician reads it (an outside check,
2026-11-30): a pillar that rises during an antibiotic course is explained, the key-day tables
hold the pathogen's peak and the end of a probiotic course, the recovery sentence has no
double negative, and --ic is refused where it does nothing."""

from __future__ import annotations

import html as html_lib
import re

import numpy as np
from click.testing import CliRunner

from gutbalance.cli import main
from gutbalance.report.simulation import COURSE_RISE_POINTS, course_rises
from gutbalance.simulate import simulate
from gutbalance.simulate.scenario import AntibioticCourse, PathogenExposure, ProbioticCourse, Scenario
from tests.helpers import SMALL_COMMUNITY, metaphlan_text

# Enterobacteriaceae and streptococci that the training and defense pillars count against,
# beside anaerobes a quinolone hardly touches
ECOLI = ("k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae|"
         "g__Escherichia|s__Escherichia_coli")
PATHOBIONT_RICH = {
    **{clade: 0.65 * share for clade, share in SMALL_COMMUNITY.items()},
    ECOLI: 0.65 * SMALL_COMMUNITY[ECOLI] + 25.0,
    "k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae|"
    "g__Klebsiella|s__Klebsiella_pneumoniae": 10.0,
}


def _text(page: str) -> str:
    return html_lib.unescape(re.sub(r"<[^>]+>", "", page))


def _profile(tmp_path, taxa=PATHOBIONT_RICH):
    path = tmp_path / "p.txt"
    path.write_text(metaphlan_text(taxa), encoding="utf-8")
    return path


def test_a_pillar_that_rises_over_a_course_is_said_not_to_mean_the_drug_helps(tmp_path):
    out = tmp_path / "cip"
    run = CliRunner().invoke(main, ["simulate", str(_profile(tmp_path)), "--antibiotic", "ciprofloxacin:days=0-7",
                                    "--days", "30", "--draws", "0", "-o", str(out)])
    assert run.exit_code == 0, run.output
    text = _text((out / "simulation.html").read_text(encoding="utf-8"))
    assert "A rise during an antibiotic course." in text
    assert "This does not mean the drug helps" in text
    assert re.search(r"defense \d+ → \d+", text)


def test_the_rises_listed_are_the_pillar_tables(tmp_path):
    result = simulate(_profile(tmp_path), Scenario(days=20, antibiotics=[AntibioticCourse("ciprofloxacin", 0, 7)]),
                      draws=0)
    frame = result.pillars.set_index("time")
    (sentence,) = course_rises(result)
    for pillar, before, after in re.findall(r"(\w+) (\d+) → (\d+)", sentence):
        assert abs(frame.at[0.0, pillar] - float(before)) <= 0.5
        assert abs(frame.at[7.0, pillar] - float(after)) <= 0.5
        assert frame.at[7.0, pillar] - frame.at[0.0, pillar] > COURSE_RISE_POINTS


def test_no_course_no_sentence(tmp_path):
    result = simulate(_profile(tmp_path), Scenario(days=10, fibre=0.3), draws=0)
    assert course_rises(result) == []


def test_the_key_days_hold_the_pathogens_peak_and_the_probiotics_last_day(tmp_path):
    scenario = Scenario(days=90, antibiotics=[AntibioticCourse("clindamycin", 0, 7)],
                        probiotics=[ProbioticCourse("bifidobacterium", 10, 24)],
                        pathogens=[PathogenExposure("c_difficile", 8)])
    result = simulate(_profile(tmp_path, SMALL_COMMUNITY), scenario, draws=0)
    t = result.trajectory["time"].to_numpy()
    load = result.trajectory["pathogen"].to_numpy()
    peak = float(t[np.argmax(np.where(t >= 8, load, -np.inf))])
    assert load.max() > 0
    key = result.key_days()
    assert peak in key
    assert 24.0 in key


def test_the_recovery_sentence_counts_draws_without_a_double_negative(tmp_path):
    out = tmp_path / "amox"
    run = CliRunner().invoke(main, ["simulate", str(_profile(tmp_path, SMALL_COMMUNITY)), "--antibiotic",
                                    "amoxicillin:days=0-5", "--days", "40", "--draws", "5", "-o", str(out)])
    assert run.exit_code == 0, run.output
    text = _text((out / "simulation.html").read_text(encoding="utf-8"))
    assert "did not recover" not in text
    assert re.search(r"(All 5 parameter draws recovered|\d of the 5 parameter draws \(\d+%\) had not recovered) by day 40",
                     text)


def test_ic_is_refused_for_a_model_it_does_not_choose(tmp_path):
    run = CliRunner().invoke(main, ["simulate", str(_profile(tmp_path, SMALL_COMMUNITY)), "--ic", "3", "--draws", "0",
                                    "-o", str(tmp_path / "x")])
    assert run.exit_code == 2
    assert "--ic chooses the stein2013 model's initial condition" in run.output
