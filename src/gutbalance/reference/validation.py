r"""How well a score separates two labelled groups: ROC AUC with a bootstrap interval.

The convention, everywhere in gutbalance: the **label** group is the one a
good score should rank *higher* (healthy people, in ``gutbalance validate
--label diagnosis=control``), the **against** group the other (disease), and

.. math::

    \mathrm{AUC} = P(s_{\text{label}} > s_{\text{against}}) + \tfrac12 P(s_{\text{label}} = s_{\text{against}})

over all label x against pairs: the Mann-Whitney :math:`U` of the label group
divided by :math:`n_{\text{label}} n_{\text{against}}` (Hanley & McNeil 1982,
doi:10.1148/radiology.143.1.7063747).  0.5 is chance; above 0.5 the score is
higher in the label group; a score that is *lower* in healthy people
(``dysbiosis``) has an AUC below 0.5 by this convention, never flipped.

The interval is a percentile bootstrap that resamples within each group
(stratified: every replicate keeps both groups' sizes), or resamples whole
clusters (``cluster=``: people with several samples) within each group, so
repeated samples of one person do not narrow the interval.

Per study and pooled: for fixed (uncalibrated) scores, "leave one study out"
is each study's own AUC plus the AUC pooled over all studies.  A calibrated
score evaluated out-of-fold (fitted without the study it is tested on) goes
through the same :func:`auc_table`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from ..errors import DataError

__all__ = ["POOLED", "VALIDATION_COLUMNS", "auc", "auc_interval", "auc_table", "per_person", "roc_curve", "roc_curves",
           "study_subsets"]

#: The ``study`` value of the row computed over every study together.
POOLED = "pooled"
#: Fewest samples per group for a bootstrap interval: below it the percentile
#: bootstrap of an AUC collapses onto a few values (1 vs 1 gives 1.00-1.00).
MIN_GROUP_FOR_INTERVAL = 5

VALIDATION_COLUMNS = ["score", "study", "auc", "low", "high", "n_label", "n_against", "note"]


def _as_arrays(scores, labels) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels)
    if y.dtype != bool:
        raise DataError("labels must be booleans: True = the label group (expected higher), False = against")
    if s.shape != y.shape or s.ndim != 1:
        raise DataError(f"scores and labels must be 1-D and of one length, got {s.shape} and {y.shape}")
    return s, y


def _auc_rows(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """AUC of each row of ``s`` (replicates x samples) with the same group mask ``y``."""
    ranks = rankdata(s, axis=-1)  # average ranks: ties count one half
    n1 = int(y.sum())
    n0 = y.size - n1
    u = ranks[..., y].sum(axis=-1) - n1 * (n1 + 1) / 2.0
    return u / (n1 * n0)


def _weighted_auc(s: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """AUC for each row of sample weights ``w`` (replicates x samples): pairs
    count with the product of their weights, ties one half."""
    order = np.argsort(s, kind="mergesort")
    s, y, w = s[order], y[order], w[:, order]
    group = np.r_[0, np.cumsum(np.diff(s) != 0)]  # tied scores share a group
    n_groups = group[-1] + 1
    neg = np.zeros((w.shape[0], n_groups))
    np.add.at(neg.T, group[~y], w[:, ~y].T)
    below = np.cumsum(neg, axis=1) - neg  # against weight strictly below each group
    wins = (w[:, y] * (below[:, group[y]] + 0.5 * neg[:, group[y]])).sum(axis=1)
    total = w[:, y].sum(axis=1) * w[:, ~y].sum(axis=1)
    return wins / total


def auc(scores, labels) -> float:
    """ROC AUC of ``scores`` for ``labels`` (True = label group, expected higher).

    NaN scores are left out; NaN when either group is then empty.

    >>> auc([3.0, 2.0, 1.0, 0.5], [True, True, False, False])
    1.0
    >>> auc([1.0, 1.0], [True, False])
    0.5
    """
    s, y = _as_arrays(scores, labels)
    keep = np.isfinite(s)
    s, y = s[keep], y[keep]
    if y.all() or not y.any():
        return float("nan")
    return float(_auc_rows(s, y))


def roc_curve(scores, labels) -> tuple[np.ndarray, np.ndarray]:
    """The ROC curve: false- and true-positive rates for every threshold.

    A sample is called "label" when its score is at least the threshold;
    thresholds run from above the highest score down, so the curve goes from
    (0, 0) to (1, 1) and its trapezoid area equals :func:`auc`.
    """
    s, y = _as_arrays(scores, labels)
    keep = np.isfinite(s)
    s, y = s[keep], y[keep]
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return np.array([0.0, 1.0]), np.array([0.0, 1.0])
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    # One point per distinct score: tied samples move together (a diagonal step).
    last = np.r_[np.flatnonzero(np.diff(s) != 0), s.size - 1]
    tp = np.cumsum(y)[last]
    fp = np.cumsum(~y)[last]
    return np.r_[0.0, fp / n0], np.r_[0.0, tp / n1]


def auc_interval(
    scores,
    labels,
    *,
    cluster: Sequence | None = None,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of :func:`auc`.

    Resamples samples with replacement within each group, or, with
    ``cluster`` (one id per sample, e.g. the person), whole clusters within
    each group (a person with samples in both groups is resampled
    separately in each).
    Deterministic for a given ``seed``.
    """
    s, y = _as_arrays(scores, labels)
    keep = np.isfinite(s)
    s, y = s[keep], y[keep]
    if y.all() or not y.any() or n_boot < 1:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    alpha = (1.0 - level) / 2.0
    # Each replicate is a multiplicity per sample (how often it was drawn):
    # resampling samples, or whole clusters, within each group.
    units = np.arange(s.size) if cluster is None else pd.factorize(np.asarray(cluster, dtype=object)[keep])[0]
    counts = np.zeros((n_boot, s.size))
    for flag in (True, False):
        members = np.flatnonzero(y == flag)
        ids, member_unit = np.unique(units[members], return_inverse=True)
        drawn = rng.integers(0, ids.size, size=(n_boot, ids.size))
        offsets = (drawn + ids.size * np.arange(n_boot)[:, None]).ravel()
        per_unit = np.bincount(offsets, minlength=n_boot * ids.size).reshape(n_boot, ids.size)
        counts[:, members] = per_unit[:, member_unit]
    values = _weighted_auc(s, y, counts)
    low, high = np.quantile(values, [alpha, 1.0 - alpha])
    return float(low), float(high)


