"""The statistics of a cohort that the cohort report shows; the report only draws them.

:func:`cohort_statistics` gathers them for one scores table: each sample's
percentiles against the healthy population of its kind, the quantiles of
every score in the cohort and in the reference, and group comparisons.

Comparing groups of samples, score by score: for every score and every pair of groups: the two-sided Mann-Whitney U test
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
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import stats

from ..cohort import PROFILE_COLUMNS
from ..io import MISSING_TEXT
from ..scores import DIVERSITY_COLUMNS
from ..taxonomy import RANKS
from .comparability import (
    UNNAMED_PROFILER,
    UNNAMED_PROFILERS,
    diversity_rank_note,
    kind_note,
    mask_rows,
    sample_kinds_of,
)
from .core import PERCENTILE_SUFFIX, SUMMARY_QUANTILES, Reference
from .sample import distribution_summary

#: Groups smaller than this are not compared (a test on 1-2 samples says nothing).
MIN_GROUP_SIZE = 3
#: A metadata column with more distinct values than this is not a grouping.
MAX_GROUPS = 6
#: Columns a Cohort's samples table has of its own (``gutbalance.cohort``), never groupings:
#: ``counted`` (True for a table of read counts, False for a relative profile) once split a
#: cohort of a genus count table and MetaPhlAn profiles into "groups" to compare.
#: One list with the columns a metadata file cannot replace (``placed_again``, added to that list
#: alone, split a cohort of MetaPhlAn 2 and genus tables into "groups" here).
BUILTIN_COLUMNS = frozenset({*PROFILE_COLUMNS, "n_runs"})

REFERENCES = (
    "Mann HB, Whitney DR (1947) Ann Math Stat 18:50-60. doi:10.1214/aoms/1177730491",
    "Kerby DS (2014) The simple difference formula: an approach to teaching nonparametric correlation. "
    "Comprehensive Psychology 3:11.IT.3.1. doi:10.2466/11.IT.3.1",
    "Benjamini Y, Hochberg Y (1995) J R Stat Soc B 57:289-300. doi:10.1111/j.2517-6161.1995.tb02031.x",
)


def group_labels(groups: pd.Series) -> pd.Series:
    """Each sample's group as text (whole numbers without ".0"); a sample whose value is missing (empty,
    or a word for "no value" such as ``NA`` or ``-``, :data:`~gutbalance.io.MISSING_TEXT`)
    is in no group and left out."""
    given = groups.dropna()
    if pd.api.types.is_float_dtype(given) and np.all(np.mod(given.to_numpy(dtype=float), 1) == 0):
        # a column of whole numbers with a missing value reads as floats: "1", not "1.0"
        given = given.astype("int64")
    labels = given.astype(str).str.strip()
    return labels[~labels.str.lower().isin(MISSING_TEXT)]


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
        counts = group_labels(series).value_counts()
        if 2 <= len(counts) <= MAX_GROUPS and (counts >= MIN_GROUP_SIZE).sum() >= 2:
            out.append(str(col))
    return out


def rank_biserial(u_a: float, n_a: int, n_b: int) -> float:
    """Rank-biserial correlation from group a's U statistic."""
    return 2.0 * u_a / (n_a * n_b) - 1.0


def ordered_levels(labels) -> list[str]:
    """Group labels in reading order: as numbers when every one is a number
    (1, 2, 10: a dose or a week), else as text (an outside check found
    "1, 10, 2")."""
    labels = [str(label) for label in labels]
    try:
        return sorted(labels, key=lambda label: (float(label), label))
    except ValueError:
        return sorted(labels)


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
    labels = group_labels(groups.reindex(scores.index))
    counts = labels.value_counts()
    levels = ordered_levels(counts[counts >= MIN_GROUP_SIZE].index)
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


# --- quantile summaries -------------------------------------------------------------------


def summary(values: Sequence[float]) -> dict[str, float] | None:
    """p5, p25, p50, p75, p95 of the finite values (None if there are none)."""
    arr = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if not len(arr):
        return None
    q = np.quantile(arr, [q for _, q in SUMMARY_QUANTILES])
    return dict(zip((k for k, _ in SUMMARY_QUANTILES), map(float, q), strict=True))


# --- one cohort ---------------------------------------------------------------------------


