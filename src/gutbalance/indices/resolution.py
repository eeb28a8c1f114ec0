"""How finely each sample is resolved: the rank its diversity is computed at,
and what the indices built on species can say about it.

A sample *resolves* a rank when at least :data:`MIN_RESOLVED_SHARE` of its
classified abundance is placed, under a real name (placeholders such as
``Lachnospiraceae unclassified`` do not count), at that rank.  The
``diversity_rank`` of a sample is the finest rank it resolves, from species
up to phylum; a genus-level 16S table gets genus, a MetaPhlAn, mOTUs or
Bracken profile species.  Per sample, from that sample alone: no other sample
of the run changes it.

Why a share and not "any species at all": SILVA and Greengenes genus tables
name a species for a few amplicon variants, and a Kraken report places some
reads at species and most at higher ranks; a few species then would give a
species richness of 3 for a community of hundreds of genera.  Half the
classified abundance is the smallest share at which the named taxa at the rank
are the community rather than a few of its members.  Every real stool profile
in ``../shared/data`` resolves species with at least 0.93 of its abundance
(mOTUs 3, MetaPhlAn 3, the QIIME 2 mock community), so the choice does not
depend on the exact value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..cohort import Cohort

#: Finest first: the ranks diversity may be computed at.
RESOLUTION_RANKS = ("species", "genus", "family", "order", "class", "phylum")
#: Share of a sample's classified abundance that must be named at a rank.
MIN_RESOLVED_SHARE = 0.5
#: Why a sample has no diversity_rank (and so no GMHI or GMWI2): at every
#: rank from species to phylum, less than half of its classified abundance is
#: named (nothing classified at all, or named rows adding up to little of it).
NO_RESOLVED_RANK = "less than half of the classified abundance is named at any one rank from species to phylum"


def resolved_shares(cohort: Cohort, ranks: tuple[str, ...] = RESOLUTION_RANKS) -> pd.DataFrame:
    """Share of each sample's classified abundance placed under a real name at
    each rank (columns: ranks; NaN for a sample with nothing classified)."""
    taxa = cohort.taxa
    rank = taxa["rank"].to_numpy()
    named = ~taxa["unclassified"].to_numpy(dtype=bool)
    indicators = np.column_stack([(rank == r) & named for r in ranks]).astype(float)
    sums = np.asarray(cohort.X @ indicators)
    classified = cohort.classified()
    # Species-only tables have no domain rows, so the classified fraction of
    # the sample (1 - unassigned) is the denominator, never a rank total.
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(classified[:, None] > 0, sums / classified[:, None], np.nan)
    return pd.DataFrame(shares, index=cohort.samples.index, columns=list(ranks))


def diversity_rank(cohort: Cohort) -> pd.Series:
    """The finest rank each sample resolves (see the module docstring), or ""
    when it resolves none (nothing classified, or nothing named)."""
    shares = resolved_shares(cohort).to_numpy()
    ok = shares >= MIN_RESOLVED_SHARE
    first = np.argmax(ok, axis=1)
    has = ok.any(axis=1)
    ranks = np.array(RESOLUTION_RANKS, dtype=object)
    out = np.where(has, ranks[first], "")
    return pd.Series(out, index=cohort.samples.index, name="diversity_rank", dtype=object)
