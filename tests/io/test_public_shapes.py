"""Shapes of files met in other labs' public repositories (docs/tried-on-public-data.md).

Each fixture is typed here, a few lines shaped like the public file it stands
for; no public file is copied into the project.
"""

import warnings
from pathlib import Path

import biom
import h5py
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import gutbalance
from gutbalance.cli import main
from gutbalance.errors import GutBalanceWarning
from gutbalance.io.formats.gmwi2_tool import sniff_model, sniff_score, sniff_taxa
from gutbalance.io.formats.metaphlan import sniff_merged, sniff_single
from gutbalance.io.source import Source
from gutbalance.io.taxonomy_file import parse_rank_table, taxonomy_file_kind
from gutbalance.scores_table import read_scores
from tests.helpers import read_warnings

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
    # An excerpt of three rows: its total is off, and Bacteroides holds more than its one species row.
    said = read_warnings(path)
    assert any("add up to" in m for m in said)
    assert any("96.71 % of the bacterial and archaeal abundance has no species row beneath it" in m for m in said)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GutBalanceWarning)
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


# MetaPhlAn 3 run with --add_viruses (the GMWI2 pipeline's kefir profiles,
# gmwi2_conda_result/Subj001_time1_S1_metaphlan.txt): phages named after their
# host's genus, under k__Viruses.
VIRAL_ROWS = (
    "#mpa_v30_CHOCOPhlAn_201901\n#SampleID\tMetaphlan_Analysis\n"
    "#clade_name\tNCBI_tax_id\trelative_abundance\tadditional_species\n"
    "UNKNOWN\t-1\t40.0\t\n"
    "k__Bacteria\t2\t50.0\t\n"
    "k__Viruses\t10239\t10.0\t\n"
    "k__Bacteria|p__Firmicutes\t2|1239\t50.0\t\n"
    "k__Viruses|p__Viruses_unclassified\t10239|\t10.0\t\n"
    "k__Bacteria|p__Firmicutes|c__Clostridia\t2|1239|186801\t50.0\t\n"
    "k__Viruses|p__Viruses_unclassified|c__Viruses_unclassified\t10239||\t10.0\t\n"
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales\t2|1239|186801|186802\t50.0\t\n"
    "k__Viruses|p__Viruses_unclassified|c__Viruses_unclassified|o__Caudovirales\t10239|||28883\t10.0\t\n"
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae\t2|1239|186801|186802|186803\t50.0\t\n"
    "k__Viruses|p__Viruses_unclassified|c__Viruses_unclassified|o__Caudovirales|f__Myoviridae"
    "\t10239|||28883|10662\t10.0\t\n"
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Roseburia"
    "\t2|1239|186801|186802|186803|841\t50.0\t\n"
    "k__Viruses|p__Viruses_unclassified|c__Viruses_unclassified|o__Caudovirales|f__Myoviridae|g__V5virus"
    "\t10239|||28883|10662|1914852\t10.0\t\n"
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Roseburia|s__Roseburia_hominis"
    "\t2|1239|186801|186802|186803|841|301301\t50.0\t\n"
    "k__Viruses|p__Viruses_unclassified|c__Viruses_unclassified|o__Caudovirales|f__Myoviridae|g__V5virus"
    "|s__Escherichia_virus_V5\t10239|||28883|10662|1914852|1914853\t10.0\t\n"
)


def test_a_phage_named_after_its_host_stays_a_virus(tmp_path):
    path = tmp_path / "S1_metaphlan.txt"
    path.write_text(VIRAL_ROWS)
    cohort = gutbalance.read(path)
    # Not in the lineage table: its column key holds its parents from the
    # nearest taxon the table knows (docs/lineage-table.md).
    phage = cohort.taxa[cohort.taxa["name"] == "Escherichia virus V5"]
    assert phage.index.tolist() == ["f__Myoviridae|g__V5virus|s__Escherichia virus V5"]
    assert phage["lineage"].iloc[0].startswith("k__Viruses|")
    assert "g__Escherichia" not in cohort.taxa.index
    assert "o__Enterobacterales" not in cohort.taxa.index  # a GMWI2 model clade the phage had made present
    assert cohort.at_rank("domain").loc["S1", "k__Bacteria"] == pytest.approx(0.5)


@pytest.mark.parametrize("name", ["s__Escherichia_virus_V5", "s__Lactococcus_phage_jm3"])
def test_a_phage_given_without_lineage_is_not_put_in_its_hosts_genus(name):
    from gutbalance.taxonomy.placement import name_anchor, parse_lineage

    assert name_anchor(parse_lineage(name)[-1]) == ""
    assert name_anchor(parse_lineage("s__Bacteroides_foo")[-1]) == "g__Bacteroides"


# Bracken's own sample_data/sample_output_bracken.mpa (one underscore) and
# kraken2 --use-mpa-style (two): clade reads, no header, no unclassified row.
KRAKEN_MPA = (
    "d__Bacteria\t900\n"
    "d__Bacteria|p__Firmicutes\t600\n"
    "d__Bacteria|p__Firmicutes|c__Clostridia\t600\n"
    "d__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales\t600\n"
    "d__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae\t600\n"
    "d__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Roseburia\t600\n"
    "d__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Roseburia"
    "|s__Roseburia_hominis\t600\n"
    "d__Bacteria|p__Bacteroidetes\t300\n"
    "d__Eukaryota\t100\n"
    "d__Eukaryota|k__Fungi\t100\n"
    "d__Eukaryota|k__Fungi|p__Ascomycota\t100\n"
)


@pytest.mark.parametrize("underscores", ["__", "_"])
def test_kraken_reports_in_metaphlan_style_are_reads_not_percentages(tmp_path, underscores):
    from gutbalance.io.formats.metaphlan import sniff_single

    text = KRAKEN_MPA.replace("__", underscores)
    assert not sniff_single(_source(text))
    cohort = _read_kraken_mpa(tmp_path, text)
    assert cohort.at_rank("phylum").loc["S1", "p__Bacillota"] == pytest.approx(0.6)
    assert cohort.at_rank("species").loc["S1", "s__Roseburia hominis"] == pytest.approx(0.6)
    assert "k__Fungi" not in cohort.taxa.index  # Kraken's kingdom is not a standard rank


@pytest.mark.parametrize("underscores", ["__", "_"])
def test_kraken_mpa_with_intermediate_ranks_and_root(tmp_path, underscores):
    # kreport2mpa.py --intermediate-ranks (Bracken's own
    # sample_output_bracken_with_intermediate.mpa): every lineage starts at
    # r_root|x_cellular organisms, with x_ ranks between the standard ones.
    rows = [line.split("\t") for line in KRAKEN_MPA.strip().splitlines()]
    text = "r__root\t1000\nr__root|x__cellular organisms\t1000\n" + "".join(
        "r__root|x__cellular organisms|" + clade.replace("|o__Clostridiales", "|x__Eubacteriales group|o__Clostridiales")
        + f"\t{n}\n"
        for clade, n in rows
    )
    text = text.replace("__", underscores)
    cohort = _read_kraken_mpa(tmp_path, text)
    assert cohort.at_rank("species").loc["S1", "s__Roseburia hominis"] == pytest.approx(0.6)
    plain = gutbalance.read(_write(tmp_path / "plain" / "S1.mpa", KRAKEN_MPA.replace("__", underscores)))
    assert cohort.at_rank("species").equals(plain.at_rank("species"))


def _read_kraken_mpa(tmp_path, text):
    """KRAKEN_MPA (in some spelling) read from a file: a Kraken MetaPhlAn-style
    table of reads, 90 % bacterial."""
    cohort = gutbalance.read(_write(tmp_path / "S1.mpa", text))
    assert cohort.samples.loc["S1", "source_format"] == "kraken-mpa"
    domains = cohort.at_rank("domain").loc["S1"]
    assert domains["k__Bacteria"] == pytest.approx(0.9)
    assert domains.sum() == pytest.approx(1.0)
    return cohort


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_combine_mpa_table_gives_one_sample_per_column(tmp_path):
    rows = [line.split("\t") for line in KRAKEN_MPA.strip().splitlines()]
    text = "#Classification\tA.kreport\tB.kreport\n" + "".join(f"{c}\t{n}\t{int(n) // 2}\n" for c, n in rows)
    path = tmp_path / "combined.txt"
    path.write_text(text)
    cohort = gutbalance.read(path)
    assert cohort.sample_names == ["A", "B"]
    assert cohort.at_rank("phylum").loc["B", "p__Bacteroidota"] == pytest.approx(0.3)


