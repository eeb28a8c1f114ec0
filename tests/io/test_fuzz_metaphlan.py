"""Fuzzing: whatever bytes arrive, the MetaPhlAn readers raise only our errors; a
clade made to outgrow its parent is warned about on both read paths."""

import contextlib
import tempfile
import warnings
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from gutbalance.errors import GutBalanceError, GutBalanceWarning
from gutbalance.io import read_source
from gutbalance.io.source import Source
from tests.helpers import SMALL_COMMUNITY, metaphlan_text
from tests.io.test_metaphlan_batch import _both

VALID = metaphlan_text(SMALL_COMMUNITY, unknown=20.0)


def _attempt(data: bytes, fmt):
    # our warnings are a fine outcome too (a cut profile read as a table of whole percentages)
    with contextlib.suppress(GutBalanceError), warnings.catch_warnings():
        warnings.simplefilter("ignore", GutBalanceWarning)
        read_source(Source(Path("fuzz.txt"), data), format=fmt)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from([None, "metaphlan", "metaphlan-merged"]))
def test_random_bytes(data, fmt):
    _attempt(data, fmt)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(VALID)), st.integers(0, 40), st.text(max_size=20), st.sampled_from([None, "metaphlan"]))
def test_mutated_profiles(pos, cut, insert, fmt):
    text = VALID[:pos] + insert + VALID[pos + cut :]
    _attempt(text.encode("utf-8", "surrogatepass"), fmt)


def _inconsistent(text: str) -> bool:
    """Independently of gutbalance: does a row exceed its parent row, or do
    the rows under one clade add up to more than it, by over 0.01 point?"""
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and line.startswith("k__"):
            clade, _, value, _ = line.split("\t")
            values[clade] = float(value)
    sums: dict[str, float] = {}
    for clade, value in values.items():
        parent = clade.rpartition("|")[0]
        if parent in values:
            if value > values[parent] + 0.01:
                return True
            sums[parent] = sums.get(parent, 0.0) + value
    return any(total > values[parent] + 0.01 for parent, total in sums.items())


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_rescaled_rows_warn_exactly_when_a_clade_outgrows_its_parent(data):
    """Any row of a valid profile multiplied by any factor: both read paths
    warn about clade nesting (the same words) exactly when the profile breaks
    it, as an independent sum over the text tells."""
    lines = VALID.splitlines()
    rows = [i for i, line in enumerate(lines) if line.startswith("k__")]
    for i in data.draw(st.lists(st.sampled_from(rows), min_size=1, max_size=3, unique=True), label="rows"):
        clade, taxid, value, extra = lines[i].split("\t")
        factor = data.draw(st.sampled_from([0.0, 0.5, 0.9999, 1.0, 1.00001, 1.001, 1.5, 3.0]), label="factor")
        lines[i] = "\t".join([clade, taxid, repr(float(value) * factor), extra])
    text = "\n".join(lines) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "S1_profile.txt"
        path.write_text(text)
        fast, slow = _both([path])
    assert [p.message for p in fast.problems] == [p.message for p in slow.problems]
    nesting = [p.message for p in fast.problems if "holds its children" in p.message]
    assert bool(nesting) == _inconsistent(text), (nesting, text)