@dataclass
class GroupComparison:
    """One metadata column's groups: their sizes, every score's values per group and the tests."""

    column: str
    #: ``[(group, number of samples)]`` in group order.
    counts: list[tuple[str, int]]
    #: Groups in order (every label present, also those too small to test).
    levels: list[str]
    #: ``{score: compare_groups rows}`` for the scores with at least one test.
    tests: dict[str, list[dict[str, Any]]]
    #: ``{score: [(group, values)]}`` for the same scores.
    values: dict[str, list[tuple[str, list[float]]]]
    #: ``{score: {group: median}}`` (NaN for a group without values).
    medians: dict[str, dict[str, float]]
    #: ``{score: {group: summary}}`` (None for a group without values).
    summaries: dict[str, dict[str, dict[str, float] | None]] = field(default_factory=dict)
    #: ``{score: why it was not compared, or compared at some ranks only}`` for the
    #: diversity scores of a cohort whose samples' diversity is at several ranks
    #: (:func:`compare_column`); a score refused has no entry in ``tests``.
    notes: dict[str, str] = field(default_factory=dict)
    #: What a value of ``values`` and a count of ``counts`` is: ``"sample"``, or ``"person"`` (the
    #: median of a person's samples in the group, :func:`per_person_in_groups`).
    unit: str = "sample"
    #: How many samples are in a group (of ``counts``' people, when ``unit`` is ``"person"``).
    grouped_samples: int = 0


@dataclass
class CohortStatistics:
    """What the cohort report shows besides the scores themselves (see :func:`cohort_statistics`)."""

    #: The score columns, in report order.
    keys: list[str]
    #: ``<score>_percentile`` of each sample against the healthy population of its kind (NaN where not comparable).
    percentiles: pd.DataFrame
    #: Per sample, why it has no percentiles ("" when it has).
    kind_notes: list[str]
    #: The healthy reference, its primary the population the charts draw: that of the most
    #: common kind among the samples it is comparable with (None without a reference).
    reference: Reference | None
    #: ``{score: summary of the cohort's values}`` (None where no value is finite).
    summaries: dict[str, dict[str, float] | None]
    #: ``{score: summary of the reference population}`` (None where the reference has none,
    #: and for every score when no sample is comparable with it).
    reference_summaries: dict[str, dict[str, float] | None]
    #: Group comparisons, one per grouping column.
    comparisons: list[GroupComparison] = field(default_factory=list)
    #: The metadata the groups came from (indexed like the scores).
    metadata: pd.DataFrame | None = None
    #: Why none of the reference's figures are drawn ("" when some sample is comparable with
    #: it): the samples' own notes (:func:`~gutbalance.reference.comparability.comparability_note`).
    not_comparable: str = ""

    @property
    def n_other_kind(self) -> int:
        """Samples of another kind of input than every healthy population (no percentiles)."""
        return sum(bool(n) for n in self.kind_notes)


def _kind_key(kind: dict[str, str] | None) -> tuple[str, str] | None:
    return None if kind is None else (kind["profiler"], kind["rank"])


def _once_per_kind(kinds: Sequence[dict[str, str] | None], make: Callable[[dict[str, str] | None], Any]) -> list:
    """``make(kind)`` of every sample's kind, made once per distinct kind (None: not known)."""
    made: dict[tuple[str, str] | None, Any] = {}
    out = []
    for kind in kinds:
        key = _kind_key(kind)
        if key not in made:
            made[key] = make(kind)
        out.append(made[key])
    return out


