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
2. A second healthy population for MetaPhlAn inputs (most users', the
   built-in example, web uploads): every single run of the healthy controls
   of the three labelled sets, all MetaPhlAn 2 species tables
   (``labelled/``):
   - Franzosa et al. 2019 (Nat Microbiol 4:293, doi:10.1038/s41564-018-0306-4),
     ``Study.Group == Control`` (one run per person);
   - Lloyd-Price et al. 2019, iHMP IBDMDB (Nature 569:655,
     doi:10.1038/s41586-019-1237-9), ``Study.Group == nonIBD``: several
     runs per ``Subject``, each run one profile, the subjects give the
     run-to-run variation of this population;
   - Pasolli et al. 2016 MetAML (PLoS Comput Biol 12:e1004977,
     doi:10.1371/journal.pcbi.1004977), ``disease == Healthy`` across its
     countries (China, Denmark, France, Sweden, Germany, Iceland).
   Kind: MetaPhlAn, species-level.  MetaPhlAn 2, 3 and 4 samples are all
   compared with it (one family; see gutbalance.reference.comparability).
3. GMHI ("GMWI" column) and species-level alpha diversity of 5,026 public
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

from shared_data import add_shared_argument  # noqa: E402

import gutbalance  # noqa: E402
from gutbalance.cohort import concat  # noqa: E402
from gutbalance.io import read_metadata  # noqa: E402
from gutbalance.reference.age import age_characteristics, ages_in_years  # noqa: E402
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


#: The labelled sets: (folder, profile table, separator, metadata, separator,
#: sample column, subject column or None, selection column, healthy value, citation)
METAPHLAN_SETS = [
    ("franzosa2019_ibd", "species.tsv", "\t", "metadata.tsv", "\t", "Sample", "Subject", "Study.Group", "Control",
     "Franzosa EA et al. (2019) Gut microbiome structure and metabolic activity in inflammatory bowel disease. "
     "Nat Microbiol 4:293-305. doi:10.1038/s41564-018-0306-4"),
    ("ihmp_ibdmdb2019", "species.tsv", "\t", "metadata.tsv", "\t", "Sample", "Subject", "Study.Group", "nonIBD",
     "Lloyd-Price J et al. (2019) Multi-omics of the gut microbial ecosystem in inflammatory bowel diseases. "
     "Nature 569:655-662. doi:10.1038/s41586-019-1237-9"),
    ("metaml_pasolli2016", "abundance.csv", ",", "metadata.csv", ",", "sample-id", None, "disease", "Healthy",
     "Pasolli E et al. (2016) Machine learning meta-analysis of large metagenomic datasets. "
     "PLoS Comput Biol 12:e1004977. doi:10.1371/journal.pcbi.1004977 (MetAML data as kept in repository "
     "michalkoziarski/GMHI-TNB)"),
]
#: Each labelled set's age column (years: the two IBD sets say so in ``Age.Units``,
#: MetAML's ``age`` is in years); iHMP's is the age at consent, its runs follow a person ~1 year.
AGE_COLUMNS = {"franzosa2019_ibd": "Age", "ihmp_ibdmdb2019": "consent_age", "metaml_pasolli2016": "age"}

#: Written into the cohort's ``database`` column: the labelled tables do not
#: name their profiler, the studies do (MetaPhlAn 2, mpa_v20).
METAPHLAN2_DATABASE = "MetaPhlAn 2 (mpa_v20), as published with the study"


