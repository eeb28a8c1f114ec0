"""Generic CSV/TSV tables: layouts, spreadsheet habits, errors, the writer."""

import contextlib
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gutbalance
from gutbalance.errors import FormatError, GutBalanceError, GutBalanceWarning
from gutbalance.io.formats import table
from gutbalance.io.registry import get_format, sniff
from gutbalance.io.source import Source
from gutbalance.reference import with_percentiles
from tests.helpers import SMALL_COMMUNITY, assert_same_species, make_cohort, metaphlan_text, species_abundances

#: These tables are whole percentages (30 + 50 + 20), which a table that says
#: nothing else reads as percentages with a warning that they may be 100 reads
#: a sample (tested in tests/io/test_feature_table.py); here they are meant as
#: percentages, so the warning is expected, not an error.
pytestmark = pytest.mark.filterwarnings("ignore:.*may be read counts:gutbalance.errors.GutBalanceWarning")

GG = {
    "k__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; f__Ruminococcaceae; g__Faecalibacterium; s__prausnitzii": (
        30,
        10,
    ),
    "k__Bacteria; p__Bacteroidetes; c__Bacteroidia; o__Bacteroidales; f__Bacteroidaceae; g__Bacteroides; s__fragilis": (
        50,
        60,
    ),
    "k__Bacteria; p__Bacteroidetes; c__Bacteroidia; o__Bacteroidales; f__Prevotellaceae; g__Prevotella; s__copri": (
        20,
        30,
    ),
}
EXPECTED = {
    "S1": {"s__Faecalibacterium prausnitzii": 0.3, "s__Bacteroides fragilis": 0.5, "s__Segatella copri": 0.2},
    "S2": {"s__Faecalibacterium prausnitzii": 0.1, "s__Bacteroides fragilis": 0.6, "s__Segatella copri": 0.3},
}


def _write(tmp_path: Path, name: str, text: str, *, encoding: str = "utf-8", newline: str = "\n") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def _wide(sep: str = "\t", scale: float = 1.0, decimal: str = ".") -> str:
    lines = [sep.join(["taxonomy", "S1", "S2"])]
    for lineage, values in GG.items():
        cells = [repr(v * scale).replace(".", decimal) for v in values]
        label = f'"{lineage}"' if sep == ";" else lineage
        lines.append(sep.join([label, *cells]))
    return "\n".join(lines) + "\n"


def _species(cohort) -> dict[str, dict[str, float]]:
    return species_abundances(cohort)


def _assert_expected(cohort, expected=EXPECTED) -> None:
    got = _species(cohort)
    assert sorted(got) == sorted(expected)
    for sample, taxa in expected.items():
        assert set(got[sample]) == set(taxa), sample
        for name, value in taxa.items():
            assert got[sample][name] == pytest.approx(value, abs=1e-12)


# --- sniffing ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "taxon\tS1\nk__Bacteria\t1\n",
        "taxon,S1,S2\nBacteroides fragilis,0.5,0.2\n",
        "taxon;S1\nk__Bacteria;0,5\n",
        "#OTU ID\tA\tB\nabc\t1\t2\n",
    ],
)
def test_sniffer_accepts_tables(text):
    assert table.sniff(Source(Path("t.tsv"), text.encode()))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"just one column\nno numbers here\n",
        b'{"format_url": "http://biom-format.org", "rows": []}',
        b"\x00\x01\x02binary\x00",
        b"a\tb\nc\td\n",
        b"PK\x03\x04zipzip",
    ],
)
def test_sniffer_rejects_non_tables(data):
    assert not table.sniff(Source(Path("t.tsv"), data))


def test_specific_formats_win_over_the_generic_table():
    from tests.helpers import metaphlan_text

    source = Source(Path("p.txt"), metaphlan_text(SMALL_COMMUNITY).encode())
    assert table.sniff(source)
    assert sniff(source).name == "metaphlan"


# --- layouts and spreadsheet habits ----------------------------------------------


