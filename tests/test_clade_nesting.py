"""clade_nesting.written_twice: which rows of a profile are set aside
because a clade above the species is written under two parent lineages
(MetaPhlAn 4's mpa_vOct22), and which never are."""

from __future__ import annotations

from gutbalance.clade_nesting import written_twice
from gutbalance.taxonomy import parse_lineage


def _lineages(*clades: str):
    return [parse_lineage(clade) for clade in clades]


def test_a_consistent_profile_sets_nothing_aside():
    rows = _lineages("k__Bacteria", "k__Bacteria|p__Firmicutes", "k__Bacteria|p__Firmicutes|c__Clostridia",
                     "k__Bacteria|p__Firmicutes|c__Clostridia|o__Eubacteriales")
    assert written_twice(rows) == ([], [])


def test_gtdb_suffixes_are_different_clades_as_written():
    # p__Firmicutes and p__Firmicutes_A are one id in gutbalance, two clades of a sylph profile.
    rows = _lineages("d__Bacteria", "d__Bacteria|p__Firmicutes", "d__Bacteria|p__Firmicutes_A",
                     "d__Bacteria|p__Firmicutes|c__Bacilli", "d__Bacteria|p__Firmicutes_A|c__Clostridia")
    assert written_twice(rows) == ([], [])


def test_the_rows_through_a_clade_written_twice_are_set_aside_but_never_a_species():
    rows = _lineages(
        "k__Bacteria",
        "k__Bacteria|p__Proteobacteria",
        "k__Bacteria|p__Firmicutes",
        "k__Bacteria|p__Proteobacteria|c__CFGB3069",
        "k__Bacteria|p__Proteobacteria|c__CFGB3069|o__OFGB3069",
        "k__Bacteria|p__Firmicutes|c__CFGB3069|o__OFGB3069|f__FGB3069|g__GGB9770|s__GGB9770_SGB15390",
        "k__Bacteria|p__Firmicutes|c__CFGB3069|o__OFGB3069|f__FGB3069|g__GGB9770|s__GGB9770_SGB15390|t__SGB15390",
    )
    aside, named = written_twice(rows)
    assert aside == [3, 4]
    assert named[0] == ("c__CFGB3069", ["k__Bacteria|p__Proteobacteria", "k__Bacteria|p__Firmicutes"])
    assert [name for name, _ in named] == ["c__CFGB3069", "o__OFGB3069"]  # f__ and g__ only under p__Firmicutes


def test_a_genus_written_whole_under_two_families_is_set_aside_with_its_rows_above_the_species():
    # g__Lawsonibacter in the TUDCA table: under Clostridiales_unclassified and Eubacteriales_unclassified.
    a = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Clostridiales_unclassified"
    b = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Eubacteriales|f__Eubacteriales_unclassified"
    rows = _lineages(f"{a}|g__Lawsonibacter", f"{a}|g__Lawsonibacter|s__Lawsonibacter_asaccharolyticus",
                     f"{b}|g__Lawsonibacter", f"{b}|g__Lawsonibacter|s__Lawsonibacter_sp_NSJ_51")
    aside, named = written_twice(rows)
    assert aside == [0, 2]
    assert named == [("g__Lawsonibacter", [a, b])]
