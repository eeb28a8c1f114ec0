"""Can gutbalance describe this sample?  Two checks of the profile itself.

**Does it look like stool?**  gutbalance scores gut (stool) communities; an
oral, skin, vaginal or environmental sample still gets numbers from every
formula, and those numbers mean nothing.  The check compares two shares of a
sample's named bacterial and archaeal genus abundance (phages and fungi left
out):

* the **gut core**: the genera with a non-zero median abundance in healthy
  stool metagenomes (GMWI web tool, Chang et al. 2023, doi:10.1093/bioinformatics/btad061;
  ``data/healthy_reference_genus.tsv``, the table the dysbiosis score uses),
  without every genus ``data/body_site_markers.tsv`` lists for another site
  (*Streptococcus*, *Veillonella*, *Haemophilus*: oral) or as **shared**
  (*Prevotella*, *Segatella*: as typical of the mouth as of stool, Human
  Microbiome Project 2012, doi:10.1038/nature11234); a shared genus counts
  through its species only: *P. copri* and *P. stercorea* (isolated from
  faeces) to the gut, the oral *Prevotella* species (Dewhirst et al. 2010) to
  the mouth, the rest of it to neither;
* the taxa typical of the **mouth, skin, nose and vagina** in healthy adults,
  and of **sewage** (*Arcobacter*, *Acinetobacter*, *Aeromonas*,
  *Trichococcus*: the sewer-pipe residents that dominate sewage influent and
  are not major members of human faeces, McLellan & Roguet 2019,
  doi:10.1016/j.copbio.2018.12.010) (``data/body_site_markers.tsv``, each
  row with its source, evidence and host).

A sample is **not** ``stool_like`` when less than ``min_gut_evidence_share``
(``data/sample_checks.tsv``, 0.5 %) of its named genus abundance is in the gut
core, whatever the other sites hold: no positive evidence of a gut community
(taxpasta's MetaPhlAn 4 profile ERR7569997, mostly *Cloacimonas*: 0.02 %).
The threshold is measured: a tenth of the lowest share of any sample of
../shared/data the next rule calls stool (6.05 %, an iHMP IBDMDB run), rounded
down (``scripts/check_sample_type.py`` prints the figures).  It is also **not**
``stool_like`` when less than ``min_gut_core_share``
(``data/sample_checks.tsv``, 10 %) of its named genus abundance is in the gut
core *and* the taxa of one other body site hold more than the gut core does.
Healthy stool has most of its abundance in the core (the 457 Zeller et al.
runs: at least 39 %, median 81 %); a mouth, skin or vaginal community has
almost none there and most in its own genera.  The second condition keeps a
dysbiotic stool dominated by one gut genus outside the core (a QIIME 2
ulcerative colitis sample: 94 % *Flavonifractor*) stool-like.  Stool dominated
by dairy or probiotic lactobacilli and streptococci (some samples of the kefir
study: *Lactobacillus* and *Streptococcus*, no core genus) is flagged, which is
what it is: unlike the stool the scores describe.  Sewage carries human
faecal bacteria (6-8 % of the named genus abundance in the gut core in three
real wastewater metagenomes, as much as the least of real stool) but more of
the sewer residents (14-16 % there), so the second rule calls it not stool.
Other environmental samples, whose genera are neither gut, body-site nor
sewer genera, are recognised only by the first rule (when they hold less than
0.5 % gut-core genera).  Before
*Prevotella* was left out of the core (as this text always said), 4 of the 9
tongue samples of the QIIME 2 Moving Pictures data passed as stool on their
oral *Prevotella* (docs/tried-on-public-data.md).

This is a plausibility check, not a classifier of body sites: it cannot say
that a sample *is* oral, only that it does not look like the stool the scores
were made for.

**Too few reads?**  A sample read with observed read counts (an amplicon
table, a Kraken report: :func:`gutbalance.indices.diversity.observed_counts`)
with fewer than ``min_classified_reads`` (1,250, the American Gut Project's
depth) reads classified to a domain is warned: a few hundred reads do not
describe a community.  This is also what gives away amplicons of another gene
classified against a 16S database (fungal ITS runs keep only the few bacterial
reads that match it); nothing else in such a profile tells, since the reads
that match are bacterial.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from ..citations import Citations, DataTable, packaged, read_data_table
from ..cohort import Cohort
from ..taxonomy import canonical_name
from ._data import read_table
from .diversity import observed_counts

SITES = ("oral", "skin", "nose", "vagina", "sewage")
_SITE_WORDS = {"oral": "the mouth", "skin": "skin", "nose": "the nose", "vagina": "the vagina",
               "sewage": "sewage and sewer pipes"}
#: How the rows of the two tables of this module cite their evidence.
CHECK_CITATIONS = Citations(evidence="evidence", source="source", host="host")


@lru_cache(maxsize=1)
def thresholds() -> dict[str, float]:
    """``data/sample_checks.tsv`` as ``{name: value}``."""
    table = read_data_table(packaged("gutbalance.indices", "sample_checks.tsv"), citations=CHECK_CITATIONS,
                            required=("name", "value"))
    out = {}
    for row in table.rows:
        try:
            out[str(row["name"])] = float(row["value"])
        except ValueError:
            raise table.error(f"{row['value']!r} is not a number", line=int(row["line"]), column="value") from None
    for name in ("min_gut_core_share", "min_gut_evidence_share", "min_classified_reads", "min_reach"):
        if name not in out:
            raise table.error(f"no row {name!r}")
    return out


@lru_cache(maxsize=1)
def marker_taxa() -> dict[str, frozenset[str]]:
    """Feature ids (``g__X``, ``s__X y``) that count towards the gut and towards
    each other body site (``gut``, ``oral``, ``skin``, ``nose``, ``vagina``),
    from ``data/body_site_markers.tsv``."""
    return markers_of(read_data_table(packaged("gutbalance.indices", "body_site_markers.tsv"),
                                      citations=CHECK_CITATIONS, required=("site", "rank", "taxon")))


def markers_of(table: DataTable) -> dict[str, frozenset[str]]:
    """:func:`marker_taxa` of one read marker table.

    Raises
    ------
    DataTableError
        An unknown site, a rank the site cannot have, or a species outside
        the shared genera, with the line.
    """
    rows = [(str(r["site"]), str(r["rank"]), str(r["taxon"]), int(r["line"])) for r in table.rows]
    known = {*SITES, "shared", "gut"}
    for site, rank, _, line in rows:
        if site not in known:
            raise table.error(f"unknown site {site!r}; use one of {', '.join(sorted(known))}", line=line,
                              column="site")
        wanted = {"gut": ("species",), "shared": ("genus",)}.get(site, ("genus", "species"))
        if rank not in wanted:
            raise table.error(f"a {site} row names a {' or a '.join(wanted)}, not {rank!r}", line=line,
                              column="rank")
    shared = {name for site, rank, name, _ in rows if site == "shared"}
    for _, rank, name, line in rows:
        # A species counts on top of the genus shares only where its genus counts nowhere.
        if rank == "species" and name.split(" ")[0] not in shared:
            raise table.error(f"{name!r} is not in a shared genus ({', '.join(sorted(shared))})", line=line,
                              column="taxon")
    out: dict[str, frozenset[str]] = {}
    for wanted_site in ("gut", *SITES):
        out[wanted_site] = frozenset(
            ("g__" if rank == "genus" else "s__") + canonical_name(rank, name)
            for site, rank, name, _ in rows if site == wanted_site
        )
    listed = frozenset("g__" + canonical_name("genus", name) for _, rank, name, _ in rows if rank == "genus")
    out["gut"] = out["gut"] | (read_table_genera() - listed)
    return out


def read_table_genera() -> frozenset[str]:
    """Genus ids of the healthy stool reference (``data/healthy_reference_genus.tsv``)."""
    return frozenset("g__" + canonical_name("genus", g) for g in read_table("healthy_reference_genus.tsv")["genus"])


def site_shares(cohort: Cohort) -> pd.DataFrame:
    """Share of each sample's named genus abundance in the gut and in the taxa
    of each other site (columns ``gut``, ``oral``, ``skin``, ``nose``, ``vagina``; NaN
    for a sample with no named genus)."""
    taxa = cohort.taxa
    named = ~taxa["unclassified"].astype(bool) & taxa["domain"].isin(["Bacteria", "Archaea"])
    genus = ((taxa["rank"] == "genus") & named).to_numpy()
    species = ((taxa["rank"] == "species") & named).to_numpy()
    ids = taxa.index
    groups = marker_taxa()
    names = ["gut", *SITES]
    indicators = [genus] + [(genus | species) & ids.isin(list(groups[k])) for k in names]
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
    limits = thresholds()
    # Positive evidence of a gut community; NaN (no named genus) compares False, and is not judged.
    some_gut = ~(gut < limits["min_gut_evidence_share"])
    ok = np.where(known, ((gut >= limits["min_gut_core_share"]) | ~(elsewhere > gut)) & some_gut, True)
    warnings = []
    for i, row in enumerate(shares.itertuples(index=False)):
        if not known[i] or ok[i]:
            warnings.append("")
            continue
        if not some_gut[i] and not elsewhere[i] > row.gut:
            warnings.append(
                f"does not look like stool: only {row.gut:.2%} of the named genus abundance is in the genera of the "
                f"healthy stool core (the check asks at least {limits['min_gut_evidence_share']:.1%}, a tenth of the least "
                "of real stool), and little "
                "of it in taxa typical of the mouth, skin, nose, vagina or sewage either; the scores were made for stool "
                "and may not describe this sample"
            )
            continue
        site_values = {s: getattr(row, s) for s in SITES}
        site = max(site_values, key=site_values.__getitem__)
        like = f"; {site_values[site]:.0%} is in taxa typical of {_SITE_WORDS[site]}"
        warnings.append(
            f"does not look like stool: only {row.gut:.1%} of the named genus abundance is in the genera of the "
            f"healthy stool core{like}; the scores were made for stool and may not describe this sample"
        )
    flag = pd.array(np.where(known, ok, False), dtype="boolean")
    flag[~known] = pd.NA
    return pd.DataFrame({"stool_like": flag, "stool_warning": warnings}, index=cohort.samples.index)


def classified_reads(cohort: Cohort) -> pd.Series:
    """Reads classified to a domain, for each sample read with observed read
    counts (:func:`~gutbalance.indices.diversity.observed_counts`); NaN for
    the others (relative profiles, estimated reads)."""
    out = np.full(cohort.n_samples, np.nan)
    observed, _ = observed_counts(cohort)
    if cohort.counts is not None and observed.any():
        domains = (cohort.taxa["rank"] == "domain").to_numpy().astype(float)
        reads = np.asarray(cohort.counts @ domains).ravel()
        out[observed] = reads[observed]
    return pd.Series(out, index=cohort.samples.index, name="classified_reads")


def depth_warnings(cohort: Cohort) -> list[str]:
    """Per sample, the warning for too few classified reads ("" when none)."""
    least = thresholds()["min_classified_reads"]
    reads = classified_reads(cohort).to_numpy()
    return [
        f"only {r:,.0f} reads are classified (fewer than {least:,.0f}): too few to describe a community, "
        "or amplicons of another gene (fungal ITS, say) classified against a 16S database; the scores may not "
        "describe this sample" if r < least else ""
        for r in reads
    ]
