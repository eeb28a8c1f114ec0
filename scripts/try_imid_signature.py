#!/usr/bin/env python3
r"""Leave-one-study-out AUC of immune_support with a literature signature of
immune-mediated inflammatory diseases (IMIDs), beside the shipped structure
(issue 12: adopted only if the pooled held-out AUC rises, at least 4 of the 6
studies rise, and none falls by more than 0.02).

The signature: Forbes et al. 2018, Microbiome 6:221,
doi:10.1186/s40168-018-0603-4 (Manitoba; 16S rRNA; Crohn's disease 20,
ulcerative colitis 19, multiple sclerosis 19, rheumatoid arthritis 21 against
23 healthy controls).  Its abstract: "significantly higher in all disease
cohorts relative to HC" (pFDR < 0.001) *Actinomyces*, *Eggerthella*,
*Clostridium III*, *Faecalicoccus* and *Streptococcus*; significantly lower
*Gemmiger*, *Lachnospira* and *Sporobacter*.  The genera are those of the
paper's 16S classification (RDP names: *Clostridium III*, *Gemmiger*,
*Sporobacter*), mapped to the lineage table's genus rows as they are:

- *Clostridium III* is left out: an RDP group of the 16S tree (cluster III)
  with no single modern genus (its members are spread over several genera
  and families), so no lineage-table row stands for it.
- *Lachnospira* is the lineage table's genus (*L. pectinoschiza*, GTDB's
  *L. rogosae*, ...).  *eligens* is **not** added under either name: the
  paper's RDP classification of 2018 had no *eligens* in *Lachnospira*
  (GTDB and Liu et al. 2021 moved it there later, from genome phylogeny),
  and what the paper measured is its own genus.  (Registered as "MetaPhlAn's
  *Eubacterium eligens* is not added"; since synonym table 2026.11.2 the
  two names are one organism, *Lachnospira eligens*, so the species is left
  out by name: :data:`NOT_IN_PAPER_GENERA`.)
- *Gemmiger* is the lineage table's genus (*G. formicilis*, in MetaPhlAn 3 and
  GMWI2; GTDB's *G. variabile*); *Subdoligranulum* is not added (a separate
  RDP genus beside *Gemmiger* in the paper's taxonomy).
- *Actinomyces*, *Eggerthella*, *Faecalicoccus*, *Sporobacter*,
  *Streptococcus*: the genus rows as the lineage table has them (species
  moved out of *Actinomyces*, e.g. to *Schaalia* in 2018, are not added).

Each genus counts with weight 1 for every taxon under it, as a genus row of
the knowledge base would (experiment, human, a genus-level finding like
Duvallet 2017's ``shared_disease_response``); harmful taxa earn no health
credit, as in the shared response.  Both variants were fixed before any
figure was seen:

``A``  (``shared``)
    Forbes' genera added to the two sides of the shipped shared response
    (``homeostasis.shared_response``): its health side :math:`G` gains
    *Gemmiger*, *Lachnospira*, *Sporobacter*; its disease side :math:`D`
    gains *Actinomyces*, *Eggerthella*, *Faecalicoccus* (*Streptococcus* is
    already there, Duvallet 2017).  Per taxon the largest call on each side,
    as shipped.
``B``  (``imid_balance``)
    A separate homeostasis component, the within-sample balance
    :math:`(G_F + \varepsilon) / (G_F + D_F + 2\varepsilon)` of Forbes' health
    side against its disease side only (:math:`\varepsilon` the diversity
    floor, as in the shared response), prior weight 1/8 as the shared
    response's.

Everything else (sign rule, penalty grid, literature share, leave one study
out) is ``calibrate_pillars.py``'s, through ``try_balances.loso``.

With ``--thinning`` it also measures each structure's change of
immune_support when taxa under 0.01 % / 0.1 % are removed
(``tests/pillars/test_depth.py``'s bounds: 2 and 5 points).  Report only,
after the choice (nothing is chosen on them): ``--gan DIR`` (the GAN-GMHI
validation set; issue 12's held-out comparison is its healthy 118 against
AS, RA and CD 161) and ``--public ROOT`` (the within-study cohorts of
``scripts/validate_public_cohorts.py``; their tables are rebuilt in
``--work``).

    python scripts/try_imid_signature.py [--shared ../shared/data] [--thinning]
        [--gan /work/outside-data/gan_gmhi] [--public /work/outside-data --work /tmp/gb-imid]
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
import try_balances as tb  # noqa: E402
import validate_public_cohorts as vpc  # noqa: E402
from labelled_sets import STUDIES  # noqa: E402
from shared_data import add_shared_argument  # noqa: E402
from study_offsets import labelled_inputs, offsets_table  # noqa: E402

import gutbalance  # noqa: E402
from gutbalance import pillars  # noqa: E402
from gutbalance.knowledge.lookup import _taxa_lineages  # noqa: E402
from gutbalance.pillars import Component  # noqa: E402
from gutbalance.scores import SCORE_FAMILIES  # noqa: E402

FORBES_2018 = "doi:10.1186/s40168-018-0603-4"
#: Higher in all four disease cohorts than in the healthy controls (pFDR < 0.001); Clostridium III left out.
DISEASE_GENERA = ("Actinomyces", "Eggerthella", "Faecalicoccus", "Streptococcus")
#: Lower in all four disease cohorts (pFDR < 0.001).
HEALTH_GENERA = ("Gemmiger", "Lachnospira", "Sporobacter")
#: Species a later rename put into one of those genera, which the paper's
#: RDP genus did not hold (the mapping registered before any figure).
NOT_IN_PAPER_GENERA = ("Lachnospira eligens",)
SHIPPED = pillars.COMPONENTS
EPS = pillars.DIVERSITY_FLOOR
VARIANTS = {"A": "Forbes' genera on the two sides of the shared response",
            "B": "a separate IMID balance in homeostasis"}
IMID_BALANCE = Component("homeostasis", "imid_balance", "community",
                         "the IMID balance: genera lower in four immune-mediated diseases against genera higher in"
                         " all four (Forbes 2018)", prior=1 / 8)


def forbes_sides(taxa: pd.DataFrame) -> pd.DataFrame:
    """Per taxon (the rows of ``pillars._prepare``'s taxa): 1 where its genus
    is on Forbes' health side (``forbes_health``) or disease side
    (``forbes_disease``), from the lineage the knowledge lookup uses."""
    lineages = _taxa_lineages(taxa)
    genus = ["" if lineage.get("species", "") in NOT_IN_PAPER_GENERA else lineage.get("genus", "")
             for lineage in lineages]
    return pd.DataFrame({"forbes_health": [float(g in HEALTH_GENERA) for g in genus],
                         "forbes_disease": [float(g in DISEASE_GENERA) for g in genus]}, index=taxa.index)


def variant(kind: str, inputs, taxa: pd.DataFrame,
            components: pd.DataFrame) -> tuple[pd.DataFrame, tuple[Component, ...], pd.DataFrame]:
    """The components table and component list of variant ``kind`` ("A" or
    "B"), and the per-sample shares of Forbes' two sides."""
    sides = forbes_sides(taxa)
    harmless = inputs.composite["harmless"].to_numpy()
    health = sides["forbes_health"].to_numpy() * harmless  # harmful taxa sit on the disease side only
    disease = sides["forbes_disease"].to_numpy()
    P = inputs.P
    shares = pd.DataFrame({"forbes_health": np.asarray(P @ health).ravel(),
                           "forbes_disease": np.asarray(P @ disease).ravel()}, index=components.index)
    table = components.copy()
    if kind == "A":
        g = np.asarray(P @ np.maximum(inputs.composite["health_response"].to_numpy(), health)).ravel()
        d = np.asarray(P @ np.maximum(inputs.composite["disease_response"].to_numpy(), disease)).ravel()
        table["homeostasis.shared_response"] = (g + EPS) / (g + d + 2 * EPS)
        return table, SHIPPED, shares
    g, d = shares["forbes_health"].to_numpy(), shares["forbes_disease"].to_numpy()
    table[IMID_BALANCE.key] = (g + EPS) / (g + d + 2 * EPS)
    return table, (*SHIPPED, IMID_BALANCE), shares


def _scores(cohort: gutbalance.Cohort, structures: dict) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Every structure's pillars and immune_support of ``cohort`` (its
    calibration fitted on all six labelled studies), and the published
    indices with the IMID balance unweighted and the shares of Forbes' sides."""
    table = pd.concat([family(cohort) for family in SCORE_FAMILIES], axis=1)
    inputs, taxa, _ = pillars._prepare(cohort, dysbiosis=table["dysbiosis"].to_numpy())
    base = pillars._components(inputs, pillars.parameters())
    balance, _, shares = variant("B", inputs, taxa, base)
    table = pd.concat([table, shares.set_axis(table.index),
                       balance[[IMID_BALANCE.key]].set_axis(table.index)], axis=1)
    out = {}
    for name, (kind, cal) in structures.items():
        components, listed = (base, SHIPPED) if kind == "shipped" else variant(kind, inputs, taxa, base)[:2]
        with cp.components_listed(listed):
            out[name] = pillars.weigh(components, cal)
    return out, table


