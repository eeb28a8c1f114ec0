"""What a feature table's labels mean, whichever file holds them: the rank
declared for bare names (``feature_rank``) applies only to names whose rank
nothing else tells, and SILVA's genus labels are never species."""

from __future__ import annotations

import numpy as np
import pytest
from biom import Table

import gutbalance
from gutbalance.errors import TaxonomyError
from gutbalance.io import read_source
from gutbalance.io.archive import artifact_bytes
from gutbalance.io.biom_table import hdf5_bytes
from gutbalance.io.feature_table import label_lineage, silva_genus_label
from gutbalance.io.source import Source

from ..helpers import write_metaphlan

GENERA = ["Bacteroides", "Clostridium_sensu_stricto_1", "[Eubacterium]_coprostanoligenes_group",
          "Lachnospiraceae_UCG-004", "Prevotella_9"]


def _mixed_batch(tmp_path):
    """A MetaPhlAn profile, a samples x genera CSV of bare (SILVA) names, a
    samples x species CSV of binomials, and a BIOM table whose ids are a
    bare genus and a binomial."""
    mpa = write_metaphlan(tmp_path / "m1.txt")
    genus = tmp_path / "genera.csv"
    genus.write_text("SampleID," + ",".join(GENERA) + "\nG1,40,20,15,15,10\n")
    species = tmp_path / "species.csv"
    species.write_text("SampleID,Bacteroides fragilis,Escherichia_coli\nS1,30,70\n")
    table = Table(np.array([[60.0], [40.0]]), ["Faecalibacterium", "Akkermansia muciniphila"], ["B1"])
    biom_path = tmp_path / "ids.biom"
    biom_path.write_text(table.to_json("test"))
    return [mpa, genus, species, biom_path]


def _taxa_of(cohort, sample):
    row = cohort.X.tocsr()[cohort.sample_names.index(sample)]
    return {cohort.taxa.index[j] for j in row.indices if row[0, j] > 0}


def test_a_declared_rank_leaves_binomials_and_lineages_of_a_batch_at_their_own_rank(tmp_path):
    result = gutbalance.read_batch(_mixed_batch(tmp_path), feature_rank="genus")
    assert not result.failed
    cohort = result.cohort
    genus_taxa = _taxa_of(cohort, "G1")
    assert {"g__Bacteroides", "g__Clostridium sensu stricto 1", "g__Eubacterium coprostanoligenes group",
            "g__Lachnospiraceae UCG-004", "g__Prevotella 9"} <= genus_taxa
    # SILVA's Clostridium_sensu_stricto_1 is its own genus, not under a genus Clostridium
    assert "g__Clostridium" not in genus_taxa
    assert not any(t.startswith("s__") for t in genus_taxa)
    species_taxa = _taxa_of(cohort, "S1")
    assert {"s__Bacteroides fragilis", "s__Escherichia coli", "g__Bacteroides", "g__Escherichia"} <= species_taxa
    assert "g__Bacteroides fragilis" not in cohort.taxa.index
    assert {"g__Faecalibacterium", "s__Akkermansia muciniphila"} <= _taxa_of(cohort, "B1")
    assert "s__Bifidobacterium adolescentis" in _taxa_of(cohort, "m1")
    # the same files without the option: only the genus table needs it
    plain = gutbalance.read_batch(_mixed_batch(tmp_path), feature_rank=None)
    assert sorted(p.file for p in plain.failed) == sorted([str(tmp_path / "genera.csv"), str(tmp_path / "ids.biom")])
    assert _taxa_of(plain.cohort, "S1") == species_taxa


def test_species_declared_refuses_silva_genus_labels_and_keeps_the_rest_of_the_batch(tmp_path):
    result = gutbalance.read_batch(_mixed_batch(tmp_path), feature_rank="species")
    failed = {p.file: p.message for p in result.failed}
    # the two files of bare genus names are refused; the binomials and the profile are read
    assert sorted(failed) == sorted([str(tmp_path / "genera.csv"), str(tmp_path / "ids.biom")])
    assert "'Bacteroides' is one word, not a species name" in failed[str(tmp_path / "genera.csv")]
    assert "'Faecalibacterium' is one word" in failed[str(tmp_path / "ids.biom")]
    assert {"m1", "S1"} <= set(result.cohort.sample_names)
    silva = tmp_path / "silva.csv"
    silva.write_text("SampleID,Bacteroides fragilis,Clostridium_sensu_stricto_1\nX,50,50\n")
    with pytest.raises(gutbalance.errors.FormatError,
                       match="field 'Clostridium_sensu_stricto_1': .*SILVA's name of a genus, not a species name"):
        gutbalance.read(silva, feature_rank="species")


@pytest.mark.parametrize("label", ["Clostridium sensu stricto 1", "Clostridium_sensu_stricto_1",
                                   "[Eubacterium]_coprostanoligenes_group", "[Ruminococcus] torques group",
                                   "Lachnospiraceae UCG-004", "Lachnospiraceae_NK4A136_group", "Prevotella_9",
                                   "Rikenellaceae_RC9_gut_group"])
def test_silva_genus_labels_are_bare_names_never_species(label):
    assert silva_genus_label(label)
    with pytest.raises(TaxonomyError, match="cannot tell the rank .*SILVA's name of a genus"):
        label_lineage(label)
    with pytest.raises(TaxonomyError, match="SILVA's name of a genus, not a species name"):
        label_lineage(label, declared="species")
    (found,) = label_lineage(label, declared="genus")
    assert found.rank == "genus"


@pytest.mark.parametrize("label", ["Bacteroides fragilis", "[Clostridium] scindens", "Lacticaseibacillus casei group",
                                   "Firmicutes bacterium CAG 424", "Lactococcus phage P335 sensu lato",
                                   "Candidatus Soleaferrea", "Bacteroides"])
