#!/usr/bin/env python3
"""Where immune_support loses its pooled AUC: study offsets per component and
pillar (issue 12, "diagnose the pooled loss").

The held-out (leave-one-study-out) AUC of immune_support is 0.61 pooled over
the six labelled studies, below its mean per-study AUC (0.66): the score's
level moves with the study, so one study's healthy people can sit below
another study's patients.  For every component, every held-out pillar,
held-out immune_support and the published indices, this prints:

- the AUC (healthy vs disease) in each study, their mean, the pooled AUC and
  the pooled loss (pooled - mean);
- ``eta2_healthy``: the share of the variance among *healthy* people only
  that lies between studies (one-way eta squared, SS_between / SS_total):
  the study offset that has nothing to do with disease; ``eta2_disease``
  the same among patients;
- ``pooled_centred``: the pooled AUC after subtracting each study's median
  among its healthy people.  Not a score anyone can compute for one sample
  (it needs the study's controls); it measures what the offsets cost;
- ``pooled_without_<study>``: the pooled AUC with one study left out (which
  study drags the pool);
- the median share of the main traits per study and group, to name the
  taxa behind an offset.

Held-out scores use the shipped penalties (``calibration.json``
provenance) with the same sign rule and literature share as
``calibrate_pillars.py``.

    python scripts/study_offsets.py [--shared ../shared/data] [--markdown]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

import calibrate_pillars as cp  # noqa: E402
from labelled_sets import STUDIES, load_labelled  # noqa: E402
from shared_data import add_shared_argument  # noqa: E402

from gutbalance import pillars  # noqa: E402
from gutbalance.knowledge.schema import PILLARS  # noqa: E402
from gutbalance.scores import SCORE_FAMILIES  # noqa: E402

#: Trait shares whose per-study medians name the taxa behind an offset.
SHARES = ("pathobiont_or_pathogen", "defense_harm", "butyrate_supply", "health_response", "disease_response",
          "oxygen_tolerant", "obligate_anaerobe")


def labelled_inputs(shared: Path):
    """The labelled cohort, its labels, the published indices, the pillar
    inputs (trait shares ``F``, matrix ``P``, composite traits) and every
    component, as ``calibrate_pillars.py`` computes them."""
    cohort, labels = load_labelled(shared)
    table = pd.concat([family(cohort) for family in SCORE_FAMILIES], axis=1)
    inputs, taxa, _ = pillars._prepare(cohort, dysbiosis=table["dysbiosis"].to_numpy())
    components = pillars._components(inputs, pillars.parameters())
    return labels, table, inputs, taxa, components


def eta_squared(x: np.ndarray, group: np.ndarray) -> float:
    """One-way eta squared: the share of the variance of ``x`` between groups."""
    ok = np.isfinite(x)
    x, group = x[ok], group[ok]
    total = float(((x - x.mean()) ** 2).sum())
    if total == 0:
        return float("nan")
    between = sum(int((group == g).sum()) * (x[group == g].mean() - x.mean()) ** 2 for g in np.unique(group))
    return float(between / total)


def _auc(x: np.ndarray, healthy: np.ndarray) -> float:
    """``calibrate_pillars.auc``, missing (NaN) where a group is empty."""
    healthy = np.asarray(healthy).astype(bool)
    return cp.auc(x, healthy) if healthy.any() and (~healthy).any() else float("nan")


def offsets_table(values: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Per column of ``values``: per-study AUC, mean, pooled, loss, eta squared
    of study among healthy people and among patients, the centred pooled AUC,
    and the pooled AUC with each study left out."""
    y = labels["healthy"].to_numpy()
    study = labels["study"].to_numpy()
    healthy = y == 1
    rows = {}
    for column in values.columns:
        x = values[column].to_numpy(dtype=float)
        ok = np.isfinite(x)
        row = {s: _auc(x[(study == s) & ok], y[(study == s) & ok]) for s in STUDIES}
        row["mean"] = float(np.nanmean([row[s] for s in STUDIES]))
        row["pooled"] = _auc(x[ok], y[ok])
        row["loss"] = row["pooled"] - row["mean"]
        row["eta2_healthy"] = eta_squared(x[healthy], study[healthy])
        row["eta2_disease"] = eta_squared(x[~healthy], study[~healthy])
        centre = pd.Series(x[healthy & ok]).groupby(study[healthy & ok]).median()
        centred = x - pd.Series(study).map(centre).to_numpy()
        row["pooled_centred"] = _auc(centred[ok], y[ok])
        for s in STUDIES:
            keep = ok & (study != s)
            row[f"pooled_without_{s}"] = _auc(x[keep], y[keep])
        rows[column] = row
    return pd.DataFrame(rows).T


