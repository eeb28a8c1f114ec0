"""``gutbalance analyze``: profiles in, ``scores.tsv`` and ``problems.tsv`` out."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..cohort import Cohort
from ..errors import GutBalanceError, UnrecognizedFormatError
from ..example import example_path
from ..indices.resolution import DIVERSITY_RANK_CHOICES
from ..io import Problem, get_format, read_batch, read_metadata
from ..lazy import lazy
from ..pipeline import DEFAULT_CHUNK_FILES, run
from ..scores_table import CONTRIBUTIONS_FILE, SCORES_FILE, read_sample_names, read_scores
from ..taxonomy import RANKS

#: What ``--feature-rank`` (analyze, convert) accepts: the standard ranks.
FEATURE_RANKS = list(RANKS)
#: The one ``--feature-rank`` option of the commands that read tables.
feature_rank_option = click.option(
    "--feature-rank", type=click.Choice(FEATURE_RANKS, case_sensitive=False), default=None,
    help="Rank of bare taxon names in tables that do not say it (a samples x genera CSV headed "
         "'SampleID, Lysinibacillus, UCG-002'); lineages, g__-prefixed names, binomials and a column "
         "headed by its rank keep their own.")

#: The one ``--sample-column`` option of the commands that read a metadata table.
sample_column_option = click.option(
    "--sample-column", default=None,
    help="Metadata column naming the samples (default: sample, sample_id, SampleID, #SampleID or run, "
         "the first whose values are unique, else the first column).")

#: The one ``--age-column`` option of the commands that write or build against the reference (analyze, report,
#: reference build).
age_column_option = click.option(
    "--age-column", default=None, metavar="COLUMN[:years|months|days]",
    help="Metadata column of each sample's age, with its unit (default years; the unit is never guessed): a sample "
         "older or younger than the healthy reference people gets a 'Read with care' note on its page, and the "
         "cohort page counts them. Scores and percentiles do not change. Non-numbers and NA are no age.")

# the reports (Jinja, scipy.stats) are imported when written, not for `analyze --help`
write_reports = lazy("gutbalance.report:write_reports")
remove_reports = lazy("gutbalance.report:remove_reports")
left_reports = lazy("gutbalance.report:left_reports")
left_message = lazy("gutbalance.report:left_message")
#: The list of pages a rendering wrote, and the journal of one under way or interrupted
#: (``gutbalance.report.files.MANIFEST_FILE``, ``JOURNAL_FILE``; named here so that a run
#: without reports imports the reports only when there are pages to remove).
REPORT_MANIFEST = "report_manifest.json"
REPORT_JOURNAL = "report_manifest.journal"
#: Where report pages go (``report.html`` and the folders of ``gutbalance.report.files``).
REPORT_PLACES = ("report.html", "samples", "subjects", "figures")
read_contributions = lazy("gutbalance.report:read_contributions")
parse_age_column = lazy("gutbalance.reference.age:parse_age_column")
unit_hint = lazy("gutbalance.reference.age:unit_hint")

#: Largest cohort that gets HTML reports without --reports all.
REPORT_LIMIT = 2000


@click.command()
@click.argument("inputs", nargs=-1, required=False)
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for scores.tsv, scores.parquet, scores.json, problems.tsv and reports.")
@click.option("--format", "format_", default=None, help="Force a format instead of sniffing (see `gutbalance formats`).")
@feature_rank_option
@click.option("--metadata", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="CSV/TSV of sample metadata; the first column (or 'sample') names the sample. Samples as "
                   "columns (bioBakery, MaAsLin) are turned around when the named columns are its rows.")
@sample_column_option
@click.option("--example", is_flag=True, help="Analyse the built-in example profiles.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores).")
@click.option("--dask", default=None, metavar="local|tcp://HOST:PORT",
              help="Run on a Dask cluster: 'local' starts one here, or give a scheduler address.")
@click.option("--chunk-files", type=click.IntRange(min=1), default=DEFAULT_CHUNK_FILES, show_default=True,
              help="Files per unit of work (bounds memory; the unit a resumed run skips).")
@click.option("--contributions/--no-contributions", default=True, show_default=True,
              help="Write scores.json with the taxa behind every score.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when on a terminal).")
@click.option("--reports", type=click.Choice(["auto", "all", "none"]), default="auto", show_default=True,
              help="HTML reports: report.html and samples/<sample>.html ('auto': when at most "
                   f"{REPORT_LIMIT:,} samples).")
@click.option("--subject-column", default=None,
              help="Metadata column naming the person a sample came from (person,arm: one subject per person and arm).")
@click.option("--time-column", default=None, help="Metadata column ordering a person's samples in time.")
@click.option("--subject-pattern", default=None, metavar="REGEX",
              help=r"Subject (and time) from sample names, e.g. 'Subj(\d+)_time(\d+)'.")
@click.option("--group-column", "group_columns", multiple=True,
              help="Metadata column to compare groups by in the cohort report (repeatable).")
@click.option("--figures/--no-figures", default=False, show_default=True,
              help="Also export each score's cohort figure as SVG and PNG (figures/, matplotlib), for papers and "
                   "slides; the pages draw their own charts either way.")
@age_column_option
@click.option("--diversity-rank", type=click.Choice(list(DIVERSITY_RANK_CHOICES)), default="auto", show_default=True,
              help="Rank of richness, Shannon and the other diversity columns: each sample's finest resolved rank "
                   "(auto), or one rank for the whole study (a sample not resolving it gets them missing, with why).")
def analyze(
    inputs: tuple[str, ...],
    out_dir: Path,
    format_: str | None,
    feature_rank: str | None,
    metadata: Path | None,
    sample_column: str | None,
    example: bool,
    jobs: int | None,
    dask: str | None,
    chunk_files: int,
    contributions: bool,
    progress: bool | None,
    reports: str,
    subject_column: str | None,
    time_column: str | None,
    subject_pattern: str | None,
    group_columns: tuple[str, ...],
    figures: bool,
    age_column: str | None,
    diversity_rank: str,
) -> None:
    """Score every sample in INPUTS (files, folders or globs).

    Files that cannot be read are listed in problems.tsv with the reason and
    every other file is still scored; the exit status is 1 when any failed.
    A second run into the same folder skips the inputs already scored.
    """
    paths = list(inputs)
    if example:
        paths.append(str(example_path()))
    if not paths:
        raise click.UsageError("give at least one input (or --example)")
    if format_:
        # a usage error, once, before any reading: it was an error per file
        # (44 times for the kefir folder) in problems.tsv (an outside check)
        try:
            get_format(format_)
        except UnrecognizedFormatError as exc:
            raise click.BadParameter(exc.message, param_hint="--format") from None
    meta = _check_metadata_columns(metadata, sample_column, subject_column, time_column, group_columns, age_column)
    earlier = _earlier_samples(out_dir / SCORES_FILE)
    summary = run(paths, out_dir, format=format_, jobs=jobs, dask=dask, chunk_files=chunk_files,
                  contributions=contributions, progress=progress, exclude=[metadata] if metadata else (),
                  feature_rank=feature_rank, diversity_rank=diversity_rank)
    if summary.n_samples == 0:
        _report_problems(summary.problems)
        click.echo("gutbalance: error: no input could be read", err=True)
        if earlier:
            # kept, not deleted (a mistyped path must not cost a cohort's results),
            # but said: the folder looked complete beside this run's problems.tsv
            click.echo(f"note: {out_dir / SCORES_FILE} and the pages beside it are an earlier run's "
                       f"({len(earlier)} sample(s)), left as they were; problems.tsv is this run's", err=True)
        sys.exit(2)
    reused = f" ({summary.chunks_reused} of {summary.n_chunks} chunks reused)" if summary.chunks_reused else ""
    click.echo(f"{summary.n_samples} samples scored -> {out_dir / SCORES_FILE}{reused}", err=True)
    names = read_sample_names(out_dir / SCORES_FILE) if earlier or meta is not None else None
    scored = set(names.astype(str)) if earlier and names is not None else set()
    if gone := [name for name in earlier if name not in scored]:
        # the folder's results are this run's: say what went (an outside check, 2026-11-29)
        click.echo(f"warning: {out_dir} held the scores of {len(gone)} sample(s) this run did not score (e.g. "
                   f"{gone[0]!r}); its results are now this run's alone: give another -o to keep both", err=True)
    if meta is not None:
        say_metadata_match(meta, names)
    if reports == "all" or (reports == "auto" and summary.n_samples <= REPORT_LIMIT):
        _write_reports(summary.files, out_dir, format_, meta, feature_rank=feature_rank, subject_column=subject_column, time_column=time_column,
                       subject_pattern=subject_pattern, group_columns=list(group_columns) or None, age_column=age_column,
                       figures=figures)
        click.echo(f"reports -> {out_dir / 'report.html'}", err=True)
    else:
        if reports == "auto":
            click.echo(f"{summary.n_samples:,} samples: HTML reports skipped (use --reports all)", err=True)
        # an earlier run's pages would describe other scores than these
        listed = (out_dir / REPORT_MANIFEST).exists() or (out_dir / REPORT_JOURNAL).exists()
        if listed and (removed := remove_reports(out_dir)):
            click.echo(f"{len(removed)} report pages and figures of an earlier run removed", err=True)
        if any((out_dir / place).exists() for place in REPORT_PLACES) and (left := left_reports(out_dir)):
            click.echo(left_message(out_dir, left, had_manifest=listed), err=True)
    if read_warnings := [p for p in summary.problems if p.severity == "warning"]:
        # said on the terminal too: a lost-rows or cut-short warning lived only in
        # problems.tsv, and a run that exits 0 looked clean (an outside check)
        first = read_warnings[0]
        click.echo(f"warning: problems.tsv holds {len(read_warnings)} warning(s) about how the inputs read (first: "
                   f"{first.file}: {first.message})", err=True)
    if summary.failed:
        _report_problems(summary.problems)
        sys.exit(1)


def _earlier_samples(scores_path: Path) -> list[str]:
    """The samples an earlier run left in the output folder (none when there
    is no readable scores table)."""
    if not scores_path.is_file():
        return []
    try:
        return [str(name) for name in read_sample_names(scores_path)]
    except (OSError, ValueError, GutBalanceError):
        return []


def _read_warnings(problems: list[Problem], cohort) -> dict[str, list[str]]:
    """The warnings of ``problems.tsv`` by sample, each led by its file's
    name, for the sample pages: a sample's own (a total far from 100 %) and
    its file's (which are each of the file's samples')."""
    if cohort is None or "source_file" not in cohort.samples:
        return {}
    files = cohort.samples["source_file"].astype(str)
    # grouped once: a cohort of many files, each with a warning, would
    # otherwise compare every file's warning with every sample's file
    of_file = {str(file): list(group.index) for file, group in files.groupby(files, sort=False)}
    out: dict[str, list[str]] = {}
    for problem in problems:
        if problem.severity != "warning":
            continue
        samples = [problem.sample] if problem.sample else of_file.get(str(problem.file), [])
        for sample in samples:
            out.setdefault(str(sample), []).append(f"{Path(problem.file).name}: {problem.message}")
    return out


