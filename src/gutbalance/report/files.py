"""Writing all reports of a run into its output folder, and reading them back.

Layout of ``DIR`` (``gutbalance analyze ... -o DIR``)::

    scores.tsv            the scores table (written by analyze)
    scores.json           per-taxon contributions (written by analyze)
    cohort.h5ad           the profiles and metadata (for composition and timelines)
    report_settings.json  how the reports were made (subjects, groups, reference)
    report.html           the cohort report
    samples/<name>.html   one report per sample (safe file names)
    subjects/<name>.html  one timeline per subject with two or more samples
    figures/<score>.svg   cohort figures, also as .png
    report_manifest.json  the pages and figures the last rendering wrote

``gutbalance report DIR`` re-renders every page from the saved files.

The reports own what they write and nothing else: each rendering lists its
pages and figures, with the size and time each had when written, in
``report_manifest.json``, and removes the files of the previous list that
it did not write again (a subject page of a ``--subject-column`` no longer
used, a sample no longer in the scores, figures turned off), so no page of
an earlier run looks current.  A file not in that list, or changed since
(its size or time differ), is never removed.

A rendering can be interrupted (Ctrl-C, a killed job, a full disk) after it
wrote some pages and before its manifest.  So each file is also recorded as
it is written, in ``report_manifest.journal`` (one JSON line per file: its
name and the stamp of the finished temporary file, appended and flushed to
disk *before* the file is moved into place, so no page is ever in place
unrecorded); the next rendering (or ``remove_reports``) reads the manifest
and the journal, and removes the journal once its manifest is written.

Files in the report's places that no manifest or journal lists (the pages
of a folder written before gutbalance kept a manifest, a user's own file)
are never removed: :attr:`ReportFiles.left` names them, for the command
line to say that they may be stale.  Pages carry gutbalance's
``<meta name="generator">``, but so does a page a user saved and annotated:
the mark says who made a page, not that it is unchanged, so it is not
taken as leave to remove one.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import IO, Any, cast

import pandas as pd

from .._version import __version__
from ..atomic import PendingFile, write_text_atomic
from ..cohort import PROFILE_COLUMNS, Cohort
from ..errors import DataError, FormatError
from ..io import read_h5ad, write
from ..reference.age import ages_in_years, parse_age_column
from ..reference.comparability import PROFILER_COLUMN, saved_profilers
from ..reference.core import Reference, load_reference
from ..reference.sample import sample_statistics
from ..reference.statistics import cohort_statistics, diversity_ranks, grouping_columns
from ..reference.timeline import Timeline, subjects_from_metadata, subjects_from_names, timelines
from ..score_specs import describe_at_rank
from ..scores import scores_json_samples
from ..scores_table import CONTRIBUTIONS_FILE, RESOLVED_RANK_COLUMN, SCORES_FILE, read_scores
from .figures import score_figure
from .render import (
    Contributions,
    cohort_age_note,
    missing_reason,
    render_cohort_report,
    render_sample_report,
    render_timeline_report,
    safe_filename,
    score_columns,
    timeline_notes,
)

SETTINGS_FILE = "report_settings.json"
COHORT_FILE = "cohort.h5ad"
#: What reading each sample's file warned of, by sample (``{sample: [message, ...]}``,
#: each message led by its file's name as on the sample page): ``problems.tsv``
#: names the file of a warning but not the sample a total's warning is of, so
#: ``gutbalance report`` reads the pages' warnings from here.
READ_WARNINGS_FILE = "read_warnings.json"
MANIFEST_FILE = "report_manifest.json"
#: The files of a rendering still under way (or interrupted), one JSON line each.
JOURNAL_FILE = "report_manifest.journal"
#: The folders a manifest may name files in (anything else in one is ignored, never removed).
_OWNED_FOLDERS = ("samples", "subjects", "figures")


@dataclass
class ReportFiles:
    """What :func:`write_reports` wrote."""

    cohort_report: Path
    sample_reports: dict[str, Path] = field(default_factory=dict)
    timeline_reports: dict[str, Path] = field(default_factory=dict)
    figures: list[Path] = field(default_factory=list)
    timelines: list[Timeline] = field(default_factory=list)
    #: Samples given a subject (by the metadata's subject column or the name pattern).
    subject_samples: int = 0
    #: Subjects with two or more samples but fewer than two with a time, so no
    #: timeline: each with its samples that have no time.
    without_timeline: dict[str, list[str]] = field(default_factory=dict)
    #: Pages and figures of the previous rendering not written again, and removed.
    removed: list[Path] = field(default_factory=list)
    #: Files in the report's places (``report.html``, ``samples/``, ``subjects/``,
    #: ``figures/``) this rendering neither wrote nor removed: not on a manifest
    #: (written before gutbalance kept one, or not by gutbalance), or changed since.
    #: They may be stale; they are left alone.
    left: list[Path] = field(default_factory=list)
    #: Whether the folder had a manifest (or a journal) before this rendering.
    had_manifest: bool = False
    #: Rendered without the profiles, the knowledge base the sources were looked
    #: up in differs from the one the run's pages were written with.
    knowledge_changed: bool = False


def knowledge_fingerprint() -> str:
    """A digest of the shipped knowledge base and lineage table (the files of
    ``gutbalance/knowledge/data`` and ``gutbalance/taxonomy/data``): what the
    Source of a taxon's effect is looked up in.  ``report_settings.json``
    keeps the one a run's pages were written with, so a re-rendering without
    the profiles can tell when it looks the sources up in another."""
    digest = hashlib.sha256()
    for package in ("gutbalance.knowledge", "gutbalance.taxonomy"):
        data = resources.files(package).joinpath("data")
        for entry in sorted(data.iterdir(), key=lambda e: e.name):
            if entry.is_file():
                digest.update(entry.name.encode("utf-8") + b"\0" + entry.read_bytes())
    return digest.hexdigest()[:16]


def sources_note(saved: str, current: str, *, profiles: bool) -> str:
    """What a re-rendered page says of its Source cells under Methods: they
    were looked up again in this version's knowledge base (``current``), by
    taxon and trait, on the profiles' lineages or (``profiles`` False) on the
    lineages the taxa ids give; and whether that is the knowledge base the
    run's pages were written with (``saved``; "" when the run did not record
    it).  "" when there is nothing to say: with the profiles and the same
    knowledge base, the page is the one ``analyze`` wrote."""
    if profiles and saved == current:
        return ""
    text = ("These pages were rendered again from the saved results"
             + ("" if profiles else " without the profiles (no cohort.h5ad)")
             + ", so the source beside each microbe was looked up again, by taxon and trait, in the knowledge base "
             f"of this gutbalance ({__version__}, knowledge base {current}).")
    if not saved:
        return text + (" The run did not record which knowledge base its scores were computed with, so a source "
                       "that changed since cannot be detected; run gutbalance analyze again for scores and sources "
                       "from one knowledge base.")
    if saved != current:
        return text + (f" The run's pages were written with another knowledge base ({saved}): a source or trait may "
                       "differ from the one its scores were computed with. Run gutbalance analyze again for scores "
                       "and sources from one knowledge base.")
    return text + " It is the knowledge base the run's pages were written with."


def _metadata_frame(cohort: Cohort | None, metadata: pd.DataFrame | None, index: pd.Index) -> pd.DataFrame:
    """The saved cohort's sample table with ``metadata`` (a file given again) joined on.

    The file's columns replace the saved ones of the same name (the metadata
    joined at analyze time): a re-rendered page kept the old times of
    samples whose day the new file had corrected (an outside check).  What
    the profiles give (:data:`~gutbalance.cohort.PROFILE_COLUMNS`) stays."""
    frames = []
    if cohort is not None:
        frames.append(cohort.samples)
    if metadata is not None:
        meta = metadata.copy()
        meta.index = meta.index.astype(str)
        if frames:
            meta = meta.drop(columns=[c for c in meta.columns if c in PROFILE_COLUMNS])
            frames[0] = frames[0].drop(columns=[c for c in meta.columns if c in frames[0].columns])
        frames.append(meta)
    if not frames:
        return pd.DataFrame(index=index)
    out = frames[0]
    for f in frames[1:]:
        out = out.join(f, how="outer")
    return out.reindex(index)


def write_reports(
    out_dir: str | PathLike[str],
    cohort: Cohort | None,
    scores: pd.DataFrame,
    contributions: Contributions | None = None,
    metadata: pd.DataFrame | None = None,
    *,
    reference: Reference | str | PathLike[str] | None = None,
    subject_column: str | None = None,
    time_column: str | None = None,
    subject_pattern: str | None = None,
    group_columns: Sequence[str] | None = None,
    figures: bool = False,
    save_cohort: bool = True,
    knowledge_base: str | None = None,
    read_warnings: Mapping[str, Sequence[str]] | None = None,
    age_column: str | None = None,
) -> ReportFiles:
    """Write the cohort report, one report per sample, timelines and figures.

    Parameters
    ----------
    out_dir
        The output folder (created if needed).
    cohort
        The profiles (for composition charts and species changes over time);
        None renders the reports from the scores alone.
    scores
        The scores table (index ``sample``); ``*_percentile`` columns are not
        shown (percentiles are recomputed against ``reference``), but with
        ``warnings`` and the ``percentiles_against`` of ``contributions`` they
        tell the profiler of a sample whose profiles ``cohort`` does not hold
        (:func:`gutbalance.reference.comparability.saved_profiler`), so its
        percentiles are against the population ``analyze`` chose for it.
    contributions
        ``{sample: {score: [{"taxon", "effect", "trait", "source"}, ...]}}``.
    metadata
        Extra sample metadata (index: sample) besides what ``cohort.samples`` holds.
    reference
        A :class:`Reference`, a reference file, or None for the shipped healthy reference.
    subject_column, time_column, subject_pattern
        How to find samples of the same subject: a metadata column (and an
        optional time column), or a regular expression on sample names such as
        ``Subj(\\d+)_time(\\d+)`` (first group subject, second time).
    group_columns
        Metadata columns to compare groups by; None picks columns with 2 to 6 groups.
    figures
        Also export cohort figures as SVG and PNG (matplotlib): on request
        only, since they take most of a small rendering's time (some 0.3 s
        per score) and the pages draw their own charts.
    save_cohort
        Save ``cohort.h5ad`` so ``gutbalance report`` can re-render.
    knowledge_base
        The :func:`knowledge_fingerprint` of the knowledge base the
        contributions were computed with: None when they were computed just
        now (``analyze``); ``gutbalance report`` passes the one saved in
        ``report_settings.json`` ("" when the run did not record it), and the
        sample pages say, under Methods, where their sources come from.
    read_warnings
        What reading each sample's file warned of, by sample (the warnings of
        ``problems.tsv``, each led by the file's name), listed first on its
        page; ``analyze`` has them and saves them with the cohort
        (``read_warnings.json``), where ``gutbalance report`` finds them again.
    age_column
        ``COLUMN[:years|months|days]``: the metadata column of each sample's
        age (unit years unless named; :func:`gutbalance.reference.age.parse_age_column`).
        A sample whose age is outside the ages of its healthy population gets
        a "Read with care" note, and the cohort page counts them; no score or
        percentile changes.  Saved with the settings.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ref = reference if isinstance(reference, Reference) else load_reference(reference)
    scores = scores.copy()
    scores.index = scores.index.astype(str)
    keys = score_columns(scores)
    scores[PROFILER_COLUMN] = _saved_profilers(cohort, scores, contributions)
    # diversity_rank, resolved_rank (a run at one diversity rank) and warnings say each
    # sample's kind of input, which picks its healthy population (or none) in the pages,
    # and whether its diversity is at that population's rank; missing says why a card has no number
    kept = ("diversity_rank", RESOLVED_RANK_COLUMN, "missing", "warnings", PROFILER_COLUMN, "stool_like")
    scores = scores[keys + [c for c in kept if c in scores.columns]]
    meta = _metadata_frame(cohort, metadata, scores.index)
    _require_columns(meta, subject_column=subject_column, time_column=time_column, group_columns=group_columns,
                     age_column=parse_age_column(age_column)[0] if age_column else None)
    ages = ages_in_years(meta, age_column) if age_column else None
    subjects = _subjects(scores.index, meta, subject_column, time_column, subject_pattern)
    series = (timelines(scores, subjects, cohort=cohort, reference=ref, time_name=time_column)
              if subjects is not None else [])
    subject_of = {s: t.subject for t in series for s in t.samples}

    result = ReportFiles(cohort_report=out / "report.html", timelines=series,
                         had_manifest=(out / MANIFEST_FILE).exists() or (out / JOURNAL_FILE).exists())
    if subjects is not None:
        result.subject_samples = int(subjects.index.isin(scores.index).sum())
        result.without_timeline = _without_timeline(subjects[subjects.index.isin(scores.index)])
    current = knowledge_fingerprint()
    run_knowledge = current if knowledge_base is None else knowledge_base
    note = "" if knowledge_base is None else sources_note(run_knowledge, current, profiles=cohort is not None)
    result.knowledge_changed = bool(run_knowledge) and run_knowledge != current
    with _Journal(out) as journal:
        _write_pages(journal, result, out, cohort, scores, contributions, meta, keys, ref, subject_of,
                     chosen_groups=(list(group_columns) if group_columns is not None else grouping_columns(
                         meta, exclude={c for c in (subject_column, time_column) if c})),
                     figures=figures, sources_note=note, read_warnings=read_warnings or {}, ages=ages,
                     # a person followed over time counts once per group (repeated samples are not independent)
                     persons=subjects["subject"].reindex(scores.index) if subjects is not None else None)
        if save_cohort and cohort is not None:
            write(cohort, out / COHORT_FILE, format="h5ad")  # atomic, as every writer
        if save_cohort:
            # every sample's, none for most: a re-rendering shows what this one did
            warned = {str(s): list(w) for s, w in (read_warnings or {}).items() if w}
            write_text_atomic(json.dumps(warned, indent=1, ensure_ascii=False) + "\n", out / READ_WARNINGS_FILE)
        settings = {
            "subject_column": subject_column,
            "time_column": time_column,
            "subject_pattern": subject_pattern,
            "group_columns": list(group_columns) if group_columns is not None else None,
            "reference": None if reference is None or isinstance(reference, Reference) else str(reference),
            "figures": figures,
            "age_column": age_column,
            # the knowledge base the run's scores and contributions were computed with,
            # kept by every re-rendering ("" when not known)
            "knowledge_base": run_knowledge,
        }
        write_text_atomic(json.dumps(settings, indent=1) + "\n", out / SETTINGS_FILE)
    written = [result.cohort_report, *result.sample_reports.values(), *result.timeline_reports.values(),
               *result.figures]
    result.removed = _replace_manifest(out, written)
    result.left = _left(out, written, result.removed)
    return result


