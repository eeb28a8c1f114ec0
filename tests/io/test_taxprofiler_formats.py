"""The other profilers of nf-core/taxprofiler: ganon .tre reports, kaiju2table
summaries, KMCP profiles, MG-TK and protal lineage + fraction files
(io/formats/ganon.py, kaiju.py, kmcp.py, lineage_fraction.py).

The fixtures are typed here in the shapes of taxpasta's test files
(taxprofiler/taxpasta tests/data/{ganon,kaiju,kmcp}/) and of
4less/benchpro_rust's MG-TK and protal predictions; no public file is copied.
"""

import contextlib
import math
import warnings
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import gutbalance
from gutbalance.errors import FormatError, GutBalanceError, GutBalanceWarning
from gutbalance.io import read_source
from gutbalance.io.registry import formats
from gutbalance.io.source import Source
from gutbalance.reference.comparability import profiler_family
from tests.helpers import scored

_BAC = "1|2"
GANON_ROWS = [
    # rank, target, lineage, name, cumulative reads, cumulative %
    ("unclassified", "-", "-", "unclassified", 200, 20.0),
    ("root", "1", "1", "root", 800, 80.0),
    ("superkingdom", "2", _BAC, "Bacteria", 790, 79.0),
    ("phylum", "976", f"{_BAC}|976", "Bacteroidota", 500, 50.0),
    ("phylum", "1239", f"{_BAC}|1239", "Bacillota", 290, 29.0),
    ("genus", "816", f"{_BAC}|976||||816", "Bacteroides", 500, 50.0),
    ("genus", "216851", f"{_BAC}|1239||||216851", "Faecalibacterium", 290, 29.0),
    ("species", "817", f"{_BAC}|976||||816|817", "Bacteroides fragilis", 300, 30.0),
    ("species", "821", f"{_BAC}|976||||816|821", "Bacteroides vulgatus", 150, 15.0),
    ("species", "853", f"{_BAC}|1239||||216851|853", "Faecalibacterium prausnitzii", 290, 29.0),
]


def _ganon(rows=GANON_ROWS) -> str:
    return "".join(f"{r}\t{t}\t{lin}\t{name}\t0\t0\t{n}\t{n}\t{p:.5f}\n" for r, t, lin, name, n, p in rows)


KAIJU_ROWS = [
    ("Bacteroides fragilis", "817", 3000),
    ("Faecalibacterium prausnitzii", "853", 2000),
    ("Escherichia coli", "562", 1000),
    ("Viruses", "10239", 500),
    ("cannot be assigned to a (non-viral) species", "NA", 1500),
    ("unclassified", "NA", 2000),
]


def _kaiju(rows=KAIJU_ROWS, file="S1.kaiju.tsv") -> str:
    total = sum(n for *_, n in rows)
    body = "".join(f"{file}\t{100 * n / total:.6f}\t{n}\t{t}\t{name}\n" for name, t, n in rows)
    return "file\tpercent\treads\ttaxon_id\ttaxon_name\n" + body


KMCP_HEADER = ("ref\tpercentage\tcoverage\tscore\tchunksFrac\tchunksRelDepth\tchunksRelDepthStd\treads\tureads\t"
               "hicureads\trefsize\trefname\ttaxid\trank\ttaxname\ttaxpath\ttaxpathsn\n")


def _kmcp(rows) -> str:
    """rows: (ref, percentage, taxid, rank, taxname)."""
    return KMCP_HEADER + "".join(
        f"{ref}\t{p:.6f}\t10.0\t100.00\t1.00\t1.00;0.99\t0.01\t1000\t900\t800\t2000000\t\t{t}\t{rank}\t{name}\t\t\n"
        for ref, p, t, rank, name in rows)


LINEAGES = [
    "d__Bacteria;p__Bacteroidota;c__Bacteroidia;o__Bacteroidales;f__Bacteroidaceae;g__Bacteroides;"
    "s__Bacteroides fragilis",
    "d__Bacteria;p__Firmicutes_A;c__Clostridia;o__Oscillospirales;f__Ruminococcaceae;g__Faecalibacterium;"
    "s__Faecalibacterium prausnitzii",
    "d__Bacteria;p__Firmicutes_A;c__Clostridia;o__Clostridiales;f__Clostridiaceae;g__Clostridium;s__?",
]


def _mgtk(fractions=(0.5, 0.3, 0.2)) -> str:
    return "".join(f"{lin}\t{f!r}\n" for lin, f in zip(LINEAGES, fractions, strict=True))