def test_greengenes_counts_with_epithet_only_species(tmp_path):
    cohort = gutbalance.read(_write(tmp_path, "t.tsv", _wide(scale=7.0)))
    _assert_expected(cohort)
    assert cohort.counts is not None
    col = list(cohort.taxa.index).index("s__Bacteroides fragilis")
    assert cohort.counts[0, col] == 350
    assert cohort.samples["source_format"].tolist() == ["table", "table"]


@pytest.mark.parametrize(("scale", "has_counts"), [(7.0, True), (1.0, False), (1.0 / 100, False)])
def test_counts_percent_and_fractions_agree(tmp_path, scale, has_counts):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cohort = gutbalance.read(_write(tmp_path, "t.tsv", _wide(scale=scale)))
    # only the whole percentages may be 100 reads a sample, and say so
    assert ["may be read counts" in str(w.message) for w in caught] == ([True] if scale == 1.0 else [])
    _assert_expected(cohort)
    assert (cohort.counts is not None) == has_counts
    # integers adding up to 100 are percent; Bacteria is the whole sample
    assert cohort.at_rank("domain").to_numpy().ravel() == pytest.approx([1.0, 1.0])


def test_bom_crlf_and_latin1(tmp_path):
    text = _wide(sep=",")
    _assert_expected(gutbalance.read(_write(tmp_path, "a.csv", "\ufeff" + text, newline="\r\n")))
    _assert_expected(gutbalance.read(_write(tmp_path, "b.csv", text, encoding="latin-1", newline="\r\n")))


def test_semicolons_and_decimal_commas(tmp_path):
    cohort = gutbalance.read(_write(tmp_path, "t.csv", _wide(sep=";", scale=1 / 100, decimal=",")))
    _assert_expected(cohort)
    assert cohort.counts is None


def test_thousands_separators_are_not_guessed(tmp_path):
    path = _write(tmp_path, "t.tsv", "taxon\tS1\nk__Bacteria|p__Firmicutes\t1,234\nk__Bacteria|p__Bacteroidota\t2\n")
    with pytest.raises(FormatError, match="thousands"):
        gutbalance.read(path)
    mixed = _write(tmp_path, "m.tsv", "taxon\tS1\nk__Bacteria|p__Firmicutes\t1,5\nk__Bacteria|p__Bacteroidota\t2.5\n")
    with pytest.raises(FormatError, match="not a number") as info:
        gutbalance.read(mixed)
    assert info.value.line == 2
    assert info.value.field == "S1"


def test_transposed_table(tmp_path):
    lineages = list(GG)
    lines = ["sample\t" + "\t".join(lineages)]
    for j, sample in enumerate(["S1", "S2"]):
        lines.append(sample + "\t" + "\t".join(str(GG[lin][j]) for lin in lineages))
    _assert_expected(gutbalance.read(_write(tmp_path, "t.tsv", "\n".join(lines) + "\n")))
    # no hint in the first header cell: the taxonomic-looking axis decides
    lines[0] = "\t" + "\t".join(lineages)
    _assert_expected(gutbalance.read(_write(tmp_path, "u.tsv", "\n".join(lines) + "\n")))


def test_long_table(tmp_path):
    lines = ["sample_id,taxon,relative_abundance"]
    for lineage, values in GG.items():
        for sample, v in zip(["S1", "S2"], values, strict=True):
            lines.append(f'{sample},"{lineage}",{v}')
    cohort = gutbalance.read(_write(tmp_path, "t.csv", "\n".join(lines) + "\n"))
    _assert_expected(cohort)
    assert cohort.counts is None  # percent (totals are 100)


def test_otu_id_with_separate_taxonomy_column(tmp_path):
    lines = ["# Constructed from biom file", "#OTU ID\tS1\tS2\ttaxonomy"]
    for k, (lineage, values) in enumerate(GG.items()):
        lines.append(f"{k:032x}\t{values[0]}\t{values[1]}\t{lineage}")
    _assert_expected(gutbalance.read(_write(tmp_path, "otu.tsv", "\n".join(lines) + "\n")))