def _saved_profilers(cohort: Cohort | None, scores: pd.DataFrame, contributions: Contributions | None) -> pd.Series:
    """The profiler family of each sample whose profiles ``cohort`` does not hold,
    from what its run saved ("" for the others: their profiles say)."""
    out = pd.Series("", index=scores.index, dtype=object)
    profiled = cohort.samples.index if cohort is not None and "source_format" in cohort.samples else pd.Index([])
    unprofiled = ~scores.index.isin(profiled)
    if unprofiled.any():
        # analyze compares with the shipped reference whatever reference the pages use
        out[unprofiled] = saved_profilers(scores.loc[unprofiled], contributions, shipped=load_reference())
    return out


def _groups_by_rank(groups: pd.Series | None, scores: pd.DataFrame) -> pd.Series:
    """Each sample's group and the rank of its diversity ("A, genus"; "all samples, genus"
    without a grouping): a figure of a diversity score draws a box per group and rank, as the
    cohort page's group charts do, never one that pools a richness of genera with one of
    species.  A sample without a group is in no box, as in a figure of one rank."""
    ranks = scores["diversity_rank"].astype(str)
    if groups is None:
        return "all samples, " + ranks
    labels = groups.reindex(scores.index)
    return (labels.astype(str) + ", " + ranks).where(labels.notna() & (labels.astype(str).str.strip() != ""))