def _protal(fractions=(0.5, 0.3, 0.2)) -> str:
    return "".join(f"RS_GCF_{i:09d}.1\t{lin.replace(';', '|')}\t{f!r}\n"
                   for i, (lin, f) in enumerate(zip(LINEAGES[:2] + [LINEAGES[0]], fractions, strict=True)))


def _read(text: str, name: str):
    return read_source(Source.from_bytes(text.encode(), name))


# --- ganon ---------------------------------------------------------------------------


def test_ganon_report_is_read_with_its_lineages_and_unassigned_share(tmp_path):
    path = tmp_path / "S1.ganon.tre"
    path.write_text(_ganon())
    cohort = gutbalance.read(path)
    assert cohort.sample_names == ["S1"]
    assert cohort.samples.loc["S1", "source_format"] == "ganon"
    # unclassified 20 % + 1 % placed only at the root
    assert cohort.samples.loc["S1", "unassigned"] == pytest.approx(0.21, abs=1e-12)
    species = cohort.at_rank("species")
    assert species.loc["S1", "s__Bacteroides fragilis"] == pytest.approx(0.30, abs=1e-12)
    # the genus keeps its own 5 % (reads at the genus, no species): it is a clade
    assert cohort.at_rank("genus").loc["S1", "g__Bacteroides"] == pytest.approx(0.50, abs=1e-12)
    assert cohort.taxa.loc["g__Bacteroides", "parent"] != ""
    assert profiler_family("ganon", "") == "ganon"


def test_ganon_report_a_column_short_names_the_line(tmp_path):
    path = tmp_path / "S1.ganon.tre"
    broken = "".join(ln.split("\t", 4)[0] + "\t" + "\t".join(ln.split("\t")[1:3] + ln.split("\t")[4:])
                     for ln in _ganon().splitlines(keepends=True))
    path.write_text(broken)
    with pytest.raises(FormatError, match=r"line 1.*expected 9 tab-separated columns"):
        gutbalance.io.read_profiles(path)
    path.write_text(_ganon().replace("\t300\t300\t30.00000", "\t300\t300\tthirty"))
    with pytest.raises(FormatError, match=r"line 8.*cumulative_perc"):
        gutbalance.io.read_profiles(path)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=4, max_size=4))
def test_ganon_any_reads_give_clades_that_add_up(reads):
    fragilis, vulgatus, prausnitzii, unclassified = reads
    total = sum(reads)
    if total == 0:
        return
    bacteroides = fragilis + vulgatus

    def pct(n):
        return 100 * n / total

    rows = [
        ("unclassified", "-", "-", "unclassified", unclassified, pct(unclassified)),
        ("root", "1", "1", "root", total - unclassified, pct(total - unclassified)),
        ("superkingdom", "2", _BAC, "Bacteria", total - unclassified, pct(total - unclassified)),
        ("genus", "816", f"{_BAC}|816", "Bacteroides", bacteroides, pct(bacteroides)),
        ("species", "817", f"{_BAC}|816|817", "Bacteroides fragilis", fragilis, pct(fragilis)),
        ("species", "821", f"{_BAC}|816|821", "Bacteroides vulgatus", vulgatus, pct(vulgatus)),
        ("species", "853", f"{_BAC}|853", "Faecalibacterium prausnitzii", prausnitzii, pct(prausnitzii)),
    ]
    (profile,) = _read(_ganon(rows), "S1.ganon.tre")
    # the percentages are printed with 5 decimals: shares to that precision
    assert profile.unassigned == pytest.approx(unclassified / total, abs=1e-6)
    found = {lin[-1].id: a for lin, a in zip(profile.lineages, profile.abundance, strict=True)}
    assert found.get("s__Bacteroides fragilis", 0.0) == pytest.approx(fragilis / total, abs=1e-6)
    assert all(a > 0 for a in profile.abundance)


# --- kaiju ---------------------------------------------------------------------------


def test_kaiju_table_reads_its_rank_counts_and_unassigned_share(tmp_path):
    path = tmp_path / "S1.kaiju.txt"
    path.write_text(_kaiju())
    cohort = gutbalance.read(path)
    total = sum(n for *_, n in KAIJU_ROWS)
    assert cohort.sample_names == ["S1"]
    # unclassified + "cannot be assigned to a (non-viral) species"
    assert cohort.samples.loc["S1", "unassigned"] == pytest.approx(3500 / total, abs=1e-12)
    species = cohort.at_rank("species")
    assert species.loc["S1", "s__Bacteroides fragilis"] == pytest.approx(3000 / total, abs=1e-12)
    assert cohort.at_rank("domain").loc["S1", "k__Viruses"] == pytest.approx(500 / total, abs=1e-12)
    assert cohort.counts is not None
    assert cohort.all_counted


