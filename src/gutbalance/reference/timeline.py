"""Change over time: the samples of one subject, in time order.

Subjects come from a metadata column (``subjects_from_metadata``) or from a
pattern on the sample names (``subjects_from_names``, for example
``Subj(\\d+)_time(\\d+)`` for ``Subj030_time2_S19``).  For every subject with
two or more samples a :class:`Timeline` holds every score over time, each
change between consecutive samples with a flag saying whether it is larger
than the score's technical variation (the smallest real difference measured
on the reference people's repeated sequencing runs, see :mod:`.variation`),
and the species that appeared or vanished.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..cohort import Cohort
from ..errors import DataError
from ..io import MISSING_TEXT
from ..scores import DESCRIPTIVE_COLUMNS, DIVERSITY_COLUMNS
from .comparability import describe, diversity_rank_note, sample_kind
from .core import PERCENTILE_SUFFIX, Reference

#: A species counts as "appeared"/"vanished" when it is absent (exactly 0) at
#: one time point and at least this fraction of the species-level profile at
#: the other.  0.1 %: below it, presence flips with sequencing depth alone
#: (assumed threshold, stated in the report).
MIN_CHANGE_ABUNDANCE = 0.001


@dataclass
class TaxaChange:
    """Species present at one time point and absent at the next (or back)."""

    from_sample: str
    to_sample: str
    appeared: list[tuple[str, float]]
    vanished: list[tuple[str, float]]


@dataclass
class Timeline:
    """All samples of one subject, in time order."""

    subject: str
    samples: list[str]
    times: list[str]
    scores: pd.DataFrame
    changes: pd.DataFrame
    taxa_changes: list[TaxaChange] = field(default_factory=list)
    min_abundance: float = MIN_CHANGE_ABUNDANCE
    #: what the times are, the metadata column's name (``week_num``), or None
    time_name: str | None = None
    #: the subject's samples left out because their time is missing
    untimed: list[str] = field(default_factory=list)
    #: the reference as seen from the subject's kind of input, whose technical
    #: variation flagged the changes (None: no flags)
    reference: Reference | None = None
    #: why no measurement variation is known, when the reference has none for this kind
    variation_note: str = ""
    #: no sample of the subject had a time: ``times`` number them 1, 2, ... in
    #: the order of the input (the metadata table, the names), which need not
    #: be the order they were taken
    in_input_order: bool = False
    #: the time column named (``time_name``) when it has no value for any of the
    #: subject's samples: their numbers 1, 2, ... are then not times of that column
    untimed_column: str = ""

    @property
    def repeated_times(self) -> list[str]:
        """Times that two or more samples share: a step between them is not a
        change over time (replicates, or two arms of a cross-over study under
        one subject)."""
        counts = pd.Series(self.times).value_counts(sort=False)
        return [str(t) for t in counts.index[counts > 1]]

    @property
    def n_beyond(self) -> int:
        """How many changes between consecutive time points exceed technical variation."""
        flags = self.changes.loc[~self.changes["overall"].astype(bool), "beyond_variation"]
        return int((flags == True).sum())  # noqa: E712 - the column holds True/False/None


def _time_key(values: pd.Series, *, day_first: bool | None = None) -> pd.Series:
    """Numbers sort as numbers, dates as dates, anything else as text with
    the numbers in it compared as numbers ("V2" before "V10", "day 7" before
    "day 14").  ``day_first``: how d/m/y dates are read (decided over the
    whole column, :func:`_day_first`; None: over ``values``)."""
    key = _number_or_date_key(values, day_first=day_first)
    if key is not None:
        return key
    labels = values.astype(str).unique()
    below_zero = _minus_signs(labels)
    order = sorted(labels, key=lambda text: _natural_key(text, negative=text in below_zero))
    rank = {text: i for i, text in enumerate(order)}
    return values.astype(str).map(rank)


def _number_or_date_key(values: pd.Series, *, day_first: bool | None = None) -> pd.Series | None:
    """``values`` as numbers, or as dates, when every one reads so; else None."""
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all():
        return numeric
    dates = _numeric_dates(values, day_first=day_first)
    if dates is None:
        dates = pd.to_datetime(values, errors="coerce", format="mixed")
    if dates.notna().all():
        return dates
    return None


#: A label's first number, with what stands before it and a hyphen (or minus) right before it.
_FIRST_NUMBER = re.compile(r"^(?P<head>.*?)(?P<minus>[-\u2212]?)\s*(?P<number>\d+(?:\.\d+)?)")


def _minus_signs(labels) -> set[str]:
    """The labels whose first number is below zero: "day -7" or "D-7" where
    the column also writes that word without a hyphen ("day 0", "D7"), so
    the hyphen is a minus (a baseline before the intervention).  Where every
    label has it ("visit-1", "visit-2") it joins word and number."""
    found = [(text, _FIRST_NUMBER.match(text.strip().lower())) for text in labels]
    plain = {m["head"].strip(" _-") for _, m in found if m and not m["minus"]}
    return {text for text, m in found if m and m["minus"] and m["head"].strip(" _-") in plain}


_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})\s*$")


def _day_first(values) -> bool | None:
    """Whether the d/m/y or m/d/y dates among ``values`` are day first (see
    :func:`_numeric_dates`); None when none is written so, or both fields
    exceed 12 somewhere."""
    found = [m for m in (_NUMERIC_DATE.match(str(v)) for v in values) if m]
    if not found:
        return None
    a = np.array([int(m.group(1)) for m in found])
    b = np.array([int(m.group(3)) for m in found])
    if (a > 12).any() and (b > 12).any():
        return None
    dotted = all(m.group(2) == "." for m in found)
    return bool((a > 12).any()) or (dotted and not (b > 12).any())


def _numeric_dates(values: pd.Series, *, day_first: bool | None = None) -> pd.Series | None:
    """Dates written d/m/y or m/d/y (``/``, ``.`` or ``-``), read one way for
    the whole column: day first when a first field exceeds 12 (25/04/2015) or
    the fields are dotted (19.08.2014, the European way), month first when a
    second field exceeds 12 or otherwise.  pandas' "mixed" parsing decides per
    value, so 12/03/2015 (12 March) came after 25/04/2015.  None when the
    values are not all written so, or both fields exceed 12 somewhere."""
    found = [_NUMERIC_DATE.match(str(v)) for v in values]
    if not all(found):
        return None
    a = np.array([int(m.group(1)) for m in found if m])
    b = np.array([int(m.group(3)) for m in found if m])
    if day_first is None:
        day_first = _day_first(values)
        if day_first is None:
            return None
    elif (b > 12).any() if day_first else (a > 12).any():
        return None  # the column's reading cannot hold these
    years = np.array([int(m.group(4)) for m in found if m])
    years = np.where(years < 100, np.where(years < 70, 2000 + years, 1900 + years), years)
    parts = pd.DataFrame({"year": years, "month": b if day_first else a, "day": a if day_first else b})
    return pd.Series(pd.to_datetime(parts, errors="coerce").to_numpy(), index=values.index)


_NUMBER = re.compile(r"(\d+(?:\.\d+)?)")


def _natural_key(text: str, *, negative: bool = False) -> tuple:
    """``text`` as a tuple that sorts its numbers as numbers; ``negative``:
    its first number is below zero (:func:`_minus_signs`), and the hyphen
    before it is taken out of the text so "day -7" compares with "day 0"."""
    text = text.strip().lower()
    if negative:
        m = _FIRST_NUMBER.match(text)
        if m:
            text = m["head"].rstrip(" _-") + " " + text[m.start("number"):]
    # re.split with one group alternates text and number, so the tuples of any
    # two labels compare text with text and number with number
    parts = [part.strip(" _-") if i % 2 == 0 else part for i, part in enumerate(_NUMBER.split(text))]
    key: list[float | str] = [float(part) if i % 2 else part for i, part in enumerate(parts)]
    if negative and len(key) > 1:
        key[1] = -float(key[1])
    return tuple(key)




def _time_text(value) -> str | None:
    """A time as the page shows it: None when missing, 28 rather than 28.0
    (a whole-number column read beside a missing value becomes float)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    text = str(value).strip()
    return None if text.lower() in MISSING_TEXT else text


