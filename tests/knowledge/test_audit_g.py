"""Audit G of the knowledge base (2026-11-29, an outside reviewer; the items
left open in the thirtieth and thirty-first sessions' notes). Each test pins a
correction against its source and fails on the tables and code before it."""

from __future__ import annotations

import pandas as pd
import pytest

from gutbalance.knowledge import TRAITS, trait_calls, trait_matrix
from gutbalance.pillars import pillar_scores
from gutbalance.pillars.inputs import _composite_table, species_probiotic_calls
from gutbalance.report.render import lineages_of_ids
from gutbalance.report.trait_words import own_traits
from tests.helpers import make_cohort
from tests.knowledge.test_audit_2026_11_sixth import curated_facts
from tests.pillars.test_properties import POOL

KALLIOMAKI_2001 = "doi:10.1016/S0140-6736(00)04259-8"
KONIECZNA_2012 = "doi:10.4161/gmic.20358"
HENKE_2019 = "doi:10.1073/pnas.1904099116"
BIFIDO = "k__Bacteria|p__Actinobacteria|c__Actinobacteria|o__Bifidobacteriales|f__Bifidobacteriaceae|g__Bifidobacterium"
LACTO = "k__Bacteria|p__Firmicutes|c__Bacilli|o__Lactobacillales|f__Lactobacillaceae|g__Lactobacillus"


def row(taxon: str, trait: str) -> pd.Series:
    (fact,) = curated_facts()[(taxon, trait)]
    return fact


def _composite(*ids: str) -> pd.DataFrame:
    """The composite traits as the scores build them (genus probiotic rows left out of training)."""
    matrix = trait_matrix(lineages_of_ids(list(ids)), list(TRAITS))
    return _composite_table(matrix.values, species_probiotic_calls(matrix.weighted(), matrix.resolved_rank))


def test_the_glucorhamnan_row_is_cultured_cells_evidence_and_names_the_strain_dependence():
    fact = row("Mediterraneibacter gnavus", "pathobiont")
    assert fact["source"] == HENKE_2019
    assert (fact["host"], fact["strain_specific"]) == ("in_vitro", "yes")
    assert "33972416" in fact["note"]  # Henke 2021: encapsulated isolates tolerogenic, unencapsulated inflammatory
    calls = trait_calls(lineages_of_ids(["s__Ruminococcus gnavus"]), ["pathobiont"])
    assert calls["s__Ruminococcus gnavus"]["pathobiont"].host == "in_vitro"


def test_lgg_has_its_own_row_read_under_metaphlans_old_name():
    fact = row("Lacticaseibacillus rhamnosus", "probiotic")
    assert fact["source"] == KALLIOMAKI_2001
    assert (fact["value"], fact["evidence"], fact["host"], fact["strain_specific"]) == (1.0, "experiment", "human", "yes")
    assert "0.51" in fact["effect"]
    calls = trait_calls(lineages_of_ids(["s__Lactobacillus rhamnosus"]), ["probiotic"])
    assert calls["s__Lactobacillus rhamnosus"]["probiotic"].rank == "species"
    assert calls["s__Lactobacillus rhamnosus"]["probiotic"].sources == (KALLIOMAKI_2001,)


def test_bifidobacterium_longum_has_its_own_row_from_people():
    fact = row("Bifidobacterium longum", "beneficial_commensal")
    assert fact["source"] == KONIECZNA_2012
    assert (fact["value"], fact["host"], fact["strain_specific"]) == (1.0, "human", "yes")


def test_a_genus_probiotic_row_is_no_immune_training_claim_for_its_species():
    composite = _composite("s__Bifidobacterium adolescentis", "s__Lactobacillus rhamnosus", "s__Bifidobacterium longum",
                           "s__Lactobacillus ruminis", "g__Bifidobacterium")
    training = composite["immunomodulatory"]
    # the genus rows no longer credit B. adolescentis, L. ruminis or a genus-level feature (0.224 before)
    assert training["s__Bifidobacterium adolescentis"] == 0.0
    assert training["s__Lactobacillus ruminis"] == 0.0
    assert training["g__Bifidobacterium"] == 0.0
    # the species rows do, at their evidence weight: experiment x human x strain-specific (half)
    assert training["s__Lactobacillus rhamnosus"] == pytest.approx(0.5)
    assert training["s__Bifidobacterium longum"] == pytest.approx(0.5)


def test_the_scores_read_the_genus_probiotic_rows_as_no_training_credit():
    base = {POOL["vulgatus"]: 40.0, POOL["uniformis"]: 30.0, POOL["alistipes"]: 10.0}
    profiles = {"adolescentis": {**base, f"{BIFIDO}|s__Bifidobacterium_adolescentis": 20.0},
                "rhamnosus": {**base, f"{LACTO}|s__Lactobacillus_rhamnosus": 20.0}}
    result = pillar_scores(make_cohort(profiles), contributions=False)
    assert result.shares.loc["adolescentis", "immunomodulatory"] == 0.0
    assert result.shares.loc["rhamnosus", "immunomodulatory"] == pytest.approx(0.2 * 0.5)
    # the simulator's guild membership still reads the genus rows
    assert trait_matrix(lineages_of_ids(["s__Bifidobacterium adolescentis"]), ["probiotic"]).values.iloc[0, 0] == 1.0


def test_a_genus_probiotic_row_lends_training_no_confidence_and_no_words():
    # an outside audit of the change: training_confidence still counted the genus rows' confidence (0.112
    # here), and the report named "probiotic (from its genus)" as a reason for B. bifidum's training credit
    base = {POOL["vulgatus"]: 40.0, POOL["uniformis"]: 30.0, POOL["alistipes"]: 10.0}
    profiles = {"adolescentis": {**base, f"{BIFIDO}|s__Bifidobacterium_adolescentis": 20.0},
                "rhamnosus": {**base, f"{LACTO}|s__Lactobacillus_rhamnosus": 20.0}}
    scores = pillar_scores(make_cohort(profiles), contributions=False).scores
    assert scores.loc["adolescentis", "training_confidence"] == 0.0
    assert scores.loc["rhamnosus", "training_confidence"] > 0.1  # LGG's own row lends it
    calls = trait_calls(lineages_of_ids(["s__Bifidobacterium bifidum", "s__Lactobacillus rhamnosus"]), list(TRAITS))
    said = own_traits("s__Bifidobacterium bifidum", "training.immunomodulatory", 4.3, calls)
    assert "probiotic" not in said
    assert "regulatory T cells" in said
    assert own_traits("s__Lactobacillus rhamnosus", "training.immunomodulatory", 1.0, calls).startswith("probiotic")
