"""BIOM 1.0 (JSON) and 2.1 (HDF5): sniffing, lineages, counts, the writer, fuzzing."""

import contextlib
import io
import re
import warnings
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from biom import Table
from hypothesis import given, settings
from hypothesis import strategies as st

import gutbalance
from gutbalance.cohort import GutBalanceWarning
from gutbalance.errors import FormatError, GutBalanceError
from gutbalance.io import biom_table
from gutbalance.io.formats import biom as biom_format
from gutbalance.io.registry import get_format
from gutbalance.io.source import Source
from gutbalance.reference import with_percentiles
from tests.helpers import SMALL_COMMUNITY, assert_same_species, make_cohort, metaphlan_text, species_abundances

LINEAGES = [
    ["k__Bacteria", "p__Firmicutes", "c__Clostridia", "o__Clostridiales", "f__Ruminococcaceae", "g__Faecalibacterium", "s__prausnitzii"],
    ["k__Bacteria", "p__Bacteroidetes", "c__Bacteroidia", "o__Bacteroidales", "f__Bacteroidaceae", "g__Bacteroides", "s__"],
]


def _table(ids, data, metadata=None) -> Table:
    return Table(np.asarray(data, dtype=float), ids, ["S1", "S2"], observation_metadata=metadata)


def _json_source(table: Table, name: str = "t.json") -> Source:
    return Source(Path(name), table.to_json("test").encode())


def _hdf5_source(table: Table, name: str = "t.biom") -> Source:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        table.to_hdf5(f, "test")
    return Source(Path(name), buffer.getvalue())


def _read(source: Source):
    return gutbalance.build_cohort(biom_format.read(source))


def test_sniffer_accepts_json_and_hdf5():
    table = _table(["4479944", "1009"], [[3, 1], [1, 1]], [{"taxonomy": LINEAGES[0]}, {"taxonomy": LINEAGES[1]}])
    assert biom_format.sniff(_json_source(table))
    assert biom_format.sniff(_hdf5_source(table))


def test_sniffer_rejects_other_files(tmp_path):
    cohort = make_cohort({"A": SMALL_COMMUNITY})
    h5ad = tmp_path / "c.h5ad"
    cohort.to_anndata().write_h5ad(h5ad)
    assert not biom_format.sniff(Source.open(h5ad))
    assert not biom_format.sniff(Source(Path("x.json"), b'{"name": "not biom"}'))
    assert not biom_format.sniff(Source(Path("x.tsv"), b"taxon\tS1\nk__Bacteria\t1\n"))
    assert not biom_format.sniff(Source(Path("x.biom"), b"\x89HDF\r\n\x1a\nbroken"))


@pytest.mark.parametrize("make_source", [_json_source, _hdf5_source])
@pytest.mark.parametrize("as_string", [False, True])
def test_taxonomy_metadata_list_or_string(make_source, as_string):
    metadata = [{"taxonomy": "; ".join(lin) if as_string else lin} for lin in LINEAGES]
    cohort = _read(make_source(_table(["4479944", "1009"], [[30, 10], [70, 30]], metadata)))
    assert cohort.counts is not None
    species = species_abundances(cohort)
    assert species["S1"] == {"s__Faecalibacterium prausnitzii": 1.0}  # the other ends at genus (s__)
    genus = cohort.at_rank("genus")
    assert genus.loc["S1", "g__Bacteroides"] == pytest.approx(0.7)
    assert genus.loc["S2", "g__Faecalibacterium"] == pytest.approx(0.25)


def test_lineage_ids_and_relative_values():
    ids = [";".join(LINEAGES[0]), "k__Bacteria|p__Bacteroidetes|g__Bacteroides|s__Bacteroides_fragilis", "Unassigned"]
    cohort = _read(_json_source(_table(ids, [[0.5, 0.2], [0.25, 0.8], [0.25, 0.0]])))
    assert cohort.counts is None
    assert cohort.samples["unassigned"].tolist() == pytest.approx([0.25, 0.0])
    assert cohort.at_rank("species").loc["S1", "s__Bacteroides fragilis"] == pytest.approx(0.25)


def test_asv_hashes_without_taxonomy_are_refused():
    ids = ["1ba90f5687e6fefd7665f618917b6244", "a2cf32f388f6f6aaea1467229231461f"]
    with pytest.raises(FormatError, match="taxonomy"):
        biom_format.read(_hdf5_source(_table(ids, [[1, 2], [3, 4]])))


def test_negative_values_are_refused():
    with pytest.raises(FormatError, match="negative") as info:
        biom_format.read(_json_source(_table(["s__Bacteroides_fragilis", "s__Prevotella_copri"], [[1, 2], [3, -4]])))
    assert info.value.field == "S2"


