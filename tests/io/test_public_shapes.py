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


# A report of Bracken before its 2019-06-10 report fix (Bracken's own
# sample_data/sample_output_bracken.report, 2016): species rows re-estimated,
# the genus above them still with Kraken's 11 reads, 6 in its species.
OLD_BRACKEN_REPORT = (
    "0.00\t9\t9\tU\t0\tunclassified\n"
    "99.00\t891\t0\tR\t1\troot\n"
    "99.00\t891\t0\tD\t2\t  Bacteria\n"
    "99.00\t891\t0\tP\t1224\t    Proteobacteria\n"
    "99.00\t891\t0\tC\t1236\t      Gammaproteobacteria\n"
    "99.00\t891\t0\tO\t135614\t        Xanthomonadales\n"
    "99.00\t891\t0\tF\t32033\t          Xanthomonadaceae\n"
    "0.01\t11\t0\tG\t338\t            Xanthomonas\n"
    "0.00\t3\t3\tS\t347\t              Xanthomonas oryzae\n"
    "0.00\t2\t2\tS\t339\t              Xanthomonas campestris\n"
    "0.00\t1\t1\tS\t456327\t              Xanthomonas euvesicatoria\n"
    "98.00\t880\t0\tG\t2370\t            Xylella\n"
    "98.00\t880\t880\tS\t2371\t              Xylella fastidiosa\n"
)


def test_old_bracken_report_is_refused_naming_the_row_and_what_to_read_instead(tmp_path):
    path = tmp_path / "sample_output_bracken.report"
    path.write_text(OLD_BRACKEN_REPORT)
    with pytest.raises(gutbalance.errors.FormatError) as info:
        gutbalance.read(path)
    message = str(info.value)
    assert "sample_output_bracken.report" in message
    assert "line 8" in message
    assert "clade_reads" in message
    assert "Xanthomonas" in message
    assert "bracken -o" in message
