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


#: The families of scores, in the order their columns appear in scores.tsv.
SCORE_FAMILIES: list[Callable[[Cohort], pd.DataFrame]] = [
    diversity_scores,
    published_index_scores,
    ratio_scores,
    dysbiosis_scores,
]


def score(cohort: Cohort) -> pd.DataFrame:
    """One row per sample (index ``sample``) with every score gutbalance computes."""
    table = pd.concat([family(cohort) for family in SCORE_FAMILIES], axis=1)
    table.index.name = "sample"
    return table


def contributions(cohort: Cohort) -> dict[str, dict]:
    """What each sample's published indices are made of, for ``scores.json``.

    Returns
    -------
    ``{sample: {"gmhi": {"markers": [...]}, "gmwi2": {"calibrated", "database",
    "clades_matched", "note", "taxa": [...]}}}``; see
    :func:`gutbalance.indices.gmhi_contributions` and
    :func:`gutbalance.indices.gmwi2_contributions` for the list entries.
    """
    markers = gmhi_contributions(cohort)
    taxa = gmwi2_contributions(cohort)
    gmwi2 = gmwi2_table(cohort)
    databases = cohort.samples["database"] if "database" in cohort.samples else pd.Series("", index=gmwi2.index)
    out: dict[str, dict] = {}
    for sample, row in zip(cohort.sample_names, gmwi2.itertuples(index=False), strict=True):
        out[sample] = {
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
