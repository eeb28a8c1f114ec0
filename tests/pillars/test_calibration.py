"""The shipped calibration and the explanations in points (docs/scoring.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gutbalance.pillars import COMPONENTS, PILLARS, calibration, pillar_scores, weigh
from tests.helpers import make_cohort
from tests.pillars.test_properties import POOL

ROOT = Path(__file__).resolve().parents[2]


def test_calibration_has_its_provenance_and_valid_weights():
    cal = calibration()
    prov = cal["provenance"]
    assert prov["script"] == "scripts/calibrate_pillars.py"
    assert len(prov["git_commit"]) == 40
    assert prov["date"].endswith("Z")
    assert set(prov["studies"]) == {"franzosa2019", "ihmp2019", "qin2012", "lechatelier2013", "karlsson2013",
                                    "zeller2014"}
    assert all(len(h) == 64 for h in prov["data"].values())
    for pillar in PILLARS:
        names = {c.name for c in COMPONENTS if c.pillar == pillar}
        assert set(cal["components"][pillar]) == names
        assert min(cal["components"][pillar].values()) >= 0
        assert sum(cal["components"][pillar].values()) == pytest.approx(1.0)
    assert sum(cal["pillars"].values()) == pytest.approx(1.0)
    # A component left out of the fit for contradicting its literature
    # direction in a study has fitted weight 0 and keeps only its prior share.
    share = cal["literature_share"]
    for pillar, names in cal["excluded"].items():
        prior = {c.name: c.prior for c in COMPONENTS if c.pillar == pillar}
        for n in names:
            assert cal["fitted"]["components"][pillar][n] == 0
            assert cal["components"][pillar][n] == pytest.approx(share * prior[n] / sum(prior.values()))
        assert len(names) < len(cal["components"][pillar])


def test_diversity_is_no_pillar_component():
    """Diversity's direction flipped between studies (and in the held-out
    cohort richness had AUC 0.35): it is reported, not scored."""
    assert not [c.key for c in COMPONENTS if "diversity" in c.name]


def _calibrate_module():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import calibrate_pillars
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    return calibrate_pillars


def test_a_component_reversed_in_one_study_is_excluded():
    """The sign rule of scripts/calibrate_pillars.py: a component whose AUC
    is below 0.5 in any study is excluded; one that holds in all is kept."""
    calibrate_pillars = _calibrate_module()
    rng = np.random.default_rng(0)
    n = 40
    labels = pd.DataFrame({"study": ["a"] * n + ["b"] * n, "healthy": [1, 0] * n})
    good = labels["healthy"] * 0.5 + rng.uniform(0, 0.4, 2 * n)
    flips = np.where(labels["study"] == "a", good, 1 - good)
    cols = {c.key: rng.uniform(0, 1, 2 * n) for c in COMPONENTS}
    cols["training.immunomodulatory"] = good
    cols["training.pathobionts"] = flips
    excluded = calibrate_pillars.contradicted(pd.DataFrame(cols), labels)
    assert excluded["training"] == ["pathobionts"]
    # every component of a pillar contradicted: the pillar keeps them all
    cols["training.immunomodulatory"] = flips
    assert calibrate_pillars.contradicted(pd.DataFrame(cols), labels)["training"] == []


def test_scale_anchors_are_0_and_100():
    """0 = every component at its worst, 100 = every component at its best."""
    cols = [c.key for c in COMPONENTS]
    worst = weigh(pd.DataFrame([np.zeros(len(cols))], columns=cols))
    best = weigh(pd.DataFrame([np.ones(len(cols))], columns=cols))
    assert (worst.to_numpy() == pytest.approx(0.0))
    assert (best.to_numpy() == pytest.approx(100.0))


def _baseline(pillar: str) -> float:
    """Points a pillar has with no taxon at all carrying a penalised trait."""
    cal = calibration()
    if pillar == "immune_support":
        return sum(cal["pillars"][p] * _baseline(p) for p in PILLARS)
    return 100 * sum(cal["components"][pillar][c.name] for c in COMPONENTS if c.pillar == pillar and c.kind == "penalty")


def test_contributions_in_points_add_up_to_the_score():
    healthy = {POOL[k]: v for k, v in {
        "faecalibacterium": 15, "roseburia": 8, "rectale": 10, "bromii": 7, "vulgatus": 15, "uniformis": 10,
        "copri": 15, "alistipes": 8, "bifido": 7, "akkermansia": 3, "ecoli": 1, "bilophila": 1}.items()}
    dysbiotic = {POOL[k]: v for k, v in {
        "ecoli": 40, "klebsiella": 20, "salivarius": 25, "veillonella": 10, "vulgatus": 5}.items()}
    result = pillar_scores(make_cohort({"healthy": healthy, "dysbiotic": dysbiotic}), top=1000)
    for sample in ("healthy", "dysbiotic"):
        for key in ("immune_support", *PILLARS):
            entries = result.contributions[sample][key]
            total = _baseline(key) + sum(e["effect"] for e in entries)
            # effects are written to 1e-6 points: each entry off by half of that at most
            assert total == pytest.approx(result.scores.loc[sample, key], abs=1e-9 + 0.5e-6 * len(entries)), (sample, key)
            # one bar per taxon, each with the trait it acts through
            ids = [e["id"] for e in entries if e["id"]]
            assert len(ids) == len(set(ids))
            assert all(e["trait"] for e in entries)
    defense = result.contributions["dysbiotic"]["defense"]
    assert any(e["effect"] < 0 for e in defense)
    # bars of both signs where a pillar has both (the shared response's two sides)
    homeostasis = result.contributions["healthy"]["homeostasis"]
    assert any(e["effect"] < 0 for e in homeostasis if e["id"])
    assert any(e["effect"] > 0 for e in homeostasis if e["id"])
    ecoli = next(e for e in defense if e["taxon"] == "Escherichia coli")
    assert ecoli["effect"] < -5


@pytest.mark.slow
def test_calibration_script_reproduces_the_shipped_weights(shared_data, tmp_path):
    """One script rebuilds the shipped file from the labelled sets."""
    if not (shared_data / "labelled").is_dir():
        pytest.skip("labelled sets not present")
    calibrate_pillars = _calibrate_module()
    out = tmp_path / "calibration.json"
    calibrate_pillars.main(["--shared", str(shared_data), "-o", str(out), "--no-table"])
    import json

    rebuilt = json.loads(out.read_text())
    shipped = calibration()
    for pillar in PILLARS:
        for name, w in shipped["components"][pillar].items():
            assert rebuilt["components"][pillar][name] == pytest.approx(w, abs=1e-3), (pillar, name)
    for pillar, u in shipped["pillars"].items():
        assert rebuilt["pillars"][pillar] == pytest.approx(u, abs=1e-3)
