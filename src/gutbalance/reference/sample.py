"""What one sample's page shows that has to be computed; the page only draws it.

:func:`sample_statistics` gathers, for one sample of a scores table: the
healthy population of the sample's kind of input, each score's percentile
and the quantiles of the reference and context populations it is drawn
against, why the sample has no percentiles (if so), a caveat when the sample
and the reference were profiled differently, and the sample's composition
(phyla, most abundant genera, named species) from the cohort's abundances.
:func:`gutbalance.report.render_sample_report` turns it into HTML.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd

from ..cohort import Cohort
from ..scores import DIVERSITY_COLUMNS
from .age import age_note
from .comparability import comparability_note, profiler_family, sample_diversity_note, sample_reference
from .core import Reference

#: Phyla named on the page; the rest are summed as "other phyla".
TOP_PHYLA = 7
#: Most abundant named genera on the page.
TOP_GENERA = 12
#: Shares below this (of the whole sample) are not drawn as their own slice.
SHARE_SHOWN = 1e-6


def distribution_summary(dist) -> dict[str, float] | None:
    """p5, p25, p50, p75, p95 of a reference distribution (None when there is none).

    The quantiles are computed once per distribution (:attr:`Distribution.summary`)
    and copied, so a page cannot change another page's figures.
    """
    if dist is None:
        return None
    return dict(dist.summary)


#: A species-level genome bin without a name (MetaPhlAn 4's SGBs).
_GENOME_BIN = r"(?:^GGB\d+|\bSGB\d+$)"


@dataclass
class ScorePosition:
    """One score of one sample placed against the sample's healthy population."""

    key: str
    #: The value as the scores table has it (NaN when missing).
    value: float
    #: The population has a distribution of this score (a percentile may still be withheld).
    has_reference: bool
    #: Percent of the healthy population below the value (None: missing value, no distribution, not comparable).
    percentile: float | None
    #: Quantiles of the healthy population (:func:`distribution_summary`), None without one or when not comparable.
    reference: dict[str, float] | None
    #: Quantiles of the first context population that has the score, for orientation only.
    context: dict[str, float] | None = None
    #: That population's label and size, in words ("" without one).
    context_label: str = ""


@dataclass
class Composition:
    """What a sample is made of, as shares of the whole sample (0-1)."""

    #: Not assigned to any domain by the profiler.
    unassigned: float
    #: ``[(name, share)]``: the largest phyla, then "other phyla" (assigned to a domain
    #: but to none of those) and "unassigned" where they are not negligible.
    phyla: list[tuple[str, float]]
    #: ``[(name, share)]`` of the most abundant named genera, largest first.
    genera: list[tuple[str, float]]
    #: Sum of the species-level profile.
    species_total: float
    #: Share of the species-level profile without a species name (NaN without species).
    species_unclassified: float
    #: Named species present.
    n_species: int


@dataclass
class SampleStatistics:
    """What the sample page shows besides the scores table itself (see :func:`sample_statistics`)."""

    sample: str
    #: The healthy reference seen from the sample's kind of input (its population is the primary); None without one.
    reference: Reference | None
    #: Why the sample has no percentiles against that reference ("" when it has).
    not_comparable: str
    #: Each score column in report order, placed against the reference.
    positions: list[ScorePosition] = field(default_factory=list)
    #: Caveat when the sample's profiler differs from the reference's (None when it does not, or when not comparable).
    profiler_note: str | None = None
    #: None when the cohort with the sample's abundances is not at hand.
    composition: Composition | None = None
    #: Why its diversity columns have no percentiles although its other scores have
    #: (diversity asked at another rank than the population's; "" otherwise).
    diversity_not_comparable: str = ""
    #: The caveat when the sample's age is outside the ages of its population (:func:`gutbalance.reference.age.age_note`;
    #: "" when inside, not known, or without percentiles).
    age_note: str = ""


def _finite(v) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def score_position(key: str, value: float, reference: Reference | None, *, comparable: bool = True) -> ScorePosition:
    """``value`` of score ``key`` against ``reference``'s primary population (and its first context population with the score).

    ``comparable`` False withholds the percentile and the populations'
    quantiles (a sample of another kind of input than the population: its
    figures do not describe what this sample's value would be among healthy
    people, so they are not given to be drawn beside it).
    """
    dist = reference.distribution(key) if reference else None
    context, context_label = None, ""
    if not comparable:
        return ScorePosition(key=key, value=value, has_reference=dist is not None, percentile=None, reference=None)
    if reference:
        for pop in reference.context.values():
            if key in pop.distributions:
                context = distribution_summary(pop.distributions[key])
                context_label = f"{pop.label} (n = {pop.n_people:,})"
                break
    percentile = float(dist.percentile([value])[0]) if dist is not None and comparable and _finite(value) else None
    return ScorePosition(key=key, value=value, has_reference=dist is not None, percentile=percentile,
                         reference=distribution_summary(dist), context=context, context_label=context_label)


def profiler_note(cohort: Cohort | None, sample: str, reference: Reference | None) -> str | None:
    """A caveat when the sample and the reference were profiled differently (None when they were not)."""
    if cohort is None or reference is None or "source_format" not in cohort.samples:
        return None
    ref_format = str(reference.primary.characteristics.get("source_format") or "")
    ref_profiler = str(reference.primary.characteristics.get("profiler") or ref_format)
    mine = str(cohort.samples.at[sample, "source_format"] or "") if sample in cohort.samples.index else ""
    if not ref_format or not mine or mine == ref_format:
        return None
    kind = reference.primary.kind or {}
    if kind.get("profiler"):
        # The population was chosen for the sample's profiler family; a
        # version difference within it has its own caveat in the warnings.
        database = str(cohort.samples.at[sample, "database"] or "") if "database" in cohort.samples else ""
        if profiler_family(mine, database) == kind["profiler"]:
            return None
    return (
        f"This sample's profile ({mine}) was made with a different profiler from the healthy reference ({ref_profiler}). "
        "Profilers and their databases find different numbers of species and name them differently, which shifts "
        "richness and the published indices most: read the percentiles as a rough guide."
    )


