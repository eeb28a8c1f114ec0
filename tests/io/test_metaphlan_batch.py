"""read_batch's fast path for plain single-sample MetaPhlAn files
(io/formats/metaphlan.py, ``scan``) is invisible: the same Cohort (X, taxa,
samples), warnings and problems, in the same order, as the per-file path,
on random batches of MetaPhlAn 2/3/4 files (clean and broken) and on every
MetaPhlAn file of ../shared/data."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gutbalance.io import BatchResult, read_batch
from gutbalance.io.formats import metaphlan
from gutbalance.io.limits import default_limits
from tests.helpers import SMALL_COMMUNITY, metaphlan_text

#: MetaPhlAn 3 species lineages; Zzfoo is a genus the lineage table does not know,
#: Eubacterium rectale a renamed species, D16 a placeholder genus.
SPECIES = [
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Ruminococcaceae|g__Faecalibacterium|s__Faecalibacterium_prausnitzii",
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|s__Bacteroides_fragilis",
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|s__Bacteroides_uniformis",
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Roseburia|s__Roseburia_intestinalis",
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Eubacterium|s__Eubacterium_rectale",
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Zzfoo|s__Zzfoo_bar",
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Ruminococcaceae|g__Ruminococcaceae_unclassified|s__Ruminococcaceae_bacterium_D16",
    "k__Bacteria|p__Actinobacteria|c__Actinobacteria|o__Bifidobacteriales|f__Bifidobacteriaceae|g__Bifidobacterium|s__Bifidobacterium_longum",
    "k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae|g__Escherichia|s__Escherichia_coli",
    "k__Archaea|p__Euryarchaeota|c__Methanobacteria|o__Methanobacteriales|f__Methanobacteriaceae|g__Methanobrevibacter|s__Methanobrevibacter_smithii",
]
HEADERS = {
    2: None,  # MetaPhlAn 2: clade and percent, no column header
    3: "#clade_name\tNCBI_tax_id\trelative_abundance\tadditional_species",
    4: "#clade_name\tclade_taxid\trelative_abundance\tadditional_species",
}
BREAKAGES = ["crlf", "nan", "negative", "empty", "truncated", "unknown_twice", "missing_parent", "duplicate_row",
             "blank_line", "gzip", "inf", "text", "negative_zero"]


def _equal(fast: BatchResult, slow: BatchResult) -> None:
    assert fast.problems == slow.problems
    assert (fast.cohort is None) == (slow.cohort is None)
    if fast.cohort is None or slow.cohort is None:
        return
    a, b = fast.cohort, slow.cohort
    assert a.X.shape == b.X.shape
    # Bit for bit (tobytes): -0.0 and 0.0 compare equal but are written apart.
    for name in ("indptr", "indices", "data"):
        assert getattr(a.X, name).tobytes() == getattr(b.X, name).tobytes(), name
    pd.testing.assert_frame_equal(a.taxa, b.taxa, check_exact=True)
    pd.testing.assert_frame_equal(a.samples, b.samples, check_exact=True)
    for column in ("unassigned", "placed"):
        assert a.samples[column].to_numpy().tobytes() == b.samples[column].to_numpy().tobytes(), column
    assert (a.counts is None) == (b.counts is None)


def _both(paths: list[Path]) -> tuple[BatchResult, BatchResult]:
    fast = read_batch(paths)
    metaphlan.BATCH_FAST = False
    try:
        slow = read_batch(paths)
    finally:
        metaphlan.BATCH_FAST = True
    return fast, slow


@st.composite
def profiles(draw) -> tuple[str, bytes]:
    """A MetaPhlAn 2/3/4 single-sample file (name, content), clean or with one breakage."""
    version = draw(st.sampled_from([2, 3, 4]))
    chosen = draw(st.lists(st.sampled_from(SPECIES), min_size=1, max_size=6, unique=True))
    weights = draw(st.lists(st.floats(0.001, 100.0), min_size=len(chosen), max_size=len(chosen)))
    unknown = draw(st.sampled_from([0.0, 12.5, draw(st.floats(0.0, 99.0))]))
    scale = draw(st.sampled_from([100.0, 100.0, 1.0, 80.0]))  # percent, fractions, a total off 100 %
    total = sum(weights)
    clades: dict[str, float] = {}
    for lineage, w in zip(chosen, weights, strict=True):
        parts = lineage.split("|")
        if version == 4 and draw(st.booleans()):
            parts.append(f"t__SGB{len(parts[-1])}")
        for depth in range(1, len(parts) + 1):
            key = "|".join(parts[:depth])
            clades[key] = clades.get(key, 0.0) + w / total * (scale - unknown * scale / 100.0)
    breakage = draw(st.sampled_from([None] * 6 + BREAKAGES))
    rows = sorted(clades, key=lambda c: (c.count("|"), -clades[c]))
    if draw(st.booleans()):
        rows = draw(st.permutations(rows))
    taxid = draw(st.sampled_from(["none", "empty", "numbers"])) if version != 2 else "none"
    unknown_name = "UNCLASSIFIED" if version == 4 else "UNKNOWN"
    lines = [f"#mpa_v{version}0_CHOCOPhlAn_201901", "#/usr/bin/metaphlan in.fastq"]
    sample = draw(st.sampled_from(["", "Metaphlan_Analysis", "P1", "P2"]))
    if sample or version != 2:
        lines.append(f"#SampleID\t{sample}")
    if HEADERS[version]:
        lines.append(HEADERS[version])

    def row(clade: str, value: float) -> str:
        text = repr(value) if draw(st.booleans()) else f"{value:.5f}"
        if version == 2:
            return f"{clade}\t{text}"
        tid = {"none": "", "empty": "", "numbers": "|".join(str(10 + len(p)) for p in clade.split("|"))}[taxid]
        extra = "" if draw(st.booleans()) else clade
        return f"{clade}\t{tid}\t{text}\t{extra}"

    if breakage == "negative_zero" and version != 2:
        lines.append(f"{unknown_name}\t-1\t-0\t")  # "-0" percent unknown: read as 0.0
    elif unknown > 0 and version != 2:
        lines.append(row(unknown_name, unknown))
        if breakage == "unknown_twice":
            lines.append(row("UNKNOWN" if unknown_name != "UNKNOWN" else "UNCLASSIFIED", 1.0))
    data = [row(c, clades[c]) for c in rows]
    if breakage == "missing_parent" and len(data) > 1:
        del data[draw(st.integers(0, len(data) - 1))]
    if breakage == "duplicate_row":
        data.append(data[0])
    if breakage in ("nan", "negative", "empty", "inf", "text"):
        k = draw(st.integers(0, len(data) - 1))
        cells = data[k].split("\t")
        cells[1 if version == 2 else 2] = {"nan": "nan", "negative": "-1.5", "empty": "", "inf": "inf", "text": "abc"}[breakage]
        data[k] = "\t".join(cells)
    if breakage == "blank_line":
        data.insert(draw(st.integers(0, len(data))), "")
    lines += data
    text = "\n".join(lines) + "\n"
    if breakage == "crlf":
        text = text.replace("\n", "\r\n")
    if breakage == "truncated":
        text = text[: len(text) - draw(st.integers(1, 12))]
    content = text.encode()
    name = draw(st.sampled_from(["S{}_profile.txt", "S{}_metaphlan.txt", "run{}.tsv"]))
    if breakage == "gzip":
        content, name = gzip.compress(content), name + ".gz"
    return name, content


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(profiles(), min_size=1, max_size=8))
def test_the_fast_path_reads_what_the_per_file_path_reads(files):
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, (name, content) in enumerate(files):
            path = Path(tmp) / name.format(i)
            path.write_bytes(content)
            paths.append(path)
        _equal(*_both(paths))


def _clean(folder: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        lines = ["#mpa_v30_CHOCOPhlAn_201901", "#SampleID\tMetaphlan_Analysis", HEADERS[3], "UNKNOWN\t-1\t20.0\t"]
        clades: dict[str, float] = {}
        # Eubacterium rectale is filed under Agathobacter: that profile is re-placed, the per-file way.
        canonical = [s for s in SPECIES if "Eubacterium" not in s][: 3 + i % 5]
        for lineage in canonical:
            parts = lineage.split("|")
            for depth in range(1, len(parts) + 1):
                key = "|".join(parts[:depth])
                clades[key] = clades.get(key, 0.0) + 80.0 / len(canonical)
        lines += [f"{c}\t\t{v!r}\t" for c, v in clades.items()]
        path = folder / f"S{i}_metaphlan.txt"
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths


def test_clean_files_take_the_fast_path_and_broken_ones_do_not(tmp_path):
    # Without this the comparisons above could pass with the fast path never taken.
    paths = _clean(tmp_path, 6)
    broken = tmp_path / "S9_metaphlan.txt"
    broken.write_text(paths[0].read_text().replace("\t20.0\t", "\tnan\t"))
    scanned = metaphlan.scan([*paths, broken], default_limits())
    assert all(f is not None for f in scanned.files[:6])
    assert scanned.files[6] is None
    fast, slow = _both([*paths, broken])
    _equal(fast, slow)
    assert fast.cohort is not None
    assert fast.cohort.n_samples == 6
    assert [p.message for p in fast.problems] == [p.message for p in slow.problems] != []


def test_an_unknown_of_minus_zero_is_zero(tmp_path):
    paths = _clean(tmp_path, 2)
    paths[1].write_text(paths[1].read_text().replace("UNKNOWN\t-1\t20.0\t", "UNKNOWN\t-1\t-0\t"))
    assert metaphlan.scan(paths, default_limits()).files[1] is not None
    fast, slow = _both(paths)
    _equal(fast, slow)
    assert str(fast.cohort.samples["unassigned"].iloc[1]) == "0.0"


def test_a_name_met_before_and_the_first_file_go_the_per_file_way(tmp_path):
    paths = _clean(tmp_path, 3)
    twin = tmp_path / "other" / "S1_metaphlan.txt"
    twin.parent.mkdir()
    twin.write_bytes(paths[1].read_bytes())
    fast, slow = _both([*paths, twin])
    _equal(fast, slow)
    assert "is also in" in fast.problems[-1].message


def test_with_format_given_every_file_goes_the_per_file_way(tmp_path):
    paths = _clean(tmp_path, 3)
    assert read_batch(paths, format="metaphlan").cohort.n_samples == 3


def _metaphlan_files(root: Path) -> list[Path]:
    out = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith(".") and path.stat().st_size < 5_000_000:
            head = path.read_bytes()[:4096]
            if b"clade_name" in head or head.startswith(b"k__") or b"#mpa_" in head:
                out.append(path)
    return out


def test_every_metaphlan_file_of_the_shared_data(shared_data):
    paths = _metaphlan_files(shared_data)
    if not paths:
        pytest.skip("no MetaPhlAn files in the shared data")
    scanned = metaphlan.scan(paths, default_limits())
    assert sum(f is not None for f in scanned.files) >= 44  # the kefir profiles at least
    _equal(*_both(paths))
    # One at a time and in reverse: the first file and the order never change a sample.
    _equal(*_both(paths[::-1]))


def test_a_missing_input_of_a_batch_is_named_and_the_others_still_read(tmp_path):
    # read_batch (convert, kb coverage, reference build) gave up on the whole
    # batch for one mistyped path.
    good = tmp_path / "S1.txt"
    good.write_text(metaphlan_text(SMALL_COMMUNITY))
    result = read_batch([good, tmp_path / "S2.txt", str(tmp_path / "none_*.txt"), good])
    assert result.cohort is not None
    assert result.cohort.sample_names == ["S1"]
    assert [(p.file, p.message) for p in result.failed] == [
        (str(tmp_path / "S2.txt"), "no such file or folder"),
        (str(tmp_path / "none_*.txt"), "the pattern matches no file"),
    ]