def structure_scores(cohort: gutbalance.Cohort, structures: dict) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """immune_support under each structure (``try_balances``' scorer interface)."""
    scores, table = _scores(cohort, structures)
    return {name: s["immune_support"].to_numpy() for name, s in scores.items()}, table


def public_report(root: Path, work: Path, structures: dict) -> pd.DataFrame:
    """AUC (Mann-Whitney U / n1 n0, as ``gutbalance validate``) of each
    structure's immune_support and homeostasis in every within-study
    comparison of ``validate_public_cohorts.py``, tables rebuilt as it builds them."""
    rows = {}
    for cohort in vpc.COHORTS:
        if not (root / cohort.folder).is_dir():
            print(f"skipped {cohort.name}: no folder {root / cohort.folder}", file=sys.stderr)
            continue
        here = work / (cohort.work_folder or cohort.folder)
        here.mkdir(parents=True, exist_ok=True)
        paths, metadata = cohort.build(root / cohort.folder, here)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
            profiles = gutbalance.read(list(paths))
        scores, table = _scores(profiles, structures)
        for comparison in cohort.comparisons:
            meta = vpc.comparison_metadata(metadata, comparison).set_index("sample")["health"]
            health = meta.reindex(profiles.sample_names)
            keep = health.isin(["healthy", "disease"]).to_numpy()
            y = (health == "healthy").to_numpy()[keep]
            row: dict[str, object] = {"n": f"{int(y.sum())} / {int((~y).sum())}"}
            for name, s in scores.items():
                for column in ("immune_support", "homeostasis"):
                    x = s[column].to_numpy()[keep]
                    ok = np.isfinite(x)
                    row[f"{column} {name}"] = round(tb._auc(x[ok], y[ok]), 3)
            # the new component alone, and how often Forbes' health side is there at all
            row["imid_balance alone"] = round(tb._auc(table[IMID_BALANCE.key].to_numpy()[keep], y), 3)
            row["health side present"] = round(float((table["forbes_health"].to_numpy()[keep] > 0).mean()), 2)
            rows[comparison.label] = row
    return pd.DataFrame(rows).T


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shared_argument(parser)
    parser.add_argument("--thinning", action="store_true", help="also the depth-thinning change (test_depth.py)")
    parser.add_argument("--gan", type=Path, help="the GAN-GMHI folder (report only)")
    parser.add_argument("--public", type=Path, help="the folder of validate_public_cohorts.py's cohorts (report only)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/gutbalance-imid"), help="where --public writes")
    args = parser.parse_args(argv)

    labels, _, inputs, taxa, components = labelled_inputs(args.shared)
    held, lams = tb.loso(components, labels)
    results = {"shipped": cp.auc_rows(held, labels, ["immune_support"])["immune_support"]}
    structures = {"shipped": ("shipped", cp.fit(components, labels, *lams))}
    chosen = {"shipped": lams}
    diagnostics = {}
    for kind in VARIANTS:
        table, listed, shares = variant(kind, inputs, taxa, components)
        with cp.components_listed(listed):
            held, lams = tb.loso(table, labels)
            results[kind] = cp.auc_rows(held, labels, ["immune_support"])["immune_support"]
            structures[kind] = (kind, cp.fit(table, labels, *lams))
            chosen[kind] = lams
        new = "homeostasis.shared_response" if kind == "A" else IMID_BALANCE.key
        diagnostics[kind] = offsets_table(table[[new]].rename(columns={new: f"{new} ({kind})"}), labels)

    pd.set_option("display.width", 250)
    present = (shares > 0).groupby(labels["study"].to_numpy()).mean()
    print("Share of samples with any taxon of Forbes' sides (per study):")
    print(present.round(3).to_string())
    print("\nMean share of the community on each side (per study):")
    print(shares.groupby(labels["study"].to_numpy()).mean().round(5).to_string())
    print("\nThe changed or new component on its own (unweighted), and the shipped shared response:")
    shipped = offsets_table(components[["homeostasis.shared_response"]], labels)
    print(pd.concat([shipped, *diagnostics.values()])[[*STUDIES, "mean", "pooled", "eta2_healthy"]]
          .round(3).to_string())

    out = pd.DataFrame(results)
    print("\nHeld-out (leave-one-study-out) AUC of immune_support, healthy vs disease:")
    print(out.round(3).to_string())
    print("change against shipped, four decimals:")
    print(out[list(VARIANTS)].sub(out["shipped"], axis=0).round(4).to_string())
    print("penalties (lambda_c, lambda_p) chosen: " + ", ".join(f"{k} {v}" for k, v in chosen.items()))
    for kind, what in VARIANTS.items():
        change = out[kind] - out["shipped"]
        met, d = tb.adoption_rule(change)
        print(f"{kind} ({what}): pooled {change['pooled']:+.4f}, {(d > 0).sum()} of 6 studies up, "
              f"largest fall {d.min():+.4f}: rule {'met' if met else 'not met'}")
    for kind in VARIANTS:
        weights = structures[kind][1]["components"]["homeostasis"]
        print(f"{kind}: homeostasis weights fitted on all six " +
              ", ".join(f"{k} {v:.3f}" for k, v in weights.items()) +
              f"; excluded by the sign rule: {structures[kind][1].get('excluded', {}).get('homeostasis', [])}")
    if args.thinning:
        print("\nAbsolute change of immune_support (points) when the rarest taxa are removed:")
        print(tb.thinning_report(args.shared, structures, structure_scores).round(2).to_string())
    if args.gan:
        print("\nReport only (nothing chosen on it): GAN-GMHI validation set, weights fitted on all six studies")
        aucs, medians = tb.gan_report(args.gan, structures, structure_scores)
        print(aucs.round(3).to_string())
        print("\nMedian per study and phenotype there:")
        print(medians.round(2).to_string())
    if args.public:
        print("\nReport only (nothing chosen on it): within-study public cohorts, weights fitted on all six studies")
        print(public_report(args.public, args.work, structures).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
