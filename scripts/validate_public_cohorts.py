#!/usr/bin/env python3
"""Healthy vs immune-mediated disease *within* public studies that have their own controls (report only).

Issue 12 asks whether immune_support separates healthy people from patients
inside studies nobody here has used, each against the study's own healthy
controls (same recruitment, same protocol). Nothing is chosen or tuned on
these cohorts: this script only measures.

    python scripts/validate_public_cohorts.py ROOT --work DIR [--bootstrap 1000]

ROOT (``/work/outside-data``) holds the cohorts as fetched from public
repositories, each with a ``SOURCE.txt`` (repository, commit, citation, what
the labels mean); an absent cohort is skipped with a printed reason:

| folder | study | platform | healthy | disease |
|---|---|---|---|---|
| ``gespic_essex2022`` | Essex, Rios Rodriguez et al. 2022 (GESPIC, Berlin) | 16S ASVs (DADA2, SILVA names) | clin.Cohort H | S axial spondyloarthritis, U acute anterior uveitis, C Crohn's disease |
| ``metaml_segata`` | Nielsen et al. 2014 (MetaHIT, Spain) | shotgun, MetaPhlAn 2 (MetAML) | disease n (O2 recruitment) or n_relative (V1) | ibd_crohn_disease, ibd_ulcerative_colitis |
| ``morgan2012_ibd`` | Morgan et al. 2012 (Boston; MLRepo ``datasets/sokol``) | 16S V3-V5 454, closed-reference RefSeq, and the same reads against Greengenes | Healthy (stool) | Crohn's disease, Ulcerative Colitis (stool) |
| ``jangi2016_ms`` | Jangi et al. 2016 (Boston; shinyMicrobiota's test data) | 16S V4 ASVs (QIIME 2, DADA2, Greengenes names) | Host_disease Healthy_Control | Multiple_sclerosis_in_remission (untreated, glatiramer or interferon) |
| ``psoriasis_maaslin`` | qqwxp1987/psoriasis_microbiome (psoriasis, Fimenecus manuscript) | shotgun, MetaPhlAn 4, MaAsLin2's filtered species table | Disease Healthy (the patients' family members) | Psoriasis |
| ``crc16s`` | Baxter et al. 2016, Zackular et al. 2014, Zeller et al. 2014 (laurichi13/16S-CRC-data) | 16S V4 ASVs (QIIME 2, DADA2, SILVA) | Diagnosis Normal | Cancer (adenomas not compared) |

The last is colorectal cancer, not an immune-mediated disease: the disease
of one labelled set, from two studies the calibration never saw (Baxter,
Zackular; Zeller's 16S runs are of the people whose shotgun profiles are in
the labelled sets, so that row is not independent of the calibration).

Steps, each a public command or a reshaping a user would do, all written to
``--work`` (never into the project):

1. the profile table of each cohort, reshaped where gutbalance cannot read the
   table as published (said per cohort in ``build_*``), and one metadata
   table (``sample, cohort, group, subject, run``);
2. ``gutbalance analyze TABLE -o WORK/<cohort>/results --reports none``;
3. per comparison (a disease, or all the cohort's diseases, against the
   cohort's healthy people): a metadata table whose ``health`` column is
   ``healthy``, ``disease`` or empty (not compared), then ``gutbalance
   validate ... --label health=healthy --against disease --study study
   [--cluster subject]``;
4. an independent check of every AUC of immune_support: scipy's
   ``mannwhitneyu`` U / (n_healthy n_disease) on the scores.tsv column;
5. prints one markdown table (AUC with its 95 % bootstrap interval of
   immune_support, the five pillars, GMHI, GMWI2 and Shannon per comparison).
"""

from __future__ import annotations

import argparse
import bz2
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from check_public_data import reference_gmhi
from scipy.stats import mannwhitneyu
from shared_data import add_shared_argument

SHOWN = ("immune_support", "training", "homeostasis", "nutrients", "barrier", "defense", "gmhi", "gmwi2", "shannon")
HEALTHY = "healthy"

# SILVA 138 phyla of archaea; GESPIC's taxonomy has no kingdom column.
ARCHAEAL_PHYLA = frozenset({"Euryarchaeota", "Halobacterota", "Thermoplasmatota", "Crenarchaeota",
                            "Methanobacteriota", "Thermoproteota"})