@pytest.mark.shared
def test_real_tables_match_their_text_versions(shared_data):
    folder = shared_data / "formats" / "qiime2"
    text = gutbalance.read(folder / "simple_relative_abundances.txt")
    biom = gutbalance.read(folder / "simple_relative_abundances.biom")
    assert biom.samples["source_format"].iloc[0] == "biom"
    assert_same_species(text, biom, tol=1e-9)
    raw = text.at_rank("species")
    assert np.allclose(biom.at_rank("species").loc[raw.index, raw.columns].to_numpy(), raw.to_numpy(), atol=1e-9)
    mock = gutbalance.read(folder / "full_taxonomy_mock_feature_table.biom")
    assert mock.n_samples == 20
    assert mock.counts is not None
    assert_same_species(mock, gutbalance.read(folder / "full_taxonomy_mock_feature_table.tsv"))
    assert mock.counts.sum() > 0


@pytest.mark.parametrize("suffix", [".biom", ".json"])
def test_writer_round_trip_with_counts_and_leaves(tmp_path, suffix):
    # counts from a table, with reads classified only to the genus as their own leaf
    text = (
        "taxonomy\tS1\tS2\n"
        "k__Bacteria; p__Bacteroidetes; c__Bacteroidia; o__Bacteroidales; f__Bacteroidaceae; g__Bacteroides\t5\t0\n"
        "k__Bacteria; p__Bacteroidetes; c__Bacteroidia; o__Bacteroidales; f__Bacteroidaceae; g__Bacteroides; s__fragilis\t15\t40\n"
        "k__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; f__Lachnospiraceae; g__Roseburia; s__intestinalis\t30\t7\n"
        "Unassigned\t10\t3\n"
    )
    source = tmp_path / "in.tsv"
    source.write_text(text)
    cohort = gutbalance.read(source)
    out = tmp_path / f"out{suffix}"
    gutbalance.write(cohort, out)
    if suffix == ".biom":
        assert out.read_bytes().startswith(b"\x89HDF")
    else:
        assert out.read_text().lstrip().startswith("{")
    table = biom_table.load_table(Source.open(out))
    # two species, the genus with the 5 reads placed at it alone, and Unassigned
    assert table.shape == (4, 2)
    assert table.data("Unassigned", axis="observation").tolist() == [10, 3]
    genus = next(i for i in table.ids(axis="observation") if i.endswith("g__Bacteroides"))
    assert table.data(genus, axis="observation").tolist() == [5, 0]
    back = gutbalance.read(out)
    assert_same_species(cohort, back)
    assert back.counts is not None
    assert back.samples["unassigned"].to_numpy() == pytest.approx([10 / 60, 3 / 50])
    np.testing.assert_array_equal(back.X.toarray(), cohort.X.toarray())


def test_writer_relative_when_no_counts(tmp_path):
    cohort = make_cohort({"A": SMALL_COMMUNITY})
    out = tmp_path / "rel.biom"
    gutbalance.write(cohort, out)
    back = gutbalance.read(out)
    assert back.counts is None
    assert_same_species(cohort, back)


# --- fuzzing ------------------------------------------------------------------------

VALID_JSON = _table(
    ["4479944", "s__Bacteroides_fragilis"], [[3, 1], [1, 1]], [{"taxonomy": LINEAGES[0]}, {"taxonomy": LINEAGES[1]}]
).to_json("fuzz")
VALID_HDF5 = _hdf5_source(_table(["s__Bacteroides_fragilis", "s__Prevotella_copri"], [[3, 1], [1, 1]])).data


def _attempt(data: bytes, name: str) -> None:
    with contextlib.suppress(GutBalanceError):
        get_format("biom").read(Source(Path(name), data))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1000), st.sampled_from([b"", b"\x89HDF\r\n\x1a\n", b"{"]))
def test_fuzz_random_bytes(data, prefix):
    _attempt(prefix + data, "fuzz.biom")


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(VALID_JSON)), st.integers(0, 20), st.text(max_size=10))
def test_fuzz_mutated_json(pos, cut, insert):
    _attempt((VALID_JSON[:pos] + insert + VALID_JSON[pos + cut :]).encode("utf-8", "surrogatepass"), "fuzz.json")


@pytest.fixture(scope="module")
def _short_isolation_timeout():
    """Some corrupt HDF5 files make libhdf5 hang: stop those children soon."""
    from gutbalance.io import isolate

    saved, isolate.TIMEOUT = isolate.TIMEOUT, 5.0
    yield
    isolate.TIMEOUT = saved


