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

A whole study at one rank
-------------------------
``auto`` (the default) takes each sample's finest resolved rank, so in a 16S
genus table where most samples resolve genus, one whose few amplicon
variants carry species names for half its abundance gets a species richness
and one classified mostly to family a family richness: the study's richness
and Shannon are then at different ranks and not comparable.  A fixed rank
(``analyze --diversity-rank genus``, ``score(cohort, diversity_rank="genus")``)
is a parameter of the run: every sample's diversity is at that rank, and a
sample that does not resolve it (less than :data:`MIN_RESOLVED_SHARE` named
there) has its diversity missing with the reason (:func:`unresolved_reason`),
never a number at another rank.  Each sample's row still depends on that
sample and the parameters alone.  GMHI and GMWI2 keep their own test (the
sample's ``auto`` rank must be species), whatever rank diversity is asked at.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..cohort import Cohort
from ..errors import DataError

#: Finest first: the ranks diversity may be computed at.
RESOLUTION_RANKS = ("species", "genus", "family", "order", "class", "phylum")
#: Share of a sample's classified abundance that must be named at a rank.
MIN_RESOLVED_SHARE = 0.5
#: Why a sample has no diversity_rank (and so no GMHI or GMWI2): at every
#: rank from species to phylum, less than half of its classified abundance is
#: named (nothing classified at all, or named rows adding up to little of it).
NO_RESOLVED_RANK = "less than half of the classified abundance is named at any one rank from species to phylum"
#: Why a sample with nothing classified at all has no diversity_rank: the
#: "less than half of the classified abundance" of NO_RESOLVED_RANK would
#: describe a share of nothing.
NOTHING_CLASSIFIED = "nothing in it is classified: all of its abundance is unassigned"
#: Why a sample whose every value is 0 (an empty column of a merged table) has
#: no scores: it holds nothing, classified or unassigned.
NO_ABUNDANCE = "it holds no abundance: every value of it in the input is 0"
#: What a run may ask diversity to be computed at: each sample's finest
#: resolved rank (``auto``), or one rank for every sample.
DIVERSITY_RANK_CHOICES = ("auto", *RESOLUTION_RANKS)


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


def diversity_rank(cohort: Cohort, asked: str = "auto") -> pd.Series:
    """The rank each sample's diversity is computed at, or "" when it has
    none: with ``asked="auto"`` the finest rank it resolves (see the module
    docstring; "" when nothing classified or nothing named), with a rank
    (``"genus"``) that rank where the sample resolves it, else "".

    Raises
    ------
    DataError
        ``asked`` is neither ``auto`` nor one of :data:`RESOLUTION_RANKS`.
    """
    check_asked_rank(asked)
    if asked == "auto":
        shares = resolved_shares(cohort).to_numpy()
        ok = shares >= MIN_RESOLVED_SHARE
        first = np.argmax(ok, axis=1)
        has = ok.any(axis=1)
        ranks = np.array(RESOLUTION_RANKS, dtype=object)
        out = np.where(has, ranks[first], "")
    else:
        share = resolved_shares(cohort, (asked,))[asked].to_numpy()
        out = np.where(share >= MIN_RESOLVED_SHARE, asked, "").astype(object)
    return pd.Series(out, index=cohort.samples.index, name="diversity_rank", dtype=object)


def check_asked_rank(asked: str) -> None:
    """Refuse a diversity rank that is neither ``auto`` nor a rank diversity
    may be computed at, naming the choices."""
    if asked not in DIVERSITY_RANK_CHOICES:
        raise DataError(f"diversity rank {asked!r}: choose one of {', '.join(DIVERSITY_RANK_CHOICES)}")


def empty_reasons(cohort: Cohort) -> np.ndarray:
    """Per sample, why nothing in it is classified: :data:`NO_ABUNDANCE` where
    every value is 0 (nothing unassigned either), :data:`NOTHING_CLASSIFIED`
    where all of it is unassigned, "" where something is classified."""
    held = np.asarray(cohort.X.sum(axis=1)).ravel() > 0
    unassigned = cohort.samples["unassigned"].to_numpy(dtype=float)
    out = np.full(cohort.n_samples, "", dtype=object)
    out[~(cohort.classified() > 0) | ~held] = NOTHING_CLASSIFIED
    out[~held & ~(unassigned > 0)] = NO_ABUNDANCE
    return out


def nothing_classified(cohort: Cohort) -> np.ndarray:
    """Per sample, whether nothing in it is classified (all of it unassigned,
    or every value 0)."""
    return empty_reasons(cohort) != ""


def no_rank_reasons(cohort: Cohort) -> np.ndarray:
    """Per sample, why it resolves no rank from species to phylum: its
    :func:`empty_reasons` where nothing in it is classified, else
    :data:`NO_RESOLVED_RANK` (only read where the sample has no rank)."""
    empty = empty_reasons(cohort)
    return np.where(empty != "", empty, NO_RESOLVED_RANK).astype(object)


def not_species_reasons(cohort: Cohort, resolved_rank: pd.Series, definition: str) -> np.ndarray:
    """Per sample, "" where ``resolved_rank`` (its ``auto`` diversity rank) is
    species, else why an index defined on species (GMHI, GMWI2) has no value:
    ``definition`` (what the index is defined on) and the rank the sample
    resolves to, or why it resolves none (:func:`no_rank_reasons`), e.g.
    "GMHI is defined on species; this sample resolves only to genus rank".
    """
    rank = resolved_rank.reindex(cohort.samples.index).fillna("").to_numpy(dtype=object)
    reasons = [
        "" if r == "species" else f"{definition}; this sample resolves " + (f"only to {r} rank" if r else f"no rank ({why})")
        for r, why in zip(rank, no_rank_reasons(cohort), strict=True)
    ]
    return np.array(reasons, dtype=object)


def unresolved_reason(asked: str = "auto", *, empty: str = "") -> str:
    """Why a sample has no diversity when ``asked`` found no rank for it
    (``empty``: its :func:`empty_reasons`, why it has no classified abundance
    at all, "" where it has some)."""
    if empty:
        return empty
    if asked == "auto":
        return NO_RESOLVED_RANK
    return (f"less than half of the classified abundance is named at {asked} rank, the rank asked for the whole "
            f"run (diversity rank {asked}): no {asked} richness or Shannon, and none at another rank")
