"""A person's simulation depends on that person's profile alone, never on the
other samples of the table it was read from (an outside check: an
*Akkermansia* course read 4 points more nutrients on day 9 for a MetaPhlAn 4
sample simulated alone than inside its merged table)."""

from __future__ import annotations

import numpy as np

from gutbalance.simulate import Scenario, parse_probiotic, simulate
from tests.helpers import SMALL_COMMUNITY, make_cohort

# Akkermansia as MetaPhlAn 4 writes it, with its SGBs as strain rows.
AKKERMANSIA = ("k__Bacteria|p__Verrucomicrobia|c__Verrucomicrobiae|o__Verrucomicrobiales|f__Akkermansiaceae"
               "|g__Akkermansia|s__Akkermansia_muciniphila")


def test_a_persons_simulation_ignores_the_other_samples_of_the_table():
    lacking = {k: v / 0.95 for k, v in SMALL_COMMUNITY.items() if "Akkermansia" not in k}
    # the other sample's SGBs of the species: the person's simulated Akkermansia filled them too
    other = {k: v * 0.95 for k, v in lacking.items()} | {AKKERMANSIA: 5.0, f"{AKKERMANSIA}|t__SGB9226": 3.0,
                                                        f"{AKKERMANSIA}|t__SGB9228": 2.0}
    scenario = Scenario(days=12.0, probiotics=[parse_probiotic("akkermansia:dose=0.5:days=1-10")])
    alone = simulate(make_cohort({"p": lacking}), scenario, sample="p")
    together = simulate(make_cohort({"p": lacking, "q": other}), scenario, sample="p")
    np.testing.assert_array_equal(together.trajectory.to_numpy(), alone.trajectory.to_numpy())
    # equal but for the order sums are taken in (the taxa of one table or of two)
    np.testing.assert_allclose(together.pillars.to_numpy(), alone.pillars.to_numpy(), rtol=1e-12, atol=0)