def _row(cohort: Cohort, rank: str, i: int, *, include_unclassified: bool = True) -> tuple[np.ndarray, pd.DataFrame]:
    """Sample ``i``'s clade abundances at ``rank`` (dense) and the taxa of the columns."""
    matrix, taxa = cohort.rank_matrix(rank, include_unclassified=include_unclassified)
    return np.asarray(matrix[i].todense()).ravel(), taxa


def _phylum_name(taxon: pd.Series) -> str:
    """A phylum as the composition lists it: a placeholder ("Viruses
    unclassified", which a page listed as a phylum of bacteria; an outside
    check) is its domain's phylum not named, and a phylum outside the bacteria
    and archaea names its domain."""
    domain = str(taxon.get("domain", "") or "")
    if bool(taxon.get("unclassified", False)):
        return f"{domain or 'unknown domain'}: phylum not named"
    name = str(taxon["name"])
    return name if domain in ("", "Bacteria", "Archaea") else f"{name} ({domain})"


def composition(cohort: Cohort, sample: str) -> Composition | None:
    """The phyla, most abundant named genera and named species of ``sample`` (None when the cohort has no such sample)."""
    if sample not in cohort.samples.index:
        return None
    i = int(cohort.samples.index.get_indexer(pd.Index([sample]))[0])
    unassigned = float(cohort.samples["unassigned"].iloc[i]) if "unassigned" in cohort.samples else 0.0
    row, taxa = _row(cohort, "phylum", i)
    phyla = [(_phylum_name(taxa.iloc[k]), float(row[k])) for k in np.argsort(-row) if row[k] > 0]
    items = phyla[:TOP_PHYLA]
    other = sum(v for _, v in phyla[TOP_PHYLA:])
    # what was assigned to a domain but to no phylum
    domains = cohort.rank_matrix("domain")[0][i].sum()
    other += max(float(domains) - sum(v for _, v in phyla), 0.0)
    if other > SHARE_SHOWN:
        items.append(("other phyla", other))
    if unassigned > SHARE_SHOWN:
        items.append(("unassigned", unassigned))
    grow, gtaxa = _row(cohort, "genus", i, include_unclassified=False)
    genera = [(str(gtaxa["name"].iloc[k]), float(grow[k])) for k in np.argsort(-grow)[:TOP_GENERA] if grow[k] > 0]
    srow, staxa = _row(cohort, "species", i)
    # MetaPhlAn 4's genome bins ("GGB9534 SGB14937", "Oscillospiraceae
    # unclassified SGB4196") are species without a name too: the sentence
    # said 0 % of a profile whose unnamed bins held 37.5 % (an outside check)
    unclassified = staxa["unclassified"].to_numpy(dtype=bool) | staxa["name"].astype(str).str.contains(
        _GENOME_BIN, regex=True).to_numpy(dtype=bool)
    species_total = float(srow.sum())
    return Composition(
        unassigned=unassigned,
        phyla=items,
        genera=genera,
        species_total=species_total,
        species_unclassified=float(srow[unclassified].sum() / species_total) if species_total > 0 else float("nan"),
        n_species=int((srow[~unclassified] > 0).sum()),
    )


def sample_statistics(
    sample: str,
    scores: pd.DataFrame,
    *,
    keys: Sequence[str],
    cohort: Cohort | None = None,
    reference: Reference | None = None,
    age: float | None = None,
) -> SampleStatistics:
    """Everything the page of ``sample`` shows that has to be computed.

    Parameters
    ----------
    sample
        A row of ``scores``.
    scores
        The scores table (index: sample) with the ``keys`` columns, and
        ``diversity_rank``/``warnings`` when the sample's kind of input is to
        choose its healthy population.
    keys
        The score columns, in report order.
    cohort
        The cohort with the sample's abundances and ``source_format``/``database``
        (its composition and kind of input); None when not at hand.
    reference
        The healthy reference; None for no percentiles.
    age
        The sample's age in years (None or NaN: not known); outside the ages
        of its population the page says so (``age_note``), the percentiles
        are unchanged.
    """
    row = scores.loc[sample]
    # the healthy population of the sample's own kind of input is the one drawn
    chosen = sample_reference(cohort, scores, sample, reference)
    not_comparable = comparability_note(cohort, scores, sample, chosen)
    other_rank = sample_diversity_note(cohort, scores, sample, chosen)
    return SampleStatistics(
        sample=sample,
        reference=chosen,
        not_comparable=not_comparable,
        # each value as the table holds it (a numpy scalar of a numeric column), formatted as is
        positions=[score_position(key, cast(float, row[key]), chosen,
                                  comparable=not not_comparable and not (other_rank and key in DIVERSITY_COLUMNS))
                   for key in keys],
        profiler_note=None if not_comparable else profiler_note(cohort, sample, chosen),
        composition=composition(cohort, sample) if cohort is not None else None,
        diversity_not_comparable=other_rank,
        age_note=age_note(age, chosen.primary.characteristics) if chosen is not None and not not_comparable else "",
    )