def subjects_from_names(names, pattern: str) -> pd.DataFrame:
    """Subject and time of each sample name that matches ``pattern``.

    The pattern is searched in each name.  Named groups ``subject`` and
    ``time`` are used when present, else the first group is the subject and
    the second (optional) group the time.  Names that do not match are left out.

    Returns
    -------
    DataFrame
        Indexed by sample, columns ``subject``, ``time`` (text) and
        ``time_from_order`` (True for a subject none of whose samples has a
        time: ``time`` then numbers them in the order they come).
    """
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise DataError(f"bad subject pattern {pattern!r}: {exc}") from None
    if regex.groups < 1:
        raise DataError(f"the subject pattern {pattern!r} needs a group for the subject, e.g. 'Subj(\\d+)_time(\\d+)'")
    rows = {}
    for name in names:
        m = regex.search(str(name))
        if not m:
            continue
        groups = m.groupdict()
        subject = groups.get("subject") if "subject" in regex.groupindex else m.group(1)
        named_time = "time" in regex.groupindex
        time = groups.get("time") if named_time else (m.group(2) if regex.groups >= 2 else None)
        if subject is None:
            continue
        rows[str(name)] = {"subject": subject, "time": time}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["subject", "time"])
    frame.index.name = "sample"
    return _fill_times(frame)


