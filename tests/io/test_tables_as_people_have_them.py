"""Tables as people have them (issue 11, item 3): long header lines, BIOM JSON
of any size, MetaPhlAn header variants, empty ranks, unnamed rows, the
"nothing found" profile, and every format gutbalance writes read back."""

from __future__ import annotations

import warnings

import pytest

import gutbalance
from gutbalance.errors import FormatError, GutBalanceWarning
from gutbalance.io import formats
from gutbalance.io.source import HEAD_BYTES
from tests.helpers import SMALL_COMMUNITY, with_reads, write_metaphlan

MPA_HEADER = "#mpa_v30_CHOCOPhlAn_201901\n#metaphlan S.fastq\n"


def _exact(scores):
    return [[f"{c}={v!r}" for c, v in row.items()] for _, row in scores.iterrows()]


def test_wide_table_whose_header_line_is_longer_than_the_sniffed_head(tmp_path):
    # Samples as rows, full lineages as columns (like the labelled sets), with
    # enough columns that the header alone is several times the sniffed head.
    lineages = [
        f"k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Blautia|s__Blautia_sp_{i}"
        for i in range(1500)
    ]
    header = "Sample\t" + "\t".join(lineages)
    assert len(header) > 2 * HEAD_BYTES
    rows = [f"S{k}\t" + "\t".join(str(1.0 / 1500) for _ in lineages) for k in range(3)]
    path = tmp_path / "wide.tsv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    cohort = gutbalance.read(path)
    assert cohort.sample_names == ["S0", "S1", "S2"]
    assert cohort.at_rank("genus")["g__Blautia"].tolist() == pytest.approx([1.0] * 3)


def test_biom_json_on_one_line_larger_than_the_head(tmp_path):
    species = {
        f"k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|s__Bacteroides_sp_{i}": 0.05
        for i in range(2000)
    }
    cohort = gutbalance.build_cohort(
        [
            gutbalance.SampleProfile(
                "S1",
                [gutbalance.taxonomy.parse_lineage(k) for k in species],
                [v / 100 for v in species.values()],
            )
        ]
    )
    path = gutbalance.write(cohort, tmp_path / "big.json")
    text = path.read_text()
    assert len(text) > HEAD_BYTES
    assert text.count("\n") < 3
    back = gutbalance.read(path)
    assert back.at_rank("species").shape == (1, 2000)


def test_metaphlan_sampleid_and_clade_name_on_one_line(tmp_path):
    path = tmp_path / "S9_profile.txt"
    path.write_text(
        MPA_HEADER + "#SampleID\tMetaphlan_Analysis#clade_name\tNCBI_tax_id\trelative_abundance\tadditional_species\n"
        "k__Bacteria\t2\t100.0\t\nk__Bacteria|p__Bacteroidetes\t2|976\t100.0\t\n"
    )
    cohort = gutbalance.read(path)
    assert cohort.sample_names == ["S9"]
    assert cohort.samples["source_format"].iloc[0] == "metaphlan"
    assert cohort.at_rank("phylum").loc["S9", "p__Bacteroidota"] == pytest.approx(1.0)


def test_merged_table_with_a_sampleid_header(tmp_path):
    path = tmp_path / "merged.tsv"
    path.write_text(
        "#SampleID\tS1\tS2\nk__Bacteria\t100.0\t100.0\n"
        "k__Bacteria|p__Firmicutes\t60.0\t30.0\nk__Bacteria|p__Bacteroidetes\t40.0\t70.0\n"
    )
    cohort = gutbalance.read(path)
    assert cohort.sample_names == ["S1", "S2"]
    assert set(cohort.samples["source_format"]) == {"metaphlan-merged"}
    assert cohort.at_rank("phylum").loc["S2", "p__Bacteroidota"] == pytest.approx(0.7)


def test_nothing_found_is_a_problem_row_not_a_sample(tmp_path):
    empty = tmp_path / "empty_profile.txt"
    empty.write_text(
        MPA_HEADER + "#SampleID\tMetaphlan_Analysis\n#clade_name\tNCBI_tax_id\trelative_abundance\t"
        "additional_species\nUNKNOWN\t-1\t100.0\t\n"
    )
    with pytest.raises(FormatError, match="found nothing it could assign"):
        gutbalance.read(empty)
    good = write_metaphlan(tmp_path / "good_profile.txt", SMALL_COMMUNITY)
    batch = gutbalance.read_batch([empty, good])
    assert batch.cohort.sample_names == ["good"]
    assert [(p.file, p.severity) for p in batch.problems] == [(str(empty), "error")]