def _write_pages(journal: _Journal, result: ReportFiles, out: Path, cohort: Cohort | None, scores: pd.DataFrame,
                 contributions: Contributions | None, meta: pd.DataFrame, keys: list[str], ref: Reference | None,
                 subject_of: dict[str, str], *, chosen_groups: list[str], figures: bool, sources_note: str = "",
                 read_warnings: Mapping[str, Sequence[str]], ages: pd.Series | None = None,
                 persons: pd.Series | None = None) -> None:
    """Render every page and figure into ``out``, each recorded in ``journal`` as it is written;
    ``persons``: each sample's subject, whose repeated samples the group tests count once."""
    series = result.timelines
    sample_names = {s: safe_filename(s) for s in scores.index}
    if len(set(sample_names.values())) != len(sample_names):  # pragma: no cover - sha256 prefix collision
        raise DataError("two sample names map to the same report file name")
    outside = 0
    for sample, fname in sample_names.items():
        subject = subject_of.get(sample)
        age = float(cast(float, ages.at[sample])) if ages is not None else None
        placed = sample_statistics(sample, scores, keys=keys, cohort=cohort, reference=ref, age=age)
        outside += bool(placed.age_note)
        html = render_sample_report(
            sample, scores, cohort=cohort, contributions=contributions, statistics=placed, sources_note=sources_note,
            read_warnings=read_warnings.get(sample, ()),
            timeline_href=f"../subjects/{safe_filename(subject)}.html" if subject else None,
        )
        result.sample_reports[sample] = journal.write_text(html, out / "samples" / f"{fname}.html")
    for t in series:
        subject_scores = scores.loc[t.samples]
        html = render_timeline_report(t, reference=ref, ranks=diversity_ranks(subject_scores),
                                      missing={k: missing_reason(subject_scores, k) for k in t.scores.columns},
                                      notes=timeline_notes(subject_scores, list(t.scores.columns)))
        result.timeline_reports[t.subject] = journal.write_text(html, out / "subjects" / f"{safe_filename(t.subject)}.html")

    statistics = cohort_statistics(scores, keys=keys, metadata=meta, reference=ref, group_columns=chosen_groups,
                                   persons=persons)
    # the figures draw the population the cohort page draws, and none where no sample is comparable with it
    drawn = statistics.reference if not statistics.not_comparable else None
    figure_links: dict[str, dict[str, str]] = {}
    if figures:
        group_series = meta[chosen_groups[0]] if chosen_groups else None
        ranks = diversity_ranks(scores)
        for key in keys:
            info = describe_at_rank(key, ranks)
            # diversity at several ranks is not drawn beside the reference's, which is at one (as on the page)
            mixed = ranks is not None and len(ranks) > 1 and info.group == "diversity"
            dist = drawn.distribution(key) if drawn and not mixed else None
            paths = score_figure(
                out / "figures" / safe_filename(key), key, scores[key], label=info.label,
                groups=_groups_by_rank(group_series, scores) if mixed else group_series,
                missing=missing_reason(scores, key),
                reference=dist.values if dist is not None and dist.kind == "values" else None,
                write=journal.write,
            )
            result.figures.extend(paths)
            figure_links[key] = {p.suffix.lstrip("."): f"figures/{p.name}" for p in paths}
    age_text = cohort_age_note(outside, len(scores), int(ages.notna().sum())) if ages is not None else ""
    html = render_cohort_report(scores, statistics, timelines=series, figures=figure_links, age_note=age_text)
    journal.write_text(html, result.cohort_report)