def test_rank_columns_and_plain_lineages(tmp_path):
    rank_table = (
        "Kingdom,Phylum,Class,Order,Family,Genus,Species,S1,S2\n"
        "Bacteria,Firmicutes,Clostridia,Clostridiales,Ruminococcaceae,Faecalibacterium,prausnitzii,30,10\n"
        "Bacteria,Bacteroidetes,Bacteroidia,Bacteroidales,Bacteroidaceae,Bacteroides,fragilis,50,60\n"
        "Bacteria,Bacteroidetes,Bacteroidia,Bacteroidales,Prevotellaceae,Prevotella,copri,20,30\n"
    )
    _assert_expected(gutbalance.read(_write(tmp_path, "ranks.csv", rank_table)))
    plain = "lineage\tS1\tS2\n" + "".join(
        f"{';'.join(p.split('__', 1)[1] for p in lin.split('; '))}\t{a}\t{b}\n" for lin, (a, b) in GG.items()
    )
    _assert_expected(gutbalance.read(_write(tmp_path, "plain.tsv", plain)))


def test_plain_species_names(tmp_path):
    text = "name,S1,S2\nFaecalibacterium prausnitzii,30,10\nBacteroides_fragilis,50,60\nPrevotella copri,20,30\n"
    _assert_expected(gutbalance.read(_write(tmp_path, "names.csv", text)))
    genus = _write(tmp_path, "genus.csv", "genus,S1\nBacteroides,0.6\nPrevotella,0.4\n")
    frame = gutbalance.read(genus).at_rank("genus")
    assert frame.loc["S1", "g__Bacteroides"] == pytest.approx(0.6)
    unknown_rank = _write(tmp_path, "x.csv", "name,S1\nBacteroides,0.6\nPrevotella,0.4\n")
    with pytest.raises(FormatError, match="cannot tell the rank") as info:
        gutbalance.read(unknown_rank)
    assert info.value.line == 2


def test_hierarchical_table_is_not_double_counted(tmp_path):
    text = (
        "clade\tS1\n"
        "k__Bacteria\t1000\n"
        "k__Bacteria|p__Firmicutes\t600\n"
        "k__Bacteria|p__Bacteroidetes\t400\n"
        "k__Bacteria|p__Firmicutes|c__Clostridia\t600\n"
        "k__Bacteria|p__Bacteroidetes|c__Bacteroidia\t400\n"
    )
    cohort = gutbalance.read(_write(tmp_path, "h.tsv", text))
    phyla = cohort.at_rank("phylum").loc["S1"]
    assert phyla["p__Bacillota"] == pytest.approx(0.6)
    assert phyla["p__Bacteroidota"] == pytest.approx(0.4)
    assert cohort.counts[0, list(cohort.taxa.index).index("k__Bacteria")] == 1000


def test_exclusive_features_add_up_to_their_clade(tmp_path):
    # QIIME 2 style: reads classified only to the phylum are their own feature
    text = (
        "taxonomy\tS1\n"
        "k__Bacteria; p__Firmicutes; c__\t10\n"
        "k__Bacteria; p__Firmicutes; c__Bacilli\t30\n"
        "k__Bacteria; p__Bacteroidetes\t40\n"
        "Unassigned\t20\n"
    )
    cohort = gutbalance.read(_write(tmp_path, "e.tsv", text))
    phyla = cohort.at_rank("phylum").loc["S1"]
    assert phyla["p__Bacillota"] == pytest.approx(0.4)
    assert phyla["p__Bacteroidota"] == pytest.approx(0.4)
    assert cohort.samples.loc["S1", "unassigned"] == pytest.approx(0.2)