def metaphlan_cohort(shared: Path):
    """Every single run of the healthy controls of the labelled sets, one
    cohort; ``study`` and ``subject`` (the person; a run's own name where a
    study has one run per person) in ``samples``."""
    parts, selections = [], {}
    for folder, table, _sep, meta_name, meta_sep, sample_col, subject_col, column, healthy, _ in METAPHLAN_SETS:
        base = shared / "labelled" / folder
        meta = pd.read_csv(base / meta_name, sep=meta_sep, dtype=str).set_index(sample_col)
        if meta.index.has_duplicates:
            raise SystemExit(f"{base / meta_name}: duplicate {sample_col}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
            cohort = gutbalance.read(base / table)
        missing = [s for s in cohort.sample_names if s not in meta.index]
        if missing:
            # no label, so not known to be a control: left out, and said
            print(f"{base / table}: {len(missing)} runs without metadata left out: {', '.join(missing[:5])}",
                  file=sys.stderr)
        meta = meta.reindex(cohort.sample_names)
        keep = (meta[column] == healthy).to_numpy()
        if "bodysite" in meta:  # MetAML: stool only (all of them are, as shipped)
            keep &= (meta["bodysite"] == "stool").to_numpy()
        cohort = cohort.subset(keep)
        meta = meta[keep]
        cohort.samples["study"] = folder
        cohort.samples["subject"] = (meta[subject_col] if subject_col else meta.index.to_series()).to_numpy()
        if "country" in meta:
            cohort.samples["country"] = meta["country"].to_numpy()
        if "Age.Units" in meta and not (meta["Age.Units"].dropna() == "Years").all():
            raise SystemExit(f"{base / meta_name}: ages not all in years ({sorted(set(meta['Age.Units'].dropna()))})")
        cohort.samples["age"] = meta[AGE_COLUMNS[folder]].to_numpy()
        cohort.samples["database"] = METAPHLAN2_DATABASE
        selections[folder] = f"{column} == {healthy}"
        parts.append(cohort)
    cohort = concat(parts)
    if cohort.samples.index.has_duplicates:
        raise SystemExit("a run name occurs in two labelled sets")
    return cohort, selections


def metaphlan_population(shared: Path) -> Population:
    cohort, selections = metaphlan_cohort(shared)
    samples = cohort.samples
    studies = {
        folder: {
            "citation": citation,
            "selection": selections[folder],
            "n_runs": int((samples["study"] == folder).sum()),
            "n_people": int(samples.loc[samples["study"] == folder, "subject"].nunique()),
        }
        for folder, *_, citation in METAPHLAN_SETS
    }
    subjects = samples["study"].astype(str) + ":" + samples["subject"].astype(str)
    runs = subjects.value_counts()
    n_people = int(subjects.nunique())
    countries = samples["country"].dropna().value_counts().sort_index() if "country" in samples else pd.Series(dtype=int)
    # one age per person (their first run's; iHMP: the age at consent, the same on every run)
    ages = ages_in_years(samples.assign(person=subjects.to_numpy()), "age").groupby(subjects.to_numpy()).first()
    chars = {
        "profiler": "MetaPhlAn 2",
        "source_format": str(samples["source_format"].iloc[0]),
        "studies": studies,
        "n_runs": int(len(samples)),
        "runs_per_person_range": [int(runs.min()), int(runs.max())],
        "country_metaml": {k: int(v) for k, v in countries.items()},
        "family_note": "MetaPhlAn 2, 3 and 4 samples are compared with this population (one profiler family)",
        **age_characteristics(ages),
        "age_source": "Franzosa: Age; iHMP: consent_age (age at consent); MetAML: age (not recorded for its Danish people)",
    }
    reference = build_reference(
        cohort,
        name="metaphlan_healthy_controls",
        label="Healthy MetaPhlAn reference",
        description=(
            f"{n_people} healthy controls of three studies (IBD: Franzosa 2019 and iHMP nonIBD; "
            f"MetAML healthy adults of China, Denmark, France and Sweden), stool metagenomes profiled with MetaPhlAn 2; "
            f"each of their {len(samples)} runs one profile"
        ),
        source="; ".join(c for *_, c in METAPHLAN_SETS),
        subjects=subjects,
        characteristics=chars,
        # the people with several profiles are iHMP's, sampled weeks apart
        repeats="samples",
    )
    population = reference.primary
    # the run-to-run variation of this population (the iHMP nonIBD people)
    population.variation.update(reference.variation)
    return population


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
    add_shared_argument(parser)
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
    metaphlan = metaphlan_population(args.shared)
    reference.populations[metaphlan.name] = metaphlan
    reference.context["gmwi_webtool_5026"] = webtool_population(args.shared)
    reference.provenance.update(
        {
            "script": "scripts/build_healthy_reference.py",
            "inputs": [
                "profiles/zeller2014_motus3_controls",
                *(f"labelled/{folder}" for folder, *_ in METAPHLAN_SETS),
                "population/gmwi_webtool_indices.csv",
            ],
        }
    )
    reference.save(args.out)
    print(f"{reference.primary.n_people} people, {len(reference.scores)} scores -> {args.out}", file=sys.stderr)
    for pop in reference.healthy_populations:
        print(f"  {pop.name}: {pop.against}, {pop.n_people} people, kind {pop.kind}", file=sys.stderr)
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