def subject_columns(columns, subject_column: str) -> list[str]:
    """The metadata columns that name a subject: ``subject_column`` itself, or
    its comma-separated parts (``person,arm`` for a person followed in two arms
    of a cross-over study, each arm its own timeline).

    Raises
    ------
    DataError
        Naming the column(s) the metadata does not have.
    """
    if subject_column in columns:
        return [subject_column]
    parts = [part.strip() for part in subject_column.split(",")]
    missing = [part for part in parts if part not in columns]
    if len(parts) < 2 or missing:
        raise DataError(f"no metadata column {missing[0] if len(parts) > 1 else subject_column!r} for the subject "
                        f"(columns: {_listed(columns)})")
    return parts


def _listed(columns) -> str:
    """The metadata's columns for a message, the first 20 of them."""
    names = [str(c) for c in columns]
    return ", ".join(names[:20]) + (f", ... ({len(names)} in all)" if len(names) > 20 else "")


def subjects_from_metadata(samples: pd.DataFrame, subject_column: str, time_column: str | None = None) -> pd.DataFrame:
    """Subject (and time) of each sample from metadata columns.

    ``subject_column`` may name several columns, comma-separated
    (:func:`subject_columns`): the subject is then their values joined by " / ".
    Without a time column, samples keep their order in the table (and
    ``time_from_order`` says so, as :func:`subjects_from_names` does).
    """
    parts = subject_columns(samples.columns, subject_column)
    if time_column is not None and time_column not in samples.columns:
        raise DataError(f"no metadata column {time_column!r} for the time (columns: {_listed(samples.columns)})")
    given = pd.concat([samples[c].map(_subject_text) for c in parts], axis=1)
    keep = ~given.apply(lambda c: c.str.lower().isin(MISSING_TEXT)).any(axis=1)
    subject = given[keep].agg(" / ".join, axis=1) if len(parts) > 1 else given.iloc[:, 0][keep]
    frame = pd.DataFrame(
        {
            "subject": subject,
            "time": samples.loc[keep, time_column].map(_time_text).astype(object) if time_column else None,
        },
        index=samples.index[keep],
    )
    frame.index.name = "sample"
    return _fill_times(frame)


def _subject_text(value) -> str:
    # subject ids read as numbers beside a missing value become 3.0: show 3
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(int(value)) if isinstance(value, (float, np.floating)) and float(value).is_integer() else str(value).strip()


def _fill_times(frame: pd.DataFrame) -> pd.DataFrame:
    """A subject none of whose samples has a time keeps its samples' order of
    appearance (1, 2, ...); a sample without a time beside samples with one
    stays without (None): :func:`timelines` leaves it out and names it, since
    a place guessed among real times would be wrong."""
    frame = frame.copy()
    frame["time_from_order"] = False
    if frame.empty:
        return frame
    frame["time"] = [None if pd.isna(t) else t for t in frame["time"]]  # NaN or None: one spelling, None
    untimed = frame.groupby("subject")["time"].transform(lambda t: t.isna().all()).astype(bool)
    if untimed.any():
        frame.loc[untimed, "time"] = frame[untimed].groupby("subject").cumcount().add(1).astype(str)
        frame.loc[untimed, "time_from_order"] = True
    return frame