def test_kraken_mpa_errors_name_file_line_and_field(tmp_path):
    path = tmp_path / "bad.mpa"
    path.write_text(KRAKEN_MPA.replace("\t300\n", "\tlots\n"))
    with pytest.raises(gutbalance.errors.FormatError) as info:
        gutbalance.read(path, format="kraken-mpa")
    assert "bad.mpa" in str(info.value)
    assert "line 8" in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "#OTU ID\tS1\nd__Bacteria;p__Bacillota\t15\nd__Bacteria;p__Bacteroidota\t30\n",  # a BIOM-style table
        "#mpa_v30_CHOCOPhlAn_201901\nd__Bacteria\t100\n",
        "k__Bacteria\t100.0\nk__Bacteria|p__Firmicutes\t60.0\n",  # MetaPhlAn 2, headerless
        "d__Bacteria\t97.5\nd__Bacteria|p__Firmicutes\t60.25\n",  # percentages
    ],
)
def test_kraken_mpa_sniffer_leaves_other_tables_alone(text):
    from gutbalance.io.formats.kraken_mpa import sniff

    assert not sniff(_source(text))


# A QIIME 2 feature table of ASV hashes with its Greengenes 13_8 taxonomy
# (the "Moving Pictures" tutorial as run in suzyeiko/q2_movingpictures:
# table-dada2.qza + taxonomy.qza). Greengenes spells one genus two ways under
# Lachnospiraceae (g__Ruminococcus and g__[Ruminococcus]) and puts
# g__Clostridium in several families; SILVA 138 (laurichi13/16S-CRC-data) has
# g__uncultured under dozens of families, some with an s__uncultured_bacterium.
GG_FEATURES = (
    "Feature ID\tTaxon\tConfidence\n"
    "a1\tk__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; f__Lachnospiraceae; g__[Ruminococcus]; s__\t0.9\n"
    "a2\tk__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; f__Lachnospiraceae; g__[Ruminococcus]; "
    "s__gnavus\t0.8\n"
    "a3\tk__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; f__Lachnospiraceae; g__Ruminococcus; "
    "s__lactaris\t0.9\n"
    "a4\tk__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; f__Clostridiaceae; g__Clostridium; s__\t0.9\n"
    "a5\tk__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; f__Lachnospiraceae; g__Clostridium; s__\t0.9\n"
    "a6\tk__Bacteria; p__Bacteroidetes; c__Bacteroidia; o__Bacteroidales; f__Bacteroidaceae; g__Bacteroides; s__\t1\n"
    "a7\tk__Bacteria; p__Proteobacteria\t0.7\n"
)
SILVA_FEATURES = (
    "Feature ID\tTaxon\tConfidence\n"
    "b1\td__Bacteria; p__Firmicutes; c__Clostridia; o__Oscillospirales; f__Ruminococcaceae; g__uncultured\t0.9\n"
    "b2\td__Bacteria; p__Firmicutes; c__Clostridia; o__Lachnospirales; f__Lachnospiraceae; g__uncultured; "
    "s__uncultured_bacterium\t0.9\n"
    "b3\td__Bacteria; p__Firmicutes; c__Clostridia; o__Lachnospirales; f__Lachnospiraceae; g__uncultured\t0.9\n"
    "b4\td__Bacteria; p__Bacteroidota; c__Bacteroidia; o__Bacteroidales; f__Bacteroidaceae; g__Bacteroides\t1\n"
    "b5\td__Bacteria; p__Firmicutes; c__Clostridia; o__Lachnospirales; f__Lachnospiraceae\t0.8\n"
)


def _hashed_table(tmp_path, taxonomy_text, counts):
    """A feature table of hashes (features x samples, reads) and its taxonomy.tsv."""
    (tmp_path / "taxonomy.tsv").write_text(taxonomy_text)
    lines = ["#OTU ID\tS1\tS2"] + [f"{feature}\t{a}\t{b}" for feature, (a, b) in counts.items()]
    (tmp_path / "feature-table.tsv").write_text("\n".join(lines) + "\n")
    return gutbalance.read([tmp_path / "feature-table.tsv", tmp_path / "taxonomy.tsv"])


@pytest.mark.parametrize(
    ("taxonomy_text", "counts"),
    [
        # S2 has the species of both spellings but no genus-only read of g__[Ruminococcus]
        (GG_FEATURES, {"a1": (5, 0), "a2": (7, 12), "a3": (3, 17), "a4": (10, 20), "a5": (15, 5), "a6": (50, 40),
                       "a7": (10, 6)}),
        (SILVA_FEATURES, {"b1": (20, 5), "b2": (30, 10), "b3": (5, 0), "b4": (40, 80), "b5": (5, 5)}),
    ],
    ids=["greengenes-two-spellings-and-homonyms", "silva-uncultured-in-two-families"],
)
@pytest.mark.filterwarnings("ignore:.*may be read counts:gutbalance.errors.GutBalanceWarning")  # whole counts, 100 a sample
def test_one_name_in_two_places_of_a_16s_taxonomy_is_counted_once(tmp_path, taxonomy_text, counts):
    # Before: a taxon spelt two ways, or one name under two families, was taken
    # for one clade whose children outgrew it; the sample was then read as
    # per-rank estimates and its phyla added up to up to 1.45 (Moving
    # Pictures), `placed` fell to 0.006.
    if "[Ruminococcus]" in taxonomy_text:
        with pytest.warns(gutbalance.GutBalanceWarning, match=r"\[Ruminococcus\] under Lachnospiraceae"):
            cohort = _hashed_table(tmp_path, taxonomy_text, counts)
    else:
        cohort = _hashed_table(tmp_path, taxonomy_text, counts)
    phyla = cohort.at_rank("phylum")
    totals = np.array(list(counts.values()), dtype=float).sum(axis=0)
    assert phyla.sum(axis=1).to_numpy() == pytest.approx([1.0, 1.0], abs=1e-12)
    assert cohort.samples["placed"].to_numpy() == pytest.approx([1.0, 1.0], abs=1e-12)
    firmicutes = np.array([sum(counts[f][k] for f in counts if f not in ("a6", "a7", "b4")) for k in (0, 1)])
    assert phyla["p__Bacillota"].to_numpy() == pytest.approx(firmicutes / totals)
    # every clade is the sum of its own share and its children's: no child above its parent
    own, _ = cohort.terminal_matrix()
    assert np.asarray(own.sum(axis=1)).ravel() == pytest.approx([1.0, 1.0])
    assert (own.data >= 0).all()


