"""Comparing groups of samples, score by score.

For every score and every pair of groups: the two-sided Mann-Whitney U test
(Mann & Whitney 1947, doi:10.1214/aoms/1177730491; scipy's exact or
asymptotic method as it chooses), the rank-biserial correlation as effect
size, ``r = 2 U_a / (n_a n_b) - 1`` = P(a > b) - P(a < b) (Kerby 2014,
doi:10.2466/11.IT.3.1; positive when group a tends to be higher), and
Benjamini-Hochberg adjusted p-values (q) over all tests of one grouping
column (Benjamini & Hochberg 1995, doi:10.1111/j.2517-6161.1995.tb02031.x).

These are descriptions of the samples at hand, not diagnostic tests.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy import stats

#: Groups smaller than this are not compared (a test on 1-2 samples says nothing).
MIN_GROUP_SIZE = 3
#: A metadata column with more distinct values than this is not a grouping.
MAX_GROUPS = 6
#: Columns every Cohort has that are never groupings.
BUILTIN_COLUMNS = frozenset({"unassigned", "source_file", "source_format", "database", "n_runs"})

REFERENCES = (
    "Mann HB, Whitney DR (1947) Ann Math Stat 18:50-60. doi:10.1214/aoms/1177730491",
    "Kerby DS (2014) The simple difference formula: an approach to teaching nonparametric correlation. "
    "Comprehensive Psychology 3:11.IT.3.1. doi:10.2466/11.IT.3.1",
    "Benjamini Y, Hochberg Y (1995) J R Stat Soc B 57:289-300. doi:10.1111/j.2517-6161.1995.tb02031.x",
)


def grouping_columns(metadata: pd.DataFrame, *, exclude=()) -> list[str]:
    """Metadata columns that split the samples into 2 to MAX_GROUPS groups,
    at least two of which have MIN_GROUP_SIZE samples or more."""
    out = []
    for col in metadata.columns:
        if col in BUILTIN_COLUMNS or col in exclude:
            continue
        series = metadata[col]
        if pd.api.types.is_float_dtype(series):
            continue  # measurements (age, BMI), not groups
        values = series.dropna().astype(str)
        values = values[values.str.strip() != ""]
        counts = values.value_counts()
        if 2 <= len(counts) <= MAX_GROUPS and (counts >= MIN_GROUP_SIZE).sum() >= 2:
            out.append(str(col))
    return out


def rank_biserial(u_a: float, n_a: int, n_b: int) -> float:
    """Rank-biserial correlation from group a's U statistic."""
    return 2.0 * u_a / (n_a * n_b) - 1.0


def compare_groups(scores: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Mann-Whitney U, rank-biserial r and BH q for every score and group pair.

    Parameters
    ----------
    scores
        Numeric score columns, indexed by sample.
    groups
        Group label of each sample (same index; missing labels are left out).

    Returns
    -------
    DataFrame
        Columns: score, group_a, group_b, n_a, n_b, median_a, median_b, u,
        p, rank_biserial, q.  Empty when fewer than two groups are large enough.
    """
    labels = groups.reindex(scores.index)
    labels = labels[labels.notna() & (labels.astype(str).str.strip() != "")].astype(str)
    counts = labels.value_counts()
    levels = sorted(counts[counts >= MIN_GROUP_SIZE].index)
    rows = []
    for col in scores.columns:
        if not pd.api.types.is_numeric_dtype(scores[col]) or pd.api.types.is_bool_dtype(scores[col]):
            continue
        values = scores.loc[labels.index, col].astype(float)
        for a, b in itertools.combinations(levels, 2):
            xa = values[labels == a].dropna().to_numpy()
            xb = values[labels == b].dropna().to_numpy()
            if len(xa) < MIN_GROUP_SIZE or len(xb) < MIN_GROUP_SIZE:
                continue
            if np.ptp(np.concatenate([xa, xb])) == 0:
                u, p = len(xa) * len(xb) / 2.0, 1.0  # all equal: no difference to test
            else:
                res = stats.mannwhitneyu(xa, xb, alternative="two-sided")
                u, p = float(res.statistic), float(res.pvalue)
            rows.append(
                {
                    "score": str(col),
                    "group_a": a,
                    "group_b": b,
                    "n_a": len(xa),
                    "n_b": len(xb),
                    "median_a": float(np.median(xa)),
                    "median_b": float(np.median(xb)),
                    "u": u,
                    "p": p,
                    "rank_biserial": rank_biserial(u, len(xa), len(xb)),
                }
            )
    frame = pd.DataFrame(rows, columns=["score", "group_a", "group_b", "n_a", "n_b", "median_a", "median_b", "u", "p", "rank_biserial"])
    frame["q"] = stats.false_discovery_control(frame["p"].to_numpy(), method="bh") if len(frame) else []
    return frame
