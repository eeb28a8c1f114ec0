"""The knowledge base refuses unsourced or malformed facts, and the shipped one loads."""

from __future__ import annotations

import pytest

from gutbalance.errors import DataTableError, GutBalanceError, KnowledgeBaseError
from gutbalance.knowledge import EVIDENCE_LEVELS, PILLARS, TRAITS, load_knowledge, load_tables, read_facts
from gutbalance.knowledge.loading import read_bibliography

HEADER = "taxon\trank\tncbi_taxid\ttrait\tvalue\tqualifier\tevidence\tsource\tnote\n"
BIB = "id\tshort\tcitation\ndoi:10.1099/ijs.0.02873-0\tDerrien 2004\tDerrien M et al. IJSEM 2004;54:1469.\n"
GOOD = "Akkermansia muciniphila\tspecies\t\tmucin_degrader\t1\t\texperiment\tdoi:10.1099/ijs.0.02873-0\tmucin as sole C/N source\n"


def _facts(row: str):
    return read_facts(HEADER + row, "test.tsv", read_bibliography(BIB))


def test_a_sourced_row_is_accepted():
    frame = _facts(GOOD)
    assert frame.loc[0, "trait"] == "mucin_degrader"
    assert frame.loc[0, "value"] == 1.0


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (GOOD.replace("doi:10.1099/ijs.0.02873-0", ""), "no source"),
        (GOOD.replace("doi:10.1099/ijs.0.02873-0", "Derrien 2004"), "not doi"),
        (GOOD.replace("doi:10.1099/ijs.0.02873-0", "doi:10.9999/not.in.bibliography"), "not in the bibliography"),
        (GOOD.replace("mucin_degrader", "mucin_lover"), "unknown trait"),
        (GOOD.replace("experiment", "hearsay"), "unknown evidence"),
        (GOOD.replace("\tspecies\t", "\tkingdom\t"), "unknown rank"),
        (GOOD.replace("\t1\t", "\tyes\t"), "not a number"),
        (GOOD.replace("Akkermansia muciniphila", "Ruminococcus gnavus"), "canonical name"),
        (GOOD.replace("\t\texperiment", "\troute=but\texperiment"), "qualifier"),
    ],
)
def test_bad_rows_are_refused(row, message):
    with pytest.raises(KnowledgeBaseError, match=message):
        _facts(row)


def test_knowledge_base_errors_are_data_table_errors():
    # one root: catching a bad cited table (DataTableError) or any gutbalance error catches a bad knowledge base too
    assert issubclass(KnowledgeBaseError, DataTableError)
    assert issubclass(DataTableError, GutBalanceError)
    with pytest.raises(KnowledgeBaseError, match=r"test\.tsv, line 3, column 'source'") as info:
        _facts(GOOD + GOOD.replace("doi:10.1099/ijs.0.02873-0", ""))
    assert (info.value.path, info.value.line, info.value.column) == ("test.tsv", 3, "source")


def test_refusal_names_file_and_line():
    with pytest.raises(DataTableError, match=r"test\.tsv, line 3, column 'source'"):
        _facts(GOOD + GOOD.replace("doi:10.1099/ijs.0.02873-0", ""))


def test_load_tables_from_files(tmp_path):
    facts = tmp_path / "extra.tsv"
    facts.write_text("# a comment\n" + HEADER + GOOD, encoding="utf-8")
    bib = tmp_path / "sources.tsv"
    bib.write_text(BIB, encoding="utf-8")
    kb = load_tables([facts], bib)
    assert len(kb) == 1
    assert kb.has("species", "Akkermansia muciniphila")


def test_shipped_knowledge_base_is_valid_and_covers_every_trait_family():
    kb = load_knowledge()
    assert len(kb) > 1000
    assert set(kb.facts["evidence"]) <= set(EVIDENCE_LEVELS)
    assert kb.facts["source"].isin(list(kb.sources)).all()
    used = set(kb.facts["trait"])
    for pillar in PILLARS:
        assert any(TRAITS[t].pillar == pillar for t in used), pillar
    # Every trait family the issue names has entries.
    for trait in ["probiotic", "treg_induction", "th17_induction", "pathobiont", "anti_inflammatory", "pro_inflammatory",
                  "gmhi_health_prevalent", "gmhi_health_scarce", "asnicar_favourable", "asnicar_unfavourable",
                  "butyrate_producer", "propionate_producer", "acetate_producer", "vitamin_b2_synthesis",
                  "vitamin_b12_synthesis", "menaquinone_synthesis", "ubiquinone_synthesis",
                  "mucin_degrader", "akkermansia", "h2s_producer", "sulfate_reducer", "lps_producer",
                  "lps_tlr4_agonist", "facultative_anaerobe", "pathogen", "pathogenicity_class", "enterobacteriaceae",
                  "oral_taxon", "colonisation_resistance", "enteric_pathogen"]:
        assert trait in used, trait
    # Published list sizes are reproduced: 7 and 43 GMHI species, 15 + 15 Asnicar species.
    per_trait = kb.facts.drop_duplicates(["taxon", "trait"]).groupby("trait")["taxon"].nunique()
    assert per_trait["gmhi_health_prevalent"] == 7
    assert per_trait["gmhi_health_scarce"] == 43
    assert per_trait["asnicar_favourable"] == 15
    assert 14 <= per_trait["asnicar_unfavourable"] <= 15  # two listed names are one species after renaming


def test_every_cited_source_has_a_full_citation():
    kb = load_knowledge()
    for sid in set(kb.facts["source"]):
        assert len(kb.sources[sid].citation) > 30, sid
