"""The sixth audit of the knowledge base (2026-11-28, ``scripts/audit_sample.py --unaudited --seed 20261131``).

The rows no earlier audit had checked (matched by taxon and trait against the
audit tables of docs/knowledge-base.md) and the rows whose note still said
their source was "not re-read", in a seeded random order; see
docs/knowledge-base.md, "Audits of the curated rows" (the sixth). Each test
pins a correction the audit made against the cited source, and fails on the
tables before it."""

from __future__ import annotations

import functools

import pandas as pd
import pytest

from gutbalance.knowledge import load_knowledge

WERNER_1975 = "pmid:168701"
LIU_2008 = "doi:10.1099/ijs.0.65208-0"
BERGEY_BACTEROIDES = "doi:10.1002/9781118960608.gbm00238"
LOUIS_FLINT_2017 = "doi:10.1111/1462-2920.13589"
LOUIS_FLINT_2009 = "doi:10.1111/j.1574-6968.2009.01514.x"


@functools.cache
def curated_facts() -> dict[tuple[str, str], list[pd.Series]]:
    """The loaded facts of ``curated.tsv`` by taxon and trait."""
    table = load_knowledge().facts
    found: dict[tuple[str, str], list[pd.Series]] = {}
    for _, fact in table[table["file"] == "curated.tsv"].iterrows():
        found.setdefault((fact["taxon"], fact["trait"]), []).append(fact)
    return found


def row(taxon: str, trait: str) -> pd.Series:
    (fact,) = curated_facts()[(taxon, trait)]
    return fact


@pytest.fixture
def tables_of_the_sixth_audit(audit_sample, tmp_path, monkeypatch):
    """The audit tables as the sixth audit left them: docs/knowledge-base.md without the seventh audit's table,
    which names every row this audit's list still held (tests/knowledge/test_audit_2026_11_seventh.py)."""
    text = audit_sample.DOCS.read_text(encoding="utf-8")
    start = text.index("**Seventh audit, 2026-11-28**")
    end = text.index("## bugphyzz oxygen calls", start)
    docs = tmp_path / "knowledge-base.md"
    docs.write_text(text[:start] + text[end:], encoding="utf-8")
    monkeypatch.setattr(audit_sample, "DOCS", docs)
    return audit_sample


def test_the_unaudited_list_leaves_out_what_the_audit_tables_name(tables_of_the_sixth_audit):
    audit_sample = tables_of_the_sixth_audit
    left, twins = audit_sample.unaudited_rows()
    pairs = {(fields["taxon"], fields["trait"]) for _, _, fields in left}
    # named by earlier audit tables, each under its own spelling of the taxon or trait
    for audited in (("Escherichia coli", "vitamin_b3_synthesis"), ("Mediterraneibacter gnavus", "mucin_degrader"),
                    ("Escherichia coli Nissle 1917", "probiotic"), ("Megasphaera sp BV3C16 1", "obligate_anaerobe"),
                    ("Akkermansia", "akkermansia"), ("Bacteroidaceae", "lps_tlr4_agonist")):
        assert audited not in pairs, audited
    # a strain row is not its species: E. coli Nissle 1917's enteric-pathogen call was never drawn
    assert ("Escherichia coli Nissle 1917", "enteric_pathogen") in pairs
    # every curated row is either named by an audit table or on the list
    assert {name for name, _, _ in left} == {"curated.tsv"}
    assert len(left) < len(audit_sample.claim_rows((audit_sample.DATA / "curated.tsv",)))
    # of a taxon's two rows of one trait, the one no table names is listed apart: the tables name
    # A. baumannii's WHO-list row (fourth audit) and M. gnavus in IBD (this audit), not their twins
    twin_sources = {(fields["taxon"], fields["source"]) for _, _, fields in twins}
    assert ("Acinetobacter baumannii", "doi:10.1086/533452") in twin_sources
    assert ("Mediterraneibacter gnavus", "doi:10.1136/annrheumdis-2016-211064") in twin_sources
    assert ("Mediterraneibacter gnavus", "doi:10.1186/s13073-017-0490-5") not in twin_sources


def test_the_unaudited_list_is_drawn_in_a_reproducible_order(tables_of_the_sixth_audit, capsys, monkeypatch):
    audit_sample = tables_of_the_sixth_audit
    orders = []
    for _ in range(2):
        monkeypatch.setattr("sys.argv", ["audit_sample.py", "--unaudited", "--seed", "20261131", "-n", "5"])
        audit_sample.main()
        orders.append(capsys.readouterr().out)
    assert orders[0] == orders[1]
    assert len(orders[0].splitlines()) == 2 + 5


def test_an_audit_row_naming_no_curated_taxon_is_refused(audit_sample):
    with pytest.raises(SystemExit, match="no curated taxon"):
        audit_sample.claim_taxon("*Nonexistia imaginaria* oral taxon", {"Escherichia coli"})


