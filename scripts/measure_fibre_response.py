"""How far a lasting fibre change moves each guild of real profiles (a check, not a test).

Run: ``python scripts/measure_fibre_response.py [--fibre 0.3] [--days 90] [--courses]`` (about a
minute; ``--courses`` adds 7-day courses of each antibiotic, about 3 minutes more).
Simulates each kefir and prebiotic profile of ``../shared/data/profiles`` (65
people) under the fibre change with the central parameters, and prints, per
guild, the median and smallest day-``days``/day-0 ratio and how many profiles
lose more than 99.9 % of the guild, then the profiles whose facultative guild
moved most.  A guild that is a person's equilibrium should move in proportion
to what fibre changes, not go extinct (2026-11-29: an inflamed profile's
facultative guild fell from 56 % to 0.001 % under +30 % fibre while
inflammation was a growth-rate term).

``--courses`` prints, per antibiotic (days 0-7, 120 days), the largest total
microbial load any profile reaches (units of the healthy total load) and the
facultative guild's largest and day-120 fold change: the overfill of the
known limit in docs/simulation.md ("Known limit (2026-11-29): a guild that
fills the gut can overfill it").
"""

from __future__ import annotations

import argparse

import numpy as np
from shared_data import shared_data

from gutbalance.simulate import Scenario, parse_antibiotic, simulate
from gutbalance.simulate.gut_immune import ANTIBIOTICS, GUILDS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fibre", type=float, default=0.3)
    parser.add_argument("--days", type=float, default=90.0)
    parser.add_argument("--courses", action="store_true", help="also 7-day courses of each antibiotic")
    args = parser.parse_args()
    root = shared_data() / "profiles"
    files = sorted((root / "kefir_metaphlan3").glob("*.txt")) + sorted((root / "prebiotics_metaphlan3").glob("*.txt"))
    if not files:
        raise SystemExit(f"no profiles under {root}")
    ratios, effector = [], []
    for path in files:
        result = simulate(path, Scenario(days=args.days, fibre=args.fibre), draws=0)
        start, end = result.trajectory.iloc[0], result.trajectory.iloc[-1]
        ratios.append([end[g] / start[g] for g in GUILDS])
        effector.append((start["effector"], end["effector"], start["facultative_pathobionts"]))
    r = np.array(ratios)
    print(f"fibre {args.fibre:+.0%}, day {args.days:g}, {len(files)} profiles")
    print("| guild | median ratio | smallest | largest | profiles losing > 99.9 % |")
    print("|---|---:|---:|---:|---:|")
    for k, g in enumerate(GUILDS):
        print(f"| {g} | {np.median(r[:, k]):.3g} | {r[:, k].min():.3g} | {r[:, k].max():.3g} | {(r[:, k] < 1e-3).sum()} |")
    f = GUILDS.index("facultative_pathobionts")
    print("\nfacultative guild, most moved (profile, start share, ratio, effector day 0 -> end):")
    for i in np.argsort(r[:, f])[:5]:
        e0, e1, x0 = effector[i]
        print(f"  {files[i].name}: {x0:.3g}, x{r[i, f]:.3g}, {e0:.2f} -> {e1:.2f}")
    if args.courses:
        courses(files)


def courses(files: list) -> None:
    print("\n| antibiotic (days 0-7) | largest total load | profile | facultative largest fold: median, max "
          "| facultative day 120 / day 0: max |")
    print("|---|---:|---|---:|---:|")
    for drug in ANTIBIOTICS:
        rows = []
        for path in files:
            t = simulate(path, Scenario(days=120, antibiotics=[parse_antibiotic(f"{drug}:days=0-7")]), draws=0).trajectory
            guild = t["facultative_pathobionts"]
            rows.append((t[GUILDS].sum(axis=1).max(), guild.max() / guild.iloc[0], guild.iloc[-1] / guild.iloc[0], path.name))
        worst = max(rows)
        folds = np.array([row[1] for row in rows])
        print(f"| {drug} | {worst[0]:.2f} | {worst[3].split('_metaphlan')[0]} | {np.median(folds):.3g}, {folds.max():.3g} "
              f"| {max(row[2] for row in rows):.3g} |")


if __name__ == "__main__":
    main()
