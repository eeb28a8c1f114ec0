"""Fuzzing the readers of nf-core/taxprofiler's other profilers (ganon ``.tre``,
kaiju2table, KMCP, MG-TK, protal; io/one_rank.py) the way the MetaPhlAn and
Kraken readers are fuzzed (tests/io/test_fuzz_metaphlan.py, test_kraken.py):
whatever arrives, a reader gives profiles or one of gutbalance's errors, and
an error about one line names the file, the line and the field.

The valid files are typed in the layouts of tests/io/test_taxprofiler_formats.py
and tests/io/test_kmcp_kaiju_lineages.py (KMCP with ``taxpath``, kaiju2table
with ``-l`` lineages).
"""

import contextlib
import math
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gutbalance.errors import FormatError, GutBalanceError, GutBalanceWarning
from gutbalance.io import read_source
from gutbalance.io.one_rank import path_lineage
from gutbalance.io.source import Source
from tests.io.test_kmcp_kaiju_lineages import LACHNO, _kmcp
from tests.io.test_taxprofiler_formats import _ganon, _kaiju, _mgtk, _protal

KAIJU_L = [(f"{LACHNO};Blautia;Blautia obeum;", "40518", 3000),
           (f"{LACHNO};Novogenus;Novogenus faecis;", "999999", 1000),
           ("Bacteria;Bacillota;Clostridia;Eubacteriales;Oscillospiraceae;Faecalibacterium;"
            "Faecalibacterium prausnitzii;", "853", 2000),
           ("Viruses", "10239", 500),
           ("cannot be assigned to a (non-viral) species", "NA", 1500),
           ("unclassified", "NA", 2000)]
KMCP_ROWS = [("GCF_1", 50.0, "40518", "species", "Blautia obeum", f"{LACHNO};Blautia;Blautia obeum"),
             ("GCF_2", 20.0, "40518", "species", "Blautia obeum", f"{LACHNO};Blautia;Blautia obeum"),
             ("GCF_3", 30.0, "999999", "species", "Novogenus faecis", f"{LACHNO};Novogenus;Novogenus faecis")]

#: format -> (file name, text, first data line, numeric columns: name as the reader names it -> index)
VALID = {
    "ganon": ("S.ganon.tre", _ganon(), 1, {"unique": 4, "shared": 5, "children": 6, "cumulative": 7,
                                            "cumulative_perc": 8}),
    "kaiju": ("S.kaiju.txt", _kaiju(KAIJU_L), 2, {"percent": 1, "reads": 2}),
    "kmcp": ("S.kmcp.profile", _kmcp(KMCP_ROWS), 2, {"percentage": 1, "reads": 7, "ureads": 8, "hicureads": 9,
                                                      "refsize": 10}),
    "mg-tk": ("S.mgtk", _mgtk(), 1, {"fraction": 1}),
    "protal": ("S.protal", _protal(), 1, {"fraction": 2}),
}
BAD_NUMBERS = ["nan", "NaN", "-1", "-0.5", "inf", "-inf", "1e999", "", "x", "1,5"]


def _read(text: str | bytes, fmt: str | None, name: str = "fuzz.txt"):
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return read_source(Source(Path(name), data), format=fmt)


def _sane(profiles) -> None:
    """What a profile read from any file must be: finite shares of one sample."""
    for p in profiles:
        assert len(p.lineages) == len(p.abundance)
        assert all(math.isfinite(a) and a >= 0 for a in p.abundance)
        assert math.isfinite(p.unassigned)
        assert 0 <= p.unassigned <= 1 + 1e-9
        assert all(lin for lin in p.lineages)