@pytest.mark.usefixtures("_short_isolation_timeout")
# 100 mutations: each is parsed in a child process (libhdf5 can crash on a corrupt
# file), so an example costs a process start; 200 cost most of a CI minute
@settings(max_examples=100, deadline=None)
@given(st.integers(0, len(VALID_HDF5) - 1), st.binary(min_size=1, max_size=8))
def test_fuzz_mutated_hdf5(pos, patch):
    _attempt(VALID_HDF5[:pos] + patch + VALID_HDF5[pos + len(patch) :], "fuzz.biom")


def test_written_columns_do_not_depend_on_the_other_samples(tmp_path):
    # S1 has reads at the genus only; S2 has a species of that genus. A table
    # of leaves across the cohort would drop S1's genus (it has a child in S2).
    text = (
        "taxonomy\tS1\tS2\n"
        "k__Bacteria; p__Bacteroidetes; c__Bacteroidia; o__Bacteroidales; f__Bacteroidaceae; g__Bacteroides\t0.6\t0\n"
        "k__Bacteria; p__Bacteroidetes; c__Bacteroidia; o__Bacteroidales; f__Bacteroidaceae; g__Bacteroides; "
        "s__fragilis\t0\t0.5\n"
        "k__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; f__Lachnospiraceae; g__Roseburia\t0.4\t0.5\n"
    )
    source = tmp_path / "in.tsv"
    source.write_text(text)
    cohort = gutbalance.read(source)
    for suffix in (".biom", ".json"):
        out = tmp_path / f"out{suffix}"
        gutbalance.write(cohort, out)
        back = gutbalance.read(out)
        np.testing.assert_array_equal(back.X.toarray(), cohort.X.toarray())


def test_json_values_at_full_precision(tmp_path):
    # biom-format's own JSON writer keeps six decimals: 3e-7 would become 0
    # and 0.1234567891 would lose its tail.
    text = (
        "taxonomy\tS1\n"
        "k__Bacteria; p__Bacteroidetes; c__Bacteroidia; o__Bacteroidales; f__Bacteroidaceae; g__Bacteroides; "
        "s__fragilis\t0.1234567891\n"
        "k__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; f__Lachnospiraceae; g__Roseburia; "
        "s__intestinalis\t3e-07\n"
        "Unassigned\t0.8765429109\n"
    )
    source = tmp_path / "in.tsv"
    source.write_text(text)
    cohort = gutbalance.read(source)
    out = tmp_path / "out.json"
    gutbalance.write(cohort, out)
    back = gutbalance.read(out)
    np.testing.assert_array_equal(back.X.toarray(), cohort.X.toarray())


@pytest.mark.parametrize("name", ["out.biom", "out.qza"])
def test_own_fractions_past_one_are_not_taken_for_percentages(tmp_path, name):
    # A CAMI profile normalises each rank on its own, so a taxon's own
    # abundances may add up past 1; the totals alone would read as percent
    # (also inside a RelativeFrequency artifact, whose type says "relative" only).
    text = (
        "@SampleID:S1\n@Version:0.9.1\n@Ranks:superkingdom|phylum|genus|species\n\n"
        "@@TAXID\tRANK\tTAXPATH\tTAXPATHSN\tPERCENTAGE\n"
        "2\tsuperkingdom\t2\tBacteria\t100\n"
        "976\tphylum\t2|976\tBacteria|Bacteroidetes\t100\n"
        "816\tgenus\t2|976|816\tBacteria|Bacteroidetes|Bacteroides\t60\n"
        "838\tgenus\t2|976|838\tBacteria|Bacteroidetes|Prevotella\t40\n"
        "817\tspecies\t2|976|816|817\tBacteria|Bacteroidetes|Bacteroides|Bacteroides fragilis\t100\n"
    )
    source = tmp_path / "S1.profile"
    source.write_text(text)
    cohort = gutbalance.read(source)
    out = tmp_path / name
    gutbalance.write(cohort, out)
    with pytest.warns(GutBalanceWarning, match="add up to 140.00 %"):
        back = gutbalance.read(out)
    species = [t for t in cohort.taxa.index if t.startswith("s__")]
    a = pd.Series(cohort.X.toarray()[0], index=cohort.taxa.index)[species]
    b = pd.Series(back.X.toarray()[0], index=back.taxa.index)[species]
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())


# --- counts or percentages: what the file says before the totals ---------------------------------

