r"""Gut Microbiome Health Index (GMHI), exactly as the authors' reference script.

Gupta VK, Kim M, Bakshi U, et al. A predictive index for health status using
species-level gut microbiome profiling. Nat Commun 2020;11:4635.
doi:10.1038/s41467-020-18476-8 (reference script ``GMHI.R``, repository
jaeyunsung/GMHI_2020).

Steps of ``GMHI.R``, all applied to the species-rank columns of the cohort:

1. drop species whose name *as written in the input* contains ``unclassified``
   or ``virus`` (case-sensitive, like R's ``grep``; phages stay);
2. renormalise each sample to sum 1 over the remaining species;
3. set values below 0.00001 to 0;
4. for the 7 health-prevalent (MH) and the 43 health-scarce (MN) species,
   :math:`\psi = (R / R') \cdot H` with :math:`R` the number of marker species
   present, :math:`H` their Shannon entropy (natural log, over the renormalised
   abundances, not re-closed), :math:`R'_{MH} = 7`, :math:`R'_{MN} = 31`;
5. :math:`\mathrm{GMHI} = \log_{10}((\psi_{MH} + 10^{-5}) / (\psi_{MN} + 10^{-5}))`.

Marker species are matched through :func:`gutbalance.taxonomy.canonical_name`
on both sides, so ``Clostridium bolteae`` (MetaPhlAn 2) and
``Enterocloster bolteae`` (later databases) are the same marker.

Two deliberate differences from ``GMHI.R``, both where R gives no number:

* a sample with no species left after step 1 gets GMHI 0 (both psi are 0),
  where R divides 0 by 0 and writes NaN;
* when *no* species name contains ``unclassified`` (or ``virus``), R's
  ``x[-grep(...), ]`` selects zero rows and the whole table is dropped, which is
  an indexing accident, not the method; gutbalance keeps every species then.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..cohort import Cohort, normalize_rows
from ..taxonomy import canonical_name
from ._data import read_table

#: Median richness of MH species in the top 1 % of samples and of MN species in
#: the bottom 1 % (Gupta et al. 2020, Supplementary Methods; ``GMHI.R``).
R_PRIME_MH = 7
R_PRIME_MN = 31
#: Relative abundances below this are set to 0 (``GMHI.R``).
PRESENCE_CUTOFF = 0.00001
#: Added to both psi to avoid dividing by 0 (``GMHI.R``).
PSEUDOCOUNT = 0.00001
#: Species names containing these words are removed before renormalising.
EXCLUDED_WORDS = ("unclassified", "virus")

_GROUP_CODE = {"MH": 1, "MN": 2}


@lru_cache(maxsize=1)
def marker_species() -> pd.DataFrame:
    """The 50 GMHI markers: ``group`` (MH/MN), ``species`` (as published),
    ``name`` (canonical) and ``taxon`` (gutbalance feature id)."""
    table = read_table("gmhi_species.tsv").copy()
    table["name"] = [canonical_name("species", s) for s in table["species"]]
    table["taxon"] = "s__" + table["name"]
    return table


def _kept_species(cohort: Cohort) -> np.ndarray:
    """Column positions of the species the reference script keeps (step 1)."""
    taxa = cohort.taxa
    is_species = (taxa["rank"] == "species").to_numpy()
    original = taxa["original"].astype(str)
    excluded = np.zeros(len(taxa), dtype=bool)
    for word in EXCLUDED_WORDS:
        excluded |= original.str.contains(word, regex=False).to_numpy()
    return np.flatnonzero(is_species & ~excluded)


def _profile(cohort: Cohort) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Steps 1-3: the renormalised, thresholded species matrix, the marker group
    code of each of its columns (0 none, 1 MH, 2 MN) and the column positions."""
    cols = _kept_species(cohort)
    P = normalize_rows(cohort.X[:, cols].tocsr())
    P.data[P.data < PRESENCE_CUTOFF] = 0.0
    P.eliminate_zeros()
    markers = marker_species()
    code_of = dict(zip(markers["taxon"], markers["group"].map(_GROUP_CODE), strict=True))
    ids = cohort.taxa.index.to_numpy()[cols]
    codes = np.fromiter((code_of.get(t, 0) for t in ids), dtype=np.int8, count=len(ids))
    return P, codes, cols


def gmhi_table(cohort: Cohort) -> pd.DataFrame:
    """GMHI and its parts for every sample.

    Returns
    -------
    DataFrame indexed like ``cohort.samples`` with ``gmhi``, ``psi_mh``,
    ``psi_mn``, ``richness_mh``, ``richness_mn``, ``shannon_mh``, ``shannon_mn``.
    """
    P, codes, _ = _profile(cohort)
    n = P.shape[0]
    row = np.repeat(np.arange(n), np.diff(P.indptr))
    group = codes[P.indices]
    value = P.data
    plogp = -value * np.log(value)
    out = {}
    for label, code in _GROUP_CODE.items():
        hit = group == code
        out[label] = (
            np.bincount(row[hit], minlength=n).astype(float),
            np.bincount(row[hit], weights=plogp[hit], minlength=n),
        )
    richness_mh, shannon_mh = out["MH"]
    richness_mn, shannon_mn = out["MN"]
    psi_mh = richness_mh / R_PRIME_MH * shannon_mh
    psi_mn = richness_mn / R_PRIME_MN * shannon_mn
    gmhi = np.log10((psi_mh + PSEUDOCOUNT) / (psi_mn + PSEUDOCOUNT))
    return pd.DataFrame(
        {
            "gmhi": gmhi,
            "psi_mh": psi_mh,
            "psi_mn": psi_mn,
            "richness_mh": richness_mh,
            "richness_mn": richness_mn,
            "shannon_mh": shannon_mh + 0.0,
            "shannon_mn": shannon_mn + 0.0,
        },
        index=cohort.samples.index,
    )


def gmhi(cohort: Cohort) -> pd.Series:
    """GMHI of every sample (a Series named ``gmhi``)."""
    return gmhi_table(cohort)["gmhi"]


def gmhi_contributions(cohort: Cohort) -> dict[str, list[dict]]:
    """The marker species found in each sample.

    Returns
    -------
    ``{sample: [{"taxon", "species", "published_name", "group", "abundance"}, ...]}``
    with ``abundance`` the renormalised relative abundance GMHI used (step 3),
    largest first; samples without markers map to an empty list.
    """
    P, codes, cols = _profile(cohort)
    marker_cols = np.flatnonzero(codes > 0)
    sub = P[:, marker_cols].tocoo()
    ids = cohort.taxa.index.to_numpy()[cols[marker_cols]]
    markers = marker_species().set_index("taxon")
    names = cohort.sample_names
    result: dict[str, list[dict]] = {s: [] for s in names}
    order = np.lexsort((ids[sub.col], -sub.data, sub.row))
    for i in order:
        taxon_id = ids[sub.col[i]]
        rec = markers.loc[taxon_id]
        result[names[sub.row[i]]].append(
            {
                "taxon": taxon_id,
                "species": rec["name"],
                "published_name": rec["species"],
                "group": rec["group"],
                "abundance": float(sub.data[i]),
            }
        )
    return result
