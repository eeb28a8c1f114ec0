"""``gutbalance reference``: build and inspect healthy reference populations."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from ..errors import DataError
from ..io import expand_paths, read_metadata
from ..reference import build_reference, load_reference
from ..reference.age import age_characteristics, ages_in_years
from .analyze import exit_if_left_out, feature_rank_option, read_inputs, sample_column_option


@click.group()
def reference() -> None:
    """Healthy reference populations for percentiles and change over time."""


def _parse_group(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise click.BadParameter("use COLUMN=VALUE, e.g. diagnosis=control", param_hint="--group")
    column, value = text.split("=", 1)
    return column.strip(), value.strip()


@reference.command("build")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--metadata", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="CSV/TSV of sample metadata (the labels that pick the reference people).")
@sample_column_option
@click.option("--group", "groups", multiple=True, required=True,
              help="COLUMN=VALUE that selects reference samples, e.g. diagnosis=control (repeat to require several).")
@click.option("--subject", "subject_column", default=None,
              help="Metadata column naming the person, when people were sequenced more than once: every run stays "
                   "one point of the distributions, the people are counted, and the spread of each person's runs "
                   "gives each score's technical variation (without it, each sample counts as a person).")
@click.option("--repeats", type=click.Choice(["runs", "samples"]), default="runs", show_default=True,
              help="What a --subject person's several profiles are: sequencing runs of one sample (their spread is "
                   "technical variation) or stool samples of other days (it holds the person's own day-to-day "
                   "variation too); the timelines' Methods say which.")
@click.option("--name", default="custom_reference", show_default=True, help="Short name of the reference.")
@click.option("--description", default=None, help="Who the reference people are (shown in reports).")
@click.option("--source", default="", help="Where the data come from (citation, accession).")
@click.option("--format", "format_", default=None, help="Force the input format.")
@feature_rank_option
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Reference file to write (.json).")
@click.option("--age-column", default=None, metavar="COLUMN[:years|months|days]",
              help="Metadata column of each reference person's age, with its unit (default years): the reference "
                   "records its people's age range, and reports note samples outside it.")
def build(inputs, metadata, sample_column, groups, subject_column, repeats, name, description, source, format_,
          feature_rank, out, age_column) -> None:
    """Build a reference from the samples in INPUTS whose metadata match --group.

    Every score of `gutbalance analyze` is computed on the selected samples and
    stored as a distribution; use the file with `gutbalance report --reference`.
    A file that cannot be read is named with the reason and left out (exit
    status 1, the reference written from the others).
    """
    meta = read_metadata(metadata, sample_column=sample_column)
    if age_column:
        ages_in_years(meta, age_column)  # a misnamed column refused before any profile is read
    # Folders are searched below their first level; the metadata table may sit among the profiles.
    cohort, left_out = read_inputs(list(expand_paths(list(inputs), exclude=[metadata])), format_=format_,
                                   feature_rank=feature_rank)
    cohort = cohort.with_metadata(meta)
    matched = int(cohort.samples.index.isin(meta.index).sum())
    if matched == 0:
        raise DataError(
            f"no sample name of the inputs is in column {meta.index.name or 'sample'!r} of {metadata} "
            f"(e.g. {cohort.sample_names[0]!r}); choose the metadata column with --sample-column "
            f"(columns: {', '.join(map(str, meta.columns))})"
        )
    keep = np.ones(len(cohort.samples), dtype=bool)  # --group is required: every one must match
    for text in groups:
        column, value = _parse_group(text)
        if column not in cohort.samples.columns:
            raise DataError(f"--group: no metadata column {column!r} (columns: {', '.join(map(str, meta.columns))})")
        match = (cohort.samples[column].astype(str) == value).to_numpy()
        keep &= match
    n = int(keep.sum())
    if n < 2:
        raise DataError(f"only {n} sample(s) match {' and '.join(groups)}; a reference needs at least 2")
    selected = cohort.subset(keep)
    subjects = None
    if subject_column:
        if subject_column not in selected.samples.columns:
            raise DataError(f"--subject: no metadata column {subject_column!r}")
        subjects = selected.samples[subject_column].astype(str)
    characteristics = {"selection": " and ".join(groups), "source_format": str(selected.samples["source_format"].iloc[0])}
    if age_column:
        ages = ages_in_years(selected.samples, age_column)
        # one age per person (their first sample's) when people gave several samples
        characteristics.update(age_characteristics(ages.groupby(subjects.to_numpy()).first() if subjects is not None
                                                   else ages))
    ref = build_reference(
        selected,
        name=name,
        label="Healthy reference",
        description=description or f"{n} samples with {' and '.join(groups)}",
        source=source or f"user cohort: {', '.join(map(str, inputs))}",
        subjects=subjects,
        characteristics=characteristics,
        repeats=repeats,
    )
    ref.save(out)
    people = (f"{ref.primary.n_people} reference people" if subjects is not None
              else f"{n} reference samples, each counted as a person (give --subject when people gave several)")
    click.echo(f"{people}, {len(ref.scores)} scores -> {out}", err=True)
    if age_column:
        known, lo_hi = characteristics["age_known"], characteristics.get("age_range")
        ages_said = f"ages {lo_hi[0]:g}-{lo_hi[1]:g} years" if lo_hi else "no ages"
        click.echo(f"{ages_said} (known for {known} of {characteristics['age_people']} people)", err=True)
    exit_if_left_out(left_out)


@reference.command("show")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def show(path: Path | None) -> None:
    """Summarise a reference file (default: the shipped healthy reference)."""

    ref = load_reference(path)
    for pop in ref.healthy_populations:
        view = ref.for_kind(pop.kind) if pop.kind else ref
        click.echo(f"{pop.name}: {pop.description} ({pop.n_people} people; percentiles against {pop.against})")
        click.echo(f"source: {pop.source}")
        for key in pop.distributions:
            dist = pop.distributions[key]
            tv = view.variation.get(key)
            srd = f"  smallest real difference {tv.smallest_real_difference:.4g}" if tv else ""
            click.echo(f"  {key:32s} median {np.median(dist.values):10.4g}  5-95% {dist.quantile(0.05):.4g} to {dist.quantile(0.95):.4g}{srd}")
    for pop in ref.context.values():
        click.echo(f"context: {pop.label} ({pop.n_people} people): {', '.join(pop.distributions)}")


COMMANDS = [reference]