def _stamp(path: Path) -> list[int]:
    """What tells a file we wrote from one changed since: its size and modification time (ns)."""
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


class _Journal:
    """The files of one rendering, recorded as they are written (:data:`JOURNAL_FILE`).

    Each file is filled as a temporary file beside its place; the journal
    gets its name and that file's stamp (size and modification time, which
    the move keeps), flushed to disk, and only then is it moved into place:
    an interruption at any moment leaves no page in place that the journal
    does not name.  The journal is appended to, never truncated (an earlier
    interrupted rendering's lines stay until a manifest replaces them).
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        self._handle: IO[str] | None = None

    def write(self, path: Path, fill: Callable[[Path], object]) -> Path:
        """Fill ``path`` atomically with ``fill(tmp)`` (as :func:`~gutbalance.atomic.write_atomic`), recorded first."""
        with PendingFile(path) as pending:
            fill(pending.tmp)
            self._record(path.relative_to(self.out).as_posix(), _stamp(pending.tmp))
            return pending.commit()

    def write_text(self, text: str, path: Path) -> Path:
        """Write ``text`` to ``path`` as UTF-8, atomically and recorded first."""
        return self.write(path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline=""))

    def _record(self, name: str, stamp: list[int]) -> None:
        if self._handle is None:
            self._handle = open(self.out / JOURNAL_FILE, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._handle.write(json.dumps({"file": name, "stamp": stamp}) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        """Close the journal (the file stays until a manifest replaces it)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> _Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _owned(out: Path, name: object) -> Path | None:
    """The file a manifest entry names, if it may be one of ours: a plain
    relative path to ``report.html`` or into one of :data:`_OWNED_FOLDERS`
    (a hand-edited manifest cannot point outside them)."""
    if not isinstance(name, str) or "\\" in name:
        return None
    parts = Path(name).parts
    if name == "report.html" or (len(parts) == 2 and parts[0] in _OWNED_FOLDERS and parts[1] not in ("", ".", "..")):
        return out / name
    return None


