"""The eighth audit of the knowledge base (2026-11-29, an outside reviewer,
``scripts/audit_sample.py --seed 30 -n 25``); see docs/knowledge-base.md,
"Audits of the curated rows" (the eighth). Each test pins a correction against the cited source and
fails on the tables before it."""

from __future__ import annotations

import pandas as pd

from gutbalance.knowledge import TRAITS, trait_calls, trait_matrix
from gutbalance.pillars.inputs import _composite_table
from gutbalance.report.render import lineages_of_ids
from tests.knowledge.test_audit_2026_11_sixth import curated_facts

DARFEUILLE_MICHAUD_2004 = "doi:10.1053/j.gastro.2004.04.061"
COPRI_CULTURE_2021 = "doi:10.1002/mbo3.1213"
RIGOTTIER_GOIS_2013 = "doi:10.1038/ismej.2013.80"


def row(taxon: str, trait: str) -> pd.Series:
    (fact,) = curated_facts()[(taxon, trait)]
    return fact


def test_escherichia_coli_as_a_pathobiont_cites_the_paper_that_found_its_invasive_strains_in_crohn_lesions():
    fact = row("Escherichia coli", "pathobiont")
    assert fact["source"] == DARFEUILLE_MICHAUD_2004
    assert (fact["value"], fact["evidence"], fact["host"], fact["strain_specific"]) == (1.0, "experiment", "mixed", "yes")
    assert "21.7 %" in fact["effect"]
    # the perspective on the oxygen hypothesis still cites the Enterobacterales bloom, not this
    assert RIGOTTIER_GOIS_2013 in {f["source"] for facts in curated_facts().values() for f in facts}


def _composite(*ids: str) -> pd.DataFrame:
    taxa = lineages_of_ids(list(ids))
    matrix = trait_matrix(taxa, list(TRAITS))
    return _composite_table(matrix.values, matrix.weighted())


def test_segatella_copri_is_no_propionate_producer_though_its_genus_row_says_so():
    fact = row("Segatella copri", "propionate_producer")
    assert fact["source"] == COPRI_CULTURE_2021
    assert (fact["value"], fact["host"], fact["strain_specific"]) == (0.0, "in_vitro", "yes")
    calls = trait_calls(lineages_of_ids(["s__Segatella copri"]), ["propionate_producer"])
    assert calls["s__Segatella copri"]["propionate_producer"].rank == "species"
    composite = _composite("s__Segatella copri", "s__Segatella stercorea")
    # the other Segatella keep the genus row; S. copri no longer earns SCFA credit for propionate (0.90 before)
    assert composite.loc["s__Segatella copri", "scfa_producer"] == 0.0
    assert composite.loc["s__Segatella stercorea", "scfa_producer"] > 0.5


def test_clostridium_perfringens_stays_a_pathogen_that_earns_no_butyrate_credit():
    """The reviewer's 0.5 was tried and not adopted: a harmful taxon's butyrate
    is no credit (issue 12), and at 0.5 a Franzosa IBD sample with 17 %
    C. perfringens rose from 1 to 48 nutrients points."""
    fact = row("Clostridium perfringens", "enteric_pathogen")
    assert (fact["value"], fact["strain_specific"]) == (1.0, "no")
    assert "kept at 1 in the eighth audit" in fact["note"]
    composite = _composite("s__Clostridium perfringens")
    assert composite.loc["s__Clostridium perfringens", "harmless"] == 0.0
    # every credit it could earn: its butyrate supply and the health side of the shared response too
    # (decided on the weighted calls, these were a fifth: an outside review)
    for name in ("s__Clostridium perfringens", "s__Clostridioides difficile"):
        shares = _composite(name).loc[name]
        assert (shares["butyrate_producer"], shares["butyrate_supply"], shares["health_response"],
                shares["scfa_producer"]) == (0.0, 0.0, 0.0, 0.0), name
        assert shares["disease_response"] > 0


def test_nissle_1917_says_it_makes_colibactin():
    fact = row("Escherichia coli Nissle 1917", "pathobiont")
    assert fact["value"] == 0.0
    assert "colibactin" in fact["note"]
    assert "doi:10.1371/journal.ppat.1008029" in fact["note"]