def test_a_greengenes_bracketed_genus_of_another_family_is_read_at_its_family(tmp_path):
    # Moving Pictures (Greengenes 13_8): g__[Ruminococcus] under Lachnospiraceae is
    # the R. gnavus group, not Ruminococcus of Ruminococcaceae; g__[Prevotella]
    # under f__[Paraprevotellaceae] is not Prevotella of Prevotellaceae.
    taxonomy = GG_FEATURES + (
        "a8\tk__Bacteria; p__Bacteroidetes; c__Bacteroidia; o__Bacteroidales; f__[Paraprevotellaceae]; "
        "g__[Prevotella]; s__\t0.9\n"
        "a9\tk__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; f__Lachnospiraceae; g__[Ruminococcus]; "
        "s__zzunknown\t0.9\n"
        "a10\tk__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; f__Ruminococcaceae; g__[Ruminococcus]; "
        "s__\t0.9\n"
    )
    counts = {"a1": (5, 0), "a2": (7, 12), "a3": (3, 17), "a4": (10, 20), "a5": (15, 5), "a6": (50, 40),
              "a7": (10, 6), "a8": (4, 0), "a9": (2, 0), "a10": (6, 0)}
    with pytest.warns(gutbalance.GutBalanceWarning, match=r"read at their family.*\[Prevotella\] under "
                      r"Paraprevotellaceae \(not Prevotellaceae\): 1 feature; \[Ruminococcus\] under Lachnospiraceae "
                      r"\(not Ruminococcaceae\): 3 features\)"):
        cohort = _hashed_table(tmp_path, taxonomy, counts)
    total = sum(a for a, _ in counts.values())
    genera, families = cohort.at_rank("genus"), cohort.at_rank("family")
    # genus Ruminococcus: only the unbracketed name (a3: an unbracketed genus keeps
    # the table's lineage, as documented) and the bracketed one whose family agrees (a10)
    assert genera.loc["S1", "g__Ruminococcus"] == pytest.approx((3 + 6) / total)
    # the genus-only reads (a1) and the unknown species (a9) stay in Lachnospiraceae, at family rank
    lachno_genera = [c for c in genera.columns if cohort.taxa.loc[c, "family"] == "Lachnospiraceae"]
    own, taxa = cohort.terminal_matrix()
    own_family = own.toarray()[0, list(taxa.index).index("f__Lachnospiraceae")]
    assert own_family == pytest.approx((5 + 2) / total)
    # the species Greengenes names under the bracketed genus is still named (Mediterraneibacter gnavus)
    assert cohort.at_rank("species").loc["S2", "s__Mediterraneibacter gnavus"] == pytest.approx(12 / 100)
    assert cohort.taxa.loc["s__Mediterraneibacter gnavus", "family"] == "Lachnospiraceae"
    assert "g__Ruminococcus" not in lachno_genera
    # a family the lineage table does not know is keyed under its order (cohort.column_key)
    assert families.loc["S1", "o__Bacteroidales|f__Paraprevotellaceae"] == pytest.approx(4 / total)
    assert genera.loc["S1"].get("g__Prevotella", 0.0) == 0.0


@pytest.mark.filterwarnings("ignore:.*may be read counts:gutbalance.errors.GutBalanceWarning")  # whole counts, 100 a sample
def test_silva_uncultured_genera_of_two_families_stay_two_taxa(tmp_path):
    cohort = _hashed_table(tmp_path, SILVA_FEATURES, {"b1": (20, 5), "b2": (30, 10), "b3": (5, 0), "b4": (40, 80),
                                                      "b5": (5, 5)})
    genera = cohort.at_rank("genus")
    uncultured = [key for key in genera.columns if key.endswith("g__uncultured")]
    assert sorted(uncultured) == ["f__Lachnospiraceae|g__uncultured", "f__Ruminococcaceae|g__uncultured"]
    assert genera.loc["S1", "f__Ruminococcaceae|g__uncultured"] == pytest.approx(0.2)
    assert genera.loc["S1", "f__Lachnospiraceae|g__uncultured"] == pytest.approx(0.35)
    families = cohort.at_rank("family")
    assert families.loc["S2", "f__Lachnospiraceae"] == pytest.approx(15 / 100)


# DADA2 as its users save it (Curtis131/seafood-microbiome-analysis,
# seqtab.nochim.csv + taxa_sf2.csv): R's write.csv of the sequence table
# (samples as rows, named by numbers; ASV sequences as column names; an empty
# first header cell) and of assignTaxonomy's table (sequences as rows, one
# column per rank, NA where unassigned, Species holding the epithet only).
SEQ_A = "TACGTAGGTGGCAAGCGTTATCCGGATTTATTGGGCGTAAAGCGAGCGCAGGCGGTTTTTTAAGTCTGATGTGAAAGCCC"
SEQ_B = "TACGGAGGATCCGAGCGTTATCCGGATTTATTGGGTTTAAAGGGAGCGTAGATGGATGTTTAAGTCAGTTGTGAAAGTTT"
SEQ_C = "TACGTAGGGGGCAAGCGTTATCCGGATTTACTGGGTGTAAAGGGAGCGTAGACGGCATGGCAAGTCTGATGTGAAAGGCT"
SEQ_D = "GACGAACCGTGCGAACGTTATCCGGATTTACTGGGCGTAAAGGGAGCGTAGACGGCATGGCAAGTCTGATGTGAAAGGCT"
DADA2_SEQTAB = f'"","{SEQ_A}","{SEQ_B}","{SEQ_C}","{SEQ_D}"\n"914",60,20,15,5\n"915",0,50,50,0\n'
DADA2_TAXA = (
    '"","Kingdom","Phylum","Class","Order","Family","Genus","Species"\n'
    f'"{SEQ_A}","Bacteria","Firmicutes","Bacilli","Lactobacillales","Streptococcaceae","Streptococcus",NA\n'
    f'"{SEQ_B}","Bacteria","Bacteroidota","Bacteroidia","Bacteroidales","Bacteroidaceae","Bacteroides","fragilis"\n'
    f'"{SEQ_C}","Bacteria","Firmicutes","Clostridia","Lachnospirales","Lachnospiraceae",NA,NA\n'
    f'"{SEQ_D}",NA,NA,NA,NA,NA,NA,NA\n'
)


@pytest.mark.filterwarnings("ignore:.*may be read counts:gutbalance.errors.GutBalanceWarning")  # whole counts, 100 a sample
def test_dada2_sequence_table_with_its_taxonomy_table(tmp_path):
    (tmp_path / "seqtab.nochim.csv").write_text(DADA2_SEQTAB)
    (tmp_path / "taxa.csv").write_text(DADA2_TAXA)
    assert taxonomy_file_kind(tmp_path / "taxa.csv") == "ranks"
    assert taxonomy_file_kind(tmp_path / "seqtab.nochim.csv") is None
    cohort = gutbalance.read([tmp_path / "seqtab.nochim.csv", tmp_path / "taxa.csv"])
    assert cohort.sample_names == ["914", "915"]  # samples are the rows, not the sequences
    assert cohort.samples.loc["914", "unassigned"] == pytest.approx(0.05)  # Kingdom NA
    species = cohort.at_rank("species")
    assert species.loc["915", "s__Bacteroides fragilis"] == pytest.approx(0.5)  # epithet + genus
    families = cohort.at_rank("family")
    assert families.loc["914", "f__Lachnospiraceae"] == pytest.approx(0.15)
    assert cohort.at_rank("phylum").sum(axis=1).to_numpy() == pytest.approx([0.95, 1.0])


def test_dada2_sequence_table_alone_says_what_to_give_beside_it(tmp_path):
    (tmp_path / "seqtab.nochim.csv").write_text(DADA2_SEQTAB)
    with pytest.raises(gutbalance.errors.FormatError, match=r"ASV sequence .*no taxonomy.*assignTaxonomy") as info:
        gutbalance.read(tmp_path / "seqtab.nochim.csv")
    assert "seqtab.nochim.csv" in str(info.value)


def test_dada2_sequence_table_beside_another_runs_taxonomy_says_the_taxonomy_does_not_name_it(tmp_path):
    # The seafood study's seqtab.nochim.csv beside its older taxa.csv: the
    # message said the table had that taxonomy "naming it".
    (tmp_path / "seqtab.nochim.csv").write_text(DADA2_SEQTAB)
    other_run = DADA2_TAXA.replace(SEQ_A, SEQ_A[::-1]).replace(SEQ_B, SEQ_B[::-1])
    (tmp_path / "taxa.csv").write_text(other_run)
    with pytest.raises(gutbalance.errors.FormatError,
                       match=r"ASV sequence and the taxonomy given beside it \(.*taxa.csv\) does not name it: "
                             r"give this table's own taxonomy"):
        gutbalance.read([tmp_path / "seqtab.nochim.csv", tmp_path / "taxa.csv"])


# A rank table row leaves out its missing ranks (it stopped at the first one
# until 2026-11-28: NCBI lineages of kraken-biom tables leave ranks empty above
# named ones): tests/io/test_kraken_tables_as_labs_save_them.py fuzzes it.


def _write_hdf5(table: biom.Table, path: Path) -> Path:
    with h5py.File(path, "w") as f:
        table.to_hdf5(f, "test")
    return path


def test_a_taxonomy_naming_fewer_than_half_the_features_is_refused_naming_the_likely_cause(tmp_path):
    # A taxonomy made from another table's sequences names few of this table's.
    (tmp_path / "taxonomy.tsv").write_text(GG_FEATURES)
    table = biom.Table(np.array([[5.0, 1.0], [3.0, 2.0], [1.0, 1.0]]), ["a1", "zz8", "zz9"], ["S1", "S2"])
    _write_hdf5(table, tmp_path / "table.biom")
    with pytest.raises(gutbalance.errors.FormatError, match=r"2 of 3 features .*'zz8'.* not in the taxonomy given "
                       r"beside the table \(.*taxonomy.tsv\): was that taxonomy made from another table"):
        gutbalance.read([tmp_path / "table.biom", tmp_path / "taxonomy.tsv"])


