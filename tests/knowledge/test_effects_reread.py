"""The effects of the curated rows re-read from their sources (2026-11-28).

29 rows carried an ``effect`` copied from their own note ("the source was not
re-read for this field") or recalled ("as recalled"); each was re-read from the
abstract (or, for *Ruminococcus faecis*, the letter's text) and rewritten; see
docs/knowledge-base.md, "Effects re-read from the sources". One host changed
(*M. faecis*: mouse -> in vitro, both weigh 0.6), so no weight or score moved."""

from __future__ import annotations

from gutbalance.knowledge import load_knowledge
from gutbalance.knowledge.loading import evidence_weights
from tests.helpers import kb_row

VATANEN = "doi:10.1016/j.cell.2016.04.007"
GEVERS = "doi:10.1016/j.chom.2014.02.005"
KIM = "doi:10.1038/s41586-019-1501-z"


def test_no_effect_is_a_copy_of_the_note_or_recalled():
    facts = load_knowledge().facts
    effects = facts["effect"].fillna("")
    assert not effects.str.contains("not re-read").any()
    assert not effects.str.contains("as recalled").any()


def test_e_coli_lps_rows_describe_e_coli_not_the_bacteroides_lps_that_silences_it():
    # The four E. coli / Enterobacterales rows once carried the effect of the
    # B. dorei row: "LPS of B. dorei inhibits TLR4 signalling".
    for taxon, trait in (("Escherichia coli", "lps_tlr4_agonist"), ("Escherichia coli", "lps_producer"),
                         ("Enterobacteriaceae", "lps_tlr4_agonist"), ("Enterobacterales", "lps_tlr4_agonist"),
                         ("Enterobacterales", "lps_producer")):
        call = kb_row(taxon, trait, VATANEN)
        assert "B. dorei inhibits" not in call["effect"], taxon
        assert "abstract read" in call["effect"], taxon
    assert "potent innate immune activator" in kb_row("Escherichia coli", "lps_tlr4_agonist", VATANEN)["effect"]


def test_bacteroidales_families_say_which_one_was_tested():
    assert "Bacteroides LPS tested" in kb_row("Bacteroidaceae", "lps_tlr4_agonist", VATANEN)["effect"]
    for family in ("Tannerellaceae", "Prevotellaceae"):
        assert "not tested" in kb_row(family, "lps_tlr4_agonist", VATANEN)["effect"], family


def test_ruminococcus_faecis_lantibiotic_was_shown_in_vitro_only():
    # Kim et al. 2019: R. faecis strains with a similar lantibiotic inhibit VRE
    # in vitro; the mouse experiment was with Blautia producta BPSCSK.
    call = kb_row("Mediterraneibacter faecis", "colonisation_resistance", KIM)
    assert call["host"] == "in_vitro"
    assert "BPSCSK" not in call["effect"]
    assert "in vitro" in call["effect"]
    assert kb_row("Blautia producta", "colonisation_resistance", KIM)["host"] == "mouse"


def test_the_host_correction_moves_no_weight():
    weights = evidence_weights()
    assert weights.host["in_vitro"] == weights.host["mouse"]


def test_gnavus_in_spondyloarthritis_tracks_activity_only_with_a_history_of_ibd():
    call = kb_row("Mediterraneibacter gnavus", "pro_inflammatory", "doi:10.1136/annrheumdis-2016-211064")
    assert "history of IBD" in call["effect"]


def test_gevers_families_carry_the_whole_axis_and_where_it_was_seen():
    for family in ("Enterobacterales", "Pasteurellaceae", "Veillonellaceae", "Fusobacteriaceae"):
        effect = kb_row(family, "pro_inflammatory", GEVERS)["effect"]
        assert "rectal mucosa" in effect, family
        assert "Erysipelotrichales" in effect, family
