"""The scores table: every index and pillar for every sample of a Cohort.

``score(cohort)`` is what ``gutbalance analyze`` writes to ``scores.tsv``;
``contributions(cohort)`` is what explains it in ``scores.json``.

Structure: one function per family of scores, each taking the Cohort and
returning a DataFrame indexed like ``cohort.samples`` with its own columns;
:data:`SCORE_FAMILIES` lists them in column order and :func:`score` joins them.
Every family is vectorised over the sparse cohort and never writes NaN.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from .cohort import Cohort
from .indices.diversity import alpha_diversity, chao1
from .indices.dysbiosis import dysbiosis
from .indices.gmhi import gmhi_contributions, gmhi_table
from .indices.gmwi2 import gmwi2_contributions, gmwi2_table
from .indices.ratios import log2_ratios
from .pillars import PILLARS, pillar_scores


def diversity_scores(cohort: Cohort) -> pd.DataFrame:
    """richness, shannon, simpson, inverse_simpson, evenness; and chao1 only
    when the cohort has read counts (see :func:`gutbalance.indices.chao1`)."""
    table = alpha_diversity(cohort)
    estimate = chao1(cohort)
    if estimate is not None:
        table["chao1"] = estimate
    return table


def published_index_scores(cohort: Cohort) -> pd.DataFrame:
    """gmhi (Gupta et al. 2020) and gmwi2 (Chang, Gupta et al. 2024)."""
    return pd.DataFrame({"gmhi": gmhi_table(cohort)["gmhi"], "gmwi2": gmwi2_table(cohort)["gmwi2"]})


def ratio_scores(cohort: Cohort) -> pd.DataFrame:
    """firmicutes_bacteroidetes_log2 and prevotella_bacteroides_log2."""
    return log2_ratios(cohort)


def dysbiosis_scores(cohort: Cohort) -> pd.DataFrame:
    """dysbiosis: Bray-Curtis dissimilarity from the healthy reference."""
    return dysbiosis(cohort).to_frame()


#: The families of published indices and statistics, in column order.
SCORE_FAMILIES: list[Callable[[Cohort], pd.DataFrame]] = [
    diversity_scores,
    published_index_scores,
    ratio_scores,
    dysbiosis_scores,
]

#: Columns of the scores table that describe the input rather than score it
#: (no reference distribution, no percentile).
DESCRIPTIVE_COLUMNS = frozenset({"placed"})

#: The first columns of scores.tsv, in order; the rest follow.
LEAD_COLUMNS = ["immune_support", *PILLARS, "gmhi", "gmwi2", "shannon", "simpson", "richness", "evenness", "coverage"]


def score(cohort: Cohort, *, percentiles: bool = True) -> pd.DataFrame:
    """One row per sample (index ``sample``) with every score gutbalance computes.

    Columns: ``immune_support`` and the five pillars (0-100), the published
    indices (``gmhi``, ``gmwi2``), diversity, ratios, ``dysbiosis``, each
    pillar's ``<pillar>_confidence`` and ``coverage`` (0-1), and with
    ``percentiles`` a ``<score>_percentile`` column per score against the
    shipped healthy reference (:mod:`gutbalance.reference`).
    """
    return score_with_contributions(cohort, percentiles=percentiles, explain=False)[0]


def contributions(cohort: Cohort) -> dict[str, dict]:
    """What each sample's scores are made of, for ``scores.json``.

    Returns
    -------
    ``{sample: {pillar: [taxa that raised (+) or lowered (-) it, for each of
    the five pillars], "gmhi": {"markers": [...]}, "gmwi2": {"calibrated", "database",
    "clades_matched", "note", "taxa": [...]}}}``; see
    :func:`gutbalance.indices.gmhi_contributions` and
    :func:`gutbalance.indices.gmwi2_contributions` for the list entries.
    """
    return score_with_contributions(cohort, percentiles=False)[1]


def score_with_contributions(
    cohort: Cohort, *, percentiles: bool = True, explain: bool = True
) -> tuple[pd.DataFrame, dict[str, dict]]:
    """:func:`score` and :func:`contributions` in one pass: the pillar
    scores and their contributing taxa come from the same computation."""
    families = [family(cohort) for family in SCORE_FAMILIES]
    table = pd.concat(families, axis=1)
    result = pillar_scores(
        cohort,
        shannon=table["shannon"].to_numpy(),
        dysbiosis=table["dysbiosis"].to_numpy(),
        contributions=explain,
    )
    table = pd.concat([result.scores, table], axis=1)
    order = LEAD_COLUMNS + [c for c in table.columns if c not in LEAD_COLUMNS]
    table = table[order]
    if "placed" in cohort.samples:
        # Share of the classified abundance placed into a lineage (cohort.place_profile).
        table["placed"] = cohort.samples["placed"].to_numpy(dtype=float)
    if percentiles:
        from .reference import percentiles as reference_percentiles

        table = table.join(reference_percentiles(table))
    table.index.name = "sample"
    return table, (_explain(cohort, result.contributions) if explain else {})


def _explain(cohort: Cohort, pillars: dict[str, dict]) -> dict[str, dict]:
    markers = gmhi_contributions(cohort)
    taxa = gmwi2_contributions(cohort)
    gmwi2 = gmwi2_table(cohort)
    databases = cohort.samples["database"] if "database" in cohort.samples else pd.Series("", index=gmwi2.index)
    out: dict[str, dict] = {}
    for sample, row in zip(cohort.sample_names, gmwi2.itertuples(index=False), strict=True):
        out[sample] = {
            **pillars.get(sample, {}),
            "gmhi": {"markers": markers[sample]},
            "gmwi2": {
                "calibrated": bool(row.gmwi2_calibrated),
                "database": str(databases.get(sample, "") or ""),
                "clades_matched": int(row.gmwi2_clades_matched),
                "note": row.gmwi2_note,
                "taxa": taxa[sample],
            },
        }
    return out