#: A Kraken report whose classified reads total exactly 100 (a shallow run, or one subsampled to 100).
HUNDRED_READS = """\
100.00\t100\t0\tR\t1\troot
100.00\t100\t0\tD\t2\t  Bacteria
100.00\t100\t0\tP\t1239\t    Bacillota
100.00\t100\t0\tC\t186801\t      Clostridia
100.00\t100\t0\tO\t186802\t        Eubacteriales
100.00\t100\t0\tF\t186803\t          Lachnospiraceae
 61.00\t61\t0\tG\t841\t            Roseburia
 61.00\t61\t61\tS\t166486\t              Roseburia intestinalis
 39.00\t39\t0\tG\t207244\t            Anaerostipes
 38.00\t38\t38\tS\t649756\t              Anaerostipes hadrus
  1.00\t1\t1\tS\t649757\t              Anaerostipes caccae
"""


@pytest.mark.parametrize("name", ["counts.biom", "counts.json", "counts.qza"])
def test_a_count_table_of_100_reads_per_sample_reads_back_as_counts(tmp_path, name):
    report = tmp_path / "S1.kreport"
    report.write_text(HUNDRED_READS, encoding="utf-8")
    original = gutbalance.read(report)
    back = gutbalance.read(gutbalance.write(original, tmp_path / name))
    # Totals of exactly 100 looked like percentages: the counts (and Chao1) were lost.
    assert back.counted_samples().tolist() == [True]
    assert_same_species(original, back, tol=1e-12)
    before, after = gutbalance.score(original), gutbalance.score(back)
    assert after["chao1"].iloc[0] == before["chao1"].iloc[0]  # one singleton (A. caccae), no doubleton
    assert not np.isnan(after["chao1"].iloc[0])


def test_gutbalance_says_in_the_table_what_its_numbers_are(tmp_path):
    report = tmp_path / "S1.kreport"
    report.write_text(HUNDRED_READS, encoding="utf-8")
    original = gutbalance.read(report)
    counts = biom_table.build_table(original)
    assert counts.metadata(axis="sample")[0]["abundance_unit"] == "reads"
    document = biom_table.json_text(counts)
    assert '"matrix_element_type": "int"' in document
    assert "[0, 0, 61]" in document or ", 61]" in document  # whole reads as integers
    relative = make_cohort({"S1": SMALL_COMMUNITY})
    table = biom_table.build_table(relative)
    assert table.metadata(axis="sample")[0]["abundance_unit"] == "fraction"
    assert '"matrix_element_type": "float"' in biom_table.json_text(table)


def _percent_table(dtype) -> Table:
    # Whole-number percentages: 60 + 40 in each sample.
    return Table(np.array([[60, 40], [40, 60]], dtype=dtype), ["; ".join(LINEAGES[0]), "; ".join(LINEAGES[1])],
                 ["S1", "S2"])


def test_a_json_table_of_integers_holds_counts_whatever_its_totals():
    # "matrix_element_type": "int" is the file's own word: counts, read as 60 and 40 reads.
    document = _percent_table(float).to_json("elsewhere").replace('"matrix_element_type": "float"',
                                                                   '"matrix_element_type": "int"')
    document = re.sub(r"(\d+)\.0+\]", r"\1]", document)
    assert "[0,0,60]" in document
    profiles = biom_format.read(Source(Path("int.json"), document.encode()))
    assert [p.counts is not None for p in profiles] == [True, True]
    assert profiles[0].abundance == pytest.approx([0.6, 0.4])


@pytest.mark.parametrize("source", [_json_source, _hdf5_source], ids=["json", "hdf5"])
def test_a_float_table_of_whole_percentages_is_still_read_as_percentages(source):
    # A genuine percentage table whose values happen to be whole, typed float and saying
    # nothing more: the totals (100 per sample) decide, as for every feature table.  It may
    # as well be 100 reads a sample (rarefied), which nothing in it tells: a warning says so
    # and how to say counts.
    with pytest.warns(GutBalanceWarning, match=r"every value is a whole number and every sample adds up to about "
                                              r"100: read as percentages, but they may be read counts") as caught:
        profiles = biom_format.read(source(_percent_table(float)))
    assert "abundance_unit = reads" in str(caught[0].message)
    assert [p.counts is None for p in profiles] == [True, True]
    assert profiles[0].abundance == pytest.approx([0.6, 0.4])