def _read_manifest(out: Path) -> dict[str, list[list[int]]]:
    """The files earlier renderings into ``out`` wrote, each with the stamps it had when written:
    the manifest's, then those of the journal of an interrupted rendering ({} without either)."""
    previous: dict[str, list[list[int]]] = {}
    try:
        data = json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        data = None
    files = data.get("files") if isinstance(data, dict) else None
    if isinstance(files, dict):
        previous = {k: [v] for k, v in files.items() if isinstance(v, list)}
    try:
        lines = (out / JOURNAL_FILE).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        lines = []
    for line in lines:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:  # the last line of a journal cut short
            continue
        if isinstance(entry, dict) and isinstance(entry.get("file"), str) and isinstance(entry.get("stamp"), list):
            previous.setdefault(entry["file"], []).append(entry["stamp"])
    return previous


def _remove_stale(out: Path, previous: dict[str, list[list[int]]], keep: set[str]) -> list[Path]:
    """Remove the files of ``previous`` not in ``keep`` that are still as we wrote them; those removed."""
    removed = []
    for name, stamps in previous.items():
        path = _owned(out, name)
        if name in keep or path is None or path.is_symlink() or not path.is_file():
            continue
        try:
            if _stamp(path) not in stamps:  # changed since we wrote it: not ours to remove any more
                continue
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def _replace_manifest(out: Path, written: Sequence[Path]) -> list[Path]:
    """Record ``written`` as this rendering's files and remove the earlier
    renderings' files (manifest and journal) that were not written again; those removed."""
    previous = _read_manifest(out)
    files = {path.relative_to(out).as_posix(): _stamp(path) for path in written}
    removed = _remove_stale(out, previous, set(files))
    # the manifest first: until it is in place the journal still names this rendering's files
    write_text_atomic(json.dumps({"files": files}, indent=0, sort_keys=True) + "\n", out / MANIFEST_FILE)
    (out / JOURNAL_FILE).unlink(missing_ok=True)
    return removed