def test_species_and_plain_genus_names_are_not_silva_genus_labels(label):
    assert not silva_genus_label(label)


def test_a_binomial_keeps_species_rank_whatever_is_declared_but_a_column_header_rules():
    assert [t.id for t in label_lineage("Bacteroides fragilis", declared="genus")] == ["s__Bacteroides fragilis"]
    assert [t.id for t in label_lineage("Bacteroides", declared="genus")] == ["g__Bacteroides"]
    assert label_lineage("Bacteroides fragilis", rank="genus")[0].rank == "genus"


# --- counts or percentages: one warning for every feature-table format ------------

LINEAGE_A = "k__Bacteria;p__Bacteroidetes;c__Bacteroidia;o__Bacteroidales;f__Bacteroidaceae;g__Bacteroides"
LINEAGE_B = "k__Bacteria;p__Firmicutes;c__Clostridia;o__Clostridiales;f__Ruminococcaceae;g__Faecalibacterium"
#: whole numbers, every sample adding up to 100: percentages or 100 reads a sample
WHOLE_HUNDREDS = np.array([[60.0, 30.0], [40.0, 70.0]])
AMBIGUOUS = "every value is a whole number and every sample adds up to about 100: read as percentages"


def _biom_table():
    return Table(WHOLE_HUNDREDS, [LINEAGE_A, LINEAGE_B], ["S1", "S2"])


def _csv(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(f"taxonomy,S1,S2\n{LINEAGE_A},60,30\n{LINEAGE_B},40,70\n")
    return [path]


def _qiime1(tmp_path):
    # biom convert --to-tsv --header-key taxonomy: OTU ids with a taxonomy column
    path = tmp_path / "otu_table.txt"
    path.write_text(f"# Constructed from biom file\n#OTU ID\tS1\tS2\ttaxonomy\n1\t60\t30\t{LINEAGE_A}\n"
                    f"2\t40\t70\t{LINEAGE_B}\n")
    return [path]


def _biom(tmp_path):
    path = tmp_path / "table.biom"
    path.write_text(_biom_table().to_json("elsewhere"))
    return [path]


def _qza(kind):
    def make(tmp_path):
        path = tmp_path / "table.qza"
        path.write_bytes(artifact_bytes(f"FeatureTable[{kind}]", "BIOMV210DirFmt",
                                        {"feature-table.biom": hdf5_bytes(_biom_table())}))
        return [path]
    return make


def _mothur(tmp_path):
    shared = tmp_path / "x.shared"
    shared.write_text("label\tGroup\tnumOtus\tOtu1\tOtu2\n0.03\tS1\t2\t60\t40\n0.03\tS2\t2\t30\t70\n")
    taxonomy = tmp_path / "x.cons.taxonomy"
    taxonomy.write_text("OTU\tSize\tTaxonomy\nOtu1\t90\tBacteria(100);Bacteroidetes(100);Bacteroidia(100);"
                        "Bacteroidales(100);Bacteroidaceae(100);Bacteroides(100);\nOtu2\t110\tBacteria(100);"
                        "Firmicutes(100);Clostridia(100);Clostridiales(100);Ruminococcaceae(100);"
                        "Faecalibacterium(100);\n")
    return [shared, taxonomy]


@pytest.mark.parametrize(("make", "how"), [
    (_csv, "a long table (sample, taxon, counts)"),
    (_qiime1, "a long table (sample, taxon, counts)"),
    (_biom, "sample metadata abundance_unit = reads"),
    # QIIME 2 writes percentages into FeatureTable[Frequency] too (the GMHI tables)
    (_qza("Frequency"), "sample metadata abundance_unit = reads"),
])
def test_whole_numbers_adding_up_to_100_warn_alike_in_every_format_that_does_not_say(tmp_path, make, how):
    result = gutbalance.read_batch(make(tmp_path))
    assert [p.severity for p in result.problems] == ["warning"]
    assert result.problems[0].message.startswith("the table does not say")  # its file is the problem's column
    assert AMBIGUOUS in result.problems[0].message
    assert how in result.problems[0].message
    assert not result.cohort.counted_samples().any()
    assert result.cohort.at_rank("genus").loc["S1", "g__Bacteroides"] == pytest.approx(0.6)


@pytest.mark.parametrize(("make", "counted"), [
    (_qza("RelativeFrequency"), False), (_mothur, True),
])
def test_a_format_that_says_what_its_numbers_are_reads_them_so_without_a_warning(tmp_path, make, counted):
    # a RelativeFrequency artifact's type says it; a mothur .shared file holds reads per OTU
    result = gutbalance.read_batch(make(tmp_path))
    assert result.problems == []
    assert bool(result.cohort.counted_samples().all()) is counted
    assert result.cohort.at_rank("genus").loc["S1", "g__Bacteroides"] == pytest.approx(0.6)


def test_the_declared_rank_is_checked_once_at_every_public_entry(tmp_path):
    # read_source (the web app's entry), read and read_batch take any spelling of
    # a rank and refuse what is none; the format readers are given the standard rank
    path = tmp_path / "genera.csv"
    path.write_text("SampleID,Bacteroides,Faecalibacterium\nG1,0.4,0.6\n")
    (profile,) = read_source(Source.open(path), feature_rank="Genus")
    assert [t.id for lin in profile.lineages for t in lin] == ["g__Bacteroides", "g__Faecalibacterium"]
    for entry in (lambda rank: read_source(Source.open(path), feature_rank=rank),
                  lambda rank: gutbalance.read(path, feature_rank=rank),
                  lambda rank: gutbalance.read_batch([path], feature_rank=rank)):
        with pytest.raises(TaxonomyError, match="'genera' is not a rank"):
            entry("genera")
