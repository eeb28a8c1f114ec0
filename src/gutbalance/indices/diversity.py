r"""Alpha diversity over the species of each sample, vectorised over the
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
from ._sparse import columns, per_entry, segment_sum

METRICS = ("richness", "shannon", "simpson", "inverse_simpson", "evenness")


def species_matrix(cohort: Cohort, *, include_unclassified: bool = False) -> tuple[sp.csr_matrix, pd.DataFrame]:
    """Species abundances renormalised to sum 1 per sample, and their taxa."""
    matrix, taxa = cohort.rank_matrix("species", include_unclassified=include_unclassified)
    return normalize_rows(matrix), taxa


def alpha_diversity(cohort: Cohort, metrics: tuple[str, ...] = METRICS) -> pd.DataFrame:
    """Alpha diversity of every sample at species rank.

    Samples with no species get richness 0 and the other indices 0 (an empty
    community has no diversity; scikit-bio gives NaN), so the table never
    holds NaN.  A sample with one species has evenness 1, as in scikit-bio.
    """
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metrics {unknown}; choose from {METRICS}")
    matrix, _ = cohort.rank_matrix("species", include_unclassified=False)
    matrix.eliminate_zeros()
    n = matrix.shape[0]
    indptr = matrix.indptr
    richness = np.diff(indptr).astype(float)
    total = segment_sum(matrix.data, indptr)
    data = matrix.data / per_entry(total, matrix)
    shannon = -segment_sum(data * np.log(data), indptr)
    dominance = segment_sum(data * data, indptr)
    has = richness > 0
    out = {
        "richness": richness,
        "shannon": np.where(has, shannon, 0.0) + 0.0,
        "simpson": np.where(has, 1.0 - dominance, 0.0),
        "inverse_simpson": np.divide(1.0, dominance, out=np.zeros(n), where=dominance > 0),
        # scikit-bio: a single species is perfectly even (1.0); an empty sample gets 0 (skbio: NaN).
        "evenness": np.where(
            richness == 1,
            1.0,
            np.divide(shannon, np.log(richness, where=richness > 1, out=np.ones(n)), out=np.zeros(n), where=richness > 1),
        ),
    }
    return pd.DataFrame({m: out[m] for m in metrics}, index=cohort.samples.index)


def chao1(cohort: Cohort) -> pd.Series | None:
    r"""Chao1 richness estimate from the species read counts, or ``None`` when
    the cohort has no counts (relative abundances carry no singletons, so the
    estimate does not exist; the scores table then has no ``chao1`` column
    rather than a made-up value).

    Bias-corrected, as :func:`skbio.diversity.alpha.chao1` by default:

    .. math::

        S_{chao1} = S_{obs} + \frac{F_1 (F_1 - 1)}{2 (F_2 + 1)}

    with :math:`F_1`, :math:`F_2` the numbers of species seen exactly once and
    twice, over the same classified species as the other indices.  Samples
    without counted species get 0.
    """
    if cohort.counts is None:
        return None
    mask = (cohort.taxa["rank"] == "species").to_numpy() & ~cohort.taxa["unclassified"].to_numpy(dtype=bool)
    C = columns(cohort.counts, np.flatnonzero(mask))
    observed = np.diff(C.indptr).astype(float)
    singletons = segment_sum((C.data == 1).astype(float), C.indptr)
    doubletons = segment_sum((C.data == 2).astype(float), C.indptr)
    estimate = observed + singletons * (singletons - 1) / (2 * (doubletons + 1))
    return pd.Series(estimate, index=cohort.samples.index, name="chao1")