def remove_reports(out_dir: str | PathLike[str]) -> list[Path]:
    """Remove every page and figure earlier renderings into ``out_dir`` wrote
    (as listed in its manifest and the journal of an interrupted one,
    unchanged since), for a run that writes no reports over the results they
    described; the files removed."""
    out = Path(out_dir)
    if not (out / MANIFEST_FILE).exists() and not (out / JOURNAL_FILE).exists():
        return []
    return _replace_manifest(out, [])  # a rendering that wrote nothing


def _report_places(out: Path) -> list[Path]:
    """Every file where reports go: ``report.html`` and the files of :data:`_OWNED_FOLDERS` (not their subfolders)."""
    found = [out / "report.html"] if (out / "report.html").is_file() else []
    for folder in _OWNED_FOLDERS:
        if (out / folder).is_dir():
            found.extend(sorted(p for p in (out / folder).iterdir() if p.is_file() or p.is_symlink()))
    return found


def _left(out: Path, written: Sequence[Path], removed: Sequence[Path]) -> list[Path]:
    """The files where reports go that this rendering neither wrote nor removed."""
    done = {*written, *removed}
    return [p for p in _report_places(out) if p not in done]


def left_message(out_dir: str | PathLike[str], left: Sequence[Path], *, had_manifest: bool = True) -> str:
    """What to tell the user about the files :attr:`ReportFiles.left` (or
    :func:`left_reports`) names ("" when there are none)."""
    if not left:
        return ""
    out = Path(out_dir)
    names = [p.relative_to(out).as_posix() for p in left]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3:,} more" if len(names) > 3 else "")
    why = ("this folder has no report_manifest.json: its pages were written before gutbalance kept one, "
           "or not by gutbalance" if not had_manifest else
           "no report manifest lists them as written by gutbalance and unchanged")
    return (f"warning: {len(names):,} files in the report folders may be stale ({shown}): {why}, "
            "so gutbalance leaves them in place; delete them by hand if they are old pages")


