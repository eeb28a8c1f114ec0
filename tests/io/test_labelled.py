"""The labelled sets in ../shared/data/labelled read exactly as shipped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import gutbalance
from gutbalance.taxonomy import lineage_string
from gutbalance.taxonomy.placement import table_lineage

LABELLED = [
    ("franzosa2019_ibd/species.tsv", "\t"),
    ("ihmp_ibdmdb2019/species.tsv", "\t"),
    ("metaml_pasolli2016/abundance.csv", ","),
]


@pytest.mark.parametrize(("name", "sep"), LABELLED)
def test_labelled_set_reads_every_sample(shared_data, name, sep):
    path = shared_data / "labelled" / name
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    expected = pd.read_csv(path, sep=sep, index_col=0)
    cohort = gutbalance.read(path)
    assert cohort.sample_names == [str(s) for s in expected.index]
    # Abundance of every species column is found again under its sample.
    species, taxa = cohort.rank_matrix("species")
    assert species.shape[0] == len(expected)
    read_total = np.asarray(species.sum(axis=1)).ravel()
    species_columns = [c for c in expected.columns if c.rsplit("|", 1)[-1].startswith("s__")]
    shipped_total = expected[species_columns].sum(axis=1).to_numpy()
    # Fractions of 1 as shipped; read the same whether as fractions or percent.
    scale = 100.0 if shipped_total.max() > 1.5 else 1.0
    np.testing.assert_allclose(read_total, shipped_total / scale, atol=1e-6)


def test_empty_rank_lineage_keeps_its_species(shared_data):
    path = shared_data / "labelled" / "franzosa2019_ibd" / "species.tsv"
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    cohort = gutbalance.read(path)
    # "o__Clostridiales|__|__|s__…" reads, and the species takes its lineage
    # from the bundled table (MetaPhlAn 3's), not a genus guessed from its name.
    lineage = cohort.taxa.loc["s__Clostridiales bacterium 1 7 47FAA", "lineage"]
    assert lineage == lineage_string(table_lineage("s__Clostridiales bacterium 1 7 47FAA"))
    assert "g__Clostridiales|" not in lineage
    expected = pd.read_csv(path, sep="\t", index_col=0)
    column = next(c for c in expected.columns if c.endswith("s__Clostridiales_bacterium_1_7_47FAA"))
    got = cohort.at_rank("species")["s__Clostridiales bacterium 1 7 47FAA"]
    np.testing.assert_allclose(got.to_numpy(), expected[column].to_numpy(), atol=1e-12)


def test_labelled_sets_score_every_sample(shared_data):
    path = shared_data / "labelled" / "franzosa2019_ibd" / "species.tsv"
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    scores = gutbalance.score(gutbalance.read(path))
    assert len(scores) == 220
    assert scores["immune_support"].notna().all()
