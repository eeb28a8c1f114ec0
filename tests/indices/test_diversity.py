"""Every diversity index against scikit-bio, on real profiles and random data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from skbio.diversity import alpha_diversity as skbio_alpha

import gutbalance
from gutbalance.indices.diversity import alpha_diversity, chao1, species_matrix
from gutbalance.taxonomy import parse_lineage

SKBIO_METRIC = {
    "richness": "observed_features",
    "shannon": "shannon",
    "simpson": "simpson",
    "inverse_simpson": "inv_simpson",
    "evenness": "pielou_e",
}


def _skbio_table(matrix: np.ndarray, ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame({ours: skbio_alpha(theirs, matrix, ids=ids) for ours, theirs in SKBIO_METRIC.items()})


def _compare(cohort: gutbalance.Cohort) -> None:
    dense, _ = species_matrix(cohort)
    ours = alpha_diversity(cohort)
    dense = dense.toarray()
    # Empty samples: NaN in both.  One species: evenness NaN here, 1.0 in
    # skbio (tested below); every other value is skbio's.
    has = dense.sum(axis=1) > 0
    theirs = _skbio_table(dense[has], list(cohort.samples.index[has]))
    single = (dense[has] > 0).sum(axis=1) == 1
    theirs.loc[single, "evenness"] = np.nan
    pd.testing.assert_frame_equal(ours[has], theirs, check_names=False, check_dtype=False, rtol=0, atol=1e-12)
    assert ours[~has].isna().all().all()


@pytest.mark.shared
def test_diversity_matches_skbio_on_real_profiles(kefir_cohort):
    _compare(kefir_cohort)


def _random_cohort(seed: int, n: int = 40, species: int = 60, counts: bool = False) -> gutbalance.Cohort:
    rng = np.random.default_rng(seed)
    names = [parse_lineage(f"k__Bacteria|p__Bacillota|g__G{i // 5}|s__G{i // 5}_sp{i}") for i in range(species)]
    profiles = []
    for s in range(n):
        k = int(rng.integers(1, species))
        idx = rng.choice(species, size=k, replace=False)
        reads = rng.negative_binomial(0.5, 0.05, size=k).astype(float) + (rng.random(k) < 0.5)
        keep = reads > 0
        if not keep.any():
            reads[0], keep[0] = 1.0, True
        idx, reads = idx[keep], reads[keep]
        profiles.append(
            gutbalance.SampleProfile(
                sample=f"S{s}",
                lineages=[names[i] for i in idx],
                abundance=list(reads / reads.sum()),
                counts=list(reads) if counts else None,
            )
        )
    return gutbalance.build_cohort(profiles)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_diversity_matches_skbio_on_random_data(seed):
    _compare(_random_cohort(seed))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_chao1_matches_skbio(seed):
    cohort = _random_cohort(seed, counts=True)
    ours = chao1(cohort)
    mask = (cohort.taxa["rank"] == "species").to_numpy()
    dense = cohort.counts[:, np.flatnonzero(mask)].toarray()
    theirs = skbio_alpha("chao1", dense, ids=list(cohort.samples.index))
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=0, atol=1e-12)
    # The random counts hold singletons and doubletons, so Chao1 exceeds richness somewhere.
    assert (ours > alpha_diversity(cohort)["richness"]).any()


def test_no_chao1_without_counts():
    assert chao1(_random_cohort(0)).isna().all()


def test_chao1_of_a_sample_does_not_depend_on_relative_samples_beside_it():
    counted = _random_cohort(0, counts=True)
    relative = _random_cohort(1).subset(["S0", "S1"])
    relative.samples.index = ["R0", "R1"]
    mixed = gutbalance.concat([relative, counted])
    alone = chao1(counted)
    both = chao1(mixed)
    np.testing.assert_array_equal(both[alone.index].to_numpy(), alone.to_numpy())
    assert both[["R0", "R1"]].isna().all()


def test_single_species_and_empty_samples():
    cohort = gutbalance.build_cohort(
        [
            gutbalance.SampleProfile("one", [parse_lineage("k__Bacteria|p__Bacillota|g__G|s__G_a")], [1.0]),
            gutbalance.SampleProfile("none", [parse_lineage("k__Bacteria|p__Bacillota")], [1.0]),
        ]
    )
    table = alpha_diversity(cohort)
    one = table.loc["one"].to_dict()
    # One taxon: H / ln S is 0 / 0, so evenness is missing (scikit-bio writes 1.0).
    assert np.isnan(one.pop("evenness"))
    assert one == {"richness": 1.0, "shannon": 0.0, "simpson": 0.0, "inverse_simpson": 1.0}
    # Nothing named at species rank: no diversity to measure, so missing (as scikit-bio's NaN).
    assert table.loc["none"].isna().all()
