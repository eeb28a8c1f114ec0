"""Global sensitivity of the gut-immune model's pillars to its uncertain parameters (Sobol indices, SALib).

Every parameter of ``simulate/data/gut_immune_parameters.tsv`` with an uncertainty (``sd_log`` > 0) that
the scenario can touch is varied over its ensemble prior (log-normal with that ``sd_log``; shares on the
logit scale), exactly as ``simulate(..., draws=N)`` draws them.  Parameters the scenario cannot reach are
left out (other antibiotics' susceptibilities, the pathogen's when nobody is exposed, fibre responses
without a fibre change).  Saltelli sampling (``SALib.sample.sobol``, first and total order, N (D + 2) runs),
all runs integrated at once by the vectorised model, pillars scored as ``simulate`` scores them.

Run (about 2-4 minutes on the project's shared 2-core machine at the default N = 128)::

    python scripts/sensitivity_gut_immune.py                         # Subj053 (kefir study), amoxicillin days 0-5
    python scripts/sensitivity_gut_immune.py --profile P --antibiotic clindamycin:days=0-7 --n 256

Prints, per pillar and output day, the parameters with the largest total-order index ST (with S1 and
the bootstrap 95 % half-width of ST) as a Markdown table for docs/simulation.md, and writes the full
table to ``--out`` (TSV).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample
from shared_data import shared_data

from gutbalance.simulate import PATHOGENS, PILLARS, Scenario, load_parameters, parse_antibiotic, parse_pathogen
from gutbalance.simulate.api import person, run_person
from gutbalance.simulate.parameters import parameter_table
from gutbalance.simulate.pillars import simulated_pillars

DEFAULT_PROFILE = shared_data() / "profiles" / "kefir_metaphlan3" / "Subj053_time1_S39_metaphlan3.txt"


def uncertain_rows(scenario: Scenario, pathogen: str | None) -> pd.DataFrame:
    """The parameter rows the scenario can reach, with ``sd_log`` > 0."""
    table = parameter_table()
    table = table[table["sd_log"] > 0].copy()
    drugs = {c.name for c in scenario.antibiotics}

    def reachable(row) -> bool:
        if row.parameter == "susceptibility":
            drug, _, guild = row.target.partition(":")
            return drug in drugs and (guild not in PATHOGENS or guild == pathogen)
        names = set(row.target.replace("<-", " ").split())
        if names & set(PATHOGENS):
            return pathogen is not None and not (names & set(PATHOGENS)) - {pathogen}
        if row.parameter in {"pathogen_growth", "pathogen_clearance", "immunity_induction", "immunity_waning"}:
            return pathogen is not None
        if row.parameter.startswith("fibre"):
            return scenario.fibre != 0
        return True

    return table[[reachable(r) for r in table.itertuples()]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", type=Path, default=DEFAULT_PROFILE)
    ap.add_argument("--antibiotic", action="append", default=None, help="default: amoxicillin:days=0-5")
    ap.add_argument("--pathogen", action="append", default=[])
    ap.add_argument("--days", type=float, default=120.0)
    ap.add_argument("--at", default="7,120", help="output days (comma-separated)")
    ap.add_argument("--n", type=int, default=128, help="Saltelli base sample (a power of 2)")
    ap.add_argument("--top", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("sensitivity_gut_immune.tsv"))
    args = ap.parse_args()
    if not args.profile.exists():
        sys.exit(f"profile {args.profile} not found (the default is in ../shared/data)")
    scenario = Scenario(days=args.days, antibiotics=[parse_antibiotic(a) for a in (args.antibiotic or ["amoxicillin:days=0-5"])],
                        pathogens=[parse_pathogen(p) for p in args.pathogen])
    at = [float(d) for d in args.at.split(",")]
    start = person(args.profile, scenario)
    exposed = start.pathogen if scenario.pathogens or (start.x0 is not None and start.x0[-1] > 0) else None
    rows = uncertain_rows(scenario, exposed)
    keys = list(zip(rows["parameter"], rows["target"], strict=True))
    names = [f"{p}[{t}]" for p, t in keys]
    problem = {"num_vars": len(keys), "names": names, "dists": ["norm"] * len(keys), "bounds": [[0.0, 1.0]] * len(keys)}
    t0 = time.perf_counter()
    deviates = sobol_sample.sample(problem, args.n, calc_second_order=False, seed=args.seed)
    n_runs = deviates.shape[0]
    params = load_parameters(n_runs, pathogen=start.pathogen, z={k: deviates[:, i] for i, k in enumerate(keys)})
    times, states, _ = run_person(start, params, scenario, out_dtype=np.float32, t_eval=np.array([0.0, *at]))
    t_sim = time.perf_counter() - t0
    scores = simulated_pillars(start.virtual, states)  # (runs, 1 + len(at), 5)
    t_all = time.perf_counter() - t0
    out = []
    for j, day in enumerate(at, start=1):
        for k, pillar in enumerate(PILLARS):
            y = scores[:, j, k].astype(np.float64)
            if np.ptp(y) == 0:
                continue
            res = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=args.seed)
            for i, name in enumerate(names):
                out.append({"day": day, "pillar": pillar, "parameter": name, "evidence": rows["evidence"].iloc[i],
                            "ST": res["ST"][i], "ST_conf": res["ST_conf"][i], "S1": res["S1"][i],
                            "output_sd": float(np.std(y))})
    table = pd.DataFrame(out)
    table.to_csv(args.out, sep="\t", index=False, float_format="%.4g")
    print(f"# {start.subject}; {'; '.join(scenario.describe())}; {len(keys)} uncertain parameters, N = {args.n}, "
          f"{n_runs} runs; integration {t_sim:.0f} s, total {t_all:.0f} s")
    print("\n| day | pillar | sd over runs | parameters with the largest total-order Sobol index ST (S1) |")
    print("|---|---|---|---|")
    for (day, pillar), group in table.groupby(["day", "pillar"], sort=False):
        best = group.sort_values("ST", ascending=False).head(args.top)
        cells = "; ".join(f"`{r.parameter}` {r.ST:.2f}±{r.ST_conf:.2f} ({r.S1:.2f})" for r in best.itertuples())
        print(f"| {day:g} | {pillar} | {group['output_sd'].iloc[0]:.1f} | {cells} |")


if __name__ == "__main__":
    main()
