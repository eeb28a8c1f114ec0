"""Reading and writing profiles.  Formats sniff themselves; see
:mod:`gutbalance.io.registry` and the modules in :mod:`gutbalance.io.formats`.

>>> import gutbalance
>>> cohort = gutbalance.read(gutbalance.example_path())   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import glob
import io
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..cohort import Cohort, CohortBuilder, SampleProfile, build_cohort, validate_profile
from ..errors import DataError, FormatError, GutBalanceError, GutBalanceWarning, SampleLeftOutWarning

# Importing the formats package registers every built-in format (before the
# name ``formats`` is bound to the registry's function below).
from .feature_table import declared_rank
from .formats import h5ad, metaphlan
from .limits import default_limits
from .registry import Format, format_for_path, formats, get_format, sniff, verify
from .source import Source
from .taxonomy_file import TAXONOMY_NOT_USED, FeatureTaxonomy, split_taxonomy

__all__ = [
    "BatchResult",
    "Problem",
    "expand_inputs",
    "RESULTS_PARTS_DIR",
    "expand_paths",
    "formats",
    "read",
    "read_batch",
    "read_metadata",
    "read_profiles",
    "read_source",
    "split_batch_taxonomy",
    "taxonomy_not_used",
    "write",
]

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class Problem:
    """One input that could not be used (``error``) or looks wrong (``warning``)."""

    file: str
    severity: str
    message: str
    #: The sample a warning is of alone (a total far from 100 %); "" when it is
    #: the whole file's (and so each of its samples'). Not a column of ``problems.tsv``.
    sample: str = ""

    def as_row(self) -> dict[str, str]:
        """The problem as a row of ``problems.tsv``."""
        return {"file": self.file, "severity": self.severity, "message": self.message}


@dataclass
class BatchResult:
    """What :func:`read_batch` read: the cohort of the good files (None when
    none was) and every problem met."""

    cohort: Cohort | None
    problems: list[Problem] = field(default_factory=list)
    #: How many of the files were read with the feature taxonomy (tables whose
    #: feature ids it names): whether a taxonomy given to several batches was used.
    taxonomy_tables: int = 0

    @property
    def failed(self) -> list[Problem]:
        """The files that could not be used."""
        return [p for p in self.problems if p.severity == "error"]


#: The folder of saved parts that ``gutbalance analyze`` keeps in its output
#: folder: a folder holding one is a results folder, never profiles.
RESULTS_PARTS_DIR = ".gutbalance-parts"


def expand_paths(inputs: Iterable[PathLike], *, exclude: Iterable[PathLike] = ()) -> list[Path]:
    """Files, folders (every file below them, hidden files and folders
    skipped) and glob patterns, in a stable order, each once.

    ``exclude`` names files or folders that folders and patterns leave out
    (the metadata table beside the profiles, the output folder of a run
    inside its input folder).  A folder below an input folder that holds
    gutbalance's saved parts (:data:`RESULTS_PARTS_DIR`) is an earlier run's
    results and is left out too: its ``scores.tsv`` and ``cohort.h5ad`` were
    read as profiles (an outside check, 2026-11-29).  A file named itself as an input is kept even
    so: it is meant as both (a QIIME 2 barplot CSV holds the profiles and,
    after them, the sample metadata), and leaving out the only input said
    "no input could be read" without naming it.
    """
    out: list[Path] = []
    # Excluded by their real paths as well: a --metadata table reached through
    # a symbolic link to its folder was read as a profile (an outside check).
    skip = {os.path.abspath(os.fspath(p)) for p in exclude} | {os.path.realpath(os.fspath(p)) for p in exclude}
    seen: set[str] = set()

    def add(p: str, *, named: bool = False, real: str | None = None) -> None:
        # A cohort folder can hold 100,000 files: compare absolute path
        # strings rather than resolving every one through the file system.
        key = os.path.abspath(p)
        if key not in seen and (named or (key not in skip and real not in skip)):
            seen.add(key)
            out.append(Path(p))

    for item in inputs:
        text = os.fspath(item)
        if os.path.isdir(text):
            # Profiles often sit a level or two down (study/profiles/run.txt).
            # The folder's real path is resolved once; its files' real paths
            # follow from it (os.walk does not follow links further down).
            real_base = os.path.realpath(text)

            def real(path: str, base: str = text, real_base: str = real_base) -> str:
                return os.path.normpath(real_base + path[len(base):])

            for root, dirs, files in os.walk(text):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                                 and os.path.abspath(os.path.join(root, d)) not in skip
                                 and real(os.path.join(root, d)) not in skip
                                 and not os.path.isdir(os.path.join(root, d, RESULTS_PARTS_DIR)))
                for name in sorted(f for f in files if not f.startswith(".")):
                    path = os.path.join(root, name)
                    add(path, real=real(path))
        elif os.path.exists(text):
            add(text, named=True)
        elif any(ch in text for ch in "*?["):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise FormatError("the pattern matches no file", path=text)
            for m in matches:
                if os.path.isfile(m):
                    add(m)
        else:
            raise FormatError("no such file or folder", path=text)
    return out


def expand_inputs(
    inputs: Iterable[PathLike], *, exclude: Iterable[PathLike] = ()
) -> tuple[list[Path], list[Problem]]:
    """:func:`expand_paths` input by input, for a batch: a path that does not
    exist, or a pattern that matches no file, is a problem naming it, and
    every other input is still expanded (one mistyped path among a study's
    folders does not lose the rest). The files are those
    :func:`expand_paths` gives for the inputs that exist, in its order."""
    files: list[Path] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    excluded = list(exclude)
    for item in inputs:
        try:
            found = expand_paths([item], exclude=excluded)
        except FormatError as exc:
            problems.append(Problem(exc.path or os.fspath(item), "error", exc.message))
            continue
        if not found and os.path.isdir(os.fspath(item)):
            # said, as a missing path is: "no input could be read" named
            # nothing (an outside check, 2026-11-29)
            problems.append(Problem(os.fspath(item), "error", "the folder holds no file to read (hidden files, the "
                                    "--metadata table and the output folder are left out)"))
        for f in found:
            key = os.path.abspath(f)
            if key not in seen:
                seen.add(key)
                files.append(f)
    return files, problems


def read_source(
    source: Source, *, format: str | None = None, taxonomy: FeatureTaxonomy | None = None,
    feature_rank: str | None = None,
) -> list[SampleProfile]:
    """Parse one already-opened source into sample profiles; ``taxonomy``
    names the features of tables whose ids are not taxa (ASV hashes);
    ``feature_rank`` is the rank of bare taxon names (see :func:`read`).

    Raises
    ------
    TaxonomyError
        ``feature_rank`` is no rank.
    """
    return _read_source(source, format=format, taxonomy=taxonomy, feature_rank=declared_rank(feature_rank))[0]


def _read_source(
    source: Source,
    *,
    format: str | None = None,
    prefer: Format | None = None,
    taxonomy: FeatureTaxonomy | None = None,
    feature_rank: str | None = None,
) -> tuple[list[SampleProfile], Format]:
    """``feature_rank``: a standard rank (:func:`declared_rank`), checked once
    by the public callers (:func:`read_source`, :func:`read`, :func:`read_batch`)."""
    fmt: Format = get_format(format) if format else sniff(source, prefer=prefer)
    if format:
        verify(fmt, source)
    assert fmt.read is not None
    # Only the readers that take an option are given it: a MetaPhlAn profile
    # in the same run names its ranks itself.
    options: dict[str, object] = {}
    if taxonomy is not None and fmt.takes_taxonomy:
        options["taxonomy"] = taxonomy
    if feature_rank is not None and fmt.takes_feature_rank:
        options["feature_rank"] = feature_rank
    try:
        profiles = fmt.read(source, **options)
    except GutBalanceError:
        raise
    except (ValueError, KeyError, IndexError, UnicodeError, OSError) as exc:
        # A reader bug or an input shape it did not foresee: still the user's
        # file that is at fault, so say which one.
        raise FormatError(f"cannot be read as {fmt.description}: {exc}", path=source.path) from exc
    if not profiles:
        raise FormatError(f"no samples found in {fmt.description}", path=source.path)
    if fmt.ends_with_newline:
        _warn_if_cut(source)
    source.limits.check_profiles(profiles, path=source.path)
    if "taxonomy" in options:
        assert taxonomy is not None
        taxonomy.tables.append(str(source.path))
    return profiles, fmt


def _warn_if_cut(source: Source) -> None:
    """A line format's file that does not end with a newline was read whole,
    but may have been cut short inside its last value (an interrupted copy or
    download), which still parses: a number cut to its first digits, a name
    to its first letters, and every row after it gone.  Nothing in the file
    tells that from a file saved without its final newline by hand, so it is
    read, with a warning that says what cannot be told."""
    text = source.text
    if text and not text.endswith(("\n", "\r")):
        warnings.warn(
            f"{source.path}, line {len(source.all_lines)}: the file does not end with a newline, as the tools "
            "that write this format end it; it was read, but if it was cut short inside that last line, its "
            "last value is wrong and any rows after it are missing",
            GutBalanceWarning,
            stacklevel=3,
        )


def read_profiles(
    path: PathLike, *, format: str | None = None, taxonomy: FeatureTaxonomy | None = None,
    feature_rank: str | None = None,
) -> list[SampleProfile]:
    """Parse one file into sample profiles (the step before harmonisation)."""
    return read_source(Source.open(path), format=format, taxonomy=taxonomy, feature_rank=feature_rank)


def read_metadata(
    path: PathLike, *, sample_column: str | None = None, columns: Sequence[str] = (), as_written: Sequence[str] = ()
) -> pd.DataFrame:
    """Sample metadata from a CSV/TSV file, indexed by sample name.

    The sample column is ``sample_column`` if given, else the first of
    ``sample``, ``sample_id``, ``SampleID``, ``#SampleID``, ``run`` whose
    values are unique (in a table of sequencing runs, ``sample`` often names
    the biological sample and repeats, while ``run`` names the profile), else
    the first column if its values are unique (also when every named column
    repeats) (names are matched exactly, then ignoring case: curated tables write ``Sample``); otherwise the error lists the
    columns to choose from.

    ``columns`` names the fields the caller needs (a subject or time column).
    A table that holds them as *rows* instead, with one column per sample (the
    layout of bioBakery's and MaAsLin's metadata files: ``sample  S1  S2`` over
    ``subject  C3001  C3002``), is turned around so that samples are rows.

    A column of numbers (``NA`` and the other words for no value aside) is
    read as numbers, except the columns ``as_written`` names, whose values
    stay the text written (group codes such as ``1`` or ``01`` that a user
    names on the command line as written).
    """
    source = Source.open(path)
    text = source.text
    first = text.splitlines()[0] if text else ""
    sep = "\t" if first.count("\t") >= first.count(",") else ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise FormatError(f"cannot read metadata table: {exc}", path=path) from None
    # QIIME 2 metadata: lines below the header whose first cell starts with '#'
    # are comments or directives ('#q2:types  categorical  numeric'), not
    # samples (an outside check: '#q2:types' joined a compared group, and its
    # type words kept a column of numbers from reading as numbers)
    if len(frame.columns):
        frame = frame[~frame[frame.columns[0]].str.startswith("#")].reset_index(drop=True)
    if frame.empty:
        raise FormatError("metadata table has no rows", path=path)
    candidates = [sample_column] if sample_column else ["sample", "sample_id", "SampleID", "#SampleID", "run"]
    if sample_column:
        if sample_column not in frame.columns:
            raise FormatError(
                f"no column {sample_column!r} (columns: {', '.join(map(str, frame.columns))})",
                path=path, field=sample_column,
            )
        col = sample_column
    else:
        present = [c for c in candidates if c in frame.columns]
        if not present:
            # "Sample", "SAMPLE_ID": curated tables capitalise freely (the labelled
            # IBD sets put "Dataset" first and "Sample" second).
            folded = {str(c).lower(): c for c in reversed(frame.columns)}
            present = [folded[c.lower()] for c in candidates if c.lower() in folded]
        # a named column that repeats (a table of sequencing runs whose
        # ``sample_id`` names the biological sample) gives way to a unique first column
        present = present + [frame.columns[0]] if frame.columns[0] not in present else present
        found = next((c for c in present if not frame[c].duplicated().any()), None)
        if found is None:
            unique = [str(c) for c in frame.columns if not frame[c].duplicated().any()]
            repeats = "; ".join(f"{c!r} repeats {frame.loc[frame[c].duplicated(), c].iloc[0]!r}" for c in present)
            raise FormatError(
                f"no column names each sample once ({repeats}); "
                + (f"choose the sample column (--sample-column; read_metadata(..., sample_column=)) among: "
                   f"{', '.join(unique)}" if unique
                   else "give each sample one row, named in the first column or one headed 'sample'"),
                path=path,
            )
        col = found
    if frame[col].duplicated().any():
        dup = frame.loc[frame[col].duplicated(), col].iloc[0]
        raise FormatError(f"sample {dup!r} appears more than once", path=path, field=col)
    frame = frame.set_index(col)
    if columns and not set(columns) <= set(frame.columns) and set(columns) <= set(frame.index):
        # samples as columns: every needed field is a row name and not a column
        frame = frame.T
        if frame.index.duplicated().any():
            dup = frame.index[frame.index.duplicated()][0]
            raise FormatError(f"sample {dup!r} appears more than once (the samples are the columns of this table)",
                              path=path)
    frame.index.name = "sample"
    frame.columns.name = None
    for c in frame.columns:
        # " -" and "-", "Healthy " and "Healthy" are one value to whoever wrote
        # them (MetAML's disease column has both; GAN-GMHI's phenotypes end in spaces)
        frame[c] = frame[c].str.strip()
        if c in as_written:
            continue
        # a number column with "NA" for a missing value (R's write.table) is
        # still numbers: week_num must sort as numbers, not as text
        given = ~frame[c].str.lower().isin(MISSING_TEXT)
        converted = pd.to_numeric(frame[c].where(given), errors="coerce")
        if converted.notna().sum() == given.sum() and given.any():
            frame[c] = converted
    return frame


#: how metadata tables write "no value" (lower case); a column of numbers and
#: these is numeric, and a timeline leaves such a sample out (reference.timeline)
MISSING_TEXT = frozenset({"", "na", "n/a", "nan", "null", "none", "-"})


@dataclass(frozen=True)
class _Inputs:
    """What one read was given: the profile files, in order, and the feature
    taxonomy of the taxonomy files among them (with those that failed)."""

    files: list[Path]
    taxonomy: FeatureTaxonomy | None
    taxonomy_errors: list[tuple[Path, GutBalanceError]]


def _inputs(paths: PathLike | Sequence[PathLike]) -> _Inputs:
    """Files, folders and globs expanded (:func:`expand_paths`, which raises
    :class:`FormatError` for a missing one), taxonomy files taken out."""
    # Taxonomy files (FeatureData[Taxonomy] .qza, taxonomy.tsv) are not
    # profiles: they give lineages to the feature tables read with them.
    files, taxonomy, errors = split_taxonomy(expand_paths(_as_list(paths)))
    return _Inputs(files, taxonomy, errors)


def _as_list(paths: PathLike | Sequence[PathLike]) -> Sequence[PathLike]:
    return [paths] if isinstance(paths, (str, os.PathLike)) else paths


def read(
    paths: PathLike | Sequence[PathLike],
    *,
    format: str | None = None,
    metadata: PathLike | pd.DataFrame | None = None,
    feature_rank: str | None = None,
) -> Cohort:
    """Read one or more profiles (files, folders or globs) into a Cohort.

    ``feature_rank`` (``"genus"``, ``"species"`` ...) declares the rank of
    taxon names that carry none, in tables that do not say it either: a
    samples x genera CSV headed ``SampleID, Lysinibacillus, UCG-002``.  It is
    never guessed, and applies name by name only to names of unknown rank:
    lineages, rank-prefixed names (``g__X``), binomials and a column headed
    by its rank keep their own, whichever file of the batch they are in.
    Names the lineage table does not know (SILVA's ``UCG-002``) are
    kept as taxa of that rank with no parent: they count in the diversity of
    their rank but reach no phylum (``placed``) and carry no trait.

    Raises the first :class:`~gutbalance.errors.GutBalanceError` met; use
    :func:`read_batch` to keep going past bad files.
    """
    feature_rank = declared_rank(feature_rank)
    inputs = _inputs(paths)
    if inputs.taxonomy_errors:
        raise inputs.taxonomy_errors[0][1]
    if inputs.taxonomy is not None and not inputs.files:
        raise FormatError(
            "only taxonomy was given: add the feature table(s) it describes", path=inputs.taxonomy.sources[0]
        )
    profiles: list[SampleProfile] = []
    for path in inputs.files:
        found, _ = _read_source(Source.open(path), format=format, taxonomy=inputs.taxonomy, feature_rank=feature_rank)
        profiles.extend(found)
    return _with_metadata(build_cohort(profiles), metadata)


def _with_metadata(cohort: Cohort, metadata: PathLike | pd.DataFrame | None) -> Cohort:
    if metadata is None:
        return cohort
    frame = metadata if isinstance(metadata, pd.DataFrame) else read_metadata(metadata)
    return cohort.with_metadata(frame)


def split_batch_taxonomy(paths: Sequence[Path]) -> tuple[list[Path], FeatureTaxonomy | None, list[Problem]]:
    """The taxonomy files among the files of a batch (:func:`expand_paths`)
    taken out and read once, for a caller that reads the tables in several
    batches (``gutbalance analyze`` reads a folder in chunks): the tables in
    order, the merged taxonomy (None when no taxonomy file was given), and
    an error for each taxonomy file that could not be read.  Each batch is
    then read with ``read_batch(tables, taxonomy=..., tables_only=True)``,
    so the taxonomy applies to every table whichever batch it is in, and
    :func:`taxonomy_not_used` says when none took it."""
    tables, taxonomy, errors = split_taxonomy(list(paths))
    return tables, taxonomy, _taxonomy_problems(errors)


def taxonomy_not_used(taxonomy: FeatureTaxonomy | None) -> list[Problem]:
    """The warning of each file of ``taxonomy`` when no table of the batch
    (or batches) took it: the profiles read name their taxa themselves."""
    return [] if taxonomy is None else [Problem(source, "warning", TAXONOMY_NOT_USED) for source in taxonomy.sources]


def _taxonomy_problems(errors: list[tuple[Path, GutBalanceError]]) -> list[Problem]:
    return [Problem(str(path), "error", _message(exc, path)) for path, exc in errors]


def read_batch(
    paths: PathLike | Sequence[PathLike],
    *,
    format: str | None = None,
    metadata: PathLike | pd.DataFrame | None = None,
    feature_rank: str | None = None,
    taxonomy: FeatureTaxonomy | None = None,
    tables_only: bool = False,
) -> BatchResult:
    """Read what can be read; every file that cannot is listed with the
    reason (``feature_rank`` as in :func:`read`; a value that is no rank
    raises, as a usage error does).

    ``tables_only``: the caller took the taxonomy files out of ``paths``
    itself (:func:`split_batch_taxonomy`) and gives their lineages as
    ``taxonomy``; every path is read as a profile, and whether the taxonomy
    was used is the caller's to say (``taxonomy_tables`` of the result).
    Without it, taxonomy files among ``paths`` are found and read here and
    ``taxonomy`` must be None.
    """
    feature_rank = declared_rank(feature_rank)
    if taxonomy is not None and not tables_only:
        raise ValueError("a taxonomy given to read_batch needs tables_only=True (split_batch_taxonomy)")
    files, missing = expand_inputs(_as_list(paths))
    inputs = _Inputs(files, taxonomy, []) if tables_only else _Inputs(*split_taxonomy(files))
    problems = missing + _taxonomy_problems(inputs.taxonomy_errors)
    tables_before = 0 if inputs.taxonomy is None else len(inputs.taxonomy.tables)
    builder = CohortBuilder()
    names: dict[str, str] = {}
    last_format: Format | None = None
    single_metaphlan = get_format("metaphlan")
    limits = None
    if metaphlan.BATCH_FAST and format is None:
        metaphlan.start_batch()
        # A bad limit variable: every file says so the per-file way.
        with contextlib.suppress(GutBalanceError):
            limits = default_limits()
    files = inputs.files
    for first in range(0, len(files), metaphlan.BATCH_FILES):
        chunk = files[first : first + metaphlan.BATCH_FILES]
        scan = None if limits is None else metaphlan.scan(chunk, limits)
        run: list[metaphlan.FastFile] = []
        for k, path in enumerate(chunk):
            done = None if scan is None else scan.files[k]
            # A file the fast path read counts only where the per-file path
            # would have asked the MetaPhlAn sniffer first, and for a new name.
            if done is not None and last_format is single_metaphlan and done.sample not in names:
                problems.extend(Problem(str(path), "warning", _message_text(m, path), done.sample) for m in done.warnings)
                names[done.sample] = done.row["source_file"]
                builder.seen_samples[done.sample] = done.row["source_file"]
                run.append(done)
                continue
            _add_run(builder, scan, run)
            run = []
            found, last_format, file_problems = _read_batch_file(
                path, format=format, prefer=last_format, taxonomy=inputs.taxonomy, names=names,
                feature_rank=feature_rank,
            )
            problems.extend(file_problems)
            for prof in found:
                names[prof.sample] = str(path)
                builder.check_name(prof)
                builder.add(prof)  # validated file by file in _read_batch_file
        _add_run(builder, scan, run)
    taxonomy_tables = 0 if inputs.taxonomy is None else len(inputs.taxonomy.tables) - tables_before
    if not tables_only and not taxonomy_tables:
        problems.extend(taxonomy_not_used(inputs.taxonomy))
    if not builder.sample_rows:
        return BatchResult(None, problems, taxonomy_tables)
    cohort = builder.cohort()
    try:
        cohort = _with_metadata(cohort, metadata)
    except GutBalanceError as exc:
        problems.append(Problem(str(metadata), "error", str(exc)))
    return BatchResult(cohort, problems, taxonomy_tables)


def _add_run(builder: CohortBuilder, scan: metaphlan.Scan | None, run: list[metaphlan.FastFile]) -> None:
    """Hand consecutive files of the fast path to the cohort at once (their rows are adjacent in ``scan``)."""
    if not run or scan is None:
        return
    start, end = run[0].start, run[-1].end
    builder.add_placed(
        [done.row for done in run],
        np.array([done.end - done.start for done in run], dtype=np.int64),
        scan.codes[start:end],
        scan.fractions[start:end],
        scan.taxids,
        scan.taxid_rows[start:end],
        scan.given,
    )


def _read_batch_file(
    path: Path,
    *,
    format: str | None,
    prefer: Format | None,
    taxonomy: FeatureTaxonomy | None,
    names: dict[str, str],
    feature_rank: str | None = None,
) -> tuple[list[SampleProfile], Format | None, list[Problem]]:
    """One file of a batch: its profiles (none when it fails), the format it
    was read as (asked first for the next file), and its problems.

    The profiles are validated here, and their names checked against the
    files read before (``names``), so one bad file cannot sink the batch later.
    """
    problems: list[Problem] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GutBalanceWarning)
        try:
            found, prefer = _read_source(Source.open(path), format=format, prefer=prefer, taxonomy=taxonomy,
                                         feature_rank=feature_rank)
            inner: set[str] = set()
            for prof in found:
                if prof.sample in inner:
                    raise DataError(f"sample name {prof.sample!r} appears twice in the file")
                inner.add(prof.sample)
            kept = []
            for prof in found:
                if prof.sample in names:
                    # only this sample is left out: a merged table sharing one
                    # name with an earlier input lost all its other samples
                    # (an outside check)
                    problems.append(Problem(
                        str(path), "error",
                        f"sample name {prof.sample!r} is also in {names[prof.sample]}, read first: this file's "
                        f"{prof.sample!r} was left out (rename one of them to score both)", prof.sample))
                    continue
                for message in validate_profile(prof):
                    problems.append(Problem(str(path), "warning", _message_text(message, path), prof.sample))
                kept.append(prof)
            found = kept
        except GutBalanceError as exc:
            problems.append(Problem(str(path), "error", _message(exc, path)))
            return [], prefer, problems
    for w in caught:
        if issubclass(w.category, SampleLeftOutWarning):
            # a sample the file could not give: an error of that sample, the file's others read
            sample = getattr(w.message, "sample", "")
            problems.append(Problem(str(path), "error", _message_text(str(w.message), path), sample))
        elif issubclass(w.category, GutBalanceWarning):
            # the file has a column of its own, as for an error (the readers' warnings start with it)
            problems.append(Problem(str(path), "warning", _message_text(str(w.message), path)))
    return found, prefer, problems


def _message(exc: GutBalanceError, path: Path) -> str:
    return _message_text(str(exc), path)


def _message_text(text: str, path: Path) -> str:
    """``text`` without the leading path (a problem names its file in a column
    of its own): ``"f.txt: msg"`` -> ``"msg"``, ``"f.txt, line 5, field 'x': msg"``
    -> ``"line 5, field 'x': msg"``."""
    for prefix in (f"{path}: ", f"{path}, "):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def write(cohort: Cohort, path: PathLike, *, format: str | None = None) -> Path:
    """Write a Cohort.  The format is ``format`` if given, else the one whose
    :attr:`~gutbalance.io.registry.Format.extensions` list the suffix of
    ``path`` (``gutbalance formats`` shows them): ``.h5ad`` (lossless),
    ``.biom`` (BIOM 2.1), ``.json`` (BIOM 1.0), ``.tsv``/``.txt`` (merged
    MetaPhlAn table), ``.csv`` (long table), ``.qza`` (QIIME 2),
    ``.kreport`` (Kraken 2 report), ``.bracken``, ``.profile`` (CAMI)."""
    path = Path(path)
    fmt = get_format(format) if format else format_for_path(path)
    if fmt.write is None:
        raise FormatError(f"gutbalance cannot write {fmt.description}", path=path)
    try:
        fmt.write(cohort, path)
    except IsADirectoryError:
        # was a traceback (an outside check)
        raise FormatError(f"is a folder: give the name of a file to write {fmt.description} to", path=path) from None
    except (FileExistsError, NotADirectoryError):
        # a folder of per-sample files asked for where a file is (an outside review)
        raise FormatError(f"is a file: {fmt.description} of several samples is written as a folder of files; "
                          "give the name of a folder", path=path) from None
    return path


def read_h5ad(path: PathLike) -> Cohort:
    """Load a Cohort saved with :meth:`Cohort.write` to ``.h5ad``, metadata columns included."""
    return h5ad.read_cohort(path)
