"""``gutbalance simulate``: what antibiotics, probiotics, fibre and pathogens would do."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import SimulationError


@click.command("simulate")
@click.argument("profile", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--antibiotic", "antibiotics", multiple=True, metavar="NAME:days=A-B[:dose=U]",
              help="Antibiotic course (clindamycin, amoxicillin, ciprofloxacin, metronidazole, vancomycin).")
@click.option("--probiotic", "probiotics", multiple=True, metavar="NAME[:dose=X]:days=A-B",
              help="Daily probiotic (bifidobacterium, lactobacillus, akkermansia, ...) or fmt; X = fraction of the gut load.")
@click.option("--fiber", "--fibre", "fibre", default=None, metavar="+N%", help="Lasting change of fibre intake from day 0.")
@click.option("--pathogen", "pathogens", multiple=True, metavar="NAME:day=D[:dose=X]", help="Exposure to c_difficile or salmonella.")
@click.option("--days", type=float, default=None, help="Days to simulate [gut-immune 90, stein2013 1000].")
@click.option("--model", type=click.Choice(["gut-immune", "stein2013"]), default="gut-immune", show_default=True)
@click.option("--ic", type=int, default=4, show_default=True, help="stein2013: initial condition 0-8 (0-based day-0 columns).")
@click.option("--sample", default=None, help="Sample of a multi-sample profile.")
@click.option("--draws", type=int, default=200, show_default=True, help="Ensemble draws over parameter uncertainty (0 = none).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output directory.")
def simulate(profile, antibiotics, probiotics, fibre, pathogens, days, model, ic, sample, draws, seed, outdir):
    """Simulate a gut from PROFILE under interventions.

    Writes OUTPUT/trajectory.tsv (one column per state variable), OUTPUT/pillars.tsv
    (five pillar scores 0-100 per day) and OUTPUT/simulation.html (plots).

    \b
    Example:
      gutbalance simulate sample.txt --antibiotic amoxicillin:days=0-5 \\
          --probiotic bifidobacterium:days=5-19 --fiber +30% --days 90 -o sim/
      gutbalance simulate --model stein2013 --ic 4 --antibiotic clindamycin:days=0-1 \\
          --pathogen c_difficile:day=5 -o stein/
    """
    from ..simulate import (
        Scenario,
        parse_antibiotic,
        parse_fibre,
        parse_pathogen,
        parse_probiotic,
        simulate_stein,
    )
    from ..simulate import (
        simulate as run_model,
    )

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
        result = simulate_stein(scenario, ic=ic)
    else:
        if draws < 0:
            raise SimulationError("--draws must be >= 0")
        result = run_model(profile, scenario, sample=sample, draws=draws, seed=seed)
    paths = result.write(outdir)
    for kind, path in paths.items():
        click.echo(f"{kind}: {path}")


COMMANDS = [simulate]