def test_unnamed_rows_are_warned_and_the_rest_kept(tmp_path):
    path = tmp_path / "otus.csv"
    path.write_text(
        "#OTU ID,S1,S2\nk__Bacteria;p__Firmicutes;g__Blautia,10,20\n,5,5\n"
        "k__Bacteria;p__Bacteroidetes;g__Bacteroides,30,10\n"
    )
    with pytest.warns(GutBalanceWarning, match="without a taxon name"):
        cohort = gutbalance.read(path)
    assert cohort.samples.loc["S1", "unassigned"] == pytest.approx(5 / 45)
    assert cohort.at_rank("genus").loc["S1", "g__Blautia"] == pytest.approx(10 / 45)
    batch = gutbalance.read_batch([path])
    assert [p.severity for p in batch.problems] == ["warning"]


def test_greengenes_empty_ranks_in_the_middle(tmp_path):
    path = tmp_path / "gg.tsv"
    path.write_text(
        "#OTU ID\tS1\n"
        "k__Bacteria; p__Firmicutes; c__; o__; f__Lachnospiraceae; g__Blautia; s__\t60\n"
        "k__Bacteria; p__Bacteroidetes; c__Bacteroidia; o__Bacteroidales; f__; g__; s__\t40\n"
    )
    with pytest.warns(GutBalanceWarning, match="may be read counts"):  # 60 + 40: percent or 100 reads
        cohort = gutbalance.read(path)
    assert cohort.at_rank("family").loc["S1", "f__Lachnospiraceae"] == pytest.approx(0.6)
    assert cohort.at_rank("order").loc["S1", "o__Bacteroidales"] == pytest.approx(0.4)


#: Suffix to write each format with.
SUFFIX = {
    "biom": ".biom",
    "bracken": ".bracken",
    "cami": ".profile",
    "h5ad": ".h5ad",
    "kraken": ".kreport",
    "metaphlan": ".txt",
    "metaphlan-merged": ".tsv",
    "qza": ".qza",
    "table": ".csv",
}


def test_every_written_format_is_listed_and_known_here():
    # (Other tests may register formats of their own: only gutbalance's count.)
    writable = {
        name for name, fmt in formats().items() if fmt.write is not None and fmt.write.__module__.startswith("gutbalance.")
    }
    assert "h5ad" in writable
    assert writable == set(SUFFIX), {n: formats()[n].write.__module__ for n in writable ^ set(SUFFIX) if n in formats()}


@pytest.fixture(scope="module")
def kefir(shared_data):
    return sorted((shared_data / "profiles" / "kefir_metaphlan3").glob("*.txt"))[0]


#: Formats that hold every clade as the cohort has it: scores come back bit for bit.
LOSSLESS = {"h5ad", "metaphlan", "metaphlan-merged", "cami", "table"}
#: Formats that do not record which profiler (version) made the profile: a
#: plain table is of unknown kind, a merged MetaPhlAn table of no known version.
KIND_LOST = {"table", "metaphlan-merged"}
#: BIOM and QIIME 2 tables hold the leaf taxa only (the reads MetaPhlAn leaves
#: at a genus beyond its species are not written), a Kraken report whole
#: reads, a Bracken table species only: the scores come back within rounding.
LOSSY_TOLERANCE = 0.01


@pytest.mark.parametrize("name", sorted(SUFFIX))
@pytest.mark.filterwarnings("ignore:.*have no NCBI taxid:gutbalance.errors.GutBalanceWarning")  # written as 0, said
def test_every_written_format_reads_back_with_the_same_scores(kefir, tmp_path, name):
    cohort = gutbalance.read(kefir)
    if name in ("kraken", "bracken"):
        with pytest.raises(gutbalance.FormatError, match=r"holds (reads counted|reads \(counted, or Bracken's)"):
            gutbalance.write(cohort, tmp_path / f"refused{SUFFIX[name]}", format=name)
        cohort = with_reads(cohort)  # a Kraken report and a Bracken table hold reads: as if they had been counted
    sample = cohort.sample_names[0]
    path = gutbalance.write(cohort, tmp_path / f"{sample}{SUFFIX[name]}", format=name)
    back = gutbalance.read(path)
    assert back.sample_names == cohort.sample_names
    before, after = gutbalance.score(cohort), gutbalance.score(back)
    if name in KIND_LOST:
        # The scores come back bit for bit; the profiler (version) behind them
        # does not, so the percentiles and their warning follow the kind read.
        kept = [c for c in before.columns if not str(c).endswith("_percentile") and c != "warnings"]
        before, after = before[kept], after[kept]
    if name in LOSSLESS:
        assert _exact(after) == _exact(before)
    else:
        columns = ["immune_support", "training", "homeostasis", "nutrients", "barrier", "defense", "gmwi2", "shannon"]
        diff = (after[columns] - before[columns]).abs().max()
        assert (diff <= LOSSY_TOLERANCE).all(), diff.to_dict()