def timelines(
    scores: pd.DataFrame,
    subjects: pd.DataFrame,
    *,
    cohort: Cohort | None = None,
    reference: Reference | None = None,
    min_abundance: float = MIN_CHANGE_ABUNDANCE,
    time_name: str | None = None,
) -> list[Timeline]:
    """A :class:`Timeline` for every subject with two or more scored samples.

    Parameters
    ----------
    scores
        The scores table (index ``sample``); percentile columns are ignored.
    subjects
        From :func:`subjects_from_names` or :func:`subjects_from_metadata`.
    cohort
        For the species that appeared or vanished (left out when None).
    reference
        For the technical variation of each score (no flags when None).
    time_name
        What the times are (the metadata column, ``week_num``), for the pages.

    A sample whose time is missing (None) is left out of its subject's
    timeline and listed in :attr:`Timeline.untimed`.
    """
    subjects = subjects[subjects.index.isin(scores.index)]
    score_cols = [
        c for c in scores.columns
        if pd.api.types.is_numeric_dtype(scores[c]) and not pd.api.types.is_bool_dtype(scores[c])
        and not str(c).endswith(PERCENTILE_SUFFIX) and c not in DESCRIPTIVE_COLUMNS
    ]
    species = None
    if cohort is not None:
        matrix, taxa = cohort.rank_matrix("species", include_unclassified=False, renormalize=True)
        species = (matrix.tocsr(), taxa["name"].astype(str).to_numpy(), pd.Index(cohort.samples.index))
    out = []
    # The times are read once for the whole column, as the docs say: read per
    # subject, one person's 10/01/2015 and 02/03/2015 (no field above 12) were
    # taken month first while the column is day first (25/04/2015), and their
    # timeline ran backwards (an outside check).  Times numbered from the
    # input order (a subject without any) are keyed apart.
    given = subjects["time"].notna()
    if "time_from_order" in subjects:
        given &= ~subjects["time_from_order"].fillna(False).astype(bool)
    given_times = subjects.loc[given, "time"].astype(str)
    day_first = _day_first(given_times)
    # one key over the column where every time is a number or a date; labels
    # ("baseline", "week 2") are ordered per subject, with the column's date reading
    column_key = _number_or_date_key(given_times, day_first=day_first) if given.any() else None
    # subjects in the order of the numbers they hold: 1, 2, ..., 10, not 1, 10, 2
    for subject, all_samples in sorted(subjects.groupby("subject"), key=lambda item: _natural_key(str(item[0]))):
        timed = all_samples["time"].notna()
        group = all_samples[timed]
        if len(group) < 2:
            continue
        if column_key is not None and group.index.isin(column_key.index).all():
            key = column_key.reindex(group.index)
        else:
            key = _time_key(group["time"].astype(str), day_first=day_first)
        ordered = group.assign(_key=key.to_numpy()).sort_values("_key", kind="stable")
        in_order = bool(all_samples.get("time_from_order", pd.Series(False, index=all_samples.index)).all())
        names = ordered.index.astype(str).tolist()
        table = scores.loc[names, score_cols]
        view, note = _subject_reference(reference, cohort, scores, names[0])
        changes = _score_changes(table, ordered["time"].tolist(), view)
        taxa_changes = []
        if species is not None:
            for a, b in zip(names[:-1], names[1:]):
                taxa_changes.append(_taxa_change(species, a, b, min_abundance))
        out.append(
            Timeline(
                subject=str(subject),
                samples=names,
                times=ordered["time"].astype(str).tolist(),
                scores=table,
                changes=changes,
                taxa_changes=taxa_changes,
                min_abundance=min_abundance,
                # numbers from the input order are not times of the column: "day 1 -> day 2" read as days
                time_name=None if in_order else time_name,
                untimed=all_samples.index[~timed].astype(str).tolist(),
                in_input_order=in_order,
                untimed_column=(time_name or "") if in_order else "",
                reference=view,
                variation_note=note,
            )
        )
    return out


