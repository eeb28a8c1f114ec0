"""Issue 12's prebiotic check on real in vitro fermentations: fibre feeds the
community, so every fibre group's mean ``nutrients`` exceeds the no-substrate
control's (NS24), and the Bifidobacterium rise earns nutrients credit through
cross-feeding (docs/scoring.md)."""

from __future__ import annotations

import re
import warnings

import pytest

import gutbalance
from gutbalance.pillars import pillar_scores

FIBRES = ("FS24", "IN24", "GS24", "XS24", "FL24")


@pytest.fixture(scope="module")
def fermentations(shared_data):
    folder = shared_data / "profiles" / "prebiotics_metaphlan3"
    if not folder.is_dir():
        pytest.skip(f"{folder} is not present")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
        cohort = gutbalance.read(folder)
    result = pillar_scores(cohort, top=1000)
    groups = [re.match(r"(NS0|NS24|FS24|IN24|GS24|XS24|FL24)_", s).group(1) for s in cohort.sample_names]
    return result, groups


def test_every_fibre_beats_the_no_substrate_control_on_nutrients(fermentations):
    result, groups = fermentations
    means = result.scores["nutrients"].groupby(groups).mean()
    for fibre in FIBRES:
        assert means[fibre] > means["NS24"], (fibre, means.round(1).to_dict())


def test_the_bifidobacterium_rise_earns_nutrients_credit(fermentations):
    result, groups = fermentations
    fs24 = [s for s, g in zip(result.scores.index, groups, strict=True) if g == "FS24"]
    for sample in fs24:
        bifido = [e for e in result.contributions[sample]["nutrients"] if e["taxon"].startswith("Bifidobacterium")]
        assert bifido, sample
        assert sum(e["effect"] for e in bifido) > 1.0, sample
        assert any("feed" in p["trait"] for e in bifido for p in e["parts"])
