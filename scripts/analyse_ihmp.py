#!/usr/bin/env python3
"""Why immune_support separates iHMP less well than Franzosa (issue 12 item 2).

Reads the per-sample components written by
``python scripts/calibrate_pillars.py --components FILE`` and the iHMP species
table in ../shared/data, and prints:

1. the AUC (healthy vs disease) of every pillar component in every study,
   with the components whose literature direction fails in iHMP but holds in
   every other study (and the reverse);
2. held-out immune_support in iHMP (weights fitted on the other five
   studies, the shipped penalties) per sample, one sample per person (the
   first visit) and per person (the person's median);
3. the same against iHMP's dysbiotic and non-dysbiotic patient samples, with
   the dysbiosis score of Lloyd-Price et al. 2019 (Nature 569:655,
   doi:10.1038/s41586-019-1237-9, Methods): the median Bray-Curtis distance
   of a sample's species profile to the non-IBD samples of *other* people; a
   sample is dysbiotic above the 90th percentile of the non-IBD samples'
   scores.  (The paper computed it on its full MetaPhlAn 2 table; this is the
   same recipe on the shipped species table.)

    python scripts/calibrate_pillars.py --no-table --components /tmp/components.tsv -o /tmp/cal.json
    python scripts/analyse_ihmp.py /tmp/components.tsv
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from calibrate_pillars import OUT, auc, leave_one_study_out  # noqa: E402
from labelled_sets import STUDIES  # noqa: E402
from shared_data import add_shared_argument  # noqa: E402


def dysbiosis_scores(species: pd.DataFrame, subject: pd.Series, healthy: pd.Series) -> pd.Series:
    """Lloyd-Price 2019: median Bray-Curtis distance to the non-IBD samples of other people."""
    x = species.to_numpy(dtype=float)
    x = x / np.where(x.sum(axis=1, keepdims=True) > 0, x.sum(axis=1, keepdims=True), 1.0)
    ref = healthy.to_numpy()
    d = cdist(x, x[ref], metric="braycurtis")
    same = subject.to_numpy()[:, None] == subject.to_numpy()[ref][None, :]
    d[same] = np.nan
    return pd.Series(np.nanmedian(d, axis=1), index=species.index)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("components", type=Path, help="TSV from calibrate_pillars.py --components")
    add_shared_argument(parser)
    args = parser.parse_args(argv)

    table = pd.read_csv(args.components, sep="\t", index_col=0)
    labels = table[["study", "healthy", "group", "unit"]]
    components = table.drop(columns=["study", "healthy", "group", "unit"])

    # 1. per-component AUC per study
    per = pd.DataFrame({s: {c: auc(components.loc[labels.study == s, c].to_numpy(),
                                   labels.loc[labels.study == s, "healthy"].to_numpy())
                            for c in components.columns} for s in STUDIES})
    print("AUC of each component, healthy vs disease (above 0.5: the literature's direction):\n")
    print(per.round(2).to_string())
    others = per.drop(columns="ihmp2019")
    wrong_here = per.index[(per["ihmp2019"] < 0.5) & (others >= 0.5).all(axis=1)]
    wrong_elsewhere = per.index[(per["ihmp2019"] >= 0.5) & (others < 0.5).any(axis=1)]
    print("\nwrong way in iHMP only:", ", ".join(wrong_here) or "none")
    print("right way in iHMP, wrong in another study:", ", ".join(wrong_elsewhere) or "none")

    # 2. held-out immune_support in iHMP, per sample and per person
    cal = json.loads(OUT.read_text(encoding="utf-8"))["provenance"]
    held = leave_one_study_out(components, labels, cal["lambda_components"], cal["lambda_pillars"])
    ihmp = labels.study == "ihmp2019"
    meta = pd.read_csv(args.shared / "labelled" / "ihmp_ibdmdb2019" / "metadata.tsv", sep="\t")
    meta = meta.set_index("ihmp2019:" + meta["Sample"].astype(str))
    lab = labels[ihmp].join(held[["immune_support"]]).join(meta[["Subject", "week_num", "fecalcal"]])
    y, s = lab["healthy"].to_numpy(), lab["immune_support"].to_numpy()
    print(f"\niHMP, held-out immune_support: per sample {auc(s, y):.3f} "
          f"({int(y.sum())} / {int((1 - y).sum())} samples)")
    first = lab.sort_values("week_num").groupby("Subject").head(1)
    print(f"  first sample per person {auc(first.immune_support.to_numpy(), first.healthy.to_numpy()):.3f} "
          f"({int(first.healthy.sum())} / {int((1 - first.healthy).sum())} people)")
    person = lab.groupby("Subject").agg(score=("immune_support", "median"), healthy=("healthy", "first"),
                                        group=("group", "first"))
    print(f"  median per person {auc(person.score.to_numpy(), person.healthy.to_numpy()):.3f}")
    for g in ("CD", "UC"):
        p = person[(person.healthy == 1) | (person.group == g)]
        print(f"    {g}: {auc(p.score.to_numpy(), p.healthy.to_numpy()):.3f} "
              f"({int(p.healthy.sum())} / {int((1 - p.healthy).sum())} people)")

    # 3. dysbiotic vs non-dysbiotic patient samples
    species = pd.read_csv(args.shared / "labelled" / "ihmp_ibdmdb2019" / "species.tsv", sep="\t", index_col=0)
    species.index = "ihmp2019:" + species.index.astype(str)
    species = species.loc[species.index.intersection(lab.index)]
    species = species.loc[:, [c.split("|")[-1].startswith("s__") for c in species.columns]]
    lab = lab.loc[species.index]
    score = dysbiosis_scores(species, lab["Subject"], lab["healthy"] == 1)
    cut = score[lab.healthy == 1].quantile(0.9)
    lab["dysbiotic"] = score > cut
    print(f"\n  dysbiosis score (Lloyd-Price 2019) cut {cut:.3f}: dysbiotic "
          f"{int((lab.dysbiotic & (lab.healthy == 0)).sum())} of {int((lab.healthy == 0).sum())} patient samples, "
          f"{int((lab.dysbiotic & (lab.healthy == 1)).sum())} of {int(lab.healthy.sum())} non-IBD")
    healthy = lab[(lab.healthy == 1) & ~lab.dysbiotic]
    for name, sick in (("dysbiotic", lab[(lab.healthy == 0) & lab.dysbiotic]),
                       ("non-dysbiotic", lab[(lab.healthy == 0) & ~lab.dysbiotic])):
        both = pd.concat([healthy, sick])
        cols = ["immune_support"]
        row = {c: auc(both[c].to_numpy(), both.healthy.to_numpy()) for c in cols}
        comp = {c: auc(components.loc[both.index, c].to_numpy(), both.healthy.to_numpy())
                for c in ("homeostasis.gmwi2", "homeostasis.shared_response", "nutrients.butyrate",
                          "defense.harm", "defense.oral_overgrowth", "barrier.facultative")}
        print(f"  non-IBD (non-dysbiotic) vs {name} patient samples ({len(healthy)} / {len(sick)}): "
              f"immune_support {row['immune_support']:.3f}; "
              + ", ".join(f"{k} {v:.2f}" for k, v in comp.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
