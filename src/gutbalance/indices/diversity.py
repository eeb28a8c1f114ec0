r"""Alpha diversity over the taxa of each sample at its resolved rank
(species for a metagenome, genus for a genus-level 16S table; see
:mod:`.resolution`), vectorised over the
sparse cohort matrix (no per-sample loop).  The definitions are scikit-bio's,
and the tests check every index against :func:`skbio.diversity.alpha_diversity`.

With :math:`p_i` the relative abundance of species :math:`i` among the
:math:`S` species present:

.. math::

    H = -\sum_i p_i \ln p_i, \qquad
    \mathrm{Simpson} = 1 - \sum_i p_i^2, \qquad
    \mathrm{InvSimpson} = 1 / \sum_i p_i^2, \qquad
    J = H / \ln S

References
----------
Shannon CE (1948) Bell Syst Tech J 27:379-423. doi:10.1002/j.1538-7305.1948.tb01338.x
Simpson EH (1949) Nature 163:688. doi:10.1038/163688a0
Pielou EC (1966) J Theor Biol 13:131-144. doi:10.1016/0022-5193(66)90013-0
Chao A (1984) Scand J Stat 11:265-270 (Chao1; the bias-corrected form is
scikit-bio's default, Chao 1987, Biometrics 43:783-791, doi:10.2307/2531532)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..cohort import Cohort, normalize_rows
from ..io.registry import counts_estimated_by, estimated_counts_reason
from ._sparse import columns, per_entry, segment_sum

METRICS = ("richness", "shannon", "simpson", "inverse_simpson", "evenness")

#: Why a sample read from relative abundances has no Chao1.
RELATIVE_ONLY = "the input gives relative abundances, not read counts: Chao1 needs the singletons and doubletons"
NOT_WHOLE = (
    "the counts are not whole numbers (a relative table rescaled, or estimated reads), not reads counted: "
    "Chao1 needs observed singletons and doubletons"
)


def observed_counts(cohort: Cohort) -> tuple[np.ndarray, list[str]]:
    """Which samples carry observed read counts, and for each that does not,
    why (``""`` for those that do).

    A sample has observed counts when its input gave counts (an amplicon
    feature table, a Kraken report, a counts table), they are not a
    profiler's estimates and every count is a whole number.  Whose estimates
    they are (MetaPhlAn, Bracken, mOTUs, also for a file written from such a
    profile) and why that rules Chao1 out is said once, by the format
    (:func:`gutbalance.io.registry.counts_estimated_by`,
    :attr:`gutbalance.io.registry.Format.estimated_counts`).  Each sample is
    judged on its own row."""
    n = cohort.n_samples
    counted = cohort.counted_samples() if cohort.counts is not None else np.zeros(n, dtype=bool)
    estimated_by = counts_estimated_by(cohort)
    whole = np.ones(n, dtype=bool)
    if cohort.counts is not None:
        C = cohort.counts.tocsr()
        fractional = (np.abs(C.data - np.round(C.data)) > 1e-9).astype(float)
        whole = segment_sum(fractional, C.indptr) == 0
    reasons = []
    for i in range(n):
        if estimated_by[i]:
            reasons.append(estimated_counts_reason(estimated_by[i]))
        elif not counted[i]:
            reasons.append(RELATIVE_ONLY)
        elif not whole[i]:
            reasons.append(NOT_WHOLE)
        else:
            reasons.append("")
    return np.array([not r for r in reasons], dtype=bool), reasons


def species_matrix(cohort: Cohort, *, include_unclassified: bool = False) -> tuple[sp.csr_matrix, pd.DataFrame]:
    """Species abundances renormalised to sum 1 per sample, and their taxa."""
    matrix, taxa = cohort.rank_matrix("species", include_unclassified=include_unclassified)
    return normalize_rows(matrix), taxa


def _diversity_at(cohort: Cohort, rank: str, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Every metric over the named taxa of ``rank``, for the given rows."""
    matrix, _ = cohort.rank_matrix(rank, include_unclassified=False)
    matrix = matrix[rows]
    matrix.eliminate_zeros()
    n = matrix.shape[0]
    indptr = matrix.indptr
    richness = np.diff(indptr).astype(float)
    total = segment_sum(matrix.data, indptr)
    data = matrix.data / per_entry(total, matrix)
    shannon = -segment_sum(data * np.log(data), indptr)
    dominance = segment_sum(data * data, indptr)
    has = richness > 0
    nan = np.full(n, np.nan)
    return {
        "richness": np.where(has, richness, np.nan),
        "shannon": np.where(has, shannon + 0.0, np.nan),
        "simpson": np.where(has, 1.0 - dominance, np.nan),
        "inverse_simpson": np.divide(1.0, dominance, out=nan.copy(), where=dominance > 0),
        # H / ln S is 0 / 0 for one taxon: missing (scikit-bio writes 1.0,
        # which ranks a single-species culture as the most even community).
        "evenness": np.divide(shannon, np.log(richness, where=richness > 1, out=np.ones(n)), out=nan.copy(),
                              where=richness > 1),
    }