def _check_metadata_columns(metadata: Path | None, sample_column, subject_column, time_column, group_columns,
                            age_column=None):
    """Read the metadata and check the columns named on the command line
    before any scoring, so a typo costs seconds, not a whole run."""
    named = [("--subject-column", subject_column), ("--time-column", time_column),
             *(("--group-column", g) for g in group_columns),
             ("--age-column", parse_age_column(age_column)[0] if age_column else None)]
    named = [(option, column) for option, column in named if column]
    if metadata is None:
        if sample_column:
            named.insert(0, ("--sample-column", sample_column))
        if named:
            raise click.UsageError(f"{named[0][0]} {named[0][1]!r} needs --metadata (the table that has that column)")
        return None
    # --subject-column person,arm: several columns make one subject (one
    # timeline per person and arm of a cross-over study)
    needed = [(option, part.strip()) for option, column in named
              for part in (column.split(",") if option == "--subject-column" and "," in column else [column])]
    meta = read_metadata(metadata, sample_column=sample_column, columns=[column for _, column in needed])
    if subject_column and subject_column in meta.columns:
        needed = named
    for option, column in needed:
        if column not in meta.columns:
            hint = unit_hint(age_column, meta.columns) if option == "--age-column" else ""
            raise click.BadParameter(
                f"no column {column!r} in {metadata} (columns: {', '.join(map(str, meta.columns))}){hint}",
                param_hint=option,
            )
    return meta


