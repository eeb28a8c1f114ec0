"""Pillars the knowledge base cannot describe: below ``min_coverage`` they are missing, with the reason."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest

import gutbalance
from gutbalance.indices.sample_type import stool_like, thresholds
from gutbalance.pillars import PILLARS, coverage_floor, pillar_scores
from gutbalance.scores import score_with_contributions
from tests.helpers import SMALL_COMMUNITY, make_cohort

OUTSIDE = Path(os.environ.get("GUTBALANCE_OUTSIDE_DATA") or "/work/outside-data")
ERR7569997 = OUTSIDE / "taxpasta" / "tests" / "data" / "metaphlan" / "ERR7569997.txt"

_CLOACIMONAS = ("k__Bacteria|p__Candidatus_Cloacimonetes|c__Candidatus_Cloacimonetes_unclassified|"
                "o__Candidatus_Cloacimonetes_unclassified|f__Candidatus_Cloacimonadaceae|g__Candidatus_Cloacimonas")
_VULGATUS = ("k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|"
             "s__Bacteroides_vulgatus")


def _digester(known: float) -> dict[str, float]:
    """An anaerobic digester's community (Cloacimonas, which no trait names) with ``known`` % of a gut species."""
    return {f"{_CLOACIMONAS}|s__Candidatus_Cloacimonas_acidaminovorans": 100.0 - known, _VULGATUS: known}


def test_the_floor_comes_from_the_cited_table():
    assert coverage_floor() == thresholds()["min_coverage"] == 0.03


def test_below_the_floor_the_pillars_are_missing_and_the_rest_stays():
    cohort = make_cohort({"scant": _digester(1.0), "enough": _digester(10.0), "stool": SMALL_COMMUNITY})
    scores = pillar_scores(cohort).scores
    assert scores.loc["scant", "coverage"] == pytest.approx(0.01)
    assert scores.loc[["scant"], ["immune_support", *PILLARS]].isna().all(axis=None)
    # Confidences and coverage still describe the sample.
    assert scores.loc["scant", [f"{p}_confidence" for p in PILLARS]].notna().all()
    assert scores.loc[["enough", "stool"], ["immune_support", *PILLARS]].notna().all(axis=None)


def test_a_sample_alone_or_in_a_batch_gets_the_same_missing_row():
    alone = gutbalance.score(make_cohort({"scant": _digester(1.0)}))
    batch = gutbalance.score(make_cohort({"scant": _digester(1.0), "stool": SMALL_COMMUNITY}))
    assert alone.loc["scant", "missing"] == batch.loc["scant", "missing"]
    assert "training: the knowledge base knows traits of only 1.00% of the abundance (less than 3%" \
        in alone.loc["scant", "missing"]
    assert "immune_support: the knowledge base knows traits" in alone.loc["scant", "missing"]
    assert "training:" not in batch.loc["stool", "missing"]


def test_a_missing_pillar_lists_no_taxa():
    _, explained = score_with_contributions(make_cohort({"scant": _digester(1.0),
                                                         "stool": SMALL_COMMUNITY}))
    assert all(explained["scant"][key] == [] for key in ["immune_support", *PILLARS])
    assert explained["stool"]["training"]


def test_taxpastas_metaphlan4_err7569997_is_neither_stool_nor_scored():
    if not ERR7569997.is_file():
        pytest.skip(f"{ERR7569997} absent (docs/tried-on-public-data.md says how to fetch it)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
        cohort = gutbalance.read([ERR7569997])
    scores = gutbalance.score(cohort)
    row = scores.iloc[0]
    assert row["coverage"] < 0.003  # 0.23 %: mostly Cloacimonas and unnamed species
    assert np.isnan(row[["immune_support", *PILLARS]].to_numpy(dtype=float)).all()
    assert "the knowledge base knows traits of only 0.23%" in row["missing"]
    assert row["stool_like"] == False  # noqa: E712 - a nullable boolean
    assert "does not look like stool" in stool_like(cohort).iloc[0]["stool_warning"]


@pytest.mark.shared
def test_the_floor_is_a_tenth_of_the_least_coverage_of_real_stool(shared_data):
    path = shared_data / "labelled" / "ihmp_ibdmdb2019" / "species.tsv"
    if not path.is_file():
        pytest.skip(f"{path} absent")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
        cohort = gutbalance.read([path])
    coverage = pillar_scores(cohort, contributions=False).scores["coverage"]
    assert coverage.min() == pytest.approx(0.3815, abs=1e-4)  # HSM7J4QJ, the least of ../shared/data
    assert coverage_floor() == np.floor(coverage.min() / 10 * 100) / 100
