"""GMHI and GMWI2 inside homeostasis: a sample that names no species (a 16S
genus table) is outside what either model describes, so their components are
missing for it and homeostasis is the weighted mean of its other components,
not a made-up "neutral" half of their weight (docs/scoring.md)."""

import numpy as np
import pytest

from gutbalance.pillars import COMPONENTS, INDEX_FLOOR, calibration, pillar_scores, shallow_profile_warnings
from gutbalance.scores import score
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


def _with_rare(share: float) -> dict[str, float]:
    """SPECIES plus Bifidobacterium adolescentis (one of GMHI's health
    markers) at ``share`` of the community."""
    rare = POOL["bifido"]
    total = sum(SPECIES.values())
    return {**{k: v * (1 - share) for k, v in SPECIES.items()}, rare: total * share}


def test_the_indices_count_markers_down_to_the_index_floor_only():
    """A marker species between the index floor (0.03 %) and 0.1 % counts in
    the GMHI component; one under the floor does not."""
    cohort = make_cohort({"none": _with_rare(0.0), "above": _with_rare(2 * INDEX_FLOOR),
                          "under": _with_rare(INDEX_FLOOR / 3)})
    comps = pillar_scores(cohort, top=1000).components
    gmhi = comps["homeostasis.gmhi"]
    assert gmhi["above"] > gmhi["none"] + 0.1
    assert gmhi["under"] == pytest.approx(gmhi["none"], abs=1e-9)


def test_a_profile_with_nothing_under_the_floor_is_warned_about():
    cohort = make_cohort({"shallow": SPECIES, "deep": _with_rare(INDEX_FLOOR / 3), "genera": GENERA})
    warned = dict(zip(cohort.sample_names, shallow_profile_warnings(cohort), strict=True))
    assert "no species under 0.03% is reported" in warned["shallow"]
    assert warned["deep"] == ""
    # a genus table is outside what the indices describe: nothing to warn about
    assert warned["genera"] == ""
    table = score(cohort)
    assert "homeostasis may read higher or lower" in table.loc["shallow", "warnings"]
    assert "homeostasis may read higher or lower" not in table.loc["deep", "warnings"]


def test_a_rare_row_above_species_does_not_hide_a_shallow_profile():
    """The markers the indices count are species; a profiler that places
    what it cannot resolve at a higher rank (SingleM at 0.5 Gbp: rarest
    species 0.25 %, a domain's own share under 0.03 %) reports rare
    higher-rank rows however shallow the run, so only species decide."""
    rare_genus = POOL["bifido"].rsplit("|s__", 1)[0]
    cohort = make_cohort({"shallow": {**SPECIES, rare_genus: INDEX_FLOOR / 3 * 100},
                          "deep": {**_with_rare(INDEX_FLOOR / 3), rare_genus: INDEX_FLOOR / 3 * 100}})
    warned = dict(zip(cohort.sample_names, shallow_profile_warnings(cohort), strict=True))
    assert "no species under 0.03% is reported" in warned["shallow"]
    assert warned["deep"] == ""


def test_metaphlan4_strain_rows_carry_their_species_rare_or_not():
    """MetaPhlAn 4 writes each species' whole share again in its t__SGB row,
    so the species row keeps no own abundance: a deep MetaPhlAn 4 profile
    was warned as if it reported no species under the floor (58 of 113 real
    Ladakis 2024 profiles, each with 14-89 such species)."""
    deep = _with_rare(INDEX_FLOOR / 3)
    with_sgbs = {**deep, **{f"{k}|t__SGB{i}": v for i, (k, v) in enumerate(deep.items())}}
    shallow = {**SPECIES, **{f"{k}|t__SGB{i}": v for i, (k, v) in enumerate(SPECIES.items())}}
    cohort = make_cohort({"deep": with_sgbs, "shallow": shallow})
    warned = dict(zip(cohort.sample_names, shallow_profile_warnings(cohort), strict=True))
    assert warned["deep"] == ""
    assert "no species under 0.03% is reported" in warned["shallow"]