def _percentiles(scores: pd.DataFrame, keys: list[str], reference: Reference | None,
                 kinds: Sequence[dict[str, str] | None], kind_notes: list[str]) -> tuple[pd.DataFrame, Reference | None]:
    """Each sample against the healthy population of its kind, and the reference seen from the
    most common kind among the samples it is comparable with (as it is when none is: the
    caller then draws none of its figures).  Ranked once per kind and diversity rank: a
    sample's row depends on its own kind and rank alone."""
    if reference is None:
        return mask_rows(pd.DataFrame(index=scores.index), kind_notes), None
    views = _once_per_kind(kinds, lambda kind: reference.for_kind(kind) if kind is not None else reference)
    at = (scores["diversity_rank"].fillna("").astype(str) if "diversity_rank" in scores.columns
          else pd.Series("", index=scores.index))
    together: dict[tuple[tuple[str, str] | None, str], list[int]] = {}
    for i, kind in enumerate(kinds):
        together.setdefault((_kind_key(kind), str(at.iat[i])), []).append(i)
    frames = []
    for (_, rank), rows in together.items():
        view, kind = views[rows[0]], kinds[rows[0]]
        frame = view.percentiles(scores.iloc[rows][keys])
        # diversity at another rank than the population's is not ranked against it (a sample
        # of another kind has no percentile at all: masked below)
        if "diversity_rank" in scores.columns and not kind_note(kind, view) and diversity_rank_note(rank, view.primary.kind):
            frame.loc[:, [c for c in (f"{k}{PERCENTILE_SUFFIX}" for k in DIVERSITY_COLUMNS) if c in frame.columns]] = np.nan
        frames.append(frame)
    pct = pd.concat(frames).reindex(scores.index) if frames else pd.DataFrame(index=scores.index)
    # a sample of another kind is seen from the primary population (for_kind leaves it),
    # so it must not vote for the population drawn beside the comparable samples
    comparable = [v for v, note in zip(views, kind_notes, strict=True) if not note]
    names = pd.Series([v.primary.name for v in comparable])
    chosen = comparable[int(names.eq(names.mode().iloc[0]).to_numpy().argmax())] if comparable else reference
    return mask_rows(pct, kind_notes), chosen


_THIS_SAMPLE = ", this sample is "


def _not_comparable(kind_notes: Sequence[str]) -> str:
    """Why no sample of the cohort is compared with the reference, from the samples' own notes
    ("" when some sample is, or there are none): the distinct notes, most common first."""
    if not kind_notes or not all(kind_notes):
        return ""
    counts = pd.Series(list(kind_notes)).value_counts(sort=True)
    # the notes of not_comparable_notes differ only in the sample's kind, after _THIS_SAMPLE
    heads = {str(note).partition(_THIS_SAMPLE)[0] for note in counts.index}
    if len(heads) == 1 and all(_THIS_SAMPLE in str(note) for note in counts.index):
        # said once of all the samples, each kind in the plural, counted when there are several
        plural = [str(note).partition(_THIS_SAMPLE)[2].replace(UNNAMED_PROFILER, UNNAMED_PROFILERS) for note in counts.index]
        kinds = plural[0] if len(counts) == 1 else " and ".join(f"{kind} ({n})" for kind, n in zip(plural, counts, strict=True))
        return f"{heads.pop()}, these samples are {kinds}"
    if len(counts) == 1:  # the cohort page speaks of all its samples
        return str(counts.index[0])
    return "; ".join(f"{n} samples: {note}" for note, n in counts.items())


def diversity_ranks(scores: pd.DataFrame) -> tuple[str, ...] | None:
    """The ranks the samples' diversity was computed at (``diversity_rank``), finest first
    (none for samples without diversity), or None when the table does not say (written
    before ``diversity_rank`` existed: :func:`~gutbalance.score_specs.describe_at_rank`
    then keeps the registered texts)."""
    if "diversity_rank" not in scores.columns:
        return None
    found = {v for v in scores["diversity_rank"] if isinstance(v, str) and v}
    return tuple(r for r in reversed(RANKS) if r in found) + tuple(sorted(found - set(RANKS)))


