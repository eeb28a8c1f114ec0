r"""Gut Microbiome Wellness Index 2 (GMWI2), exactly as the reference tool.

Chang D, Gupta VK, Hur B, et al. Gut Microbiome Wellness Index 2 enhances
health status prediction from gut microbiome taxonomic profiles. Nat Commun
2024;15:7447. doi:10.1038/s41467-024-51651-9 (reference
``gmwi2_metaphlan_output.py``, repository danielchang2002/GMWI2).

.. math::

    \mathrm{GMWI2} = \sum_k \beta_k \,
        \mathbb{1}\left[\frac{a_k}{100 - \mathrm{UNKNOWN}} > 0.00001\right]

over the 95 MetaPhlAn 3 clades with a non-zero coefficient :math:`\beta_k`
(any rank, intercept 0), with :math:`a_k` the clade's relative abundance in
percent.  In the Cohort model abundances are fractions and ``unassigned`` is
UNKNOWN / 100, so the presence test is ``X / (1 - unassigned) > 0.00001``.
The comparison is strict (``df > presence_cutoff`` in the reference).

Each model clade is matched to a cohort column by its terminal taxon
(``parse_lineage(clade)[-1].id``), so renamed taxa still match
(``s__Eubacterium_hallii`` is ``s__Anaerobutyricum hallii``).  The model was
trained on MetaPhlAn 3 (mpa_v30) profiles only; :func:`gmwi2_table` flags
every sample whose database is not MetaPhlAn 3 and says how many of the 95
model clades the sample's profile names.

Where the index cannot describe a sample it is missing (NaN), with the reason
in ``gmwi2_missing``: when the sample does not resolve species (a genus-level
table; 68 of the 95 model clades are species, and a genus table
cannot say whether a species is absent, which the model counts as evidence),
and when fewer than :data:`MIN_CLADES_PRESENT` model clades are present.  The
model weighs the presence and absence of clades across a whole stool
community; a profile with one or two of them (a pure *E. coli* culture: one
clade, score -0.03, "healthier" than most healthy runs of mOTUs profiles)
gives the sum of one or two coefficients, which says nothing about the
community.  Every healthy stool run of the Zeller et al. controls has at least
14 model clades present (median 32), the in-vitro faecal fermentations at
least 41; 5 (about 5 % of the model) flags only profiles that lack most of a
stool community.  This is a stated choice, not a calibrated constant.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..cohort import Cohort
from ..json_text import RawJSON, record_lists
from ..taxonomy import parse_lineage
from ._data import read_table
from ._sparse import columns, per_entry
from .resolution import diversity_rank, not_species_reasons

#: Relative abundance (fraction of assigned reads) above which a clade counts
#: as present (Chang et al. 2024; ``presence_cutoff`` of the reference tool).
PRESENCE_CUTOFF = 0.00001
#: The model has no intercept (fit_intercept=False in the reference model).
INTERCEPT = 0.0
#: Fewer model clades present than this and GMWI2 is missing (see the module docstring).
MIN_CLADES_PRESENT = 5
#: MetaPhlAn 3 databases (mpa_v30_CHOCOPhlAn_201901, mpa_v31_...).
_CALIBRATED_DB = re.compile(r"^mpa_v3\d", re.IGNORECASE)


@lru_cache(maxsize=1)
def model() -> pd.DataFrame:
    """The 95 GMWI2 coefficients: ``clade`` (MetaPhlAn 3 lineage as published),
    ``coefficient`` (float) and ``taxon`` (gutbalance feature id)."""
    table = read_table("gmwi2_coefficients.tsv").copy()
    table["coefficient"] = table["coefficient"].astype(float)
    table["taxon"] = [parse_lineage(c)[-1].id for c in table["clade"]]
    return table


def is_calibrated_database(database: str) -> bool:
    """Whether a profile database is one GMWI2 was calibrated on (MetaPhlAn 3)."""
    return bool(_CALIBRATED_DB.match(str(database or "").strip()))


def _present_abundance(cohort: Cohort) -> tuple[sp.csr_matrix, np.ndarray]:
    """Abundance / classified fraction of the matched model clades, kept only
    where the clade is present (CSR samples x matched clades), and the model
    row of each column."""
    table = model()
    cols = cohort.taxa.index.get_indexer(pd.Index(table["taxon"]))
    matched = np.flatnonzero(cols >= 0)
    classified = cohort.classified()
    # Nothing classified: every clade absent (dividing by inf gives 0).
    divisor = np.where(classified > 0, classified, np.inf)
    A = columns(cohort.X, cols[matched])
    # percent / (100 - UNKNOWN) in the reference: X / (1 - unassigned) here.
    A.data = A.data / per_entry(divisor, A)
    A.data[~(A.data > PRESENCE_CUTOFF)] = 0.0
    A.eliminate_zeros()
    return A, matched


def gmwi2_table(cohort: Cohort, *, resolved_rank: pd.Series | None = None) -> pd.DataFrame:
    """GMWI2 for every sample, with its calibration flag.

    Parameters
    ----------
    resolved_rank
        Each sample's finest resolved rank
        (:func:`gutbalance.indices.resolution.diversity_rank`, computed when
        not given).

    Returns
    -------
    DataFrame indexed like ``cohort.samples`` with ``gmwi2`` (NaN where it
    cannot describe the sample), ``gmwi2_missing`` (the reason, "" when
    present), ``gmwi2_taxa`` (number of contributing clades),
    ``gmwi2_calibrated`` (database is MetaPhlAn 3), ``gmwi2_clades_matched``
    (how many of the 95 model clades the sample's profile names, at any
    abundance) and ``gmwi2_note``.
    """
    if resolved_rank is None:
        resolved_rank = diversity_rank(cohort)
    table = model()
    A, matched = _present_abundance(cohort)
    coef = table["coefficient"].to_numpy()[matched]
    presence = sp.csr_matrix((np.ones_like(A.data), A.indices, A.indptr), shape=A.shape)
    score = INTERCEPT + presence @ coef
    cols = cohort.taxa.index.get_indexer(pd.Index(table["taxon"]))
    in_profile = np.diff(columns(cohort.X, cols[cols >= 0]).indptr)
    n_taxa = np.diff(A.indptr)
    not_species = not_species_reasons(cohort, resolved_rank, "GMWI2's model is over clades down to species")
    missing = np.where(
        not_species != "",
        not_species,
        np.where(n_taxa == 0, NO_CLADES,
                 np.where(n_taxa < MIN_CLADES_PRESENT, [_few_clades(k) for k in n_taxa], "")),
    )
    databases = cohort.samples["database"].fillna("").astype(str) if "database" in cohort.samples else pd.Series(
        "", index=cohort.samples.index
    )
    calibrated = databases.map(is_calibrated_database).to_numpy(dtype=bool)
    notes = [
        "" if ok else _note(db, int(k), len(table))
        for ok, db, k in zip(calibrated, databases.to_numpy(), in_profile, strict=True)
    ]
    return pd.DataFrame(
        {
            "gmwi2": np.where(missing == "", np.asarray(score, dtype=float) + 0.0, np.nan),
            "gmwi2_missing": missing,
            "gmwi2_taxa": n_taxa,
            "gmwi2_calibrated": calibrated,
            "gmwi2_clades_matched": in_profile,
            "gmwi2_note": notes,
        },
        index=cohort.samples.index,
    )


NO_CLADES = (
    "none of the 95 GMWI2 model clades is present, so the index has no evidence "
    "(the sum over no clade is the intercept, 0)"
)


def _few_clades(k: int) -> str:
    return (
        f"only {k} of the 95 GMWI2 model clades {'is' if k == 1 else 'are'} present (at least {MIN_CLADES_PRESENT} "
        "needed): the model weighs a whole stool community, and this profile holds too little of one"
    )


def _note(database: str, matched: int, total: int) -> str:
    where = f"database {database!r}" if database else "an unknown database"
    return (
        f"GMWI2 is calibrated for MetaPhlAn 3 (mpa_v30/mpa_v31) profiles; this profile comes from {where}, "
        f"so the score is indicative only ({matched} of {total} model clades named in this profile)"
    )


def gmwi2(cohort: Cohort) -> pd.Series:
    """GMWI2 of every sample (a Series named ``gmwi2``)."""
    return gmwi2_table(cohort)["gmwi2"]


def gmwi2_contributions(cohort: Cohort, *, raw_json: bool = False) -> dict[str, list[dict]] | dict[str, RawJSON]:
    """The model clades present in each sample (what the reference tool writes
    to ``*_GMWI2_taxa.txt``), in the model's order.  With ``raw_json`` each
    list is the JSON text orjson writes for it (a
    :class:`~gutbalance.json_text.RawJSON`, for ``scores.json``).

    Returns
    -------
    ``{sample: [{"clade", "taxon", "coefficient", "abundance"}, ...]}`` with
    ``clade`` the MetaPhlAn 3 lineage of the model, ``taxon`` the matched
    gutbalance feature id and ``abundance`` the relative abundance divided by
    the classified fraction (as the reference computes it).
    """
    table = model()
    A, matched = _present_abundance(cohort)
    coo = A.tocoo()
    order = np.lexsort((coo.col, coo.row))
    clades, taxa, coefficients = table["clade"].to_numpy(), table["taxon"].to_numpy(), table["coefficient"].to_numpy(float)
    static = [{"clade": clades[k], "taxon": taxa[k], "coefficient": float(coefficients[k])} for k in matched]
    names = cohort.sample_names
    if raw_json:
        texts = record_lists(static, "abundance", rows=coo.row[order], cols=coo.col[order], values=coo.data[order],
                             n_rows=len(names))
        return dict(zip(names, texts, strict=True))
    result: dict[str, list[dict]] = {s: [] for s in names}
    rows, cols, values = coo.row[order].tolist(), coo.col[order].tolist(), coo.data[order].tolist()
    for r, j, v in zip(rows, cols, values, strict=True):
        result[names[r]].append({**static[j], "abundance": v})
    return result