@pytest.mark.parametrize("taxon", ["Pseudomonas aeruginosa", "Klebsiella pneumoniae", "Enterobacter"])
def test_eskape_rows_say_their_half_value_is_a_judgement(taxon):
    note = row(taxon, "enteric_pathogen")["note"]
    assert "assumed judgement" in note
    assert "not gut pathogens" in note


@pytest.mark.parametrize("taxon", ["Morganella", "Proteus", "Providencia", "Serratia"])
def test_who_list_rows_read_the_paper_and_say_their_half_value_is_a_judgement(taxon):
    note = row(taxon, "enteric_pathogen")["note"]
    assert "not re-read" not in note
    assert "abstract (read; Lancet Infect Dis 2018" in note
    assert "assumed judgement" in note


def test_no_curated_row_says_its_source_was_not_re_read(audit_sample):
    rows = audit_sample.claim_rows((audit_sample.DATA / "curated.tsv",))
    assert [(number, fields["taxon"]) for _, number, fields in rows
            if "not re-read" in fields["note"] + fields["effect"]] == []


@pytest.mark.parametrize("taxon", ["Clostridium hiranonis", "Clostridium hylemonae"])
def test_bile_acid_rows_mark_colonisation_resistance_as_assumed(taxon):
    fact = row(taxon, "colonisation_resistance")
    assert "C. scindens in mice, assumed here" in fact["note"]
    assert fact["value"] == 1.0


def test_odoribacter_butyrate_cites_the_species_description_without_major():
    fact = row("Odoribacter", "butyrate_producer")
    assert fact["source"] == WERNER_1975
    assert fact["evidence"] == "experiment"
    assert fact["host"] == "in_vitro"
    assert "'major butyrate-producing genus of the human colon' is gone" in fact["note"]
    assert "abundant butyric acid from glucose" in fact["effect"]
    assert "assumed" in fact["note"]


def test_butyrivibrio_butyrate_is_no_major_colonic_genus():
    fact = row("Butyrivibrio", "butyrate_producer")
    assert fact["note"].startswith("butyrate is a main fermentation product of the genus")
    assert "rumen" in fact["note"]
    assert fact["source"] == LOUIS_FLINT_2017
    assert fact["evidence"] == "review_consensus"


def test_clostridium_butyricum_says_the_review_names_no_species():
    assert "names no species" in row("Clostridium butyricum", "butyrate_producer")["note"]


def test_bacteroides_thetaiotaomicron_mucin_names_the_paper_that_shows_it():
    note = row("Bacteroides thetaiotaomicron", "mucin_degrader")["note"]
    assert "doi:10.1016/j.chom.2008.09.007" in note


@pytest.mark.parametrize(("taxon", "source"), [("Blautia", LIU_2008), ("Bacteroides", BERGEY_BACTEROIDES)])
def test_acetate_rows_cite_a_description_that_names_the_genus(taxon, source):
    fact = row(taxon, "acetate_producer")
    assert fact["source"] == source
    assert fact["evidence"] == "experiment"
    assert "re-cited from Louis & Flint 2017" in fact["note"]


@pytest.mark.parametrize("taxon", ["Roseburia", "Faecalibacterium"])
def test_the_two_most_abundant_butyrate_groups_cite_the_review_that_names_them(taxon):
    fact = row(taxon, "butyrate_producer")
    assert fact["source"] == LOUIS_FLINT_2009
    assert fact["evidence"] == "review_consensus"
    assert "two most abundant groups" in fact["note"]


def test_no_butyrate_note_calls_a_genus_major_in_its_own_voice():
    notes = [fact["note"] for (_, trait), facts in curated_facts().items() if trait == "butyrate_producer"
             for fact in facts]
    assert len(notes) > 5
    for note in notes:
        assert not note.startswith("major"), note
        if "major butyrate-producing genus" in note:
            assert "former note's" in note, note


@pytest.mark.parametrize("taxon", ["Anaerostipes", "Butyricicoccus"])
def test_butyrate_genera_say_where_their_description_comes_from(taxon):
    note = row(taxon, "butyrate_producer")["note"]
    assert "broiler-chicken caeca" in note or "broiler-chicken caecal" in note
    assert "its abstract names no genus" in note


def test_bifidobacterium_acetate_says_it_is_not_checked():
    note = row("Bifidobacterium", "acetate_producer")["note"]
    assert "not checked against the source" in note
    assert "Blautia" not in note


def test_gnavus_pro_inflammatory_says_it_reads_an_association():
    by_context = {fact["qualifier"]: fact for fact in curated_facts()[("Mediterraneibacter gnavus", "pro_inflammatory")]}
    fact = by_context["context=inflammatory bowel disease"]
    assert not by_context["context=spondyloarthritis"]["note"].startswith("Hall")
    assert fact["note"].startswith("Hall et al. 2017 (abstract read)")
    assert "is the reading of it, assumed" in fact["note"]
    assert fact["evidence"] == "genome_analysis"


def test_segatella_propionate_names_the_genus_split_after_the_paper():
    assert "split from Prevotella after the paper" in row("Segatella", "propionate_producer")["note"]
