"""``kb_reach``: the share of a sample the immune-support scores rest on, a column of the scores table.

It is :attr:`gutbalance.pillars.PillarResult.reach` (the bacterial and
archaeal abundance with a trait some pillar reads, known for the taxon
itself or its genus or family), written beside ``coverage`` as a fraction
(0-1, as ``coverage``, ``placed`` and the confidences are), in
``scores.tsv``, ``scores.parquet`` and each sample's ``scores.json`` entry;
missing with the reason where the sample has nothing bacterial or archaeal.
The expected shares are counted by hand from communities whose parts the
knowledge base either names or cannot (Cloacimonas, a digester's genus no
trait names; an order no row describes).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import gutbalance
from gutbalance.pillars import EMPTY_REASON, PILLARS, pillar_scores
from gutbalance.pipeline import run
from gutbalance.scores import parse_missing, score, score_with_contributions
from gutbalance.scores_table import LEAD_COLUMNS, REACH_COLUMN, read_scores
from tests.helpers import SMALL_COMMUNITY, make_cohort, write_metaphlan
from tests.pillars.test_reach_floor import FAMILIES, _digester

_NOWHERE = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Unnamedales|f__Unnamedaceae|g__Unnamedus|s__Unnamedus_novus"
_PRAUSNITZII = ("k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Ruminococcaceae|g__Faecalibacterium|"
                "s__Faecalibacterium_prausnitzii")
_PHAGE = {"k__Viruses|p__Viruses_unclassified|c__Viruses_unclassified|o__Caudovirales|f__Siphoviridae": 100.0}


def test_the_column_is_the_share_the_knowledge_base_reaches_counted_by_hand():
    table = score(make_cohort({
        "digester40": _digester(40.0),  # 40 % B. vulgatus, 60 % Cloacimonas
        "digester1": _digester(1.0),  # below the floor: pillars missing, the reach still a number
        "families": FAMILIES,  # every family has rows: all of it, while coverage (species, genus) reads 0
        "half_unknown": {_PRAUSNITZII: 25.0, _NOWHERE: 75.0},
    }))
    assert REACH_COLUMN == "kb_reach"
    assert list(table.columns[: len(LEAD_COLUMNS)]) == LEAD_COLUMNS
    assert list(table.columns).index("kb_reach") == list(table.columns).index("coverage") + 1
    assert table["kb_reach"].to_dict() == pytest.approx(
        {"digester40": 0.40, "digester1": 0.01, "families": 1.0, "half_unknown": 0.25}, abs=1e-12)
    assert table.loc["families", "coverage"] == 0.0
    assert np.isnan(table.loc["digester1", "training"])
    assert "kb_reach" not in parse_missing(table.loc["digester1", "missing"])


def test_it_is_the_pillars_own_reach_from_the_same_pass():
    cohort = make_cohort({"stool": SMALL_COMMUNITY, "digester": _digester(10.0)})
    table = score(cohort)
    result = pillar_scores(cohort, contributions=False)
    np.testing.assert_array_equal(table["kb_reach"].to_numpy(), np.minimum(result.reach.to_numpy(), 1.0))


def test_a_sample_with_nothing_bacterial_has_it_missing_with_the_reason():
    table, explained = score_with_contributions(make_cohort({"phage": _PHAGE, "stool": SMALL_COMMUNITY}))
    assert np.isnan(table.loc["phage", "kb_reach"])
    assert parse_missing(table.loc["phage", "missing"])["kb_reach"] == EMPTY_REASON
    assert explained["phage"]["kb_reach"] is None
    assert 0.0 < table.loc["stool", "kb_reach"] <= 1.0
    assert "kb_reach" not in parse_missing(table.loc["stool", "missing"])


def test_a_row_depends_on_its_sample_alone():
    alone = score(make_cohort({"digester": _digester(40.0)}))
    batch = score(make_cohort({"stool": SMALL_COMMUNITY, "digester": _digester(40.0), "phage": _PHAGE}))
    assert alone.loc["digester", "kb_reach"] == batch.loc["digester", "kb_reach"]


def test_analyze_writes_it_to_the_tsv_the_parquet_and_the_json(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_metaphlan(inputs / "stool.txt", SMALL_COMMUNITY)
    write_metaphlan(inputs / "digester.txt", _digester(40.0))
    out = tmp_path / "out"
    run([inputs], out, jobs=1, progress=False)
    tsv = read_scores(out / "scores.tsv")
    assert tsv.loc["digester", "kb_reach"] == pytest.approx(0.40, abs=1e-12)
    header = (out / "scores.tsv").read_text(encoding="utf-8").splitlines()[0].split("\t")
    assert header[header.index("coverage") + 1] == "kb_reach"
    parquet = pq.read_table(out / "scores.parquet").to_pandas()
    pd.testing.assert_series_equal(parquet["kb_reach"], tsv["kb_reach"], check_index=False, check_names=False)
    entries = json.loads((out / "scores.json").read_text(encoding="utf-8"))["samples"]
    assert {name: entry["kb_reach"] for name, entry in entries.items()} == tsv["kb_reach"].to_dict()


def test_a_cohort_saved_as_h5ad_gives_the_same_column_back(tmp_path):
    cohort = make_cohort({"stool": SMALL_COMMUNITY, "digester": _digester(40.0), "phage": _PHAGE})
    path = tmp_path / "cohort.h5ad"
    gutbalance.write(cohort, path)
    pd.testing.assert_series_equal(score(gutbalance.read_h5ad(path))["kb_reach"], score(cohort)["kb_reach"])


@pytest.mark.shared
def test_shares_are_at_most_one_on_a_real_biom_table(shared_data):
    # fault: a sum over a normalised row exceeded 1 by an ulp (BIOM sample CD_4: coverage 1.0000000000000002)
    table = score(gutbalance.read(shared_data / "formats" / "qiime2" / "full_taxonomy_mock_feature_table.biom"))
    shares = table[["coverage", "kb_reach", *(f"{p}_confidence" for p in PILLARS)]]
    assert (shares.max() <= 1.0).all(), shares.max()
