"""Does a sample look like stool?  A marker check on genus composition.

gutbalance scores gut (stool) communities; an oral, skin, vaginal or
environmental sample still gets numbers from every formula, and those numbers
mean nothing.  The check compares two shares of a sample's named genus
abundance:

* the **gut core**: the genera with a non-zero median abundance in healthy
  stool metagenomes (GMWI web tool, Chang et al. 2023, doi:10.1093/bioinformatics/btad061;
  ``data/healthy_reference_genus.tsv``, the table the dysbiosis score uses),
  without those that are also typical of another body site
  (*Streptococcus*, *Veillonella*, *Haemophilus*, *Prevotella*: common in
  mouth and gut alike);
* the genera typical of the **mouth, skin and vagina** in healthy adults
  (Human Microbiome Project 2012, doi:10.1038/nature11234, and the surveys in
  ``data/body_site_genera.tsv``).

Both shares are of the bacterial and archaeal genera (phages and fungi left
out).  A sample is **not** ``stool_like`` when less than
:data:`MIN_GUT_CORE_SHARE` of its named genus abundance is in the gut core
*and* the genera of one other body site hold more than the gut core does.
Healthy stool has most of its abundance in the core (the 457 Zeller et al.
runs: at least 45 %, median 79 %; the GMWI2 example 93 %); a mouth, skin or
vaginal community has almost none there and most in its own genera.  The
second condition keeps a dysbiotic stool dominated by one gut genus outside
the core (a QIIME 2 ulcerative colitis sample: 94 % *Flavonifractor*) stool-like.
Stool dominated by dairy or probiotic lactobacilli and streptococci (some
samples of the kefir study: *Lactobacillus* and *Streptococcus*, no core
genus) is flagged, which is what it is: unlike the stool the scores describe.
Environmental samples, whose genera are neither gut nor body-site genera, are
not recognised by this check.

This is a plausibility check, not a classifier of body sites: it cannot say
that a sample *is* oral, only that it does not look like the stool the scores
were made for.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from ..cohort import Cohort
from ..taxonomy import canonical_name
from ._data import read_table

#: Least share of named genus abundance in gut core genera for a stool-like sample.
MIN_GUT_CORE_SHARE = 0.10
SITES = ("oral", "skin", "vagina")
_SITE_WORDS = {"oral": "the mouth", "skin": "skin", "vagina": "the vagina"}


@lru_cache(maxsize=1)
def marker_genera() -> dict[str, frozenset[str]]:
    """Genus feature ids of the gut core and of each other body site."""
    sites = read_table("body_site_genera.tsv")
    out: dict[str, frozenset[str]] = {}
    for site in SITES:
        names = sites.loc[sites["site"] == site, "genus"]
        out[site] = frozenset("g__" + canonical_name("genus", g) for g in names)
    elsewhere = frozenset().union(*out.values())
    gut = read_table("healthy_reference_genus.tsv")["genus"]
    out["gut"] = frozenset("g__" + canonical_name("genus", g) for g in gut) - elsewhere
    return out


def site_shares(cohort: Cohort) -> pd.DataFrame:
    """Share of each sample's named genus abundance in the gut core and in the
    genera of each other site (columns ``gut``, ``oral``, ``skin``, ``vagina``;
    NaN for a sample with no named genus)."""
    taxa = cohort.taxa
    genus = (
        (taxa["rank"] == "genus") & ~taxa["unclassified"].astype(bool) & taxa["domain"].isin(["Bacteria", "Archaea"])
    ).to_numpy()
    ids = taxa.index
    groups = marker_genera()
    names = ["gut", *SITES]
    indicators = [genus] + [genus & ids.isin(list(groups[k])) for k in names]
    sums = np.asarray(cohort.X @ np.column_stack(indicators).astype(float))
    total = sums[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(total[:, None] > 0, sums[:, 1:] / total[:, None], np.nan)
    return pd.DataFrame(shares, index=cohort.samples.index, columns=names)


def stool_like(cohort: Cohort) -> pd.DataFrame:
    """``stool_like`` (True, False, or NA when no genus is named) and
    ``stool_warning`` (the warning text, "" when stool-like) per sample."""
    shares = site_shares(cohort)
    gut = shares["gut"].to_numpy()
    known = np.isfinite(gut)
    elsewhere = shares[list(SITES)].to_numpy().max(axis=1, initial=0.0)
    ok = np.where(known, (gut >= MIN_GUT_CORE_SHARE) | ~(elsewhere > gut), True)
    warnings = []
    for i, row in enumerate(shares.itertuples(index=False)):
        if not known[i] or ok[i]:
            warnings.append("")
            continue
        site_values = {s: getattr(row, s) for s in SITES}
        site = max(site_values, key=site_values.__getitem__)
        like = f"; {site_values[site]:.0%} is in genera typical of {_SITE_WORDS[site]}"
        warnings.append(
            f"does not look like stool: only {row.gut:.1%} of the named genus abundance is in the genera of the "
            f"healthy stool core{like}; the scores were made for stool and may not describe this sample"
        )
    flag = pd.array(np.where(known, ok, False), dtype="boolean")
    flag[~known] = pd.NA
    return pd.DataFrame({"stool_like": flag, "stool_warning": warnings}, index=cohort.samples.index)
