"""Kraken 2 / Bracken results as other labs save them, typed in the shapes of
public files tried on 2026-11-28 (docs/tried-on-public-data.md):

* a species list cut from a Kraken 2 report (``Species,Relative_Abundance``,
  yamunanunavath/CRC-Project's ``species_abundance_cleaned.csv``): NCBI names
  its virus species ``Mosigvirus JS09``, ``Lausannevirus``,
  ``BtRf-AlphaCoV/YN2012``; the whole table was refused as holding "SILVA's
  name of a genus" or "one word";
* kraken-biom's table with one column per rank (isaacracine/MMG232IntroToR's
  ``T1D_bracken_output.csv``: ``Bacteria, Cyanobacteria, , Synechococcales``,
  NCBI having no class there, and phages with no genus): the lineage stopped
  at the gap, so species became their phylum (refused as a repeated taxon,
  or read wrong where one row had the gap);
* the same table as phyloseq's ``otu_table`` and ``tax_table`` written with
  ``write.csv`` (``T1D_counts.csv`` + ``T1D_taxonomy.csv``, whose last
  column ``OTU`` repeats the row's taxid): the taxonomy was scored as a
  sample named ``OTU`` whose abundances were the taxids;
* MetaPhlAn 2's species-only merged table with ``C2likevirus_unclassified``;
* a merged MetaPhlAn table saved without its final newline.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gutbalance
from gutbalance.errors import FormatError, GutBalanceError, GutBalanceWarning, TaxonomyError
from gutbalance.io.feature_table import label_lineage, names_virus, silva_genus_label
from gutbalance.io.taxonomy_file import parse_rank_table, taxonomy_file_kind

NCBI_VIRUSES = ["Mosigvirus JS09", "Caeruleovirus Bc431", "Cyanophage PSS2", "Plasmid R46",
                "Microviridae IME-16", "Gokushovirinae GAIR4", "Picornavirales Bu-3",
                "Escherichia Stx1 converting phage", "Newbury 1 virus"]
ONE_WORD_VIRUSES = ["Lausannevirus", "Melbournevirus", "BtRf-AlphaCoV/YN2012"]


@pytest.mark.parametrize("name", NCBI_VIRUSES)
def test_ncbi_virus_phage_and_plasmid_species_are_not_silva_genus_labels(name):
    assert not silva_genus_label(name)
    (found,) = label_lineage(name, declared="species")
    assert (found.rank, found.name) == ("species", name)


@pytest.mark.parametrize("name", ONE_WORD_VIRUSES)
def test_a_one_word_virus_is_a_species_name(name):
    assert names_virus(name)
    (found,) = label_lineage(name, declared="species")
    assert found.rank == "species"


def test_a_kraken_biom_tsv_of_taxids_says_where_the_names_are(tmp_path):
    # yamunanunavath/CRC-Project's kraken2_profile.tsv (kraken-biom --fmt tsv)
    path = tmp_path / "kraken2_profile.tsv"
    path.write_text("# Constructed from biom file\n#OTU ID\tkraken2_report\n3085636\t10786.0\n186803\t568946.0\n")
    with pytest.raises(FormatError, match=r"'3085636' is a feature id .*NCBI taxids: kraken-biom's BIOM or JSON"):
        gutbalance.read(path)
    with pytest.raises(TaxonomyError) as info:
        label_lineage("a1b2c3d4e5f60718293a4b5c6d7e8f90")  # an ASV hash: no word of taxids
    assert "taxid" not in str(info.value)


def test_a_bacterium_with_a_slash_in_its_strain_is_no_virus():
    assert not names_virus("Ruminococcus sp. SR1/5")
    assert not names_virus("Coprococcus sp. ART55/1")


@pytest.mark.parametrize("label", ["Prevotella_9", "Lachnospiraceae_NK4A136_group", "Clostridium sensu stricto 1",
                                   "Lachnospiraceae UCG-004"])
def test_silva_genus_labels_are_still_refused_as_species(label):
    assert silva_genus_label(label)
    assert not names_virus(label)
    with pytest.raises(TaxonomyError, match="SILVA's name of a genus, not a species name"):
        label_lineage(label, declared="species")
    with pytest.raises(TaxonomyError, match="'Bacteroides' is one word"):
        label_lineage("Bacteroides", declared="species")


def test_a_kraken_species_list_with_virus_names_is_read(tmp_path):
    path = tmp_path / "species_abundance_cleaned.csv"
    path.write_text("Species,Relative_Abundance\nFaecalibacterium prausnitzii,0.1074\n"
                    "Mediterraneibacter gnavus,0.0575\nMosigvirus JS09,0\nLausannevirus,0.0001\n"
                    '"Pseudomonas sp. 2,4-D",0\nBtRf-AlphaCoV/YN2012,0\n')
    with pytest.warns(GutBalanceWarning, match="add up to 16.50 % instead of 100 %"):  # species of a Kraken report
        cohort = gutbalance.read(path)
    species = cohort.at_rank("species")
    assert species.loc["Relative_Abundance", "s__Faecalibacterium prausnitzii"] == pytest.approx(0.1074)
    assert species.loc["Relative_Abundance", "s__Lausannevirus"] == pytest.approx(0.0001)


def test_metaphlan2_phage_genus_with_digits_is_a_species_placeholder(tmp_path):
    path = tmp_path / "merged_abundance_table_species.tsv"
    path.write_text("ID\tG1_metaphlan_bugs_list\tG2_metaphlan_bugs_list\n"
                    "Bifidobacterium_adolescentis\t60.0\t10.0\nGranulicella_unclassified\t0.0\t0.5\n"
                    "C2likevirus_unclassified\t0.2\t0.0\nBacteroides_fragilis\t39.8\t89.5\n")
    cohort = gutbalance.read(path)
    assert cohort.at_rank("species").loc["G1_metaphlan_bugs_list", "s__Bifidobacterium adolescentis"] == \
        pytest.approx(0.6)
    (found,) = label_lineage("C2likevirus_unclassified")
    assert (found.rank, found.unclassified) == ("species", True)


# kraken-biom's table as the course wrote it: ranks after the samples, ', '-separated
KRAKEN_BIOM_RANKS = (
    "OTU,G1,G2,Kingdom,Phylum,Class,Order,Family,Genus,Species\n"
    "28116,600,100,Bacteria, Bacteroidetes, Bacteroidia, Bacteroidales, Bacteroidaceae, Bacteroides, ovatus\n"
    "166309,100,0,Bacteria, Cyanobacteria, , Synechococcales, Synechococcaceae, Synechococcus, sp. MIT S9220\n"
    "221345,200,0,Bacteria, Cyanobacteria, , Synechococcales, Synechococcaceae, Synechococcus, sp. RS9902\n"
    "35241,100,900,Viruses, Uroviricota, Caudoviricetes, Caudovirales, Siphoviridae, , Lactococcus phage Tuc2009\n"
)


def _at(cohort, rank: str, sample: str, taxon: str) -> float:
    """The abundance of ``taxon`` (``o__Synechococcales``) at ``rank``; a taxon
    under an unnamed rank is keyed by its path (``p__Cyanobacteriota|o__...``)."""
    frame = cohort.at_rank(rank)
    found = [c for c in frame.columns if c == taxon or c.endswith("|" + taxon)]
    assert len(found) == 1, (taxon, list(frame.columns))
    return float(frame.loc[sample, found[0]])


def test_rank_columns_with_an_empty_rank_keep_the_ranks_below_it(tmp_path):
    path = tmp_path / "T1D_bracken_output.csv"
    path.write_text(KRAKEN_BIOM_RANKS)
    cohort = gutbalance.read(path)
    assert _at(cohort, "order", "G1", "o__Synechococcales") == pytest.approx(0.3)
    assert _at(cohort, "genus", "G1", "g__Synechococcus") == pytest.approx(0.3)
    assert _at(cohort, "phylum", "G1", "p__Cyanobacteriota") == pytest.approx(0.3)
    # a phage with no genus keeps its whole name as its species
    assert _at(cohort, "species", "G2", "s__Lactococcus phage Tuc2009") == pytest.approx(0.9)
    assert _at(cohort, "species", "G1", "s__Bacteroides ovatus") == pytest.approx(0.6)


PHYLOSEQ_COUNTS = '"","G1","G2"\n"28116",600,100\n"166309",100,0\n"221345",200,0\n"35241",100,900\n'
PHYLOSEQ_TAXONOMY = (
    '"","Kingdom","Phylum","Class","Order","Family","Genus","Species","OTU"\n'
    '"28116","Bacteria","Bacteroidetes","Bacteroidia","Bacteroidales","Bacteroidaceae","Bacteroides","ovatus",'
    '"28116"\n'
    '"166309","Bacteria","Cyanobacteria","","Synechococcales","Synechococcaceae","Synechococcus","sp. MIT S9220",'
    '"166309"\n'
    '"221345","Bacteria","Cyanobacteria","","Synechococcales","Synechococcaceae","Synechococcus","sp. RS9902",'
    '"221345"\n'
    '"35241","Viruses","Uroviricota","Caudoviricetes","Caudovirales","Siphoviridae","","Lactococcus phage Tuc2009",'
    '"35241"\n'
)


def test_a_phyloseq_tax_table_ending_with_its_ids_is_a_taxonomy_not_a_sample(tmp_path):
    (tmp_path / "T1D_counts.csv").write_text(PHYLOSEQ_COUNTS)
    (tmp_path / "T1D_taxonomy.csv").write_text(PHYLOSEQ_TAXONOMY)
    assert taxonomy_file_kind(tmp_path / "T1D_taxonomy.csv") == "ranks"
    cohort = gutbalance.read([tmp_path / "T1D_counts.csv", tmp_path / "T1D_taxonomy.csv"])
    assert cohort.sample_names == ["G1", "G2"]
    (tmp_path / "ranks.csv").write_text(KRAKEN_BIOM_RANKS)
    same = gutbalance.read(tmp_path / "ranks.csv")
    for rank in ("phylum", "order", "genus", "species"):
        a, b = cohort.at_rank(rank), same.at_rank(rank)
        assert a.loc[["G1", "G2"], sorted(b.columns)].to_numpy() == pytest.approx(b.loc[["G1", "G2"]].sort_index(
            axis=1).to_numpy())


def test_an_id_column_that_is_not_the_rows_id_still_makes_a_feature_table(tmp_path):
    # numbers after the ranks under an id header that differ from the row's id are samples
    path = tmp_path / "otus.csv"
    path.write_text("OTU,Phylum,Genus,ID\nOTU1,Firmicutes,Blautia,30\nOTU2,Bacteroidota,Bacteroides,70\n")
    assert taxonomy_file_kind(path) is None


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(["Bacteria", "Firmicutes", "Clostridia", "NA", "", "Blautia"]), min_size=7,
                max_size=7),
       st.booleans())
def test_fuzz_a_rank_table_row_leaves_out_its_missing_ranks(names, id_column):
    header = '"","Kingdom","Phylum","Class","Order","Family","Genus","Species"' + (',"OTU"' if id_column else "")
    row = '"ASV1",' + ",".join(f'"{n}"' if n else "" for n in names) + (',"ASV1"' if id_column else "")
    (lineage,) = parse_rank_table(header + "\n" + row + "\n", Path("taxa.csv")).values()
    named = [(prefix, n) for prefix, n in zip("kpcofgs", names, strict=True) if n not in ("", "NA")]
    if not named:
        assert lineage == "Unassigned"
    else:
        assert [tuple(p.split("__", 1)) for p in lineage.split("; ")] == named


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["Bacteria", " Cyanobacteria", " ", " NA", " Synechococcus", " sp. X1", "x,y",
                                 "Mosigvirus JS09", "1e3", '"']), min_size=7, max_size=7),
       st.integers(0, 10**6))
def test_fuzz_rank_columns_give_a_profile_or_a_clear_error(tmp_path_factory, names, count):
    path = tmp_path_factory.mktemp("fuzz") / "ranks.csv"
    path.write_text("OTU,G1,Kingdom,Phylum,Class,Order,Family,Genus,Species\n"
                    f"1,{count},{','.join(names)}\n2,5,Bacteria, Firmicutes, , , , Blautia, obeum\n")
    error = ""
    try:
        # a warning is an answer too (hypothesis found 93 + 5 reads, "percentages or counts?")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", GutBalanceWarning)
            cohort = gutbalance.read(path)
    except GutBalanceError as exc:
        error = str(exc)
    if error:
        assert "ranks.csv" in error
    else:
        assert cohort.at_rank("genus").loc["G1"].sum() <= 1.0 + 1e-9


def test_a_merged_metaphlan_table_without_its_final_newline_is_read_with_a_warning(tmp_path):
    # A merged table whose whole last row lacks its newline (re-saved by a person or a script) is read, as the
    # CSV reader reads it; the warning says that a copy cut inside the last number looks the same.
    rows = ["ID\tG1\tG2", "k__Bacteria\t100\t100", "k__Bacteria|p__Firmicutes\t100\t100",
            "k__Bacteria|p__Firmicutes|c__Clostridia\t100\t100"]
    whole = tmp_path / "metaphlan2_counts.tsv"
    whole.write_text("\r\n".join(rows))
    with pytest.warns(GutBalanceWarning, match=r"line 4: the table does not end with a newline.* all 3 fields"):
        cohort = gutbalance.read(whole)
    ended = tmp_path / "ended.tsv"
    ended.write_text("\r\n".join(rows) + "\r\n")
    assert cohort.at_rank("class").equals(gutbalance.read(ended).at_rank("class"))
    cut = tmp_path / "cut.tsv"
    cut.write_text("\r\n".join(rows)[:-4])  # cut before the last field
    with pytest.raises(FormatError, match=r"line 4.*looks truncated; its last line has 2 fields, the line before 3"):
        gutbalance.read(cut)


def test_a_single_metaphlan_profile_without_its_final_newline_is_still_refused(tmp_path):
    # MetaPhlAn writes the newline, and a copy cut inside the free-text additional_species column keeps every
    # field while the rows after it are gone; a single profile is refused either way, saying how to read a whole one.
    text = ("#mpa_v30_CHOCOPhlAn_201901\n#clade_name\tNCBI_tax_id\trelative_abundance\tadditional_species\n"
            "k__Bacteria\t2\t100.0\t\nk__Bacteria|p__Firmicutes\t2|1239\t100.0\t\n"
            "k__Bacteria|p__Firmicutes|c__Clostridia\t2|1239|186801\t100.0\t\n")
    whole = tmp_path / "whole_profile.txt"
    whole.write_text(text.rstrip("\n"))  # the last row keeps its empty fourth field
    with pytest.raises(FormatError, match=r"line 5.*looks truncated; its last line has all 4 fields .*end it with a newline"):
        gutbalance.read(whole)
    cut = tmp_path / "cut_profile.txt"
    cut.write_text(text[: text.rindex("|c__Clostridia") + 8])
    with pytest.raises(FormatError, match=r"cut_profile.txt.*line 5.*looks truncated; its last line has 1 fields") as info:
        gutbalance.read(cut)
    assert "end it with a newline" not in str(info.value)
