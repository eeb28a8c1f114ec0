"""Issue 12: the knowledge-base corrections, the evidence fields and the evidence weights.

Each correction is checked against the resolved call a score would use."""

from __future__ import annotations

import pandas as pd
import pytest

from gutbalance.errors import DataTableError
from gutbalance.knowledge import load_knowledge, lookup, read_facts, trait_matrix
from gutbalance.knowledge.loading import read_bibliography, read_evidence_weights
from gutbalance.knowledge.schema import HOSTS

BIB = "id\tshort\tcitation\ndoi:10.1099/ijs.0.02873-0\tDerrien 2004\tDerrien M et al. IJSEM 2004;54:1469.\n"
HEADER = "taxon\trank\tncbi_taxid\ttrait\tvalue\tqualifier\tevidence\tsource\tnote\thost\tstrain_specific\teffect\n"
GOOD = ("Akkermansia muciniphila\tspecies\t\tmucin_degrader\t1\t\texperiment\tdoi:10.1099/ijs.0.02873-0\tnote\t"
        "in_vitro\tno\tgrows on mucin\n")


def call(name: str, trait: str, rank: str = "species") -> pd.Series | None:
    found = lookup(name, rank, traits=[trait])
    return None if found.empty else found.iloc[0]


def lineage(*ranks: str) -> str:
    prefixes = "kpcofgs"
    return "|".join(f"{p}__{n.replace(' ', '_')}" for p, n in zip(prefixes, ranks))


# --- the new fields --------------------------------------------------------------------


def test_every_curated_row_names_host_and_strain_specificity():
    facts = load_knowledge().facts
    curated = facts[facts["file"] == "curated.tsv"]
    assert len(curated) > 150
    assert curated["host"].isin(HOSTS).all()
    assert curated["strain_specific"].isin(["yes", "no"]).all()
    assert (curated["effect"] != "").all()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (GOOD.replace("\tin_vitro\t", "\t\t"), "no host"),
        (GOOD.replace("\tno\t", "\t\t"), "no strain_specific"),
        (GOOD.replace("\tin_vitro\t", "\tzebrafish\t"), "unknown host"),
        (GOOD.replace("\tno\t", "\tmaybe\t"), "must be yes or no"),
    ],
)
def test_a_table_with_evidence_columns_fills_them(row, message):
    with pytest.raises(DataTableError, match=message):
        read_facts(HEADER + row, "curated.tsv", read_bibliography(BIB))


def test_weights_table_is_complete_and_sourced_or_assumed():
    text = "factor\tlevel\tweight\tstatus\tsource\tnote\nevidence\texperiment\t1\tsourced\t\t\n"
    with pytest.raises(DataTableError, match=r"line 2, column 'source': no source: a row of evidence 'sourced' needs a doi: or pmid:"):
        read_evidence_weights(text)
    with pytest.raises(DataTableError, match="no weight for"):
        read_evidence_weights(text.replace("sourced", "assumed"))


# --- corrections ---------------------------------------------------------------------------


def test_escherichia_coli_is_not_a_b12_producer():
    """E. coli makes cobalamin only from cobinamide (Lawrence & Roth 1995)."""
    b12 = call("Escherichia coli", "vitamin_b12_synthesis")
    assert b12["value"] == 0
    assert b12["sources"] == "pmid:7592411"


def test_desulfovibrio_piger_is_a_sulfate_reducer():
    assert call("Desulfovibrio piger", "sulfate_reducer")["value"] == 1.0


def test_rikenellaceae_lps_rows_are_gone():
    facts = load_knowledge().facts
    assert facts[(facts["taxon"] == "Rikenellaceae") & facts["trait"].str.startswith("lps")].empty
    alistipes = lookup(lineage("Bacteria", "Bacteroidota", "Bacteroidia", "Bacteroidales", "Rikenellaceae", "Alistipes",
                               "Alistipes putredinis"), traits=["lps_tlr4_agonist"])
    assert alistipes.empty or "Rikenellaceae" not in set(alistipes["resolved_taxon"])


def test_klebsiella_pneumoniae_is_not_oral():
    oral = call("Klebsiella pneumoniae", "oral_taxon")
    assert oral is None or oral["value"] == 0


def test_nissle_1917_is_not_a_pathobiont_where_the_strain_is_named():
    assert call("Escherichia coli", "pathobiont")["value"] == 1.0
    nissle = lookup("Escherichia coli Nissle 1917", "strain", traits=["pathobiont", "enteric_pathogen", "probiotic"])
    values = dict(zip(nissle["trait"], nissle["value"]))
    assert values == {"pathobiont": 0.0, "enteric_pathogen": 0.0, "probiotic": 1.0}
    assert set(nissle["resolved_rank"]) == {"strain"}
    # The strain call counts in full: no strain-specificity discount where the strain is named.
    assert nissle.set_index("trait").at["probiotic", "weight"] == pytest.approx(0.8)