def test_features_a_taxonomy_leaves_out_are_read_as_unassigned_with_a_warning(tmp_path):
    # hollyanitamartin/shinyMicrobiota's Jangi et al. 2016 pair: 2 of the
    # 1,322 features of filt-feature-table.qza are not in hybrid-taxonomy.qza
    # (at most 0.07 % of a sample); the whole study was refused for them.
    (tmp_path / "taxonomy.tsv").write_text(GG_FEATURES)
    counts = np.array([[60.0, 10.0], [30.0, 0.0], [10.0, 0.0], [0.0, 40.0]])
    table = biom.Table(counts, ["a6", "a4", "zz9", "a7"], ["S1", "S2"])
    _write_hdf5(table, tmp_path / "table.biom")
    with pytest.warns(GutBalanceWarning, match=r"1 of 4 features \(ids such as 'zz9'\) are not in the taxonomy given "
                      r"beside the table \(.*taxonomy.tsv\) and are read as unassigned \(at most 10 % of a sample\)"):
        cohort = gutbalance.read([tmp_path / "table.biom", tmp_path / "taxonomy.tsv"])
    assert cohort.samples.loc["S1", "unassigned"] == pytest.approx(0.10)
    assert cohort.samples.loc["S2", "unassigned"] == pytest.approx(0.0)
    genera = cohort.at_rank("genus")
    assert genera.loc["S1", "g__Bacteroides"] == pytest.approx(0.60)
    assert genera.loc["S1", "g__Clostridium"] == pytest.approx(0.30)
    # S2 holds none of the unnamed feature's reads: its row is what the table
    # gives without that feature.
    alone = biom.Table(counts[[0, 1, 3]][:, [1]], ["a6", "a4", "a7"], ["S2"])
    _write_hdf5(alone, tmp_path / "alone.biom")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GutBalanceWarning)
        reference = gutbalance.read([tmp_path / "alone.biom", tmp_path / "taxonomy.tsv"])
    pd.testing.assert_series_equal(gutbalance.score(cohort).loc["S2"], gutbalance.score(reference).loc["S2"])


# laurichi13/16S-CRC-data genus.csv.csv: samples x SILVA 138 genera, the genus
# names as the header ("SampleID, Lysinibacillus, ..." with comma and space),
# counts from phyloseq (a genus merged over families holds a fraction).
CRC_GENUS_CSV = (
    "SampleID, Lysinibacillus, Fusobacterium, Bacteroides, [Eubacterium]_coprostanoligenes_group, UCG-002, "
    "Clostridium_sensu_stricto_1, uncultured\n"
    "ERR475500,0,2651,8991,3262,4171,57,13.657894736842104\n"
    "Cancer7-2537,214716,13442,0,64,0,0,0\n"
)


def test_a_samples_by_genera_table_of_bare_names_is_refused_naming_feature_rank(tmp_path):
    path = tmp_path / "genus.csv"
    path.write_text(CRC_GENUS_CSV)
    with pytest.raises(gutbalance.errors.FormatError, match=r"field 'Lysinibacillus': cannot tell the rank of "
                       r"'Lysinibacillus'.*--feature-rank genus.*feature_rank='genus'.*column names of a table with "
                       r"samples as rows"):
        gutbalance.read(path)
    # the rank is never guessed, not even for a genus the lineage table knows
    path.write_text("SampleID,Bacteroides\nS1,5\n")
    with pytest.raises(gutbalance.errors.FormatError, match="cannot tell the rank of 'Bacteroides'"):
        gutbalance.read(path)


def test_feature_rank_reads_a_samples_by_genera_table_of_bare_names(tmp_path):
    path = tmp_path / "genus.csv"
    path.write_text(CRC_GENUS_CSV)
    cohort = gutbalance.read(path, feature_rank="genus")
    genera = cohort.at_rank("genus")
    total = 2651 + 8991 + 3262 + 4171 + 57 + 13.657894736842104
    assert genera.loc["ERR475500", "g__Fusobacterium"] == pytest.approx(2651 / total, rel=1e-12)
    assert genera.loc["Cancer7-2537", "g__Lysinibacillus"] == pytest.approx(214716 / (214716 + 13442 + 64))
    # SILVA's "Clostridium_sensu_stricto_1" reads like a binomial; the declared rank wins
    assert "g__Clostridium sensu stricto 1" in genera.columns
    assert not any(c.startswith("s__") for c in cohort.taxa.index)
    # a genus the lineage table knows gets its lineage; one it does not (SILVA's
    # placeholder names) stays a genus with no parent: counted, not placed
    assert cohort.taxa.loc["g__Fusobacterium", "phylum"] == "Fusobacteriota"
    unknown = cohort.taxa.loc["g__Eubacterium coprostanoligenes group"]
    assert unknown["rank"] == "genus"
    assert unknown["parent"] == ""
    placed = cohort.samples.loc["ERR475500", "placed"]
    assert placed == pytest.approx(1 - (3262 + 13.657894736842104) / total, rel=1e-12)
    # the same table with its genera written g__X reads the same, to the bit
    prefixed = tmp_path / "prefixed.csv"
    header, *rows = CRC_GENUS_CSV.splitlines()
    cells = [c.strip() for c in header.split(",")]
    prefixed.write_text(",".join([cells[0], *("g__" + c for c in cells[1:])]) + "\n" + "\n".join(rows) + "\n")
    assert gutbalance.score(gutbalance.read(prefixed)).equals(gutbalance.score(cohort))


def test_feature_rank_applies_to_row_labels_and_long_tables_and_leaves_lineages_alone(tmp_path):
    rows = tmp_path / "rows.tsv"
    rows.write_text("name\tS1\tS2\nFusobacterium\t3\t1\nk__Bacteria;p__Bacillota;c__Bacilli\t1\t1\n")
    cohort = gutbalance.read(rows, feature_rank="genus")
    assert "g__Fusobacterium" in cohort.taxa.index
    assert "c__Bacilli" in cohort.taxa.index
    long = tmp_path / "long.csv"
    long.write_text("sample,taxon,counts\nS1,Blautia,10\nS1,UCG-002,5\nS2,Blautia,3\n")
    assert gutbalance.read(long, feature_rank="genus").at_rank("genus").loc["S1", "g__Blautia"] == pytest.approx(2 / 3)
    # a column headed by its rank is the file's own statement: read at it, and
    # the declared rank (for names no file ranks) is said not to apply
    headed = tmp_path / "headed.tsv"
    headed.write_text("genus\tS1\nBlautia\t4\n")
    with pytest.warns(GutBalanceWarning, match="field 'genus': .* read as genus names, not at the rank declared .*species"):
        assert "g__Blautia" in gutbalance.read(headed, feature_rank="species").taxa.index
    batch = gutbalance.read_batch([headed], feature_rank="species")
    assert [(p.severity, p.file) for p in batch.problems] == [("warning", str(headed))]
    assert batch.problems[0].message.startswith("field 'genus': the header names the rank of this column")
    with pytest.raises(gutbalance.errors.TaxonomyError, match="'genera' is not a rank"):
        gutbalance.read(headed, feature_rank="genera")


def test_feature_rank_species_takes_whole_names_and_refuses_one_word(tmp_path):
    # a species table as phyloseq writes it after tax_glom at Species with the
    # genus pasted in: some names have a second word that is not an epithet
    path = tmp_path / "species.csv"
    path.write_text("SampleID,Bacteroides_fragilis,Candidatus_Arthromitus sp. SFB-mouse,Faecalibacterium_prausnitzii\n"
                    "S1,2,1,7\n")
    cohort = gutbalance.read(path, feature_rank="species")
    species = cohort.at_rank("species")
    assert species.loc["S1", "s__Bacteroides fragilis"] == pytest.approx(0.2)
    assert cohort.taxa.loc["s__Faecalibacterium prausnitzii", "genus"] == "Faecalibacterium"
    path.write_text("SampleID,Bacteroides_fragilis,Bacteroides\nS1,2,1\n")
    with pytest.raises(gutbalance.errors.FormatError, match="'Bacteroides' is one word, not a species name"):
        gutbalance.read(path, feature_rank="species")


