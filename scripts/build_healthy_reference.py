#!/usr/bin/env python3
"""Build the healthy reference shipped with gutbalance:
``src/gutbalance/reference/data/healthy_reference.json``.

Sources (read from ../shared/data, never copied into the repository):

1. The 66 control people (no neoplasia at colonoscopy) of the French and
   German colorectal-cancer screening cohort of Zeller et al. 2014
   (Mol Syst Biol 10:766, doi:10.15252/msb.20145645; ENA PRJEB6070), as
   mOTUs 3.0.2 profiles in CAMI format, several sequencing runs per person
   (``profiles/zeller2014_motus3_controls``; ``metadata.tsv`` maps each run to
   the person, with sex, age, country and BMI).  Every score of
   :func:`gutbalance.scores.score` is computed on each of the 457 runs,
   - every run one value of the reference distribution (all values stored,
     sorted): a user's sample is one run, and an average of a person's runs
     is richer and more diverse than any single run (against per-person
     averages the reference people's own runs landed at a median richness
     percentile of 1.5), and
   - the spread of a person's runs -> the technical variation of each score
     (within-person SD across runs, smallest real difference = 1.96 x
     sqrt(2) x SD; Bland & Altman 1986, doi:10.1016/S0140-6736(86)90837-8).
   The reference records its kind (mOTUs, species-level): samples of another
   profiler family or rank get no percentile (gutbalance.reference.comparability).
2. GMHI ("GMWI" column) and species-level alpha diversity of 5,026 public
   stool metagenomes behind the GMWI web tool (Chang et al. 2023,
   Bioinformatics 39:btad061, doi:10.1093/bioinformatics/btad061; the 4,347
   samples of Gupta et al. 2020 plus their 679-sample validation set), stored
   as 101 quantiles.  The file carries no health label per sample, so this
   population mixes healthy and non-healthy people: it is shown in reports as
   context and never used for percentiles.

RE-RUN THIS SCRIPT WHENEVER A SCORE CHANGES (a new column, a recalibrated
pillar formula, a knowledge-base entry): the reference stores the scores the
code computed when it was built.  ``tests/reference/test_shipped_reference.py``
recomputes them and fails when the shipped file is stale.

    python scripts/build_healthy_reference.py [--shared ../shared/data] [-o PATH]
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

import gutbalance  # noqa: E402
from gutbalance.io import read_metadata  # noqa: E402
from gutbalance.reference.core import Distribution, Population, build_reference  # noqa: E402

ZELLER_CITATION = (
    "Zeller G et al. (2014) Potential of fecal microbiota for early-stage detection of colorectal cancer. "
    "Mol Syst Biol 10:766. doi:10.15252/msb.20145645 (ENA PRJEB6070); mOTUs 3.0.2 profiles as kept in "
    "repository KoslickiLab/L2-UniFrac-Paper"
)
WEBTOOL_CITATION = (
    "Chang D et al. (2023) GMHI-webtool. Bioinformatics 39:btad061. doi:10.1093/bioinformatics/btad061 "
    "(repository danielchang2002/GMWI-webtool, MIT licence); samples of Gupta VK et al. (2020) "
    "Nat Commun 11:4635, doi:10.1038/s41467-020-18476-8"
)
WEBTOOL_COLUMNS = {
    "GMWI": "gmhi",
    "Shannon": "shannon",
    "Richness": "richness",
    "Inverse Simpson": "inverse_simpson",
    "Evenness": "evenness",
}


def zeller_cohort(shared: Path):
    folder = shared / "profiles" / "zeller2014_motus3_controls"
    metadata = read_metadata(folder / "metadata.tsv", sample_column="run")
    # the metadata's 'sample' column is the person; rename it so it cannot be
    # confused with the cohort's sample (= run) index
    metadata = metadata.rename(columns={"sample": "person"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
        cohort = gutbalance.read(folder / "profiles", metadata=metadata)
    missing = cohort.samples["person"].isna()
    if missing.any():
        raise SystemExit(f"runs without metadata: {', '.join(cohort.samples.index[missing][:5])}")
    controls = (cohort.samples["diagnosis"].astype(str) == "control").to_numpy()
    return cohort.subset(controls)


def characteristics(cohort) -> dict:
    people = cohort.samples.groupby("person").first()
    runs = cohort.samples.groupby("person").size()
    age = pd.to_numeric(people["age"], errors="coerce")
    bmi = pd.to_numeric(people["bmi"], errors="coerce")
    return {
        "profiler": "mOTUs 3.0.2",
        "source_format": str(cohort.samples["source_format"].iloc[0]),
        "selection": "diagnosis == control (no neoplasia at colonoscopy)",
        "sex": {k: int(v) for k, v in people["sex"].value_counts().sort_index().items()},
        "country": {k: int(v) for k, v in people["country"].value_counts().sort_index().items()},
        "age_median": float(age.median()),
        "age_range": [float(age.min()), float(age.max())],
        "bmi_median": float(bmi.median()),
        "bmi_known": int(bmi.notna().sum()),
        "runs_per_person_range": [int(runs.min()), int(runs.max())],
        "n_runs": int(len(cohort.samples)),
    }


def webtool_population(shared: Path) -> Population:
    table = pd.read_csv(shared / "population" / "gmwi_webtool_indices.csv")
    distributions = {
        ours: Distribution.from_values(table[theirs].to_numpy(dtype=float), as_quantiles=True)
        for theirs, ours in WEBTOOL_COLUMNS.items()
    }
    return Population(
        name="gmwi_webtool_5026",
        label="5,026 public stool metagenomes",
        description=(
            f"GMHI and species diversity of {len(table):,} public stool metagenomes from "
            f"{table['Study Accession'].nunique()} studies (healthy and non-healthy people mixed; MetaPhlAn 2 profiles), "
            "shown for orientation only, not used for percentiles."
        ),
        source=WEBTOOL_CITATION,
        n_people=len(table),
        distributions=distributions,
        healthy=False,
        characteristics={"profiler": "MetaPhlAn 2", "health": "mixed, no per-sample label in the source file"},
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("-o", "--out", type=Path, default=ROOT / "src" / "gutbalance" / "reference" / "data" / "healthy_reference.json")
    args = parser.parse_args(argv)

    cohort = zeller_cohort(args.shared)
    chars = characteristics(cohort)
    n_people = cohort.samples["person"].nunique()
    reference = build_reference(
        cohort,
        name="zeller2014_controls",
        label="Healthy reference",
        description=(
            f"{n_people} adults without neoplasia at screening colonoscopy (France and Germany, "
            f"age {chars['age_range'][0]:.0f}-{chars['age_range'][1]:.0f}), stool metagenomes profiled with mOTUs 3; "
            f"each of their {chars['n_runs']} sequencing runs one profile"
        ),
        source=ZELLER_CITATION,
        subjects=cohort.samples["person"],
        characteristics=chars,
    )
    reference.context["gmwi_webtool_5026"] = webtool_population(args.shared)
    reference.provenance.update(
        {
            "script": "scripts/build_healthy_reference.py",
            "inputs": ["profiles/zeller2014_motus3_controls", "population/gmwi_webtool_indices.csv"],
        }
    )
    reference.save(args.out)
    print(f"{reference.primary.n_people} people, {len(reference.scores)} scores -> {args.out}", file=sys.stderr)
    for key, tv in reference.variation.items():
        dist = reference.distribution(key)
        print(
            f"  {key:32s} median {np.median(dist.values):10.4g}  s_w {tv.within_subject_sd:9.4g}  "
            f"SRD {tv.smallest_real_difference:9.4g}  ({tv.n_subjects} people, {tv.n_measurements} runs)",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