def _subject_reference(reference: Reference | None, cohort: Cohort | None, scores: pd.DataFrame,
                       sample: str) -> tuple[Reference | None, str]:
    """The reference seen from the subject's kind of input, so a MetaPhlAn
    timeline is judged by the run-to-run variation of MetaPhlAn runs; None
    (with the reason) for a kind the reference has no population of: a 16S
    genus table's richness cannot be judged by mOTUs species runs, as its
    percentiles are not (:mod:`.comparability`)."""
    kind = sample_kind(cohort, scores, sample) if reference is not None else None
    if reference is None or (kind is None and not reference.primary.kind):
        return reference, ""
    if kind is None:
        return None, ("No measurement variation is known for these samples: which profiler made them is not known "
                      "(their profiles, cohort.h5ad, are not at hand and the saved results do not say), and scores "
                      "shift between profilers, so no change is flagged.")
    if reference.population_for(kind) is None:
        return None, (f"No measurement variation is known for this kind of input ({describe(kind)}): the healthy "
                      f"reference's repeated runs are {reference.kinds_text()}, and scores shift between profilers "
                      "and ranks, so no change is flagged.")
    view = reference.for_kind(kind)
    if not view.variation:
        return None, (f"The healthy reference's {describe(kind)} population has no repeated sequencing runs, so no "
                      "measurement variation is known and no change is flagged.")
    rank = str(scores["diversity_rank"].reindex([sample]).fillna("").iloc[0])
    if diversity_rank_note(rank, view.primary.kind):
        # the population's runs measured how its species diversity varies, not
        # diversity at the rank this run asked: no diversity change is flagged
        view = replace(view, variation={k: v for k, v in view.variation.items() if k not in DIVERSITY_COLUMNS})
    return view, ""


def _score_changes(table: pd.DataFrame, times: list[str], reference: Reference | None) -> pd.DataFrame:
    rows = []
    names = table.index.tolist()
    pairs = list(zip(range(len(names) - 1), range(1, len(names))))
    if len(names) > 2:
        pairs.append((0, len(names) - 1))  # overall change, first to last
    for col in table.columns:
        tv = reference.variation.get(str(col)) if reference is not None else None
        for i, j in pairs:
            before, after = table.iloc[i][col], table.iloc[j][col]
            delta = after - before if np.isfinite(before) and np.isfinite(after) else np.nan
            # Two samples of one time (replicates, two arms under one subject):
            # their difference is no change over time, so it is never flagged
            # (it was, beside the page's note saying so; an outside check).
            same_time = times[i] == times[j]
            beyond = None if tv is None or not np.isfinite(delta) or same_time else tv.exceeds(delta)
            rows.append(
                {
                    "score": str(col),
                    "from_sample": names[i],
                    "to_sample": names[j],
                    "from_time": times[i],
                    "to_time": times[j],
                    "overall": j - i > 1,
                    "before": before,
                    "after": after,
                    "delta": delta,
                    "smallest_real_difference": None if tv is None else tv.smallest_real_difference,
                    "beyond_variation": beyond,
                    "same_time": same_time,
                }
            )
    return pd.DataFrame(rows, columns=[
        "score", "from_sample", "to_sample", "from_time", "to_time", "overall",
        "before", "after", "delta", "smallest_real_difference", "beyond_variation", "same_time",
    ])


def _taxa_change(species, a: str, b: str, min_abundance: float) -> TaxaChange:
    matrix, names, index = species
    ra = np.asarray(matrix[index.get_loc(a)].todense()).ravel()
    rb = np.asarray(matrix[index.get_loc(b)].todense()).ravel()
    appeared_idx = np.flatnonzero((ra == 0) & (rb >= min_abundance))
    vanished_idx = np.flatnonzero((rb == 0) & (ra >= min_abundance))
    appeared = sorted(((names[k], float(rb[k])) for k in appeared_idx), key=lambda t: -t[1])
    vanished = sorted(((names[k], float(ra[k])) for k in vanished_idx), key=lambda t: -t[1])
    return TaxaChange(a, b, appeared, vanished)
