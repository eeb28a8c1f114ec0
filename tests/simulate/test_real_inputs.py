"""Simulating from profiles as other labs have them (docs/tried-on-public-data.md)."""

from __future__ import annotations

import numpy as np
import pytest

from gutbalance.errors import SimulationError
from gutbalance.scores import score
from gutbalance.simulate import Scenario, parse_antibiotic, parse_pathogen, simulate
from tests.helpers import SMALL_COMMUNITY, make_cohort

SALMONELLA = ("k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae|"
              "g__Salmonella|s__Salmonella_enterica")
PILLARS = ["training", "homeostasis", "nutrients", "barrier", "defense"]


def _with_salmonella(share: float):
    community = dict(SMALL_COMMUNITY)
    community["k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|"
              "s__Bacteroides_vulgatus"] -= share
    community[SALMONELLA] = share
    return make_cohort({"DD147": community})


def test_a_trace_of_another_pathogen_does_not_forbid_the_exposure():
    # David et al. 2014's 16S sample DD147 holds 7 reads (0.03 %) called
    # Salmonella.  Before, every C. difficile scenario from it was refused
    # ("the profile already carries salmonella").  Now the exposure takes the
    # model's one pathogen slot and the Salmonella stays with the commensals.
    cohort = _with_salmonella(0.03)
    scenario = Scenario(days=10, antibiotics=[parse_antibiotic("clindamycin:days=0-5")],
                        pathogens=[parse_pathogen("c_difficile:day=5")])
    result = simulate(cohort, scenario)
    assert any("salmonella (0.03% of the bacteria) is kept with the other commensals" in n
               and "exposure to c_difficile" in n for n in result.notes)
    assert result.trajectory["pathogen"].iloc[-1] > result.trajectory["pathogen"].iloc[0]
    day0 = result.pillars.iloc[0]
    expected = score(cohort).iloc[0]
    for pillar in PILLARS:
        assert day0[pillar] == pytest.approx(expected[pillar], abs=1e-9)
    # without an exposure the carried Salmonella keeps the slot, as before
    carried = simulate(cohort, Scenario(days=2))
    assert carried.trajectory["pathogen"].iloc[0] > 0
    assert not any("kept with the other commensals" in n for n in carried.notes)


def test_two_exposures_are_still_refused():
    cohort = _with_salmonella(0.03)
    scenario = Scenario(days=10, pathogens=[parse_pathogen("c_difficile:day=5"), parse_pathogen("salmonella:day=6")])
    with pytest.raises(SimulationError, match="one pathogen slot"):
        simulate(cohort, scenario)
    assert np.isfinite(simulate(cohort, Scenario(days=1)).pillars[PILLARS].to_numpy()).all()
