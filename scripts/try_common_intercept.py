#!/usr/bin/env python3
"""Does the calibration's per-study intercept cost held-out AUC?  Fits the
weights as ``scripts/calibrate_pillars.py`` does (sign rule, penalty grid,
literature share), once with one intercept per study (shipped) and once
with one intercept shared by all studies (a fit that also has to keep the
healthy people of different studies together), and prints the held-out
AUC of immune_support per study, pooled and the mean of studies for every
penalty pair (docs/validation.md, "Tried, did not help").

    GUTBALANCE_SHARED_DATA=../shared/data python scripts/try_common_intercept.py
"""

from __future__ import annotations

import argparse
import sys
from itertools import product
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import calibrate_pillars as cp  # noqa: E402
from labelled_sets import STUDIES  # noqa: E402
from shared_data import add_shared_argument  # noqa: E402

PER_STUDY = cp.fit_nonnegative


def common_intercept(X, y, study, w, lam):
    """:func:`calibrate_pillars.fit_nonnegative` with every sample in one study."""
    return PER_STUDY(X, y, np.zeros(len(y), dtype=int), w, lam)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shared_argument(parser)
    args = parser.parse_args(argv)
    _, labels, _, components = cp.labelled_components(args.shared)
    excluded = {s: cp.contradicted(components[(labels["study"] != s).to_numpy()], labels[labels["study"] != s])
                for s in STUDIES}
    print("intercept\tlambda_components\tlambda_pillars\t" + "\t".join([*STUDIES, "pooled", "mean of studies"]))
    for name, fit in (("per study", PER_STUDY), ("common", common_intercept)):
        cp.fit_nonnegative = fit
        for lam_c, lam_p in product(cp.LAMBDAS, cp.LAMBDAS):
            held = cp.leave_one_study_out(components, labels, lam_c, lam_p, excluded)
            row = cp.auc_rows(held, labels, ["immune_support"])["immune_support"]
            print(f"{name}\t{lam_c:g}\t{lam_p:g}\t" + "\t".join(f"{v:.3f}" for v in row.to_numpy()), flush=True)
    cp.fit_nonnegative = PER_STUDY
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
