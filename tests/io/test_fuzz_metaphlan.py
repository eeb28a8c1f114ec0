"""Fuzzing: whatever bytes arrive, the MetaPhlAn readers raise only our errors."""

import contextlib
import warnings
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from gutbalance.errors import GutBalanceError, GutBalanceWarning
from gutbalance.io import read_source
from gutbalance.io.source import Source
from tests.helpers import SMALL_COMMUNITY, metaphlan_text

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
