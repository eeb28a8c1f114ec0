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

Where the index cannot describe a sample it is missing (NaN), with the
reason in ``gmhi_missing``:

* the sample does not resolve species (a genus-level table: its
  ``diversity_rank``, :mod:`.resolution`, is not species): the markers are
  species, and a genus table cannot say whether one is present;
* none of the 50 marker species is present: both psi are 0 and the formula
  returns log10(0.00001 / 0.00001) = 0, which is the pseudocount, not
  evidence (R writes NaN when no species is left at all).  A pure *E. coli*
  culture, an oral or a vaginal sample otherwise get 0, a value above most
  diseased and many healthy stool samples.

One deliberate difference from ``GMHI.R``:

* when *no* species name contains ``unclassified`` (or ``virus``), R's
  ``x[-grep(...), ]`` selects zero rows and the whole table is dropped, which is
  an indexing accident, not the method; gutbalance keeps every species then.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..cohort import Cohort, feature_ids
from ..json_text import RawJSON, record_lists
from ..taxonomy import canonical_name
from ._data import read_table
from ._sparse import columns, indicator, per_entry, segment_sum
from .resolution import diversity_rank, not_species_reasons

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
    """Steps 1-3 restricted to the marker species: their renormalised,
    thresholded abundances (CSR samples x markers present in the cohort), the
    group code of each column (1 MH, 2 MN) and the cohort column positions.

    Only the 50 marker columns are sliced out; the renormalising totals over
    every kept species come from one sparse matrix-vector product.
    """
    kept = _kept_species(cohort)
    total = cohort.X @ indicator(cohort.n_taxa, kept)
    markers = marker_species()
    code_of = dict(zip(markers["taxon"], markers["group"].map(_GROUP_CODE), strict=True))
    # Markers are matched by feature id: one the lineage table does not know
    # (TM7c) has a column key holding its parents (cohort.column_key).
    ids = feature_ids(cohort.taxa.index[kept])
    codes = np.fromiter((code_of.get(t, 0) for t in ids), dtype=np.int8, count=len(ids))
    marker_cols = kept[codes > 0]
    P = columns(cohort.X, marker_cols)
    # x / colSums(x) as GMHI.R divides (a division, not a multiplication by the inverse).
    P.data = P.data / per_entry(total, P)
    P.data[P.data < PRESENCE_CUTOFF] = 0.0
    P.eliminate_zeros()
    return P, codes[codes > 0], marker_cols


def gmhi_table(cohort: Cohort, *, resolved_rank: pd.Series | None = None) -> pd.DataFrame:
    """GMHI and its parts for every sample.

    Parameters
    ----------
    resolved_rank
        Each sample's finest resolved rank
        (:func:`gutbalance.indices.resolution.diversity_rank`, computed when
        not given).

    Returns
    -------
    DataFrame indexed like ``cohort.samples`` with ``gmhi`` (NaN where it
    cannot describe the sample), ``gmhi_missing`` (the reason, "" when
    present), ``psi_mh``, ``psi_mn``, ``richness_mh``, ``richness_mn``,
    ``shannon_mh``, ``shannon_mn``.
    """
    if resolved_rank is None:
        resolved_rank = diversity_rank(cohort)
    P, codes, _ = _profile(cohort)
    group = codes[P.indices]
    value = P.data
    plogp = -value * np.log(value)
    out = {}
    for label, code in _GROUP_CODE.items():
        hit = group == code
        out[label] = (
            segment_sum(hit.astype(float), P.indptr),
            segment_sum(np.where(hit, plogp, 0.0), P.indptr),
        )
    richness_mh, shannon_mh = out["MH"]
    richness_mn, shannon_mn = out["MN"]
    psi_mh = richness_mh / R_PRIME_MH * shannon_mh
    psi_mn = richness_mn / R_PRIME_MN * shannon_mn
    gmhi = np.log10((psi_mh + PSEUDOCOUNT) / (psi_mn + PSEUDOCOUNT))
    not_species = not_species_reasons(cohort, resolved_rank, "GMHI is defined on species")
    no_markers = (richness_mh + richness_mn) == 0
    missing = np.where(not_species != "", not_species, np.where(no_markers, NO_MARKERS, ""))
    gmhi = np.where(missing == "", gmhi, np.nan)
    return pd.DataFrame(
        {
            "gmhi": gmhi,
            "gmhi_missing": missing,
            "psi_mh": psi_mh,
            "psi_mn": psi_mn,
            "richness_mh": richness_mh,
            "richness_mn": richness_mn,
            "shannon_mh": shannon_mh + 0.0,
            "shannon_mn": shannon_mn + 0.0,
        },
        index=cohort.samples.index,
    )


NO_MARKERS = (
    "none of the 50 GMHI marker species is present, so the index has no evidence either way "
    "(both psi are 0; the formula would return its pseudocount, 0)"
)


def gmhi(cohort: Cohort) -> pd.Series:
    """GMHI of every sample (a Series named ``gmhi``)."""
    return gmhi_table(cohort)["gmhi"]


def gmhi_contributions(cohort: Cohort, *, raw_json: bool = False) -> dict[str, list[dict]] | dict[str, RawJSON]:
    """The marker species found in each sample.

    Returns
    -------
    ``{sample: [{"taxon", "species", "published_name", "group", "abundance"}, ...]}``
    with ``abundance`` the renormalised relative abundance GMHI used (step 3),
    largest first; samples without markers map to an empty list.  With
    ``raw_json`` each list is the JSON text orjson writes for it (a
    :class:`~gutbalance.json_text.RawJSON`, for ``scores.json``).
    """
    P, _, cols = _profile(cohort)
    sub = P.tocoo()
    ids = feature_ids(cohort.taxa.index[cols])
    markers = marker_species().set_index("taxon")
    # The fixed part of each marker's record, built once per column.
    static = [
        {"taxon": t, "species": markers.at[t, "name"], "published_name": markers.at[t, "species"],
         "group": markers.at[t, "group"]}
        for t in ids
    ]
    names = cohort.sample_names
    order = np.lexsort((ids[sub.col], -sub.data, sub.row))
    if raw_json:
        texts = record_lists(static, "abundance", rows=sub.row[order], cols=sub.col[order], values=sub.data[order],
                             n_rows=len(names))
        return dict(zip(names, texts, strict=True))
    result: dict[str, list[dict]] = {s: [] for s in names}
    rows, cols_, values = sub.row[order].tolist(), sub.col[order].tolist(), sub.data[order].tolist()
    for r, j, v in zip(rows, cols_, values, strict=True):
        result[names[r]].append({**static[j], "abundance": v})
    return result