def _outcome(text: str | bytes, fmt: str | None, name: str = "fuzz.txt"):
    """The profiles read, or the error of gutbalance's that reading raised."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", GutBalanceWarning)
            return _read(text, fmt, name)
    except GutBalanceError as error:
        return error


def _attempt(text: str | bytes, fmt: str | None) -> None:
    """Read, and either the profiles are sane or the error is ours and names the file."""
    outcome = _outcome(text, fmt)
    if isinstance(outcome, FormatError):
        assert outcome.path is not None
        assert "fuzz.txt" in str(outcome), str(outcome)
    elif not isinstance(outcome, GutBalanceError):
        _sane(outcome)


def _summary(profiles):
    return [(p.sample, [tuple(t.id for t in lin) for lin in p.lineages], p.abundance, p.unassigned, p.counts)
            for p in profiles]


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(sorted(VALID)), st.data())
def test_a_bad_number_is_refused_naming_file_line_and_field(fmt, data):
    name, text, first, numeric = VALID[fmt]
    lines = text.splitlines(keepends=True)
    index = data.draw(st.integers(first - 1, len(lines) - 1), label="line index")
    field, column = data.draw(st.sampled_from(sorted(numeric.items())), label="field")
    token = data.draw(st.sampled_from(BAD_NUMBERS), label="token")
    fields = lines[index].rstrip("\n").split("\t")
    fields[column] = token
    lines[index] = "\t".join(fields) + "\n"
    with pytest.raises(FormatError) as caught:
        _read("".join(lines), fmt, name)
    error = caught.value
    # Headerless formats too (ganon, MG-TK, protal): a first row without a
    # number is named with its line and field, not "does not look like ...".
    assert (error.path, error.line, error.field) == (name, index + 1, field), str(error)
    assert f"{name}, line {index + 1}, field {field!r}: " in str(error)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(VALID)), st.booleans(), st.booleans(), st.sampled_from([None, "named"]))
def test_bom_and_crlf_read_the_same(fmt, bom, crlf, forced):
    name, text, *_ = VALID[fmt]
    plain = _summary(_read(text, fmt, name))
    changed = ("\r\n".join(text.split("\n")) if crlf else text).encode()
    changed = (b"\xef\xbb\xbf" if bom else b"") + changed
    assert _summary(_read(changed, fmt if forced else None, name)) == plain


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(VALID)), st.integers(0, 5000), st.sampled_from([None, "named"]))
def test_a_cut_file_is_read_or_refused_with_our_error(fmt, cut, forced):
    name, text, *_ = VALID[fmt]
    _attempt(text[: min(cut, len(text))], fmt if forced else None)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(VALID)), st.data())
def test_a_line_cut_short_names_its_line(fmt, data):
    """A line cut anywhere inside (a write that stopped, a column lost) is
    refused naming that line, or read as it still says."""
    name, text, first, _ = VALID[fmt]
    lines = text.splitlines(keepends=True)
    index = data.draw(st.integers(first - 1, len(lines) - 1), label="line index")
    keep = data.draw(st.integers(0, len(lines[index]) - 2), label="characters kept")
    lines[index] = lines[index][:keep] + "\n"
    outcome = _outcome("".join(lines), fmt, name)
    if isinstance(outcome, FormatError):
        assert outcome.path == name, str(outcome)
        assert outcome.line is None or outcome.line <= len(lines), str(outcome)
    else:
        assert not isinstance(outcome, GutBalanceError), str(outcome)
        _sane(outcome)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(VALID)), st.integers(0, len(BAD_NUMBERS) - 1), st.booleans())
def test_a_headerless_first_row_without_a_number_is_named_sniffed_or_forced(fmt, which, forced):
    """ganon, MG-TK and protal files have no header: a first row whose number
    is none was "not a recognised profile format", a generic table's header,
    or (forced) "does not look like ..."; now its line and field are named."""
    name, text, first, numeric = VALID[fmt]
    lines = text.splitlines(keepends=True)
    field, column = sorted(numeric.items())[-1]
    fields = lines[first - 1].rstrip("\n").split("\t")
    fields[column] = BAD_NUMBERS[which]
    lines[first - 1] = "\t".join(fields) + "\n"
    with pytest.raises(FormatError) as caught:
        _read("".join(lines), fmt if forced else None, name)
    assert (caught.value.path, caught.value.line, caught.value.field) == (name, first, field), str(caught.value)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["ganon", "kaiju", "kmcp", "mg-tk", "protal"]), st.data())
def test_a_row_written_twice_is_refused_naming_both_lines(fmt, data):
    """ganon, kaiju2table and KMCP write each target, taxon or reference once,
    MG-TK each lineage and protal each genome: a row twice (a file pasted
    into itself) would count its share twice (MG-TK and protal summed it
    silently before 2026-11-27)."""
    name, text, first, _ = VALID[fmt]
    lines = text.splitlines(keepends=True)
    index = data.draw(st.integers(first - 1, len(lines) - 1), label="line index")
    at = data.draw(st.integers(index + 1, len(lines)), label="where the copy goes")
    lines.insert(at, lines[index])
    with pytest.raises(FormatError, match=rf"line {at + 1}.*twice \(first on line {index + 1}\)") as caught:
        _read("".join(lines), fmt, name)
    assert caught.value.path == name


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(VALID)), st.integers(0, 5000), st.integers(0, 40), st.text(max_size=20),
       st.sampled_from([None, "named"]))
def test_mutated_files_raise_only_our_errors(fmt, pos, cut, insert, forced):
    text = VALID[fmt][1]
    pos = min(pos, len(text))
    _attempt(text[:pos] + insert + text[pos + cut:], fmt if forced else None)


_NAME = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(_NAME, max_size=9), st.sampled_from([None, "domain", "phylum", "genus", "species", "strain"]),
       _NAME)
def test_path_lineage_of_any_names_is_a_lineage_or_nothing(path, rank, name):
    """Any path and name give taxa at standard ranks from the top down, the
    row's own taxon last when it has a rank, or ``()``, or our error (a
    name no rank can hold)."""
    with contextlib.suppress(GutBalanceError):
        lineage = path_lineage(path, rank, name)
        indices = [["domain", "phylum", "class", "order", "family", "genus", "species", "strain"].index(t.rank)
                   for t in lineage]
        assert indices == sorted(set(indices))
        if rank is not None and name.strip():
            assert lineage
            assert lineage[-1].rank == rank
