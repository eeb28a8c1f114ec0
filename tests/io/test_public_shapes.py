"""Shapes of files met in other labs' public repositories (docs/tried-on-public-data.md).

Each fixture is typed here, a few lines shaped like the public file it stands
for; no public file is copied into the project.
"""

import pytest

import gutbalance
from gutbalance.io.formats.metaphlan import sniff_merged, sniff_single
from gutbalance.io.source import Source

# bioBakery workflows' merged MetaPhlAn table (HMP2 tutorial,
# examples/tutorial/stats_vis/input/metaphlan_taxonomic_profiles.tsv): "Sample"
# over the clade column, no NCBI_tax_id column, only some clades kept.
BIOBAKERY_MERGED = (
    "Sample\tCSM5FZ3N_P\tCSM5FZ3R_P\n"
    "k__Bacteria|p__Actinobacteria|c__Actinobacteria|o__Bifidobacteriales|f__Bifidobacteriaceae"
    "|g__Bifidobacterium|s__Bifidobacterium_adolescentis\t0\t0.00765\n"
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides\t84.06638\t92.40435\n"
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides"
    "|s__Bacteroides_caccae\t2.76801\t1.4567\n"
)


def _source(text, name="metaphlan_taxonomic_profiles.tsv"):
    return Source(__import__("pathlib").Path(name), text.encode())


def test_biobakery_merged_table_with_sample_header_is_a_merged_metaphlan_table(tmp_path):
    assert sniff_merged(_source(BIOBAKERY_MERGED))
    assert not sniff_single(_source(BIOBAKERY_MERGED))
    path = tmp_path / "metaphlan_taxonomic_profiles.tsv"
    path.write_text(BIOBAKERY_MERGED)
    with pytest.warns(gutbalance.GutBalanceWarning, match="add up to"):
        cohort = gutbalance.read(path)
    assert cohort.sample_names == ["CSM5FZ3N_P", "CSM5FZ3R_P"]
    assert set(cohort.samples["source_format"]) == {"metaphlan-merged"}
    assert cohort.at_rank("genus").loc["CSM5FZ3R_P", "g__Bacteroides"] == pytest.approx(0.9240435)
    assert cohort.at_rank("species").loc["CSM5FZ3N_P", "s__Bacteroides caccae"] == pytest.approx(0.0276801)


@pytest.mark.parametrize("word", ["taxonomy", ""])
def test_other_words_over_the_clade_column(tmp_path, word):
    text = BIOBAKERY_MERGED.replace("Sample", word, 1)
    assert sniff_merged(_source(text))


@pytest.mark.parametrize(
    "text",
    [
        # Greengenes lineages: a generic table, not MetaPhlAn's
        "taxonomy\tS1\tS2\nk__Bacteria; p__Firmicutes\t10\t20\nk__Bacteria; p__Bacteroidetes\t90\t80\n",
        # samples as rows, lineages as columns
        "Sample\tk__Bacteria|p__Firmicutes\nS1\t0.5\nS2\t0.6\n",
        # a row that is not a clade
        "Sample\tS1\nk__Bacteria|p__Firmicutes\t50\nBacteroides\t50\n",
    ],
)
def test_sample_header_does_not_capture_other_tables(text):
    assert not sniff_merged(_source(text))