def test_a_feature_taxonomy_is_an_argument_of_the_readers(tmp_path):
    from gutbalance.io import read_profiles
    from gutbalance.io.taxonomy_file import FeatureTaxonomy

    path = tmp_path / "asv.csv"
    path.write_text("feature,S1\nasv1,30\nasv2,70\n")
    taxonomy = FeatureTaxonomy()
    taxonomy.add(
        {
            "asv1": "k__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; f__Lachnospiraceae; g__Blautia",
            "asv2": "k__Bacteria; p__Bacteroidetes; c__Bacteroidia; o__Bacteroidales; f__Bacteroidaceae; g__Bacteroides",
        },
        "taxonomy.tsv",
    )
    with pytest.warns(GutBalanceWarning, match="may be read counts"):  # 30 + 70: percent or 100 reads
        (profile,) = read_profiles(path, taxonomy=taxonomy)
    assert sorted(lin[-1].id for lin in profile.lineages) == ["g__Bacteroides", "g__Blautia"]
    with pytest.raises(FormatError, match="cannot tell the rank"):
        read_profiles(path)


def test_qiime1_summarize_taxa_other_rows_are_not_genera(tmp_path):
    """A summarize_taxa.py L6 table (RDP names, "Other" for the levels a read's
    lineage does not reach): only named genera count, as an independent count
    of the table's rows says."""
    table = tmp_path / "otu_table_L6.txt"
    rows = {
        "Bacteria;Bacteroidetes;Bacteroidia;Bacteroidales;Bacteroidaceae;Bacteroides": (0.30, 0.20),
        "Bacteria;Bacteroidetes;Bacteroidia;Bacteroidales;Rikenellaceae;Alistipes": (0.10, 0.0),
        "Bacteria;Firmicutes;Clostridia;Clostridiales;Lachnospiraceae;Roseburia": (0.12, 0.10),
        "Bacteria;Firmicutes;Clostridia;Clostridiales;Ruminococcaceae;Faecalibacterium": (0.20, 0.25),
        "Bacteria;Firmicutes;Clostridia;Clostridiales;Lachnospiraceae;Other": (0.18, 0.20),
        "Bacteria;Firmicutes;Clostridia;Clostridiales;Other;Other": (0.06, 0.05),
        "Bacteria;Bacteroidetes;Other;Other;Other;Other": (0.04, 0.20),
    }
    table.write_text("Taxon\tA\tB\n" + "".join(f"{name}\t{a}\t{b}\n" for name, (a, b) in rows.items()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GutBalanceWarning)
        scores = gutbalance.score(gutbalance.read([table]))
    named_genera = {sample: sum(1 for name, values in rows.items()
                                if not name.endswith("Other") and values[i] > 0) for i, sample in enumerate("AB")}
    assert scores.loc["A", "diversity_rank"] == "genus"  # 72 % named at genus
    assert scores.loc["A", "richness"] == named_genera["A"] == 4
    assert scores.loc["A", "stool_like"] == True  # noqa: E712 - a nullable boolean
    # B names only 55 % at genus: still genus, three genera, never the placeholders
    assert scores.loc["B", "richness"] == named_genera["B"] == 3


def test_a_reports_other_row_is_the_rest_not_a_genus(tmp_path):
    """A lab's genus report with a remainder row "Other" (semicolons and decimal
    commas, as a European spreadsheet saves it)."""
    path = tmp_path / "report.csv"
    path.write_bytes("\ufeffTaxon;Sample A\r\nBacteroides;35,2\r\nFaecalibacterium;12,5\r\nRoseburia;4,2\r\n"
                     "Other;48,1\r\n".encode())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GutBalanceWarning)
        cohort = gutbalance.read([path], feature_rank="genus")
        scores = gutbalance.score(cohort)
    assert not cohort.taxa.index.str.contains("Other").any()
    assert scores.loc["Sample A", "richness"] == 3


