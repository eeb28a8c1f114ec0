#!/usr/bin/env python3
"""Measure the knowledge base's coverage on the real profiles in ../shared/data.

Coverage = share of each sample's species-level abundance (Bacteria, Archaea,
Eukaryota; phages excluded, reported separately) whose species or genus has at
least one sourced fact.  Prints the median per data set, overall and per pillar.
The GMHI table is species-only (no lineages): it is read with pandas and each
species' genus is taken from its binomial.

    python scripts/measure_kb_coverage.py [--write docs/knowledge-base.md]

With ``--write`` the table between the ``<!-- coverage table -->`` and
``<!-- end coverage table -->`` markers of that file is replaced by the
table measured now, so the documented figures stay true.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from shared_data import add_shared_argument  # noqa: E402

import gutbalance  # noqa: E402
from gutbalance.knowledge import cohort_coverage, coverage_matrix  # noqa: E402

#: Row labels of the documented table, per measured set.
LABELS = {
    "kefir_metaphlan3": "kefir (44 MetaPhlAn 3 stool profiles)",
    "kefir_metaphlan3 (phages counted)": "kefir, phages counted",
    "prebiotics_metaphlan3": "prebiotics (21 in vitro fermentations)",
    "prebiotics_metaphlan3 (phages counted)": "prebiotics, phages counted",
    "zeller2014_motus3_controls": "Zeller 2014 controls (457 mOTUs 3 runs)",
    "gmhi_species_table": "GMHI table (25 MetaPhlAn 2 profiles)",
}
START, END = "<!-- coverage table -->", "<!-- end coverage table -->"


def measure(shared: Path) -> pd.DataFrame:
    rows = {}
    for name in ("kefir_metaphlan3", "prebiotics_metaphlan3"):
        cohort = gutbalance.read(shared / "profiles" / name)
        rows[name] = cohort_coverage(cohort).median()
        rows[name + " (phages counted)"] = cohort_coverage(cohort, include_viruses=True).median()
    zeller = shared / "profiles" / "zeller2014_motus3_controls" / "profiles"
    rows["zeller2014_motus3_controls"] = cohort_coverage(gutbalance.read(sorted(zeller.iterdir()))).median()
    table = pd.read_csv(shared / "gmhi" / "species_relative_abundances.csv", index_col=0, encoding="utf-8-sig")
    # As GMHI.R does: names with 'unclassified' or 'virus' are not species.
    table = table[~table.index.str.contains("unclassified|virus", case=False)]
    taxa = pd.DataFrame({"rank": "species"}, index=[s.removeprefix("s__") for s in table.index])
    rows["gmhi_species_table"] = coverage_matrix(sp.csr_matrix(table.T.to_numpy()), taxa).median()
    return pd.DataFrame(rows).T


def markdown(result: pd.DataFrame) -> str:
    columns = ["annotated", "training", "homeostasis", "nutrients", "barrier", "defense"]
    lines = ["| data set | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for name, row in result.iterrows():
        cells = [f"{100 * row[c]:.1f} %" if pd.notna(row[c]) else "" for c in columns]
        lines.append(f"| {LABELS.get(str(name), name)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write(doc: Path, table: str) -> None:
    text = doc.read_text("utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{doc}: no {START} ... {END} markers to write the table between")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{START}\n{table}\n{END}{tail}", "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_shared_argument(parser)
    parser.add_argument("--write", type=Path, help="replace the coverage table of this markdown file")
    args = parser.parse_args()
    result = measure(args.shared)
    pd.set_option("display.width", 160)
    print("median share of abundance annotated at species or genus level")
    print(result.map(lambda v: f"{v:.1%}" if pd.notna(v) else "").to_string())
    if args.write:
        write(args.write, markdown(result))
        print(f"table written to {args.write}")


if __name__ == "__main__":
    main()