def test_feature_rank_refuses_a_table_whose_orientation_it_cannot_tell(tmp_path):
    # R's write.csv of a samples x genera data frame: the first header cell is empty
    path = tmp_path / "genus.csv"
    path.write_text('"","Blautia","UCG-002"\n"ERR1",3,4\n"ERR2",1,0\n')
    with pytest.raises(gutbalance.errors.FormatError, match="cannot tell whether the taxa are the rows or the columns"):
        gutbalance.read(path, feature_rank="genus")


def test_feature_rank_on_the_command_line(tmp_path):
    path = tmp_path / "genus.csv"
    path.write_text(CRC_GENUS_CSV)
    runner = CliRunner()
    refused = runner.invoke(main, ["analyze", str(path), "-o", str(tmp_path / "no"), "--reports", "none"])
    assert refused.exit_code == 2
    problems = (tmp_path / "no" / "problems.tsv").read_text()
    assert "--feature-rank genus" in problems
    done = runner.invoke(main, ["analyze", str(path), "-o", str(tmp_path / "yes"), "--reports", "none",
                                "--feature-rank", "genus", "-j", "1"])
    assert done.exit_code == 0, done.output
    scores = read_scores(tmp_path / "yes" / "scores.tsv")
    expected = gutbalance.score(gutbalance.read(path, feature_rank="genus"))
    assert np.allclose(scores["immune_support"], expected["immune_support"], rtol=0, atol=1e-9)
    converted = runner.invoke(main, ["convert", str(path), "-o", str(tmp_path / "genus.biom"), "--feature-rank", "genus"])
    assert converted.exit_code == 0, converted.output
    assert "g__Fusobacterium" in gutbalance.read(tmp_path / "genus.biom").taxa.index


# MetaPhlAn 4 with -t rel_ab_w_read_stats --unclassified_estimation (the shape
# FredHutch/nf-differential-abundance's README shows for mpa_vJan21): an
# UNCLASSIFIED row, clade_taxid, coverage and estimated reads columns, t__SGB rows.
MPA4_READ_STATS = '#mpa_vJan21_CHOCOPhlAnSGB_202103\n#/usr/local/bin/metaphlan --nproc 16 --input_type bowtie2out -t rel_ab_w_read_stats --unclassified_estimation --index mpa_vJan21_CHOCOPhlAnSGB_202103 S1.bowtie2.bz2 S1.metaphlan\n#2948649 reads processed\n#S1\tS1\n#estimated_reads_mapped_to_known_clades:1000\n#clade_name\tclade_taxid\trelative_abundance\tcoverage\testimated_number_of_reads_from_the_clade\nUNCLASSIFIED\t-1\t40.0\t-\t700\nk__Bacteria\t2\t60.0\t0.3\t1000\nk__Bacteria|p__Firmicutes\t2|1239\t60.0\t0.3\t1000\nk__Bacteria|p__Firmicutes|c__Clostridia\t2|1239|186801\t60.0\t0.3\t1000\nk__Bacteria|p__Firmicutes|c__Clostridia|o__Eubacteriales\t2|1239|186801|186802\t60.0\t0.3\t1000\nk__Bacteria|p__Firmicutes|c__Clostridia|o__Eubacteriales|f__Oscillospiraceae\t2|1239|186801|186802|216572\t60.0\t0.3\t1000\nk__Bacteria|p__Firmicutes|c__Clostridia|o__Eubacteriales|f__Oscillospiraceae|g__Faecalibacterium\t2|1239|186801|186802|216572|216851\t60.0\t0.3\t1000\nk__Bacteria|p__Firmicutes|c__Clostridia|o__Eubacteriales|f__Oscillospiraceae|g__Faecalibacterium|s__Faecalibacterium_prausnitzii\t2|1239|186801|186802|216572|216851|853\t45.0\t0.2\t750\nk__Bacteria|p__Firmicutes|c__Clostridia|o__Eubacteriales|f__Oscillospiraceae|g__Faecalibacterium|s__Faecalibacterium_prausnitzii|t__SGB15318\t2|1239|186801|186802|216572|216851|853|\t45.0\t0.2\t750\nk__Bacteria|p__Firmicutes|c__Clostridia|o__Eubacteriales|f__Oscillospiraceae|g__Faecalibacterium|s__Faecalibacterium_SGB15346\t2|1239|186801|186802|216572|216851|\t15.0\t0.1\t250\nk__Bacteria|p__Firmicutes|c__Clostridia|o__Eubacteriales|f__Oscillospiraceae|g__Faecalibacterium|s__Faecalibacterium_SGB15346|t__SGB15346\t2|1239|186801|186802|216572|216851||\t15.0\t0.1\t250\n'


def test_metaphlan4_with_read_stats_and_unclassified_estimation(tmp_path):
    path = tmp_path / "S1.metaphlan"
    path.write_text(MPA4_READ_STATS)
    cohort = gutbalance.read(path)
    assert cohort.samples.loc["S1", "source_format"] == "metaphlan"
    assert cohort.samples.loc["S1", "unassigned"] == pytest.approx(0.40)
    species = cohort.at_rank("species")
    assert species.loc["S1", "s__Faecalibacterium prausnitzii"] == pytest.approx(0.45)
    assert species.loc["S1", "s__Faecalibacterium SGB15346"] == pytest.approx(0.15)
    scores = gutbalance.score(cohort)
    assert scores.loc["S1", "diversity_rank"] == "species"
    assert scores.loc["S1", "shannon"] == pytest.approx(-(0.75 * np.log(0.75) + 0.25 * np.log(0.25)))


def test_feature_table_tsv_constructed_from_biom_with_taxonomy_tsv(tmp_path):
    # nf-core/ampliseq's qiime2/abundance_tables/feature_table.tsv (biom convert --to-tsv)
    (tmp_path / "feature_table.tsv").write_text(
        "# Constructed from biom file\n#OTU ID\tSample1\tSample2\n"
        "22f4ee9a41a4d73580bf7ade8e9e017a\t400.0\t168.0\nec6c9233b72090035eb87c6ff39a84a7\t100.0\t32.0\n"
    )
    (tmp_path / "taxonomy.tsv").write_text(
        "Feature ID\tTaxon\tConfidence\n"
        "22f4ee9a41a4d73580bf7ade8e9e017a\td__Bacteria; p__Firmicutes; c__Clostridia; o__Oscillospirales; "
        "f__Ruminococcaceae; g__Faecalibacterium\t0.99\n"
        "ec6c9233b72090035eb87c6ff39a84a7\td__Bacteria; p__Bacteroidota; c__Bacteroidia; o__Bacteroidales; "
        "f__Bacteroidaceae; g__Bacteroides; s__Bacteroides_coprocola\t0.99\n"
    )
    cohort = gutbalance.read([tmp_path / "feature_table.tsv", tmp_path / "taxonomy.tsv"])
    assert cohort.sample_names == ["Sample1", "Sample2"]
    assert cohort.at_rank("genus").loc["Sample2", "g__Faecalibacterium"] == pytest.approx(168 / 200)


@pytest.mark.parametrize(
    "head",
    [b"\x1f\x8b\x08\x00\xad\xee\x08k\x02\xff\xbd\x91\xcfN\xc30\x0c\xc6\xcf\xe9S \xf5\r\x8b,\x00\n", b'"",Kingdom\r,x\n'],
)
def test_peeking_for_a_rank_table_never_raises(tmp_path, head):
    # A gzipped profile's first bytes once made the csv module raise in the peek.
    path = tmp_path / "S1_profile.txt.gz"
    path.write_bytes(head)
    assert taxonomy_file_kind(path) is None


# A paper's supplementary taxonomy table (sxmorgan/gespic-public, Essex et al.
# 2022, Table 1): lower-case rank headers, no kingdom, and annotation columns
# after the ranks (the epithet as "purported_species", a genus "bin").
GESPIC_TAXONOMY = (
    "ASV\tphylum\tclass\torder\tfamily\tgenus\tpurported_species\tbin\n"
    "ASV1\tBacteroidota\tBacteroidia\tBacteroidales\tPrevotellaceae\tPrevotella\tcopri\tPrevotella\n"
    "ASV2\tFirmicutes\tClostridia\tOscillospirales\tRuminococcaceae\tFaecalibacterium\tNA\tFaecalibacterium\n"
    "ASV3\tFirmicutes\tClostridia\tLachnospirales\tLachnospiraceae\tNA\tNA\tother\n"
)


