r"""Dysbiosis score: Bray-Curtis dissimilarity from a healthy reference profile.

Lloyd-Price et al. (2019) defined the dysbiosis score of a sample as the median
Bray-Curtis dissimilarity to the reference samples of healthy (non-IBD)
people (Nature 569:655-662, doi:10.1038/s41586-019-1237-9).  gutbalance has no
reference samples, only the per-taxon medians of the healthy stool metagenomes
behind the GMWI web tool (Chang et al. 2023, Bioinformatics 39:btad061,
doi:10.1093/bioinformatics/btad061).  The coordinate-wise median is the
centre of a set of compositions under the L1 distance, which is what the
numerator of Bray-Curtis is, so the healthy medians are the natural stand-in
for "the healthy set" under this dissimilarity.  The score is

.. math::

    \mathrm{dysbiosis} = \mathrm{BC}(x, r)
        = \frac{\sum_j |x_j - r_j|}{\sum_j x_j + \sum_j r_j}

(Bray & Curtis 1957, Ecol Monogr 27:325-349, doi:10.2307/1942268), with
:math:`x` the sample's genus composition and :math:`r` the healthy reference,
both over classified genera and renormalised to sum 1, so the score runs from
0 (the healthy median composition) to 1 (nothing in common).

Genus rank, because (1) per-species medians are zero for all but 63 species,
gut species being largely individual, whereas the genus-level core is shared
by healthy people, so the median profile at genus rank actually describes a
typical healthy gut; (2) genus names are much more stable across MetaPhlAn
versions and profilers than species names.  Placeholders (``noname``,
``unclassified``) are left out on both sides because their content differs
between database versions.  A sample without any classified genus has none (missing).

The reference table is ``indices/data/healthy_reference_genus.tsv`` (built by
``scripts/build_reference_tables.py``); names are matched through
:func:`gutbalance.taxonomy.canonical_name`.

The reference's genera are MetaPhlAn 2's: *Eubacterium rectale* counts under
*Eubacterium*, *Ruminococcus gnavus* under *Blautia*, and a species MetaPhlAn 2
files under a placeholder genus (``g__Lachnospiraceae_noname``) counts in no
genus.  A sample is compared in the same genera: each species MetaPhlAn 2
knew counts under the genus MetaPhlAn 2 files it under
(``indices/data/mpa2_species_genus.tsv``, from MetaPhlAn 2's own lineages),
wherever the input or the lineage table puts it; every other taxon under the
genus its lineage gives.  Placed by the input alone, a MetaPhlAn 2 profile
read 0.035 higher on average than the same sum over its own genus rows, up to
0.16 (Franzosa 2019 and iHMP, ``tests/indices/test_ratios_dysbiosis.py``):
MetaPhlAn 3's lineages, which the lineage table puts first, file
*E. rectale* under ``g__Lachnospiraceae_unclassified``, out of the genera.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..cohort import Cohort
from ..taxonomy import canonical_name, is_unclassified
from ._data import read_table
from ._sparse import columns, per_entry, segment_sum

RANK = "genus"


@lru_cache(maxsize=1)
def healthy_reference() -> pd.Series:
    """The healthy reference composition: share (sums to 1) by genus feature id."""
    table = read_table("healthy_reference_genus.tsv")
    ids = ["g__" + canonical_name(RANK, g) for g in table["genus"]]
    share = pd.Series(table["reference"].astype(float).to_numpy(), index=ids, name="reference")
    share = share.groupby(level=0, sort=False).sum()
    return share / share.sum()


@lru_cache(maxsize=1)
def mpa2_genus() -> dict[str, str | None]:
    """Current species name -> the genus feature id MetaPhlAn 2 files it
    under (None: a placeholder genus, which the reference leaves out)."""
    table = read_table("mpa2_species_genus.tsv")
    out: dict[str, str | None] = {}
    for species, genus in zip(table["species"], table["genus"], strict=True):
        name = canonical_name("species", species)
        out.setdefault(name, None if is_unclassified(genus) else "g__" + canonical_name(RANK, genus))
    return out


def _genus_columns(taxa: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """For the terminal taxa ``taxa`` (every taxon down to the species): the
    rows that count in a genus, the column of that genus, and the genus ids
    of the columns."""
    by_name = mpa2_genus()
    rank = taxa["rank"].to_numpy()
    unclassified = taxa["unclassified"].to_numpy(dtype=bool)
    ids = taxa.index.to_numpy()
    genus_rows = set(ids[(rank == RANK) & ~unclassified].tolist())
    rows: list[int] = []
    genera: list[str] = []
    for i, (kind, placeholder, name, parent) in enumerate(
        zip(rank, unclassified, taxa["name"].to_numpy(), taxa["parent"].to_numpy(), strict=True)
    ):
        genus: str | None = None
        if kind == RANK:
            genus = None if placeholder else ids[i]
        elif kind == "species":
            # A placeholder species ("Bacteroides unclassified") stays in its genus.
            genus = by_name[name] if not placeholder and name in by_name else (parent if parent in genus_rows else None)
        if genus is not None:
            rows.append(i)
            genera.append(genus)
    ids_out = sorted(set(genera))
    col = {g: j for j, g in enumerate(ids_out)}
    return np.asarray(rows, dtype=np.int64), np.asarray([col[g] for g in genera], dtype=np.int64), ids_out


def dysbiosis(cohort: Cohort) -> pd.Series:
    """Bray-Curtis dissimilarity of each sample's genus composition from the
    healthy reference (a Series named ``dysbiosis``, 0 to 1), in MetaPhlAn 2's
    genera (module docstring).

    Missing (NaN) for a sample with no classified genus (a family-level
    table, a sample with nothing classified): a composition of nothing
    compared with the reference is no distance (it read 1, "nothing in
    common", which no genus was there to show).  :func:`missing_reason`
    says why.
    """
    own, terminal = cohort.terminal_matrix(max_rank="species")
    rows, cols, genus_ids = _genus_columns(terminal)
    to_genus = sp.csr_matrix(
        (np.ones(len(rows)), (rows, cols)), shape=(terminal.shape[0], len(genus_ids))
    )
    G = sp.csr_matrix(own @ to_genus)
    G.sum_duplicates()
    total = np.asarray(G.sum(axis=1)).ravel()
    reference = healthy_reference()
    ref_cols = pd.Index(genus_ids).get_indexer(reference.index)
    found = ref_cols >= 0
    R = columns(G, ref_cols[found])
    r = reference.to_numpy()[found]
    # x: the sample's genus composition at the reference genera.
    x = R.data / per_entry(np.where(total > 0, total, np.inf), R)
    r_nz = r[R.indices]
    # With x and the reference both summing to 1 over classified genera:
    # sum_j |x_j - r_j| = sum_{j in ref} r_j + sum_{j in ref, x_j > 0} (|x_j - r_j| - r_j)
    #                     + (1 - sum_{j in ref} x_j)        [genera outside the reference]
    l1 = 1.0 + segment_sum(np.abs(x - r_nz) - r_nz, R.indptr) + 1.0 - segment_sum(x, R.indptr)
    score = np.where(total > 0, np.clip(l1 / 2.0, 0.0, 1.0), np.nan)
    return pd.Series(score, index=cohort.samples.index, name="dysbiosis")


#: Why ``dysbiosis`` is missing: the sample has no classified genus.
NO_GENUS = "no classified genus in this sample to compare with the healthy reference's genera"


def missing_reason(score: pd.Series) -> pd.Series:
    """``dysbiosis_missing``: :data:`NO_GENUS` where :func:`dysbiosis` is missing, else ""."""
    return pd.Series(np.where(score.isna(), NO_GENUS, ""), index=score.index, name="dysbiosis_missing", dtype=object)
