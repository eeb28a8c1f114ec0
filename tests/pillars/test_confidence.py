"""A pillar's confidence covers every knowledge-base trait its score reads,
wherever the knowledge base files the trait.

Fault reproduced: a kefir sample dominated by *Acinetobacter baumannii*
(known to training only through ``enteric_pathogen``, a defense trait, that
the pathobiont penalty reads) lost 75 points of training with a
``training_confidence`` of 0.0, because confidence took only the traits
filed under the pillar.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import gutbalance.pillars.inputs as pillar_inputs
from gutbalance.knowledge import trait_matrix
from gutbalance.knowledge.schema import PILLARS, TRAITS
from gutbalance.pillars import COMPONENTS, component_traits, component_values, pillar_scores, pillar_traits
from tests.helpers import make_cohort
from tests.pillars.test_nosocomial import ESKAPE
from tests.pillars.test_properties import POOL, _with

BAUMANNII = ESKAPE["Acinetobacter baumannii"]


def _call_confidence(lineage: str, trait: str) -> float:
    """The confidence of one taxon's call for one trait, from the lookup itself."""
    cohort = make_cohort({"x": {lineage: 100.0}})
    taxa = cohort.taxa[cohort.taxa["rank"] == "species"]
    return float(trait_matrix(taxa, [trait]).confidence.iloc[0, 0])


def test_a_taxon_known_to_training_only_as_a_pathogen_counts_in_its_confidence():
    scores = pillar_scores(make_cohort({"bloom": {BAUMANNII: 97.0, POOL["uniformis"]: 3.0},
                                        "pure": {BAUMANNII: 100.0}}), contributions=False).scores
    # the penalty the reviewer saw: far below full marks ...
    assert scores.loc["pure", "training"] < 50
    # ... and the knowledge behind it is counted, not reported as none
    expected = _call_confidence(BAUMANNII, "enteric_pathogen")
    assert expected > 0
    assert scores.loc["pure", "training_confidence"] == pytest.approx(expected)
    assert scores.loc["bloom", "training_confidence"] >= 0.97 * expected


def test_the_derivation_names_the_cross_pillar_traits_the_formulas_read():
    # written from docs/scoring.md, independently of the derivation
    reads = component_traits()
    assert {"pathobiont", "enteric_pathogen"} <= reads["training.pathobionts"]
    assert {"butyrate_producer", "pathobiont", "enteric_pathogen"} <= reads["barrier.butyrate"]
    assert {"obligate_anaerobe", "pathobiont", "enteric_pathogen"} <= reads["defense.obligate_anaerobes"]
    assert {"vitamin_b12_synthesis", "pathobiont"} <= reads["nutrients.vitamins"]
    assert {"aerobe", "facultative_anaerobe"} == reads["barrier.facultative"]
    assert {"butyrate_producer", "shared_disease_response"} <= reads["homeostasis.shared_response"]
    for name in ("reference_similarity", "gmhi", "gmwi2"):
        assert reads[f"homeostasis.{name}"] == frozenset()


def _perturbed(monkeypatch, *, values_of: str | None = None, confidence_only: str | None = None):
    """Make the pillars' trait lookup change one trait's values (to random
    ones), or give every call confidence 0 except one trait's (1)."""
    rng = np.random.default_rng(1)

    def lookup(taxa, traits=None, **kwargs):
        matrix = trait_matrix(taxa, traits, **kwargs)  # cached: copy before changing
        values, conf, weight = matrix.values.copy(), matrix.confidence.copy(), matrix.weight.copy()
        if values_of is not None:
            values[values_of] = rng.uniform(0.0, 1.0, len(values))
            weight[values_of] = 1.0
        if confidence_only is not None:
            conf.loc[:, :] = 0.0
            conf[confidence_only] = 1.0
        return replace(matrix, values=values, confidence=conf, weight=weight)

    monkeypatch.setattr(pillar_inputs, "trait_matrix", lookup)


COMMUNITY = {"mixed": {lineage: 100.0 / len(POOL) for lineage in POOL.values()},
             "bloom": _with({POOL["faecalibacterium"]: 50.0, POOL["vulgatus"]: 50.0}, BAUMANNII, 0.6)}


@pytest.mark.parametrize("trait", sorted(TRAITS))
def test_a_component_does_not_move_with_a_trait_it_is_not_said_to_read(monkeypatch, trait):
    # If a formula read a trait the derivation missed, randomising that trait
    # would move the component: the derivation would leave it out of confidence.
    cohort = make_cohort(COMMUNITY)
    before = component_values(cohort, dysbiosis=np.zeros(len(COMMUNITY)))
    _perturbed(monkeypatch, values_of=trait)
    after = component_values(cohort, dysbiosis=np.zeros(len(COMMUNITY)))
    reads = component_traits()
    for c in COMPONENTS:
        if trait not in reads[c.key]:
            np.testing.assert_allclose(after[c.key], before[c.key], rtol=0, atol=1e-12, err_msg=f"{c.key} {trait}")


def test_every_trait_a_component_reads_is_counted_in_its_pillars_confidence(monkeypatch):
    # one scoring per trait serves all five pillars (one per pillar and trait
    # cost a minute of CI)
    cohort = make_cohort({"mixed": COMMUNITY["mixed"]})
    read = {pillar: set().union(*(component_traits()[c.key] for c in COMPONENTS if c.pillar == pillar)) for pillar in PILLARS}
    assert read == {pillar: set(traits) for pillar, traits in pillar_traits().items()}
    # a genus probiotic row feeds no score and lends no confidence (audit G): B. adolescentis's share
    own, taxa = pillar_inputs._own_abundance(cohort)
    probiotic_rank = trait_matrix(taxa, ["probiotic"]).resolved_rank["probiotic"].to_numpy()
    from_genus = (probiotic_rank != "") & ~np.isin(probiotic_rank, pillar_inputs.PROBIOTIC_IMMUNE_RANKS)
    genus_share = float(own.toarray()[0] @ from_genus / own.toarray()[0].sum())
    assert genus_share > 0  # the test's community holds such a taxon
    for trait in sorted(TRAITS):
        with monkeypatch.context() as m:
            _perturbed(m, confidence_only=trait)
            scores = pillar_scores(cohort, contributions=False).scores
        for pillar in PILLARS:
            expected = (1.0 - (genus_share if trait == "probiotic" else 0.0)) if trait in read[pillar] else 0.0
            assert scores.loc["mixed", f"{pillar}_confidence"] == pytest.approx(expected), (pillar, trait)


def test_a_pathobiont_call_of_1_with_a_strain_dependent_caveat_earns_no_credit():
    # E. coli is pathobiont = 1 (caveat "strain-dependent"): the caveat does not
    # lower the call, so it is wholly harmful; A. baumannii is enteric_pathogen
    # = 0.5 (an opportunist): half harmful, and keeps half its credit.
    result = pillar_scores(make_cohort({"ecoli": {ESKAPE["Escherichia coli"]: 100.0},
                                        "baumannii": {BAUMANNII: 100.0}}), contributions=False)
    assert result.shares.loc["ecoli", "harmless"] == 0.0
    assert result.shares.loc["ecoli", "scfa_producer"] == 0.0
    assert result.scores.loc["ecoli", "nutrients"] == 0.0
    assert result.shares.loc["baumannii", "harmless"] == pytest.approx(0.5)