def test_a_taxonomy_table_with_annotation_columns_after_its_ranks(tmp_path):
    (tmp_path / "taxonomy.tsv").write_text(GESPIC_TAXONOMY)
    (tmp_path / "asv.tsv").write_text("ASV\tP1_run0\tP2_run0\nASV1\t30\t0\nASV2\t50\t10\nASV3\t20\t30\n")
    assert taxonomy_file_kind(tmp_path / "taxonomy.tsv") == "ranks"
    lineages = parse_rank_table(GESPIC_TAXONOMY, Path("taxonomy.tsv"))
    # the ranks are read, the annotations after them are not
    assert lineages["ASV1"] == "p__Bacteroidota; c__Bacteroidia; o__Bacteroidales; f__Prevotellaceae; g__Prevotella"
    assert lineages["ASV3"] == "p__Firmicutes; c__Clostridia; o__Lachnospirales; f__Lachnospiraceae"
    cohort = gutbalance.read([tmp_path / "asv.tsv", tmp_path / "taxonomy.tsv"])
    genera = cohort.at_rank("genus")
    assert genera.loc["P1_run0", "g__Faecalibacterium"] == pytest.approx(0.5)
    assert genera.loc["P2_run0", "g__Faecalibacterium"] == pytest.approx(0.25)


def test_rank_columns_followed_by_sample_columns_are_a_feature_table_not_a_taxonomy(tmp_path):
    # a phyloseq export (tax_table beside otu_table in one sheet): numbers after the ranks
    path = tmp_path / "otus.csv"
    path.write_text("OTU,Phylum,Genus,S1,S2\nOTU1,Firmicutes,Blautia,30,0\nOTU2,Bacteroidota,Bacteroides,70,10\n")
    assert taxonomy_file_kind(path) is None
    cohort = gutbalance.read(path)
    assert cohort.at_rank("genus").loc["S1", "g__Blautia"] == pytest.approx(0.3)


@pytest.mark.filterwarnings("ignore:.*may be read counts:gutbalance.errors.GutBalanceWarning")  # whole counts, 100 a sample
def test_a_taxonomy_table_with_the_sequence_between_the_id_and_the_ranks(tmp_path):
    # MDSINE2's silva_species.tsv: "\t\tKingdom\t...\tSpecies", rows "ASV_1\t<sequence>\tBacteria\t..."
    (tmp_path / "silva_species.tsv").write_text(
        "\t\tKingdom\tPhylum\tClass\tOrder\tFamily\tGenus\tSpecies\n"
        f"ASV_1\t{SEQ_B}\tBacteria\tBacteroidota\tBacteroidia\tBacteroidales\tBacteroidaceae\tBacteroides\tNA\n"
        f"ASV_2\t{SEQ_C}\tBacteria\tVerrucomicrobiota\tVerrucomicrobiae\tVerrucomicrobiales\tAkkermansiaceae"
        "\tAkkermansia\tmuciniphila\n"
    )
    (tmp_path / "counts.tsv").write_text('""\t"1-D0AM"\t"1-D1AM"\n"ASV_1"\t90\t20\n"ASV_2"\t10\t80\n')
    assert taxonomy_file_kind(tmp_path / "silva_species.tsv") == "ranks"
    cohort = gutbalance.read([tmp_path / "counts.tsv", tmp_path / "silva_species.tsv"])
    assert cohort.at_rank("species").loc["1-D1AM", "s__Akkermansia muciniphila"] == pytest.approx(0.8)
    assert cohort.at_rank("genus").loc["1-D0AM", "g__Bacteroides"] == pytest.approx(0.9)


# The GMWI2 tool's outputs beside its profiles (danielchang2002/GMWI2: the
# kefir conda results and example/SRR1761666 write taxa_name/coefficient;
# example/poop_* of an early version an empty first cell and relative_abundance).
GMWI2_TAXA = (
    "taxa_name\tcoefficient\n"
    "k__Bacteria|p__Actinobacteria|c__Coriobacteriia|o__Eggerthellales\t0.10985985383440176\n"
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides"
    "|s__Bacteroides_fragilis\t0.07291223509268127\n"
)
GMWI2_TAXA_EARLY = (
    "\tcoefficient\trelative_abundance\n"
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Prevotellaceae|g__Prevotella"
    "|s__Prevotella_copri\t0.019327473574940728\t0.29238498262551343\n"
    "k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales\t-0.029478227263531553\t0.0483113971291\n"
)
# The model's own table, in the shape of ../shared/data/gmwi2/GMWI2_coefficients.tsv
# (header "taxon", negative coefficients: it was refused as "negative abundance").
GMWI2_MODEL = (
    "taxon\tcoefficient\n"
    "k__Bacteria|p__Actinobacteria|c__Actinobacteria|o__Actinomycetales|f__Actinomycetaceae|g__Actinomyces"
    "\t-0.002971706718511846\n"
    "k__Bacteria|p__Actinobacteria|c__Actinobacteria|o__Bifidobacteriales|f__Bifidobacteriaceae|g__Bifidobacterium"
    "|s__Bifidobacterium_adolescentis\t0.184438966271142\n"
)


@pytest.mark.parametrize(
    ("name", "text", "what"),
    [
        ("S1_GMWI2_taxa.txt", GMWI2_TAXA, "GMWI2 tool's list of the model's clades"),
        ("poop_GMWI2_taxa.txt", GMWI2_TAXA_EARLY, "GMWI2 tool's list of the model's clades"),
        ("S1_GMWI2.txt", "-0.6474276292645814\n", "as the GMWI2 tool writes a sample's score"),
        ("GMWI2_coefficients.tsv", GMWI2_MODEL, "GMWI2 model's 95 coefficients"),
        # gutbalance's own copy: comment lines citing the source, then "clade"
        ("gmwi2_coefficients.tsv", "# GMWI2 coefficients\n# source: doi\n" + GMWI2_MODEL.replace("taxon", "clade", 1),
         "GMWI2 model's 95 coefficients"),
    ],
)
def test_gmwi2_tool_outputs_are_reported_as_what_they_are(tmp_path, name, text, what):
    (tmp_path / name).write_text(text)
    ends = "give the profiles" if "coefficients.tsv" in name else "_metaphlan.txt"
    with pytest.raises(gutbalance.errors.UnrecognizedFormatError, match=f"not a profile: .*{what}.*{ends}"):
        gutbalance.read(tmp_path / name)


def test_a_folder_of_gmwi2_tool_outputs_scores_the_profiles_only(tmp_path):
    source = Path(gutbalance.example_path()) / "example_diverse.txt"
    (tmp_path / "S1_metaphlan.txt").write_bytes(source.read_bytes())
    (tmp_path / "S1_GMWI2.txt").write_text("0.21\n")
    (tmp_path / "S1_GMWI2_taxa.txt").write_text(GMWI2_TAXA)  # all coefficients positive: was a sample "coefficient"
    result = gutbalance.read_batch(tmp_path)
    assert list(result.cohort.sample_names) == list(gutbalance.read(tmp_path / "S1_metaphlan.txt").sample_names)
    failed = {Path(p.file).name: p.message for p in result.failed}
    assert set(failed) == {"S1_GMWI2.txt", "S1_GMWI2_taxa.txt"}
    assert all(message.startswith("not a profile: ") for message in failed.values())


@pytest.mark.parametrize(
    "text",
    [
        "clade_name\tS1\nk__Bacteria\t100\n",  # a one-sample table of clades
        "taxa_name\tcoefficient\nBacteroides fragilis\t0.5\n",  # not MetaPhlAn clades
        "12\n13\n",  # two numbers
        "taxonomy\tcoefficient\tS2\nk__Bacteria\t0.1\t5\n",
        "clade\tcoefficient\nBacteroides fragilis\t-0.5\n",  # a model, but not of MetaPhlAn clades
        "clade\tweight\nk__Bacteria\t-0.5\n",
        "clade\tcoefficient\n",  # a header alone
    ],
)
def test_the_gmwi2_output_sniffers_take_nothing_else(text):
    source = _source(text, "x.txt")
    assert not sniff_taxa(source)
    assert not sniff_score(source)
    assert not sniff_model(source)


