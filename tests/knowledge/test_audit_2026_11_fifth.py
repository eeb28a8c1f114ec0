"""The fifth audit of the knowledge base (2026-11-28, ``scripts/audit_sample.py --seed 20261130 -n 20 --derived 5 --parameters 3``).

Each test pins a correction the audit made against the cited source; see
docs/knowledge-base.md, "Audits of the curated rows". The corrections are of
notes, effects and citations: no value, evidence level, host or strain flag
changed, so no weight or score moved."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gutbalance.citations import read_data_table
from gutbalance.knowledge import load_knowledge
from gutbalance.pillars import PARAMETER_CITATIONS

ROOT = Path(__file__).resolve().parents[2]
PARAMETERS = ROOT / "src" / "gutbalance" / "pillars" / "data" / "parameters.tsv"
WEIGHTS = ROOT / "src" / "gutbalance" / "knowledge" / "data" / "evidence_weights.tsv"
VATANEN = "doi:10.1016/j.cell.2016.04.007"
PRYDE = "doi:10.1111/j.1574-6968.2002.tb11467.x"
NOT_REREAD = "the source was not re-read"


def facts() -> pd.DataFrame:
    return load_knowledge().facts


def row(taxon: str, trait: str) -> pd.Series:
    table = facts()
    hits = table[(table["taxon"] == taxon) & (table["trait"] == trait)]
    assert len(hits) == 1, (taxon, trait)
    return hits.iloc[0]


def parameter_notes() -> dict[str, str]:
    table = read_data_table(PARAMETERS, required=("parameter", "value"), citations=PARAMETER_CITATIONS)
    return {str(r["parameter"]): str(r["note"]) for r in table.rows}


def test_coprococcus_butyrate_cites_a_review_that_names_the_genus_and_no_major():
    # Louis & Flint 2017's abstract names no genus; Pryde et al. 2002 (abstract) names Coprococcus
    # among the relatives of the most numerous faecal butyrate producers.
    call = row("Coprococcus", "butyrate_producer")
    assert call["source"] == PRYDE
    assert PRYDE in load_knowledge().sources
    assert "major" not in call["note"]
    assert "Coprococcus" in call["note"]
    assert "L2-50" in call["effect"]
    assert (call["evidence"], call["host"], call["strain_specific"]) == ("review_consensus", "in_vitro", "no")


def test_vatanen_lps_effects_are_filled_from_the_abstract():
    rows = facts()[facts()["source"] == VATANEN]
    assert {"Prevotellaceae", "Escherichia coli", "Enterobacteriaceae", "Enterobacterales"} <= set(rows["taxon"])
    for _, call in rows.iterrows():
        if call["trait"] == "lps_tlr4_agonist" or NOT_REREAD in call["effect"]:
            assert NOT_REREAD not in call["effect"], (call["taxon"], call["trait"])
            assert "abstract read" in call["effect"], (call["taxon"], call["trait"])


def test_vatanen_acylation_words_are_marked_wherever_they_stand():
    rows = facts()[facts()["source"] == VATANEN]
    acylation = rows[rows["note"].str.contains("acylat")]
    assert len(acylation) >= 5
    assert acylation["note"].str.contains("not in the abstract").all(), acylation["taxon"].tolist()


def test_e_coli_lps_effect_is_about_e_coli_lps_not_b_dorei():
    for taxon in ("Escherichia coli", "Enterobacteriaceae"):
        effect = row(taxon, "lps_tlr4_agonist")["effect"]
        assert "potent innate immune activator" in effect, taxon
        assert "autoimmune diabetes" in effect, taxon


def test_acylation_words_not_in_the_abstract_are_marked():
    # The abstract says "structurally distinct" and "inhibits innate immune signaling"; the acylation
    # pattern is not in it.
    note = row("Prevotellaceae", "lps_tlr4_agonist")["note"]
    assert "structurally distinct" in note
    assert "not in the abstract" in note
    for taxon in ("Escherichia coli", "Enterobacteriaceae"):
        assert "not in the abstract" in row(taxon, "lps_tlr4_agonist")["note"], taxon


def test_m_gnavus_pathobiont_effect_is_filled_from_the_abstract():
    effect = row("Mediterraneibacter gnavus", "pathobiont")["effect"]
    assert NOT_REREAD not in effect
    assert "abstract" in effect
    assert "TLR4" in effect


def test_strain_weight_note_says_isapp_allows_species_level_benefits():
    text = WEIGHTS.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("strain\tyes\t"))
    assert "probiotic effects are strain-specific" not in line
    assert "species" in line.split("\t")[5]


def test_parameter_notes_give_their_reasons():
    notes = parameter_notes()
    assert "judgement" in notes["k_scfa"]
    assert "judgement" in notes["harm_pathobiont"]
    assert "not checked" in notes["k_beneficial"]