def auc_table(
    scores: pd.DataFrame | pd.Series,
    labels: pd.Series,
    *,
    study: pd.Series | None = None,
    cluster: pd.Series | None = None,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    unit: str = "sample",
) -> pd.DataFrame:
    """AUC with a bootstrap interval of every score, per study and pooled.

    Parameters
    ----------
    scores
        Samples x scores (a Series is one score); indexed by sample.
    labels
        Per sample: True = label group (the score is expected higher there,
        e.g. healthy), False = against group; NaN/None = not compared.
    study
        Per sample, the study it belongs to; each study gets its own rows and
        a ``pooled`` row covers them all.  Samples without a study are left
        out.  Without ``study`` there is one ``pooled`` row per score.
    cluster
        Per sample, the person (or other unit) whose samples are resampled
        together by the bootstrap; a sample without one is a unit of its own.
    n_boot, level, seed
        Bootstrap replicates, interval level, random seed (the table is
        deterministic for a seed).
    unit
        What a row of ``scores`` is, for the notes ("sample", or "person"
        for :func:`per_person`'s rows).

    Returns
    -------
    DataFrame
        Columns ``score, study, auc, low, high, n_label, n_against, note``:
        one row per score and study, then the pooled row; ``note`` says why a
        row's AUC is NaN, or its interval (fewer than
        :data:`MIN_GROUP_FOR_INTERVAL` samples in a group).
    """
    frame = scores.to_frame() if isinstance(scores, pd.Series) else scores
    lab = pd.Series(labels).reindex(frame.index)
    subsets = study_subsets(lab, None if study is None else pd.Series(study))
    if len(subsets[-1][1]) == 0:
        raise DataError("no sample has both a label and a study: check the metadata's sample names and columns")
    cl = None
    if cluster is not None:
        # a sample without a cluster is a unit of its own: all of them as one
        # "nan" cluster were resampled as one block (an outside check)
        units = pd.Series(cluster).reindex(frame.index).astype(object).to_numpy()
        alone = pd.isna(units)
        # filled element by element: a list of tuples given to a masked
        # assignment is read as a 2-D array (a crash on the labelled sets)
        for i in np.flatnonzero(alone):
            units[i] = ("no cluster", frame.index[int(i)])
        cl = pd.Series(units, index=frame.index, dtype=object)
    across = _across_studies_note(lab, subsets, unit)
    rows = []
    for column in frame.columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        for name, members in subsets:
            v = values.reindex(members).to_numpy(dtype=float)
            finite = np.isfinite(v)
            y = lab.reindex(members).to_numpy(dtype=bool)[finite]
            v = v[finite]
            n1, n0 = int(y.sum()), int((~y).sum())
            notes = []
            if n1 == 0 or n0 == 0:
                side = "label" if n1 == 0 else "against"
                # a study without one of the groups is not a study of missing values: say which it is
                labelled = lab.reindex(members).to_numpy(dtype=bool)
                if not (labelled if side == "label" else ~labelled).any():
                    notes.append(f"this study has no {side} {unit}")
                else:
                    notes.append(f"no {side} {unit} with a value of {column}")
                value, low, high = float("nan"), float("nan"), float("nan")
            else:
                value = auc(v, y)
                if min(n1, n0) < MIN_GROUP_FOR_INTERVAL:
                    # Resampling one or two samples gives an interval such as 1.00-1.00, which reads as
                    # certainty; the AUC is kept (it is what the data say), its interval is not drawn.
                    small = "label" if n1 <= n0 else "against"
                    notes.append(f"only {min(n1, n0)} {small} {_plural(unit)} with a value of {column}: "
                                 f"no interval below {MIN_GROUP_FOR_INTERVAL} per group")
                    low, high = float("nan"), float("nan")
                else:
                    groups = None if cl is None else cl.reindex(members).to_numpy()[finite]
                    low, high = auc_interval(v, y, cluster=groups, n_boot=n_boot, level=level, seed=seed)
            if (~finite).any():
                notes.append(f"{int((~finite).sum())} {_plural(unit)} with no value left out")
            if name == POOLED and across and np.isfinite(value):
                notes.append(across)
            rows.append((column, name, value, low, high, n1, n0, "; ".join(notes)))
    return pd.DataFrame(rows, columns=VALIDATION_COLUMNS)