def test_the_shared_gmwi2_model_file_is_named_in_problems(shared_data, tmp_path):
    # what a user gets for ../shared/data/gmwi2 as a folder: the profile
    # scored, the model file and the tool's two outputs each named
    result = gutbalance.read_batch(shared_data / "gmwi2")
    assert len(result.cohort.sample_names) == 1
    failed = {Path(p.file).name: p.message for p in result.failed}
    assert "GMWI2 model's 95 coefficients" in failed["GMWI2_coefficients.tsv"]
    assert "negative" not in failed["GMWI2_coefficients.tsv"]


# sylph-tax (sylph's taxonomy step), in the shape of benchpro's CAMI
# gastrointestinal runs (4less/benchpro_rust, data/test_data/profiles/
# predictions/sylph): "#SampleID" and the reads' path, the header without its
# '#', NA in the genome columns above the genomes, GTDB names with suffixes.
SYLPH = (
    "#SampleID\t/data/CAMI/gastrointestinal_samples/sample_0/reads/anonymous_reads_1.fq\n"
    "clade_name\trelative_abundance\tsequence_abundance\tANI (if strain-level)\t Coverage (if strain-level)\n"
    "d__Bacteria\t100.0\t100.0\tNA\tNA\n"
    "d__Bacteria|p__Bacillota_A\t100.0\t100.0\tNA\tNA\n"
    "d__Bacteria|p__Bacillota_A|c__Clostridia\t100.0\t100.0\tNA\tNA\n"
    "d__Bacteria|p__Bacillota_A|c__Clostridia|o__Lachnospirales\t60.0\t55.0\tNA\tNA\n"
    "d__Bacteria|p__Bacillota_A|c__Clostridia|o__Clostridiales\t40.0\t45.0\tNA\tNA\n"
    "d__Bacteria|p__Bacillota_A|c__Clostridia|o__Lachnospirales|f__Lachnospiraceae\t60.0\t55.0\tNA\tNA\n"
    "d__Bacteria|p__Bacillota_A|c__Clostridia|o__Clostridiales|f__Clostridiaceae\t40.0\t45.0\tNA\tNA\n"
    "d__Bacteria|p__Bacillota_A|c__Clostridia|o__Lachnospirales|f__Lachnospiraceae|g__Roseburia\t60.0\t55.0\tNA\tNA\n"
    "d__Bacteria|p__Bacillota_A|c__Clostridia|o__Clostridiales|f__Clostridiaceae|g__Clostridium\t40.0\t45.0\tNA\tNA\n"
    "d__Bacteria|p__Bacillota_A|c__Clostridia|o__Lachnospirales|f__Lachnospiraceae|g__Roseburia|s__Roseburia hominis"
    "\t60.0\t55.0\tNA\tNA\n"
    "d__Bacteria|p__Bacillota_A|c__Clostridia|o__Clostridiales|f__Clostridiaceae|g__Clostridium|s__Clostridium butyricum"
    "\t40.0\t45.0\tNA\tNA\n"
    "d__Bacteria|p__Bacillota_A|c__Clostridia|o__Lachnospirales|f__Lachnospiraceae|g__Roseburia|s__Roseburia hominis"
    "|t__GCF_000225345.1\t60.0\t55.0\t99.8\t3.1\n"
    "d__Bacteria|p__Bacillota_A|c__Clostridia|o__Clostridiales|f__Clostridiaceae|g__Clostridium|s__Clostridium butyricum"
    "|t__GCF_006742065.1\t40.0\t45.0\t100.0\t2.0\n"
)


def test_a_sylph_tax_profile_reads_as_its_own_format(tmp_path):
    # It was refused ("field 'ANI (if strain-level)': 'NA' is not a number"),
    # read as a generic table: MetaPhlAn's sniffer took the header without its
    # '#' for a row.
    path = tmp_path / "Gastrointestinal_0.profile"
    path.write_text(SYLPH)
    source = _source(SYLPH, path.name)
    assert not sniff_single(source)
    cohort = gutbalance.read(path)
    assert cohort.sample_names == ["Gastrointestinal_0"]  # not the reads' path
    assert cohort.samples["source_format"].iloc[0] == "sylph"
    assert cohort.samples["database"].iloc[0] == "sylph-tax"
    species = cohort.at_rank("species").iloc[0]
    shares = {cohort.taxa.loc[k, "name"]: v for k, v in species.items() if v > 0}
    assert shares == pytest.approx({"Roseburia hominis": 0.6, "Clostridium butyricum": 0.4})  # relative_abundance
    assert cohort.at_rank("phylum").sum(axis=1).iloc[0] == pytest.approx(1.0)
    # not MetaPhlAn: no percentiles against the MetaPhlAn population
    result = CliRunner().invoke(main, ["analyze", str(path), "-o", str(tmp_path / "out"), "--reports", "none"])
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(tmp_path / "out" / "scores.tsv", sep="\t")
    assert np.isnan(scores["immune_support_percentile"].iloc[0])
    assert "percentiles not comparable" in scores["warnings"].iloc[0]


# mothur's MiSeq SOP outputs, in the shape of bripper/ANSC595's
# stability.opti_mcc.shared and its classify.otu consensus taxonomy: samples
# as rows under label/Group/numOtus, OTU ids as columns; RDP names with
# bootstrap confidences, "_unclassified" below the deepest rank named.
MOTHUR_SHARED = (
    "label\tGroup\tnumOtus\tOtu00001\tOtu00002\tOtu00003\tOtu00004\n"
    "0.03\tERR3477397_1\t4\t600\t300\t80\t20\n"
    "0.03\tERR3477398_1\t4\t10\t500\t490\t0\n"
)
MOTHUR_TAXONOMY = (
    "OTU\tSize\tTaxonomy\n"
    "Otu00001\t610\tBacteria(100);Bacteroidetes(100);Bacteroidia(100);Bacteroidales(100);Prevotellaceae(100);"
    "Prevotella(100);\n"
    "Otu00002\t800\tBacteria(100);Firmicutes(100);Clostridia(100);Clostridiales(100);Ruminococcaceae(100);"
    "Faecalibacterium(100);\n"
    "Otu00003\t570\tBacteria(100);Firmicutes(100);Clostridia(100);Clostridiales(100);Lachnospiraceae(100);"
    "Lachnospiraceae_unclassified(100);\n"
    "Otu00004\t20\tunknown(100);unknown_unclassified(100);unknown_unclassified(100);unknown_unclassified(100);"
    "unknown_unclassified(100);unknown_unclassified(100);\n"
)


def test_a_mothur_shared_file_with_its_consensus_taxonomy(tmp_path):
    # Both were refused: the .shared as "'ERR3477397_1' is not a number"
    # (label taken for the taxon column), the taxonomy as a table whose
    # lineage "appears twice".
    (tmp_path / "stability.opti_mcc.shared").write_text(MOTHUR_SHARED)
    (tmp_path / "stability.cons.taxonomy").write_text(MOTHUR_TAXONOMY)
    cohort = gutbalance.read([tmp_path / "stability.opti_mcc.shared", tmp_path / "stability.cons.taxonomy"])
    assert cohort.sample_names == ["ERR3477397_1", "ERR3477398_1"]
    assert cohort.counted_samples().all()
    first = cohort.samples.loc["ERR3477397_1"]
    assert first["unassigned"] == pytest.approx(20 / 1000)  # the "unknown" OTU
    genus = cohort.at_rank("genus")
    named = {cohort.taxa.loc[k, "original"]: v for k, v in genus.loc["ERR3477397_1"].items() if v > 0}
    assert named == pytest.approx({"Prevotella": 0.6, "Faecalibacterium": 0.3})
    family = cohort.at_rank("family").loc["ERR3477398_1"]
    lachno = next(k for k in family.index if cohort.taxa.loc[k, "original"] == "Lachnospiraceae")
    assert family[lachno] == pytest.approx(0.49)  # the OTU mothur named no further than its family


