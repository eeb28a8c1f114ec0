#!/usr/bin/env python3
"""Measure the knowledge base's coverage on the real profiles in ../shared/data.

Coverage = share of each sample's species-level abundance (Bacteria, Archaea,
Eukaryota; phages excluded, reported separately) whose species or genus has at
least one sourced fact.  Prints the median per data set, overall and per pillar.
The GMHI table is species-only (no lineages): it is read with pandas and each
species' genus is taken from its binomial.

    python scripts/measure_kb_coverage.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import gutbalance  # noqa: E402
from gutbalance.knowledge import cohort_coverage, coverage_matrix  # noqa: E402


def main() -> None:
    shared = ROOT.parent / "shared" / "data"
    rows = {}
    for name in ("kefir_metaphlan3", "prebiotics_metaphlan3"):
        cohort = gutbalance.read(shared / "profiles" / name)
        rows[name] = cohort_coverage(cohort).median()
        rows[name + " (phages counted)"] = cohort_coverage(cohort, include_viruses=True).median()
    table = pd.read_csv(shared / "gmhi" / "species_relative_abundances.csv", index_col=0, encoding="utf-8-sig")
    # As GMHI.R does: names with 'unclassified' or 'virus' are not species.
    table = table[~table.index.str.contains("unclassified|virus", case=False)]
    taxa = pd.DataFrame({"rank": "species"}, index=[s.removeprefix("s__") for s in table.index])
    rows["gmhi_species_table"] = coverage_matrix(sp.csr_matrix(table.T.to_numpy()), taxa).median()
    result = pd.DataFrame(rows).T
    pd.set_option("display.width", 160)
    print("median share of abundance annotated at species or genus level")
    print(result.map(lambda v: f"{v:.1%}" if pd.notna(v) else "").to_string())


if __name__ == "__main__":
    main()
