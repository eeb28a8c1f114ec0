#!/usr/bin/env python3
r"""Leave-one-study-out AUC of immune_support with the butyrate cross-feeders
credited only where there are butyrate producers to feed, beside the
structure without that condition.

Before 2026-11-28 the nutrients pillar's butyrate supply took per taxon the
larger of its ``butyrate_producer`` and ``butyrate_crossfeeding`` calls, so a
gut of bifidobacteria without any butyrate producer earned full butyrate
credit.  The cited mechanism (acetate and lactate made by bifidobacteria and
lactobacilli feed the butyrate producers: Belenguer et al. 2006,
doi:10.1128/AEM.72.5.3593-3599.2006; Rivière et al. 2016,
doi:10.3389/fmicb.2016.00979; Louis & Flint 2017, doi:10.1111/1462-2920.13589)
needs producers present.  With :math:`P` the harmless producers' share (the
``butyrate_producer`` composite) and :math:`C` the cross-feeders' share
beyond what they already count as producers (``butyrate_supply -
butyrate_producer``: a cross-feeder that is also a producer counts as a
producer), four structures are compared, each fixed before any held-out
figure of it was seen:

* ``ungated``: :math:`S = P + C` (the structure before 2026-11-28);
* ``bounded`` (2026-11-27, not adopted): :math:`S = P + \min(C, P)`;
* ``gated`` (2026-11-28): :math:`S = P + C\, P / (P + K)` with
  :math:`K` = ``DIVERSITY_FLOOR`` (0.1 %), the relative abundance below which
  a taxon is detected or missed depending on sequencing depth, the level at
  which the project already judges presence (``floored_cohort``).  The gate
  asks only whether producers are there to be fed, not how many (the
  ``bounded`` structure's capacity reading failed on fibre, where the
  producers' *share* falls as the bifidobacteria bloom): half the
  cross-feeding credit where the producers are at the detection level, 91 %
  at 1 %, 1 % at 0.001 %.  Saturating rather than a step, so a producer
  crossing the level with depth moves the score a little, not all at once.
  Measured: it fails the depth bounds (a Franzosa profile whose producers
  are all rarer than 0.1 % loses 20 nutrients points when they are thinned
  away), so a fourth structure was written down next, before any AUC of it:
* ``present`` (2026-11-28): the same gate with :math:`P` counted only over
  the producers whose own share is at least the floor,
  :math:`S = P + C\, P_{\ge} / (P_{\ge} + K)`: presence judged as the
  project judges it for GMHI and GMWI2 (over the taxa above the floor,
  ``floored_cohort``), so a producer that a shallower run would miss decides
  nothing either way.

Per taxon each structure is each cross-feeder scaled by one factor of its
sample, so the per-taxon contributions still add up.  Only
``nutrients.butyrate`` changes; ``nutrients.scfa`` keeps its feeders, since
acetate and lactate are themselves what they produce (acetate is the main
colonic SCFA, Cummings et al. 1987, doi:10.1136/gut.28.10.1221, and
bifidobacterial acetate itself protected mice's epithelium, Fukuda et al.
2011, doi:10.1038/nature09646).

Rule (docs/validation.md, "Tried, did not help"): adopted only if the pooled
held-out AUC rises, at least 4 of 6 studies rise, and none falls by more than
0.02; the sign rule, penalty grid and literature share are
``calibrate_pillars.py``'s.  ``--prebiotics`` also prints the prebiotic check
(every fibre group's mean nutrients above NS24's) under each structure,
weights fitted on all six studies; ``--thinning`` the depth changes of
immune_support and nutrients that ``tests/pillars/test_depth.py`` bounds (2
and 5 points).

    python scripts/try_crossfeed.py [--shared ../shared/data] [--prebiotics] [--thinning]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

import calibrate_pillars as cp  # noqa: E402
from shared_data import add_shared_argument  # noqa: E402
from study_offsets import labelled_inputs  # noqa: E402
from try_balances import adoption_rule, loso, thinning_report  # noqa: E402

import gutbalance  # noqa: E402
from gutbalance import pillars  # noqa: E402
from gutbalance.scores import SCORE_FAMILIES  # noqa: E402

KEY = "nutrients.butyrate"
FIBRES = ("FS24", "IN24", "GS24", "XS24", "FL24")
#: the structure the others are compared with
BASE = "ungated"
#: the half-saturation share of the gate (fixed before any figure: the diversity floor)
GATE_K = pillars.DIVERSITY_FLOOR


def shares(inputs) -> tuple[np.ndarray, np.ndarray]:
    """Per sample, the harmless producers' share P and the cross-feeders'
    share beyond it C, from the per-taxon composite (not ``F``'s
    ``butyrate_supply``, which is whatever structure ships)."""
    producers = inputs.F["butyrate_producer"].to_numpy()
    supply = np.asarray(inputs.P @ inputs.composite["butyrate_supply"].to_numpy()).ravel()
    return producers, np.maximum(0.0, supply - producers)


def present_producers(inputs) -> np.ndarray:
    """Per sample, the harmless producers' share over the taxa whose own
    share is at least the floor (``present`` structure; the pillars'
    :func:`~gutbalance.pillars.present_producers`)."""
    return pillars.present_producers(inputs.P, inputs.composite["butyrate_producer"].to_numpy())


def supply(name: str, inputs) -> np.ndarray:
    """The butyrate supply of structure ``name`` (see the module's docstring)."""
    producers, feeders = shares(inputs)
    if name == "ungated":
        return producers + feeders
    if name == "bounded":
        return producers + np.minimum(feeders, producers)
    if name == "gated":
        return producers + feeders * producers / (producers + GATE_K)
    if name == "present":
        present = present_producers(inputs)
        return producers + feeders * present / (present + GATE_K)
    raise ValueError(f"unknown structure {name!r}")


def variant(name: str, inputs, components: pd.DataFrame) -> pd.DataFrame:
    """The components table with nutrients.butyrate from structure ``name``'s supply."""
    table = components.copy()
    k = pillars.parameters()["k_butyrate"]
    table[KEY] = np.clip(pillars._h(supply(name, inputs), k), 0.0, 1.0)
    return table


def structure_scores(cohort: gutbalance.Cohort, structures: dict) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """Per structure (each with its calibration), the immune_support and
    nutrients of ``cohort``."""
    table = pd.concat([family(cohort) for family in SCORE_FAMILIES], axis=1)
    inputs, _, _ = pillars._prepare(cohort, dysbiosis=table["dysbiosis"].to_numpy())
    base = pillars._components(inputs, pillars.parameters())
    scores = {}
    for name, cal in structures.items():
        weighed = pillars.weigh(variant(name, inputs, base), cal)
        scores[name] = weighed["immune_support"].to_numpy()
        scores[f"{name} nutrients"] = weighed["nutrients"].to_numpy()
    return scores, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shared_argument(parser)
    parser.add_argument("--prebiotics", action="store_true", help="also run the prebiotic check under each")
    parser.add_argument("--thinning", action="store_true", help="also measure the depth changes (test_depth.py)")
    args = parser.parse_args(argv)

    labels, _, inputs, _, components = labelled_inputs(args.shared)
    tables = {name: variant(name, inputs, components) for name in ("ungated", "bounded", "gated", "present")}
    results, structures = {}, {}
    for name, table in tables.items():
        if name != BASE:
            changed = int((np.abs(table[KEY] - tables[BASE][KEY]) > 1e-12).sum())
            print(f"{name}: {KEY} changes in {changed} of {len(table)} labelled samples")
        held, lams = loso(table, labels)
        results[name] = cp.auc_rows(held, labels, ["immune_support"])["immune_support"]
        structures[name] = cp.fit(table, labels, *lams)
    out = pd.DataFrame(results)
    print("Held-out (leave-one-study-out) AUC of immune_support, healthy vs disease:")
    print(out.round(4).to_string())
    for name in structures:
        if name == BASE:
            continue
        met, d = adoption_rule(out[name] - out[BASE])
        print(f"{name} - {BASE}: pooled {out.at['pooled', name] - out.at['pooled', BASE]:+.4f}, "
              f"{(d > 0).sum()} of 6 studies up, largest fall {d.min():+.4f}: rule {'met' if met else 'not met'}")

    if args.prebiotics:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
            cohort = gutbalance.read(args.shared / "profiles" / "prebiotics_metaphlan3")
        scores, _ = structure_scores(cohort, structures)
        group = [s.split("_")[0] for s in cohort.sample_names]
        means = pd.DataFrame({k: v for k, v in scores.items() if k.endswith("nutrients")},
                             index=cohort.sample_names).groupby(group).mean()
        print("\nPrebiotic fermentations, mean nutrients per group (weights fitted on all six studies):")
        print(means.round(3).to_string())
        for name in structures:
            column = f"{name} nutrients"
            above = [g for g in FIBRES if means.at[g, column] > means.at["NS24", column]]
            print(f"{name}: {len(above)} of {len(FIBRES)} fibre groups above NS24")
    if args.thinning:
        for score in ("immune_support", "nutrients"):
            suffix = "" if score == "immune_support" else f" {score}"
            print(f"\nAbsolute change of {score} (points) when the rarest taxa are removed:")
            print(thinning_report(args.shared, structures,
                                  scorer=lambda c, s, x=suffix: ({n: structure_scores(c, s)[0][n + x] for n in s},
                                                                 None)).round(2).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