def test_a_mothur_shared_file_whose_lines_end_with_a_tab(tmp_path):
    # mothur 1.3x writes a tab after every value, the last too (SchlossLab's
    # glne007 files of Baxter et al. 2016): refused as "numOtus '4', but the
    # header names 5 OTUs", the empty last header cell counted as an OTU.
    tabbed = "".join(line + "\t\n" for line in MOTHUR_SHARED.splitlines())
    (tmp_path / "tabbed.shared").write_text(tabbed)
    (tmp_path / "plain.shared").write_text(MOTHUR_SHARED)
    (tmp_path / "x.cons.taxonomy").write_text(MOTHUR_TAXONOMY)
    tabbed_cohort = gutbalance.read([tmp_path / "tabbed.shared", tmp_path / "x.cons.taxonomy"])
    plain = gutbalance.read([tmp_path / "plain.shared", tmp_path / "x.cons.taxonomy"])
    assert tabbed_cohort.sample_names == ["ERR3477397_1", "ERR3477398_1"]
    pd.testing.assert_frame_equal(tabbed_cohort.at_rank("genus"), plain.at_rank("genus"))
    assert tabbed_cohort.samples["unassigned"].tolist() == pytest.approx([20 / 1000, 0.0])
    # a row one OTU short is still refused, naming its line
    (tmp_path / "short.shared").write_text(tabbed.replace("\t490\t0\t\n", "\t490\t\n"))
    with pytest.raises(gutbalance.errors.FormatError, match="expected 8 fields like the header") as err:
        gutbalance.read([tmp_path / "short.shared", tmp_path / "x.cons.taxonomy"])
    assert err.value.line == 3


@pytest.mark.parametrize(
    ("shared", "taxonomy", "line", "field", "message"),
    [
        (MOTHUR_SHARED + "0.05\tERR3477397_1\t4\t1\t1\t1\t1\n", True, 4, "label", "two cutoffs"),
        (MOTHUR_SHARED.replace("\t4\t10\t", "\t5\t10\t"), True, 3, "numOtus", "header names 4 OTUs"),
        (MOTHUR_SHARED, False, None, "Otu00001", "consensus taxonomy"),
    ],
)
def test_a_mothur_shared_file_is_refused_naming_why(tmp_path, shared, taxonomy, line, field, message):
    (tmp_path / "x.shared").write_text(shared)
    paths = [tmp_path / "x.shared"]
    if taxonomy:
        (tmp_path / "x.cons.taxonomy").write_text(MOTHUR_TAXONOMY)
        paths.append(tmp_path / "x.cons.taxonomy")
    with pytest.raises(gutbalance.errors.FormatError, match=message) as err:
        gutbalance.read(paths)
    assert (err.value.line, err.value.field) == (line, field)


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        (MOTHUR_TAXONOMY.replace("Otu00002\t800", "Otu00001\t800"), 3, "OTU"),
        (MOTHUR_TAXONOMY.replace("\t800\t", "\t8e2\t"), 3, "Size"),
        (MOTHUR_TAXONOMY.replace("Prevotella(100);", "Prevotella(100);copri(90);x(80);"), 2, "Taxonomy"),
        (MOTHUR_TAXONOMY.replace("Otu00002\t800\t", "Otu00002\t800 "), 3, None),
    ],
)
def test_a_mothur_taxonomy_is_refused_naming_line_and_field(tmp_path, text, line, field):
    (tmp_path / "x.cons.taxonomy").write_text(text)
    (tmp_path / "x.shared").write_text(MOTHUR_SHARED)
    with pytest.raises(gutbalance.errors.FormatError) as err:
        gutbalance.read([tmp_path / "x.shared", tmp_path / "x.cons.taxonomy"])
    assert err.value.path.endswith("x.cons.taxonomy")
    assert (err.value.line, err.value.field) == (line, field)


# A QIIME 1 OTU table as biom convert writes it and a spreadsheet saves it
# again, in the shape of duyuhui/Gut-microbiota-of-T2DM_GAN's otu_table.txt
# (human gut, type 2 diabetes): a tab for every column on the first line,
# CRLF, "#OTU ID", read counts, a "taxonomy" column in which many OTUs share
# one lineage.
QIIME1_OTU_TABLE = (
    "# Constructed from biom file\t\t\t\r\n"
    "#OTU ID\tPN1\tP1\ttaxonomy\r\n"
    "OTU_1\t600\t100\tk__Bacteria; p__Bacteroidetes; c__Bacteroidia; o__Bacteroidales; f__Bacteroidaceae; g__Bacteroides\r\n"
    "OTU_2\t100\t300\tk__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; f__Lachnospiraceae\r\n"
    "OTU_3\t200\t500\tk__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; f__Lachnospiraceae\r\n"
    "OTU_4\t100\t100\tk__Bacteria; p__Bacteroidetes; c__Bacteroidia; o__Bacteroidales; f__Bacteroidaceae; g__Bacteroides\r\n"
)


def test_a_qiime1_otu_table_sums_the_otus_of_one_lineage(tmp_path):
    # It was refused: "line 7, field 'taxonomy': taxon 'k__Bacteria; ...
    # f__Lachnospiraceae' appears twice": the lineage column was checked as if
    # each row were a taxon, while each row is an OTU.
    path = tmp_path / "otu_table.txt"
    path.write_bytes(QIIME1_OTU_TABLE.encode())
    cohort = gutbalance.read(path)
    assert cohort.sample_names == ["PN1", "P1"]
    assert cohort.counted_samples().all()
    genus = cohort.at_rank("genus")
    bacteroides = next(k for k in genus.columns if cohort.taxa.loc[k, "original"] == "Bacteroides")
    assert genus.loc["PN1", bacteroides] == pytest.approx(0.7)  # OTU_1 + OTU_4 of 1,000 reads
    family = cohort.at_rank("family")
    lachno = next(k for k in family.columns if cohort.taxa.loc[k, "original"] == "Lachnospiraceae")
    assert family.loc["P1", lachno] == pytest.approx(0.8)


def test_a_qiime1_otu_table_with_an_otu_twice_is_refused(tmp_path):
    path = tmp_path / "otu_table.txt"
    path.write_bytes(QIIME1_OTU_TABLE.replace("OTU_4\t", "OTU_2\t").encode())
    with pytest.raises(gutbalance.errors.FormatError, match="feature 'OTU_2' appears twice") as err:
        gutbalance.read(path)
    assert (err.value.line, err.value.field) == (6, "#OTU ID")


# qqwxp1987/psoriasis_microbiome outputs/differential_abundance/MaAsLin2/
# features/filtered_data.tsv: MaAsLin2 writes the features it kept with the
# samples as rows under a first header cell 'feature', MetaPhlAn 4's species
# (s__ names, SGBs among them) as the header, fractions of each sample.
MAASLIN_FILTERED = (
    "feature\ts__GGB2998_SGB3988\ts__Blautia_obeum\ts__Prevotella_copri_clade_A\ts__Prevotella_copri_clade_C\t"
    "s__Faecalibacterium_prausnitzii\n"
    "Control.A01\t0\t0.2\t0\t0\t0.5\n"
    "PsO.A01\t0.1\t0.1\t0.3\t0.2\t0.2\n"
)


def test_a_maaslin2_filtered_table_has_its_samples_as_rows(tmp_path):
    path = tmp_path / "filtered_data.tsv"
    path.write_text(MAASLIN_FILTERED)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GutBalanceWarning)
        cohort = gutbalance.read(path)
    said = " | ".join(str(w.message) for w in caught)
    assert "'Control.A01': abundances add up to 70.00 %" in said
    assert "'PsO.A01': abundances add up to 90.00 %" in said
    assert sorted(cohort.sample_names) == ["Control.A01", "PsO.A01"]
    species = cohort.at_rank("species")
    assert species.loc["Control.A01"].sum() == pytest.approx(0.7)
    assert species.loc["PsO.A01"].sum() == pytest.approx(0.9)


def test_a_feature_column_of_taxa_still_has_the_taxa_as_rows(tmp_path):
    # The usual layout under the same header cell: taxa down the first column.
    path = tmp_path / "features.tsv"
    path.write_text("feature\tS1\tS2\ns__Blautia_obeum\t0.5\t0.2\ns__Faecalibacterium_prausnitzii\t0.5\t0.8\n")
    cohort = gutbalance.read(path)
    assert sorted(cohort.sample_names) == ["S1", "S2"]