def test_synonym_rows_are_summed_identical_rows_refused(tmp_path):
    text = "taxon\tS1\ns__Eubacterium_rectale\t0.25\ns__Agathobacter_rectalis\t0.25\ns__Bacteroides_fragilis\t0.5\n"
    cohort = gutbalance.read(_write(tmp_path, "syn.tsv", text))
    assert species_abundances(cohort)["S1"]["s__Agathobacter rectalis"] == pytest.approx(0.5)
    dup = "taxon\tS1\ns__Bacteroides_fragilis\t0.5\ns__Prevotella_copri\t0.1\ns__Bacteroides_fragilis\t0.4\n"
    with pytest.raises(FormatError, match="appears twice") as info:
        gutbalance.read(_write(tmp_path, "dup.tsv", dup))
    assert info.value.line == 4


@pytest.mark.parametrize(
    ("cell", "message"),
    [("abc", "'abc' is not a number"), ("-1", "negative"), ("NaN", "not a number"), ("inf", "infinite")],
)
def test_bad_values_name_line_and_field(tmp_path, cell, message):
    text = f"taxon\tSample1\tSample2\tSample3\ns__Bacteroides_fragilis\t1\t2\t3\ns__Prevotella_copri\t1\t2\t{cell}\n"
    with pytest.raises(FormatError, match=message) as info:
        gutbalance.read(_write(tmp_path, "bad.tsv", text))
    assert info.value.line == 3
    assert info.value.field == "Sample3"
    assert "line 3, field 'Sample3'" in str(info.value)


def test_duplicate_samples_and_ragged_rows(tmp_path):
    # every column repeating one name: nothing left to read
    with pytest.raises(FormatError, match="every sample column's name repeats: S1"):
        gutbalance.read(_write(tmp_path, "d.tsv", "taxon\tS1\tS1\ns__Bacteroides_fragilis\t1\t2\n"))
    with pytest.raises(FormatError, match="expected 3 fields") as info:
        gutbalance.read(_write(tmp_path, "r.tsv", "taxon\tS1\tS2\ns__Bacteroides_fragilis\t1\t2\ns__Prevotella_copri\t1\n"))
    assert info.value.line == 3
    long_dup = "sample,taxon,abundance\nS1,s__Bacteroides_fragilis,0.5\nS1,s__Bacteroides_fragilis,0.5\n"
    with pytest.raises(FormatError, match="repeats line 2"):
        gutbalance.read(_write(tmp_path, "l.csv", long_dup))


# --- real data --------------------------------------------------------------------


@pytest.mark.shared
def test_real_tables(shared_data):
    folder = shared_data / "formats" / "qiime2"
    mock = gutbalance.read(folder / "full_taxonomy_mock_feature_table.tsv")
    assert mock.n_samples == 20
    assert mock.counts is not None
    assert mock.samples.index[0] == "CD_1"
    relative = gutbalance.read(folder / "simple_relative_abundances.txt")
    assert relative.n_samples == 25
    assert relative.counts is None
    totals = relative.at_rank("species").sum(axis=1).to_numpy()
    assert np.allclose(totals, 1.0, atol=1e-4)  # the file's own rounding


# --- writer ------------------------------------------------------------------------


def test_long_csv_round_trip(tmp_path):
    first4 = dict(list(SMALL_COMMUNITY.items())[:4])
    cohort = make_cohort({"A": SMALL_COMMUNITY, "B": {k: 100 * v / sum(first4.values()) for k, v in first4.items()}})
    path = tmp_path / "out.csv"
    gutbalance.write(cohort, path)
    assert path.read_text().splitlines()[0] == "sample,lineage,clade_abundance"
    back = gutbalance.read(path)
    assert_same_species(cohort, back)
    assert np.allclose(back.X[:, back.taxa.index.get_indexer(cohort.taxa.index)].toarray(), cohort.X.toarray())


# --- fuzzing ------------------------------------------------------------------------

VALID = _wide(sep=";", scale=0.01, decimal=",")


