"""`gutbalance simulate` end to end, on a real kefir-study profile and on the Stein model."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from click.testing import CliRunner

import gutbalance
from gutbalance.cli import main
from gutbalance.scores import SEPARATOR
from gutbalance.simulate import PILLARS, STATE
from tests.helpers import SMALL_COMMUNITY, metaphlan_text
from tests.indices.test_sample_type import TONGUE


@pytest.fixture
def kefir_profile(shared_data):
    return sorted((shared_data / "profiles" / "kefir_metaphlan3").glob("*.txt"))[0]


def assert_self_contained(html: str) -> None:
    assert "<svg" in html
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html
    assert "url(" not in html


@pytest.mark.shared
def test_real_profile_with_antibiotic_course(kefir_profile, tmp_path):
    out = tmp_path / "sim"
    result = CliRunner().invoke(main, ["simulate", str(kefir_profile), "--antibiotic", "amoxicillin:days=0-5",
                                       "--days", "60", "--draws", "20", "-o", str(out)])
    assert result.exit_code == 0, result.output
    traj = pd.read_csv(out / "trajectory.tsv", sep="\t")
    assert list(traj.columns) == ["time", *STATE]
    assert len(traj) == 61
    pillars = pd.read_csv(out / "pillars.tsv", sep="\t")
    assert list(pillars.columns[:6]) == ["time", *PILLARS]
    assert {f"{p}_p05" for p in PILLARS} <= set(pillars.columns)
    assert ((pillars[PILLARS] >= 0) & (pillars[PILLARS] <= 100)).all().all()
    assert pillars["nutrients"].iloc[5] < pillars["nutrients"].iloc[0]  # the course costs butyrate
    html = (out / "simulation.html").read_text()
    assert_self_contained(html)
    assert "amoxicillin days 0-5" in html
    assert "Five pillars over time" in html


def test_stein_model_from_the_command_line(tmp_path):
    out = tmp_path / "stein"
    result = CliRunner().invoke(main, ["simulate", "--model", "stein2013", "--ic", "4", "--antibiotic",
                                       "clindamycin:days=0-1", "--pathogen", "c_difficile:day=5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    traj = pd.read_csv(out / "trajectory.tsv", sep="\t")
    assert traj["Clostridium_difficile"].iloc[-1] == pytest.approx(2.2858, abs=5e-4)
    assert not (out / "pillars.tsv").exists()
    assert_self_contained((out / "simulation.html").read_text())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--antibiotic", "amoxicillin:days=five"], "days must look like A-B"),
        (["--antibiotic", "amoxicillin:days=0-5:strength=2"], "unknown field"),
        (["--fiber", "lots"], "expected a percentage"),
        (["--probiotic", "yoghurt:days=0-3"], "unknown probiotic"),
        (["--pathogen", "c_difficile:day=500"], "must lie within"),
    ],
)
def test_bad_specs_give_one_line_errors(tmp_path, args, message):
    result = CliRunner().invoke(main, ["simulate", *args, "--draws", "0", "-o", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


GENUS_TABLE = ("SampleID,Bacteroides,Faecalibacterium,Blautia,Escherichia-Shigella,Roseburia,Bifidobacterium\n"
               "A,400,300,150,20,130,40\nB,350,200,250,90,110,5\n")


def test_a_bare_genus_table_starts_at_analyzes_pillars_once_its_rank_is_declared(tmp_path):
    table = tmp_path / "genus.csv"
    table.write_text(GENUS_TABLE, encoding="utf-8")
    run = ["simulate", str(table), "--sample", "B", "--antibiotic", "amoxicillin:days=0-5", "--days", "10",
           "--draws", "0"]
    refused = CliRunner().invoke(main, [*run, "-o", str(tmp_path / "no")])
    assert refused.exit_code != 0
    assert "reference build or simulate" in refused.output  # the refusal names this command's option
    result = CliRunner().invoke(main, [*run, "--feature-rank", "genus", "-o", str(tmp_path / "sim")])
    assert result.exit_code == 0, result.output
    analyzed = CliRunner().invoke(main, ["analyze", str(table), "--feature-rank", "genus", "--reports", "none",
                                         "-o", str(tmp_path / "scores")])
    assert analyzed.exit_code == 0, analyzed.output
    scores = pd.read_csv(tmp_path / "scores" / "scores.tsv", sep="\t", index_col=0)
    day0 = pd.read_csv(tmp_path / "sim" / "pillars.tsv", sep="\t").iloc[0]
    for pillar in PILLARS:
        assert day0[pillar] == pytest.approx(scores.loc["B", pillar], abs=1e-9)


def test_feature_rank_is_for_a_profile_of_the_gut_immune_model(tmp_path):
    result = CliRunner().invoke(main, ["simulate", "--model", "stein2013", "--feature-rank", "genus", "-o", str(tmp_path)])
    assert result.exit_code != 0
    assert "--feature-rank declares the rank of a PROFILE's bare names for the gut-immune model" in result.output


def test_a_profile_that_is_not_stool_is_simulated_with_analyzes_warning(tmp_path):
    # The model is a gut's and its day 0 is the profile scored as analyze
    # scores it: a tongue swab must not start a simulation without a word.
    tongue, stool = tmp_path / "tongue.txt", tmp_path / "stool.txt"
    tongue.write_text(metaphlan_text(TONGUE), encoding="utf-8")
    stool.write_text(metaphlan_text(SMALL_COMMUNITY), encoding="utf-8")
    said = gutbalance.score(gutbalance.read(tongue))["warnings"].iloc[0].split(SEPARATOR)
    assert any("does not look like stool" in warning for warning in said)
    result = CliRunner().invoke(main, ["simulate", str(tongue), "--draws", "0", "--days", "10", "-o", str(tmp_path / "t")])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [f"warning: tongue: {warning}" for warning in said]
    page = (tmp_path / "t" / "simulation.html").read_text(encoding="utf-8")
    assert "Does not look like stool" in page
    result = CliRunner().invoke(main, ["simulate", str(stool), "--draws", "0", "--days", "10", "-o", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    said = gutbalance.score(gutbalance.read(stool))["warnings"].iloc[0].split(SEPARATOR)
    assert result.stderr.splitlines() == [f"warning: stool: {warning}" for warning in said]
    assert "stool" not in result.stderr.replace("warning: stool:", "")
    assert "look like stool" not in (tmp_path / "s" / "simulation.html").read_text(encoding="utf-8")


MERGED_WITH_ONE_BROKEN_SAMPLE = "\n".join([
    "#mpa_v30_CHOCOPhlAn_201901", "clade_name\tNCBI_tax_id\tA\tB", "k__Bacteria\t2\t100.0\t100.0",
    "k__Bacteria|p__Firmicutes\t2|1239\t60.0\t40.0", "k__Bacteria|p__Bacteroidetes\t2|976\t40.0\t60.0",
    "k__Bacteria|p__Firmicutes|c__Clostridia\t2|1239|186801\t60.0\t70.0",  # B's class outgrows its phylum
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia\t2|976|200643\t40.0\t30.0", ""])


@pytest.mark.parametrize(("sample", "warned"), [("A", False), ("B", True)])
def test_a_merged_table_warns_only_about_the_simulated_sample(tmp_path, sample, warned):
    profile = tmp_path / "merged.tsv"
    profile.write_text(MERGED_WITH_ONE_BROKEN_SAMPLE, encoding="utf-8")
    result = CliRunner().invoke(main, ["simulate", str(profile), "--sample", sample, "--days", "5", "-o", str(tmp_path / "sim")])
    assert result.exit_code == 0, result.output
    assert ("sample 'B': clade c__Clostridia (70 %) is above its parent" in result.stderr) is warned


def test_a_negative_seed_is_a_usage_error_not_a_traceback(tmp_path):
    profile = tmp_path / "p.txt"
    profile.write_text(metaphlan_text(SMALL_COMMUNITY))
    result = CliRunner().invoke(main, ["simulate", str(profile), "--days", "5", "--draws", "2", "--seed", "-1",
                                       "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "Invalid value for '--seed': -1 is not in the range x>=0" in result.output


def test_a_pathogen_dose_above_the_whole_gut_is_refused(tmp_path):
    # --pathogen c_difficile:day=3:dose=5 ran, five times the gut's whole load, where a probiotic's is refused
    profile = tmp_path / "p.txt"
    profile.write_text(metaphlan_text(SMALL_COMMUNITY))
    args = ["simulate", str(profile), "--days", "5", "--draws", "0", "-o", str(tmp_path / "out"), "--pathogen"]
    result = CliRunner().invoke(main, [*args, "c_difficile:day=3:dose=5"])
    assert result.exit_code != 0
    assert "pathogen c_difficile: dose must be at most 1 in the gut-immune model" in result.output
    assert CliRunner().invoke(main, [*args, "c_difficile:day=3:dose=1"]).exit_code == 0