def _by_rank(scores: pd.DataFrame, key: str, groups: pd.Series, ranks: Sequence[str]) -> tuple[pd.DataFrame, str]:
    """``key``'s tests made within each rank of ``ranks`` (a row's ``rank``), and
    what the page says of the ranks where none could be made ("" when every rank
    was compared).  Before q: the caller adjusts all tests of the column together."""
    frames, short = [], []
    for rank in ranks:
        at_rank = scores.index[scores["diversity_rank"] == rank]
        frame = compare_groups(scores.loc[at_rank, [key]], groups.reindex(at_rank))
        if len(frame):
            frames.append(frame.drop(columns="q").assign(rank=rank))
            continue
        # the samples with a value, per group: a group of 3 without Chao1 is no group of 3 for Chao1
        valued = at_rank[np.isfinite(scores.loc[at_rank, key].to_numpy(dtype=float))]
        counts = group_labels(groups.reindex(valued)).value_counts().sort_index()
        sizes = ", ".join(f"{lvl} {n}" for lvl, n in counts.items())
        short.append(f"at {rank} rank ({'samples with a value: ' + sizes if sizes else 'no sample in a group has a value'})")
    columns = ["score", "group_a", "group_b", "n_a", "n_b", "median_a", "median_b", "u", "p", "rank_biserial", "rank"]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    if not short:
        return table, ""
    where = "; ".join(short)
    if frames:
        return table, (f"compared within each rank of the diversity; not {where}: fewer than "
                       f"{MIN_GROUP_SIZE} samples in two groups there")
    return table, (f"not compared: the samples' diversity is at {len(ranks)} ranks ({', '.join(ranks)}), "
                   f"and a number of one rank is not the same quantity as one of another, so groups are "
                   f"compared within one rank only, and no rank has two groups of {MIN_GROUP_SIZE} samples "
                   f"or more ({where})")


