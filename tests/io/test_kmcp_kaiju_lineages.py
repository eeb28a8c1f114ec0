"""KMCP's ``taxpath`` and kaiju2table's ``-p``/``-l``/``-e`` lineages of names
(io/formats/kmcp.py, kaiju.py, io/one_rank.py path_lineage).

The fixtures are typed here in the layout of KMCP's own demo profile
(shenwei356/kmcp demo-profiling/mock.kmcp.gz.kmcp.profile: ``taxpath`` the
names, ``taxpathsn`` their taxids) and of kaiju2table's output as its source
writes it (src/kaiju2table.cpp: ``-l`` prints each listed rank, ``NA`` where
missing, each followed by ``;``; ``-p`` every node below the root); no public
file is copied.
"""


import pytest

import gutbalance
from gutbalance.errors import FormatError, GutBalanceWarning
from gutbalance.io import read_source
from gutbalance.io.one_rank import path_lineage
from gutbalance.io.source import Source

KMCP_HEADER = ("ref\tpercentage\tcoverage\tscore\tchunksFrac\tchunksRelDepth\tchunksRelDepthStd\treads\tureads\t"
               "hicureads\trefsize\trefname\ttaxid\trank\ttaxname\ttaxpath\ttaxpathsn\n")
LACHNO = "Bacteria;Bacillota;Clostridia;Eubacteriales;Lachnospiraceae"


def _kmcp(rows) -> str:
    """rows: (ref, percentage, taxid, rank, taxname, taxpath)."""
    return KMCP_HEADER + "".join(
        f"{ref}\t{p:.6f}\t1.86\t100.00\t1.00\t1.04;0.90;1.03\t0.06\t60952\t27831\t15850\t4903501\t\t{t}\t{rank}\t"
        f"{name}\t{path}\t{';'.join(str(1000 + i) for i in range(len(path.split(';'))) if path)}\n"
        for ref, p, t, rank, name, path in rows)


def _ids(lineage) -> list[str]:
    return [t.id for t in lineage]


def _profile(text: str, name: str):
    (profile,) = read_source(Source.from_bytes(text.encode(), name))
    return profile


# --- path_lineage ----------------------------------------------------------------------


def test_a_path_with_one_name_per_rank_takes_the_ranks_by_position():
    path = f"{LACHNO};Novogenus;Novogenus faecis".split(";")
    assert _ids(path_lineage(path, "species", "Novogenus faecis")) == [
        "k__Bacteria", "p__Bacillota", "c__Clostridia", "o__Eubacteriales", "f__Lachnospiraceae", "g__Novogenus",
        "s__Novogenus faecis"]


def test_a_path_missing_a_rank_keeps_only_the_names_the_lineage_table_knows():
    # no class, and an unranked group where the class would be: by position
    # Eubacteriales would be a class, which the lineage table says it is not
    path = ["Bacteria", "Bacillota", "Eubacteriales", "Lachnospiraceae", "Novogenus group", "Novogenus", "Novogenus faecis"]
    assert _ids(path_lineage(path, "species", "Novogenus faecis")) == [
        "k__Bacteria", "p__Bacillota", "o__Eubacteriales", "f__Lachnospiraceae", "g__Novogenus",
        "s__Novogenus faecis"]
    # NCBI's newer taxdump calls Bacteria a domain, which KMCP's default --show-rank leaves out
    path = ["Bacillota", "Clostridia", "Eubacteriales", "Lachnospiraceae", "Novogenus", "Novogenus faecis"]
    assert _ids(path_lineage(path, "species", "Novogenus faecis"))[:2] == ["p__Bacillota", "c__Clostridia"]


def test_a_rankless_row_is_its_path_clade_and_nothing_placed_is_empty():
    path = f"{LACHNO};Blautia;Blautia obeum".split(";")
    assert _ids(path_lineage(path, None, "Blautia obeum ATCC 29174"))[-1] == "s__Blautia obeum"
    assert path_lineage(["", "NA"], None, "SARS-CoV-2") == ()
    # a rankless name the lineage table knows at one rank is read at that rank
    assert _ids(path_lineage([""], None, "Blautia")) == ["g__Blautia"]


