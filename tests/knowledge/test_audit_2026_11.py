"""The second audit of the curated rows (2026-11-27, ``scripts/audit_sample.py``, seed 20261127).

Each test pins a correction the audit made against the cited source; see
docs/knowledge-base.md, "Audits of the curated rows"."""

from __future__ import annotations

import pandas as pd

from gutbalance.knowledge import load_knowledge, lookup


def facts() -> pd.DataFrame:
    return load_knowledge().facts


def rows(taxon: str, trait: str) -> pd.DataFrame:
    table = facts()
    return table[(table["taxon"] == taxon) & (table["trait"] == trait)]


def test_genus_probiotic_rows_say_the_isapp_species_level_is_extended():
    # ISAPP (Hill 2014) allows the term at species level for commonly studied species, not for a genus.
    table = facts()
    genus_rows = table[(table["trait"] == "probiotic") & (table["rank"] == "genus")]
    assert set(genus_rows["taxon"]) >= {"Bifidobacterium", "Lactobacillus", "Lacticaseibacillus", "Lactiplantibacillus"}
    assert genus_rows["note"].str.contains("assumed").all()
    assert genus_rows["note"].str.contains("species level").all()


def test_anaerobutyricum_row_names_the_species_the_review_meant_and_no_major():
    row = rows("Anaerobutyricum", "butyrate_producer").iloc[0]
    assert "Eubacterium hallii" in row["note"]
    assert "assumed" in row["note"]
    assert "major" not in row["note"]


def test_bacteroidales_family_lps_rows_say_only_bacteroides_lps_was_tested():
    for family in ("Bacteroidaceae", "Tannerellaceae", "Prevotellaceae"):
        row = rows(family, "lps_producer").iloc[0]
        assert "assumed" in row["note"], family
        assert "inhibits TLR4" not in row["effect"], family  # the effect of the agonist row, copied


def test_streptococcus_thermophilus_folate_cites_a_measurement_of_the_species():
    # Rossi 2011 reviews bifidobacteria and lactobacilli; Crittenden 2003 measured S. thermophilus.
    cited = rows("Streptococcus thermophilus", "vitamin_b9_synthesis")
    assert "doi:10.3390/nu3010118" not in set(cited["source"])
    assert "pmid:12423923" in set(cited["source"])
    call = lookup("Streptococcus thermophilus", "species", traits=["vitamin_b9_synthesis"]).iloc[0]
    assert call["evidence"] == "experiment"
    assert call["host"] == "in_vitro"
    assert call["weight"] == 0.5  # experiment 1.0 x strain-specific 0.5


def test_duvallet_shared_response_rows_are_sequence_associations():
    table = facts()
    shared = table[table["file"] == "duvallet2017.tsv"]
    assert len(shared) == 29
    assert (shared["evidence"] == "genome_analysis").all()
    call = lookup("Collinsella", "genus", traits=["shared_disease_response"]).iloc[0]
    assert call["evidence"] == "genome_analysis"


def test_audit_sample_is_reproducible_and_drawn_from_the_curated_tables(audit_sample):
    drawn = audit_sample.claim_rows()
    assert {name for name, _, _ in drawn} == {"curated.tsv", "duvallet2017.tsv"}
    assert len(drawn) == len(facts().query("file in ['curated.tsv', 'duvallet2017.tsv']"))
    lines = {(row["file"], int(row["line"])) for _, row in facts().iterrows()}
    assert all((name, number) in lines for name, number, _ in drawn)
