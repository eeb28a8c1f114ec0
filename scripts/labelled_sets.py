"""The labelled development sets of ../shared/data/labelled as one Cohort with
labels, for calibrating (``scripts/calibrate_pillars.py``) and checking the
scores across studies.

Six studies, healthy (1) vs disease (0):

| study | source | healthy | disease |
|---|---|---|---|
| franzosa2019 | ``franzosa2019_ibd`` (Franzosa et al. 2019) | Control | CD, UC |
| ihmp2019 | ``ihmp_ibdmdb2019`` (Lloyd-Price et al. 2019) | nonIBD | CD, UC |
| qin2012 | ``metaml_pasolli2016``, country china | Healthy | t2d |
| lechatelier2013 | same, denmark | Healthy | obesity |
| karlsson2013 | same, sweden | Healthy | t2d |
| zeller2014 | same, france | Healthy | cancer (small adenomas left out, as in docs/validation.md) |

Every table is read as shipped by :func:`gutbalance.read`.  The ``unit`` column is the
independent unit for bootstrapping and weighting: the subject in iHMP (several
samples per person), else the sample.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

import gutbalance
from gutbalance.cohort import concat

METAML_STUDIES = {"china": "qin2012", "denmark": "lechatelier2013", "sweden": "karlsson2013", "france": "zeller2014"}
METAML_DISEASE = {"china": {"t2d"}, "denmark": {"obesity"}, "sweden": {"t2d"}, "france": {"cancer"}}
STUDIES = ("franzosa2019", "ihmp2019", *METAML_STUDIES.values())


def _ibd(folder: Path, study: str, healthy: str) -> tuple[gutbalance.Cohort, pd.DataFrame]:
    meta = pd.read_csv(folder / "metadata.tsv", sep="\t").set_index("Sample")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
        cohort = gutbalance.read([folder / "species.tsv"])
    cohort = cohort.subset([s for s in cohort.sample_names if s in meta.index])
    group = meta.loc[cohort.sample_names, "Study.Group"]
    labels = pd.DataFrame(
        {
            "study": study,
            "healthy": (group == healthy).astype(int).to_numpy(),
            "group": group.to_numpy(),
            "unit": (study + ":" + meta.loc[cohort.sample_names, "Subject"].astype(str)).to_numpy(),
        },
        index=cohort.samples.index,
    )
    return cohort, labels


def _metaml(folder: Path) -> tuple[gutbalance.Cohort, pd.DataFrame]:
    meta = pd.read_csv(folder / "metadata.csv").set_index("sample-id")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
        cohort = gutbalance.read([folder / "abundance.csv"])
    meta = meta.loc[cohort.sample_names]
    keep = []
    for sample, row in meta.iterrows():
        country = row["country"]
        if country in METAML_STUDIES and (row["disease"] == "Healthy" or row["disease"] in METAML_DISEASE[country]):
            keep.append(sample)
    cohort = cohort.subset(keep)
    meta = meta.loc[keep]
    labels = pd.DataFrame(
        {
            "study": meta["country"].map(METAML_STUDIES).to_numpy(),
            "healthy": (meta["disease"] == "Healthy").astype(int).to_numpy(),
            "group": meta["disease"].to_numpy(),
            "unit": ("metaml:" + meta.index.astype(str)).to_numpy(),
        },
        index=cohort.samples.index,
    )
    return cohort, labels


def load_labelled(shared: Path) -> tuple[gutbalance.Cohort, pd.DataFrame]:
    """All six studies: one Cohort and a frame (study, healthy, group, unit)
    indexed like its samples (sample names prefixed by study to stay unique)."""
    folder = Path(shared) / "labelled"
    parts = [
        _ibd(folder / "franzosa2019_ibd", "franzosa2019", "Control"),
        _ibd(folder / "ihmp_ibdmdb2019", "ihmp2019", "nonIBD"),
        _metaml(folder / "metaml_pasolli2016"),
    ]
    cohorts, frames = [], []
    for cohort, labels in parts:
        names = [f"{s}:{n}" for s, n in zip(labels["study"], cohort.sample_names, strict=True)]
        cohort.samples.index = pd.Index(names, name=cohort.samples.index.name)
        labels.index = cohort.samples.index
        cohorts.append(cohort)
        frames.append(labels)
    return concat(cohorts), pd.concat(frames)