def test_kaiju_lineages_give_the_last_name_and_several_files_are_several_samples(tmp_path):
    rows = [(f"Bacteria;Bacteroidota;NA;Bacteroidales;Bacteroidaceae;Bacteroides;{name};" if t != "NA"
             and name != "Viruses" else name, t, n) for name, t, n in KAIJU_ROWS]
    text = _kaiju(rows, "A.kaiju.out") + _kaiju(KAIJU_ROWS[::-1], "B.kaiju.out").split("\n", 1)[1]
    path = tmp_path / "both.tsv"
    path.write_text(text)
    cohort = gutbalance.read(path)
    assert cohort.sample_names == ["A", "B"]
    species = cohort.at_rank("species")
    assert species.loc["A", "s__Escherichia coli"] == pytest.approx(species.loc["B", "s__Escherichia coli"])


def test_kaiju_ids_without_names_are_refused_naming_kaiju(tmp_path):
    path = tmp_path / "S1.kaiju.txt"
    path.write_text(_kaiju([(f"taxonid:{t}" if t not in ("NA", "10239") else name, t, n)
                            for name, t, n in KAIJU_ROWS]))
    with pytest.raises(FormatError, match=r"line 2.*Kaiju.*without names.*-n names.dmp"):
        gutbalance.io.read_profiles(path)


def test_kaiju_truncated_or_rankless_tables_are_refused(tmp_path):
    path = tmp_path / "S1.kaiju.txt"
    path.write_text(_kaiju().rsplit("\n", 2)[0] + "\n")  # the unclassified row cut off
    with pytest.raises(FormatError, match=r"rows lost"):
        gutbalance.io.read_profiles(path)
    path.write_text(_kaiju([r for r in KAIJU_ROWS if not r[0].startswith("cannot")]))
    with pytest.raises(FormatError, match=r"does not say its rank"):
        gutbalance.io.read_profiles(path)
    path.write_text(_kaiju().replace("\t3000\t817\t", "\t3000\tx817\t"))
    with pytest.raises(FormatError, match=r"line 2.*taxon_id"):
        gutbalance.io.read_profiles(path)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=100_000), min_size=len(KAIJU_ROWS), max_size=len(KAIJU_ROWS)))
def test_kaiju_any_reads_give_shares_of_the_total(reads):
    rows = [(name, t, n) for (name, t, _), n in zip(KAIJU_ROWS, reads, strict=True)]
    total = sum(reads)
    if total == 0:
        return
    (profile,) = _read(_kaiju(rows), "S1.kaiju.txt")
    assert profile.unassigned == pytest.approx((reads[-1] + reads[-2]) / total, abs=1e-12)
    assert sum(profile.abundance) + profile.unassigned == pytest.approx(1.0, abs=1e-12)
    assert profile.counts == [float(n) for n in reads[:4] if n > 0]


# --- KMCP ----------------------------------------------------------------------------


def test_kmcp_profile_with_the_taxonomy_is_read_and_references_of_a_species_summed(tmp_path):
    path = tmp_path / "S1.kmcp.profile"
    path.write_text(_kmcp([("GCF_1", 50.0, "817", "species", "Bacteroides fragilis"),
                           ("GCF_2", 20.0, "817", "species", "Bacteroides fragilis"),
                           ("GCF_3", 30.0, "853", "species", "Faecalibacterium prausnitzii")]))
    cohort = gutbalance.read(path)
    assert cohort.sample_names == ["S1"]
    assert cohort.at_rank("species").loc["S1", "s__Bacteroides fragilis"] == pytest.approx(0.70, abs=1e-12)
    assert cohort.samples.loc["S1", "unassigned"] == 0.0


