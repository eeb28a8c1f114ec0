#!/usr/bin/env python3
"""Calibrate the weights of the pillar components and of the pillars in
``immune_support`` on the labelled development sets, leave one study out,
and write ``src/gutbalance/pillars/data/calibration.json``.

What is fitted, and what is not
-------------------------------
Each pillar is a weighted mean of literature-defined components, each 0-1
with "higher = favourable" fixed by the literature (``gutbalance.pillars``,
``docs/scoring.md``).  Only the weights are fitted, never their signs and
never anything per taxon:

1. per pillar, a logistic regression of healthy (1) vs disease (0) on the
   pillar's components with every coefficient bounded at >= 0 (a favourable
   component can only raise the score, a penalty only lower it), one free
   intercept per study (so only within-study contrasts count, not the
   differences in depth, profiler version and population between studies),
   and an L2 penalty ``lambda_components * sum(beta**2)``; the weights are
   the coefficients normalised to sum 1 (a pillar whose coefficients are all
   0 keeps its prior weights);
2. the same over the five pillars (0-1) for ``immune_support``, with
   ``lambda_pillars``.

0. a component whose direction contradicts the literature in any of the
   training studies (AUC of healthy vs disease below 0.5 there: the
   "favourable" side is the diseased one) is left out of the fit (fitted
   weight 0; it keeps only its literature share, step 3): the data may not
   lean on a quantity whose sign flips between studies, which follows the
   study rather than health (the held-out lesson of richness, AUC 0.35).
   The rule is applied inside every leave-one-study-out fold, on the
   training studies only, so the held-out figures include the selection;
   the shipped file lists what it left out (``excluded``);

3. every weight keeps a third of its literature prior (``Component.prior``;
   equal pillars) and the fit distributes the other two thirds
   (:func:`gutbalance.pillars.with_literature_share`): a pillar stays the
   combination of traits the literature describes (nutrients cannot collapse
   into butyrate alone, a Bifidobacterium rise still feeds butyrate
   producers), while the data decide which parts separate health from
   disease across studies.  The stage-2 fit sees the pillars as they will be
   shipped (with this share).

Samples are weighted so that each study, and within a study each class,
counts equally, and each subject of iHMP (several samples per person) counts
once.  The two penalties are chosen from a grid by leave-one-study-out: for
each study, the weights are fitted on the other five and the study is
scored; the pair with the best mean held-out AUC of ``immune_support`` over
the six studies wins, and the final weights are fitted on all six.

    python scripts/calibrate_pillars.py [--shared ../shared/data] [--report docs/calibration-table.md]

Prints, and with ``--report`` writes, the table of held-out AUCs per study and
pooled, for every pillar and ``immune_support``, beside GMHI, GMWI2 and
Shannon, and per disease (CD, UC) in the two IBD studies (docs/scoring.md
keeps it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import rankdata

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from labelled_sets import STUDIES, load_labelled  # noqa: E402
from shared_data import add_shared_argument  # noqa: E402

from gutbalance import pillars  # noqa: E402
from gutbalance.knowledge.schema import PILLARS  # noqa: E402
from gutbalance.reference.validation import POOLED, auc_table  # noqa: E402
from gutbalance.scores import SCORE_FAMILIES  # noqa: E402

OUT = ROOT / "src" / "gutbalance" / "pillars" / "data" / "calibration.json"
LAMBDAS = (1e-3, 1e-2, 1e-1, 1.0)
#: Share of every weight kept at its literature prior (see the module docstring).
LITERATURE_SHARE = 1.0 / 3.0


@contextmanager
def components_listed(listed: Sequence[pillars.Component]) -> Iterator[None]:
    """Within the block, ``listed`` stands in for the shipped pillar components
    (for the scripts that try another structure), then the shipped ones are
    put back.  ``COMPONENTS`` is set in every module of ``gutbalance.pillars``
    that holds it, not only in the package that re-exports it: the components
    are computed in ``pillars.components`` and their priors read in
    ``pillars.weights``, each from its own name."""
    shipped = pillars.COMPONENTS
    holders = [module for name, module in list(sys.modules.items())
               if name.split(".")[:2] == ["gutbalance", "pillars"] and getattr(module, "COMPONENTS", None) is shipped]
    for module in holders:
        module.COMPONENTS = listed
    try:
        yield
    finally:
        for module in holders:
            module.COMPONENTS = shipped


def auc(score: np.ndarray, healthy: np.ndarray) -> float:
    """Area under the ROC curve of ``score`` for healthy (1) vs disease (0):
    the Mann-Whitney probability that a healthy sample scores higher (ties 1/2)."""
    score = np.asarray(score, dtype=float)
    healthy = np.asarray(healthy).astype(bool)
    n1, n0 = healthy.sum(), (~healthy).sum()
    r = rankdata(score)
    return float((r[healthy].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def sample_weights(labels: pd.DataFrame) -> np.ndarray:
    """Each study counts 1, split equally between its two classes; within a
    class each unit (subject or sample) counts equally."""
    per_unit = 1.0 / labels.groupby("unit")["unit"].transform("size").to_numpy()
    w = pd.Series(per_unit, index=labels.index)
    totals = w.groupby([labels["study"], labels["healthy"]]).transform("sum")
    return (w / totals / 2.0).to_numpy()


def fit_nonnegative(X: np.ndarray, y: np.ndarray, study: np.ndarray, w: np.ndarray, lam: float) -> np.ndarray:
    """Coefficients >= 0 of a weighted logistic regression with one
    intercept per study and an L2 penalty on the coefficients."""
    studies, s_idx = np.unique(study, return_inverse=True)
    n_s, n_f = len(studies), X.shape[1]
    wn = w / w.sum() * n_s  # each study sums to 1

    def loss(theta):
        beta, a = theta[:n_f], theta[n_f:]
        z = X @ beta + a[s_idx]
        # log(1 + e^z) - y z, stably
        nll = np.sum(wn * (np.logaddexp(0.0, z) - y * z))
        prob = 1.0 / (1.0 + np.exp(-z))
        g = wn * (prob - y)
        grad_beta = X.T @ g + 2 * lam * beta * n_s
        grad_a = np.bincount(s_idx, weights=g, minlength=n_s)
        return nll + lam * n_s * np.sum(beta**2), np.concatenate([grad_beta, grad_a])

    theta0 = np.zeros(n_f + n_s)
    bounds = [(0.0, None)] * n_f + [(None, None)] * n_s
    res = minimize(loss, theta0, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 2000})
    return np.maximum(res.x[:n_f], 0.0)


def contradicted(components: pd.DataFrame, labels: pd.DataFrame) -> dict[str, list[str]]:
    """Per pillar, the components whose AUC (healthy vs disease) is below 0.5
    in at least one study of ``labels``: their literature direction does not
    hold there.  A pillar whose every component is contradicted keeps them
    all (the literature's combination, unfitted) rather than vanish."""
    out = {}
    for pillar in PILLARS:
        names = [c.name for c in pillars.COMPONENTS if c.pillar == pillar]
        bad = [n for n in names if any(
            auc(components.loc[g.to_numpy(), f"{pillar}.{n}"].to_numpy(), labels.loc[g, "healthy"].to_numpy()) < 0.5
            for g in (labels["study"] == s for s in labels["study"].unique()))]
        out[pillar] = [] if len(bad) == len(names) else bad
    return out


def fit(components: pd.DataFrame, labels: pd.DataFrame, lam_c: float, lam_p: float,
        excluded: dict[str, list[str]] | None = None) -> dict:
    """Calibration (the layout of ``calibration.json``) fitted on these samples."""
    y = labels["healthy"].to_numpy(dtype=float)
    study = labels["study"].to_numpy()
    w = sample_weights(labels)
    excluded = contradicted(components, labels) if excluded is None else excluded
    prior = pillars.prior_calibration()
    cal: dict = {"components": {}, "pillars": {}, "excluded": excluded}
    pillar_values = {}
    for pillar in PILLARS:
        every = [c.name for c in pillars.COMPONENTS if c.pillar == pillar]
        names = [n for n in every if n not in excluded[pillar]]
        X = components[[f"{pillar}.{n}" for n in names]].to_numpy()
        beta = fit_nonnegative(X, y, study, w, lam_c)
        prior_kept = np.array([prior["components"][pillar][n] for n in names])
        weights = beta / beta.sum() if beta.sum() > 0 else prior_kept / prior_kept.sum()
        fitted = dict(zip(names, (float(v) for v in weights), strict=True))
        cal["components"][pillar] = {n: fitted.get(n, 0.0) for n in every}
        # the pillar as it will be shipped: every component's prior share, the fit for the rest
        shipped = np.array([LITERATURE_SHARE * prior["components"][pillar][n]
                            + (1 - LITERATURE_SHARE) * cal["components"][pillar][n] for n in every])
        pillar_values[pillar] = components[[f"{pillar}.{n}" for n in every]].to_numpy() @ shipped
    Xp = np.column_stack([pillar_values[p] for p in PILLARS])
    beta = fit_nonnegative(Xp, y, study, w, lam_p)
    u = beta / beta.sum() if beta.sum() > 0 else np.full(len(PILLARS), 1.0 / len(PILLARS))
    cal["pillars"] = dict(zip(PILLARS, (float(v) for v in u), strict=True))
    return pillars.with_literature_share(cal, LITERATURE_SHARE)


def leave_one_study_out(components, labels, lam_c, lam_p, excluded: dict | None = None) -> pd.DataFrame:
    """Held-out scores: each study scored with weights fitted on the others
    (``excluded``: per held-out study, the contradicted components of the
    other five, computed once for the whole penalty grid)."""
    parts = []
    for held in STUDIES:
        train = labels["study"] != held
        cal = fit(components[train.to_numpy()], labels[train], lam_c, lam_p,
                  None if excluded is None else excluded[held])
        parts.append(pillars.weigh(components[~train.to_numpy()], cal))
    return pd.concat(parts).loc[labels.index]


def auc_rows(scores: pd.DataFrame, labels: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    rows = {}
    for study in STUDIES:
        g = labels["study"] == study
        rows[study] = {c: auc(scores.loc[g, c].to_numpy(), labels.loc[g, "healthy"].to_numpy()) for c in columns}
    rows["pooled"] = {c: auc(scores[c].to_numpy(), labels["healthy"].to_numpy()) for c in columns}
    table = pd.DataFrame(rows).T
    table.loc["mean of studies"] = table.loc[list(STUDIES)].mean()
    return table


def markdown(table: pd.DataFrame, columns: list[str]) -> str:
    """The ``auc_table`` as markdown: studies as rows, scores as columns,
    each cell ``AUC (low-high)`` (pandas' to_markdown needs tabulate)."""
    cell = table.assign(text=[f"{a:.2f} ({lo:.2f}-{hi:.2f})" for a, lo, hi in zip(
        table["auc"], table["low"], table["high"], strict=True)])
    wide = cell.pivot(index="study", columns="score", values="text")
    wide = wide.loc[[*STUDIES, POOLED], columns]
    counts = table.drop_duplicates("study").set_index("study")
    lines = ["| study | n healthy / disease | " + " | ".join(columns) + " |",
             "|---|---:|" + "---:|" * len(columns)]
    for study, row in wide.iterrows():
        n = counts.loc[study]
        lines.append(f"| {study} | {n['n_label']} / {n['n_against']} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def subgroup_table(held: pd.DataFrame, labels: pd.DataFrame, columns: list[str]) -> str:
    """AUC of healthy vs each disease (CD, UC) in the two IBD studies."""
    lines = ["| study | disease | n healthy / disease | " + " | ".join(columns) + " |",
             "|---|---|---:|" + "---:|" * len(columns)]
    for study in ("franzosa2019", "ihmp2019"):
        here = labels["study"] == study
        for disease in ("CD", "UC"):
            g = here & ((labels["healthy"] == 1) | (labels["group"] == disease))
            y = labels.loc[g, "healthy"].to_numpy()
            cells = []
            for c in columns:
                x = held.loc[g, c].to_numpy(dtype=float)
                ok = np.isfinite(x)  # a published index is missing where no marker is present
                cells.append(f"{auc(x[ok], y[ok]):.2f}")
            lines.append(f"| {study} | {disease} | {int(y.sum())} / {int((y == 0).sum())} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def weights_table(cal: dict) -> str:
    """The shipped weights as markdown: component, weight, fitted weight."""
    lines = ["| pillar (weight in immune_support) | component | weight | fitted before the literature share |",
             "|---|---|---:|---:|"]
    for pillar in PILLARS:
        for i, (name, w) in enumerate(cal["components"][pillar].items()):
            head = f"{pillar} ({cal['pillars'][pillar]:.2f})" if i == 0 else ""
            fitted = ("0 (excluded: AUC < 0.5 in a study)" if name in cal["excluded"][pillar]
                      else f"{cal['fitted']['components'][pillar][name]:.2f}")
            lines.append(f"| {head} | {name} | {w:.2f} | {fitted} |")
    return "\n".join(lines)


def labelled_components(shared: Path) -> tuple:
    """The labelled sets (cohort, labels), their published indices and every
    sample's pillar components (the fit's inputs)."""
    cohort, labels = load_labelled(shared)
    print(f"{cohort.n_samples} labelled samples in {labels['study'].nunique()} studies", file=sys.stderr)
    # The published indices alone (gutbalance.score would need the shipped
    # calibration, which this script may be replacing).
    table = pd.concat([family(cohort) for family in SCORE_FAMILIES], axis=1)
    inputs, _, _ = pillars._prepare(cohort, dysbiosis=table["dysbiosis"].to_numpy())
    return cohort, labels, table, pillars._components(inputs, pillars.parameters())


#: The columns of the held-out table: immune_support, the pillars, the published indices.
HELD_OUT_COLUMNS = ["immune_support", *PILLARS, "gmhi", "gmwi2", "shannon"]


def held_out_table(held: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """``auc_table`` of held-out scores (HELD_OUT_COLUMNS), per study and
    pooled, 95 % bootstrap interval over people."""
    return auc_table(held[HELD_OUT_COLUMNS], labels["healthy"] == 1, study=labels["study"], cluster=labels["unit"])


#: The labelled sets' files (under ``labelled/``) whose SHA-256 the provenance keeps.
LABELLED_FILES = ("franzosa2019_ibd/species.tsv", "franzosa2019_ibd/metadata.tsv",
                  "ihmp_ibdmdb2019/species.tsv", "ihmp_ibdmdb2019/metadata.tsv",
                  "metaml_pasolli2016/abundance.csv", "metaml_pasolli2016/metadata.csv")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shared_argument(parser)
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    parser.add_argument("--report", type=Path, help="write the held-out AUC table (markdown) here")
    parser.add_argument("--components", type=Path, help="write every sample's components and labels here (TSV)")
    parser.add_argument("--no-table", action="store_true", help="skip the held-out AUC table (bootstrap intervals)")
    args = parser.parse_args(argv)

    cohort, labels, table, components = labelled_components(args.shared)
    healthy = labels["healthy"].to_numpy() == 1
    if args.components:
        components.join(labels).to_csv(args.components, sep="\t")

    excluded = {s: contradicted(components[(labels["study"] != s).to_numpy()], labels[labels["study"] != s])
                for s in STUDIES}
    search = []
    for lam_c, lam_p in product(LAMBDAS, LAMBDAS):
        held = leave_one_study_out(components, labels, lam_c, lam_p, excluded)
        per_study = auc_rows(held, labels, ["immune_support"])
        search.append((float(per_study.loc["mean of studies", "immune_support"]), lam_c, lam_p))
        print(f"lambda_components={lam_c:g} lambda_pillars={lam_p:g}: mean held-out AUC "
              f"{search[-1][0]:.3f}", file=sys.stderr)
    best, lam_c, lam_p = max(search)
    held = leave_one_study_out(components, labels, lam_c, lam_p, excluded)
    # Three decimals, for the "Re-calibrated after ..." notes of docs/validation.md.
    chosen = auc_rows(held, labels, ["immune_support"])["immune_support"]
    print("held-out immune_support AUC: " + ", ".join(f"{k} {v:.3f}" for k, v in chosen.items()), file=sys.stderr)
    cal = fit(components, labels, lam_c, lam_p)

    inputs = [args.shared / "labelled" / f for f in LABELLED_FILES]
    cal["provenance"] = {
        "script": "scripts/calibrate_pillars.py",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "data": {str(p.relative_to(args.shared.parent)): _sha256(p) for p in inputs},
        "studies": {s: {"healthy": int(((labels.study == s) & healthy).sum()),
                        "disease": int(((labels.study == s) & ~healthy).sum())} for s in STUDIES},
        "method": "non-negative logistic regression per pillar and over pillars, study intercepts, L2 penalty; "
                  "penalties chosen by leave-one-study-out mean AUC of immune_support; every weight keeps "
                  "literature_share of its prior; a component whose AUC is below 0.5 in any training study is "
                  "excluded from the fit (it keeps only its literature share)",
        "lambda_components": lam_c,
        "lambda_pillars": lam_p,
        "loso_mean_auc_immune_support": round(best, 4),
    }
    args.output.write_text(json.dumps(cal, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)

    if args.no_table:
        return 0
    held = held.join(table[["gmhi", "gmwi2", "shannon"]])
    loso = held_out_table(held, labels)
    text = (
        "Held-out AUC, healthy vs disease (each study scored with weights fitted on the other five; "
        "95 % bootstrap interval over people):\n\n" + markdown(loso, HELD_OUT_COLUMNS)
    )
    text += ("\n\nPer disease in the IBD studies (held-out immune_support and its pillars, published GMHI and "
             "GMWI2; each disease against the same controls):\n\n" + subgroup_table(held, labels, HELD_OUT_COLUMNS))
    text += "\n\nShipped weights (components per pillar; pillars in immune_support):\n\n" + weights_table(cal)
    print(text)
    if args.report:
        args.report.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
