#!/usr/bin/env python3
"""How many taxon names of the public tables in ../shared/data the bundled
lineage table places into a lineage from a domain to a named phylum.

Run from the repository root: ``python scripts/measure_lineage_coverage.py``.
The figures go in docs/lineage-table.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from shared_data import require_shared, shared_data  # noqa: E402

from gutbalance.taxonomy import parse_lineage  # noqa: E402
from gutbalance.taxonomy.placement import is_placed, resolve_lineage  # noqa: E402

SHARED = shared_data()


def header_names(path: Path, sep: str) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return fh.readline().strip().split(sep)[1:]


def row_names(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return [line.split(",", 1)[0].strip('"') for line in fh.readlines()[1:] if line.strip()]


def report(label: str, names: list[str]) -> None:
    unplaced = [n for n in names if not is_placed(resolve_lineage(parse_lineage(n)))]
    placed = len(names) - len(unplaced)
    print(f"{label}: {placed} / {len(names)} placed ({100 * placed / len(names):.1f} %); e.g. not: {unplaced[:8]}")


def main() -> int:
    require_shared()
    report("GMWI webtool median clades", header_names(SHARED / "population" / "gmwi_webtool_medians.csv", ","))
    report("MetAML (Pasolli 2016) columns", header_names(SHARED / "labelled" / "metaml_pasolli2016" / "abundance.csv", ","))
    report("GMHI 25-sample species", row_names(SHARED / "gmhi" / "species_relative_abundances.csv"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
