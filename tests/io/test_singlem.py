"""SingleM taxonomic profiles (io/formats/singlem.py).

The fixtures are typed here in the shape of the SingleM microbial-fraction
paper's human faecal profiles (EisenRa/SingleM_microbial_fraction_paper,
``data/pipe/real_data/humans/pipe/*_pipe_profile.tsv.gz``); no public file is
copied.  Before the reader, such a profile was refused as "line 3, field
'sample': feature 'S1' appears twice (also line 2)" and a SingleM OTU table as
"'S1' is not a number", neither naming SingleM.
"""

import contextlib
import math
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gutbalance
from gutbalance.errors import FormatError, GutBalanceError, GutBalanceWarning
from gutbalance.io import read_source
from gutbalance.io.feature_table import profiles_from_matrix
from gutbalance.io.source import Source
from gutbalance.reference.comparability import profiler_family
from gutbalance.taxonomy import parse_lineage
from tests.helpers import scored

_LACHNO = "Root; d__Bacteria; p__Bacillota_A; c__Clostridia; o__Lachnospirales; f__Lachnospiraceae"
_RUMINO = "Root; d__Bacteria; p__Bacillota_A; c__Clostridia; o__Oscillospirales; f__Ruminococcaceae"
_BACTERO = "Root; d__Bacteria; p__Bacteroidota; c__Bacteroidia; o__Bacteroidales; f__Bacteroidaceae"
#: (sample, unfilled coverage, lineage): SingleM's own rows, each excluding its descendants' coverage.
ROWS = [
    ("S1", 2.0, "Root"),
    ("S1", 3.0, "Root; d__Archaea"),
    ("S1", 5.0, "Root; d__Bacteria"),
    ("S1", 10.0, f"{_RUMINO}; g__Faecalibacterium"),
    ("S1", 30.0, f"{_RUMINO}; g__Faecalibacterium; s__Faecalibacterium prausnitzii_D"),
    ("S1", 20.0, f"{_LACHNO}; g__Agathobacter; s__Agathobacter rectalis"),
    ("S1", 30.0, f"{_BACTERO}; g__Phocaeicola; s__Phocaeicola vulgatus"),
    ("S2", 1.0, "Root; d__Bacteria"),
    ("S2", 9.0, f"{_BACTERO}; g__Bacteroides; s__Bacteroides uniformis"),
]


def _profile(rows=ROWS) -> str:
    return "sample\tcoverage\ttaxonomy\n" + "".join(f"{s}\t{c:g}\t{t}\n" for s, c, t in rows)


def _share(cohort: gutbalance.Cohort, sample: str, name: str) -> float:
    long = cohort.to_long()
    names = cohort.taxa.loc[long["taxon"], "name"].to_numpy()
    hit = long[(long["sample"] == sample) & (names == name)]
    return float(hit["abundance"].sum())


def test_shares_are_filled_coverage_over_the_sample_total(tmp_path):
    path = tmp_path / "two_runs_pipe_profile.tsv"
    path.write_text(_profile())
    cohort = gutbalance.read(path)
    assert list(cohort.sample_names) == ["S1", "S2"]
    assert cohort.samples.loc["S1", "source_format"] == "singlem"
    # S1 totals 100: each clade is its own row plus every row beneath it
    assert _share(cohort, "S1", "Faecalibacterium") == pytest.approx(0.40)
    assert _share(cohort, "S1", "Faecalibacterium prausnitzii") == pytest.approx(0.30)
    assert _share(cohort, "S1", "Bacteria") == pytest.approx(0.95)
    assert _share(cohort, "S1", "Archaea") == pytest.approx(0.03)
    assert cohort.samples.loc["S1", "unassigned"] == pytest.approx(0.02)  # the Root row
    # S2 totals 10, and its rows do not move S1's
    assert _share(cohort, "S2", "Bacteroides uniformis") == pytest.approx(0.9)
    assert cohort.samples.loc["S2", "unassigned"] == 0


def test_a_small_profile_that_looks_nested_is_still_read_as_unfilled_coverage(tmp_path):
    # The domain row (3) exceeds the only row beneath it (1): numbers a MetaPhlAn-like
    # table would have.  SingleM's coverage is unfilled whatever the numbers, so the
    # phylum is 1 of 4, not 1 of 3.
    path = tmp_path / "shallow.tsv"
    path.write_text(_profile([("S1", 3.0, "Root; d__Bacteria"), ("S1", 1.0, "Root; d__Bacteria; p__Bacillota_A")]))
    cohort = gutbalance.read(path)
    assert _share(cohort, "S1", "Bacillota") == pytest.approx(0.25)
    assert _share(cohort, "S1", "Bacteria") == pytest.approx(1.0)


