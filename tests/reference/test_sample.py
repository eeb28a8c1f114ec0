"""What one sample's page shows that has to be computed (reference/sample.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import gutbalance
from gutbalance.reference import load_reference
from gutbalance.reference.core import Distribution
from gutbalance.reference.sample import composition, sample_statistics, score_position
from tests.helpers import make_cohort

PROFILES = {
    "a": {
        "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Ruminococcaceae|g__Faecalibacterium|s__Faecalibacterium_prausnitzii": 50.0,
        "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|s__Bacteroides_fragilis": 30.0,
        "k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae|g__Escherichia|s__Escherichia_coli": 20.0,
    },
    "b": {
        "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|s__Bacteroides_fragilis": 100.0,
    },
}


def test_summary_is_computed_once_and_matches_numpy():
    values = np.random.default_rng(1).normal(size=200)
    dist = Distribution.from_values(values)
    assert dist.summary is dist.summary  # cached on the distribution
    assert dist.summary["p25"] == pytest.approx(np.quantile(values, 0.25))
    assert dist.summary["p95"] == pytest.approx(np.quantile(values, 0.95))


def test_composition_shares_of_the_whole_sample():
    cohort = make_cohort(PROFILES)
    comp = composition(cohort, "a")
    assert comp is not None
    shares = dict(comp.phyla)
    # phyla under their current names (the lineage table renames Firmicutes and Bacteroidetes)
    assert shares == pytest.approx({"Bacillota": 0.5, "Bacteroidota": 0.3, "Pseudomonadota": 0.2})
    assert sum(shares.values()) == pytest.approx(1.0)
    assert [name for name, _ in comp.genera] == ["Faecalibacterium", "Bacteroides", "Escherichia"]
    assert comp.n_species == 3
    assert composition(cohort, "no such sample") is None
    # one sample's composition depends on that sample alone
    alone = composition(make_cohort({"a": PROFILES["a"]}), "a")
    assert alone == comp


def test_positions_are_the_reference_percentiles():
    cohort = make_cohort(PROFILES)
    scores = gutbalance.score(cohort)
    reference = load_reference()
    keys = [k for k in ("shannon", "immune_support") if k in scores.columns]
    stats = sample_statistics("a", scores, keys=keys, cohort=cohort, reference=reference)
    assert [p.key for p in stats.positions] == keys
    expected = stats.reference.percentiles(scores.loc[["a"], keys]) if stats.reference else pd.DataFrame()
    for position in stats.positions:
        column = f"{position.key}_percentile"
        if stats.not_comparable or column not in expected.columns or not math.isfinite(position.value):
            assert position.percentile is None
        else:
            assert position.percentile == pytest.approx(expected.at["a", column])
    assert stats.composition is not None


def test_without_reference_or_value_no_percentile():
    position = score_position("shannon", float("nan"), load_reference())
    assert position.has_reference
    assert position.percentile is None
    assert position.reference is not None
    assert score_position("shannon", 2.0, None).percentile is None
    withheld = score_position("shannon", 2.0, load_reference(), comparable=False)
    assert withheld.percentile is None
    assert withheld.has_reference


def test_a_fixed_diversity_rank_withholds_only_the_diversity_percentiles_with_or_without_the_profiles():
    # A MetaPhlAn species profile scored with --diversity-rank genus: its page places
    # every score but diversity against the species-level MetaPhlAn population, whether
    # the profiles are at hand or only the saved table (gutbalance report without cohort.h5ad:
    # the profiler is then read back from the saved percentiles, saved_profilers).
    from gutbalance.reference.comparability import PROFILER_COLUMN, saved_profilers
    from gutbalance.reference.statistics import cohort_statistics
    from gutbalance.scores import DIVERSITY_COLUMNS
    from tests.helpers import SMALL_COMMUNITY

    cohort = make_cohort({"a": SMALL_COMMUNITY})
    cohort.samples["source_format"] = ["metaphlan"]
    reference = load_reference()
    default, genus = gutbalance.score(cohort), gutbalance.score(cohort, diversity_rank="genus")
    for table in (default, genus):
        saved = gutbalance.reference.with_percentiles(table, cohort)
        table[PROFILER_COLUMN] = saved_profilers(saved, shipped=reference)
        assert table[PROFILER_COLUMN].tolist() == ["MetaPhlAn"]
    keys = ["immune_support", "training", "gmhi", "gmwi2", "shannon", "richness"]
    for profiles in (cohort, None):
        auto = sample_statistics("a", default, keys=keys, cohort=profiles, reference=reference)
        stats = sample_statistics("a", genus, keys=keys, cohort=profiles, reference=reference)
        assert stats.not_comparable == ""
        assert stats.diversity_not_comparable.startswith(
            "diversity at genus rank; the healthy population's diversity is at species rank")
        for mine, theirs in zip(stats.positions, auto.positions, strict=True):
            if mine.key in DIVERSITY_COLUMNS:
                assert mine.percentile is None, mine.key
                assert mine.reference is None, mine.key
            else:
                assert mine.percentile == theirs.percentile, mine.key
                assert theirs.percentile is not None, mine.key
    assert auto.diversity_not_comparable == ""
    # the cohort page: the same, from the profiles' table or from none
    for meta in (cohort.samples, None):
        pct = cohort_statistics(genus, keys=keys, metadata=meta, reference=reference).percentiles
        ref = cohort_statistics(default, keys=keys, metadata=meta, reference=reference).percentiles
        assert pct[["shannon_percentile", "richness_percentile"]].isna().all().all()
        others = ["immune_support_percentile", "training_percentile", "gmhi_percentile", "gmwi2_percentile"]
        pd.testing.assert_frame_equal(pct[others], ref[others])
        assert ref[others].notna().all().all()