def _attempt(data: bytes) -> None:
    # our warnings are a fine outcome too (a cell emptied by the mutation, read as 0 and said so)
    with contextlib.suppress(GutBalanceError), warnings.catch_warnings():
        warnings.simplefilter("ignore", GutBalanceWarning)
        get_format("table").read(Source(Path("fuzz.csv"), data))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1000))
def test_fuzz_random_bytes(data):
    _attempt(data)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, len(VALID)),
    st.integers(0, 30),
    st.text(alphabet=st.sampled_from(list(';,\t\n\r"#|_ .-0123456789eEkpsnax')), max_size=12) | st.text(max_size=5),
)
def test_fuzz_mutated_table(pos, cut, insert):
    _attempt((VALID[:pos] + insert + VALID[pos + cut :]).encode("utf-8", "surrogatepass"))


# A table written without its header line, as a lab cut a Bracken species
# table down to names and fractions (CSB5/AD-caregiver-manuscript,
# data/raw/braken_out/*.bracken.s.tsv: 'Cutibacterium_acnes<TAB>0.46908'):
# the first taxon was taken for the header and the fraction for a sample name.
HEADERLESS = "Cutibacterium_acnes\t0.46908\nStaphylococcus_epidermidis\t0.2\nCorynebacterium_kroppenstedtii\t0.1\n"


@pytest.mark.parametrize(
    "text",
    [
        HEADERLESS,
        HEADERLESS.replace("\t", ","),
        # a genus table: the first cell is a bare genus, not a species name
        "Cutibacterium\t0.47296\nStaphylococcus\t0.2\nCorynebacterium\t0.1\n",
        # counts of two samples: whole numbers, but the first cell names a species
        "Cutibacterium acnes\t158881\t2233\nStaphylococcus epidermidis\t200\t30\n",
    ],
)
def test_a_table_without_its_header_line_is_refused_not_read_with_a_taxon_lost(tmp_path, text):
    path = _write(tmp_path, "MBT272.bracken.s.tsv", text)
    with pytest.raises(FormatError) as err:
        gutbalance.read(path)
    assert err.value.line == 1
    assert "is a row, not a header" in err.value.message
    assert "add a header line" in err.value.message


def test_the_same_rows_under_a_header_are_read_whole(tmp_path):
    path = _write(tmp_path, "MBT272.tsv", "taxon\tMBT272\n" + HEADERLESS + "Micrococcus_luteus\t0.23092\n")
    cohort = gutbalance.read(path, feature_rank="species")
    assert cohort.sample_names == ["MBT272"]
    assert _species(cohort)["MBT272"]["s__Cutibacterium acnes"] == pytest.approx(0.46908)


def test_whole_numbers_heading_the_columns_of_a_headed_table_are_sample_ids(tmp_path):
    # '#OTU ID' above the taxa: the numbers are the samples' names
    text = "#OTU ID\t1001\t1002\ng__Bacteroides\t30\t10\ng__Blautia\t70\t90\n"
    cohort = gutbalance.read(_write(tmp_path, "ids.tsv", text))
    assert cohort.sample_names == ["1001", "1002"]


def test_the_long_table_keeps_each_samples_database(tmp_path):
    """A MetaPhlAn cohort written as the long CSV came back of unknown
    profiler (found converting 527 MetAML profiles, 2026-11-28): 523 samples
    lost their percentiles.  The ``profiler_database`` column keeps it."""
    profile = tmp_path / "S1.txt"
    profile.write_text(metaphlan_text(SMALL_COMMUNITY, db="mpa_v20_m200"), encoding="utf-8")
    cohort = gutbalance.read([profile])
    gutbalance.write(cohort, tmp_path / "long.csv")
    assert (tmp_path / "long.csv").read_text(encoding="utf-8").splitlines()[0].endswith(",profiler_database")
    again = gutbalance.read([tmp_path / "long.csv"])
    assert list(again.samples["database"]) == ["mpa_v20_m200"]
    before = with_percentiles(gutbalance.score(cohort), cohort)
    after = with_percentiles(gutbalance.score(again), again)
    assert not np.isnan(after.loc["S1", "immune_support_percentile"])
    assert after.loc["S1", "immune_support_percentile"] == pytest.approx(before.loc["S1", "immune_support_percentile"])


