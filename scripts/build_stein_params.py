"""Derive gutbalance's Stein et al. 2013 parameter tables from the published files.

Reads ``stein_parameters.csv`` and ``stein_ic.csv`` (the supplementary data of
Stein RR et al. 2013, PLoS Comput Biol 9:e1003388,
doi:10.1371/journal.pcbi.1003388, as kept in ../shared/data/dynamics/stein2013)
and writes two tab-separated tables into ``src/gutbalance/simulate/data``:

``stein2013_parameters.tsv``
    one row per taxon: growth rate (1/day), clindamycin susceptibility
    (1/day per unit clindamycin signal) and the interaction row ``a_ij``
    (effect of taxon j on the growth of taxon i, per day per 10^11 16S copies/cm3).
``stein2013_initial_conditions.tsv``
    the densities measured at day 0 of each of the nine mice, in the column
    order of ``stein_ic.csv`` (initial condition 0 is the file's first day-0
    column).  This is the order Jones & Carlson (2018, 2019) used.

Run: ``python scripts/build_stein_params.py [SHARED_DIR]``.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from shared_data import require_shared

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "gutbalance" / "simulate" / "data"
CITATION = "Stein RR et al. 2013, PLoS Comput Biol 9:e1003388, doi:10.1371/journal.pcbi.1003388"


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [row for row in csv.reader(fh)]


def parse_parameters(rows: list[list[str]]):
    body = rows[1:]
    # The last row labels the interaction columns (taxon j).
    labels = [cell.strip() for cell in body[-1] if cell.strip()]
    n = len(labels)
    table = []
    for row in body[:-1]:
        if not row or not row[0].strip():
            continue
        name = row[0].strip()
        interactions = [float(v) for v in row[1 : 1 + n]]
        growth = float(row[1 + n])
        susceptibility = float(row[2 + n])
        table.append((name, growth, susceptibility, interactions))
    if [t[0] for t in table] != labels:
        raise SystemExit("row taxa and column labels of stein_parameters.csv differ")
    return labels, table


def parse_initial_conditions(rows: list[list[str]], labels: list[str]):
    by_key = {row[0].strip(): row[1:] for row in rows if row and row[0].strip()}
    times = [float(v) for v in by_key["time (in d)"]]
    mouse = [int(float(v)) for v in by_key["ID"]]
    population = [int(float(v)) for v in by_key["Population"]]
    replicate = [int(float(v)) for v in by_key["Replicate"]]
    clindamycin = [float(v) for v in by_key["Clindamycin signal"]]
    columns = [i for i, t in enumerate(times) if t == 0.0]
    out = []
    for ic, col in enumerate(columns):
        densities = [float(by_key[name][col]) for name in labels]
        out.append((ic, mouse[col], population[col], replicate[col], clindamycin[col], densities))
    return out


def main(shared: Path) -> None:
    src = shared / "dynamics" / "stein2013"
    labels, table = parse_parameters(read_rows(src / "stein_parameters.csv"))
    ics = parse_initial_conditions(read_rows(src / "stein_ic.csv"), labels)
    OUT.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# Generalized Lotka-Volterra parameters of the mouse gut, {CITATION}.",
        "# Derived by scripts/build_stein_params.py from the paper's supplementary table; evidence: fitted to data (mouse).",
        "# Units: time in days, densities in 10^11 16S rRNA gene copies per cm3.",
        "# growth_rate = r_i (1/day); clindamycin_susceptibility = eps_i (1/day at clindamycin signal u = 1);",
        "# column a:<taxon j> = a_ij, effect of taxon j on the per-capita growth of taxon i.",
        "\t".join(["taxon", "growth_rate", "clindamycin_susceptibility", *(f"a:{n}" for n in labels)]),
    ]
    for name, growth, sus, inter in table:
        lines.append("\t".join([name, repr(growth), repr(sus), *(repr(v) for v in inter)]))
    (OUT / "stein2013_parameters.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    lines = [
        f"# Measured densities at day 0 of the nine mice of {CITATION}.",
        "# Derived by scripts/build_stein_params.py; 'ic' is the 0-based order of the day-0 columns of the",
        "# supplementary data matrix (mouse ids 1..9); population 1 = no clindamycin, 2 = clindamycin,",
        "# 3 = clindamycin + C. difficile; clindamycin = the experiment's clindamycin signal at day 0.",
        "# Units: 10^11 16S rRNA gene copies per cm3.",
        "\t".join(["ic", "mouse", "population", "replicate", "clindamycin", *labels]),
    ]
    for ic, mouse, pop, rep, clinda, dens in ics:
        lines.append("\t".join([str(ic), str(mouse), str(pop), str(rep), repr(clinda), *(repr(v) for v in dens)]))
    (OUT / "stein2013_initial_conditions.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(table)} taxa and {len(ics)} initial conditions to {OUT}")


if __name__ == "__main__":
    main(require_shared(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
