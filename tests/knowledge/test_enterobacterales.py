"""The Enterobacteriaceae of the bloom literature is the family before Adeolu et al. 2016
(doi:10.1099/ijsem.0.001485), today's order Enterobacterales: its former members now in
Morganellaceae, Yersiniaceae, Hafniaceae, Erwiniaceae or Pectobacteriaceae get its facts."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from gutbalance.cli import main
from gutbalance.knowledge import load_knowledge, lookup
from gutbalance.knowledge.lookup import species_group_namesake

ORDER = "k__Bacteria|p__Pseudomonadota|c__Gammaproteobacteria|o__Enterobacterales"
MORGANELLA = f"{ORDER}|f__Morganellaceae|g__Morganella|s__Morganella_morganii"
SERRATIA = f"{ORDER}|f__Yersiniaceae|g__Serratia|s__Serratia_marcescens"
HAFNIA = f"{ORDER}|f__Hafniaceae|g__Hafnia|s__Hafnia_alvei"
PECTOBACTERIUM = f"{ORDER}|f__Pectobacteriaceae|g__Pectobacterium|s__Pectobacterium_carotovorum"
KLEBSIELLA = f"{ORDER}|f__Enterobacteriaceae|g__Klebsiella|s__Klebsiella_oxytoca"
ECOLI = f"{ORDER}|f__Enterobacteriaceae|g__Escherichia|s__Escherichia_coli"
HAEMOPHILUS = ("k__Bacteria|p__Pseudomonadota|c__Gammaproteobacteria|o__Pasteurellales|f__Pasteurellaceae"
               "|g__Haemophilus|s__Haemophilus_parainfluenzae")
ADEOLU = "doi:10.1099/ijsem.0.001485"


def calls(name: str):
    return lookup(name).set_index("trait")


@pytest.mark.parametrize("name", [MORGANELLA, SERRATIA, HAFNIA, PECTOBACTERIUM])
def test_former_members_of_the_old_family_get_its_facts_from_the_order(name):
    c = calls(name)
    # The bloom marker of the plant-associated Pectobacteriaceae is its family's own 0 row
    # (test_plant_associated_families_are_not_bloom_markers).
    bloom = ("enterobacteriaceae",) if name != PECTOBACTERIUM else ()
    for trait in (*bloom, "lps_tlr4_agonist", "lps_producer", "pro_inflammatory"):
        assert c.loc[trait, "value"] == 1.0, trait
        assert c.loc[trait, "resolved_taxon"] == "Enterobacterales", trait
        assert ADEOLU in c.loc[trait, "note"], trait
    # The bloom marker and the LPS envelope are defined on the old family: they count in full.
    assert c.loc["enterobacteriaceae", "weight"] == pytest.approx(0.8)  # review_consensus (either row)
    assert c.loc["lps_producer", "weight"] == pytest.approx(1.0)


def test_todays_family_keeps_its_rows_and_weights():
    """E. coli's and Klebsiella's calls weigh what they weighed before the split was followed."""
    k = calls(KLEBSIELLA)
    assert k.loc["lps_tlr4_agonist", "resolved_taxon"] == "Enterobacteriaceae"
    assert k.loc["lps_tlr4_agonist", "weight"] == pytest.approx(0.4)  # experiment x family fallback
    assert k.loc["pro_inflammatory", "resolved_taxon"] == "Enterobacteriaceae"
    assert k.loc["enterobacteriaceae", "weight"] == pytest.approx(0.8)
    e = calls(ECOLI)
    assert e.loc["enterobacteriaceae", "weight"] == pytest.approx(0.8)
    assert e.loc["lps_producer", "weight"] == pytest.approx(1.0)
    # An extension to the whole order is further from E. coli than one to today's family.
    m = calls(MORGANELLA)
    assert m.loc["lps_tlr4_agonist", "weight"] == pytest.approx(0.3)


PANTOEA = f"{ORDER}|f__Erwiniaceae|g__Pantoea|s__Pantoea_agglomerans"
BUCHNERA = f"{ORDER}|f__Erwiniaceae|g__Buchnera|s__Buchnera_aphidicola"


@pytest.mark.parametrize("name", [PECTOBACTERIUM, PANTOEA, BUCHNERA])
def test_plant_associated_families_are_not_bloom_markers(name):
    """The bloom of Lupp 2007 and Winter 2013 is of resident gut Enterobacteriaceae; the old
    family's plant pathogens, epiphytes and insect endosymbionts (Erwiniaceae, Pectobacteriaceae)
    reach stool with food (Janda & Abbott 2021). Their envelope is still an LPS envelope."""
    c = calls(name)
    assert c.loc["enterobacteriaceae", "value"] == 0.0
    assert c.loc["enterobacteriaceae", "resolved_rank"] == "family"
    assert "doi:10.1128/CMR.00174-20" in c.loc["enterobacteriaceae", "sources"]
    assert c.loc["lps_producer", "value"] == 1.0


def test_hafnia_stays_a_bloom_marker():
    """Hafnia alvei is a facultatively anaerobic gut resident of the old family: the bloom
    literature's mechanism applies to it as to E. coli."""
    c = calls(HAFNIA)
    assert c.loc["enterobacteriaceae", "value"] == 1.0
    assert c.loc["enterobacteriaceae", "resolved_taxon"] == "Enterobacterales"