def test_a_long_table_naming_two_databases_for_one_sample_is_refused(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("sample,lineage,clade_abundance,profiler_database\n"
                    "S1,k__Bacteria,1.0,mpa_v20_m200\nS1,k__Bacteria|p__Bacillota,1.0,mpa_v30\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"line 3.*profiler_database|profiler_database.*line 3|database 'mpa_v20_m200'"):
        gutbalance.read([path])


_BARPLOT_TAXA = [
    "k__Bacteria;p__Bacteroidetes;c__Bacteroidia;o__Bacteroidales;f__Bacteroidaceae;g__Bacteroides;s__uniformis",
    "k__Bacteria;p__Firmicutes;c__Clostridia;o__Clostridiales;f__Ruminococcaceae;g__Faecalibacterium;s__prausnitzii",
    "Unassigned;__;__;__;__;__;__",
]


def _barplot_csv(path: Path) -> Path:
    """``qiime taxa barplot``'s "Download CSV" at level 7, in the shape of the
    Moving Pictures tutorial's ``level-7.csv``: samples under ``index``, a
    column per collapsed taxon, then the barplot's sample metadata."""
    header = ["index", *_BARPLOT_TAXA, "barcode-sequence", "body-site", "year", "subject"]
    rows = [["L1S105", "60.0", "30.0", "10.0", "AGTGCGATGCGT", "gut", "2009.0", "subject-1"],
            ["L2S155", "10.0", "0.0", "90.0", "ACGATGCGACCA", "left palm", "2009.0", "subject-2"]]
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n")
    return path


def test_a_qiime2_barplot_csv_reads_the_taxa_and_leaves_its_metadata_columns_out(tmp_path):
    # Before: "a table of sample metadata (columns body-site, subject), not a profile".
    path = _barplot_csv(tmp_path / "level-7.csv")
    with pytest.warns(GutBalanceWarning, match=r"the 4 columns after the taxa \(barcode-sequence, body-site, year, "
                                               r"subject\) are sample metadata.*--metadata"):
        cohort = gutbalance.read(path)
    assert list(cohort.sample_names) == ["L1S105", "L2S155"]
    species = cohort.at_rank("species")
    names = cohort.taxa.loc[species.columns, "name"]
    assert dict(zip(names, species.loc["L1S105"], strict=True)) == pytest.approx(
        {"Bacteroides uniformis": 0.6, "Faecalibacterium prausnitzii": 0.3})
    assert cohort.samples.loc["L2S155", "unassigned"] == pytest.approx(0.9)
    assert not any(n in set(cohort.taxa["name"]) for n in ("year", "subject", "body-site"))


def test_a_qiime2_barplot_csv_beside_a_taxonomy_is_read_as_alone(tmp_path):
    # fault: with a taxonomy file in the same batch (a QIIME 2 folder), the barplot CSV was
    # refused at its first metadata column ("'AGTGCGATGCGT' is not a number")
    path = _barplot_csv(tmp_path / "level-7.csv")
    (tmp_path / "taxonomy.tsv").write_text("Feature ID\tTaxon\tConfidence\n"
                                           "f1\tk__Bacteria; p__Firmicutes\t0.9\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GutBalanceWarning)
        alone = gutbalance.read(path)
        beside = gutbalance.read([path, tmp_path / "taxonomy.tsv"])
    assert list(beside.sample_names) == list(alone.sample_names)
    assert (beside.at_rank("species") - alone.at_rank("species")).abs().to_numpy().max() == 0


def test_taxa_after_a_non_lineage_column_are_not_cut_as_metadata(tmp_path):
    # Only the barplot's shape: a taxon column after a metadata column is no such table.
    path = tmp_path / "mixed.csv"
    path.write_text(f"index,{_BARPLOT_TAXA[0]},body-site,{_BARPLOT_TAXA[1]}\nL1S105,60.0,gut,40.0\n")
    assert table._trailing_metadata(path.read_text().splitlines()[0].split(",")) is None


def test_an_unknown_column_after_the_taxa_is_the_unassigned_share_not_metadata(tmp_path):
    # A samples-as-rows table ending with MetaPhlAn's UNKNOWN column was cut as
    # "the columns after the taxa (UNKNOWN) are sample metadata" while this rule was written.
    path = tmp_path / "rows.tsv"
    path.write_text(f"sample\t{_BARPLOT_TAXA[0]}\t{_BARPLOT_TAXA[1]}\tUNKNOWN\nS1\t0.5\t0.3\t0.2\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", GutBalanceWarning)
        cohort = gutbalance.read(path)
    assert cohort.samples.loc["S1", "unassigned"] == pytest.approx(0.2)


def test_commented_header_narrower_than_rows_is_refused_naming_it(tmp_path):
    # A per-sample OTU list as a public course repository holds it: the header
    # starts with '#' and names four fields, but each row spreads its lineage
    # over one tab-separated cell per rank. Taking the first data row for the
    # header read 'Bacteria;' as a sample name; the header line must be named.
    text = (
        "#Database_OTU\tCount\tAbundance\tTaxonomy\n"
        "151374\t1\t5.5e-05\tBacteria;\tProteobacteria;\tAlphaproteobacteria;\tSphingomonadales;\totu_151374\n"
        "4297955\t3\t2.2e-05\tBacteria;\tFirmicutes;\tNegativicutes;\tSelenomonadales;\totu_4297955\n"
    )
    path = _write(tmp_path, "D1.txt", text)
    with pytest.raises(FormatError) as info:
        gutbalance.read(path)
    assert info.value.line == 1
    message = str(info.value)
    assert "'#Database_OTU, Count, Abundance, Taxonomy' names 4 fields but line 2 has 8" in message


def test_comment_line_with_trailing_tabs_stays_a_comment(tmp_path):
    # '# Constructed from biom file' followed by a tab per column (a spreadsheet
    # saved it) has one named field: a comment, not a header of another width.
    lines = ["# Constructed from biom file\t\t\t\t", "#OTU ID\tS1\tS2\ttaxonomy"]
    for k, (lineage, values) in enumerate(GG.items()):
        lines.append(f"{k:032x}\t{values[0]}\t{values[1]}\t{lineage}")
    _assert_expected(gutbalance.read(_write(tmp_path, "otu.tsv", "\n".join(lines) + "\n")))


@pytest.mark.parametrize("root", ["Unassigned", "No_blast_hit", "No blast hit"])
def test_qiime1_unassigned_rows_are_unassigned_not_a_genus(tmp_path, root):
    # QIIME 1's summarize_taxa writes reads its classifier could not place as
    # 'Unassigned;Other;...' (RDP, uclust) or 'No_blast_hit;Other;...' (BLAST,
    # as in a public course repository's L6 table). The second was read as a
    # domain 'No blast hit' with a genus 'Other' counted in richness.
    text = (
        "Taxon\tS1\n"
        "k__Bacteria;p__Bacteroidetes;c__Bacteroidia;o__Bacteroidales;f__Bacteroidaceae;g__Bacteroides\t0.6\n"
        "k__Bacteria;p__Firmicutes;c__Clostridia;o__Clostridiales;f__Ruminococcaceae;g__Faecalibacterium\t0.3\n"
        f"{root};Other;Other;Other;Other;Other\t0.1\n"
    )
    cohort = gutbalance.read(_write(tmp_path, "L6.tsv", text))
    assert cohort.samples.loc["S1", "unassigned"] == pytest.approx(0.1)
    assert sorted(cohort.taxa.loc[cohort.taxa["rank"] == "genus", "name"]) == ["Bacteroides", "Faecalibacterium"]