def _write_reports(files, out_dir: Path, format_, meta, *, feature_rank=None, **options) -> None:
    """Render the HTML reports from the saved scores and the profiles."""

    # Reports need the profiles (composition, species over time); the batch
    # pipeline keeps none in memory, so they are read again here.  The
    # metadata goes into the saved cohort.h5ad, so `gutbalance report DIR`
    # finds the subject and time columns again.
    batch = read_batch(files, format=format_, feature_rank=feature_rank)
    cohort = batch.cohort
    if cohort is not None and meta is not None:
        cohort = cohort.with_metadata(meta)
    scores = read_scores(out_dir / SCORES_FILE)
    contributions_path = out_dir / CONTRIBUTIONS_FILE
    explained = read_contributions(contributions_path) if contributions_path.exists() else None
    written = write_reports(out_dir, cohort, scores, explained, None, read_warnings=_read_warnings(batch.problems, cohort), **options)
    if written.left:
        click.echo(left_message(out_dir, written.left, had_manifest=written.had_manifest), err=True)
    if options.get("subject_column") or options.get("subject_pattern"):
        if written.timelines:
            click.echo(f"timelines -> {out_dir / 'subjects'} ({_count(len(written.timelines), 'subject')} with two or "
                       "more samples)", err=True)
        elif options.get("subject_pattern") and not written.subject_samples:
            click.echo(f"warning: --subject-pattern '{options['subject_pattern']}' matches none of the {len(scores)} "
                       f"sample names (e.g. {scores.index[0]!r}): no timeline", err=True)
        else:
            click.echo("no timeline: no subject has two or more samples with a time", err=True)
        if written.without_timeline:
            subject, samples = next(iter(written.without_timeline.items()))
            n = len(written.without_timeline)
            click.echo(f"warning: {_count(n, 'subject')} of two or more samples {'gets' if n == 1 else 'get'} no timeline: "
                       f"fewer than two of their samples have a {options.get('time_column') or 'time'} (subject "
                       f"{subject}: {', '.join(samples[:3])} without one)", err=True)
        repeated = [t for t in written.timelines if t.repeated_times]
        if repeated:
            first = repeated[0]
            shared = [s for s, t in zip(first.samples, first.times) if t == first.repeated_times[0]]
            click.echo(f"warning: {_count(len(repeated), 'subject')} {'has' if len(repeated) == 1 else 'have'} two or more "
                       f"samples at the same time (subject "
                       f"{first.subject}: {', '.join(shared)} at {first.repeated_times[0]}); steps between them are not "
                       "changes over time: if people were followed in several arms, name the arm too "
                       "(--subject-column person,arm)", err=True)
        untimed = sum(len(t.untimed) for t in written.timelines)
        if untimed:
            click.echo(f"warning: {_count(untimed, 'sample')} {'has' if untimed == 1 else 'have'} no "
                       f"{options.get('time_column') or 'time'} and {'is' if untimed == 1 else 'are'} left out "
                       "of their subject's timeline (named on its page)", err=True)