def test_the_order_is_not_the_class():
    """Pasteurellaceae are Gammaproteobacteria outside Enterobacterales: no bloom marker."""
    assert "enterobacteriaceae" not in calls(HAEMOPHILUS).index


def test_every_old_family_fact_reaches_the_order():
    facts = load_knowledge().facts
    family = facts[(facts["taxon"] == "Enterobacteriaceae") & (facts["rank"] == "family")]
    order = facts[(facts["taxon"] == "Enterobacterales") & (facts["rank"] == "order")]
    assert set(family["trait"]) <= set(order["trait"])
    assert {"enterobacteriaceae", "lps_producer"} <= set(order["trait"])
    assert order["note"].str.contains(ADEOLU, regex=False).all()
    for trait in order["trait"]:
        o = order[order["trait"] == trait].iloc[0]
        f = family[family["trait"] == trait]
        if len(f):  # same source, evidence level and host as the family row it extends
            assert (o["source"], o["evidence"], o["host"]) == (f.iloc[0]["source"], f.iloc[0]["evidence"], f.iloc[0]["host"])


@pytest.mark.parametrize("name", [MORGANELLA, SERRATIA, f"{ORDER}|f__Morganellaceae|g__Proteus|s__Proteus_mirabilis",
                                  f"{ORDER}|f__Morganellaceae|g__Providencia|s__Providencia_stuartii"])
def test_who_priority_opportunists_are_half_pathogens(name):
    c = calls(name)
    assert c.loc["enteric_pathogen", "value"] == 0.5
    assert c.loc["enteric_pathogen", "resolved_rank"] == "genus"
    assert c.loc["enteric_pathogen", "sources"] == "doi:10.1016/S1473-3099(17)30753-3"
    assert c.loc["enteric_pathogen", "host"] == "human"
    assert "opportunist" in c.loc["enteric_pathogen", "qualifier"]


def test_species_group_takes_its_namesakes_rows():
    """MetaPhlAn 3 writes s__Pseudomonas_aeruginosa_group (NCBI species group 136841)."""
    assert species_group_namesake("Pseudomonas aeruginosa group") == "Pseudomonas aeruginosa"
    assert species_group_namesake("Lactobacillus casei group") == "Lacticaseibacillus casei"
    assert species_group_namesake("Clostridia vadinBB60 group") == ""  # an order-rank group (SILVA)
    assert species_group_namesake("Escherichia coli") == ""
    group = calls("k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Pseudomonadales|f__Pseudomonadaceae"
                  "|g__Pseudomonas|s__Pseudomonas_aeruginosa_group")
    assert group.loc["enteric_pathogen", "value"] == 0.5
    assert group.loc["enteric_pathogen", "resolved_taxon"] == "Pseudomonas aeruginosa"
    assert group.loc["enteric_pathogen", "sources"] == "doi:10.1086/533452"
    # Another Pseudomonas species is not the namesake: no call.
    other = calls("k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Pseudomonadales|f__Pseudomonadaceae"
                  "|g__Pseudomonas|s__Pseudomonas_putida")
    assert "enteric_pathogen" not in other.index


@pytest.mark.parametrize(("name", "family"), [("Morganella", "Morganellaceae"), ("Proteus mirabilis", "Morganellaceae"),
                                              ("Serratia marcescens", "Yersiniaceae")])
def test_kb_show_places_a_bare_name_and_shows_the_order_rows_with_their_sources(name, family):
    result = CliRunner().invoke(main, ["kb", "show", name])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"order Enterobacterales; family {family}" in lines[0]
    marker = next(line for line in lines if line.strip().startswith("enterobacteriaceae = 1"))
    assert "from order Enterobacterales" in marker
    assert "doi:10.1038/ismej.2013.80" in marker
    lps = next(line for line in lines if line.strip().startswith("lps_tlr4_agonist = 1"))
    assert "doi:10.1016/j.cell.2016.04.007" in lps
    pathogen = next(line for line in lines if line.strip().startswith("enteric_pathogen = 0.5"))
    assert "doi:10.1016/S1473-3099(17)30753-3" in pathogen
    assert ADEOLU in result.output