def offset_shares(components: pd.DataFrame, labels: pd.DataFrame, cal: dict) -> pd.Series:
    """Which weighted components make the shipped immune_support's study
    offset among healthy people: immune_support is a sum of weighted
    components, so the between-study variance of its study means (each
    study's mean among its healthy people, weighted by their number) splits
    exactly into one covariance term per component; each term's share of the
    total (negative: the component offsets the other way)."""
    healthy = labels["healthy"].to_numpy() == 1
    study = labels["study"].to_numpy()[healthy]
    weight = {c.key: 100.0 * cal["pillars"][c.pillar] * cal["components"][c.pillar][c.name]
              for c in pillars.COMPONENTS}
    parts = pd.DataFrame({k: w * components.loc[healthy, k].to_numpy() for k, w in weight.items()})
    means = parts.groupby(study).mean()
    n = pd.Series(study).value_counts().reindex(means.index).to_numpy()
    centred = means - (means.mul(n, axis=0).sum() / n.sum())
    total = centred.sum(axis=1)
    terms = centred.mul(total, axis=0).mul(n, axis=0).sum()
    return (terms / terms.sum()).sort_values(ascending=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shared_argument(parser)
    parser.add_argument("--markdown", action="store_true", help="print the main table as markdown")
    args = parser.parse_args(argv)

    labels, table, inputs, _, components = labelled_inputs(args.shared)
    shipped = json.loads((ROOT / "src" / "gutbalance" / "pillars" / "data" / "calibration.json").read_text())
    lam_c = shipped["provenance"]["lambda_components"]
    lam_p = shipped["provenance"]["lambda_pillars"]
    held = cp.leave_one_study_out(components, labels, lam_c, lam_p)
    values = pd.concat([held[["immune_support", *PILLARS]], components,
                        table[["gmhi", "gmwi2", "shannon", "richness"]]], axis=1)
    out = offsets_table(values, labels)
    pd.set_option("display.width", 250)
    main_columns = [*STUDIES, "mean", "pooled", "loss", "eta2_healthy", "eta2_disease", "pooled_centred"]
    if args.markdown:
        lines = ["| score | " + " | ".join(main_columns) + " |", "|---|" + "---:|" * len(main_columns)]
        for name, row in out[main_columns].iterrows():
            lines.append(f"| {name} | " + " | ".join(f"{v:.2f}" for v in row) + " |")
        print("\n".join(lines))
    else:
        print(out[main_columns].round(3).to_string())
    print("\nPooled AUC with one study left out:")
    print(out[[f"pooled_without_{s}" for s in STUDIES]].rename(columns=lambda c: c.removeprefix("pooled_without_"))
          .loc[["immune_support", *PILLARS, "gmhi", "gmwi2"]].round(3).to_string())
    print("\nMedian among healthy people, per study:")
    healthy = labels["healthy"].to_numpy() == 1
    print(values[healthy].groupby(labels["study"].to_numpy()[healthy]).median().T.loc[
        ["immune_support", *PILLARS, "training.pathobionts", "defense.harm", "nutrients.butyrate",
         "homeostasis.shared_response", "homeostasis.gmwi2"]].round(3).to_string())
    print("\nShare of the shipped immune_support's between-study variance among healthy people, per weighted "
          "component (shipped weights):")
    print(offset_shares(components, labels, shipped).round(3).to_string())
    # richness as a depth proxy: a score that followed depth would rise with it within every study
    shipped_score = pillars.weigh(components)["immune_support"]
    rho = {s: spearmanr(shipped_score[healthy & (labels["study"] == s).to_numpy()],
                        table["richness"][healthy & (labels["study"] == s).to_numpy()]).statistic for s in STUDIES}
    print("\nSpearman correlation of the shipped immune_support with richness among healthy people, per study:")
    print(pd.Series(rho).round(2).to_string())
    print("\nMedian trait share per study and group (1 = healthy):")
    F = inputs.F
    print(F[list(SHARES)].groupby([labels["study"].to_numpy(), labels["healthy"].to_numpy()]).median()
          .round(4).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
