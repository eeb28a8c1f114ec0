"""How much of each sample the knowledge base reaches (``kb_reach``), by study.

    python scripts/reach_by_study.py [DATA_ROOT]

Scores every data set of ``scripts/check_sample_type.py`` that is present
(``../shared/data``, and the public data under ``DATA_ROOT``, default
``/work/outside-data``, read only), the labelled sets split by study (MetAML
by country, as its studies follow it), and prints per study the number of
samples and the least, 5th percentile, median, 95th percentile and largest
``kb_reach`` of the scores table, how many are below ``min_reach`` and how
many have it missing.  Then, per pillar, the reach counted over that
pillar's traits alone (``reached_taxa(..., reads=pillar_traits()[p])``): the
median and the largest gap to ``kb_reach`` (the union over the pillars), the
figures behind the one column (docs/scoring.md, "Confidence and coverage").  Reporting only:
nothing is chosen or tuned on these figures.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from check_sample_type import MDSINE2, SETS, _mdsine2, _read
from shared_data import shared_data

import gutbalance
from gutbalance.cohort import normalize_rows
from gutbalance.knowledge import trait_matrix
from gutbalance.knowledge.schema import PILLARS, TRAITS
from gutbalance.pillars import _own_abundance, pillar_traits, reach_floor, reached_taxa

#: ../shared/data from the project root; GUTBALANCE_SHARED_DATA points elsewhere (a worktree).
SHARED = shared_data()
#: The labelled sets' study column (MetAML: four studies, one per country).
STUDY_OF = {
    "MetAML 4 studies (stool)": ("labelled/metaml_pasolli2016/metadata.csv", "country"),
}


def per_pillar_reach(cohort: gutbalance.Cohort) -> pd.DataFrame:
    """Per sample and pillar, the share of the bacterial and archaeal abundance
    with a trait that pillar reads, known for the taxon or its genus or family
    (the pillars' own abundance and traits, as ``pillar_scores`` takes them)."""
    own, taxa = _own_abundance(cohort)
    shares = normalize_rows(own).tocsr()
    traits = trait_matrix(taxa, list(TRAITS))
    reads = pillar_traits()
    return pd.DataFrame({p: np.asarray(shares @ reached_taxa(taxa, traits, reads=reads[p]).astype(float)).ravel()
                         for p in PILLARS}, index=cohort.sample_names)


def studies(name: str, samples: pd.Index) -> pd.Series:
    """Each sample's study: the column of STUDY_OF where the set mixes studies, else the set."""
    if name in STUDY_OF:
        path, column = STUDY_OF[name]
        meta = pd.read_csv(SHARED / path, index_col=0, dtype=str)
        return meta[column].reindex(samples).fillna("(no label)").map(lambda s: f"{name.split(' (')[0]}: {s}")
    return pd.Series(name, index=samples)


def describe(reach: pd.Series) -> str:
    values = reach.dropna()
    floor = reach_floor()
    if values.empty:
        return f"n {len(reach)}, all missing"
    q = np.quantile(values, [0.0, 0.05, 0.5, 0.95, 1.0])
    return (f"n {len(reach)}; min {q[0]:.3f}, p5 {q[1]:.3f}, median {q[2]:.3f}, p95 {q[3]:.3f}, max {q[4]:.3f}; "
            f"below {floor:.0%}: {int((values < floor).sum())}; missing: {int(reach.isna().sum())}")


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/outside-data")
    gaps: list[pd.Series] = []
    for name, (where, relative) in SETS.items():
        base = root if where == "outside" else SHARED
        paths = [base / MDSINE2] if where == "mdsine2" else [base / r for r in relative]
        if not all(p.exists() for p in paths):
            print(f"{name}: skipped, {paths[0]} absent", flush=True)
            continue
        cohort = _mdsine2(relative[0]) if where == "mdsine2" else _read(paths)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
            reach = gutbalance.score(cohort)["kb_reach"]
        for study, members in reach.groupby(studies(name, reach.index)):
            print(f"{study}: {describe(members)}", flush=True)
        by_pillar = per_pillar_reach(cohort)
        gap = by_pillar.rsub(reach.reindex(by_pillar.index), axis=0)
        gaps.append(gap.assign(set=name))
        print("  per pillar, kb_reach minus the pillar's own reach: "
              + "; ".join(f"{p} median {gap[p].median():.3f}, max {gap[p].max():.3f}" for p in PILLARS), flush=True)
    if gaps:
        every = pd.concat(gaps)
        print("all sets, kb_reach minus each pillar's own reach: "
              + "; ".join(f"{p} median {every[p].median():.4f}, max {every[p].max():.3f} "
                          f"({every.loc[every[p].idxmax(), 'set'] if every[p].notna().any() else ''})"
                          for p in PILLARS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
