"""What a feature table's labels mean, whichever file holds them: the rank
declared for bare names (``feature_rank``) applies only to names whose rank
nothing else tells, and SILVA's genus labels are never species."""

from __future__ import annotations

import numpy as np
import pytest
from biom import Table

import gutbalance
from gutbalance.errors import TaxonomyError
from gutbalance.io.feature_table import label_lineage, silva_genus_label

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
