"""``gutbalance report``: re-render the HTML reports of a saved run."""

from __future__ import annotations

from pathlib import Path

import click

from ..io import read_metadata
from ..lazy import lazy
from ..scores_table import SCORES_FILE, read_sample_names
from .analyze import age_column_option, sample_column_option, say_metadata_match

# the reports (Jinja, scipy.stats) are imported when rendered, not for `report --help`
rerender = lazy("gutbalance.report:rerender")
left_message = lazy("gutbalance.report:left_message")


@click.command()
@click.argument("results", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--metadata", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="CSV/TSV of sample metadata, for results saved without it (analyze --reports none); the sample "
                   "column is found as analyze finds it.")
@sample_column_option
@click.option("--subject-column", default=None, help="Metadata column naming the subject (person) of each sample.")
@click.option("--time-column", default=None, help="Metadata column giving each sample's time point (number or date).")
@click.option("--subject-pattern", default=None,
              help=r"Regular expression on sample names: first group subject, second time, e.g. 'Subj(\d+)_time(\d+)'.")
@click.option("--group-by", "--group-column", "group_by", multiple=True,
              help="Metadata column to compare groups by (repeatable; --group-column, as analyze spells it, too).")
@click.option("--reference", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Reference file from `gutbalance reference build` (default: the shipped healthy reference).")
@click.option("--figures/--no-figures", default=None,
              help="Export (or stop exporting, removing the earlier ones) each score's cohort figure as SVG and PNG "
                   "(default: as the results were last rendered).")
@age_column_option
def report(results: Path, metadata, sample_column, subject_column, time_column, subject_pattern, group_by, reference,
           figures, age_column) -> None:
    """Re-render RESULTS/report.html, samples/ and subjects/ from the saved
    scores.tsv, scores.json and cohort.h5ad of `gutbalance analyze -o RESULTS`.

    Options override the settings saved with the results.  Reports explain; they do not diagnose.
    """
    if sample_column and not metadata:
        raise click.UsageError("--sample-column names a column of --metadata FILE")
    meta = None
    if metadata:
        meta = read_metadata(metadata, sample_column=sample_column)
        say_metadata_match(meta, read_sample_names(results / SCORES_FILE))
    files = rerender(
        results,
        metadata=meta,
        subject_column=subject_column,
        time_column=time_column,
        subject_pattern=subject_pattern,
        group_columns=list(group_by) or None,
        reference=str(reference) if reference else None,
        figures=figures,
        age_column=age_column,
    )
    stale = f"; {len(files.removed)} pages and figures of the previous rendering removed" if files.removed else ""
    click.echo(
        f"{len(files.sample_reports)} sample reports, {len(files.timeline_reports)} timelines -> {files.cohort_report}{stale}",
        err=True,
    )
    if files.knowledge_changed:
        click.echo("warning: the knowledge base of this gutbalance differs from the one the run's pages were written "
                   "with (report_settings.json): the sources on the pages are looked up in this one, the scores were "
                   "computed with the other; run gutbalance analyze again for both from one knowledge base", err=True)
    if files.left:
        click.echo(left_message(results, files.left, had_manifest=files.had_manifest), err=True)


COMMANDS = [report]
