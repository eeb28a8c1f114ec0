"""``gutbalance convert`` and ``gutbalance formats``."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from ..io import formats as all_formats
from ..io import read_metadata, write
from ..io.registry import counts_estimated_by, format_for_path, get_format, observed_count_samples
from .analyze import exit_if_left_out, feature_rank_option, read_inputs


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--out", "out", type=click.Path(path_type=Path), required=True,
              help="Output file: .biom (BIOM 2.1), .json (BIOM 1.0), .tsv (merged MetaPhlAn), .h5ad (lossless).")
@click.option("--format", "format_", default=None, help="Force the input format.")
@click.option("--to", "to", default=None, help="Force the output format (biom, biom-json, metaphlan-merged, h5ad, ...).")
@click.option("--metadata", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="CSV/TSV of sample metadata to keep with the profiles (its sample column found as `analyze` "
                   "finds it): kept in an .h5ad output; the other formats do not carry it.")
@feature_rank_option
def convert(inputs: tuple[str, ...], out: Path, format_: str | None, to: str | None, metadata: Path | None,
            feature_rank: str | None) -> None:
    """Read INPUTS into one cohort and write it as another format.

    A file that cannot be read is named with the reason and left out (exit
    status 1); the others are still written.
    """
    if _overwrites_an_input(out, inputs):
        # the input was replaced by its conversion, without a word (an outside check)
        raise click.BadParameter(f"{out} is one of the INPUTS or in one of their folders: write the conversion "
                                 "elsewhere", param_hint="-o")
    meta = None if metadata is None else read_metadata(metadata)
    cohort, left_out = read_inputs(list(inputs), format_=format_, feature_rank=feature_rank)
    if meta is not None:
        cohort = cohort.with_metadata(meta)
    write(cohort, out, format=to)
    click.echo(f"{cohort.n_samples} samples, {cohort.n_taxa} taxa -> {out}", err=True)
    # Said, because a user who converts a profile with read statistics expects counts in the table.
    estimated = cohort.counted_samples() & ~observed_count_samples(cohort)
    written_as = get_format(to) if to else format_for_path(out)
    if written_as.name == "bracken":  # a Bracken table keeps Bracken's own estimates as what they are
        estimated &= counts_estimated_by(cohort) != "bracken"
    if estimated.any() and written_as.name != "h5ad":
        kinds = ", ".join(sorted(set(cohort.samples["source_format"].astype(str)[estimated])))
        click.echo(
            f"note: the read counts of {int(estimated.sum())} of {cohort.n_samples} samples are a profiler's "
            f"estimates ({kinds}), not reads counted, so they are not written as read counts: relative abundances "
            "instead (a Kraken report of them is refused, a Bracken table unless they are Bracken's; docs/formats.md, Writing)",
            err=True,
        )
    if written_as.name == "bracken":
        _say_reads_above_species(cohort)
        click.echo(
            "note: a Bracken table's kraken_assigned_reads and added_reads are not kept by gutbalance: each species "
            "is written with new_est_reads in kraken_assigned_reads and 0 added_reads (new_est_reads and "
            "fraction_total_reads are the table's numbers)",
            err=True,
        )
    exit_if_left_out(left_out)


def _overwrites_an_input(out: Path, inputs: tuple[str, ...]) -> bool:
    """Whether writing ``out`` could replace an input: ``out`` is an input file
    or folder, or a file already inside an input folder (``-o g1`` for the
    folder g1 of profiles wrote its per-sample files over them; an outside
    review)."""
    target = out.resolve()
    for given in inputs:
        path = Path(given)
        if not path.exists():
            continue
        source = path.resolve()
        if target == source or (source.is_dir() and source in target.parents and target.exists()):
            return True
    return False


def _say_reads_above_species(cohort) -> None:
    """Say how much of the classified abundance a ``.bracken`` table leaves
    out: it holds species only, and a Kraken report's reads above them (a
    genus's own reads) were dropped without a word (an outside check: the
    scores of a converted real report moved by up to 4 points)."""
    classified = np.asarray(cohort.classified(), dtype=float)
    species = np.asarray(cohort.at_rank("species").sum(axis=1), dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        above = np.where(classified > 0, 1.0 - species / classified, 0.0)
    lost = above > 1e-9
    if lost.any():
        worst = int(np.argmax(above))
        click.echo(
            f"note: a Bracken table holds species only: {int(lost.sum())} of {cohort.n_samples} samples have reads "
            f"above the species (a genus or family with reads of its own), left out (sample "
            f"{cohort.sample_names[worst]!r}: {100 * above[worst]:.2f} % of its classified reads); their scores from "
            "the table will differ: convert to .kreport, .biom or .h5ad to keep every clade",
            err=True,
        )


@click.command(name="formats")
def list_formats() -> None:
    """List the formats gutbalance reads and writes."""
    for name, fmt in sorted(all_formats().items()):
        modes = ("read" if fmt.read else "") + ("/write" if fmt.write else "")
        endings = " ".join(fmt.extensions) if fmt.write else ""
        click.echo(f"{name:20s} {modes:11s} {endings:18s} {fmt.description}")


COMMANDS = [convert, list_formats]