def _count(n: int, noun: str) -> str:
    """``1 subject``, ``2 subjects``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def say_metadata_match(meta, scored) -> None:
    """Say when the metadata does not name the scored samples: otherwise a
    misnamed sample column only shows as reports without timelines or groups."""
    scored = scored.astype(str)
    named = scored.isin(meta.index.astype(str))
    unscored = meta.index.astype(str)[~meta.index.astype(str).isin(scored)]
    if named.any() and len(unscored):
        # a profile not given or not read leaves its subject's timeline shorter without a word (an outside
        # check: Oliver et al. 2021's WF_10 and WF_201-204; subject 12's timeline went from 4 samples to 2)
        click.echo(f"note: {len(unscored)} metadata row(s) name no scored sample ({', '.join(unscored[:5])}"
                   f"{', ...' if len(unscored) > 5 else ''}): profiles not given, not read (problems.tsv) or named "
                   "otherwise; timelines and groups are of the scored samples only", err=True)
    if named.all():
        return
    missing = ", ".join(scored[~named][:3])
    if not named.any() and scored.isin(meta.columns.astype(str)).any():
        click.echo("warning: the scored samples are the columns of the metadata table, not its rows (bioBakery's and "
                   f"MaAsLin's layout; its rows: {', '.join(map(str, meta.index[:5]))}): name one of those rows with "
                   "--subject-column or --group-column and the table is turned around", err=True)
    elif not named.any():
        click.echo(f"warning: the metadata names none of the {len(scored)} scored samples (scored: {missing}, ...; "
                   f"metadata: {', '.join(map(str, meta.index[:3]))}, ...): no timelines or groups from it; "
                   "the metadata's sample column must hold the sample names of scores.tsv", err=True)
    else:
        click.echo(f"warning: {int((~named).sum())} of {len(scored)} scored samples have no row in the metadata "
                   f"({missing}{', ...' if (~named).sum() > 3 else ''}); they are in no timeline or group", err=True)


def _report_problems(problems: list[Problem], where: str = "see problems.tsv") -> None:
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        # a left-out repeated sample name is an error of a file whose other samples were scored
        click.echo(f"{len(errors)} input(s) or sample(s) could not be used ({where}):", err=True)
        for p in errors[:10]:
            click.echo(f"  {p.file}: {p.message}", err=True)
        if len(errors) > 10:
            click.echo(f"  ... and {len(errors) - 10} more", err=True)


def read_inputs(
    paths: list[str | Path], *, format_: str | None = None, feature_rank: str | None = None
) -> tuple[Cohort, list[Problem]]:
    """INPUTS read as ``analyze`` reads them, for the commands that have no
    problems.tsv (``convert``, ``kb coverage``, ``reference build``): every
    file that can be read, whatever the others; the warnings printed as they
    are met; and the files left out.  Exits with status 2, naming why, when
    no input could be read; the caller says which were left out and exits
    with 1 once its work is written (:func:`exit_if_left_out`)."""
    result = read_batch(paths, format=format_, feature_rank=feature_rank)
    for problem in result.problems:
        if problem.severity != "error":
            click.echo(f"gutbalance: {problem.severity}: {problem.file}: {problem.message}", err=True)
    if result.cohort is None:
        _report_problems(result.problems, "no profile left")
        click.echo("gutbalance: error: no input could be read", err=True)
        sys.exit(2)
    return result.cohort, result.failed


def exit_if_left_out(failed: list[Problem]) -> None:
    """Name the inputs :func:`read_inputs` left out and exit with status 1,
    as ``analyze`` does when some inputs could not be read."""
    if failed:
        _report_problems(failed, "left out; every other input was used")
        sys.exit(1)


COMMANDS = [analyze]
