#!/usr/bin/env python3
"""How far shallow sequencing moves each score: every taxon under 0.01 % or
0.1 % is removed from the labelled profiles (as a profiler reports a shallower
run) and the scores are compared with the full profiles'.

Prints, per set and floor, the median, 95th percentile and largest absolute
change of immune_support, the pillars and the depth-following measures
(richness, Shannon, the published GMHI and GMWI2).  The bounds of
tests/pillars/test_depth.py come from here.

    python scripts/measure_depth_thinning.py [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from pathlib import Path

import pandas as pd
from shared_data import add_shared_argument

import gutbalance

ROOT = Path(__file__).resolve().parents[1]
SETS = [("franzosa2019_ibd/species.tsv", "\t", 1.0), ("metaml_pasolli2016/abundance.csv", ",", 100.0)]
COLUMNS = ["immune_support", "training", "homeostasis", "nutrients", "barrier", "defense",
           "richness", "shannon", "gmhi", "gmwi2"]


def _score(path: Path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
        return gutbalance.score(gutbalance.read([path]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shared_argument(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, sep, scale in SETS:
            path = args.shared / "labelled" / name
            table = pd.read_csv(path, sep=sep, index_col=0)
            full = _score(path)
            for floor in (1e-4, 1e-3):
                out = Path(tmp) / f"thin{path.suffix}"
                thin = table.where(table >= floor * scale, 0.0)
                thin.to_csv(out, sep=sep)
                change = (_score(out)[COLUMNS] - full[COLUMNS]).abs()
                dropped = float((table - thin).sum(axis=1).median() / scale)
                print(f"\n{name}, taxa under {floor:.2%} removed ({len(table)} profiles; median abundance removed "
                      f"{dropped:.2%}): absolute change")
                print(change.quantile([0.5, 0.95, 1.0]).rename(index={0.5: "median", 0.95: "p95", 1.0: "max"})
                      .round(2).to_string())


if __name__ == "__main__":
    main()