# --- KMCP ------------------------------------------------------------------------------


def test_kmcp_taxpath_places_a_species_the_lineage_table_does_not_know(tmp_path):
    rows = [("GCF_1", 60.0, "101", "species", "Blautia obeum", f"{LACHNO};Blautia;Blautia obeum"),
            ("GCF_2", 40.0, "102", "species", "Novogenus faecis", f"{LACHNO};Novogenus;Novogenus faecis")]
    path = tmp_path / "S1.k.profile"
    path.write_text(_kmcp(rows))
    cohort = gutbalance.read(path)
    assert cohort.at_rank("family").loc["S1", "f__Lachnospiraceae"] == pytest.approx(1.0, abs=1e-12)
    # a taxon the lineage table does not know is keyed by the parents the profile gave it
    assert cohort.at_rank("genus").loc["S1", "f__Lachnospiraceae|g__Novogenus"] == pytest.approx(0.4, abs=1e-12)
    # without the taxpath the unknown genus hangs nowhere: the family has only Blautia
    path.write_text(_kmcp([(*r[:5], "") for r in rows]))
    bare = gutbalance.read(path)
    assert bare.at_rank("family").loc["S1", "f__Lachnospiraceae"] == pytest.approx(0.6, abs=1e-12)
    # a known species gets the same clade either way
    assert bare.at_rank("species").loc["S1", "s__Blautia obeum"] == cohort.at_rank("species").loc[
        "S1", "s__Blautia obeum"]


def test_kmcp_rankless_reference_counts_under_its_taxpath_with_a_warning():
    text = _kmcp([("GCF_1", 70.0, "101", "species", "Blautia obeum", f"{LACHNO};Blautia;Blautia obeum"),
                  ("GCF_2", 30.0, "103", "no rank", "Blautia obeum ATCC 29174",
                   f"{LACHNO};Blautia;Blautia obeum")])
    with pytest.warns(GutBalanceWarning, match=r"1 reference\(s\) of no standard rank.*line 3 'Blautia obeum "
                                               r"ATCC 29174' \(no rank\) as s__Blautia obeum"):
        profile = _profile(text, "S1.k.profile")
    assert _ids(profile.lineages[0])[-1] == "s__Blautia obeum"
    assert profile.abundance == [pytest.approx(1.0, abs=1e-12)]


def test_kmcp_rankless_name_without_a_placing_taxpath_is_still_refused():
    text = _kmcp([("test_1", 100.0, "2697049", "", "SARS-CoV-2", "")])
    with pytest.raises(FormatError, match=r"line 2, field 'rank'.*no rank and no taxpath that places it"):
        _profile(text, "S1.k.profile")


def test_kmcp_demo_layout_species_read_as_before(tmp_path):
    """KMCP's demo rows (NCBI names under taxonkit's GTDB-style taxids): the
    species and their abundances are the taxname/rank reading's."""
    path_of = {"Escherichia coli": "Escherichia", "Salmonella enterica": "Salmonella",
               "Klebsiella pneumoniae": "Klebsiella"}
    entero = "Bacteria;Pseudomonadota;Gammaproteobacteria;Enterobacterales;Enterobacteriaceae"
    rows = [(f"GCF_{i}", p, str(599451526 + i), "species", name, f"{entero};{path_of[name]};{name}")
            for i, (name, p) in enumerate([("Escherichia coli", 40.0), ("Salmonella enterica", 35.0),
                                           ("Klebsiella pneumoniae", 25.0)])]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "S1.k.profile").write_text(_kmcp(rows))
    (tmp_path / "b" / "S1.k.profile").write_text(_kmcp([(*r[:5], "") for r in rows]))
    with_path, bare = gutbalance.read(tmp_path / "a" / "S1.k.profile"), gutbalance.read(tmp_path / "b" / "S1.k.profile")
    for rank in ("phylum", "family", "genus", "species"):
        a, b = with_path.at_rank(rank), bare.at_rank(rank)
        assert sorted(a.columns[a.iloc[0] > 0]) == sorted(b.columns[b.iloc[0] > 0]), rank
        for key in a.columns[a.iloc[0] > 0]:
            assert a.iloc[0][key] == pytest.approx(b.iloc[0][key], abs=1e-12), key


