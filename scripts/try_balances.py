#!/usr/bin/env python3
"""Leave-one-study-out AUC of immune_support with each pillar's reward and
penalty pairs turned into within-sample balances (issue 12, structural
changes aimed at study robustness), beside the shipped structure.

Two variants, both suggested by the literature and chosen before looking at
any held-out figure:

``abundance``
    Each pair of a favourable and a harmful trait share in one pillar,
    :math:`G` and :math:`D`, becomes one component
    :math:`(G + \\varepsilon) / (G + D + 2\\varepsilon)`, the logistic of the
    log-ratio :math:`\\log((G + \\varepsilon) / (D + \\varepsilon))`
    (:math:`\\varepsilon` the diversity floor, as in the shipped shared
    response).  A log-ratio within the sample is what survives a protocol's
    multiplicative bias up to a constant (McLaren, Willis & Callahan 2019,
    eLife, doi:10.7554/eLife.46923) and needs no total (Morton et al. 2019,
    Nat Commun, doi:10.1038/s41467-019-10656-5); GMHI is itself a log-ratio of
    health- to disease-associated species (Gupta et al. 2020, Nat Commun,
    doi:10.1038/s41467-020-18476-8).
``presence``
    The same pairs, but :math:`G` and :math:`D` count the taxa carrying the
    trait (each weighted by its trait value) present above the diversity
    floor (0.1 %), as GMHI counts marker species present rather than
    summing their abundance; the balance is
    :math:`(n_G + 1) / (n_G + n_D + 2)` (Laplace's rule of succession: 1/2
    when neither side is present).  A bloom of one pathobiont counts as
    one carrier, not as its share.

The pairs (their literature placement as in ``docs/scoring.md``):
training immune-training commensals vs pathobionts; homeostasis
anti- vs pro-inflammatory taxa, health- vs disease-associated species;
barrier strict anaerobes vs oxygen-tolerant taxa (lost epithelial hypoxia,
Litvak et al. 2017, doi:10.1016/j.mib.2017.07.003); defense harmless strict
anaerobes vs pathogens and pathobionts.  Each balance replaces its two
components with their summed prior weight; everything else (sign rule,
penalty grid, literature share, leave one study out) is
``calibrate_pillars.py``'s.

Rule (issue 12): adopted only if the pooled held-out AUC rises, at least 4 of
6 studies rise, and none falls by more than 0.02.

With ``--gan DIR`` (the GAN-GMHI validation set, ``docs/tried-on-public-data.md``)
it then *reports* each structure's AUC there, healthy vs unhealthy and per
disease (ankylosing spondylitis, rheumatoid arthritis, Crohn's disease),
weights fitted on all six labelled studies.  Report only: its studies likely
overlap the held-out cohort, so nothing is chosen on it.

    python scripts/try_balances.py [--shared ../shared/data] [--gan /work/outside-data/gan_gmhi]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

import calibrate_pillars as cp  # noqa: E402
from labelled_sets import STUDIES  # noqa: E402
from shared_data import add_shared_argument  # noqa: E402
from study_offsets import _auc, labelled_inputs, offsets_table  # noqa: E402

import gutbalance  # noqa: E402
from gutbalance import pillars  # noqa: E402
from gutbalance.pillars import Component  # noqa: E402
from gutbalance.scores import SCORE_FAMILIES  # noqa: E402

SHIPPED = pillars.COMPONENTS
#: balance component: (favourable composite trait, harmful composite trait, the components it replaces)
PAIRS = {
    "training.balance": ("immunomodulatory", "pathobiont_or_pathogen",
                         ("training.immunomodulatory", "training.pathobionts")),
    "homeostasis.inflammation_balance": ("anti_inflammatory", "pro_inflammatory",
                                         ("homeostasis.anti_inflammatory", "homeostasis.pro_inflammatory")),
    "homeostasis.association_balance": ("health_associated", "disease_associated",
                                        ("homeostasis.health_associated", "homeostasis.disease_associated")),
    "barrier.oxygen_balance": ("obligate_anaerobe", "oxygen_tolerant",
                               ("barrier.obligate_anaerobes", "barrier.facultative")),
    "defense.harm_balance": ("obligate_anaerobe_harmless", "defense_harm",
                             ("defense.obligate_anaerobes", "defense.harm")),
}
VARIANTS = ("abundance", "presence")
GAN_TABLE = "tables/validation_abundance.csv"
#: The tables test_depth.py thins: (path under labelled/, separator, scale of 100 %)
THINNED_SETS = [("franzosa2019_ibd/species.tsv", "\t", 1.0), ("metaml_pasolli2016/abundance.csv", ",", 100.0)]
GAN_LABELS = "tables/validation_metadata1.csv"


def balances(kind: str, inputs, components: pd.DataFrame) -> tuple[pd.DataFrame, tuple[Component, ...]]:
    """The components table and component list of one variant."""
    if kind == "abundance":
        G = inputs.F
        eps = pillars.DIVERSITY_FLOOR

        def balance(good: str, bad: str) -> np.ndarray:
            return ((G[good] + eps) / (G[good] + G[bad] + 2 * eps)).to_numpy()
    else:
        present = sp.csr_matrix(inputs.P, copy=True)
        present.data = (present.data >= pillars.DIVERSITY_FLOOR).astype(float)
        present.eliminate_zeros()
        C = pd.DataFrame(np.asarray(present @ inputs.composite.to_numpy(dtype=float)),
                         index=components.index, columns=inputs.composite.columns)

        def balance(good: str, bad: str) -> np.ndarray:
            return ((C[good] + 1.0) / (C[good] + C[bad] + 2.0)).to_numpy()

    prior = {c.key: c.prior for c in SHIPPED}
    table = components.copy()
    listed = list(SHIPPED)
    for key, (good, bad, replaced) in PAIRS.items():
        pillar, name = key.split(".")
        table = table.drop(columns=list(replaced))
        table[key] = balance(good, bad)
        listed = [c for c in listed if c.key not in replaced]
        listed.append(Component(pillar, name, "community", f"balance of {good} against {bad}",
                                prior=sum(prior[r] for r in replaced)))
    return table, tuple(listed)


def adoption_rule(change: pd.Series) -> tuple[bool, pd.Series]:
    """The adoption rule of docs/validation.md on the held-out AUC changes
    (variant minus shipped, per study and ``pooled``): pooled up, at least 4
    of the 6 studies up, none down by more than 0.02.  Returns whether it is
    met and the per-study changes."""
    d = change.loc[list(STUDIES)]
    return bool(change["pooled"] > 0 and (d > 0).sum() >= 4 and (d >= -0.02).all()), d


def loso(components: pd.DataFrame, labels: pd.DataFrame) -> tuple[pd.DataFrame, tuple[float, float]]:
    """Held-out scores with the penalties the calibration would choose (best
    mean held-out AUC of immune_support over the six studies), and those penalties."""
    excluded = {s: cp.contradicted(components[(labels["study"] != s).to_numpy()], labels[labels["study"] != s])
                for s in STUDIES}
    best = None
    for lam_c, lam_p in product(cp.LAMBDAS, cp.LAMBDAS):
        held = cp.leave_one_study_out(components, labels, lam_c, lam_p, excluded)
        mean = cp.auc_rows(held, labels, ["immune_support"]).loc["mean of studies", "immune_support"]
        if best is None or mean > best[0]:
            best = (mean, held, (lam_c, lam_p))
    assert best is not None
    return best[1], best[2]


def structure_scores(cohort: gutbalance.Cohort, structures: dict) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """immune_support of ``cohort`` under each structure (its calibration
    fitted on all six labelled studies), and the published indices."""
    table = pd.concat([family(cohort) for family in SCORE_FAMILIES], axis=1)
    inputs, _, _ = pillars._prepare(cohort, dysbiosis=table["dysbiosis"].to_numpy())
    base = pillars._components(inputs, pillars.parameters())
    scores = {}
    for name, (kind, cal) in structures.items():
        components, listed = (base, SHIPPED) if kind == "shipped" else balances(kind, inputs, base)
        with cp.components_listed(listed):
            scores[name] = pillars.weigh(components, cal)["immune_support"].to_numpy()
    return scores, table


def _read(path: Path) -> gutbalance.Cohort:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
        return gutbalance.read([path])


def thinning_report(shared: Path, structures: dict, scorer=structure_scores) -> pd.DataFrame:
    """Largest and 95th-percentile change of each structure's immune_support
    when taxa under 0.01 % or 0.1 % are removed from the labelled tables, as
    ``tests/pillars/test_depth.py`` thins them (its bounds: 2 and 5 points).
    ``scorer`` (default :func:`structure_scores`) scores a cohort under the
    structures, so other scripts' structures are thinned the same way."""
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, sep, scale in THINNED_SETS:
            path = shared / "labelled" / name
            table = pd.read_csv(path, sep=sep, index_col=0)
            full, _ = scorer(_read(path), structures)
            for floor in (1e-4, 1e-3):
                out = Path(tmp) / f"thin{path.suffix}"
                table.where(table >= floor * scale, 0.0).to_csv(out, sep=sep)
                thin, _ = scorer(_read(out), structures)
                for structure in structures:
                    change = np.abs(thin[structure] - full[structure])
                    rows[(name.split("/")[0], f"under {floor:.2%}", structure)] = {
                        "p95": float(np.quantile(change, 0.95)), "max": float(change.max())}
    return pd.DataFrame(rows).T


