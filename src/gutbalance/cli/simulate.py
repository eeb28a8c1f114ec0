"""``gutbalance simulate``: what antibiotics, probiotics, fibre and pathogens would do."""

from __future__ import annotations

from pathlib import Path

import click

from ..atomic import write_text_atomic
from ..errors import SimulationError
from ..io import read
from ..lazy import lazy
from .analyze import feature_rank_option

# The simulator (scikit-learn) and its page are imported when a simulation
# runs, not for `simulate --help`.
Scenario = lazy("gutbalance.simulate:Scenario")
parse_antibiotic = lazy("gutbalance.simulate:parse_antibiotic")
parse_fibre = lazy("gutbalance.simulate:parse_fibre")
parse_pathogen = lazy("gutbalance.simulate:parse_pathogen")
parse_probiotic = lazy("gutbalance.simulate:parse_probiotic")
simulate_stein = lazy("gutbalance.simulate:simulate_stein")
run_model = lazy("gutbalance.simulate:simulate")
load_model = lazy("gutbalance.simulate.model:load_model")
forecast_model = lazy("gutbalance.simulate.forecast:forecast_model")
parse_perturbation = lazy("gutbalance.simulate.forecast:parse_perturbation")
render_simulation_report = lazy("gutbalance.report.simulation:render_simulation_report")


@click.command("simulate")
@click.argument("profile", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--antibiotic", "antibiotics", multiple=True, metavar="NAME:days=A-B[:dose=U]",
              help="Antibiotic course (clindamycin, amoxicillin, ciprofloxacin, metronidazole, vancomycin, gentamicin; gentamicin is an oral, gut-luminal course: an intravenous one barely reaches the gut).")
@click.option("--probiotic", "probiotics", multiple=True, metavar="NAME[:dose=X]:days=A-B",
              help="Daily probiotic (bifidobacterium, lactobacillus, akkermansia, ...) or fmt; X = fraction of the gut load.")
@click.option("--fiber", "--fibre", "fibre", default=None, metavar="+N%", help="Lasting change of fibre intake from day 0.")
@click.option("--pathogen", "pathogens", multiple=True, metavar="NAME:day=D[:dose=X]", help="Exposure to c_difficile or salmonella.")
@click.option("--days", type=float, default=None, help="Days to simulate [gut-immune 90, stein2013 1000].")
@click.option("--model", default="gut-immune", show_default=True, metavar="gut-immune|stein2013|MODEL.npz",
              help="A built-in model, or a model file written by `gutbalance fit`.")
@click.option("--from", "from_", default=None, metavar="SAMPLE",
              help="Fitted model: start from this training sample id, or a profile file.")
@click.option("--perturbation", "perturbations", multiple=True, metavar="NAME:days=A-B",
              help="Fitted model: the schedule for the what-if (replaces the training subject's; repeat for several).")
@click.option("--without", "without", multiple=True, metavar="NAME", help="Fitted model: leave this perturbation out.")
@click.option("--start-day", type=float, default=None, help="Fitted model from a profile file: its day on the data's clock.")
@click.option("--ic", type=int, default=None, help="stein2013: initial condition 0-8 (0-based day-0 columns; default 4).")
@click.option("--sample", default=None, help="Sample of a multi-sample profile.")
@feature_rank_option
@click.option("--draws", type=int, default=200, show_default=True, help="Ensemble draws over parameter uncertainty (0 = none).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Random seed of the --draws ensemble: the same seed, the same result.")
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output directory.")
def simulate(profile, antibiotics, probiotics, fibre, pathogens, days, model, from_, perturbations, without, start_day,
             ic, sample, feature_rank, draws, seed, outdir):
    """Simulate a gut from PROFILE under interventions.

    Writes OUTPUT/trajectory.tsv (one column per state variable),
    OUTPUT/simulation.html (plots) and, for the gut-immune model,
    OUTPUT/pillars.tsv (five pillar scores 0-100 per day).

    \b
    Example:
      gutbalance simulate sample.txt --antibiotic amoxicillin:days=0-5 \\
          --probiotic bifidobacterium:days=5-19 --fiber +30% --days 90 -o sim/
      gutbalance simulate --model stein2013 --ic 4 --antibiotic clindamycin:days=0-1 \\
          --pathogen c_difficile:day=5 -o stein/
      gutbalance simulate --model mice.npz --from 2-D1AM --without Gentamicin \\
          --perturbation "Vancomycin:days=40-44" -o whatif/
    """
    if ic is not None and model != "stein2013":
        # was silently ignored (an outside check)
        raise SimulationError("--ic chooses the stein2013 model's initial condition; the other models start from a profile")
    if feature_rank and (model != "gut-immune" or profile is None):
        raise SimulationError("--feature-rank declares the rank of a PROFILE's bare names for the gut-immune model")
    if model not in ("gut-immune", "stein2013"):
        _simulate_fitted(model, profile, from_, perturbations, without, days, sample, start_day,
                         antibiotics or probiotics or pathogens or fibre, outdir)
        return
    if from_ or perturbations or without or start_day is not None:
        raise SimulationError("--from, --perturbation, --without and --start-day need a fitted model (--model MODEL.npz)")
    scenario = Scenario(
        days=days if days is not None else (1000.0 if model == "stein2013" else 90.0),
        antibiotics=[parse_antibiotic(s) for s in antibiotics],
        probiotics=[parse_probiotic(s) for s in probiotics],
        pathogens=[parse_pathogen(s) for s in pathogens],
        fibre=parse_fibre(fibre) if fibre is not None else 0.0,
    )
    if model == "stein2013":
        if profile is not None:
            raise SimulationError("--model stein2013 starts from the experiment's initial conditions (--ic), not a profile")
        result = simulate_stein(scenario, ic=4 if ic is None else ic)
    else:
        if draws < 0:
            raise SimulationError("--draws must be >= 0")
        start = read(profile, feature_rank=feature_rank) if feature_rank else profile
        result = run_model(start, scenario, sample=sample, draws=draws, seed=seed)
    _write(result, outdir)


def _simulate_fitted(model_path, profile, from_, perturbations, without, days, sample, start_day, other, outdir):
    if not Path(model_path).is_file():
        raise SimulationError(f"--model {model_path!r}: not gut-immune, stein2013 or a model file")
    if other:
        raise SimulationError("a fitted model knows the perturbations it learned (--perturbation NAME:days=A-B, --without NAME); "
                              "--antibiotic, --probiotic, --pathogen and --fiber belong to the gut-immune model")
    source = from_ or (str(profile) if profile is not None else None)
    if source is None:
        raise SimulationError("a fitted model needs --from SAMPLE (a training sample id or a profile file)")
    fitted = load_model(model_path)
    result = forecast_model(fitted, source, perturbations=[parse_perturbation(p) for p in perturbations] or None,
                            without=list(without), days=days, sample=sample, start_day=start_day)
    _write(result, outdir)


def _write(result, outdir) -> None:
    """The result's tables and its page (simulation.html), each path on its own line."""
    for warning in result.warnings:
        click.echo(f"warning: {result.subject}: {warning}", err=True)
    paths = result.write(outdir)
    paths["html"] = write_text_atomic(render_simulation_report(result), Path(outdir) / "simulation.html")
    for kind, path in paths.items():
        click.echo(f"{kind}: {path}")
    if result.pillars_missing:
        click.echo(result.pillars_missing)


COMMANDS = [simulate]