# --- Kaiju -----------------------------------------------------------------------------


def _kaiju(rows, file="S1.kaiju.out") -> str:
    total = sum(n for *_, n in rows)
    body = "".join(f"{file}\t{100 * n / total:.6f}\t{n}\t{t}\t{name}\n" for name, t, n in rows)
    return "file\tpercent\treads\ttaxon_id\ttaxon_name\n" + body


UNASSIGNED = [("cannot be assigned to a (non-viral) genus", "NA", 100), ("unclassified", "NA", 200)]


def test_kaiju_l_lineages_with_na_place_a_genus_the_lineage_table_does_not_know():
    # -l superkingdom,phylum,class,order,family,genus,species at -r genus: the species slot is NA
    rows = [(f"{LACHNO};Blautia;NA;", "572511", 500), (f"{LACHNO};Novogenus;NA;", "999999", 200), *UNASSIGNED]
    profile = _profile(_kaiju(rows), "S1.kaiju.txt")
    assert _ids(profile.lineages[1]) == ["k__Bacteria", "p__Bacillota", "c__Clostridia", "o__Eubacteriales",
                                         "f__Lachnospiraceae", "g__Novogenus"]
    assert profile.counts == [500.0, 200.0]


def test_kaiju_p_full_paths_drop_the_unranked_groups():
    rows = [("cellular organisms;Bacteria;Terrabacteria group;Bacillota;Clostridia;Eubacteriales;"
             "Lachnospiraceae;Novogenus;", "999999", 700), *UNASSIGNED]
    profile = _profile(_kaiju(rows), "S1.kaiju.txt")
    assert _ids(profile.lineages[0]) == ["k__Bacteria", "p__Bacillota", "c__Clostridia", "o__Eubacteriales",
                                         "f__Lachnospiraceae", "g__Novogenus"]


def test_kaiju_e_viruses_are_not_read_at_the_tables_rank():
    # -e -p at -r genus: a viral species is a row of its own, not a genus
    rows = [(f"{LACHNO};Blautia;", "572511", 500),
            ("Viruses;Duplodnaviria;Heunggongvirae;Uroviricota;Caudoviricetes;Novovirus faecis;", "1", 50),
            *UNASSIGNED]
    profile = _profile(_kaiju(rows), "S1.kaiju.txt")
    assert _ids(profile.lineages[1]) == ["k__Viruses"]
    assert not any(t.rank == "genus" for t in profile.lineages[1])


def test_kmcp_row_with_a_column_left_out_in_the_middle_says_so():
    # taxpasta's invalid profile: coverage left out, so refsize reads the empty refname
    text = KMCP_HEADER + "test_1\t100.000000\t83.97\t1.00\t1.00\t0.00\t114\t114\t25\t13897\t\t2697049\t\tSARS-CoV-2\n"
    with pytest.raises(FormatError, match=r"line 2, field 'refsize'.*14 of the header's 17 columns: one left out"):
        _profile(text, "S1.k.profile")


def test_kaiju_two_outputs_of_one_sample_name_are_refused_not_merged():
    rows = [(f"{LACHNO};Blautia;NA;", "572511", 500), *UNASSIGNED]
    text = _kaiju(rows, "run1/S1.kaiju.out") + _kaiju(rows, "run2/S1.kaiju.out").split("\n", 1)[1]
    with pytest.raises(FormatError, match=r"line 5, field 'file': 'run2/S1.kaiju.out' and 'run1/S1.kaiju.out' "
                                          r"\(line 2\) are both sample 'S1'"):
        _profile(text, "both.kaiju.txt")
