"""Regenerate docs/figures/*.svg and the tables of docs/simulation.md.

Run: ``python scripts/build_simulation_figures.py`` (about a minute).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from shared_data import shared_data

from gutbalance.report.simulation import figures
from gutbalance.simulate import (
    Scenario,
    parse_antibiotic,
    parse_pathogen,
    simulate,
    simulate_stein,
    stein2013,
    stein2013_initial_condition,
    stein2013_initial_conditions,
)

OUT = Path(__file__).resolve().parents[1] / "docs" / "figures"


def save(result, names):
    for (_caption, svg), name in zip(figures(result), names):
        if name:
            (OUT / f"{name}.svg").write_text(svg, encoding="utf-8")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    clinda, cd = parse_antibiotic("clindamycin:days=0-1"), parse_pathogen("c_difficile:day=5")
    with_rx = simulate_stein(Scenario(days=1000, antibiotics=[clinda], pathogens=[cd]), ic=4)
    no_rx = simulate_stein(Scenario(days=1000, pathogens=[cd]), ic=4)
    save(with_rx, ["stein2013_ic4_clindamycin_cdiff"])
    save(no_rx, ["stein2013_ic4_cdiff_only"])
    print("| scenario (IC 4) | C. difficile day 5 | day 30 | day 1000 |")
    print("|---|---|---|---|")
    for label, r in [("clindamycin day 0-1, C. difficile 1e-10 on day 5", with_rx), ("C. difficile only", no_rx)]:
        v = r.trajectory.set_index("time")["Clostridium_difficile"]
        print(f"| {label} | {v[5.0]:.3g} | {v[30.0]:.3g} | {v[1000.0]:.4g} |")
    print()
    model = stein2013()
    ics = stein2013_initial_conditions()
    print("| IC | mouse | population | surviving taxa at day 1000 (density) |")
    print("|---|---|---|---|")
    for ic in range(9):
        _, x = model.simulate(stein2013_initial_condition(ic), 1000.0, t_eval=[0.0, 1000.0], atol=1e-9)
        alive = ", ".join(f"{t} {v:.3g}" for t, v in zip(model.taxa, x[-1]) if v > 0)
        print(f"| {ic} | {int(ics.loc[ic, 'mouse'])} | {int(ics.loc[ic, 'population'])} | {alive} |")
    print()
    amox = simulate(scenario=Scenario(days=120, antibiotics=[parse_antibiotic("amoxicillin:days=0-5")]), draws=200, seed=1)
    save(amox, ["gut_immune_amoxicillin_pillars", "gut_immune_amoxicillin_guilds", "gut_immune_amoxicillin_host"])
    cdi = simulate(scenario=Scenario(days=120, antibiotics=[parse_antibiotic("clindamycin:days=0-5")],
                                     pathogens=[parse_pathogen("c_difficile:day=5")]), draws=200, seed=1)
    save(cdi, ["gut_immune_clindamycin_cdiff_pillars", "gut_immune_clindamycin_cdiff_guilds", None])
    fib = simulate(scenario=Scenario(days=120, fibre=0.3))
    runs = [("reference composition", "amoxicillin days 0-5", amox, [0.0, 5.0, 14.0, 120.0]),
            ("reference composition", "clindamycin days 0-5 + C. difficile day 5", cdi, [0.0, 5.0, 30.0, 120.0]),
            ("reference composition", "fibre +30%", fib, [0.0, 120.0])]
    kefir = shared_data() / "profiles" / "kefir_metaphlan3"
    if kefir.is_dir():
        subj004 = next(kefir.glob("Subj004_time1_*.txt"))
        s004 = simulate(subj004, Scenario(days=120, antibiotics=[parse_antibiotic("clindamycin:days=0-7")]), draws=200, seed=1)
        runs.append(("kefir Subj004", "clindamycin days 0-7", s004, [0.0, 3.0, 7.0, 30.0, 120.0]))
    print("| start | scenario | day | training | homeostasis | nutrients | barrier | defense |")
    print("|---|---|---|---|---|---|---|---|")
    for start, label, r, days in runs:
        p = r.pillars.set_index("time")
        for d in days:
            row = p.loc[d]
            print(f"| {start} | {label} | {d:g} | " + " | ".join(f"{row[c]:.0f}" for c in p.columns) + " |")
    print()
    for start, label, r, _days in runs:
        if r.recovery is not None:
            print(f"{start}, {label}: not recovered at day {r.scenario.days:g} in "
                  f"{r.recovery['probability'] * 100:.0f}% of {r.draws} draws; per pillar {r.recovery['per_pillar']}")
    print("fibre +30%: butyrate", float(fib.trajectory["butyrate"].iloc[-1]),
          "facultative", float(fib.trajectory["facultative_pathobionts"].iloc[-1]))
    print("pathogen max / day 120 (clindamycin):", float(cdi.trajectory["pathogen"].max()), float(cdi.trajectory["pathogen"].iloc[-1]),
          "p95 max", float(cdi.bands["p95"]["pathogen"].max()))
    print("amoxicillin butyrate day 5/120:", float(amox.trajectory["butyrate"].iloc[5]), float(amox.trajectory["butyrate"].iloc[-1]))
    np.set_printoptions(precision=3)


if __name__ == "__main__":
    main()