def alpha_diversity(
    cohort: Cohort, metrics: tuple[str, ...] = METRICS, *, rank: str | pd.Series = "species"
) -> pd.DataFrame:
    """Alpha diversity of every sample over the named taxa of one rank.

    Parameters
    ----------
    rank
        One rank for every sample, or a Series (index like
        ``cohort.samples``) with each sample's rank, as
        :func:`gutbalance.indices.resolution.diversity_rank` gives it; an
        empty rank means the sample resolves none.

    A sample with no taxa at its rank gets NaN for every metric (scikit-bio
    also gives NaN): an empty community has no diversity to measure.  A sample
    with one taxon has no evenness (NaN; H / ln S is 0 / 0, where scikit-bio
    writes 1).
    """
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metrics {unknown}; choose from {METRICS}")
    n = cohort.n_samples
    ranks = (
        np.full(n, rank, dtype=object) if isinstance(rank, str)
        else rank.reindex(cohort.samples.index).fillna("").to_numpy(dtype=object)
    )
    out = {m: np.full(n, np.nan) for m in metrics}
    for r in pd.unique(ranks):
        if not r:
            continue
        rows = np.flatnonzero(ranks == r)
        values = _diversity_at(cohort, str(r), rows)
        for m in metrics:
            out[m][rows] = values[m]
    return pd.DataFrame(out, index=cohort.samples.index)


def chao1(cohort: Cohort, *, rank: str | pd.Series = "species") -> pd.Series:
    r"""Chao1 richness estimate from the read counts of the named taxa at
    ``rank`` (one rank, or each sample's rank as in :func:`alpha_diversity`);
    NaN for a sample without observed read counts (:func:`observed_counts`:
    relative abundances, or a profiler's estimated reads, carry no
    singletons, so the estimate does not exist), whatever the other samples
    of the cohort gave.

    Bias-corrected, as :func:`skbio.diversity.alpha.chao1` by default:

    .. math::

        S_{chao1} = S_{obs} + \frac{F_1 (F_1 - 1)}{2 (F_2 + 1)}

    with :math:`F_1`, :math:`F_2` the numbers of taxa seen exactly once and
    twice, over the same named taxa as the other indices.  Samples without
    counted taxa at their rank get NaN.
    """
    n = cohort.n_samples
    estimate = np.full(n, np.nan)
    if cohort.counts is None:
        return pd.Series(estimate, index=cohort.samples.index, name="chao1")
    ranks = (
        np.full(n, rank, dtype=object) if isinstance(rank, str)
        else rank.reindex(cohort.samples.index).fillna("").to_numpy(dtype=object)
    )
    ranks = np.where(observed_counts(cohort)[0], ranks, "")
    is_named = ~cohort.taxa["unclassified"].to_numpy(dtype=bool)
    for r in pd.unique(ranks):
        if not r:
            continue
        rows = np.flatnonzero(ranks == r)
        mask = (cohort.taxa["rank"] == r).to_numpy() & is_named
        C = columns(cohort.counts, np.flatnonzero(mask))[rows]
        observed = np.diff(C.indptr).astype(float)
        singletons = segment_sum((C.data == 1).astype(float), C.indptr)
        doubletons = segment_sum((C.data == 2).astype(float), C.indptr)
        value = observed + singletons * (singletons - 1) / (2 * (doubletons + 1))
        estimate[rows] = np.where(observed > 0, value, np.nan)
    return pd.Series(estimate, index=cohort.samples.index, name="chao1")
