"""GMHI and GMWI2 inside homeostasis: a sample that names no species (a 16S
genus table) is outside what either model describes, so their components are
missing for it and homeostasis is the weighted mean of its other components,
not a made-up "neutral" half of their weight (docs/scoring.md)."""

import numpy as np
import pytest

from gutbalance.pillars import COMPONENTS, calibration, pillar_scores
from tests.helpers import make_cohort
from tests.pillars.test_properties import POOL

TAXA = ["vulgatus", "uniformis", "alistipes", "faecalibacterium", "ecoli"]
SPECIES = dict(zip((POOL[t] for t in TAXA), [35.0, 25.0, 15.0, 20.0, 5.0], strict=True))
#: the same community as a genus table: every lineage cut above its species
GENERA: dict[str, float] = {}
for lineage, value in SPECIES.items():
    genus = lineage.rsplit("|s__", 1)[0]
    GENERA[genus] = GENERA.get(genus, 0.0) + value
INDICES = ["homeostasis.gmhi", "homeostasis.gmwi2"]


@pytest.fixture(scope="module")
def result():
    return pillar_scores(make_cohort({"species": SPECIES, "genera": GENERA}), top=1000)


def test_the_indices_are_missing_only_where_no_species_is_named(result):
    comps = result.components
    assert comps.loc["genera", INDICES].isna().all()
    assert comps.loc["species", INDICES].notna().all()


def test_their_weight_goes_to_the_other_components(result):
    weights = calibration()["components"]["homeostasis"]
    comps = result.components.loc["genera"]
    present = {n: w for n, w in weights.items() if w and not np.isnan(comps[f"homeostasis.{n}"])}
    assert set(weights) - set(present) >= {"gmhi", "gmwi2"}
    expected = 100 * sum(w * comps[f"homeostasis.{n}"] for n, w in present.items()) / sum(present.values())
    assert result.scores.loc["genera", "homeostasis"] == pytest.approx(expected, abs=1e-9)
    # every other pillar is untouched by the indices
    for pillar in ("training", "nutrients", "barrier", "defense"):
        w = calibration()["components"][pillar]
        value = 100 * sum(v * result.components.loc["genera", f"{pillar}.{n}"] for n, v in w.items() if v)
        assert result.scores.loc["genera", pillar] == pytest.approx(value, abs=1e-9)


@pytest.mark.parametrize("sample", ["species", "genera"])
def test_the_bars_name_no_missing_index_and_add_up_to_the_score(result, sample):
    weights = calibration()["components"]["homeostasis"]
    comps = result.components.loc[sample]
    entries = result.contributions[sample]["homeostasis"]
    named = {p["component"] for e in entries for p in e["parts"]}
    if sample == "genera":
        assert not named & set(INDICES)
    else:
        assert set(INDICES) <= named
    present = sum(w for n, w in weights.items() if w and not np.isnan(comps[f"homeostasis.{n}"]))
    # penalties are lost from full marks: the baseline a community without harmful taxa would have
    baseline = 100 * sum(weights[c.name] for c in COMPONENTS
                         if c.pillar == "homeostasis" and c.kind == "penalty") / present
    total = sum(e["effect"] for e in entries) + baseline
    assert total == pytest.approx(result.scores.loc[sample, "homeostasis"], abs=1e-4)