def test_prevotella_copri_carries_its_caveat():
    pro = call("Prevotella copri", "pro_inflammatory")
    assert "contradictory" in pro["qualifier"]
    assert "Tett 2019" in pro["qualifier"]
    assert pro["value"] < 1


def test_fusobacterium_varium_is_a_pathobiont():
    assert call("Fusobacterium varium", "pathobiont")["value"] == 1.0


# --- evidence counts in the weights ---------------------------------------------------------


def test_bifidobacterium_dentium_and_lactobacillus_iners_are_not_probiotic():
    """Genus rows said probiotic; B. dentium is an opportunistic cariogen (Ventura 2009), L. iners offers
    limited protection and may contribute to vaginal dysbiosis (Res Microbiol 2017)."""
    for name in ("Bifidobacterium dentium", "Lactobacillus iners"):
        probiotic = call(name, "probiotic")
        assert probiotic["resolved_rank"] == "species"
        assert probiotic["value"] == 0
    assert call("Bifidobacterium dentium", "oral_taxon")["value"] == 1


def test_genus_and_strain_extensions_of_probiotic_credit_weigh_little():
    for name in ("Bifidobacterium pseudocatenulatum", "Lactobacillus crispatus"):
        probiotic = call(name, "probiotic")
        assert probiotic["resolved_rank"] == "genus"
        assert probiotic["weight"] < 0.3


def test_family_level_treg_credit_from_a_mouse_mix_weighs_little():
    dorea = lookup(lineage("Bacteria", "Bacillota", "Clostridia", "Eubacteriales", "Lachnospiraceae", "Dorea",
                           "Dorea longicatena"), traits=["treg_induction"]).iloc[0]
    assert dorea["resolved_rank"] == "family"
    assert dorea["host"] == "mouse"
    assert dorea["weight"] == pytest.approx(1.0 * 0.4 * 0.6 * 0.5)


def test_phenotypes_conserved_at_genus_keep_full_weight():
    """Aerophilicity from a genus row is a phenotype of the genus, not an extrapolated immune effect."""
    row = lookup(lineage("Bacteria", "Verrucomicrobiota", "Verrucomicrobiae", "Verrucomicrobiales",
                         "Akkermansiaceae", "Akkermansia", "Akkermansia sp"), traits=["akkermansia"]).iloc[0]
    assert row["resolved_rank"] == "genus"
    assert row["weight"] == pytest.approx(1.0)


def test_trait_matrix_weighted_multiplies_values_by_weight():
    bif = "s__Bifidobacterium pseudocatenulatum"
    taxa = pd.DataFrame({"rank": ["species", "species"]}, index=[bif, "s__Escherichia coli"])
    matrix = trait_matrix(taxa, ["probiotic", "pathobiont", "vitamin_b12_synthesis"])
    weighted = matrix.weighted()
    assert weighted.loc[bif, "probiotic"] == pytest.approx(
        matrix.values.loc[bif, "probiotic"] * matrix.weight.loc[bif, "probiotic"])
    assert weighted.loc[bif, "probiotic"] < 0.3
    assert pd.isna(weighted.loc["s__Escherichia coli", "probiotic"])  # unknown stays unknown


def test_cross_feeding_credit_for_bifidobacteria_and_lactobacilli():
    assert call("Bifidobacterium adolescentis", "butyrate_crossfeeding")["resolved_rank"] == "species"
    longum = call("Bifidobacterium longum", "butyrate_crossfeeding")
    assert longum["value"] == 1
    assert longum["resolved_rank"] == "genus"
    assert call("Lactobacillus acidophilus", "butyrate_crossfeeding")["value"] == 1


# --- issue 12 item 2, branch kbfix8: an identifier confirmed -----------------------------

FOLATE_CULTIVATION_2003 = "doi:10.1128/aem.69.8.4542-4548.2003"


def test_lactococcus_lactis_folate_is_an_experiment_from_the_folate_screen_of_2003():
    # The 2003 screen of lactic acid bacteria (Appl Environ Microbiol 69:4542, abstract):
    # "Lactococcus lactis, Streptococcus thermophilus, and Leuconostoc spp. all produced
    # folate". The call read is that culture measurement, no longer only LeBlanc's review,
    # whose abstract names no species.
    folate = call("Lactococcus lactis", "vitamin_b9_synthesis")
    assert folate is not None
    assert folate["value"] == 1.0
    assert folate["evidence"] == "experiment"
    assert folate["sources"] == FOLATE_CULTIVATION_2003
    assert folate["host"] == "in_vitro"
    # the abstract says it of the species, not of chosen strains
    assert folate["strain_specific"] == "no"
    # the review's row stays, as the audit tables name it
    facts = load_knowledge().facts
    leblanc = facts[(facts["taxon"] == "Lactococcus lactis") & (facts["trait"] == "vitamin_b9_synthesis")
                    & (facts["source"] == "doi:10.1016/j.copbio.2012.08.005")]
    assert len(leblanc) == 1