GESPIC_GROUPS = {"H": HEALTHY, "S": "axSpA", "U": "AAU", "C": "CD"}
NIELSEN_GROUPS = {"n": HEALTHY, "n_relative": "healthy relative", "ibd_crohn_disease": "CD",
                  "ibd_ulcerative_colitis": "UC"}
MORGAN_GROUPS = {"Healthy": HEALTHY, "Crohn's disease": "CD", "Ulcerative Colitis": "UC"}


@dataclass(frozen=True)
class Comparison:
    """One row of the table: the HEALTHY groups of the cohort against the DISEASES groups, among the
    samples where WHERE holds; LABEL_WHERE narrows the healthy side only (a contrast of two healthy
    populations puts healthy groups on both sides, told apart by it)."""

    label: str
    diseases: tuple[str, ...]
    healthy: tuple[str, ...] = (HEALTHY,)
    where: Callable[[pd.DataFrame], pd.Series] | None = None
    cluster: bool = False
    label_where: Callable[[pd.DataFrame], pd.Series] | None = None


@dataclass
class Cohort:
    name: str
    folder: str
    build: Callable[[Path, Path], tuple[list[Path], pd.DataFrame]]
    comparisons: list[Comparison] = field(default_factory=list)
    metaphlan_species: bool = False  # the built table is MetaPhlAn 2: GMHI can be recomputed from it
    work_folder: str = ""  # under --work; default: the cohort's folder name


# -- GESPIC ---------------------------------------------------------------------------------------------


def silva_lineage(row: pd.Series) -> str:
    """``d__...;p__...;...;s__Genus epithet`` from a GESPIC taxonomy row (phylum ... genus, purported_species).

    The table has no kingdom column: the domain follows the phylum (archaeal
    SILVA 138 phyla, else Bacteria). ``NA`` ranks are left out, and so is the
    species when the genus is unknown (an epithet alone names nothing).

    >>> silva_lineage(pd.Series({"phylum": "Bacteroidota", "class": "Bacteroidia", "order": "Bacteroidales",
    ...     "family": "Prevotellaceae", "genus": "Prevotella", "purported_species": "copri"}))
    'd__Bacteria;p__Bacteroidota;c__Bacteroidia;o__Bacteroidales;f__Prevotellaceae;g__Prevotella;s__Prevotella copri'
    >>> silva_lineage(pd.Series({"phylum": "Firmicutes", "class": "Clostridia", "order": None,
    ...     "family": None, "genus": None, "purported_species": None}))
    'd__Bacteria;p__Firmicutes;c__Clostridia'
    """
    def known(value: object) -> str | None:
        text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()
        return text if text and text != "NA" else None

    phylum = known(row.get("phylum"))
    parts = ["d__Archaea" if phylum in ARCHAEAL_PHYLA else "d__Bacteria"]
    for rank, column in (("p", "phylum"), ("c", "class"), ("o", "order"), ("f", "family"), ("g", "genus")):
        name = known(row.get(column))
        if name is not None:
            parts.append(f"{rank}__{name}")
    genus, epithet = known(row.get("genus")), known(row.get("purported_species"))
    if genus is not None and epithet is not None:
        parts.append(f"s__{genus} {epithet}")
    return ";".join(parts)