def _across_studies_note(labels: pd.Series, subsets: list[tuple[str, pd.Index]], unit: str) -> str:
    """The pooled row's note where most compared samples are in a study that holds one group only.

    Their pairs are all between two studies, so the pooled AUC measures what differs between the
    studies (country, depth, profiler) as much as the groups: with GAN-GMHI's validation table
    without Wirbel 2019 (every study one group), GMWI2 pooled at 0.848 while no study could be
    evaluated (an outside check).  Where every study holds both groups the pooled AUC mixes
    within- and between-study pairs of like make-up, and nothing is said."""
    studies = subsets[:-1]
    if len(studies) < 2:
        return ""
    compared = len(subsets[-1][1])
    mixed = 0
    for _, members in studies:
        y = labels.reindex(members).to_numpy(dtype=bool)
        if y.any() and not y.all():
            mixed += len(members)
    if 2 * mixed >= compared:
        return ""
    if mixed == 0:
        return ("no study holds both groups: every pair the pooled AUC compares is of two studies, so it "
                "follows what differs between the studies as much as the groups")
    return (f"only {mixed} of the {compared} compared {_plural(unit)} are in a study that holds both groups; "
            "the others are compared across studies only, so the pooled AUC follows what differs between the "
            "studies as much as the groups")


def _plural(unit: str) -> str:
    return "people" if unit == "person" else f"{unit}(s)"


def per_person(
    scores: pd.DataFrame,
    labels: pd.Series,
    person: pd.Series,
    study: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.Series, pd.Series | None]:
    """One row per person and group: the median of each score over the
    person's samples, so that every person counts once in the AUC (repeated
    samples of a few people otherwise weigh as much as many people).

    A person with samples in both groups (a label that changed over time)
    gives one row per group, ``"<person> (label)"`` and ``"<person>
    (against)"``.  Samples without a label or a person are left out; a score
    a person has no value of is missing for them (the median skips missing
    samples).  ``study`` must name one study per person and group.

    Returns the aggregated scores, labels and study (``None`` without one),
    indexed by person.
    """
    lab = pd.Series(labels).reindex(scores.index)
    who = pd.Series(person).reindex(scores.index).astype("string").str.strip()
    keep = (lab.notna() & who.notna() & (who != "")).to_numpy(dtype=bool)
    if not keep.any():
        raise DataError("no labelled sample names a person: check the metadata column given for the person")
    lab, who = lab[keep].astype(bool), who[keep].astype(str)
    both = set(who[lab]) & set(who[~lab])
    unit = pd.Series([f"{w} ({'label' if y else 'against'})" if w in both else w
                      for w, y in zip(who, lab, strict=True)], index=who.index)
    values = scores.loc[unit.index].apply(pd.to_numeric, errors="coerce")
    out = values.groupby(unit, sort=False).median()
    out_labels = lab.groupby(unit, sort=False).first().reindex(out.index)
    out_study = None
    if study is not None:
        st = pd.Series(study).reindex(unit.index).astype("string")
        spread = st.groupby(unit, sort=False).nunique(dropna=True)
        if (spread > 1).any():
            name = spread.index[spread > 1][0]
            raise DataError(f"person {name!r} has samples in {int(spread[name])} studies: one person, one study")
        out_study = st.groupby(unit, sort=False).first().reindex(out.index)
    out.index.name = "person"
    return out, out_labels, out_study


def study_subsets(labels: pd.Series, study: pd.Series | None = None) -> list[tuple[str, pd.Index]]:
    """The samples of each study that have a label, then all of them (``pooled``)."""
    known = labels.notna()
    if study is None:
        return [(POOLED, labels.index[known])]
    st = study.reindex(labels.index)
    known &= st.notna() & (st.astype(str) != "")
    out = [(name, labels.index[known & (st.astype(str) == name)]) for name in dict.fromkeys(st[known].astype(str))]
    out.append((POOLED, labels.index[known]))
    return out


def roc_curves(
    scores: pd.DataFrame,
    labels: pd.Series,
    *,
    study: pd.Series | None = None,
) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """``(score, study) -> (fpr, tpr)`` for every score column, per study and pooled."""
    out = {}
    for name, members in study_subsets(labels.reindex(scores.index), study):
        y = labels.reindex(members).to_numpy(dtype=bool)
        for column in scores.columns:
            out[(column, name)] = roc_curve(pd.to_numeric(scores.loc[members, column], errors="coerce"), y)
    return out
