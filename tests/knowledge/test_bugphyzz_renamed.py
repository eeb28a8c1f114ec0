"""bugphyzz rows of renamed species (issue 12): the stool-genus filter reads
every name of a taxon, and the conflict rule of ``scripts/build_traits.py``
decides between bugphyzz calls that exclude each other (docs/knowledge-base.md,
"Renamed species and contradicting bugphyzz calls")."""

from __future__ import annotations

import pandas as pd
import pytest

from gutbalance.knowledge import load_knowledge, lookup
from gutbalance.taxonomy import canonical_name
from tests.helpers import claim_rows, import_script

build_traits = import_script("build_traits")

TMD = "doi:10.12688/gatesopenres.12772.1"
BAT = "doi:10.1038/s41597-020-0497-4"
PROTRAITS = "doi:10.1093/nar/gkw964"


def _bugphyzz_rows(taxon: str) -> pd.DataFrame:
    facts = load_knowledge().facts
    return facts[(facts["taxon"] == taxon) & facts["source"].isin([TMD, BAT, PROTRAITS])]


def test_a_renamed_species_passes_the_stool_genus_filter_under_its_former_genus():
    # Schaalia meyeri was Actinomyces meyeri; Actinomyces is a stool genus, Schaalia is not in the sets.
    assert build_traits.in_stool_genus("Schaalia meyeri", "species", {"Actinomyces"})
    assert build_traits.in_stool_genus("Lacticaseibacillus paracasei", "species", {"Lactobacillus"})
    assert not build_traits.in_stool_genus("Schaalia meyeri", "species", {"Bifidobacterium"})
    assert not build_traits.in_stool_genus("Lacticaseibacillus paracasei", "species", {"Lacticaseibacillus_x"})


def _claims(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """Rows of (taxon, trait, claim, curation) in the builder's frame layout."""
    return claim_rows(("taxon", "trait", "claim", "curation"), rows, rank="species", value=1.0, claim_group="oxygen")


def test_conflict_rule_high_curation_wins_and_otherwise_no_call_is_kept():
    frame = _claims([
        ("Tie", "obligate_anaerobe", "anaerobe", "medium"),
        ("Tie", "facultative_anaerobe", "tolerant", "medium"),
        ("Medium against low", "obligate_anaerobe", "anaerobe", "low"),
        ("Medium against low", "facultative_anaerobe", "tolerant", "medium"),
        ("High", "obligate_anaerobe", "anaerobe", "medium"),
        ("High", "facultative_anaerobe", "tolerant", "high"),
        ("Two high", "obligate_anaerobe", "anaerobe", "high"),
        ("Two high", "aerobe", "tolerant", "high"),
        ("Agreeing", "aerobe", "tolerant", "medium"),
        ("Agreeing", "facultative_anaerobe", "tolerant", "low"),
    ])
    kept, contested = build_traits.resolve_conflicts(frame)
    assert set(kept["taxon"]) == {"High", "Agreeing"}
    assert kept.loc[kept["taxon"] == "High", "trait"].tolist() == ["facultative_anaerobe"]
    assert len(kept[kept["taxon"] == "Agreeing"]) == 2  # aerobic next to facultative is no conflict
    assert contested == {(taxon, "species", "oxygen"): "anaerobe, tolerant"
                         for taxon in ("Tie", "Medium against low", "Two high")}


def test_a_source_saying_an_attribute_both_ways_makes_no_call():
    table = pd.DataFrame({
        "Taxon_name": ["Veillonella parvula", "Veillonella parvula", "Veillonella parvula"],
        "Attribute": ["gram stain positive", "gram stain positive", "gram stain negative"],
        "Attribute_value": [True, False, True],
        "Attribute_source": ["ProTraits", "ProTraits", "The Microbe Directory"],
    })
    assert build_traits.said_both_ways(table).tolist() == [True, True, False]


def test_returned_rows_of_renamed_species_are_in_the_knowledge_base():
    meyeri = _bugphyzz_rows("Schaalia meyeri")
    # bacteria-archaea-traits' "anaerobic": an anaerobe, neither facultative
    # nor aerobic, with no strict-anaerobe call (test_bugphyzz_oxygen.py).
    assert meyeri.loc[meyeri["trait"] == "facultative_anaerobe", "value"].tolist() == [0.0]
    acnes = _bugphyzz_rows("Cutibacterium acnes")
    assert acnes.loc[acnes["trait"] == "gram_negative", "value"].tolist() == [0.0]
    brevis = _bugphyzz_rows("Levilactobacillus brevis")
    assert brevis.loc[brevis["trait"] == "facultative_anaerobe", "value"].tolist() == [1.0]


def test_contested_calls_of_lacticaseibacillus_paracasei_are_left_out():
    # The Microbe Directory's "animal pathogen" (low curation) against its own COGEM class 1
    # (no known risk to humans or animals, low), and bacteria-archaea-traits' "anaerobic"
    # against ProTraits' "facultatively anaerobic" (both medium): no call of either group.
    paracasei = _bugphyzz_rows("Lacticaseibacillus paracasei")
    assert not paracasei.empty  # the Gram stain call came back
    assert not set(paracasei["trait"]) & {"obligate_anaerobe", "facultative_anaerobe", "aerobe", "pathogen",
                                          "pathogenicity_class"}


def test_gleimia_europaea_holds_the_rows_of_actinomyces_europaeus():
    # Synonym table 2026.11.4: one species under one name, bugphyzz and Braccia rows together.
    assert canonical_name("species", "Actinomyces europaeus") == "Gleimia europaea"
    assert set(_bugphyzz_rows("Gleimia europaea")["trait"]) == {"gram_negative", "pathogen", "pathogenicity_class"}
    assert _bugphyzz_rows("Actinomyces europaeus").empty
    calls = lookup("Actinomyces europaeus", traits=["gram_negative", "h2s_producer"])
    assert set(calls.loc[calls["resolved_rank"] == "species", "trait"]) == {"gram_negative", "h2s_producer"}


@pytest.mark.shared
def test_build_script_reproduces_the_committed_bugphyzz_table(shared_data, tmp_path, monkeypatch):
    monkeypatch.setattr(build_traits, "ROOT", tmp_path)  # write() prints paths relative to ROOT
    out = tmp_path / "bugphyzz.tsv"
    build_traits.write(build_traits.build_bugphyzz(shared_data), out, ["x"])
    committed = (build_traits.OUT / "bugphyzz.tsv").read_text().splitlines()
    assert [line for line in committed if not line.startswith("#")] == \
        [line for line in out.read_text().splitlines() if not line.startswith("#")]
