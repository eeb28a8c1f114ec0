"""``gutbalance kb`` commands, and the coverage target on the real profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from click.testing import CliRunner

import gutbalance
from gutbalance.cli import main
from gutbalance.knowledge import cohort_coverage, coverage_matrix
from tests.helpers import write_metaphlan


def test_kb_show_and_sources():
    runner = CliRunner()
    result = runner.invoke(main, ["kb", "show", "Eubacterium_rectale"])
    assert result.exit_code == 0, result.output
    assert "Agathobacter rectalis" in result.output
    assert "butyrate_producer" in result.output
    # One word is a genus: "Blautia" answers with the genus's traits, not "no traits known".
    result = runner.invoke(main, ["kb", "show", "Blautia"])
    assert result.exit_code == 0, result.output
    # A bare name is placed by the lineage table, as in a profile: its family shows.
    first = result.output.splitlines()[0]
    assert first.startswith("lineage: ")
    assert first.endswith("family Lachnospiraceae; genus Blautia")
    assert "from genus Blautia" in result.output
    result = runner.invoke(main, ["kb", "sources"])
    assert result.exit_code == 0
    assert "doi:10.3389/fgene.2015.00148" in result.output
    result = runner.invoke(main, ["kb", "show", "unclassified"])
    assert result.exit_code == 2
    assert "placeholder" in result.output


def test_kb_coverage_writes_tsv(tmp_path):
    profile = write_metaphlan(tmp_path / "p.txt")
    out = tmp_path / "coverage.tsv"
    result = CliRunner().invoke(main, ["kb", "coverage", str(profile), "-o", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, sep="\t", index_col=0)
    assert {"annotated", "training", "homeostasis", "nutrients", "barrier", "defense"} <= set(table.columns)
    assert table["annotated"].iloc[0] > 0.9
    assert "median annotated share" in result.output


@pytest.mark.shared
@pytest.mark.parametrize("dataset", ["kefir_metaphlan3", "prebiotics_metaphlan3"])
def test_median_coverage_on_real_profiles(shared_data, dataset):
    cohort = gutbalance.read(shared_data / "profiles" / dataset)
    cov = cohort_coverage(cohort)
    assert cov["annotated"].median() >= 0.90


@pytest.mark.shared
def test_median_coverage_on_gmhi_table(shared_data):
    table = pd.read_csv(shared_data / "gmhi" / "species_relative_abundances.csv", index_col=0, encoding="utf-8-sig")
    table = table[~table.index.str.contains("unclassified|virus", case=False)]
    taxa = pd.DataFrame({"rank": "species"}, index=[s.removeprefix("s__") for s in table.index])
    cov = coverage_matrix(sp.csr_matrix(table.T.to_numpy()), taxa)
    assert np.median(cov["annotated"]) >= 0.90
