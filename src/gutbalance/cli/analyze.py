"""``gutbalance analyze``: profiles in, ``scores.tsv`` and ``problems.tsv`` out."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pandas as pd

from ..io import Problem, read_batch
from ..outputs import write_table_atomic
from ..scores import score


@click.command()
@click.argument("inputs", nargs=-1, required=False)
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for scores.tsv, problems.tsv and reports.")
@click.option("--format", "format_", default=None, help="Force a format instead of sniffing (see `gutbalance formats`).")
@click.option("--metadata", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="CSV/TSV of sample metadata; the first column (or 'sample') names the sample.")
@click.option("--example", is_flag=True, help="Analyse the built-in example profiles.")
def analyze(inputs: tuple[str, ...], out_dir: Path, format_: str | None, metadata: Path | None, example: bool) -> None:
    """Score every sample in INPUTS (files, folders or globs).

    Files that cannot be read are listed in problems.tsv with the reason and
    every other file is still scored; the exit status is 1 when any failed.
    """
    from .. import example_path

    paths = list(inputs)
    if example:
        paths.append(str(example_path()))
    if not paths:
        raise click.UsageError("give at least one input (or --example)")
    out_dir.mkdir(parents=True, exist_ok=True)
    result = read_batch(paths, format=format_, metadata=metadata)
    problems = pd.DataFrame([p.as_row() for p in result.problems], columns=["file", "severity", "message"])
    write_table_atomic(problems, out_dir / "problems.tsv", index=False)
    if result.cohort is None:
        _report_problems(result.problems)
        click.echo("gutbalance: error: no input could be read", err=True)
        sys.exit(2)
    table = score(result.cohort)
    write_table_atomic(table, out_dir / "scores.tsv")
    click.echo(f"{len(table)} samples scored -> {out_dir / 'scores.tsv'}", err=True)
    if result.failed:
        _report_problems(result.problems)
        sys.exit(1)


def _report_problems(problems: list[Problem]) -> None:
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        click.echo(f"{len(errors)} file(s) could not be read (see problems.tsv):", err=True)
        for p in errors[:10]:
            click.echo(f"  {p.file}: {p.message}", err=True)


COMMANDS = [analyze]
