"""The fourth audit of the curated rows (2026-11-27, ``scripts/audit_sample.py --seed 20261129 -n 20 --derived 4 --parameters 3``).

Each test pins a correction the audit made against the cited source; see
docs/knowledge-base.md, "Audits of the curated rows". The corrections are of
notes, effects and citations (what the source shows, what is assumed, a
source that could be reached instead of one that could not): no value,
evidence level, host or strain flag changed, so no weight or score moved."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from gutbalance.citations import read_data_table
from gutbalance.knowledge import load_knowledge
from gutbalance.pillars import PARAMETER_CITATIONS
from tests.helpers import kb_row

PARAMETERS = Path(__file__).resolve().parents[2] / "src" / "gutbalance" / "pillars" / "data" / "parameters.tsv"
MAGNUSDOTTIR = "doi:10.3389/fgene.2015.00148"
NOT_REREAD = "the source was not re-read"


def facts() -> pd.DataFrame:
    return load_knowledge().facts


def test_effects_once_copied_from_the_note_are_filled_from_the_abstract():
    for taxon, trait, words in (("Klebsiella pneumoniae", "pathobiont", "genetically susceptible host"),
                                ("Faecalibacterium prausnitzii", "anti_inflammatory", "TNBS colitis"),
                                ("Phocaeicola dorei", "lps_tlr4_agonist", "endotoxin tolerance"),
                                ("Lachnospiraceae", "treg_induction", "clusters IV and XIVa"),
                                ("Oscillospiraceae", "treg_induction", "clusters IV and XIVa"),
                                ("Ruminococcaceae", "treg_induction", "clusters IV and XIVa")):
        call = kb_row(taxon, trait)
        assert NOT_REREAD not in call["effect"], taxon
        assert "abstract read" in call["effect"], taxon
        assert words in call["effect"], taxon


def test_e_coli_pathobiont_note_says_what_the_oxygen_perspective_shows_and_what_is_assumed():
    # Rigottier-Gois 2013 (abstract): facultative anaerobes, Enterobacteriaceae included, rise in IBD;
    # the pathotype list is not in it.  The eighth audit found it never calls E. coli a pathobiont and
    # re-cited the row (tests/knowledge/test_audit_2026_11_eighth.py); the note keeps what it said.
    call = kb_row("Escherichia coli", "pathobiont")
    assert call["source"] != "doi:10.1038/ismej.2013.80"
    assert "until the eighth audit it cited Rigottier-Gois 2013" in call["note"]
    assert "facultative anaerobes" in call["note"]


def test_f_prausnitzii_anti_inflammatory_says_one_strain_was_tested():
    call = kb_row("Faecalibacterium prausnitzii", "anti_inflammatory")
    assert "one cultured strain" in call["note"]
    assert "assumed" in call["note"]


def test_agathobacter_butyrate_cites_a_review_that_names_its_species_and_no_major():
    call = kb_row("Agathobacter", "butyrate_producer")
    assert call["source"] == "doi:10.1111/j.1574-6968.2009.01514.x"
    assert "Eubacterium rectale" in call["note"]
    assert call["note"].startswith("butyrate-producing genus")
    assert "major butyrate" not in call["note"]
    assert call["evidence"] == "review_consensus"


def test_every_magnusdottir_row_says_its_taxon_was_not_checked():
    rows = facts()[facts()["source"] == MAGNUSDOTTIR]
    assert len(rows) > 0
    unchecked = rows["note"].str.contains("names no taxon") & rows["note"].str.contains("not checked")
    assert unchecked.all(), rows.loc[~unchecked, ["taxon", "trait"]].to_dict("records")


def test_e_coli_menaquinone_cites_a_measurement_instead_of_the_unreached_manual():
    call = kb_row("Escherichia coli", "menaquinone_synthesis")
    assert call["source"] == "doi:10.1007/BF00422294"
    assert call["evidence"] == "experiment"
    assert call["host"] == "in_vitro"
    assert "Unden 1988" in call["note"]
    assert "doi:10.1007/BF00422294" in load_knowledge().sources


def test_acinetobacter_on_the_who_list_is_an_assumed_enteric_pathogen_value():
    call = kb_row("Acinetobacter baumannii", "enteric_pathogen", source="doi:10.1016/S1473-3099(17)30753-3")
    assert call["value"] == 0.5
    assert "assumed judgement" in call["note"]


def test_k_balance_note_gives_the_reason_for_its_assumed_value():
    table = read_data_table(PARAMETERS, required=("parameter", "value"), citations=PARAMETER_CITATIONS)
    notes = {str(r["parameter"]): str(r["note"]) for r in table.rows}
    assert "judgement" in notes["k_balance"]
    assert "k_beneficial" in notes["k_balance"]


def drawn(module, monkeypatch, capsys, *args: str) -> list[str]:
    monkeypatch.setattr(sys, "argv", ["audit_sample.py", "--seed", "20261129", "-n", "20", *args])
    module.main()
    return capsys.readouterr().out.splitlines()


def test_audit_sample_adds_derived_and_parameter_rows_without_changing_the_curated_draw(audit_sample, monkeypatch,
                                                                                         capsys):
    module = audit_sample
    curated = drawn(module, monkeypatch, capsys)
    extended = drawn(module, monkeypatch, capsys, "--derived", "4", "--parameters", "3")
    assert extended[:len(curated)] == curated
    extra = extended[len(curated):]
    files = [line.split("\t")[0] for line in extra if not line.startswith(("#", "file"))]
    assert len(files) == 7
    assert set(files[:4]) <= set(module.DERIVED)
    assert files[4:] == ["parameters.tsv"] * 3
    assert drawn(module, monkeypatch, capsys, "--derived", "4", "--parameters", "3") == extended