def test_kmcp_ids_only_or_rankless_are_refused_naming_kmcp(tmp_path):
    path = tmp_path / "S1.kmcp.profile"
    path.write_text(_kmcp([("GCF_1", 60.0, "1873916548", "", ""), ("GCF_2", 40.0, "2130047575", "", "")]))
    with pytest.raises(FormatError, match=r"line 2.*KMCP.*without taxon names.*-X"):
        gutbalance.io.read_profiles(path)
    path.write_text(_kmcp([("test_1", 100.0, "2697049", "", "SARS-CoV-2")]))
    with pytest.raises(FormatError, match=r"line 2.*field 'rank'.*no rank"):
        gutbalance.io.read_profiles(path)
    path.write_text(KMCP_HEADER + "GCF_1\t100\t83.97\t1.00\t1.00\t0.00\t114\t114\t25\t13897\t\t2697049\n")
    with pytest.raises(FormatError, match=r"line 2.*refsize|line 2.*columns"):
        gutbalance.io.read_profiles(path)


# --- MG-TK and protal ------------------------------------------------------------------


def test_mgtk_and_protal_are_read_with_an_unknown_species_as_a_placeholder(tmp_path):
    (tmp_path / "S1.profile").write_text(_mgtk())
    (tmp_path / "S2.profile").write_text(_protal())
    cohort = gutbalance.read([tmp_path / "S1.profile", tmp_path / "S2.profile"])
    assert list(cohort.samples["source_format"]) == ["mg-tk", "protal"]
    species = cohort.at_rank("species")
    assert species.loc["S1", "s__Bacteroides fragilis"] == pytest.approx(0.5, abs=1e-12)
    # protal: two genomes of one species are one species
    assert species.loc["S2", "s__Bacteroides fragilis"] == pytest.approx(0.7, abs=1e-12)
    assert bool(cohort.taxa.loc["s__Clostridium unclassified", "unclassified"])
    assert cohort.at_rank("genus").loc["S1", "g__Clostridium"] == pytest.approx(0.2, abs=1e-12)
    assert profiler_family("mg-tk", "") == "MG-TK"
    assert profiler_family("protal", "") == "protal"
    assert profiler_family("sylph", "sylph-tax") == "sylph"


def test_mgtk_broken_rows_name_the_line(tmp_path):
    path = tmp_path / "S1.profile"
    path.write_text(_mgtk().replace("\t0.3\n", "\tNaN\n"))
    with pytest.raises(FormatError, match=r"line 2.*fraction"):
        gutbalance.io.read_profiles(path)
    path.write_text(_mgtk() + "d__Bacteria;p__Bacteroidota\n")
    with pytest.raises(FormatError, match=r"line 4.*expected 2"):
        gutbalance.io.read_profiles(path)


def test_mgtk_lineage_or_protal_genome_written_twice_is_refused_naming_both_lines(tmp_path):
    # Both were summed without a word before 2026-11-27 (the Bacteroides row counted twice).
    path = tmp_path / "S1.profile"
    lines = _mgtk().splitlines(keepends=True)
    path.write_text("".join([*lines, lines[0]]))
    with pytest.raises(FormatError) as caught:
        gutbalance.io.read_profiles(path)
    assert str(caught.value) == (
        f"{path}, line 4, field 'lineage': lineage {LINEAGES[0]!r} appears twice (first on line 1): mg-tk writes "
        "each lineage once, so its share would be counted twice (a file pasted into itself?)")
    lines = _protal().splitlines(keepends=True)
    path.write_text("".join([lines[0], lines[1], lines[0]]))
    with pytest.raises(FormatError, match=r"line 3, field 'genome': genome 'RS_GCF_000000000.1' appears twice "
                                          r"\(first on line 1\)"):
        gutbalance.io.read_profiles(path)


@pytest.mark.parametrize(("name", "text"), [("S1.mgtk", _mgtk()), ("S1.protal", _protal()), ("S1.ganon.tre", _ganon())])
def test_a_headerless_first_row_without_a_number_names_line_and_field(tmp_path, name, text):
    # It was "not a recognised profile format" (MG-TK), a table headed by the
    # row (protal, ganon) or, with --format, "does not look like ...".
    fields = text.splitlines()[0].split("\t")
    fields[-1] = "abc"
    path = tmp_path / name
    path.write_text("\t".join(fields) + "\n" + text.split("\n", 1)[1])
    field = "cumulative_perc" if name.endswith(".tre") else "fraction"
    for fmt in (None, {"S1.mgtk": "mg-tk", "S1.protal": "protal", "S1.ganon.tre": "ganon"}[name]):
        with pytest.raises(FormatError) as caught:
            gutbalance.io.read_profiles(path, format=fmt)
        assert str(caught.value) == f"{path}, line 1, field {field!r}: 'abc' is not a number"


# --- all of them -------------------------------------------------------------------------