def test_profiles_from_matrix_exclusive_overrides_the_nesting_guess(tmp_path):
    lineages = [parse_lineage("d__Bacteria"), parse_lineage("d__Bacteria;p__Bacillota")]
    values = [[0.75], [0.25]]
    guessed = profiles_from_matrix(lineages, values, ["S1"], path=tmp_path / "t.tsv", source_format="table",
                                   kind="fraction")
    told = profiles_from_matrix(lineages, values, ["S1"], path=tmp_path / "t.tsv", source_format="table",
                                kind="fraction", exclusive=True)
    assert dict(zip([lin[-1].name for lin in guessed[0].lineages], guessed[0].abundance, strict=True)) == {
        "Bacteria": 0.75, "Bacillota": 0.25}
    assert dict(zip([lin[-1].name for lin in told[0].lineages], told[0].abundance, strict=True)) == {
        "Bacteria": 1.0, "Bacillota": 0.25}


def test_coverage_is_not_counted_as_reads(tmp_path):
    path = tmp_path / "p.tsv"
    path.write_text(_profile())
    table = scored(gutbalance.read(path))
    assert math.isnan(table.loc["S1", "chao1"])
    assert table.loc["S1", "richness"] == 3
    assert "this sample is SingleM" in table.loc["S1", "warnings"]
    assert profiler_family("singlem", "singlem") == "SingleM"


def test_a_row_written_twice_is_refused_naming_both_lines(tmp_path):
    path = tmp_path / "p.tsv"
    path.write_text(_profile([*ROWS, ("S1", 4.0, f"{_LACHNO}; g__Agathobacter; s__Agathobacter rectalis")]))
    with pytest.raises(FormatError, match=r"line 11.*'taxonomy'.*twice \(first on line 7\)"):
        gutbalance.read(path)


def test_a_lineage_not_from_root_and_a_bad_coverage_name_line_and_field(tmp_path):
    path = tmp_path / "p.tsv"
    path.write_text(_profile([("S1", 1.0, "d__Bacteria; p__Bacillota")]))
    with pytest.raises(FormatError, match=r"line 2, field 'taxonomy'.*does not start at Root"):
        gutbalance.read(path)
    path.write_text("sample\tcoverage\ttaxonomy\nS1\tNA\tRoot; d__Bacteria\n")
    with pytest.raises(FormatError, match=r"line 2, field 'coverage': 'NA' is not a number"):
        gutbalance.read(path)
    path.write_text("sample\tcoverage\ttaxonomy\nS1\t0\tRoot; d__Bacteria\n")
    with pytest.raises(FormatError, match=r"'S1' has no coverage"):
        gutbalance.read(path)


def test_an_otu_table_is_refused_naming_the_profile_to_give(tmp_path):
    path = tmp_path / "S1_pipe.tsv"
    path.write_text("gene\tsample\tsequence\tnum_hits\tcoverage\ttaxonomy\n"
                    f"S3.1.ribosomal_protein_L2_rplB\tS1\tGAGCTTTATCCC\t31\t50.88\t{_LACHNO}\n")
    with pytest.raises(FormatError, match=r"line 1.*SingleM OTU table.*not a taxonomic profile: give the profile `singlem pipe -p` wrote"):
        gutbalance.read(path)


@pytest.mark.parametrize(("header", "row"), [
    ("sample\tbacterial_archaeal_bases\tmetagenome_size\tread_fraction\twarning", "S1\t4934091565\t5132358298\t96.14%\t"),
    ("sample\ttaxonomy\tbase_contribution", "S1\td__Bacteria\t9110572.98"),
])
def test_microbial_fraction_tables_are_refused_saying_what_they_are(tmp_path, header, row):
    path = tmp_path / "S1_read_fraction.tsv"
    path.write_text(f"{header}\n{row}\n")
    with pytest.raises(FormatError, match=r"line 1.*SingleM's microbial fraction.*not a taxonomic profile"):
        gutbalance.read(path)


def _attempt(data: bytes, fmt) -> None:
    # A mutated profile may be read (with our own warnings) or refused with
    # our own error; anything else (an IndexError, a ValueError) fails.
    with contextlib.suppress(GutBalanceError), warnings.catch_warnings():
        warnings.simplefilter("ignore", GutBalanceWarning)
        read_source(Source(Path("fuzz_profile.tsv"), data), format=fmt)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2000), st.integers(0, 40), st.text(max_size=20), st.sampled_from([None, "singlem"]))
def test_mutated_profiles_raise_only_our_errors(pos, cut, insert, fmt):
    text = _profile()
    pos = min(pos, len(text))
    _attempt((text[:pos] + insert + text[pos + cut:]).encode("utf-8", "surrogatepass"), fmt)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_read_as_singlem_raise_only_our_errors(data):
    _attempt(b"sample\tcoverage\ttaxonomy\n" + data, "singlem")
