"""Butyrate cross-feeders (acetate and lactate makers such as bifidobacteria)
count towards the butyrate supply only where there are butyrate producers to
feed (issue 12 item 2; Belenguer 2006, Rivière 2016, Louis & Flint 2017):
the gate P / (P + floor) of :func:`gutbalance.pillars.crossfeeding_gate`,
P the producers' share over the taxa above the floor."""

import numpy as np
import pytest

from gutbalance.pillars import DIVERSITY_FLOOR, calibration, crossfeeding_gate, pillar_scores
from tests.helpers import make_cohort
from tests.pillars.test_properties import POOL

KEY = "nutrients.butyrate"
BIFIDO = POOL["bifido"]
PRODUCER = POOL["faecalibacterium"]


def _result(profiles: dict[str, dict[str, float]], **kw):
    return pillar_scores(make_cohort(profiles), **kw)


def test_the_gate_is_none_without_producers_half_at_the_floor_and_near_full_with_many():
    gate = crossfeeding_gate(np.array([0.0, DIVERSITY_FLOOR, 0.01, 0.2]))
    assert list(gate) == pytest.approx([0.0, 0.5, 0.01 / 0.011, 0.2 / 0.201])


def test_bifidobacteria_without_producers_earn_no_butyrate_supply():
    """After a course that clears the producers and spares the bifidobacteria
    (simulated metronidazole), the cross-feeders have nobody to feed; the SCFA
    term keeps their own acetate."""
    emptied = {BIFIDO: 85.0, POOL["vulgatus"]: 15.0}
    result = _result({"emptied": emptied}, contributions=False)
    assert result.shares.loc["emptied", "butyrate_producer"] == 0.0
    assert result.shares.loc["emptied", "butyrate_supply"] == 0.0
    assert result.components.loc["emptied", KEY] == 0.0
    assert result.components.loc["emptied", "nutrients.scfa"] > 0.5


def test_producers_rarer_than_the_floor_open_no_gate_so_depth_does_not_decide():
    """A producer a shallower run would miss (under 0.1 %) counts as a
    producer but lets no feeder count, so removing it moves the supply by its
    own share only."""
    rare = {PRODUCER: 0.05, BIFIDO: 60.0, POOL["vulgatus"]: 39.95}
    missed = {BIFIDO: 60.0, POOL["vulgatus"]: 40.0}
    result = _result({"rare": rare, "missed": missed}, contributions=False)
    shares = result.shares
    assert 0 < shares.loc["rare", "butyrate_producer"] < DIVERSITY_FLOOR
    assert shares.loc["rare", "butyrate_supply"] == pytest.approx(shares.loc["rare", "butyrate_producer"])
    assert shares.loc["missed", "butyrate_supply"] == 0.0
    assert result.components.loc["rare", KEY] - result.components.loc["missed", KEY] < 0.01


def test_a_bloom_of_feeders_after_the_producers_are_gone_does_not_raise_the_butyrate_term():
    before = {PRODUCER: 2.0, BIFIDO: 14.0, POOL["vulgatus"]: 84.0}
    after = {PRODUCER: 0.001, BIFIDO: 85.0, POOL["vulgatus"]: 14.999}
    comps = _result({"before": before, "after": after}, contributions=False).components
    assert comps.loc["after", KEY] < comps.loc["before", KEY]


def test_feeders_count_by_their_samples_gate_and_the_bars_add_up():
    """Supply = P + gate(P) C; each feeder's bar is gated by its own sample's
    producers, so the bars of the component add up to its points; a sample's
    supply does not depend on the other samples of the batch."""
    profiles = {
        "few": {PRODUCER: 0.2, BIFIDO: 30.0, POOL["vulgatus"]: 69.8},
        "many": {PRODUCER: 10.0, BIFIDO: 30.0, POOL["vulgatus"]: 60.0},
    }
    result = _result(profiles, top=1000)
    shares = result.shares
    for sample in profiles:
        producers = shares.loc[sample, "butyrate_producer"]
        alone = _result({sample: profiles[sample]}, contributions=False)
        # the feeders' part is the whole supply less the producers'
        feeders = (alone.shares.loc[sample, "butyrate_supply"] - producers) / crossfeeding_gate(np.array([producers]))[0]
        assert feeders > 0.05
        assert shares.loc[sample, "butyrate_supply"] == alone.shares.loc[sample, "butyrate_supply"]
        w = calibration()["components"]["nutrients"]["butyrate"]
        parts = {e["taxon"]: p["effect"] for e in result.contributions[sample]["nutrients"]
                 for p in e["parts"] if p["component"] == KEY}
        assert sum(parts.values()) == pytest.approx(100 * w * result.components.loc[sample, KEY])
        assert parts["Bifidobacterium adolescentis"] > 0
    # with producers at 0.2 % (evidence-weighted share below that) the feeders keep
    # under 70 % of their credit; at 10 % nearly all
    gate_few = crossfeeding_gate(np.array([shares.loc["few", "butyrate_producer"]]))[0]
    gate_many = crossfeeding_gate(np.array([shares.loc["many", "butyrate_producer"]]))[0]
    assert gate_few < 0.7 < 0.98 < gate_many
