"""A MetaPhlAn profile cut at a line boundary (gutbalance/clade_nesting.py,
``lost_rows_warnings``): MetaPhlAn writes rank after rank, so a cut loses the
deepest rows, and the total over the top clades stays 100 %.  The sample is
warned about on the batch fast path and the per-file path alike, and still
scored; a whole profile, and a table that stops at genera by design, are not."""

from __future__ import annotations

import pytest

from gutbalance.io.formats import metaphlan
from gutbalance.io.limits import default_limits
from tests.helpers import metaphlan_text, read_warnings
from tests.io.test_metaphlan_batch import SPECIES, _both, _equal

COMMUNITY = {SPECIES[0]: 30.0, SPECIES[1]: 20.0, SPECIES[2]: 15.0, SPECIES[3]: 12.0, SPECIES[7]: 10.0,
             SPECIES[8]: 8.0, SPECIES[9]: 5.0}


def _lost(result) -> list[str]:
    return [p.message for p in result.problems if "row beneath it" in p.message]


def _cut(text: str, drop: int) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(lines[:-drop])


def test_a_profile_cut_between_its_species_rows_is_warned_on_both_paths(tmp_path):
    # The rows are written rank after rank, the largest first: dropping the
    # last three loses the species of Bifidobacterium, Escherichia and Methanobrevibacter.
    path = tmp_path / "cut.txt"
    path.write_text(_cut(metaphlan_text(COMMUNITY), 3))
    assert metaphlan.scan([path], default_limits()).files[0] is not None  # the fast path takes it
    fast, slow = _both([path])
    _equal(fast, slow)
    expected = ("sample 'cut': 23.00 % of the bacterial and archaeal abundance has no species row beneath it: "
                "g__Bifidobacterium (10 %) and 2 more clades with no row beneath. This format writes every clade "
                "down to the species, so rows look lost (a file cut short?); it is scored as written, and scores "
                "that read the species miss that share")
    assert _lost(fast) == [expected]
    assert fast.cohort is not None
    assert fast.cohort.n_samples == 1
    assert read_warnings(path) == [f"{path}: {expected}"]


def test_a_profile_cut_between_its_genus_rows_names_the_genus(tmp_path):
    text = metaphlan_text(COMMUNITY)
    lines = text.splitlines(keepends=True)
    first_species = next(i for i, line in enumerate(lines) if "|s__" in line)
    path = tmp_path / "cut.txt"
    path.write_text("".join(lines[: first_species - 2]))  # the two smallest genera lost, and every species
    fast, slow = _both([path])
    _equal(fast, slow)
    (message,) = _lost(fast)
    # A MetaPhlAn profile always reaches the species: one that stops above them is cut, whatever rank it reached.
    assert "100.00 % of the bacterial and archaeal abundance has no species row beneath it" in message
    assert "g__Bacteroides (35 %) and" in message  # the largest clade left without its species


def test_a_whole_profile_and_a_genus_table_are_not_warned(tmp_path):
    whole = tmp_path / "whole.txt"
    whole.write_text(metaphlan_text(COMMUNITY))
    # A genus table in MetaPhlAn's layout, no database line: it stops at genera by design.
    genera = tmp_path / "genera.txt"
    genera.write_text("".join(line for line in metaphlan_text(COMMUNITY).splitlines(keepends=True)
                              if "|s__" not in line and not line.startswith("#mpa")))
    # A cut that loses only rounding-sized rows stays quiet (0.05 % < 0.1 %).
    small = tmp_path / "small.txt"
    small.write_text(_cut(metaphlan_text({**COMMUNITY, SPECIES[4]: 0.05}), 1))
    fast, slow = _both([whole, genera, small])
    _equal(fast, slow)
    assert _lost(fast) == []


def test_a_merged_table_that_lost_a_phylum_is_warned(tmp_path):
    # merge_metaphlan_tables writes clades in name order, so a cut loses whole subtrees.
    text = metaphlan_text(COMMUNITY)
    rows = [line.split("\t") for line in text.splitlines() if line.startswith("k__")]
    kept = sorted((r[0], r[2]) for r in rows if "p__Proteobacteria" not in r[0])
    path = tmp_path / "merged.tsv"
    path.write_text("clade_name\tA\tB\n" + "".join(f"{c}\t{v}\t{v}\n" for c, v in kept))
    lost = [m for m in read_warnings(path) if "row beneath it" in m]
    assert len(lost) == 2
    assert "8.00 % of the bacterial and archaeal abundance has no species row beneath it: its species rows add up " \
           "to 92 % where its top clades hold 100 %" in lost[0]


def test_real_profiles_are_not_warned_and_a_real_profile_cut_short_is(shared_data, tmp_path):
    folder = shared_data / "profiles" / "prebiotics_metaphlan3"
    paths = sorted(folder.glob("*.txt"))
    if not paths:
        pytest.skip(f"no MetaPhlAn 3 profiles in {folder}")
    fast, slow = _both(paths)
    _equal(fast, slow)
    assert _lost(fast) == []
    lines = paths[0].read_text().splitlines(keepends=True)
    cut = tmp_path / "cut.txt"
    cut.write_text("".join(lines[:200]))
    fast, slow = _both([cut])
    _equal(fast, slow)
    assert len(_lost(fast)) == 1