def left_reports(out_dir: str | PathLike[str]) -> list[Path]:
    """The files where reports go in ``out_dir`` (``report.html``, ``samples/``,
    ``subjects/``, ``figures/``) that no manifest or journal lists unchanged:
    what a run that writes no reports leaves after :func:`remove_reports`
    (pages of a folder written before gutbalance kept a manifest, a user's own
    files). They may be stale; gutbalance does not remove them."""
    out = Path(out_dir)
    listed = _read_manifest(out)
    return [p for p in _report_places(out)
            if not (p.is_file() and p.relative_to(out).as_posix() in listed
                    and _stamp(p) in listed[p.relative_to(out).as_posix()])]


def _require_columns(meta: pd.DataFrame, *, subject_column: str | None, time_column: str | None,
                     group_columns: Sequence[str] | None, age_column: str | None) -> None:
    """Refuse, before any page is written, metadata columns the samples do not have; results
    saved without metadata (``analyze --reports none`` saves none) say where to give it."""
    named = [c for c in (subject_column, time_column, age_column) if c] + list(group_columns or [])
    if not named:
        return
    if len(meta.columns) == 0:
        raise DataError(
            f"no sample metadata to find {', '.join(map(repr, named))} in: these results hold none "
            "(gutbalance analyze saves it with the reports); give it with gutbalance report --metadata FILE"
        )
    columns = ", ".join(map(str, meta.columns))
    for column in group_columns or []:
        if column not in meta.columns:
            raise DataError(f"no metadata column {column!r} to compare groups by (columns: {columns})")


