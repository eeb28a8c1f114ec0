"""One organism, two names: a profile named the MetaPhlAn way and one named the
GTDB / current way must get the same traits and the same scores (synonym table
2026.11.2, issue 12 item 2). One case per kind of rename."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from gutbalance.errors import TaxonomyError
from gutbalance.knowledge import TRAITS, lookup, trait_matrix
from gutbalance.taxonomy import canonical_name, synonym_table
from gutbalance.taxonomy.synonyms import _parse
from tests.helpers import SMALL_COMMUNITY, make_cohort, scored

MPA = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales"
GTDB_LACHNO = "d__Bacteria;p__Firmicutes_A;c__Clostridia;o__Lachnospirales;f__Lachnospiraceae"
GTDB_ERYSIPELO = "d__Bacteria;p__Firmicutes;c__Bacilli;o__Erysipelotrichales;f__Erysipelotrichaceae"

# (kind, name as an older profiler writes it, the same organism as GTDB or a
# current profiler writes it, the canonical name both must reach)
CASES = [
    ("Eubacterium moved to an existing genus (MetaPhlAn 2/3 vs GTDB)",
     f"{MPA}|f__Eubacteriaceae|g__Eubacterium|s__Eubacterium_eligens",
     f"{GTDB_LACHNO};g__Lachnospira;s__Lachnospira eligens", "Lachnospira eligens"),
    ("Eubacterium moved to a new genus, epithet ending changed (MetaPhlAn 2 vs MetaPhlAn 3)",
     "k__Bacteria|p__Firmicutes|c__Erysipelotrichia|o__Erysipelotrichales|f__Erysipelotrichaceae"
     "|g__Erysipelotrichaceae_noname|s__Eubacterium_biforme",
     f"{GTDB_ERYSIPELO};g__Holdemanella;s__Holdemanella biformis", "Holdemanella biformis"),
    ("Clostridium split into new genera (Haas & Blanchard 2020)",
     f"{MPA}|f__Lachnospiraceae|g__Clostridium|s__Clostridium_lavalense",
     f"{GTDB_LACHNO};g__Enterocloster;s__Enterocloster lavalensis", "Enterocloster lavalensis"),
    ("Clostridium split into new genera (Gerritsen 2014)",
     f"{MPA}|f__Peptostreptococcaceae|g__Peptostreptococcaceae_noname|s__Clostridium_bartlettii",
     "d__Bacteria;p__Firmicutes_A;c__Clostridia;o__Peptostreptococcales;f__Peptostreptococcaceae"
     ";g__Intestinibacter;s__Intestinibacter bartlettii", "Intestinibacter bartlettii"),
    ("Ruminococcus moved to Blautia",
     f"{MPA}|f__Lachnospiraceae|g__Blautia|s__Ruminococcus_obeum",
     f"{GTDB_LACHNO};g__Blautia_A;s__Blautia_A obeum", "Blautia obeum"),
    ("GTDB's interim genus vs the validly published one",
     f"{GTDB_ERYSIPELO};g__Erysipelatoclostridium;s__Erysipelatoclostridium spiroforme",
     f"{GTDB_ERYSIPELO};g__Thomasclavelia;s__Thomasclavelia spiroformis", "Thomasclavelia spiroformis"),
    ("a combination effectively but not validly published (MetaPhlAn 3 Absiella)",
     "k__Bacteria|p__Firmicutes|c__Erysipelotrichia|o__Erysipelotrichales|f__Erysipelotrichaceae"
     "|g__Absiella|s__Absiella_dolichum",
     f"{GTDB_ERYSIPELO};g__Amedibacillus;s__Amedibacillus dolichus", "Amedibacillus dolichus"),
    ("Actinobacteria genus split (Nouioui 2018)",
     "k__Bacteria|p__Actinobacteria|c__Coriobacteriia|o__Coriobacteriales|f__Atopobiaceae|g__Atopobium"
     "|s__Atopobium_parvulum",
     "d__Bacteria;p__Actinobacteriota;c__Coriobacteriia;o__Coriobacteriales;f__Atopobiaceae"
     ";g__Lancefieldella;s__Lancefieldella parvula", "Lancefieldella parvula"),
    ("Actinomyces species moved to Schaalia (Nouioui 2018; synonym table 2026.11.3)",
     "k__Bacteria|p__Actinobacteria|c__Actinobacteria|o__Actinomycetales|f__Actinomycetaceae|g__Actinomyces"
     "|s__Actinomyces_odontolyticus",
     "d__Bacteria;p__Actinobacteriota;c__Actinomycetia;o__Actinomycetales;f__Actinomycetaceae"
     ";g__Schaalia;s__Schaalia odontolytica", "Schaalia odontolytica"),
    ("an illegitimate genus replaced (Tindall 2019; synonym table 2026.11.3)",
     "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Ruminococcaceae|g__Ruminiclostridium"
     "|s__Ruminiclostridium_thermocellum",
     "d__Bacteria;p__Firmicutes_A;c__Clostridia;o__Acetivibrionales;f__Acetivibrionaceae;g__Acetivibrio"
     ";s__Acetivibrio thermocellus", "Acetivibrio thermocellus"),
    ("Lactobacillus split (Zheng 2020)",
     "k__Bacteria|p__Firmicutes|c__Bacilli|o__Lactobacillales|f__Lactobacillaceae|g__Lactobacillus"
     "|s__Lactobacillus_reuteri",
     "d__Bacteria;p__Firmicutes;c__Bacilli;o__Lactobacillales;f__Lactobacillaceae;g__Limosilactobacillus"
     ";s__Limosilactobacillus reuteri", "Limosilactobacillus reuteri"),
]
IDS = [c[3] for c in CASES]


def _community(lineage: str) -> dict[str, float]:
    base = {k: v * 0.9 for k, v in SMALL_COMMUNITY.items()}
    base[lineage] = 10.0
    return base


@pytest.mark.parametrize(("kind", "old", "new", "canonical"), CASES, ids=IDS)
def test_both_names_reach_one_canonical_name(kind, old, new, canonical):
    assert canonical_name("species", old.rsplit("s__", 1)[1]) == canonical
    assert canonical_name("species", new.rsplit("s__", 1)[1]) == canonical


@pytest.mark.parametrize(("kind", "old", "new", "canonical"), CASES, ids=IDS)
def test_same_traits_and_same_scores_under_either_name(kind, old, new, canonical):
    cohorts = [make_cohort({"s": _community(lineage)}) for lineage in (old, new)]
    traits = sorted(TRAITS)
    rows = []
    for cohort in cohorts:
        _, taxa = cohort.rank_matrix("species")
        assert f"s__{canonical}" in taxa.index, kind
        tm = trait_matrix(taxa, traits)
        rows.append((tm.values.loc[f"s__{canonical}"], tm.resolved_rank.loc[f"s__{canonical}"]))
    pd.testing.assert_series_equal(rows[0][0], rows[1][0])
    pd.testing.assert_series_equal(rows[0][1], rows[1][1])
    # the organism has some sourced fact at species or genus level, or the test would not test much
    assert rows[0][0].notna().any(), kind
    a, b = (scored(c) for c in cohorts)
    pillars = ["training", "homeostasis", "nutrients", "barrier", "defense", "immune_support"]
    np.testing.assert_allclose(a[pillars].to_numpy(float), b[pillars].to_numpy(float), rtol=0, atol=1e-12)
    numeric = a.select_dtypes("number").columns
    pd.testing.assert_frame_equal(a[numeric], b[numeric], check_exact=False, atol=1e-12, rtol=0)


def test_one_organism_gets_the_facts_of_every_table_that_names_it():
    # bugphyzz (NCBI era) names it Eubacterium eligens, Braccia 2021 (GTDB)
    # Lachnospira eligens: both sets of facts now sit on one taxon.
    calls = lookup("s__Eubacterium_eligens").set_index("trait")
    assert calls.loc["asnicar_favourable", "sources"] == "doi:10.1038/s41591-020-01183-8"
    assert calls.loc["h2s_producer", "sources"] == "doi:10.3389/fmicb.2021.705583"
    assert (calls["resolved_rank"] == "species").loc[["asnicar_favourable", "h2s_producer"]].all()
    gtdb = lookup("Lachnospira eligens").set_index("trait")
    pd.testing.assert_frame_equal(calls.drop(columns="query", errors="ignore"),
                                  gtdb.drop(columns="query", errors="ignore"))


def test_every_row_cites_a_publication_and_the_version_moved():
    table = synonym_table()
    assert table.version >= "2026.11.3"
    assert all(row.source.startswith(("doi:", "pmid:")) for row in table.rows)
    # canonical names are themselves current: no chain of renames
    mapping = table.mapping()
    assert not [row for row in table.rows if (row.rank, row.canonical) in mapping]


# Crossref DOI syntax ("10.", a 4-9 digit registrant, "/", a suffix) or a PubMed id,
# written out here rather than imported so the loader's own pattern is under test.
_CITATION = re.compile(r"doi:10\.[0-9]{4,9}/[^\s/][^\s]*|pmid:[1-9][0-9]*")


def test_every_source_is_a_doi_or_pmid_a_reader_can_resolve():
    table = synonym_table()
    bad = [(row.rank, row.name, row.source) for row in table.rows if not _CITATION.fullmatch(row.source)]
    assert not bad, bad
    assert all(row.note for row in table.rows), "every row names the publication in its note"


@pytest.mark.parametrize("source", ["", "doi:", "pmid:", "doi:10.1099", "https://doi.org/10.1099/ijsem.0.005056",
                                    "doi: 10.1099/ijsem.0.005056", "PMID 34020714", "pmid:0"])
def test_a_row_whose_source_is_not_a_citation_is_refused(source):
    text = ("# version: test\nrank\tname\tcanonical\tsource\tnote\n"
            f"species\tRuminococcus obeum\tBlautia obeum\t{source}\tnote\n")
    with pytest.raises(TaxonomyError, match=r"synonyms-test: row 2: source"):
        _parse(text, "synonyms-test")


def test_a_doi_or_pmid_source_is_accepted():
    text = ("# version: test\nrank\tname\tcanonical\tsource\tnote\n"
            "species\tRuminococcus obeum\tBlautia obeum\tdoi:10.1099/ijs.0.000015\tLawson & Finegold 2015\n"
            "species\tEubacterium eligens\tLachnospira eligens\tpmid:34020714\tLiu et al. 2021\n")
    table = _parse(text, "synonyms-test")
    assert [row.source for row in table.rows] == ["doi:10.1099/ijs.0.000015", "pmid:34020714"]


def test_a_row_either_names_the_record_that_checked_it_or_says_none_was_found():
    # Second audit of the synonym citations (2026-11-27): every row added since
    # names the record that gave its DOI; rows still unchecked say they were
    # searched for again.
    rows = synonym_table().rows
    added = [r for r in rows if r.canonical.split(" ")[0] in ("Schaalia", "Acetivibrio")]
    assert len(added) >= 8
    assert all("checked" in r.note for r in added)
    unchecked = [r for r in rows if "DOI not checked against a record offline" in r.note]
    assert all("searched again in the second" in r.note for r in unchecked)


def test_the_third_audit_says_what_it_found_for_each_citation_it_searched():
    # Third audit (2026-11-27): Togo 2018, Lawson 2023, Lawson & Finegold 2015,
    # Gerritsen 2014 and Yassin 2015 searched again by title, DOI and authority
    # string; only Togo's authorship was found (an LPSN record), not any DOI.
    rows = {r.canonical: r for r in synonym_table().rows}
    searched = ["Mediterraneibacter gnavus", "Mediterraneibacter torques", "Thomasclavelia ramosa",
                "Blautia obeum", "Intestinibacter bartlettii", "Terrisporobacter glycolicus", "Actinotignum schaalii"]
    for name in searched:
        assert "searched again in the second and third audits" in rows[name].note, name
        assert "DOI not checked against a record offline" in rows[name].note, name
    assert "Mediterraneibacter Togo et al. 2019" in rows["Mediterraneibacter gnavus"].note
    # Nouioui 2018: the current name Winkia neuii confirmed by a 2024 review, the proposal still assumed
    assert "doi:10.1080/20002297.2024.2354148" in rows["Winkia neuii"].note
    assert "assumed, not read" in rows["Winkia neuii"].note
    for name in ("Lancefieldella parvula", "Lancefieldella rimae", "Fannyhessea vaginae"):
        assert "third audit" in rows[name].note, name


def test_oral_schaalia_keeps_its_oral_call_under_its_old_name():
    # the curated oral_taxon row (Schmidt 2019) moved to the current name
    for name in ("Actinomyces odontolyticus", "Schaalia odontolytica"):
        calls = lookup(name).set_index("trait")
        assert calls.loc["oral_taxon", "value"] == 1
        assert calls.loc["oral_taxon", "resolved_taxon"] == "Schaalia odontolytica"