#: A QIIME 2 species table of stool as Greengenes names it (Moving Pictures'
#: level-7 shape): the radish and squash of a meal as mitochondria, a plant's
#: chloroplast, and a true cyanobacterium that stays.
_ORGANELLE_TABLE = {
    "k__Bacteria;p__Bacteroidetes;c__Bacteroidia;o__Bacteroidales;f__Bacteroidaceae;g__Bacteroides;s__uniformis":
        (40.0, 30.0),
    "k__Bacteria;p__Firmicutes;c__Clostridia;o__Clostridiales;f__Ruminococcaceae;g__Faecalibacterium;s__prausnitzii":
        (30.0, 40.0),
    "k__Bacteria;p__Proteobacteria;c__Alphaproteobacteria;o__Rickettsiales;f__mitochondria;g__Raphanus;s__sativus":
        (10.0, 0.0),
    "k__Bacteria;p__Proteobacteria;c__Alphaproteobacteria;o__Rickettsiales;f__mitochondria;g__Cucurbita;s__pepo":
        (5.0, 0.0),
    "k__Bacteria;p__Cyanobacteria;c__Chloroplast;o__Streptophyta;f__;g__;s__": (5.0, 10.0),
    "k__Bacteria;p__Cyanobacteria;c__Synechococcophycideae;o__Synechococcales;f__Synechococcaceae;g__Synechococcus;"
    "s__": (0.0, 10.0),
    "Unassigned;__;__;__;__;__;__": (10.0, 10.0),
}


def test_chloroplast_and_mitochondria_rows_are_host_or_diet_dna_not_bacteria(tmp_path):
    # Before 2026-11-29 "Raphanus sativus" and "Cucurbita pepo" were bacterial
    # species of sample A, counted in its richness and Shannon.
    path = tmp_path / "level-7.csv"
    columns = list(_ORGANELLE_TABLE)
    path.write_text("index," + ",".join(columns) + "\n"
                    + "".join(f"{s}," + ",".join(str(_ORGANELLE_TABLE[c][i]) for c in columns) + "\n"
                              for i, s in enumerate("AB")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GutBalanceWarning)
        cohort = gutbalance.read(path)
    names = set(cohort.taxa["name"])
    assert not names & {"Raphanus", "Raphanus sativus", "Cucurbita", "Cucurbita pepo", "Chloroplast", "Streptophyta"}
    assert "Synechococcus" in names  # a cyanobacterium is a bacterium
    # unassigned = the organelles plus the Unassigned row, as a sum of the table's rows says
    organelle = {s: sum(v[i] for c, v in _ORGANELLE_TABLE.items() if "mitochondria" in c or "Chloroplast" in c)
                 for i, s in enumerate("AB")}
    assert cohort.samples.loc["A", "unassigned"] == pytest.approx((organelle["A"] + 10.0) / 100, abs=1e-12)
    assert cohort.samples.loc["B", "unassigned"] == pytest.approx((organelle["B"] + 10.0) / 100, abs=1e-12)
    species = cohort.at_rank("species")
    assert (species.loc["A"] > 0).sum() == 2
    # A genus table with DADA2's bare SILVA names gives its organelles the same way.
    genus = tmp_path / "genus.csv"
    genus.write_text("genus,C\nBacteroides,60\nFaecalibacterium,25\nMitochondria,10\nChloroplast,5\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GutBalanceWarning)
        bare = gutbalance.read(genus)
    assert bare.samples.loc["C", "unassigned"] == pytest.approx(0.15, abs=1e-12)
    assert set(bare.at_rank("genus").columns) == {"g__Bacteroides", "g__Faecalibacterium"}


def test_empty_value_cells_are_zero_with_one_warning_naming_the_first(tmp_path):
    # fault: a cell emptied by mistake moved the scores without a word, while 'NA' was refused
    zeros = "taxon,A,B\ns__Bacteroides fragilis,30.5,0\ns__Faecalibacterium prausnitzii,69.5,40.5\ns__Escherichia coli,0,59.5\n"
    (tmp_path / "zeros.csv").write_text(zeros)
    (tmp_path / "blanks.csv").write_text(zeros.replace(",30.5,0\n", ",30.5, \n").replace(",0,59.5\n", ",,59.5\n"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        blanks = gutbalance.read(tmp_path / "blanks.csv")
    messages = [str(w.message) for w in caught if issubclass(w.category, GutBalanceWarning) and "empty value cell" in str(w.message)]
    assert len(messages) == 1
    assert "line 2, field 'B': 2 empty value cells read as 0" in messages[0]
    assert (blanks.X != gutbalance.read(tmp_path / "zeros.csv").X).nnz == 0