def _without_timeline(subjects: pd.DataFrame) -> dict[str, list[str]]:
    """Subjects of two or more samples of which fewer than two have a time:
    they get no timeline, which went unsaid (an outside check, 2026-11-29)."""
    out = {}
    for subject, group in subjects.groupby("subject", sort=True):
        timed = group["time"].notna()
        if len(group) >= 2 and timed.sum() < 2:
            out[str(subject)] = group.index[~timed].astype(str).tolist()
    return out


def _subjects(index: pd.Index, meta: pd.DataFrame, subject_column, time_column, subject_pattern) -> pd.DataFrame | None:
    if subject_column:
        return subjects_from_metadata(meta, subject_column, time_column)
    if subject_pattern:
        return subjects_from_names(index, subject_pattern)
    return None


# --- reading saved results ---------------------------------------------------------


def read_contributions(path: str | PathLike[str]) -> dict[str, Any]:
    """Per-taxon contributions from ``scores.json`` (none if there is no
    such file): ``{sample: {score: [...]}}`` with every entry's trait named
    (:func:`gutbalance.scores.scores_json_samples`), from this version's
    lean format or the files of earlier versions."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"cannot read contributions: {exc}", path=path) from None
    return scores_json_samples(data, path=path)


def rerender(out_dir: str | PathLike[str], metadata: pd.DataFrame | None = None, **overrides) -> ReportFiles:
    """Re-render every report in ``out_dir`` from its saved results.

    Uses ``scores.tsv``, ``scores.json`` (contributions, optional),
    ``cohort.h5ad`` (optional) and ``report_settings.json`` (optional);
    keyword arguments override the saved settings.  ``metadata``: sample
    metadata besides what ``cohort.h5ad`` holds (results saved without
    reports hold none), as :func:`write_reports` takes it.
    """
    out = Path(out_dir)
    # the saved percentiles tell the population of a sample whose profiles are not at hand
    scores = read_scores(out / SCORES_FILE, percentiles=True)
    contributions = read_contributions(out / CONTRIBUTIONS_FILE)
    cohort = None
    if (out / COHORT_FILE).exists():
        cohort = read_h5ad(out / COHORT_FILE)
    settings: dict[str, Any] = {}
    if (out / SETTINGS_FILE).exists():
        try:
            settings = json.loads((out / SETTINGS_FILE).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise FormatError(f"cannot read report settings: {exc}", path=out / SETTINGS_FILE) from None
    warned = _saved_read_warnings(out / READ_WARNINGS_FILE)
    given = {k: v for k, v in overrides.items() if v is not None}
    # the subjects come from a column or a pattern, the column first: naming
    # one on the command line replaces the other saved with the results
    if "subject_pattern" in given and "subject_column" not in given:
        settings.pop("subject_column", None)
        settings.pop("time_column", None)
    if "subject_column" in given and "subject_pattern" not in given:
        settings.pop("subject_pattern", None)
    settings.update(given)
    return write_reports(
        out, cohort, scores, contributions, metadata,
        reference=settings.get("reference"),
        subject_column=settings.get("subject_column"),
        time_column=settings.get("time_column"),
        subject_pattern=settings.get("subject_pattern"),
        group_columns=settings.get("group_columns"),
        figures=bool(settings.get("figures", False)),
        save_cohort=False,
        knowledge_base=settings.get("knowledge_base") if isinstance(settings.get("knowledge_base"), str) else "",
        read_warnings=warned,
        age_column=settings.get("age_column") if isinstance(settings.get("age_column"), str) else None,
    )


def _saved_read_warnings(path: Path) -> dict[str, list[str]]:
    """The read warnings ``analyze`` saved by sample; none from a folder
    written without them (``--reports none``, or before 2026-11-27)."""
    if not path.exists():
        return {}
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"cannot read the saved read warnings: {exc}", path=path) from None
    if not isinstance(saved, dict):
        raise FormatError("the saved read warnings are not an object of samples", path=path)
    for sample, messages in saved.items():
        if not isinstance(messages, list) or not all(isinstance(m, str) for m in messages):
            raise FormatError(f"sample {sample!r}: the read warnings are not a list of texts", path=path)
    return saved
