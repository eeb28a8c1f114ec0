"""The scores table: every index and pillar for every sample of a Cohort.

``score(cohort)`` is what ``gutbalance analyze`` writes to ``scores.tsv``.
"""

from __future__ import annotations

import pandas as pd

from .cohort import Cohort
from .indices.diversity import alpha_diversity


def score(cohort: Cohort) -> pd.DataFrame:
    """One row per sample (index ``sample``) with every score gutbalance computes."""
    table = alpha_diversity(cohort)
    table.index.name = "sample"
    return table
