#!/usr/bin/env python3
"""Issue 12 check: in the in vitro prebiotic fermentations, does every fibre group's
mean ``nutrients`` exceed the no-substrate control NS24's?

Reads ../shared/data/profiles/prebiotics_metaphlan3 (21 MetaPhlAn 3 profiles,
3 replicates per group) and prints, per group, the mean of nutrients and of
its terms' inputs (butyrate and SCFA shares, B-vitamin and quinone capacity).

    python scripts/prebiotic_nutrients.py [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from shared_data import add_shared_argument  # noqa: E402

import gutbalance  # noqa: E402
from gutbalance.pillars import pillar_scores  # noqa: E402

FIBRES = ("FS24", "IN24", "GS24", "XS24", "FL24")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_shared_argument(parser)
    args = parser.parse_args()
    cohort = gutbalance.read(args.shared / "profiles" / "prebiotics_metaphlan3")
    result = pillar_scores(cohort, contributions=False)
    from gutbalance.pillars import B_VITAMINS, QUINONES, parameters

    k = parameters()["k_vitamin_producers"]
    shares = result.shares
    table = pd.concat([result.scores[["nutrients"]], shares[["butyrate_producer", "scfa_producer"]]], axis=1)
    table["b_vitamins"] = (shares[list(B_VITAMINS)] / (shares[list(B_VITAMINS)] + k)).mean(axis=1)
    table["k2_q10"] = (shares[list(QUINONES)] / (shares[list(QUINONES)] + k)).mean(axis=1)
    table["group"] = [s.split("_")[0] for s in table.index]
    means = table.groupby("group").mean().round(3)
    print(means.to_string())
    control = means.at["NS24", "nutrients"]
    for group in FIBRES:
        verdict = "above" if means.at[group, "nutrients"] > control else "NOT above"
        print(f"{group}: nutrients {means.at[group, 'nutrients']:.2f} {verdict} NS24 {control:.2f}")


if __name__ == "__main__":
    main()