@pytest.mark.parametrize("source", [_json_source, _hdf5_source], ids=["json", "hdf5"])
def test_no_warning_where_the_table_says_or_the_numbers_tell(source):
    # fractional percentages cannot be reads; totals of 1000 are counts; a declared unit decides
    fractional = Table(np.array([[60.5, 40], [39.5, 60]]), ["; ".join(LINEAGES[0]), "; ".join(LINEAGES[1])],
                       ["S1", "S2"])
    counts = Table(np.array([[600, 400], [400, 600]], dtype=float), ["; ".join(LINEAGES[0]), "; ".join(LINEAGES[1])],
                   ["S1", "S2"])
    declared = _percent_table(float)
    declared.add_metadata({"S1": {"abundance_unit": "reads"}, "S2": {"abundance_unit": "reads"}}, axis="sample")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [p.counts for p in biom_format.read(source(fractional))] == [None, None]
        assert [p.counts is not None for p in biom_format.read(source(counts))] == [True, True]
        assert [p.counts for p in biom_format.read(source(declared))] == [[60.0, 40.0], [40.0, 60.0]]


def test_the_warning_reaches_the_problems_of_a_batch(tmp_path):
    # analyze lists it in problems.tsv beside the file, and still scores the samples
    path = tmp_path / "rarefied_or_percent.biom"
    with h5py.File(path, "w") as f:
        _percent_table(float).to_hdf5(f, "elsewhere")
    result = gutbalance.read_batch([path])
    assert result.cohort is not None
    assert result.cohort.n_samples == 2
    assert [p.severity for p in result.problems] == ["warning"]
    assert "may be read counts" in result.problems[0].message


def test_the_unit_a_sample_metadata_gives_decides_over_the_totals():
    table = _percent_table(float)
    table.add_metadata({"S1": {"abundance_unit": "reads"}, "S2": {"abundance_unit": "reads"}}, axis="sample")
    profiles = biom_format.read(_hdf5_source(table))
    assert [p.counts for p in profiles] == [[60.0, 40.0], [40.0, 60.0]]


def test_an_hdf5_table_stored_as_integers_holds_counts():
    # biom-format stores float64; a BIOM 2.1 file whose matrix is stored as integers says counts.
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        _percent_table(float).to_hdf5(f, "elsewhere")
    with h5py.File(buffer, "r+") as f:
        for axis in ("observation", "sample"):
            values = f[f"{axis}/matrix/data"][:]
            del f[f"{axis}/matrix/data"]
            f.create_dataset(f"{axis}/matrix/data", data=values.astype(np.int64))
    profiles = biom_format.read(Source(Path("int.biom"), buffer.getvalue()))
    assert [p.counts for p in profiles] == [[60.0, 40.0], [40.0, 60.0]]


@pytest.mark.parametrize("name", ["table.biom", "table.json", "table.qza"])
def test_a_converted_profile_keeps_its_database_and_percentiles(tmp_path, name):
    """A MetaPhlAn 3 cohort converted to BIOM or QIIME 2 lost its database
    (found converting the 44 kefir profiles, 2026-11-28): read back as a table
    of unknown profiler, every sample lost its 19 percentiles and got "percentiles
    not comparable" in place of the MetaPhlAn version caveat."""
    profile = tmp_path / "S1.txt"
    profile.write_text(metaphlan_text(SMALL_COMMUNITY), encoding="utf-8")
    cohort = gutbalance.read([profile])
    database = cohort.samples["database"].iloc[0]
    assert database.startswith("mpa_v3")
    gutbalance.write(cohort, tmp_path / name)
    again = gutbalance.read([tmp_path / name])
    assert list(again.samples["database"]) == [database]
    before = with_percentiles(gutbalance.score(cohort), cohort)
    after = with_percentiles(gutbalance.score(again), again)
    assert before.loc["S1", "warnings"] == after.loc["S1", "warnings"]
    assert before.loc["S1", "immune_support_percentile"] == pytest.approx(after.loc["S1", "immune_support_percentile"])
    assert not np.isnan(after.loc["S1", "immune_support_percentile"])


def test_a_table_from_elsewhere_names_no_database(tmp_path):
    cohort = make_cohort({"S1": SMALL_COMMUNITY})
    gutbalance.write(cohort, tmp_path / "table.biom")
    about = Table.from_hdf5(h5py.File(tmp_path / "table.biom", "r")).metadata(axis="sample")[0]
    assert biom_table.DATABASE_KEY not in about


def test_an_hdf5_table_whose_shape_disagrees_with_its_ids_says_so():
    # fault: biom-format read it as "Duplicate observation IDs", which it does not have
    table = Table(np.array([[1.0, 2.0], [3.0, 4.0]]), ["s__Bacteroides fragilis", "s__Escherichia coli"], ["A", "B"])
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        table.to_hdf5(f, "test")
        f.attrs["shape"] = [3, 2]
    with pytest.raises(FormatError, match=r"shape attribute says 3 observations x 2 samples, but it holds 2 "
                                          r"observation ids and 2 sample ids"):
        _read(Source(Path("t.biom"), buffer.getvalue()))
