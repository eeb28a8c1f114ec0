"""Longitudinal abundance data for learning dynamics: series per subject, perturbation windows.

Two ways in:

* :func:`from_cohort` — any table :func:`gutbalance.read` reads, with a metadata
  table (sample, subject, time), a perturbation table and optionally qPCR
  totals (``gutbalance fit``).
* :func:`mdsine2_dataset` — a folder laid out like MDSINE2's healthy-donor data
  (``counts.tsv``, ``silva_species.tsv``, ``metadata.tsv``, ``qpcr.tsv``,
  ``perturbations.tsv``) prepared with MDSINE2's protocol, so forecasts compare
  with the published figures (Gibson, Gerber et al., Nature Microbiology 2025):
  days 0 and 0.5 dropped, identical sequences merged, taxa kept at >= 1e-4
  relative abundance for >= 7 consecutive samples from day 5 on in >= 2 subjects
  (:func:`consistency_filter`), absolute abundance = relative abundance over the
  kept taxa x the geometric mean of the qPCR replicates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from ..cohort import build_cohort
from ..errors import DataError, FormatError
from ..io import read, read_profiles
from ..io.taxonomy_file import FeatureTaxonomy, taxonomy_file_kind
from ..taxonomy import RANK_INDEX

#: Column names accepted for the subject and the time of a sample in a metadata table.
SUBJECT_COLUMNS = ("subject", "subject_id", "host", "mouse", "person", "individual")
TIME_COLUMNS = ("time", "day", "days", "timepoint")


@dataclass(frozen=True)
class Perturbation:
    """``name`` is active for ``start <= t < end`` in ``subject`` (``None``: every subject)."""

    name: str
    start: float
    end: float
    subject: str | None = None

    def active(self, t: float) -> bool:
        """Whether the perturbation is on at day ``t`` (``start <= t < end``)."""
        return self.start <= t < self.end


@dataclass
class SubjectSeries:
    """One subject's time series: ``values[k, i]`` is taxon ``i`` at ``times[k]``.

    ``observed[k, i]`` is False where the taxon was not detected (zero reads);
    forecasts are scored only where it was observed.
    """

    subject: str
    times: np.ndarray
    values: np.ndarray
    observed: np.ndarray
    samples: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.times = np.asarray(self.times, dtype=np.float64)
        self.values = np.asarray(self.values, dtype=np.float64)
        self.observed = np.asarray(self.observed, dtype=bool)
        order = np.argsort(self.times, kind="stable")
        if np.any(np.diff(self.times[order]) <= 0):
            raise DataError(f"subject {self.subject!r} has two samples at the same time")
        self.times, self.values, self.observed = self.times[order], self.values[order], self.observed[order]
        if self.samples:
            self.samples = [self.samples[k] for k in order]


@dataclass
class Longitudinal:
    """Time series of several subjects over the same taxa, with the perturbation schedule."""

    taxa: list[str]
    series: dict[str, SubjectSeries]
    perturbations: list[Perturbation]
    units: str = "relative abundance"
    lineages: list[str] = field(default_factory=list)
    provenance: dict = field(default_factory=dict)

    @property
    def subjects(self) -> list[str]:
        """The subjects, in the order their series were added."""
        return list(self.series)

    @property
    def perturbation_names(self) -> list[str]:
        """The distinct perturbation names, in order of first appearance."""
        return list(dict.fromkeys(p.name for p in self.perturbations))

    def schedule(self, subject: str) -> list[Perturbation]:
        """The perturbations ``subject`` received."""
        return [p for p in self.perturbations if p.subject is None or p.subject == subject]

    def subset(self, subjects: list[str]) -> Longitudinal:
        """The same data restricted to ``subjects`` (and the perturbations that concern them).

        Raises :class:`DataError` naming the first subject that is not in the data.
        """
        missing = [s for s in subjects if s not in self.series]
        if missing:
            raise DataError(f"no subject {missing[0]!r}; known: {', '.join(self.series)}")
        return Longitudinal(self.taxa, {s: self.series[s] for s in subjects},
                            [p for p in self.perturbations if p.subject is None or p.subject in subjects],
                            self.units, self.lineages, dict(self.provenance))


# --- tables ------------------------------------------------------------------


def read_perturbations(path: str | PathLike[str]) -> list[Perturbation]:
    """A perturbation table: ``name``, ``start``, ``end`` and optionally ``subject`` (blank = all)."""
    try:
        frame = pd.read_csv(path, sep=None, engine="python", dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise FormatError(f"cannot read the perturbation table: {exc}", path=path) from None
    frame.columns = [c.strip().lower() for c in frame.columns]
    for col in ("name", "start", "end"):
        if col not in frame.columns:
            raise FormatError(f"a perturbation table needs columns name, start, end[, subject]; {col!r} is missing",
                              path=path, line=1)
    out = []
    for line, (_, row) in enumerate(frame.iterrows(), start=2):  # line 1 is the header
        try:
            start, end = float(row["start"]), float(row["end"])
        except ValueError:
            raise FormatError("start and end must be numbers (days)", path=path, line=line) from None
        if not end > start:
            raise FormatError(f"end {end:g} must be after start {start:g}", path=path, line=line, field="end")
        name = row["name"].strip()
        if not name:
            raise FormatError("empty perturbation name", path=path, line=line, field="name")
        subject = row.get("subject", "").strip() or None
        out.append(Perturbation(name, start, end, subject))
    return out


def qpcr_geometric_mean(qpcr: pd.DataFrame) -> pd.Series:
    """Total load per sample: the geometric mean of the replicate columns (MDSINE2's choice).

    Replicates that are missing or not positive are left out; a sample with no
    positive replicate gets NaN.
    """
    values = qpcr.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    positive = np.where(values > 0, values, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        logs = np.log(positive)
        n = np.sum(np.isfinite(logs), axis=1)
        mean = np.where(n > 0, np.nansum(np.where(np.isfinite(logs), logs, 0.0), axis=1) / np.maximum(n, 1), np.nan)
    return pd.Series(np.exp(mean), index=qpcr.index, name="total_load")


def read_qpcr(path: str | PathLike[str]) -> pd.Series:
    """A qPCR table (sample, then one column per replicate) -> geometric mean per sample."""
    try:
        frame = pd.read_csv(path, sep=None, engine="python", index_col=0)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise FormatError(f"cannot read the qPCR table: {exc}", path=path) from None
    if frame.shape[1] == 0:
        raise FormatError("a qPCR table needs a sample column and at least one replicate column", path=path, line=1)
    frame.index = frame.index.astype(str)
    return qpcr_geometric_mean(frame)


def sample_times(metadata: pd.DataFrame, *, path: str | None = None, subject_column: str | None = None,
                 time_column: str | None = None) -> pd.DataFrame:
    """``subject`` and ``time`` per sample (index) from a metadata table: the
    columns named, else the first with one of the usual names
    (:data:`SUBJECT_COLUMNS`, :data:`TIME_COLUMNS`, any case)."""
    cols = {c.lower(): c for c in metadata.columns}
    for given in (subject_column, time_column):
        if given is not None and given not in metadata.columns:
            raise FormatError(f"no column {given!r} (columns: {', '.join(map(str, metadata.columns))})",
                              path=path, line=1, field=given)
    subject = subject_column or next((cols[c] for c in SUBJECT_COLUMNS if c in cols), None)
    time = time_column or next((cols[c] for c in TIME_COLUMNS if c in cols), None)
    if subject is None or time is None:
        raise FormatError("the metadata needs a subject column (" + ", ".join(SUBJECT_COLUMNS) + ") and a time column ("
                          + ", ".join(TIME_COLUMNS) + "), or name them with --subject-column and --time-column "
                          f"(columns: {', '.join(map(str, metadata.columns))})", path=path, line=1)
    times = pd.to_numeric(metadata[time], errors="coerce")
    bad = times.isna() & metadata[time].notna()
    if bad.any():
        raise FormatError(f"time {metadata[time][bad].iloc[0]!r} of sample {metadata.index[bad][0]!r} is not a number (days)",
                          path=path, field=time)
    return pd.DataFrame({"subject": metadata[subject].astype(str), "time": times}, index=metadata.index.astype(str))


# --- MDSINE2 protocol ----------------------------------------------------------


def merge_identical_sequences(counts: pd.DataFrame, sequences: pd.Series | None) -> pd.DataFrame:
    """Sum the rows of ASVs whose sequences are identical (kept under the first ASV's name)."""
    if sequences is None:
        return counts
    seq = sequences.reindex(counts.index)
    if seq.isna().any():
        raise DataError(f"no sequence for {seq.index[seq.isna()][0]!r}")
    first = seq.groupby(seq, sort=False).transform(lambda s: s.index[0])
    if (first == counts.index).all():
        return counts
    merged = counts.groupby(first.to_numpy(), sort=False).sum()
    return merged.loc[pd.unique(first.to_numpy())]


def consistency_filter(
    relative: pd.DataFrame,
    times: pd.DataFrame,
    *,
    threshold: float = 1e-4,
    consecutive: int = 7,
    min_subjects: int = 2,
    from_day: float = 5.0,
    subjects: list[str] | None = None,
) -> pd.Index:
    """Taxa at ``>= threshold`` in ``>= consecutive`` consecutive samples from ``from_day`` on in ``>= min_subjects`` subjects.

    MDSINE2's ``consistency_filtering`` (relative abundance 1e-4, 7 consecutive
    samples, 2 subjects, colonisation time 5 days).  ``relative`` is taxa x
    samples; ``times`` has ``subject`` and ``time`` per sample.
    """
    subjects = subjects if subjects is not None else list(dict.fromkeys(times["subject"]))
    passing = np.zeros(len(relative), dtype=int)
    for subject in subjects:
        rows = times[(times["subject"] == subject) & (times["time"] >= from_day)].sort_values("time")
        rows = rows[rows.index.isin(relative.columns)]
        above = relative[rows.index].to_numpy() >= threshold
        run = np.zeros(len(relative), dtype=int)
        best = np.zeros(len(relative), dtype=int)
        for k in range(above.shape[1]):
            run = np.where(above[:, k], run + 1, 0)
            best = np.maximum(best, run)
        passing += best >= consecutive
    return relative.index[passing >= min_subjects]


def _read_tsv(path: Path, **kwargs) -> pd.DataFrame:
    if not path.is_file():
        raise FormatError("missing (an MDSINE2-style folder has counts.tsv, metadata.tsv, qpcr.tsv, perturbations.tsv)",
                          path=path)
    try:
        return pd.read_csv(path, sep="\t", **kwargs)
    except (ValueError, pd.errors.ParserError) as exc:
        raise FormatError(str(exc), path=path) from None


def mdsine2_dataset(
    folder: str | PathLike[str],
    *,
    drop_days: tuple[float, ...] = (0.0, 0.5),
    threshold: float = 1e-4,
    consecutive: int = 7,
    min_subjects: int = 2,
    from_day: float = 5.0,
) -> Longitudinal:
    """An MDSINE2-style folder prepared with MDSINE2's protocol (see the module docstring).

    Only subjects with perturbations and qPCR take part (mice 2-5 of the
    healthy-donor data; mouse 1 has only the first week and no qPCR), and
    only their samples count in the filter.
    """
    folder = Path(folder)
    counts = _read_tsv(folder / "counts.tsv", index_col=0)
    counts.index = counts.index.astype(str)
    taxonomy_path = folder / "silva_species.tsv"
    sequences, lineages = None, None
    if taxonomy_path.is_file():
        taxonomy = _read_tsv(taxonomy_path, index_col=0, dtype=str)
        ranks = [c for c in taxonomy.columns if c.lower() in
                 {"kingdom", "domain", "phylum", "class", "order", "family", "genus", "species"}]
        extra = [c for c in taxonomy.columns if c not in ranks]
        if extra:
            sequences = taxonomy[extra[0]]
        lineages = rank_lineages(taxonomy[ranks])
    meta = _read_tsv(folder / "metadata.tsv", dtype=str)
    meta = meta.set_index(meta.columns[0])
    times = sample_times(meta, path=str(folder / "metadata.tsv"))
    total = read_qpcr(folder / "qpcr.tsv")
    perturbations = read_perturbations(folder / "perturbations.tsv")
    subjects = sorted({p.subject for p in perturbations if p.subject is not None}, key=_natural)
    if not subjects:
        subjects = sorted(set(times["subject"]), key=_natural)
    merged = merge_identical_sequences(counts, sequences)
    times = times[times["subject"].isin(subjects) & times.index.isin(merged.columns)]
    times = times[~times["time"].isin(drop_days)]
    times = times[times.index.isin(total.dropna().index)]
    merged = merged[times.index]
    relative = merged / merged.sum(axis=0)
    kept = consistency_filter(relative, times, threshold=threshold, consecutive=consecutive,
                              min_subjects=min_subjects, from_day=from_day, subjects=subjects)
    if len(kept) == 0:
        raise DataError(f"{folder}: no taxon passes the consistency filter")
    kept_counts = merged.loc[kept]
    kept_relative = kept_counts / kept_counts.sum(axis=0).replace(0, np.nan)
    absolute = kept_relative * total.reindex(kept_counts.columns)
    series = {}
    for subject in subjects:
        rows = times[times["subject"] == subject]
        if rows.empty:
            continue
        series[subject] = SubjectSeries(subject, rows["time"].to_numpy(), absolute[rows.index].T.to_numpy(),
                                        kept_counts[rows.index].T.to_numpy() > 0, list(rows.index))
    return Longitudinal(
        taxa=list(kept), series=series, perturbations=[p for p in perturbations if p.subject is None or p.subject in series],
        units="16S rRNA gene copies per gram", lineages=list(lineages.reindex(kept).fillna("")) if lineages is not None else [],
        provenance={"data": str(folder), "protocol": "MDSINE2 (consistency filter 1e-4, 7 consecutive, 2 subjects, from day 5; "
                    f"days {', '.join(f'{d:g}' for d in drop_days)} dropped; qPCR geometric mean)",
                    "merged_sequences": int(len(counts) - len(merged))},
    )


def _natural(name: str):
    return (0, int(name)) if name.isdigit() else (1, name)


# --- reading a table with a separate taxonomy ---------------------------------------

_RANK_PREFIX = {"kingdom": "k", "domain": "k", "phylum": "p", "class": "c", "order": "o", "family": "f", "genus": "g",
                "species": "s"}


def rank_lineages(ranks: pd.DataFrame) -> pd.Series:
    """``k__...;p__...;g__Genus;s__Genus epithet`` per row of a table with one column per rank.

    DADA2's ``assignTaxonomy``/``addSpecies`` and phyloseq write the species
    column as the epithet alone; it is joined to the genus.  Empty ranks end the lineage.
    """
    cols = [(c, _RANK_PREFIX[c.lower()]) for c in ranks.columns if c.lower() in _RANK_PREFIX]
    out = {}
    for feature, row in ranks.iterrows():
        parts, genus = [], ""
        for col, prefix in cols:
            value = row[col]
            if not isinstance(value, str) or not value.strip() or value.strip().upper() in {"NA", "NAN"}:
                break
            value = value.strip()
            if prefix == "g":
                genus = value
            if prefix == "s" and genus and not value.startswith(genus):
                value = f"{genus} {value}"
            parts.append(f"{prefix}__{value}")
        out[feature] = ";".join(parts)
    return pd.Series(out, dtype=object)


def read_rank_taxonomy(path: str | PathLike[str]) -> dict[str, str]:
    """Feature id -> lineage from a table with one column per rank (DADA2/phyloseq, MDSINE2's ``silva_species.tsv``).

    The first column holds the feature ids; columns that are not ranks (a
    sequence, a confidence) are ignored.
    """
    try:
        frame = pd.read_csv(path, sep=None, engine="python", index_col=0, dtype=str)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise FormatError(f"cannot read the taxonomy table: {exc}", path=path) from None
    if not any(c.lower() in _RANK_PREFIX for c in frame.columns):
        raise FormatError("a taxonomy table needs columns named by rank (Kingdom, Phylum, ..., Genus, Species) "
                          "or the QIIME 2 layout (Feature ID, Taxon)", path=path, line=1)
    frame.index = frame.index.astype(str)
    lineages = rank_lineages(frame)
    empty = lineages[lineages == ""]
    if len(empty) == len(lineages):
        raise FormatError("no feature has a lineage", path=path)
    return {str(k): v for k, v in lineages.items() if v}  # feature ids are text (read as str)


def read_table(table: str | PathLike[str], taxonomy: str | PathLike[str] | None = None):
    """A Cohort from any table :func:`gutbalance.read` reads, with an optional separate taxonomy
    (a QIIME 2 taxonomy ``.qza``/``taxonomy.tsv`` or a rank-column table, :func:`read_rank_taxonomy`)."""
    if taxonomy is None or taxonomy_file_kind(Path(taxonomy)) is not None:
        return read([table] if taxonomy is None else [table, taxonomy])
    features = FeatureTaxonomy()
    features.add(read_rank_taxonomy(taxonomy), str(taxonomy))
    return build_cohort(read_profiles(table, taxonomy=features))


# --- from a Cohort ---------------------------------------------------------------


def from_cohort(
    cohort,
    metadata: pd.DataFrame,
    perturbations: list[Perturbation],
    *,
    qpcr: pd.Series | None = None,
    rank: str = "genus",
    min_abundance: float = 1e-4,
    min_samples: int = 3,
    start_day: float | None = None,
    source: str = "",
    metadata_path: str | None = None,
    subject_column: str | None = None,
    time_column: str | None = None,
) -> Longitudinal:
    """Series per subject from a :class:`~gutbalance.Cohort` at ``rank``.

    Taxa kept: at ``>= min_abundance`` relative abundance in ``>= min_samples``
    samples.  With ``qpcr`` (total load per sample), values are relative
    abundance over the kept taxa x the load; otherwise relative abundance.
    ``subject_column`` and ``time_column`` name the metadata's columns
    (:func:`sample_times`); ``metadata_path`` is the file its errors name.
    """
    if rank not in RANK_INDEX:
        raise DataError(f"unknown rank {rank!r}; use one of {', '.join(RANK_INDEX)}")
    times = sample_times(metadata, path=metadata_path or source or None, subject_column=subject_column,
                         time_column=time_column)
    known = pd.Index(cohort.sample_names).isin(times.index)
    if not known.any():
        raise DataError(f"no sample of the table is in the metadata (table: {', '.join(cohort.sample_names[:3])}, ...; "
                        f"metadata: {', '.join(map(str, times.index[:3]))}, ...)")
    matrix, taxa = cohort.rank_matrix(rank)
    dense = np.asarray(matrix.todense()) if hasattr(matrix, "todense") else np.asarray(matrix)
    frame = pd.DataFrame(dense, index=cohort.sample_names, columns=list(taxa.index))
    # a sample the metadata does not place in time is left out and counted
    # (the iHMP table has 4 profiles its metadata lacks), not a reason to refuse the rest
    left_out = {"without_metadata": int((~known).sum())}
    frame = frame.loc[known]
    if start_day is not None:
        early = times.loc[frame.index, "time"] < start_day
        left_out["before_start_day"] = int(early.sum())
        frame = frame.loc[~early.to_numpy()]
    if qpcr is not None:
        has = qpcr.reindex(frame.index).notna().to_numpy()
        left_out["without_qpcr"] = int((~has).sum())
        frame = frame.loc[has]
    if frame.empty:
        raise DataError("no sample left (check the metadata, --start-day and the qPCR table)")
    total = frame.sum(axis=1).replace(0, np.nan)
    relative = frame.div(total, axis=0)
    keep = (relative >= min_abundance).sum(axis=0) >= min_samples
    if not keep.any():
        raise DataError(f"no {rank} reaches {min_abundance:g} relative abundance in {min_samples} samples")
    kept = relative.loc[:, keep]
    kept = kept.div(kept.sum(axis=1).replace(0, np.nan), axis=0)
    units = "relative abundance"
    if qpcr is not None:
        load = qpcr.reindex(kept.index)
        if load.isna().any():
            raise DataError(f"no qPCR total for sample {load.index[load.isna()][0]!r}")
        kept = kept.mul(load, axis=0)
        units = "absolute abundance (qPCR units)"
    series = {}
    short = 0
    for subject, rows in times.loc[kept.index].groupby("subject", sort=False):
        rows = rows.dropna(subset=["time"])
        if len(rows) < 3:
            # fitting needs three time points (fit.fit); a cohort's people with
            # fewer are left out and counted, not a reason to refuse the others
            short += int(len(rows) > 0)
            continue
        values = kept.loc[rows.index].to_numpy()
        series[subject] = SubjectSeries(subject, rows["time"].to_numpy(), np.nan_to_num(values), values > 0, list(rows.index))
    left_out["subjects_with_fewer_than_3_time_points"] = short
    if not series:
        raise DataError("no subject has three or more time points")
    names = [str(taxa.loc[t, "name"]) for t in kept.columns]
    lineages = [";".join(str(x) for x in str(taxa.loc[t, "lineage"]).split("|")) for t in kept.columns]
    return Longitudinal(names, series, [p for p in perturbations if p.subject is None or p.subject in series], units,
                        lineages=lineages,
                        provenance={"data": source, "rank": rank, "min_abundance": min_abundance, "min_samples": min_samples,
                                    "left_out": left_out})
