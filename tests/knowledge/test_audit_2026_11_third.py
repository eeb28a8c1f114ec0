"""The third audit of the curated rows (2026-11-27, ``scripts/audit_sample.py --seed 20261128 -n 20``).

Each test pins a correction the audit made against the cited source; see
docs/knowledge-base.md, "Audits of the curated rows". The corrections are of
notes and effects (what the source shows, what is assumed): no value, evidence
level, host or strain flag changed, so no weight or score moved."""

from __future__ import annotations

import pandas as pd

from gutbalance.knowledge import load_knowledge

LEBLANC = "doi:10.1016/j.copbio.2012.08.005"


def rows(taxon: str, trait: str) -> pd.DataFrame:
    table = load_knowledge().facts
    return table[(table["taxon"] == taxon) & (table["trait"] == trait)]


def test_subdoligranulum_butyrate_row_is_not_called_major_and_says_what_was_read():
    row = rows("Subdoligranulum", "butyrate_producer").iloc[0]
    assert "major" not in row["note"].replace("'major' is not", "")
    assert "does not name the genus" in row["note"]


def test_effects_once_copied_from_the_note_are_filled_from_the_abstract():
    for taxon, trait, words in (("Arthromitus", "th17_induction", "sufficient"),
                                ("Enterobacteriaceae", "pro_inflammatory", "association")):
        row = rows(taxon, trait).iloc[0]
        assert "not re-read" not in row["effect"], taxon
        assert "abstract read" in row["effect"], taxon
        assert words in row["effect"], taxon


def test_vibrio_vulnificus_is_a_foodborne_pathogen_read_as_enteric_by_assumption():
    # Scallan 2011 estimates foodborne illness of any syndrome, not gut infection.
    row = rows("Vibrio vulnificus", "enteric_pathogen").iloc[0]
    assert row["source"] == "doi:10.3201/eid1701.P11101"
    assert "assumed" in row["note"]
    assert "foodborne" in row["note"]


def test_morganella_half_value_is_marked_as_a_judgement():
    # Tacconelli 2018 ranks antibiotic-resistance priority, not pathogenicity in the gut.
    row = rows("Morganella", "enteric_pathogen").iloc[0]
    assert row["value"] == 0.5
    assert "assumed judgement" in row["note"]


def test_leblanc_rows_say_the_doi_was_checked_and_the_abstract_names_no_species():
    table = load_knowledge().facts
    cited = table[table["source"] == LEBLANC]
    assert set(zip(cited["taxon"], cited["trait"], strict=True)) == {
        ("Streptococcus thermophilus", "vitamin_b9_synthesis"),
        ("Lactococcus lactis", "vitamin_b9_synthesis"),
        ("Lactococcus lactis", "vitamin_b2_synthesis"),
        ("Limosilactobacillus reuteri", "vitamin_b12_synthesis"),
    }
    assert cited["note"].str.contains("PubMed 22940212").all()
    assert cited["note"].str.contains("names no species").all()
    # the review's facts are strain-dependent culture (fermented food) facts, as written
    assert (cited["host"] == "in_vitro").all()
    assert (cited["strain_specific"] == "yes").all()


def test_magnusdottir_rows_drawn_say_the_species_call_was_not_checked():
    # Magnusdottir 2015: the abstract names no taxon; the per-genome calls are in its supplement.
    for taxon, trait in (("Escherichia coli", "vitamin_b2_synthesis"), ("Bacteroides", "vitamin_b9_synthesis")):
        row = rows(taxon, trait).iloc[0]
        assert row["source"] == "doi:10.3389/fgene.2015.00148"
        assert "not checked" in row["note"], taxon
