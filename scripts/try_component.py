#!/usr/bin/env python3
"""Leave-one-study-out AUC of immune_support with one extra pillar component,
beside the shipped structure (issue 12 item 3: a structural change is adopted
only if it raises the pooled AUC and the AUC of at least 4 of the 6 studies,
and lowers none by more than 0.02).

The extra component reuses a column of the components table (a component of
another pillar, same trait share and direction), so no knowledge is added
here: the question is only whether the literature's placement of the trait in
a second pillar travels across studies.  The same sign rule, penalty grid and
literature share as ``calibrate_pillars.py``.

    python scripts/calibrate_pillars.py --no-table --components /tmp/components.tsv -o /tmp/cal.json
    python scripts/try_component.py /tmp/components.tsv defense.facultative=barrier.facultative
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from itertools import product
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

import calibrate_pillars as cp  # noqa: E402
from labelled_sets import STUDIES  # noqa: E402

from gutbalance import pillars  # noqa: E402


def loso_table(components: pd.DataFrame, labels: pd.DataFrame) -> pd.Series:
    """Per-study and pooled held-out AUC of immune_support, penalties chosen as the calibration chooses them."""
    excluded = {s: cp.contradicted(components[(labels["study"] != s).to_numpy()], labels[labels["study"] != s])
                for s in STUDIES}
    best = None
    for lam_c, lam_p in product(cp.LAMBDAS, cp.LAMBDAS):
        held = cp.leave_one_study_out(components, labels, lam_c, lam_p, excluded)
        rows = cp.auc_rows(held, labels, ["immune_support"])["immune_support"]
        if best is None or rows["mean of studies"] > best["mean of studies"]:
            best = rows
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("components", type=Path, help="TSV from calibrate_pillars.py --components")
    parser.add_argument("extra", help="PILLAR.NAME=SOURCE_COLUMN, e.g. defense.facultative=barrier.facultative")
    parser.add_argument("--prior", type=float, default=None, help="prior weight (default: the source's)")
    args = parser.parse_args(argv)

    table = pd.read_csv(args.components, sep="\t", index_col=0)
    labels = table[["study", "healthy", "group", "unit"]]
    components = table.drop(columns=["study", "healthy", "group", "unit"])
    before = loso_table(components, labels)

    key, source = args.extra.split("=")
    pillar, name = key.split(".")
    template = next(c for c in pillars.COMPONENTS if c.key == source)
    extra = dataclasses.replace(template, pillar=pillar, name=name,
                                prior=template.prior if args.prior is None else args.prior)
    components[key] = components[source]
    with cp.components_listed((*pillars.COMPONENTS, extra)):
        after = loso_table(components, labels)

    out = pd.DataFrame({"shipped": before, f"+ {key}": after})
    out["change"] = out.iloc[:, 1] - out.iloc[:, 0]
    print(out.round(3).to_string())
    d = out.loc[list(STUDIES), "change"]
    adopt = out.loc["pooled", "change"] > 0 and (d > 0).sum() >= 4 and (d >= -0.02).all()
    print(f"\nrule (pooled up, >= 4 of 6 studies up, none down by > 0.02): {'met' if adopt else 'not met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