def gespic_tables(master: pd.DataFrame, taxonomy: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(profile: lineages x samples, relative abundances; metadata) from GESPIC's Supplementary Tables 3 and 1.

    Table 3 holds samples as rows with clinical columns (``clin.``), the
    filtered ASVs (``tax.ASV1``...), genus bins and diversity summaries
    (``tax.Faecalibacterium``, ``tax.Shannon``) side by side; only the ASV
    columns are taxa. ``PatientID`` repeats between the two sequencing runs
    (``clin.SeqExp``; different people: age and sex differ), so a sample is
    ``PatientID_runN``.
    """
    asv_columns = [c for c in master.columns if c.startswith("tax.ASV")]
    samples = master["PatientID"].astype(str) + "_run" + master["clin.SeqExp"].astype(int).astype(str)
    if samples.duplicated().any():
        raise ValueError(f"GESPIC samples repeat: {samples[samples.duplicated()].tolist()[:5]}")
    lineages = taxonomy.set_index("ASV").apply(silva_lineage, axis=1)
    asvs = [c.removeprefix("tax.") for c in asv_columns]
    missing = sorted(set(asvs) - set(lineages.index))
    if missing:
        raise ValueError(f"GESPIC ASVs without a taxonomy row: {missing[:5]}")
    profile = pd.DataFrame(master[asv_columns].to_numpy(dtype=float).T, index=asvs, columns=samples.to_numpy())
    profile.index = lineages.reindex(asvs).to_numpy()
    profile = profile.groupby(level=0, sort=False).sum()  # ASVs of one lineage are one taxon
    profile.index.name = "taxonomy"
    metadata = pd.DataFrame({
        "sample": samples.to_numpy(),
        "cohort": "GESPIC",
        "group": master["clin.Cohort"].map(GESPIC_GROUPS).to_numpy(),
        "subject": samples.to_numpy(),
        "run": master["clin.SeqExp"].astype(int).to_numpy(),
    })
    return profile, metadata


def build_gespic(folder: Path, work: Path) -> tuple[list[Path], pd.DataFrame]:
    """Reshaped: Supplementary Table 3 mixes clinical columns, ASVs and genus bins in one samples-as-rows
    table, and Table 1 (the ASVs' taxonomy) has lower-case rank headers, no kingdom and extra columns
    (``purported_species``, ``bin``), which gutbalance does not take as a taxonomy table beside it."""
    master = pd.read_csv(folder / "data_supp-table-3-master.tsv", sep="\t")
    taxonomy = pd.read_csv(folder / "data_supp-table-1-taxonomy.tsv", sep="\t", dtype=str, keep_default_na=False)
    profile, metadata = gespic_tables(master, taxonomy)
    out = work / "gespic_profile.tsv"
    profile.to_csv(out, sep="\t")
    return [out], metadata


def _run0(meta: pd.DataFrame) -> pd.Series:
    return meta["run"] == 0


# -- Nielsen 2014 (MetAML) --------------------------------------------------------------------------


def metaml_tables(raw: pd.DataFrame, dataset: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(merged MetaPhlAn table: clades x samples, percent; metadata) of one MetAML dataset.

    MetAML's ``abundance.txt`` is one table of 3,610 samples whose first 211
    rows are metadata (``dataset_name``, ``sampleID``, ``subjectID``,
    ``disease``, ``country`` ...) above the MetaPhlAn 2 clades (``k__``...).
    """
    raw = raw.set_index(raw.columns[0])
    keep = raw.columns[raw.loc["dataset_name"] == dataset]
    if len(keep) == 0:
        raise ValueError(f"no MetAML dataset {dataset!r}")
    clades = [r for r in raw.index if str(r).startswith("k__")]
    samples = raw.loc["sampleID", keep].to_numpy()
    profile = pd.DataFrame(raw.loc[clades, keep].to_numpy(dtype=float), index=clades, columns=samples)
    profile.index.name = "clade_name"
    country = raw.loc["country", keep]
    # Nielsen 2014's Spanish samples come from two recruitments, told apart by the sample name:
    # O2_UC* (ulcerative colitis patients and their unrelated controls O2_UC49-60) and V1_* (Crohn's
    # disease and ulcerative colitis patients with healthy relatives); Danish controls have no patient.
    recruitment = pd.Series(samples, index=keep).str.extract(r"^(O2|V1)_", expand=False)
    metadata = pd.DataFrame({
        "sample": samples,
        "cohort": dataset,
        "group": raw.loc["disease", keep].map(NIELSEN_GROUPS).to_numpy(),
        "subject": raw.loc["subjectID", keep].to_numpy(),
        "run": recruitment.fillna(country).to_numpy(),
    })
    return profile, metadata


def build_nielsen(folder: Path, work: Path) -> tuple[list[Path], pd.DataFrame]:
    """Reshaped: MetAML's table carries 211 metadata rows above the clades (gutbalance reads it as a
    table and stops at the first non-number, naming it); the clades of one dataset are written as a
    merged MetaPhlAn table."""
    with bz2.open(folder / "abundance.txt.bz2", "rt") as handle:
        raw = pd.read_csv(handle, sep="\t", header=None, dtype=str, low_memory=False)
    profile, metadata = metaml_tables(raw, "Neilsen_genome_assembly")
    out = work / "nielsen2014_metaphlan2.tsv"
    profile.to_csv(out, sep="\t")
    return [out], metadata


def _spain(meta: pd.DataFrame) -> pd.Series:
    return meta["run"].isin(["O2", "V1"])


def _o2(meta: pd.DataFrame) -> pd.Series:
    return meta["run"] == "O2"


def _v1(meta: pd.DataFrame) -> pd.Series:
    return meta["run"] == "V1"


def _denmark(meta: pd.DataFrame) -> pd.Series:
    return meta["run"] == "denmark"


# -- Morgan 2012 (MLRepo) ---------------------------------------------------------------------------


def morgan_metadata(tasks: list[pd.DataFrame]) -> pd.DataFrame:
    """Stool samples of Morgan et al. 2012 labelled as MLRepo's two tasks label them.

    ``task-healthy-cd.txt`` and ``task-healthy-uc.txt`` (``#SampleID``,
    ``Var``) list the stool samples MLRepo compares: the same 19 healthy people
    in both, 62 with Crohn's disease, 47 with ulcerative colitis. Biopsies
    and the stool samples the tasks leave out are not compared.

    >>> morgan_metadata([pd.DataFrame({"#SampleID": ["a", "b"], "Var": ["Healthy", "Crohn's disease"]}),
    ...                  pd.DataFrame({"#SampleID": ["a", "c"], "Var": ["Healthy", "Ulcerative Colitis"]})])["group"].tolist()
    ['healthy', 'CD', 'UC']
    """
    labels = pd.concat(tasks, ignore_index=True).drop_duplicates()
    if labels["#SampleID"].duplicated().any():
        raise ValueError("a Morgan 2012 sample has two labels: "
                         f"{labels.loc[labels['#SampleID'].duplicated(), '#SampleID'].tolist()[:5]}")
    return pd.DataFrame({
        "sample": labels["#SampleID"].to_numpy(),
        "cohort": "Morgan 2012",
        "group": labels["Var"].map(MORGAN_GROUPS).to_numpy(),
        "subject": labels["#SampleID"].to_numpy(),  # one stool sample per person (MLRepo's task notes)
        "run": "stool",
    })


def _morgan(reference: str) -> Callable[[Path, Path], tuple[list[Path], pd.DataFrame]]:
    def build(folder: Path, work: Path) -> tuple[list[Path], pd.DataFrame]:
        tasks = [pd.read_csv(folder / name, sep="\t", dtype=str)
                 for name in ("task-healthy-cd.txt", "task-healthy-uc.txt")]
        return [folder / reference / "taxatable.txt"], morgan_metadata(tasks)

    build.__doc__ = (f"Read as published: MLRepo's {reference} taxa table (lineages x samples, read counts; "
                     "stool and biopsies).")
    return build


build_morgan = _morgan("refseq")
build_morgan_greengenes = _morgan("gg")


# -- Jangi 2016 (multiple sclerosis; shinyMicrobiota) -----------------------------------------------------

JANGI_GROUPS = {"Healthy_Control": HEALTHY, "Multiple_sclerosis_in_remission": "MS"}


def jangi_metadata(raw: pd.DataFrame) -> pd.DataFrame:
    """Jangi et al. 2016's QIIME 2 metadata (``sample-id, Host_disease, host_phenotype``, a ``#q2:types``
    row) as ``sample, cohort, group, subject, run``; ``run`` is the treatment (``host_phenotype`` spelt
    several ways: ``Multiple_Sclerosis_untreated``, ``Multiple_Sclerosis_-_copaxone`` ...), ``control``
    for the healthy controls.

    >>> jangi_metadata(pd.DataFrame({"sample-id": ["#q2:types", "a", "b", "c"],
    ...     "Host_disease": ["categorical", "Healthy_Control", "Multiple_sclerosis_in_remission",
    ...                      "Multiple_sclerosis_in_remission"],
    ...     "host_phenotype": ["categorical", "Healthy_Control", "Multiple_Sclerosis_untreated",
    ...                        "Multiple_Sclerosis_-_copaxone"]}))[["group", "run"]].values.tolist()
    [['healthy', 'control'], ['MS', 'untreated'], ['MS', 'copaxone']]
    """
    raw = raw[~raw["sample-id"].astype(str).str.startswith("#")]
    disease = raw["Host_disease"].map(JANGI_GROUPS)
    if disease.isna().any():
        raise ValueError(f"Jangi 2016: unknown Host_disease {sorted(set(raw.loc[disease.isna(), 'Host_disease']))}")
    treatment = raw["host_phenotype"].str.lower().str.replace(r"^multiple_sclerosis_[-_]*", "", regex=True)
    return pd.DataFrame({
        "sample": raw["sample-id"].astype(str).to_numpy(),
        "cohort": "Jangi 2016",
        "group": disease.to_numpy(),
        "subject": raw["sample-id"].astype(str).to_numpy(),  # one stool sample per person
        "run": np.where(disease == HEALTHY, "control", treatment).astype(str),
    })


def build_jangi(folder: Path, work: Path) -> tuple[list[Path], pd.DataFrame]:
    """Read as published: the QIIME 2 feature table and taxonomy artifacts side by side."""
    metadata = jangi_metadata(pd.read_csv(folder / "subset_metadata_MS.tsv", sep="\t", dtype=str))
    return [folder / "filt-feature-table.qza", folder / "hybrid-taxonomy.qza"], metadata


def _untreated(meta: pd.DataFrame) -> pd.Series:
    return meta["run"].isin(["control", "untreated"])


# -- psoriasis with family controls (qqwxp1987/psoriasis_microbiome) -----------------------------------

PSORIASIS_GROUPS = {"Healthy": HEALTHY, "Psoriasis": "psoriasis"}


def psoriasis_metadata(raw: pd.DataFrame, samples: list[str]) -> pd.DataFrame:
    """The psoriasis study's ``metadata.txt`` (first column unnamed: the sample; ``Disease``, ``Family``,
    ``Dataset`` ...) for the SAMPLES of the table, as ``sample, cohort, group, subject, run``; ``run`` is
    the ``Family`` a patient shares with the family member who is their control.

    >>> psoriasis_metadata(pd.DataFrame({"Unnamed: 0": ["Control.A01", "PsO.A01", "Control.C01"],
    ...     "Disease": ["Healthy", "Psoriasis", "Healthy"], "Family": ["A01", "A01", "C01"]}),
    ...     ["PsO.A01", "Control.A01"])[["sample", "group", "run"]].values.tolist()
    [['PsO.A01', 'psoriasis', 'A01'], ['Control.A01', 'healthy', 'A01']]
    """
    table = raw.set_index(raw.columns[0])
    missing = sorted(set(samples) - set(table.index))
    if missing:
        raise ValueError(f"psoriasis samples without metadata: {missing[:5]}")
    rows = table.loc[samples]
    return pd.DataFrame({
        "sample": samples,
        "cohort": "psoriasis",
        "group": rows["Disease"].map(PSORIASIS_GROUPS).to_numpy(),
        "subject": samples,
        "run": rows["Family"].astype(str).to_numpy(),
    })


def build_psoriasis(folder: Path, work: Path) -> tuple[list[Path], pd.DataFrame]:
    """Read as published: MaAsLin2's filtered species table (samples as rows under ``feature``)."""
    table = folder / "filtered_data.tsv"
    samples = pd.read_csv(table, sep="\t", usecols=[0], dtype=str).iloc[:, 0].tolist()
    return [table], psoriasis_metadata(pd.read_csv(folder / "metadata.txt", sep="\t", dtype=str), samples)


# -- CRC 16S (Baxter, Zackular, Zeller) -----------------------------------------------------------------

CRC_GROUPS = {"Normal": HEALTHY, "Cancer": "CRC", "Adenoma": "adenoma", "Large adenoma": "adenoma",
              "Small adenoma": "adenoma"}


def crc16s_metadata(raw: pd.DataFrame) -> pd.DataFrame:
    """The CRC 16S metadata (``SampleID, Diagnosis, Study`` ...) as ``sample, cohort, group, subject, run``.

    >>> crc16s_metadata(pd.DataFrame({"SampleID": ["a", "b", "c"], "SubjectID": ["a", "b", "c"],
    ...     "Diagnosis": ["Normal", "Cancer", "Small adenoma"], "Study": ["Baxter", "Baxter", "Zeller"]}))["group"].tolist()
    ['healthy', 'CRC', 'adenoma']
    """
    return pd.DataFrame({
        "sample": raw["SampleID"].astype(str).to_numpy(),
        "cohort": "CRC 16S",
        "group": raw["Diagnosis"].str.strip().map(CRC_GROUPS).to_numpy(),
        "subject": raw["SubjectID"].astype(str).to_numpy(),
        "run": raw["Study"].astype(str).to_numpy(),
    })


def build_crc16s(folder: Path, work: Path) -> tuple[list[Path], pd.DataFrame]:
    """Read as published: the QIIME 2 feature table and taxonomy artifacts side by side."""
    return [folder / "table.qza", folder / "taxonomy.qza"], crc16s_metadata(pd.read_csv(folder / "metadata.csv"))


def _study(name: str) -> Callable[[pd.DataFrame], pd.Series]:
    def within(meta: pd.DataFrame) -> pd.Series:
        return meta["run"] == name
    return within


COHORTS = [
    Cohort("GESPIC", "gespic_essex2022", build_gespic, [
        Comparison("GESPIC, axSpA (run 0)", ("axSpA",), where=_run0),
        Comparison("GESPIC, AAU (run 0)", ("AAU",), where=_run0),
        Comparison("GESPIC, CD (run 0)", ("CD",), where=_run0),
        Comparison("GESPIC, all three (run 0)", ("axSpA", "AAU", "CD"), where=_run0),
        Comparison("GESPIC, all three (both runs)", ("axSpA", "AAU", "CD")),
    ]),
    Cohort("Nielsen 2014", "metaml_segata", build_nielsen, metaphlan_species=True, comparisons=[
        Comparison("Nielsen 2014 O2, UC vs unrelated controls", ("UC",), where=_o2, cluster=True),
        Comparison("Nielsen 2014 V1, CD vs healthy relatives", ("CD",), healthy=("healthy relative",),
                   where=_v1, cluster=True),
        Comparison("Nielsen 2014 V1, UC vs healthy relatives", ("UC",), healthy=("healthy relative",),
                   where=_v1, cluster=True),
        Comparison("Nielsen 2014 Spain, IBD vs controls and relatives", ("CD", "UC"),
                   healthy=(HEALTHY, "healthy relative"), where=_spain, cluster=True),
        Comparison("Nielsen 2014, Spanish IBD vs Spanish and Danish controls", ("CD", "UC"), cluster=True),
        Comparison("Nielsen 2014, healthy Danes vs healthy Spaniards (population only, no disease)",
                   (HEALTHY, "healthy relative"), label_where=_denmark, cluster=True),
    ]),
    Cohort("Morgan 2012", "morgan2012_ibd", build_morgan, [
        Comparison("Morgan 2012, CD", ("CD",)),
        Comparison("Morgan 2012, UC", ("UC",)),
        Comparison("Morgan 2012, IBD", ("CD", "UC")),
    ]),
    # The same reads against Greengenes 97 % OTUs: how much the reference database moves the figures.
    Cohort("Morgan 2012 (Greengenes)", "morgan2012_ibd", build_morgan_greengenes, [
        Comparison("Morgan 2012 (Greengenes), CD", ("CD",)),
        Comparison("Morgan 2012 (Greengenes), UC", ("UC",)),
    ], work_folder="morgan2012_ibd_greengenes"),
    Cohort("Jangi 2016", "jangi2016_ms", build_jangi, [
        Comparison("Jangi 2016, MS", ("MS",)),
        Comparison("Jangi 2016, untreated MS", ("MS",), where=_untreated),
    ]),
    Cohort("Psoriasis", "psoriasis_maaslin", build_psoriasis, [
        Comparison("Psoriasis (MetaPhlAn 4, MaAsLin2 table), patients vs their family members", ("psoriasis",)),
    ]),
    Cohort("CRC 16S", "crc16s", build_crc16s, [
        Comparison("Baxter 2016 (16S), CRC", ("CRC",), where=_study("Baxter")),
        Comparison("Zackular 2014 (16S), CRC", ("CRC",), where=_study("Zackular")),
        Comparison("Zeller 2014 (16S; its people are in the labelled sets), CRC", ("CRC",),
                   where=_study("Zeller")),
    ]),
]


# -- comparisons ---------------------------------------------------------------------------------------


def comparison_metadata(metadata: pd.DataFrame, comparison: Comparison) -> pd.DataFrame:
    """The cohort's metadata with ``health`` (healthy / disease / empty = not compared) and ``study``.

    >>> meta = pd.DataFrame({"sample": list("abcde"), "group": ["healthy", "CD", "UC", "CD", None],
    ...                      "subject": list("abcde"), "run": [0, 0, 0, 1, 0]})
    >>> comparison_metadata(meta, Comparison("x", ("CD",), where=lambda m: m["run"] == 0))["health"].tolist()
    ['healthy', 'disease', '', '', '']
    """
    out = metadata.copy()

    def holds(test: Callable[[pd.DataFrame], pd.Series] | None) -> pd.Series:
        return pd.Series(True, index=out.index) if test is None else test(out).fillna(False).astype(bool)

    chosen, labelled = holds(comparison.where), holds(comparison.label_where)
    against = chosen if comparison.label_where is None else chosen & ~labelled
    health = pd.Series("", index=out.index, dtype=object)
    health[against & out["group"].isin(comparison.diseases)] = "disease"
    health[chosen & labelled & out["group"].isin(comparison.healthy)] = HEALTHY
    out["health"] = health
    out["study"] = np.where(health != "", comparison.label, "")
    return out


def independent_auc(scores: pd.Series, health: pd.Series) -> tuple[float, int, int]:
    """AUC of SCORES for healthy over disease, as scipy's Mann-Whitney U / (n1 n0); NaN scores left out.

    >>> independent_auc(pd.Series([3.0, 2.0, 1.0, np.nan]), pd.Series(["healthy", "disease", "disease", "healthy"]))
    (1.0, 1, 2)
    """
    both = pd.DataFrame({"score": scores, "health": health}).dropna(subset=["score"])
    well = both.loc[both["health"] == HEALTHY, "score"].to_numpy(dtype=float)
    ill = both.loc[both["health"] == "disease", "score"].to_numpy(dtype=float)
    if len(well) == 0 or len(ill) == 0:
        return float("nan"), len(well), len(ill)
    u = mannwhitneyu(well, ill, alternative="two-sided").statistic
    return float(u) / (len(well) * len(ill)), len(well), len(ill)


def independent_gmhi(merged: Path, shared: Path) -> pd.Series:
    """GMHI of every column of a merged MetaPhlAn 2 table by the reference recipe (GMHI.R of Gupta et al.
    2020, re-implemented in scripts/check_public_data.py, not gutbalance's code), over its species rows."""
    table = pd.read_csv(merged, sep="\t", index_col=0)
    species = table[[("|s__" in c and "|t__" not in c) for c in table.index]]
    species.index = [c.rsplit("|", 1)[-1] for c in species.index]
    lists = [[line.strip() for line in (shared / "gmhi" / name).read_text().splitlines() if line.strip()]
             for name in ("MH_species.txt", "MN_species.txt")]
    return reference_gmhi(species, *lists)


def markdown(table: pd.DataFrame, order: list[str]) -> str:
    """One row per comparison, one column per score: ``AUC (low–high)``, ``–`` where missing.

    >>> t = pd.DataFrame({"score": ["immune_support", "gmhi"], "study": ["s", "s"], "auc": [0.7, 1.0],
    ...                   "low": [0.6, np.nan], "high": [0.8, np.nan], "n_label": [9, 1], "n_against": [9, 1]})
    >>> markdown(t, ["s"]).splitlines()[-1].split(" | ")[1:3]
    ['9 / 9', '0.70 (0.60–0.80)']
    >>> "1.00 [n 1 / 1]" in markdown(t, ["s"])
    True
    """
    head = "| comparison | n healthy / disease | " + " | ".join(SHOWN) + " |"
    lines = [head, "|---|---|" + "---|" * len(SHOWN)]
    for label in order:
        rows = table[table["study"] == label].set_index("score")
        if rows.empty:
            continue
        ref = rows.loc["immune_support"]
        cells = []
        for score in SHOWN:
            if score not in rows.index or pd.isna(rows.at[score, "auc"]):
                cells.append("–")
                continue
            r = rows.loc[score]
            # no interval below 5 samples a group (gutbalance validate's note)
            cell = f"{r.auc:.2f}" if pd.isna(r.low) else f"{r.auc:.2f} ({r.low:.2f}–{r.high:.2f})"
            if (r.n_label, r.n_against) != (ref.n_label, ref.n_against):  # the index is missing for some samples
                cell += f" [n {int(r.n_label)} / {int(r.n_against)}]"
            cells.append(cell)
        lines.append(f"| {label} | {int(ref.n_label)} / {int(ref.n_against)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _gutbalance(*args: str) -> None:
    print("$ gutbalance " + " ".join(args), file=sys.stderr)
    done = subprocess.run([sys.executable, "-m", "gutbalance", *args], check=False)
    if done.returncode not in (0, 1):  # 1 = some inputs unreadable (listed in problems.tsv)
        raise SystemExit(f"gutbalance {args[0]} failed with status {done.returncode}")


def run_cohort(cohort: Cohort, root: Path, work: Path, bootstrap: str,
               shared: Path) -> tuple[pd.DataFrame, list[str]]:
    here = work / (cohort.work_folder or cohort.folder)
    here.mkdir(parents=True, exist_ok=True)
    inputs, metadata = cohort.build(root / cohort.folder, here)
    metadata.to_csv(here / "metadata.tsv", sep="\t", index=False)
    results = here / "results"
    _gutbalance("analyze", *map(str, inputs), "-o", str(results), "--reports", "none", "--no-contributions",
                "--jobs", "1")
    scores = pd.read_csv(results / "scores.tsv", sep="\t", index_col="sample", dtype={"sample": str})
    unscored = sorted(set(metadata["sample"]) - set(scores.index))
    if unscored:
        print(f"{cohort.name}: {len(unscored)} metadata samples not scored, e.g. {unscored[:3]}", file=sys.stderr)
    tables, checks = [], []
    reference = None
    if cohort.metaphlan_species and (shared / "gmhi" / "MH_species.txt").exists():
        reference = independent_gmhi(inputs[0], shared)
        both = pd.DataFrame({"ours": scores["gmhi"], "reference": reference}).dropna()
        checks.append(f"{cohort.name}: GMHI against the GMHI.R recipe (scripts/check_public_data.py) on "
                      f"{len(both)} samples, largest difference {(both['ours'] - both['reference']).abs().max():.2g}; "
                      f"{int(scores['gmhi'].isna().sum())} missing in ours (no marker species present)")
    for i, comparison in enumerate(cohort.comparisons):
        meta = comparison_metadata(metadata, comparison)
        meta_path = here / f"metadata_{i}.tsv"
        meta.to_csv(meta_path, sep="\t", index=False)
        out = here / f"validation_{i}"
        args = ["validate", str(results), "--metadata", str(meta_path), "--label", f"health={HEALTHY}",
                "--against", "disease", "--study", "study", "--bootstrap", bootstrap, "-o", str(out)]
        if comparison.cluster:
            args += ["--cluster", "subject"]
        _gutbalance(*args)
        table = pd.read_csv(out / "validation.tsv", sep="\t")
        table = table[table["study"] == comparison.label]
        tables.append(table)
        health = meta.set_index("sample")["health"].reindex(scores.index)
        auc, n1, n0 = independent_auc(scores["immune_support"], health)
        ours = table.loc[table["score"] == "immune_support", "auc"].iloc[0]
        checks.append(f"{comparison.label}: immune_support AUC {ours:.6f} (gutbalance validate), "
                      f"{auc:.6f} (scipy mannwhitneyu U/(n1 n0), {n1} / {n0})")
        if not np.isclose(ours, auc, atol=1e-9, equal_nan=True):
            raise SystemExit(f"AUC disagrees with scipy: {checks[-1]}")
        if reference is not None:
            ref_auc, _, _ = independent_auc(reference.where(scores["gmhi"].notna()), health)
            ours_gmhi = table.loc[table["score"] == "gmhi", "auc"].iloc[0]
            checks.append(f"{comparison.label}: GMHI AUC {ours_gmhi:.6f} (gutbalance), {ref_auc:.6f} (GMHI.R recipe, scipy)")
    return pd.concat(tables, ignore_index=True), checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("root", type=Path, help="folder of the fetched cohorts (/work/outside-data)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/gutbalance-public-cohorts"))
    parser.add_argument("--bootstrap", default="1000")
    add_shared_argument(parser, required=False)  # GMHI's species lists; the check is skipped without them
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    tables, checks, order = [], [], []
    for cohort in COHORTS:
        if not (args.root / cohort.folder).is_dir():
            print(f"skipped {cohort.name}: no folder {args.root / cohort.folder}")
            continue
        table, cohort_checks = run_cohort(cohort, args.root, args.work, args.bootstrap, args.shared)
        tables.append(table)
        checks += cohort_checks
        order += [c.label for c in cohort.comparisons]
    if not tables:
        raise SystemExit(f"no cohort found under {args.root}")
    print(markdown(pd.concat(tables, ignore_index=True), order))
    print()
    print("Independent checks:")
    for line in checks:
        print(f"- {line}")


if __name__ == "__main__":
    main()