def gan_report(folder: Path, structures: dict, scorer=structure_scores) -> tuple[pd.DataFrame, pd.DataFrame]:
    """AUC on the GAN-GMHI validation set of each structure's immune_support
    (weights fitted on all six labelled studies), GMHI and GMWI2; ``scorer``
    as in :func:`thinning_report`."""
    cohort = _read(folder / GAN_TABLE)
    meta = pd.read_csv(folder / GAN_LABELS, encoding="utf-8-sig").set_index("Sample_Ids")
    meta = meta.loc[cohort.sample_names]
    scores, table = scorer(cohort, structures)
    scores["gmhi"] = table["gmhi"].to_numpy()
    scores["gmwi2"] = table["gmwi2"].to_numpy()
    healthy = (meta["Phenotype"] == "Healthy").to_numpy()
    groups = {"all unhealthy": ~healthy}
    for disease in ("AS", "RA", "CD"):
        # the table writes some labels with a trailing space ("AS ")
        groups[disease] = (meta["Phenotype_all"].str.strip() == disease).to_numpy()
    # the held-out cohort of issue 12: healthy against the three immune-mediated diseases together
    groups["AS, RA, CD"] = groups["AS"] | groups["RA"] | groups["CD"]
    wirbel = (meta["Batch"] == "Wirbel (2019)").to_numpy()
    rows = {}
    for score, x in scores.items():
        row = {}
        for group, against in groups.items():
            keep = (healthy | against) & np.isfinite(x)
            row[f"healthy vs {group} ({int(healthy.sum())}/{int(against.sum())})"] = _auc(x[keep], healthy[keep])
        keep = wirbel & np.isfinite(x)
        row["within Wirbel 2019"] = _auc(x[keep], healthy[keep])
        rows[score] = row
    # where each study's samples sit: a pooled AUC over studies whose healthy
    # people and patients come from different studies ranks whole studies
    batch = (meta["Batch"].str.strip() + " " + meta["Phenotype_all"].str.strip()).to_numpy()
    medians = pd.DataFrame(scores, index=meta.index).groupby(batch).median()
    medians.insert(0, "n", pd.Series(batch).value_counts())
    return pd.DataFrame(rows).T, medians


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shared_argument(parser)
    parser.add_argument("--gan", type=Path, help="the GAN-GMHI folder (report only)")
    parser.add_argument("--thinning", action="store_true",
                        help="also measure each structure's change under depth thinning (as test_depth.py)")
    args = parser.parse_args(argv)

    labels, _, inputs, _, components = labelled_inputs(args.shared)
    held, lams = loso(components, labels)
    results = {"shipped": cp.auc_rows(held, labels, ["immune_support"])["immune_support"]}
    structures = {"shipped": ("shipped", cp.fit(components, labels, *lams))}
    diagnostics = {}
    for kind in VARIANTS:
        table, listed = balances(kind, inputs, components)
        with cp.components_listed(listed):
            held, lams = loso(table, labels)
            results[kind] = cp.auc_rows(held, labels, ["immune_support"])["immune_support"]
            structures[kind] = (kind, cp.fit(table, labels, *lams))
        diagnostics[kind] = offsets_table(table[list(PAIRS)], labels)

    pd.set_option("display.width", 250)
    out = pd.DataFrame(results)
    print("Held-out (leave-one-study-out) AUC of immune_support, healthy vs disease:")
    print(out.round(3).to_string())
    for kind in VARIANTS:
        change = out[kind] - out["shipped"]
        met, d = adoption_rule(change)
        print(f"{kind}: pooled {change['pooled']:+.3f}, {(d > 0).sum()} of 6 studies up, "
              f"largest fall {d.min():+.3f}: rule {'met' if met else 'not met'}")
    for kind in VARIANTS:
        print(f"\nThe balance components ({kind}), unweighted:")
        print(diagnostics[kind][[*STUDIES, "mean", "pooled", "eta2_healthy"]].round(3).to_string())
    if args.thinning:
        print("\nAbsolute change of immune_support (points) when the rarest taxa are removed:")
        print(thinning_report(args.shared, structures).round(2).to_string())
    if args.gan:
        print("\nReport only (nothing chosen on it): GAN-GMHI validation set, weights fitted on all six studies")
        aucs, medians = gan_report(args.gan, structures)
        print(aucs.round(3).to_string())
        print("\nMedian per study and phenotype there:")
        print(medians.round(2).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
