"""Audit judgements decided from the papers (issue 12, knowledge-base
corrections; docs/knowledge-base.md, "Audit judgements decided")."""

from __future__ import annotations

from gutbalance.knowledge import load_knowledge, lookup

REICHARDT_2014 = "doi:10.1038/ismej.2014.14"


def test_coprococcus_catus_acrylate_route_is_an_experiment_in_culture():
    # Reichardt 2014 (abstract): the acrylate pathway's operation for lactate
    # utilisation in C. catus was confirmed by stable isotope labelling.
    facts = load_knowledge().facts
    rows = facts[(facts["taxon"] == "Coprococcus catus") & (facts["trait"] == "propionate_producer")
                 & (facts["source"] == REICHARDT_2014)]
    assert rows[["evidence", "host", "qualifier"]].values.tolist() == [["experiment", "in_vitro", "route=acrylate"]]
    assert "no activity measured" not in rows["effect"].iloc[0]
    call = lookup("Coprococcus catus", traits=["propionate_producer"]).set_index("trait").loc["propionate_producer"]
    assert call["value"] == 1.0
    assert call["evidence"] == "experiment"
