"""Scores do not depend on the format a profile arrives in."""

import numpy as np
import pytest

import gutbalance
from tests.helpers import SMALL_COMMUNITY, with_reads, write_metaphlan

COLUMNS = ["immune_support", "training", "homeostasis", "nutrients", "barrier", "defense", "gmhi", "gmwi2",
           "shannon", "simpson", "richness", "evenness", "coverage", "dysbiosis"]


@pytest.mark.parametrize("suffix", [".biom", ".json", ".csv", ".qza", ".kreport", ".profile", ".tsv"])
@pytest.mark.filterwarnings("ignore:.*have no NCBI taxid:gutbalance.errors.GutBalanceWarning")  # written as 0, said
def test_same_scores_whatever_the_format(tmp_path, suffix):
    src = write_metaphlan(tmp_path / "S1_metaphlan.txt", SMALL_COMMUNITY, unknown=20.0)
    original = gutbalance.read(src)
    # A Kraken report holds reads counted: written from the profile as if its reads had been.
    out = gutbalance.write(with_reads(original) if suffix == ".kreport" else original, tmp_path / f"S1{suffix}")
    converted = gutbalance.read(out)
    a = gutbalance.score(original)[COLUMNS]
    b = gutbalance.score(converted)[COLUMNS]
    np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), rtol=0, atol=1e-9, err_msg=suffix)
