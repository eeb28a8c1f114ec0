r"""Taxon ratios people ask for, as base-2 log ratios with a pseudocount.

.. math::

    \log_2 \frac{a + \varepsilon}{b + \varepsilon}, \qquad \varepsilon = 10^{-5}

with :math:`a` and :math:`b` the summed relative abundances of the two groups
as a fraction of everything classified at that rank (each sample's rank total
renormalised to 1, placeholders such as ``Firmicutes unclassified`` included in
the total).

Why a log ratio with a pseudocount, and only that: a plain ratio is undefined
(0/0) or infinite whenever the denominator is absent, which is common for
Prevotella and Bacteroides, and it is asymmetric (a 4-fold excess is 4, a 4-fold
deficit 0.25).  The log ratio is symmetric around 0 (equal amounts), additive,
the natural scale of compositional data (Aitchison 1986; Gloor et al. 2017,
Front Microbiol 8:2224, doi:10.3389/fmicb.2017.02224), and with the pseudocount
it is always finite: bounded by :math:`\pm\log_2(1/\varepsilon) \approx \pm 16.6`.
:math:`\varepsilon = 10^{-5}` is the detection limit GMHI and GMWI2 use for
MetaPhlAn profiles (0.001 %), so an undetected group counts as "at most the
detection limit".  The plain ratio is ``2 ** value`` when both groups are well
above the pseudocount.

Groups (canonical names, so old and new names both count):

``firmicutes_bacteroidetes_log2``
    phylum Bacillota (Firmicutes, GTDB Firmicutes_A/B/C...) over Bacteroidota
    (Bacteroidetes); Oren & Garrity 2021, doi:10.1099/ijsem.0.005056.
``prevotella_bacteroides_log2``
    genus Prevotella *sensu lato* over Bacteroides *sensu lato*.  Bacteroides
    includes Phocaeicola (B. vulgatus, B. dorei... moved there by García-López
    et al. 2019, doi:10.3389/fmicb.2019.02083) and Prevotella includes the four
    genera split from it by Hitch et al. 2022 (Segatella, incl. S. copri;
    Hoylesella; Leyella; Palleniella; doi:10.1016/j.syapm.2022.126354), so the
    ratio means the same thing (the Prevotella/Bacteroides enterotype axis)
    whichever database version named the taxa.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..cohort import Cohort

PSEUDOCOUNT = 1e-5

#: name -> (rank, numerator names, denominator names), canonical names.
RATIOS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "firmicutes_bacteroidetes_log2": ("phylum", ("Bacillota",), ("Bacteroidota",)),
    "prevotella_bacteroides_log2": (
        "genus",
        ("Prevotella", "Segatella", "Hoylesella", "Leyella", "Palleniella"),
        ("Bacteroides", "Phocaeicola"),
    ),
}


def log2_ratios(cohort: Cohort, *, reasons: bool = False) -> pd.DataFrame:
    """Both log2 ratios for every sample (never infinite).

    A ratio is missing (NaN) when the sample has no taxon placed at the
    ratio's rank (a species-only table whose phyla are unknown: 0 would claim
    "as much Bacillota as Bacteroidota") or when neither group is present
    (nothing over nothing).  With ``reasons``, a ``<ratio>_missing`` column
    per ratio holds why ("" when present).

    Every group total and rank total comes from one sparse x dense product of
    the cohort matrix with 0/1 indicator columns (no column slicing).
    """
    taxa = cohort.taxa
    rank = taxa["rank"].to_numpy()
    name = taxa["name"]
    indicators = []
    for column_rank, numerator, denominator in RATIOS.values():
        at_rank = rank == column_rank
        indicators += [at_rank, at_rank & name.isin(numerator).to_numpy(), at_rank & name.isin(denominator).to_numpy()]
    sums = np.asarray(cohort.X @ np.column_stack(indicators).astype(float))
    out = {}
    for k, column in enumerate(RATIOS):
        total, a, b = sums[:, 3 * k], sums[:, 3 * k + 1], sums[:, 3 * k + 2]
        # Fractions of everything classified at the rank (0 when the rank is empty).
        scale = np.divide(1.0, total, out=np.zeros_like(total), where=total > 0)
        value = np.log2((a * scale + PSEUDOCOUNT) / (b * scale + PSEUDOCOUNT))
        column_rank, numerator, denominator = RATIOS[column]
        unplaced = total <= 0
        neither = (a <= 0) & (b <= 0)
        out[column] = np.where(unplaced | neither, np.nan, value)
        if reasons:
            out[f"{column}_missing"] = np.where(
                unplaced,
                f"no taxon of this sample is placed at {column_rank} rank, so {numerator[0]} and "
                f"{denominator[0]} cannot be measured",
                np.where(neither, f"neither {numerator[0]} nor {denominator[0]} is present", ""),
            ).astype(object)
    return pd.DataFrame(out, index=cohort.samples.index)