def per_person_in_groups(scores: pd.DataFrame, groups: pd.Series, persons: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """One row per person and group: the median of each numeric score over the person's samples in
    the group (and at one diversity rank, where ``diversity_rank`` says), and the rows' groups.

    Repeated samples of one person are not independent: tested as samples, 43 post- against 38
    pre-intervention samples of 18 people gave p = 0.0005 where one value per person gives 0.018
    (an outside check on Oliver et al. 2021).  A sample without a person is a person of its own; a
    person sampled in both groups gives one row to each."""
    labels = group_labels(groups.reindex(scores.index))
    who = pd.Series(persons).reindex(labels.index).astype("string").str.strip()
    who = who.where(who.notna() & (who != ""), pd.Series(labels.index, index=labels.index, dtype="string"))
    keys = [who.rename("_person"), labels.rename("_group")]
    if "diversity_rank" in scores.columns:
        keys.append(scores.loc[labels.index, "diversity_rank"].fillna("").astype(str).rename("diversity_rank"))
    numeric = [c for c in scores.columns
               if pd.api.types.is_numeric_dtype(scores[c]) and not pd.api.types.is_bool_dtype(scores[c])]
    table = scores.loc[labels.index, numeric].astype(float).groupby(keys, sort=True).median().reset_index()
    table.index = pd.Index([" | ".join(map(str, row)) for row in table[[k.name for k in keys]].itertuples(index=False)])
    if "diversity_rank" in table.columns:
        table["diversity_rank"] = table["diversity_rank"].replace("", None)
    return table.drop(columns=["_person", "_group"]), table["_group"]


def compare_column(scores: pd.DataFrame, keys: Sequence[str], groups: pd.Series, column: str,
                   persons: pd.Series | None = None) -> GroupComparison:
    """The groups of one metadata column: Mann-Whitney tests (:func:`compare_groups`), values and medians per group.

    With ``persons`` (each sample's person: the subject column of a cohort
    followed over time) every person counts once per group, as the median of
    their samples there (:func:`per_person_in_groups`), and the comparison's
    ``unit`` is ``"person"``.

    A diversity score (``DIVERSITY_COLUMNS``) of a cohort whose samples'
    diversity is at several ranks (a MetaPhlAn profile beside a 16S genus
    table) counts species in some samples and genera in others: its groups
    are compared within each rank (each test row says its ``rank``, each
    chart row is a group at one rank), and not at all where no rank has two
    groups large enough, with the reason in ``notes``.  The Benjamini-Hochberg
    q is over every test of the column, those within ranks included."""
    unit = "sample"
    grouped_samples = int(group_labels(groups.reindex(scores.index)).size)
    if persons is not None:
        scores, groups = per_person_in_groups(scores, groups, persons)
        unit = "person"
    groups = group_labels(groups.reindex(scores.index)).reindex(scores.index)
    ranks = diversity_ranks(scores) or ()
    split = [k for k in keys if k in DIVERSITY_COLUMNS] if len(ranks) > 1 else []
    notes: dict[str, str] = {}
    whole = compare_groups(scores[[k for k in keys if k not in split]], groups).drop(columns="q")
    parts = [whole]
    for key in split:
        frame, note = _by_rank(scores, key, groups, ranks)
        parts.append(frame)
        if note:
            notes[key] = note
    table = pd.concat([p for p in parts if len(p)] or [whole], ignore_index=True)
    table["q"] = stats.false_discovery_control(table["p"].to_numpy(dtype=float), method="bh") if len(table) else []
    levels = ordered_levels(groups.dropna().astype(str).unique())
    tests, values, medians, summaries = {}, {}, {}, {}
    for key in keys:
        rows = cast("list[dict[str, Any]]", table[table["score"] == key].to_dict("records"))  # text column names
        if not rows:
            continue
        tests[key] = rows
        in_group = {lvl: groups.astype(str) == lvl for lvl in levels}
        # one chart row per group, and per group and rank where the diversity is at several:
        # a box never pools species with genera
        data = ([(f"{lvl}, {rank}", scores.loc[in_group[lvl] & (scores["diversity_rank"] == rank), key])
                 for rank in ranks for lvl in levels] if key in split
                else [(lvl, scores.loc[in_group[lvl], key]) for lvl in levels])
        values[key] = [(lbl, v.astype(float).tolist()) for lbl, v in data]
        # a group without a value (GMHI of a genus-level 16S table) has no median, and says nothing on the terminal
        medians[key] = {lbl: float(np.nanmedian(v)) if np.isfinite(v).any() else float("nan") for lbl, v in values[key]}
        summaries[key] = {lbl: summary(v) for lbl, v in values[key]}
    counts = groups.dropna().astype(str).value_counts().reindex(levels)
    return GroupComparison(column=str(column), counts=[(str(level), int(n)) for level, n in counts.items()], levels=levels, tests=tests,
                           values=values, medians=medians, summaries=summaries, notes=notes, unit=unit,
                           grouped_samples=grouped_samples)


def cohort_statistics(
    scores: pd.DataFrame,
    *,
    keys: Sequence[str],
    metadata: pd.DataFrame | None = None,
    reference: Reference | None = None,
    group_columns: Sequence[str] | None = None,
    persons: pd.Series | None = None,
) -> CohortStatistics:
    """Everything the cohort report shows that has to be computed.

    Parameters
    ----------
    scores
        The scores table (index: sample) with the ``keys`` columns, and
        ``diversity_rank``/``warnings`` when each sample's kind of input is to
        choose its healthy population.
    keys
        The score columns, in report order.
    metadata
        Sample metadata (``source_format`` and ``database`` say each sample's
        kind of input; other columns may be groupings).
    reference
        The healthy reference; None for no percentiles.
    group_columns
        Metadata columns to compare groups by; None picks them
        (:func:`grouping_columns`).
    persons
        Each sample's person, where samples repeat people (a subject
        column): groups are then compared one value per person
        (:func:`compare_column`).
    """
    keys = list(keys)
    meta = metadata if metadata is not None else pd.DataFrame(index=scores.index)
    kinds = sample_kinds_of(None, scores, meta)
    kind_notes = _once_per_kind(kinds, lambda kind: kind_note(kind, reference))
    pct, drawn = _percentiles(scores, keys, reference, kinds, kind_notes)
    not_comparable = _not_comparable(kind_notes)
    shown = drawn if not not_comparable else None  # the population whose figures the page draws
    if group_columns is None:
        group_columns = grouping_columns(meta.reindex(scores.index))
    comparisons = [compare_column(scores, keys, meta[col], col, persons) for col in group_columns if col in meta.columns]
    return CohortStatistics(
        keys=keys,
        percentiles=pct,
        kind_notes=kind_notes,
        reference=drawn,
        summaries={k: summary(scores[k].astype(float).tolist()) for k in keys},
        reference_summaries={k: distribution_summary(shown.distribution(k)) if shown else None for k in keys},
        comparisons=comparisons,
        metadata=meta,
        not_comparable=not_comparable,
    )


def percentile_of(percentiles: pd.DataFrame, sample: str, key: str) -> float:
    """``key``'s percentile of ``sample`` in a :attr:`CohortStatistics.percentiles` table (NaN when absent)."""
    column = f"{key}{PERCENTILE_SUFFIX}"
    return float(cast(float, percentiles.at[sample, column])) if column in percentiles.columns else float("nan")