VALID = {"S.ganon.tre": _ganon(), "S.kaiju.txt": _kaiju(), "S.kmcp.profile": _kmcp(
    [("GCF_1", 100.0, "817", "species", "Bacteroides fragilis")]), "S.mgtk": _mgtk(), "S.protal": _protal()}
FORMATS = [None, "ganon", "kaiju", "kmcp", "mg-tk", "protal"]


def _attempt(data: bytes, fmt):
    # A mutated file may be read with our own warnings (a rank '0species' is
    # "of no standard rank"): those are ours too; anything else fails.
    with contextlib.suppress(GutBalanceError), warnings.catch_warnings():
        warnings.simplefilter("ignore", GutBalanceWarning)
        read_source(Source(Path("fuzz.txt"), data), format=fmt)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(VALID)), st.integers(0, 3000), st.integers(0, 40), st.text(max_size=20),
       st.sampled_from(FORMATS))
@example("S.kmcp.profile", 225, 0, "0", None)  # rank '0species': read with our warning, not an error
def test_mutated_files_raise_only_our_errors(name, pos, cut, insert, fmt):
    text = VALID[name]
    pos = min(pos, len(text))
    _attempt((text[:pos] + insert + text[pos + cut:]).encode("utf-8", "surrogatepass"), fmt)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from(FORMATS))
def test_random_bytes_raise_only_our_errors(data, fmt):
    _attempt(data, fmt)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("taxprofiler_mixed")
    files = {"G.ganon.tre": _ganon(), "K.kaiju.txt": _kaiju(file="K.kaiju.tsv"),
             "P.kmcp.profile": _kmcp([("GCF_1", 60.0, "817", "species", "Bacteroides fragilis"),
                                      ("GCF_3", 40.0, "562", "species", "Escherichia coli")]),
             "M.profile": _mgtk(), "T.profile": _protal()}
    paths = []
    for name, text in files.items():
        (folder / name).write_text(text)
        paths.append(folder / name)
    alone = {}
    for path in paths:
        for sample, row in scored(gutbalance.read(path)).iterrows():
            alone[sample] = [f"{k}={v!r}" for k, v in row.items()]
    return paths, alone


@settings(max_examples=8, deadline=None)
@given(order=st.permutations(range(5)))
def test_a_row_is_the_same_alone_and_in_a_mixed_batch_in_any_order(mixed, order):
    paths, alone = mixed
    scores = scored(gutbalance.read([paths[i] for i in order]))
    assert sorted(scores.index) == sorted(alone)
    for sample, row in scores.iterrows():
        assert [f"{k}={v!r}" for k, v in row.items()] == alone[sample], sample
    assert not math.isnan(scores.loc["G", "shannon"])


@pytest.mark.parametrize("name", ["S.ganon.tre", "S.kaiju.txt", "S.mgtk", "S.protal"])
@pytest.mark.parametrize("suffix", [".profile", ".biom", ".csv"])
def test_round_trip_through_convert_keeps_every_clade(tmp_path, name, suffix):
    source = tmp_path / name
    source.write_text(VALID[name])
    cohort = gutbalance.read(source)
    target = tmp_path / f"converted{suffix}"
    gutbalance.write(cohort, target)
    back = gutbalance.read(target)
    for rank in ("domain", "phylum", "genus", "species"):
        before, after = cohort.at_rank(rank), back.at_rank(rank)
        present = sorted(before.columns[before.iloc[0] > 0])
        assert present == sorted(after.columns[after.iloc[0] > 0]), rank
        for key in present:
            assert after.iloc[0][key] == pytest.approx(before.iloc[0][key], abs=1e-12), key
    assert back.samples["unassigned"].iloc[0] == pytest.approx(cohort.samples["unassigned"].iloc[0], abs=1e-12)


def test_headerless_kraken_and_metaphlan_rows_are_not_taken_for_mgtk():
    mpa = "d__Bacteria\t800\nd__Bacteria|p__Bacillota\t500\nd__Bacteria|p__Bacillota|g__Blautia\t100\n"
    deep_first = "d__Bacteria|p__Bacillota\t500\nd__Bacteria|p__Bacillota|g__Blautia\t100\n"
    sniff_mgtk = formats()["mg-tk"].sniff
    for text in (mpa, deep_first):
        assert not sniff_mgtk(Source.from_bytes(text.encode(), "S1.txt"))
    (profile,) = _read(mpa, "S1.txt")
    assert profile.source_format == "kraken-mpa"
    assert sniff_mgtk(Source.from_bytes(_mgtk().encode(), "S1.profile"))
