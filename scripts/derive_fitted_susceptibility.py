"""Per-guild antibiotic responses of the gut-immune model from a fitted model of real time series.

``gutbalance fit`` learns, per taxon, what each perturbation does to ``d ln x/dt`` while it is active
(with a bootstrap ensemble over mice).  On the MDSINE2 healthy-donor mice (Gibson, Gerber et al.,
Nature Microbiology 2025; ``../shared/data/dynamics/mdsine2_gibson_healthy``: vancomycin days 35.5-42.5,
gentamicin days 50.5-57.5) this gives measured responses of the gut-immune model's guilds:

* every taxon (OTU, SILVA lineage) is put in a guild by the same rules as a person's profile
  (``gutbalance.simulate.personal.assign_guilds``: knowledge base, then taxonomy);
* a guild's response is the mean of its taxa's fitted effects weighted by their mean abundance
  before the first perturbation (days < 21.5), its spread the same mean over the bootstrap members;
* a positive net effect (a guild that grew during the course) is set to 0, except where the
  gut-immune model's own competitive release was measured to fall short of the bloom in the same
  data and the literature gives the direction (``RELEASE_USED``): the facultative guild under
  vancomycin (+5.11/day).  The model's guild self-limitation holds a guild the interactions release
  to about three times its niche, so with 0 the simulated Enterobacteriaceae of these mice reached
  3-5 % of the bacteria during the course against the real 18-27 % (docs/simulation.md,
  ``scripts/antibiotic_directions.py``); Enterobacteriaceae are intrinsically resistant to
  glycopeptides and bloom under oral vancomycin in people too (Isaac S et al. 2017, J Antimicrob
  Chemother 72:128, doi:10.1093/jac/dkw383).  Gentamicin's +0.54 is not used (Enterobacteriaceae
  are aminoglycoside-susceptible; a rise in one donor's mice is no human spectrum);
* units: 1/day at the mouse dose, which the gut-immune model calls signal 1 (a human course
  defaults to signal 0.5, ``course_signal``), as for Stein's clindamycin.

Writes ``src/gutbalance/simulate/data/fitted_susceptibility.tsv``; the rows of
``gut_immune_parameters.tsv`` that use it say ``fitted:<drug>/<guild>`` as their value (evidence
``fitted (mouse time series)``, ``sd_log`` = bootstrap sd / |value|, within 0.1-1.5), for the guilds
that held at least 1 % of the mice's abundance in at least 2 taxa (bacteroidales, akkermansia,
other_commensals, facultative_pathobionts); the butyrate producers (0.4 % in these mice) and
bifidobacteria/lactobacilli (one rare OTU) keep their assumed values.  Re-running the script updates
the fitted values the model reads.

Run (a few minutes: the fit with 10 bootstrap members)::

    python scripts/derive_fitted_susceptibility.py [--data DIR] [--members 10]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from gutbalance.simulate import fit_model, mdsine2_dataset
from gutbalance.simulate.gut_immune import GUILDS
from gutbalance.simulate.personal import assign_guilds
from gutbalance.taxonomy.lineage import parse_lineage

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "dynamics" / "mdsine2_gibson_healthy"
OUT = ROOT / "src" / "gutbalance" / "simulate" / "data" / "fitted_susceptibility.tsv"
DRUGS = {"vancomycin": "vancomycin", "gentamicin": "gentamicin"}
#: (drug, guild) whose positive net effect (a bloom) is used as it was fitted (see the module docstring)
RELEASE_USED = {("vancomycin", "facultative_pathobionts")}
SOURCE = ("gutbalance fit (logistic, bootstrap over mice) on the MDSINE2 healthy-donor gnotobiotic mice: "
          "Gibson, Gerber et al., MDSINE2, Nature Microbiology 2025 (bioRxiv 2021, 'Intrinsic instability of the "
          "dysbiotic microbiome revealed through dynamical systems inference at scale'); raw reads PRJNA784519; "
          "data as kept in repository gerberlab/MDSINE2_Paper")


def taxa_frame(lineages: list[str]) -> pd.DataFrame:
    """A Cohort-like taxa table (rank columns) for lineage strings."""
    rows, index = [], []
    for i, text in enumerate(lineages):
        lineage = parse_lineage(text)
        row = {t.rank: t.name for t in lineage}
        index.append(lineage[-1].id if lineage[-1].id not in index else f"{lineage[-1].id}#{i}")
        rows.append(row)
    return pd.DataFrame(rows, index=index)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--members", type=int, default=10)
    ap.add_argument("--before", type=float, default=21.5, help="weights: mean abundance before this day")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    t0 = time.perf_counter()
    data = mdsine2_dataset(args.data)
    model = fit_model(data, members=args.members)
    fit_seconds = time.perf_counter() - t0
    weights = np.vstack([s.values[s.times < args.before] for s in data.series.values()]).mean(axis=0)
    taxa = taxa_frame(model.lineages)
    guild = assign_guilds(taxa)["guild"].to_numpy()
    effects = model.effects  # (taxa, perturbations [+ after-phase])
    members = model.members["effects"]  # (members, taxa, ...)
    rows = []
    names = [p.lower() for p in model.perturbations]
    for pert, drug in DRUGS.items():
        if pert not in names:
            continue
        col = names.index(pert)  # the "during" phase
        for g in GUILDS:
            mask = guild == g
            if not mask.any() or weights[mask].sum() == 0:
                continue
            w = weights[mask] / weights[mask].sum()
            central = float(w @ effects[mask, col])
            spread = members[:, mask, col] @ w
            rows.append({
                "drug": drug, "guild": g, "fitted_effect": central, "sd": float(np.std(spread)),
                "p05": float(np.quantile(spread, 0.05)), "p95": float(np.quantile(spread, 0.95)),
                "value": central if (drug, g) in RELEASE_USED else min(central, 0.0), "n_taxa": int(mask.sum()),
                "abundance_share": float(weights[mask].sum() / weights.sum()),
                "source": SOURCE,
            })
    table = pd.DataFrame(rows)
    header = (
        "# Per-guild antibiotic responses fitted from the MDSINE2 healthy-donor mice by scripts/derive_fitted_susceptibility.py\n"
        "# (do not edit by hand).  fitted_effect: abundance-weighted mean fitted effect of the guild's taxa on d ln x/dt while\n"
        "# the drug was given (1/day at the mouse dose = signal 1); sd, p05, p95: the same over the bootstrap members;\n"
        "# value: what the model uses (positive net effects set to 0 but vancomycin's bloom of the facultative guild,\n"
        "# which the model's own competitive release falls short of: see the script); n_taxa and\n"
        f"# abundance_share: the taxa behind it and their share of the mice's pre-perturbation abundance.  Fit: {fit_seconds:.0f} s.\n"
    )
    args.out.write_text(header + table.to_csv(sep="\t", index=False, float_format="%.4g"), encoding="utf-8")
    print(table.drop(columns="source").to_string(index=False))
    print(f"fit + derivation {time.perf_counter() - t0:.0f} s -> {args.out}")


if __name__ == "__main__":
    main()
