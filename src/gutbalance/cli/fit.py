"""``gutbalance fit``: learn community dynamics with perturbation effects from longitudinal profiles."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from ..errors import SimulationError
from ..io import read_metadata
from ..lazy import lazy

# model fitting (scikit-learn) is imported when a model is fitted, not for `fit --help`
fit_model = lazy("gutbalance.simulate.fit:fit")
from_cohort = lazy("gutbalance.simulate.longitudinal:from_cohort")
read_perturbations = lazy("gutbalance.simulate.longitudinal:read_perturbations")
read_qpcr = lazy("gutbalance.simulate.longitudinal:read_qpcr")
read_table = lazy("gutbalance.simulate.longitudinal:read_table")
sample_times = lazy("gutbalance.simulate.longitudinal:sample_times")

#: Days in one unit of ``--time-unit``: the model's clock is days (its
#: rates are per day, and ``simulate`` runs in days).
DAYS_PER_UNIT = {"days": 1.0, "weeks": 7.0}


@click.command("fit")
@click.argument("table", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--taxonomy", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Lineages of the table's feature ids: QIIME 2 taxonomy (.qza, taxonomy.tsv) or a table with one column per rank.")
@click.option("--metadata", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Sample, subject and time (days) per sample.")
@click.option("--perturbations", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="name, start, end[, subject] per perturbation window (days; blank subject = every subject).")
@click.option("--qpcr", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Total load per sample (replicate columns; geometric mean): fit absolute abundances.")
@click.option("--rank", default="genus", show_default=True, help="Taxonomic rank the model is fitted at.")
@click.option("--kind", type=click.Choice(["logistic", "loglinear", "glv"]), default="logistic", show_default=True,
              help="Model kind (docs/simulation.md).")
@click.option("--members", type=int, default=10, show_default=True, help="Bootstrap ensemble size (0 = none).")
@click.option("--min-abundance", type=float, default=1e-4, show_default=True,
              help="Keep taxa at this relative abundance ...")
@click.option("--min-samples", type=int, default=7, show_default=True, help="... in at least this many samples.")
@click.option("--start-day", type=float, default=None, help="Leave out samples before this day (e.g. the inoculation day).")
@click.option("--after-days", type=float, default=None,
              help="Length of each perturbation's after-phase with its own effects [as long as the perturbation; 0 = none].")
@click.option("--subject-column", default=None,
              help="Metadata column naming the subject [the first of subject, subject_id, host, mouse, person, individual].")
@click.option("--time-column", default=None,
              help="Metadata column with each sample's time [the first of time, day, days, timepoint].")
@click.option("--time-unit", type=click.Choice(list(DAYS_PER_UNIT)), default="days", show_default=True,
              help="Unit of the times in the metadata's time column and in the perturbation table (iHMP's week_num: "
                   "weeks); converted to days, the model's unit. --start-day and --after-days are always days.")
@click.option("--subjects", default=None,
              help="Fit only these subjects, comma-separated (MDSINE2's metadata also lists replicate groups such "
                   "as M2-D10 as subjects: --subjects 2,3,4,5 keeps its perturbed mice).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Random seed of the bootstrap ensemble (--members): the same seed, the same model.")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Model file to write (.npz).")
def fit(table, taxonomy, metadata, perturbations, qpcr, rank, kind, members, min_abundance, min_samples, start_day,
        after_days, subject_column, time_column, time_unit, subjects, seed, output):
    """Learn dynamics with perturbation effects from TABLE's time series.

    Writes OUTPUT (a .npz model file: taxa, growth rates, interactions,
    perturbation effects with their bootstrap ensemble, process noise, the
    data and the date) for `gutbalance simulate --model OUTPUT --from SAMPLE`.

    \b
    Example:
      gutbalance fit counts.tsv --taxonomy silva_species.tsv --metadata metadata.tsv \\
          --perturbations perturbations.tsv --qpcr qpcr.tsv --start-day 1 --subjects 2,3,4,5 -o mice.npz
    """
    cohort = read_table(table, taxonomy)
    meta = read_metadata(metadata)
    windows = read_perturbations(perturbations)
    if time_unit != "days":
        # The subject and time columns as fitting would pick them (named or
        # the usual names), the times made days; the windows likewise.
        days = DAYS_PER_UNIT[time_unit]
        times = sample_times(meta, path=str(metadata), subject_column=subject_column, time_column=time_column)
        meta = times.assign(time=times["time"] * days)
        subject_column, time_column = "subject", "time"
        windows = [replace(p, start=p.start * days, end=p.end * days) for p in windows]
    if subjects is not None:
        wanted = [s.strip() for s in subjects.split(",") if s.strip()]
        times = sample_times(meta, path=str(metadata), subject_column=subject_column, time_column=time_column)
        known = list(dict.fromkeys(times["subject"].astype(str)))
        unknown = [s for s in wanted if s not in known]
        if unknown or not wanted:
            raise click.UsageError(f"--subjects: no subject {', '.join(unknown) or '(none given)'} in {metadata}; "
                                   f"it has {', '.join(known[:20])}")
        meta = times[times["subject"].astype(str).isin(wanted)]
        subject_column, time_column = "subject", "time"
    data = from_cohort(cohort, meta, windows, qpcr=read_qpcr(qpcr) if qpcr else None,
                       rank=rank, min_abundance=min_abundance, min_samples=min_samples, start_day=start_day,
                       source=str(table), metadata_path=str(metadata), subject_column=subject_column,
                       time_column=time_column)
    data.provenance.update({"table": str(table), "taxonomy": str(taxonomy or ""), "metadata": str(metadata),
                            "perturbations_file": str(perturbations), "qpcr": str(qpcr or ""),
                            "time_unit": time_unit})
    if not output.suffix:
        output = output.with_suffix(".npz")
    if after_days is not None and after_days < 0:
        raise SimulationError("--after-days must be >= 0")
    model = fit_model(data, kind=kind, members=members, after_days=after_days, seed=seed)
    model.save(output)
    left = data.provenance.get("left_out", {})
    click.echo(f"model: {output}")
    shown = ", ".join(map(str, list(data.subjects)[:12])) + (", ..." if len(data.subjects) > 12 else "")
    click.echo(f"{model.kind} model of {len(model.taxa)} {rank} taxa from {len(data.subjects)} subject(s) ({shown}), "
               f"{model.provenance['time_points']} time points; perturbations: {', '.join(model.perturbations) or 'none'}; "
               f"{model.n_members} bootstrap members; {model.provenance['fit_seconds']:g} s"
               + ("; left out: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in left.items() if v) if any(left.values()) else ""))


COMMANDS = [fit]
