"""Run gutbalance on public profiles of other studies and compare with their authors' numbers.

Usage::

    python scripts/check_public_data.py DATA_ROOT [--out OUT] [--skip-cli]

``DATA_ROOT`` holds the folders fetched from public repositories as
docs/tried-on-public-data.md lists them (``gmwi2_repo/``, ``gan_gmhi/``,
``bracken_repo/``, ``biobakery_workflows/``, ``zeller2014_motus3/`` ...); whatever is absent is skipped
with a line saying so.  Nothing here is copied into the project.

Checks, each printed as it finishes:

1. ``cli``: ``gutbalance analyze`` on each public input (in a fresh output
   folder), exit code, samples scored and the problems it wrote.
2. ``gmwi2``: every ``*_metaphlan.txt`` with a ``*_GMWI2.txt`` beside it (the
   GMWI2 tool's own output): our GMWI2 of that file read alone against the
   tool's number, and our contributing clades against ``*_GMWI2_taxa.txt``.
3. ``gmhi``: the 782-sample validation table of GAN-GMHI (MetaPhlAn 2
   species, percent) against (a) an independent GMHI written here from the
   reference script GMHI.R of Gupta et al. 2020 (numpy, not gutbalance's
   code) and (b) the raw-data GMHI (``R_GMHI``) the GAN-GMHI authors give for
   679 of those samples.
4. ``auc``: immune_support, GMHI and GMWI2 against the healthy/unhealthy
   labels of that validation table (an external check only: nothing is tuned
   on it).
6. ``amplicon``: QIIME 2 feature tables of ASV hashes with their taxonomy
   (SILVA and Greengenes): each sample's phyla against an independent sum of
   the features by the ``p__`` of their taxonomy string (pandas, not
   gutbalance's code), and the genus-level Shannon against scikit-bio's over
   gutbalance's own genus vector; mOTUs 3 profiles: unassigned share and
   species total against the counts in the file; MetaPhlAn 4: species
   Shannon against scikit-bio over the file's ``s__`` rows; the BIOM example
   as JSON 1.0 and as HDF5 2.1: identical scores; DADA2 sequence tables with
   their taxonomy tables: phyla against pandas sums by the ``Phylum`` column.
5. ``batch``: each GMWI2-example profile and the Kraken/Bracken samples,
   scored alone and inside one mixed batch (in input and reverse order), must give the
   same row, bit for bit.
7. ``readers`` (``--only readers`` runs this alone): tables other labs have
   that were refused or misread.  The CRC study's samples x genera CSV of
   bare SILVA genus names, refused without ``--feature-rank genus`` and read
   with it: the names the lineage table knows, the abundance that reaches a
   phylum, and its scores against the same samples read from the ``.qza``
   pair (biom-format and pandas here, not gutbalance's table reader: the ASVs
   of the same genera with SILVA's lineage cut at genus); Greengenes'
   bracketed genera (``g__[Ruminococcus]`` under Lachnospiraceae) with and
   without the family cut; a folder of the GMWI2 tool's outputs; ``fit`` on
   iHMP with ``--time-unit weeks`` against the same times made days by hand;
   HMgDB's table of Zeller et al. 2014's runs as metadata (a unique first
   column, ``sample_id`` repeating), and each person's first run scored
   among the first runs against the same run among all 1,261 (byte for byte).
6. ``time``: following people and simulating them (``--only time`` runs this
   alone).  ``analyze`` with each study's own metadata as it comes (iHMP
   ``Subject``/``week_num`` with missed visits, bioBakery's samples-as-columns
   metadata, David et al. 2014's cross-over ``SubjectFood,Diet``/``Day``) and
   ``report DIR --time-column date_of_receipt``; the simulator's day-0
   pillars against ``analyze``'s ``scores.tsv`` on every profile of those
   sets (to 1e-9); and the simulated direction against what the real series
   show after the same perturbation: vancomycin in MDSINE2's mice
   (``../shared/data/dynamics``), starting antibiotics in iHMP, the animal-
   and plant-based diets of David et al. 2014 (as fibre -50 % / +50 %).
   Zeller et al. 2014's 1,261 mOTUs 3 runs with HMgDB's table
   (``--subject-column sample_id``: a page per person), each person's first
   run's day-0 pillars against that run's row.
8. ``shapes`` (``--only shapes``): profilers and layouts of other labs tried
   2026-11-27 (benchpro's CAMI gut runs: MetaPhlAn 4 vJan21 and 3 in CAMI
   layout, MetaPhlAn 4 converted to GTDB, sylph-tax; mothur ``.shared``
   files with their consensus taxonomy, of an animal study and of Baxter et
   al. 2016's human stool; a level-6 collapsed FeatureTable[Frequency];
   Zeller et al. 2014's 1,261 mOTUs 3.0.2 CAMI runs); 2026-11-28, two merged
   MetaPhlAn tables of real stool (MetaPhlAn 4 of Ladakis et al. 2024,
   MetaPhlAn 2 of Oliver et al. 2021): see :func:`check_shapes`.
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from shared_data import shared_data
from skbio.diversity.alpha import shannon

import gutbalance
from gutbalance.indices import gmwi2_contributions, gmwi2_table
from gutbalance.io import read_metadata
from gutbalance.scores import score
from gutbalance.simulate import Scenario, parse_antibiotic, simulate
from gutbalance.simulate.gut_immune import GUILDS
from gutbalance.simulate.longitudinal import read_table
from gutbalance.taxonomy.names import is_unclassified

#: ../shared/data from the project root; GUTBALANCE_SHARED_DATA points elsewhere (a worktree), as for the tests.
SHARED = shared_data()

GMWI2_EXAMPLES = (
    "gmwi2_repo/manuscript_raw/data/raw/kefir_metaphlan3_results/gmwi2_conda_result",
    "gmwi2_repo/example_310cb15/example/SRR1761666",
    "gmwi2_repo/example_d8e5c6f",
)
GAN_TABLE = "gan_gmhi/tables/validation_abundance.csv"
GAN_LABELS = "gan_gmhi/tables/validation_metadata1.csv"
GAN_GMHI = "gan_gmhi/tables/test_GMHI2.csv"
BENCHPRO = "benchpro_cami_gi/data/test_data/profiles/predictions"
TAXPASTA_MORE = "taxpasta_more/tests/data"
CLI_INPUTS = {
    "gmwi2_srr1761666": ["gmwi2_repo/example_310cb15/example/SRR1761666/SRR1761666_metaphlan.txt"],
    "gmwi2_poop_single": ["gmwi2_repo/example_d8e5c6f/poop_metaphlan.txt"],
    "gmwi2_poop_merged": ["gmwi2_repo/example_d8e5c6f/poop_merged.txt"],
    "gmwi2_kefir_conda": ["gmwi2_repo/manuscript_raw/data/raw/kefir_metaphlan3_results/gmwi2_conda_result"],
    "bracken_report_2016": ["bracken_repo/sample_data/sample_output_bracken.report"],
    "kraken_report": ["bracken_repo/sample_data/sample_test.report"],
    "bracken_table": ["bracken_repo/sample_data/sample_output_species_abundance.txt"],
    "bracken_mpa": ["bracken_repo/sample_data/sample_output_bracken.mpa"],
    "biobakery_hmp2_merged": ["biobakery_workflows/examples/tutorial/stats_vis/input/metaphlan_taxonomic_profiles.tsv"],
    "gan_gmhi_validation": [GAN_TABLE],
    # amplicon and newer-profiler inputs (docs/tried-on-public-data.md, the outside16s round)
    "crc16s_silva_qza": ["crc16s/table.qza", "crc16s/taxonomy.qza"],
    "crc16s_genus_csv": ["crc16s/genus.csv.csv"],  # refused: bare names (see "readers" for --feature-rank)
    "movingpictures_greengenes_qza": ["movingpictures/table-dada2.qza", "movingpictures/taxonomy.qza"],
    "biom_rich_json": ["biom_format/examples/rich_sparse_otu_table.biom"],
    "biom_rich_hdf5": ["biom_format/examples/rich_sparse_otu_table_hdf5.biom"],
    "biom_min_no_taxonomy": ["biom_format/examples/min_sparse_otu_table.biom"],
    "metaphlan4_voct22": ["taxpasta/tests/data/metaphlan/ERR7569997.txt"],
    "motus3_counts": ["taxpasta/tests/data/motus/2612_pe-ERR5766176-db_mOTU.out"],
    "dada2_seqtab_with_taxa": ["seafood_dada2/seqtab.nochim.csv", "seafood_dada2/taxa_sf2.csv"],
    "dada2_asv_rows_with_taxa": ["seafood_dada2/ASV.csv", "seafood_dada2/taxa.csv"],
    "dada2_seqtab_alone": ["seafood_dada2/seqtab.nochim.csv"],
    "qiime2_composition_l6": ["qiime2_tutorial/comp-gut-table-l6.qza"],
    "qiime2_taxonomy_of_another_table": ["qiime2_tutorial/data/table-dada2.qza", "qiime2_tutorial/data/taxonomy.qza"],
    "metaphlan4_vjan21_cami": [f"{BENCHPRO}/MetaPhlAn4"],
    "metaphlan3_cami": [f"{BENCHPRO}/MetaPhlAn3"],
    "metaphlan4_gtdb_r207": [f"{BENCHPRO}/MetaPhlAn4/GTDB/r207"],
    "sylph_tax": [f"{BENCHPRO}/sylph"],
    "motus3_cami_gi": [f"{BENCHPRO}/mOTUs3"],
    "mgtk_headerless": [f"{BENCHPRO}/MG-TK"],
    "protal_headerless": [f"{BENCHPRO}/protal"],
    "mothur_shared_with_taxonomy": ["mothur_ansc595/stability.opti_mcc.shared", "mothur_ansc595/stability.taxonomy"],
    "gmwi2_model_file": [str(SHARED / "gmwi2")],
    "krakenuniq": [f"{TAXPASTA_MORE}/krakenuniq/test3.krakenuniq.report.txt",
                   f"{TAXPASTA_MORE}/krakenuniq/ERR3201952.krakenuniq.report.txt"],
    "centrifuge_kreport": [f"{TAXPASTA_MORE}/centrifuge/AD_pe-db1.centrifuge.txt",
                           f"{TAXPASTA_MORE}/centrifuge/barcode52_se-db1.centrifuge.txt"],
    # refused on purpose: taxon ids without names (the message says to give kaiju2table names.dmp)
    "kaiju2table": [f"{TAXPASTA_MORE}/kaiju/barcode41_se-barcode41-kaiju.txt"],
    "ganon_tre": [f"{TAXPASTA_MORE}/ganon/2612_pe_ERR5766176_db1.ganon.tre"],
    # refused on purpose: references with ids only (the message says to give the taxonomy or -M/-C)
    "kmcp_profile": [f"{TAXPASTA_MORE}/kmcp/MOCK_002_Illumina_Hiseq_3000.k.profile"],
    "qiime1_otu_table_t2dm": ["t2dm_qiime1/otu_table.txt"],
    "qiime2_jangi2016_ms": ["jangi2016_ms/filt-feature-table.qza", "jangi2016_ms/hybrid-taxonomy.qza"],
    "maaslin2_filtered_psoriasis": ["psoriasis_maaslin/filtered_data.tsv"],
}
DADA2_PAIRS = (("seafood_dada2/seqtab.nochim.csv", "seafood_dada2/taxa_sf2.csv"),
               ("seafood_dada2/ASV.csv", "seafood_dada2/taxa.csv"))
QZA_PAIRS = {
    "crc16s (SILVA 138)": ("crc16s/table.qza", "crc16s/taxonomy.qza"),
    "movingpictures (Greengenes 13_8)": ("movingpictures/table-dada2.qza", "movingpictures/taxonomy.qza"),
    # 2 of its 1,322 features are not in the taxonomy: read as unassigned
    "jangi2016_ms (Greengenes names, hybrid classifier)": ("jangi2016_ms/filt-feature-table.qza",
                                                           "jangi2016_ms/hybrid-taxonomy.qza"),
}
MOTUS_PROFILES = ("taxpasta/tests/data/motus/2612_pe-ERR5766176-db_mOTU.out",
                  "taxpasta/tests/data/motus/2612_se-ERR5766180-db_mOTU.out")
METAPHLAN4 = ("taxpasta/tests/data/metaphlan/ERR7569997.txt", "taxpasta/tests/data/metaphlan/ERR7569998.txt")
BIOM_TWINS = ("biom_format/examples/rich_sparse_otu_table.biom", "biom_format/examples/rich_sparse_otu_table_hdf5.biom")


def say(*parts: object) -> None:
    print(*parts, flush=True)


# --- 1. the command line ------------------------------------------------------


def check_cli(root: Path, out: Path) -> None:
    gutbalance_cli = Path(sys.executable).with_name("gutbalance")
    for name, inputs in CLI_INPUTS.items():
        paths = [root / p for p in inputs]
        if not all(p.exists() for p in paths):
            say(f"cli {name}: skipped, {inputs[0]} absent")
            continue
        target = out / name
        shutil.rmtree(target, ignore_errors=True)  # a fresh run: analyze reuses parts of a previous one
        done = subprocess.run(
            [str(gutbalance_cli), "analyze", *map(str, paths), "-o", str(target)],
            capture_output=True,
            text=True,
            check=False,
        )
        scored = 0
        if (target / "scores.tsv").exists():
            scored = len(pd.read_csv(target / "scores.tsv", sep="\t", comment="#"))
        problems = []
        if (target / "problems.tsv").exists():
            problems = pd.read_csv(target / "problems.tsv", sep="\t")["message"].tolist()
        say(f"cli {name}: exit {done.returncode}, {scored} samples scored, {len(problems)} problems")
        for message in problems[:3]:
            say(f"    {message[:300]}")


# --- 2. GMWI2 against the GMWI2 tool's own output -------------------------------


def _gmwi2_pairs(root: Path) -> list[tuple[Path, Path, Path]]:
    pairs = []
    for folder in GMWI2_EXAMPLES:
        for profile in sorted((root / folder).glob("*_metaphlan.txt")):
            stem = profile.name[: -len("_metaphlan.txt")]
            score = profile.with_name(f"{stem}_GMWI2.txt")
            if score.exists():
                pairs.append((profile, score, profile.with_name(f"{stem}_GMWI2_taxa.txt")))
    return pairs


def check_gmwi2(root: Path) -> None:
    pairs = _gmwi2_pairs(root)
    if not pairs:
        say("gmwi2: skipped, no *_metaphlan.txt with a *_GMWI2.txt beside it")
        return
    worst, taxa_mismatch, compared = 0.0, [], 0
    for profile, score_file, taxa_file in pairs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
            cohort = gutbalance.read(profile)
        ours = float(gmwi2_table(cohort)["gmwi2"].iloc[0])
        theirs = float(score_file.read_text().split()[0])
        if math.isnan(ours):
            reason = gmwi2_table(cohort)["gmwi2_missing"].iloc[0]
            say(f"    {profile.name}: ours missing ({reason}), GMWI2 tool {theirs!r}; left out")
            continue
        compared += 1
        worst = max(worst, abs(ours - theirs))
        if abs(ours - theirs) > 1e-9:
            say(f"    {profile.name}: ours {ours!r}, GMWI2 tool {theirs!r}")
        if taxa_file.exists():
            their_taxa = set(pd.read_csv(taxa_file, sep="\t", index_col=0).index)
            our_taxa = {c["clade"] for c in gmwi2_contributions(cohort)[cohort.sample_names[0]]}
            if our_taxa != their_taxa:
                taxa_mismatch.append(profile.name)
    say(
        f"gmwi2: {compared} of {len(pairs)} profiles compared, largest |ours - GMWI2 tool| = {worst:.3g}; "
        f"contributing clades differ in {len(taxa_mismatch)} ({', '.join(taxa_mismatch) or 'none'})"
    )


# --- 3. GMHI: an independent implementation and the GAN-GMHI authors' values ----


def reference_gmhi(table: pd.DataFrame, mh: list[str], mn: list[str], mn_prime: float = 31) -> pd.Series:
    """GMHI of each column of a species x samples table (percent), step by step as
    GMHI.R of Gupta et al. 2020 (repository jaeyunsung/GMHI_2020) computes it."""
    keep = [s for s in table.index if "unclassified" not in s and "virus" not in s]
    p = table.loc[keep].astype(float)
    p = p / p.sum(axis=0)
    p = p.where(p >= 0.00001, 0.0)

    def psi(species: list[str], r_prime: float) -> pd.Series:
        sub = p.loc[[s for s in species if s in p.index]]
        logs = np.log(sub.where(sub > 0))
        shannon = -(sub * logs).sum(axis=0, skipna=True)
        richness = (sub > 0).sum(axis=0)
        return richness / r_prime * shannon

    return np.log10((psi(mh, 7) + 0.00001) / (psi(mn, mn_prime) + 0.00001))


def _species_list(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def _scores_of_table(root: Path, out: Path) -> pd.DataFrame | None:
    scores = out / "gan_gmhi_validation" / "scores.tsv"
    if not scores.exists():
        say("gmhi/auc: run the cli check first (gan_gmhi_validation/scores.tsv is absent)")
        return None
    return pd.read_csv(scores, sep="\t", comment="#").set_index("sample")


def check_gmhi(root: Path, out: Path) -> None:
    table_path = root / GAN_TABLE
    if not table_path.exists():
        say(f"gmhi: skipped, {GAN_TABLE} absent")
        return
    ours = _scores_of_table(root, out)
    mh_file, mn_file = SHARED / "gmhi" / "MH_species.txt", SHARED / "gmhi" / "MN_species.txt"
    if ours is None:
        return
    if not mh_file.exists():
        say(f"gmhi: skipped, {mh_file} absent (set GUTBALANCE_SHARED_DATA)")
        return
    table = pd.read_csv(table_path, index_col=0, encoding="utf-8-sig")
    independent = reference_gmhi(table, _species_list(mh_file), _species_list(mn_file))
    both = pd.DataFrame({"ours": ours["gmhi"], "independent": independent}).dropna(subset=["independent"])
    given = both["ours"].notna()
    diff = (both["ours"][given] - both["independent"][given]).abs()
    say(
        f"gmhi vs an independent GMHI.R re-implementation: {int(given.sum())} samples, "
        f"largest difference {diff.max():.3g}; {int((~given).sum())} missing in ours "
        f"(independent gives {sorted(set(both['independent'][~given].round(6)))} there)"
    )
    gan_path = root / GAN_GMHI
    if gan_path.exists():
        gan = pd.read_csv(gan_path).set_index("Sample_id")["R_GMHI"]
        joined = pd.DataFrame({"ours": ours["gmhi"], "gan": gan}).dropna()
        delta = joined["gan"] - joined["ours"]
        say(
            f"gmhi vs GAN-GMHI R_GMHI: {len(joined)} samples, Pearson r {joined.corr().iloc[0, 1]:.6f}, "
            f"their - ours: mean {delta.mean():.4f}, min {delta.min():.4f}, max {delta.max():.4f} "
            f"(log10(43/31) = {math.log10(43 / 31):.4f})"
        )
        # The offset is at most log10(43/31): R'_MN = 43 (the number of MN species) instead of 31.
        r43 = reference_gmhi(table, _species_list(mh_file), _species_list(mn_file), mn_prime=43)
        again = pd.DataFrame({"r43": r43, "gan": gan}).dropna()
        say(
            f"gmhi: GMHI.R with R'_MN = 43 against GAN-GMHI R_GMHI: {len(again)} samples, "
            f"largest difference {(again['r43'] - again['gan']).abs().max():.3g}"
        )


# --- 4. AUC on the labelled validation table ------------------------------------


def check_auc(root: Path, out: Path) -> None:
    labels_path = root / GAN_LABELS
    if not labels_path.exists():
        say(f"auc: skipped, {GAN_LABELS} absent")
        return
    from sklearn.metrics import roc_auc_score

    ours = _scores_of_table(root, out)
    if ours is None:
        return
    labels = pd.read_csv(labels_path, encoding="utf-8-sig").set_index("Sample_Ids")["Phenotype"]
    healthy = (labels == "Healthy").astype(int)
    for column in ("immune_support", "gmhi", "gmwi2", "shannon"):
        joined = pd.DataFrame({"y": healthy, "score": ours[column]}).dropna()
        auc = roc_auc_score(joined["y"], joined["score"])
        say(
            f"auc {column}: {auc:.3f} (healthy {int(joined['y'].sum())} vs unhealthy "
            f"{int((1 - joined['y']).sum())}, {len(labels) - len(joined)} without a value)"
        )


# --- 5. a sample's row does not depend on the batch ------------------------------


def check_batch(root: Path) -> None:
    files = [p for p, _, _ in _gmwi2_pairs(root)]
    # Other formats in the same batch: a Kraken report, a Bracken table, a Kraken .mpa.
    for name in ("kraken_report", "bracken_table", "bracken_mpa"):
        files += [root / p for p in CLI_INPUTS[name] if (root / p).exists()]
    if len(files) < 2:
        say("batch: skipped, fewer than two profiles")
        return
    # Both orders: the cohort keeps the first input's version of a taxon, so
    # one order can hide what the other shows (a Bracken species table before
    # a Kraken report of the same run strips the lineages of the report's
    # species the lineage table does not place; the reverse order does not).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
        orders = [gutbalance.score(gutbalance.read(order)) for order in (files, files[::-1])]
        changed = []
        for path in files:
            alone = gutbalance.score(gutbalance.read(path))
            name = alone.index[0]
            numbers = alone.select_dtypes("number").columns
            a = alone.loc[name, numbers].astype(float)
            for together in orders:
                b = together.loc[name, numbers].astype(float)
                same = all((math.isnan(x) and math.isnan(y)) or x == y for x, y in zip(a, b, strict=True))
                if not same:
                    changed.append(name)
                    break
    say(f"batch: {len(files)} samples alone vs together (in input order and reversed): {len(changed)} rows differ {changed}")


# --- 6. amplicon and newer-profiler inputs -----------------------------------------


def _qza_member(path: Path, suffix: str) -> bytes:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith(suffix))
        return archive.read(name)


def _quiet_read(paths: list[Path]):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
        return gutbalance.read(paths)


def check_amplicon(root: Path) -> None:
    import io

    import biom
    import h5py
    from skbio.diversity.alpha import shannon

    for name, (table_path, taxonomy_path) in QZA_PAIRS.items():
        table_file, taxonomy_file = root / table_path, root / taxonomy_path
        if not (table_file.exists() and taxonomy_file.exists()):
            say(f"amplicon {name}: skipped, {table_path} absent")
            continue
        with h5py.File(io.BytesIO(_qza_member(table_file, "data/feature-table.biom")), "r") as f:
            features = biom.Table.from_hdf5(f).to_dataframe(dense=True)
        taxa = pd.read_csv(io.BytesIO(_qza_member(taxonomy_file, "data/taxonomy.tsv")), sep="\t", index_col=0)
        lineage = taxa["Taxon"].reindex(features.index)

        def phylum(text: object) -> str | None:
            parts = [p.strip() for p in str(text).split(";")]
            return next((p[3:] for p in parts if p.startswith("p__") and len(p) > 3), None)

        independent = (features / features.sum(axis=0)).groupby(lineage.map(phylum)).sum().T.sum(axis=1)
        cohort = _quiet_read([table_file, taxonomy_file])
        ours = cohort.at_rank("phylum").sum(axis=1).reindex(independent.index)
        genera = cohort.at_rank("genus", include_unclassified=False)
        scores = gutbalance.score(cohort)
        skbio_shannon = pd.Series(
            [shannon(row[row > 0] / row.sum()) if row.sum() > 0 else np.nan for row in genera.to_numpy()],
            index=genera.index,
        )
        say(
            f"amplicon {name}: {cohort.n_samples} samples; phyla per sample sum {ours.min():.6f}-{ours.max():.6f}, "
            f"largest |ours - pandas by p__| = {float((ours - independent).abs().max()):.2g}; placed >= "
            f"{cohort.samples['placed'].min():.4f}; genus Shannon vs scikit-bio "
            f"{float((scores['shannon'] - skbio_shannon)[scores['diversity_rank'] == 'genus'].abs().max()):.2g} "
            "(genus-rank samples); diversity_rank "
            f"{sorted(set(scores['diversity_rank']))}; GMHI/GMWI2 missing in "
            f"{int(scores['gmhi'].isna().sum())}/{int(scores['gmwi2'].isna().sum())}"
        )
    for relative in MOTUS_PROFILES:
        path = root / relative
        if not path.exists():
            say(f"amplicon motus: skipped, {relative} absent")
            continue
        raw = pd.read_csv(path, sep="\t", comment=None, skiprows=2)
        reads = raw.iloc[:, -1].astype(float)
        unassigned = float(reads[raw.iloc[:, 0] == "unassigned"].sum() / reads.sum())
        cohort = _quiet_read([path])
        species = float(cohort.at_rank("species").sum(axis=1).iloc[0])
        say(
            f"amplicon motus {path.name}: unassigned {cohort.samples['unassigned'].iloc[0]:.6f} (file "
            f"{unassigned:.6f}), species total {species:.6f} (file {1 - unassigned:.6f}), "
            f"{len(reads)} rows, {int((reads > 0).sum())} non-zero"
        )
    for relative in METAPHLAN4:
        path = root / relative
        if not path.exists():
            say(f"amplicon metaphlan4: skipped, {relative} absent")
            continue
        rows = pd.read_csv(path, sep="\t", comment="#", header=None, usecols=[0, 2], names=["clade", "percent"])
        species = rows[rows["clade"].str.contains("s__") & ~rows["clade"].str.contains("t__")]
        cohort = _quiet_read([path])
        scores = gutbalance.score(cohort)
        theirs = shannon(species["percent"].to_numpy() / species["percent"].sum())
        say(
            f"amplicon metaphlan4 {path.name}: {cohort.samples['database'].iloc[0]!r}; {len(species)} s__ rows, "
            f"richness {scores['richness'].iloc[0]:g}; Shannon ours {scores['shannon'].iloc[0]:.6f}, scikit-bio "
            f"over the s__ rows {theirs:.6f}; GMWI2 {scores['gmwi2'].iloc[0]}, GMHI {scores['gmhi'].iloc[0]}"
        )
    for seqtab_path, taxa_path in DADA2_PAIRS:
        seqtab_file, taxa_file = root / seqtab_path, root / taxa_path
        if not (seqtab_file.exists() and taxa_file.exists()):
            say(f"amplicon dada2: skipped, {seqtab_path} absent")
            continue
        seqtab = pd.read_csv(seqtab_file, index_col=0)
        if seqtab.index.astype(str).str.fullmatch(r"[ACGTN]{50,}").mean() > 0.5:
            seqtab = seqtab.T  # sequences as rows
        seqtab.index = seqtab.index.astype(str)
        phyla = pd.read_csv(taxa_file, index_col=0)["Phylum"].reindex(seqtab.columns)
        independent = seqtab.div(seqtab.sum(axis=1), axis=0).T.groupby(phyla).sum().T.sum(axis=1)
        cohort = _quiet_read([seqtab_file, taxa_file])
        ours = cohort.at_rank("phylum").sum(axis=1).reindex(independent.index)
        say(
            f"amplicon dada2 {seqtab_path}: {cohort.n_samples} samples (the table's rows: {len(seqtab)}); largest "
            f"|phyla ours - pandas by the Phylum column| = {float((ours - independent).abs().max()):.2g}"
        )
    twins = [root / p for p in BIOM_TWINS]
    if all(p.exists() for p in twins):
        a, b = (gutbalance.score(_quiet_read([p])) for p in twins)
        same = a.drop(columns=["warnings"]).equals(b.drop(columns=["warnings"]))
        say(f"amplicon biom: JSON 1.0 and HDF5 2.1 of one table give identical scores: {same}")
    else:
        say("amplicon biom: skipped, biom_format/examples absent")


# --- 7. readers: tables refused or misread before ----------------------------------

CRC = "crc16s"
GREENGENES_TABLES = {
    "movingpictures (QIIME 2, Greengenes 13_8)": ["movingpictures/table-dada2.qza", "movingpictures/taxonomy.qza"],
    "David 2014 (QIIME 1 taxa table, Greengenes)": ["mlrepo_david/datasets/david/gg/taxatable.txt"],
    "Morgan 2012 (QIIME 1 taxa table, Greengenes)": ["morgan2012_ibd/gg/taxatable.txt"],
}
SCORE_COLUMNS = ["immune_support", "training", "homeostasis", "nutrients", "barrier", "defense", "shannon", "richness"]


def _genus_of(text: object) -> str | None:
    parts = [p.strip() for p in str(text).split(";")]
    return next((p[3:] for p in parts if p.startswith("g__") and len(p) > 3), None)


def _cut_at_genus(text: object) -> str:
    parts = [p.strip() for p in str(text).split(";")]
    return "; ".join(parts[: next(i for i, p in enumerate(parts) if p.startswith("g__")) + 1])


def _qza_route(table, taxa: pd.Series, genera: set[str], samples: list[str], folder: Path) -> pd.DataFrame:
    """Scores of ``samples`` from the ASVs whose SILVA genus is in ``genera``,
    written as BIOM with their lineages cut at genus (biom-format, pandas)."""
    import h5py

    keep = [i for i in table.ids(axis="observation") if _genus_of(taxa.get(i)) in genera]
    sub = table.filter(keep, axis="observation", inplace=False).filter(samples, axis="sample", inplace=False)
    with h5py.File(folder / "asvs.biom", "w") as f:
        sub.to_hdf5(f, "check_public_data readers")
    lineages = taxa.loc[keep].map(_cut_at_genus).rename_axis("Feature ID").to_frame()
    lineages.assign(Confidence=1).to_csv(folder / "taxonomy.tsv", sep="\t")
    return gutbalance.score(_quiet_read([folder / "asvs.biom", folder / "taxonomy.tsv"])).reindex(samples)


def check_readers_crc(root: Path, out: Path) -> None:
    import io

    import biom
    import h5py

    from gutbalance.taxonomy import canonical_name
    from gutbalance.taxonomy.placement import lineage_table

    csv_path = root / CRC / "genus.csv.csv"
    if not csv_path.exists():
        say(f"readers crc16s: skipped, {CRC}/genus.csv.csv absent")
        return
    try:
        gutbalance.read(csv_path)
        say("readers crc16s: read without --feature-rank (expected a refusal)")
    except gutbalance.errors.FormatError as exc:
        say(f"readers crc16s: without --feature-rank: {str(exc)[len(str(csv_path)) + 2:][:160]}...")
    csv = pd.read_csv(csv_path, skipinitialspace=True, index_col=0)
    cohort = _quiet_read_rank(csv_path)
    known = {n for n in csv.columns if f"g__{canonical_name('genus', n)}" in lineage_table().parents}
    placed = cohort.samples["placed"]
    weights = csv.sum(axis=1).reindex(placed.index)
    say(f"readers crc16s: --feature-rank genus: {cohort.n_samples} samples, {csv.shape[1]} genus names, {len(known)} "
        f"known to the lineage table; abundance reaching a phylum: pooled {float((placed * weights).sum() / weights.sum()):.4f}, "
        f"median sample {float(placed.median()):.4f}, lowest {float(placed.min()):.4f}")
    with h5py.File(io.BytesIO(_qza_member(root / CRC / "table.qza", "data/feature-table.biom")), "r") as f:
        table = biom.Table.from_hdf5(f)
    taxa = pd.read_csv(io.BytesIO(_qza_member(root / CRC / "taxonomy.qza", "data/taxonomy.tsv")), sep="\t",
                       index_col=0)["Taxon"]
    folder = out / "readers_crc16s"
    folder.mkdir(parents=True, exist_ok=True)
    samples = list(csv.index)
    for label, names in (("the genera the lineage table knows", sorted(known)),
                         ("every named genus but 'uncultured' (the CSV's is not the sum of its ASVs)",
                          [n for n in csv.columns if n != "uncultured"])):
        csv[names].to_csv(folder / "genera.csv", index_label="SampleID")
        ours = gutbalance.score(_quiet_read_rank(folder / "genera.csv"))
        theirs = _qza_route(table, taxa, set(names), samples, folder)
        numeric = [c for c in ours.columns if ours[c].dtype.kind == "f"]
        diff = (ours[numeric] - theirs[numeric]).abs()
        nan_mismatch = [c for c in numeric if (ours[c].isna() != theirs[c].isna()).any()]
        worst = diff.max().sort_values(ascending=False).head(3)
        say(f"readers crc16s vs .qza ASVs, {label} ({len(names)}): {len(samples)} samples, largest |CSV - qza| over "
            f"{len(numeric)} columns {float(np.nanmax(diff.to_numpy())):.3g} ("
            + ", ".join(f"{c} {v:.3g}" for c, v in worst.items()) + f"); NaN in one route only: {nan_mismatch or 'none'}")


def _quiet_read_rank(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
        return gutbalance.read(path, feature_rank="genus")


def check_readers_greengenes(root: Path) -> None:
    from gutbalance.io import feature_table

    def read(paths: list[Path], cut: bool):
        kept = feature_table.disputed_genera
        if not cut:  # the reading before the family cut
            feature_table.disputed_genera = lambda lineage: (lineage, "")
        try:
            return _quiet_read(paths)
        finally:
            feature_table.disputed_genera = kept

    for name, relative in GREENGENES_TABLES.items():
        paths = [root / p for p in relative]
        if not all(p.exists() for p in paths):
            say(f"readers greengenes {name}: skipped, {relative[0]} absent")
            continue
        before, after = read(paths, False), read(paths, True)
        was = before.at_rank("genus")["g__Ruminococcus"]
        now = after.at_rank("genus")["g__Ruminococcus"].reindex(was.index)
        a, b = gutbalance.score(before), gutbalance.score(after).reindex(was.index)
        change = (b[SCORE_COLUMNS] - a[SCORE_COLUMNS]).abs()
        say(f"readers greengenes {name}: {len(was)} samples; genus Ruminococcus mean {was.mean():.4f} -> {now.mean():.4f} "
            f"(moved to Lachnospiraceae in {int(((was - now) > 1e-12).sum())} samples, up to {(was - now).max():.4f}); "
            f"rows changed {int((change.max(axis=1) > 1e-12).sum())}; largest change "
            + ", ".join(f"{c} {change[c].max():.3g}" for c in SCORE_COLUMNS))


def check_readers_gmwi2_outputs(root: Path) -> None:
    folders = [root / p for p in GMWI2_EXAMPLES if (root / p).exists()]
    if not folders:
        say("readers gmwi2 outputs: skipped, gmwi2_repo absent")
        return
    result = gutbalance.read_batch(folders)
    named = [p for p in result.failed if p.message.startswith("not a profile: ")]
    kinds = {"score": sum("_GMWI2.txt" in Path(p.file).name for p in named),
             "taxa": sum("_GMWI2_taxa.txt" in Path(p.file).name for p in named)}
    names = list(result.cohort.sample_names) if result.cohort is not None else []
    say(f"readers gmwi2 outputs: {len(names)} samples scored, {len(named)} files named as not profiles "
        f"({kinds['score']} scores, {kinds['taxa']} taxa lists), samples named 'coefficient': "
        f"{names.count('coefficient')}; other errors: {[p.message[:80] for p in result.failed if p not in named]}")


def check_readers_fit_weeks(out: Path) -> None:
    metadata = IHMP / "metadata.tsv"
    if not metadata.exists():
        say("readers fit weeks: skipped, iHMP absent")
        return
    from gutbalance.simulate.model import load_model

    meta = pd.read_csv(metadata, sep="\t")
    yes = meta[meta["Antibiotics"] == "Yes"][["Subject", "week_num"]].dropna()
    windows = pd.DataFrame({"name": "Antibiotics", "start": yes["week_num"], "end": yes["week_num"] + 1,
                            "subject": yes["Subject"]})
    folder = out / "readers_fit"
    folder.mkdir(parents=True, exist_ok=True)
    windows.to_csv(folder / "weeks_perturbations.tsv", sep="\t", index=False)
    windows.assign(start=windows["start"] * 7, end=windows["end"] * 7).to_csv(folder / "days_perturbations.tsv",
                                                                             sep="\t", index=False)
    meta.assign(week_num=meta["week_num"] * 7).to_csv(folder / "days_metadata.tsv", sep="\t", index=False)
    gutbalance_cli = Path(sys.executable).with_name("gutbalance")
    models = {}
    for unit, meta_file in (("weeks", metadata), ("days", folder / "days_metadata.tsv")):
        target = folder / f"{unit}.npz"
        done = subprocess.run(
            [str(gutbalance_cli), "fit", str(IHMP / "species.tsv"), "--metadata", str(meta_file), "--perturbations",
             str(folder / f"{unit}_perturbations.tsv"), "--subject-column", "Subject", "--time-column", "week_num",
             "--time-unit", unit, "--members", "0", "-o", str(target)],
            capture_output=True, text=True, check=False,
        )
        say(f"readers fit {unit}: exit {done.returncode}: {done.stdout.strip().splitlines()[-1] if done.stdout else done.stderr[-200:]}")
        if done.returncode == 0:
            models[unit] = load_model(target)
    if len(models) == 2:
        a, b = models["weeks"], models["days"]
        worst = max(float(np.nanmax(np.abs(getattr(a, k) - getattr(b, k)))) for k in ("growth", "interactions", "effects"))
        say(f"readers fit: --time-unit weeks against week_num x 7 by hand: same taxa {a.taxa == b.taxa}, largest "
            f"parameter difference {worst:.3g}")


def check_readers(root: Path, out: Path) -> None:
    check_readers_crc(root, out)
    check_readers_greengenes(root)
    check_readers_gmwi2_outputs(root)
    check_readers_fit_weeks(out)
    check_readers_zeller(root, out)


def _zeller_first_runs(root: Path) -> list[str]:
    """Each person's first sequencing run in HMgDB's table (pandas: the first
    ``library_id`` of each ``sample_id``)."""
    runs = pd.read_csv(root / ZELLER / ZELLER_RUNS, usecols=["library_id", "sample_id"], dtype=str)
    return runs.drop_duplicates("sample_id")["library_id"].tolist()


def check_readers_zeller(root: Path, out: Path) -> None:
    """HMgDB's table of Zeller et al. 2014's runs as metadata (its unique
    first column names the runs, ``sample_id`` repeats), and each person's
    first run scored alone (all first runs together) against the same run
    among all 1,261: a row depends on its sample only."""
    folder = root / ZELLER / "profiles"
    if not folder.is_dir():
        say(f"readers zeller2014: skipped, {ZELLER} absent")
        return
    table = root / ZELLER / ZELLER_RUNS
    meta = read_metadata(table)
    raw = pd.read_csv(table, usecols=["library_id", "sample_id", "HMgDB_diagnosis"], dtype=str)
    files = sorted(folder.glob("*.profile"))
    named = sum(f.stem in meta.index for f in files)
    by_first = list(meta.index) == raw["library_id"].tolist()
    say(f"readers zeller2014 metadata: {len(meta)} rows named by the first column, library_id: {by_first} "
        f"(unique: {meta.index.is_unique}); "
        f"{named} of {len(files)} profiles named in it; {raw['sample_id'].nunique()} people; diagnoses "
        f"{raw.drop_duplicates('sample_id')['HMgDB_diagnosis'].value_counts().to_dict()}")
    gutbalance_cli = Path(sys.executable).with_name("gutbalance")
    first = _zeller_first_runs(root)
    # all runs, also cut into chunks of 100 files; each person's first run
    targets = {"all": ([folder], []), "all_chunks_of_100": ([folder], ["--chunk-files", "100"]),
               "first": ([folder / f"{run}.profile" for run in first], [])}
    rows = {}
    for name, (inputs, options) in targets.items():
        target = out / f"zeller2014_{name}_runs"
        shutil.rmtree(target, ignore_errors=True)
        started = time.perf_counter()
        done = subprocess.run([str(gutbalance_cli), "analyze", *map(str, inputs), "-o", str(target), "--reports", "none",
                               *options], capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        lines = (target / "scores.tsv").read_text(encoding="utf-8").splitlines() if done.returncode == 0 else []
        rows[name] = {line.split("\t", 1)[0]: line for line in lines if not line.startswith("#")}
        problems = pd.read_csv(target / "problems.tsv", sep="\t") if (target / "problems.tsv").exists() else []
        say(f"readers zeller2014 analyze {name} runs: exit {done.returncode}, {len(rows[name]) - 1} samples scored, "
            f"{len(problems)} problems, {seconds:.0f} s")
    chunked = out / "zeller2014_all_chunks_of_100_runs" / "scores.tsv"
    same = chunked.exists() and chunked.read_bytes() == (out / "zeller2014_all_runs" / "scores.tsv").read_bytes()
    say(f"readers zeller2014: all runs in chunks of 100 files vs of 1,000: scores.tsv byte-identical: {same}")
    differ = [run for run in first if rows["first"].get(run) != rows["all"].get(run)]
    say(f"readers zeller2014: {len(first)} first runs scored among themselves vs among all 1,261 runs: "
        f"{len(differ)} rows differ (byte for byte) {differ[:3]}")


# --- 8. following people over time, and simulating them ---------------------------

IHMP = SHARED / "labelled" / "ihmp_ibdmdb2019"
MDSINE2 = SHARED / "dynamics" / "mdsine2_gibson_healthy"
BIOBAKERY = "biobakery_workflows/examples/tutorial/stats_vis/input"
DAVID = "mlrepo_david/datasets/david"
#: Zeller et al. 2014's mOTUs 3 CAMI runs and HMgDB's table of them (KoslickiLab/L2-UniFrac-Paper)
ZELLER = "zeller2014_motus3"
ZELLER_RUNS = "hmgdb_adenoma_bioproject266076.csv"
PILLARS = ["training", "homeostasis", "nutrients", "barrier", "defense"]


def _time_runs(root: Path) -> dict[str, tuple[list[Path], list[str]]]:
    """analyze runs with each study's own metadata: inputs and the metadata options."""
    runs = {}
    if IHMP.exists():
        runs["ihmp_week_num"] = ([IHMP / "species.tsv"], ["--metadata", str(IHMP / "metadata.tsv"),
                                 "--subject-column", "Subject", "--time-column", "week_num"])
    else:
        say(f"time: iHMP skipped, {IHMP} absent")
    if (root / BIOBAKERY).exists():
        runs["biobakery_transposed_metadata"] = (
            [root / BIOBAKERY / "metaphlan_taxonomic_profiles.tsv"],
            ["--metadata", str(root / BIOBAKERY / "HMP2_metadata_subset.tsv"), "--subject-column", "subject"])
    else:
        say(f"time: bioBakery skipped, {BIOBAKERY} absent")
    if (root / DAVID).exists():
        runs["david2014_crossover"] = ([root / DAVID / "gg" / "taxatable.txt"],
                                       ["--metadata", str(root / DAVID / "mapping-orig.txt"),
                                        "--subject-column", "SubjectFood,Diet", "--time-column", "Day"])
    else:
        say(f"time: David 2014 skipped, {DAVID} absent")
    if (root / ZELLER).exists():
        # 1-16 sequencing runs of each person's stool sample: a page per person, the runs in the table's order
        runs["zeller2014_runs_per_person"] = ([root / ZELLER / "profiles"],
                                              ["--metadata", str(root / ZELLER / ZELLER_RUNS),
                                               "--subject-column", "sample_id"])
    else:
        say(f"time: Zeller 2014 skipped, {ZELLER} absent")
    return runs


def check_time_cli(root: Path, out: Path) -> dict[str, Path]:
    gutbalance_cli = Path(sys.executable).with_name("gutbalance")
    done_runs = {}
    for name, (inputs, options) in _time_runs(root).items():
        target = out / name
        shutil.rmtree(target, ignore_errors=True)
        started = time.perf_counter()
        done = subprocess.run([str(gutbalance_cli), "analyze", *map(str, inputs), "-o", str(target), *options],
                              capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        pages = len(list((target / "subjects").glob("*.html"))) if (target / "subjects").exists() else 0
        scored = len(pd.read_csv(target / "scores.tsv", sep="\t", comment="#")) if (target / "scores.tsv").exists() else 0
        say(f"time cli {name}: exit {done.returncode}, {scored} samples scored, {pages} timeline pages, {seconds:.0f} s")
        for line in done.stderr.splitlines():
            if line.startswith(("warning", "timelines", "gutbalance: error", "Error")):
                say(f"    {line[:300]}")
        if done.returncode in (0, 1):
            done_runs[name] = target
    if "ihmp_week_num" in done_runs:
        target = done_runs["ihmp_week_num"]
        again = subprocess.run([str(gutbalance_cli), "report", str(target), "--time-column", "date_of_receipt"],
                               capture_output=True, text=True, check=False)
        page = (target / "subjects" / "C3001.html")
        dated = page.exists() and "date_of_receipt</th>" in page.read_text(encoding="utf-8")
        say(f"time cli ihmp report --time-column date_of_receipt: exit {again.returncode}, C3001 page by date: {dated}")
    return done_runs


def _day0_worst(cohort, scores: pd.DataFrame, names) -> tuple[float, int, list[str]]:
    worst, compared, failed = 0.0, 0, []
    for sample in names:
        try:
            day0 = simulate(cohort, Scenario(days=1), sample=sample).pillars.iloc[0]
        except gutbalance.GutBalanceError as exc:
            failed.append(f"{sample}: {exc}")
            continue
        compared += 1
        for pillar in PILLARS:
            a, b = float(day0[pillar]), float(scores.loc[sample, pillar])
            if not (math.isnan(a) and math.isnan(b)):
                worst = max(worst, abs(a - b) if not (math.isnan(a) or math.isnan(b)) else math.inf)
    return worst, compared, failed


def check_time_day0(root: Path, runs: dict[str, Path]) -> None:
    """Every profile of each set simulated for a day: its day-0 pillars against analyze's scores.tsv."""
    sets = {"ihmp_week_num": IHMP / "species.tsv",
            "biobakery_transposed_metadata": root / BIOBAKERY / "metaphlan_taxonomic_profiles.tsv",
            "david2014_crossover": root / DAVID / "gg" / "taxatable.txt"}
    kefir = SHARED / "profiles" / "kefir_metaphlan3"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
        for name, path in sets.items():
            if name not in runs:
                continue
            cohort = gutbalance.read(path)
            scores = pd.read_csv(runs[name] / "scores.tsv", sep="\t", comment="#").set_index("sample")
            worst, compared, failed = _day0_worst(cohort, scores, cohort.sample_names)
            say(f"time day0 {name}: {compared} profiles simulated, largest |day-0 pillar - analyze| = {worst:.3g}; "
                f"{len(failed)} refused {failed[:2]}")
        if "zeller2014_runs_per_person" in runs:
            # each person's first run (0.2 s a simulation: all 1,261 runs would take minutes)
            first = _zeller_first_runs(root)
            cohort = gutbalance.read([root / ZELLER / "profiles" / f"{run}.profile" for run in first])
            scores = pd.read_csv(runs["zeller2014_runs_per_person"] / "scores.tsv", sep="\t",
                                 comment="#").set_index("sample")
            worst, compared, failed = _day0_worst(cohort, scores, cohort.sample_names)
            say(f"time day0 zeller2014 (each person's first run): {compared} profiles simulated, largest |day-0 pillar"
                f" - analyze of all 1,261 runs| = {worst:.3g}; {len(failed)} refused {failed[:2]}")
        if kefir.exists():
            cohort = gutbalance.read(sorted(kefir.glob("*.txt")))
            worst, compared, failed = _day0_worst(cohort, gutbalance.score(cohort), cohort.sample_names)
            say(f"time day0 kefir: {compared} profiles, largest |day-0 pillar - score()| = {worst:.3g}; {len(failed)} refused")


def _after(result, day: float) -> pd.Series:
    pillars = result.pillars.set_index("time")
    return pillars.iloc[int(np.argmin(np.abs(pillars.index.to_numpy() - day)))]


def check_time_direction(root: Path, runs: dict[str, Path]) -> None:
    """What the real series show after a perturbation, against the simulated direction."""
    cols = ["shannon", "nutrients", "barrier", "defense"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
        if (MDSINE2 / "counts.tsv").exists():
            cohort = read_table(MDSINE2 / "counts.tsv", MDSINE2 / "silva_species.tsv")
            scores = gutbalance.score(cohort)
            meta = read_metadata(MDSINE2 / "metadata.tsv").join(scores[cols])
            meta = meta[meta["subject"].astype(str) != "1"]  # mouse 1 has only the first week
            family, taxa = cohort.rank_matrix("family", renormalize=True)
            entero = pd.Series(family[:, list(taxa["name"].astype(str)).index("Enterobacteriaceae")].toarray().ravel(),
                               index=cohort.sample_names)
            meta["enterobacteriaceae"] = entero.reindex(meta.index)
            windows = {"before d30-35.5": (30, 35.5), "during d39-42.5": (39, 42.5), "after d55-65": (55, 65)}
            real = pd.DataFrame({k: meta[(meta.time >= a) & (meta.time <= b)].groupby("subject")[
                [*cols, "enterobacteriaceae"]].mean().mean() for k, (a, b) in windows.items()})
            say("time direction MDSINE2 vancomycin days 35.5-42.5, real (mean of mice 2-5):\n"
                + real.round(3).to_string())
            sims = []
            for subject, rows in meta[(meta.time >= 30) & (meta.time <= 35.5)].groupby("subject"):
                start = rows.sort_values("time").index[-1]
                result = simulate(cohort, Scenario(days=25, antibiotics=[parse_antibiotic("vancomycin:days=0-7")]),
                                  sample=start)
                traj = result.trajectory.set_index("time")
                guilds = traj[GUILDS]
                sims.append({"mouse": subject,
                             **{f"{c} d0": _after(result, 0)[c] for c in cols[1:]},
                             **{f"{c} d5": _after(result, 5)[c] for c in cols[1:]},
                             **{f"{c} d22": _after(result, 22)[c] for c in cols[1:]},
                             "butyrate producers d5/d0": traj["butyrate_producers"].iloc[
                                 int(np.argmin(np.abs(traj.index.to_numpy() - 5)))] / traj["butyrate_producers"].iloc[0],
                             "facultative d5/d0": traj["facultative_pathobionts"].iloc[
                                 int(np.argmin(np.abs(traj.index.to_numpy() - 5)))] / traj["facultative_pathobionts"].iloc[0],
                             "facultative share d0": guilds["facultative_pathobionts"].iloc[0] / guilds.iloc[0].sum(),
                             "facultative share d4-7": float((guilds["facultative_pathobionts"] / guilds.sum(axis=1))
                                                             .loc[4.0:7.0].mean())})
            # per mouse: a fold from a guild the profile lacks starts at the detection limit (1e-5 of the load),
            # so a mean of the four folds says little (mice 2-4 carry none at day 35.5, mouse 5 carries 0.05 %)
            sims_frame = pd.DataFrame(sims).set_index("mouse")
            say("time direction MDSINE2 vancomycin (signal 0.5, the human default), simulated days 0-7 from each "
                "mouse's last sample before day 35.5, per mouse and mean:\n"
                + pd.concat([sims_frame.T, sims_frame.mean().rename("mean")], axis=1).round(4).to_string())
        else:
            say(f"time direction MDSINE2: skipped, {MDSINE2} absent")
        if "ihmp_week_num" in runs:
            meta = read_metadata(IHMP / "metadata.tsv")
            scores = pd.read_csv(runs["ihmp_week_num"] / "scores.tsv", sep="\t", comment="#").set_index("sample")
            joined = meta.join(scores[cols], how="inner").sort_values(["Subject", "week_num"])
            steps, starts = [], []
            for _, rows in joined.groupby("Subject"):
                for before, after in zip(rows.index[:-1], rows.index[1:]):
                    kind = f"{rows.loc[before, 'Antibiotics']}->{rows.loc[after, 'Antibiotics']}"
                    steps.append({"kind": kind, **(rows.loc[after, cols] - rows.loc[before, cols]).to_dict()})
                    if kind == "No->Yes":
                        starts.append(before)
            table = pd.DataFrame(steps).groupby("kind")[cols].agg(["median", "count"])
            say("time direction iHMP, change between consecutive visits by antibiotics (No/Yes), median:\n"
                + table.round(2).to_string())
            cohort = gutbalance.read(IHMP / "species.tsv")
            moved = [(_after(r, 5)[PILLARS] - _after(r, 0)[PILLARS]) for r in
                     (simulate(cohort, Scenario(days=14, antibiotics=[parse_antibiotic("amoxicillin:days=0-5")]),
                               sample=s) for s in starts)]
            say(f"time direction iHMP, simulated amoxicillin days 0-5 from the {len(starts)} visits before a No->Yes, "
                "day 5 - day 0, median: " + pd.DataFrame(moved).median().round(2).to_string().replace("\n", "; "))
        if "david2014_crossover" in runs:
            meta = read_metadata(root / DAVID / "mapping-orig.txt")
            meta = meta[meta["Diet"].isin(["Plant", "Animal"])]
            scores = pd.read_csv(runs["david2014_crossover"] / "scores.tsv", sep="\t", comment="#").set_index("sample")
            joined = meta.join(scores[cols], how="inner")
            joined["phase"] = np.where(joined["Day"] < 0, "baseline", np.where(joined["Day"] <= 4, "diet", "washout"))
            per = joined.groupby(["Diet", "SubjectFood", "phase"])[cols].mean()
            delta = (per.xs("diet", level="phase") - per.xs("baseline", level="phase")).dropna()
            say("time direction David 2014, diet days 0-4 minus baseline, median over people:\n"
                + delta.groupby(level="Diet").median().round(2).to_string())
            cohort = gutbalance.read(root / DAVID / "gg" / "taxatable.txt")
            sims = []
            for (diet, _), rows in joined[joined["phase"] == "baseline"].groupby(["Diet", "SubjectFood"]):
                start = rows.sort_values("Day").index[-1]
                result = simulate(cohort, Scenario(days=5, fibre=0.5 if diet == "Plant" else -0.5), sample=start)
                sims.append({"Diet": diet, **(_after(result, 4)[PILLARS] - _after(result, 0)[PILLARS]).to_dict()})
            say("time direction David 2014, simulated fibre +50 % (plant) / -50 % (animal), day 4 - day 0, median:\n"
                + pd.DataFrame(sims).groupby("Diet").median().round(2).to_string())


def check_time(root: Path, out: Path) -> None:
    runs = check_time_cli(root, out)
    check_time_day0(root, runs)
    check_time_direction(root, runs)


# --- 8. shapes of other labs' profilers (--only shapes) ------------------------------------------


def _gtdb_plain(name: str) -> str:
    """A GTDB species name without its placeholder suffixes (``Clostridium_F
    botulinum`` -> ``Clostridium botulinum``), as gutbalance's names are compared."""
    return " ".join(re.sub(r"_[A-Z]+$", "", word) for word in name.split(" "))


def _shannon_by_rows(rows: list[tuple[str, float]]) -> float:
    grouped: dict[str, float] = {}
    for name, value in rows:
        grouped[name] = grouped.get(name, 0.0) + value
    return float(shannon(np.array([v for v in grouped.values() if v > 0])))


def check_shapes(root: Path) -> None:
    """MetaPhlAn 4 (vJan21) and 3 in CAMI layout, their GTDB conversion,
    sylph-tax, MG-TK, protal and ganon: species Shannon against scikit-bio
    over the file's own species rows (GTDB suffixes merged, as gutbalance
    does); ganon's unassigned share against the file's; mothur: phyla against a
    pandas sum of the shared file by the taxonomy's phylum, Shannon against
    scikit-bio over gutbalance's vector at each sample's rank without
    placeholders; the file's own OTU sizes against the shared file; SingleM
    (:func:`_check_singlem`)."""
    folder = root / BENCHPRO
    if not folder.is_dir():
        say(f"shapes benchpro: skipped, {BENCHPRO} absent")
    else:
        layouts = {
            "MetaPhlAn4": ("*.profile.tsv", lambda f: [(r[3].split("|")[-1], float(r[4])) for r in f if r[1] == "species"]),
            "MetaPhlAn3": ("*.profile.tsv", lambda f: [(r[3].split("|")[-1], float(r[4])) for r in f if r[1] == "species"]),
            "MetaPhlAn4/GTDB/r207": ("*.tsv", lambda f: [(_gtdb_plain(r[0].split(";s__")[1]), float(r[1]))
                                                     for r in f if ";s__" in r[0]]),
            "sylph": ("*.profile", lambda f: [(_gtdb_plain(r[0].split("|s__")[1]), float(r[1]))
                                              for r in f if "|s__" in r[0] and "|t__" not in r[0]]),
            # headerless: lineage, fraction (MG-TK; "s__?" names no species) / genome, lineage, fraction (protal)
            "MG-TK": ("*.profile", lambda f: [(_gtdb_plain(r[0].split(";s__")[1]), float(r[1]))
                                              for r in f if ";s__" in r[0] and not r[0].endswith(";s__?")]),
            "protal": ("*.profile", lambda f: [(_gtdb_plain(r[1].split("|s__")[1]), float(r[2]))
                                               for r in f if "|s__" in r[1]]),
        }
        for name, (pattern, species_rows) in layouts.items():
            worst, n = 0.0, 0
            for path in sorted((folder / name).glob(pattern)):
                rows = [ln.split("\t") for ln in path.read_text().splitlines()
                        if ln and not ln.startswith(("#", "@", "clade_name"))]
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ours = float(score(gutbalance.read(path))["shannon"].iloc[0])
                worst = max(worst, abs(ours - _shannon_by_rows(species_rows(rows))))
                n += 1
            say(f"shapes {name}: {n} profiles read, species Shannon vs scikit-bio over the file's rows: {worst:.2g}")
    ganon = sorted(p for p in (root / TAXPASTA_MORE / "ganon").glob("*.tre") if not p.name.startswith("invalid"))
    if not ganon:
        say("shapes ganon: skipped, taxpasta_more absent")
    else:
        worst_shannon, worst_unassigned = 0.0, 0.0
        for path in ganon:
            report = pd.read_csv(path, sep="\t", header=None, dtype={1: str})
            report.columns = ["rank", "target", "lineage", "name", "unique", "shared", "children", "cumulative", "perc"]
            rows = list(report.loc[report["rank"] == "species", ["name", "perc"]].itertuples(index=False, name=None))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cohort = gutbalance.read(path)
                ours = float(score(cohort)["shannon"].iloc[0])
            worst_shannon = max(worst_shannon, abs(ours - _shannon_by_rows(rows)))
            outside = 1 - report.loc[report["rank"] == "superkingdom", "perc"].sum() / 100
            worst_unassigned = max(worst_unassigned, abs(cohort.samples["unassigned"].iloc[0] - outside))
        say(f"shapes ganon: {len(ganon)} reports read, species Shannon vs scikit-bio over the file's species rows: "
            f"{worst_shannon:.2g}; unassigned vs 100 % minus the superkingdom rows (pandas): {worst_unassigned:.2g}")
    uniq = root / TAXPASTA_MORE / "krakenuniq" / "test3.krakenuniq.report.txt"
    if not uniq.exists():
        say("shapes krakenuniq: skipped, taxpasta_more absent")
    else:
        report = pd.read_csv(uniq, sep="\t", comment="#")
        names = report["taxName"].str.strip()
        total = report.loc[names.isin(["unclassified", "root"]), "reads"].sum()
        in_domains = report.loc[report["rank"] == "superkingdom", "reads"].sum()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cohort = gutbalance.read(uniq)
        species = cohort.at_rank("species").iloc[0]
        kept = set(cohort.taxa.loc[species[species > 0].index, "original"])
        lost = sorted(set(names[report["rank"] == "species"]) - kept)
        say(f"shapes krakenuniq: unassigned {cohort.samples['unassigned'].iloc[0]:.6f} vs the file's reads outside "
            f"a domain {1 - in_domains / total:.6f}; species of the file not in the cohort: {lost}")
    otus = root / "t2dm_qiime1" / "otu_table.txt"
    if not otus.exists():
        say("shapes qiime1: skipped, t2dm_qiime1 absent")
    else:
        table = pd.read_csv(otus, sep="\t", skiprows=1, index_col=0)
        lineage = table.pop("taxonomy")
        table = table.loc[:, ~table.columns.str.startswith("Unnamed")]
        by_phylum = lineage.str.extract(r"p__([^;]*)")[0].str.strip().replace("", None)
        expected = table.div(table.sum(axis=0), axis=1).groupby(by_phylum.to_numpy()).sum().T
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cohort = gutbalance.read(otus)
        phyla = cohort.at_rank("phylum")
        phyla = phyla.T.groupby(cohort.taxa.loc[phyla.columns, "original"].to_numpy()).sum().T
        common = [p for p in expected.columns if p in phyla.columns]
        worst = (phyla[common] - expected.loc[phyla.index, common]).abs().max().sort_values()
        say(f"shapes qiime1: {len(phyla)} samples; phyla vs pandas sums of the OTUs by p__, largest per phylum: "
            f"{ {k: float(f'{v:.2g}') for k, v in worst.tail(3).items()} }; phyla only in gutbalance: "
            f"{sorted(set(phyla.columns) - set(expected.columns))}")
    _check_level6_frequency(root)
    for name, path in MERGED_METAPHLAN.items():
        if not (root / path).exists():
            say(f"shapes {name}: skipped, {path} absent")
            continue
        _check_merged_metaphlan(name, root / path)
    _check_zeller_motus(root)
    _check_singlem(root)
    for name, (shared, taxonomy) in MOTHUR_PAIRS.items():
        if not (root / shared).exists():
            say(f"shapes {name}: skipped, {shared} absent")
            continue
        _check_mothur(name, root / shared, root / taxonomy)


L6_FREQUENCY = "qiime2_tutorial/gut-table-l6.qza"
#: Merged MetaPhlAn tables of real stool found 2026-11-28 (branch outside6).
MERGED_METAPHLAN = {
    "ladakis2024 (MetaPhlAn 4)": "ladakis2024_mpa4/merged_abundance_table.txt",
    "oliver2021 (MetaPhlAn 2)": "oliver2021_fiber/merged_metaphlan.txt",
}


def _check_merged_metaphlan(name: str, path: Path) -> None:
    """A merged MetaPhlAn table: samples read, scored and missing; species
    Shannon and richness against scikit-bio over the file's ``s__`` rows
    (MetaPhlAn 4's ``Prevotella_copri_clade_*`` summed into one species and
    ``_unclassified`` placeholders left out, as gutbalance names them); each
    phylum against the sum of the species gutbalance puts in it; the clades
    written under two lineages (clade_nesting.written_twice)."""
    rows = [ln.split("\t") for ln in path.read_text().splitlines() if ln and not ln.startswith("#")]
    header, rows = rows[0], rows[1:]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cohort = gutbalance.read(path)
    scores = score(cohort)
    twice = sum("is written under" in str(w.message) for w in caught)
    damaged = sum("an edited or damaged file?" in str(w.message) for w in caught)
    worst_h, richness_equal, n = 0.0, 0, 0
    for j, sample in enumerate(header[1:], start=1):
        species: dict[str, float] = {}
        for row in rows:
            leaf = row[0].split("|")[-1]
            if leaf.startswith("s__") and not leaf.endswith("_unclassified") and float(row[j]) > 0:
                leaf = "s__Prevotella_copri" if leaf.startswith("s__Prevotella_copri_clade") else leaf
                species[leaf] = species.get(leaf, 0.0) + float(row[j])
        if not species:
            continue
        n += 1
        worst_h = max(worst_h, abs(float(scores.loc[sample, "shannon"]) - _shannon_by_rows(list(species.items()))))
        richness_equal += int(scores.loc[sample, "richness"] == len(species))
    phyla, species_at = cohort.at_rank("phylum"), cohort.at_rank("species")
    of_phylum = cohort.taxa.loc[species_at.columns, "phylum"].to_numpy()
    by_phylum = species_at.T.groupby(of_phylum).sum().T
    names = cohort.taxa.loc[phyla.columns, "name"].to_numpy()
    common = [(key, nm) for key, nm in zip(phyla.columns, names, strict=True) if nm in by_phylum.columns]
    worst_p = max(float((phyla[key] - by_phylum[nm]).abs().max()) for key, nm in common)
    say(f"shapes {name}: {cohort.n_samples} samples read, {int(scores['immune_support'].notna().sum())} scored, "
        f"{n} with species; species Shannon vs scikit-bio over the file's s__ rows: {worst_h:.2g}, richness equal in "
        f"{richness_equal}; phyla vs the sum of their species: {worst_p:.2g}; samples with a clade written under two "
        f"lineages: {twice}, warned as damaged: {damaged}")


def _check_level6_frequency(root: Path) -> None:
    """A level-6 collapsed FeatureTable[Frequency] (``qiime taxa collapse``, the
    Moving Pictures gut samples): phyla against a pandas sum of its rows by the
    ``p__`` of their ids, genus Shannon against scikit-bio over the file's rows
    with a named ``g__`` (grouped by name; with and without Greengenes'
    bracketed genera, which gutbalance reads at their family) and over
    gutbalance's vector at each sample's rank."""
    import io

    import h5py
    from biom import Table

    path = root / L6_FREQUENCY
    if not path.exists():
        say(f"shapes qiime2_l6_frequency: skipped, {L6_FREQUENCY} absent")
        return
    with h5py.File(io.BytesIO(_qza_member(path, "data/feature-table.biom")), "r") as f:
        table = Table.from_hdf5(f).to_dataframe(dense=True)
    shares = table.div(table.sum(axis=0), axis=1)
    by_phylum = table.index.str.extract(r"p__([^;]*)")[0].str.strip().replace("", None).to_numpy()
    expected = shares.groupby(by_phylum).sum().T
    genus = table.index.str.extract(r"g__([^;]*)")[0].str.strip().to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cohort = gutbalance.read(path)
        scores = score(cohort)
    phyla = cohort.at_rank("phylum")
    phyla = phyla.T.groupby(cohort.taxa.loc[phyla.columns, "original"].to_numpy()).sum().T
    common = [p for p in expected.columns if p in phyla.columns]
    diff = float(np.abs(expected.loc[phyla.index, common].to_numpy() - phyla[common].to_numpy()).max())
    own = unbracketed = ours = 0.0
    for sample in scores.index:
        named = [(g, v) for g, v in zip(genus, shares[sample], strict=True) if isinstance(g, str) and g and v > 0]
        own = max(own, abs(_shannon_by_rows(named) - float(scores.loc[sample, "shannon"])))
        plain = [(g, v) for g, v in named if not g.startswith("[")]  # read at their family (docs/formats.md)
        unbracketed = max(unbracketed, abs(_shannon_by_rows(plain) - float(scores.loc[sample, "shannon"])))
        vector = cohort.at_rank(scores.loc[sample, "diversity_rank"]).loc[sample]
        vector = vector[(vector > 0) & ~cohort.taxa.loc[vector.index, "name"].map(is_unclassified).to_numpy()]
        ours = max(ours, abs(_shannon_by_rows(list(vector.items())) - float(scores.loc[sample, "shannon"])))
    ranks = scores["diversity_rank"].value_counts().to_dict()
    say(f"shapes qiime2_l6_frequency: {len(scores)} samples, {len(table)} rows; counted: "
        f"{int(cohort.counted_samples().sum())}; phyla vs pandas sums by p__: {diff:.2g} (phyla only in gutbalance: "
        f"{sorted(set(phyla.columns) - set(expected.columns))}); Shannon vs scikit-bio over the file's named g__ rows "
        f"by name: {own:.2g}, without Greengenes' bracketed genera: {unbracketed:.2g}, over gutbalance's vector at each sample's rank {ranks}: {ours:.2g}")


#: mothur make.shared + classify.otu pairs: an animal study (MiSeq SOP) and
#: Baxter et al. 2016's human stool (mothur 1.3x, every line ending with a tab;
#: subsampled to 10,523 reads and filtered, so the taxonomy's sizes are of the full data).
MOTHUR_PAIRS = {
    "mothur": ("mothur_ansc595/stability.opti_mcc.shared", "mothur_ansc595/stability.taxonomy"),
    "mothur_baxter2016": ("baxter2016_mothur/glne007.final.an.unique_list.0.03.subsample.0.03.filter.shared",
                          "baxter2016_mothur/glne007.final.an.unique_list.0.03.cons.taxonomy"),
}


def _check_zeller_motus(root: Path) -> None:
    """Zeller et al. 2014's 1,261 mOTUs 3.0.2 CAMI runs read as one cohort:
    every rank of every file sums to 100 (the file's own rows), the
    unassigned share against 100 % minus the superkingdom rows, and species
    Shannon, Gini-Simpson and richness against scikit-bio / numpy over the
    file's species rows without the ``uncultured Blautia sp.``-style ones
    (placeholders, which gutbalance leaves out of diversity by design)."""
    folder = root / ZELLER / "profiles"
    if not folder.is_dir():
        say(f"shapes zeller2014 mOTUs 3 CAMI: skipped, {ZELLER} absent")
        return
    files = sorted(folder.glob("*.profile"))
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cohort = gutbalance.read(folder)
        scores = score(cohort)
    seconds = time.perf_counter() - started
    rank_sum = unassigned = worst_shannon = worst_simpson = 0.0
    richness_differ = []
    for path in files:
        rows = [ln.split("\t") for ln in path.read_text().splitlines() if ln and not ln.startswith(("#", "@"))]
        sums: dict[str, float] = {}
        for row in rows:
            sums[row[1]] = sums.get(row[1], 0.0) + float(row[4])
        rank_sum = max(rank_sum, *(abs(v - 100) for v in sums.values()))
        unassigned = max(unassigned, abs(float(cohort.samples.loc[path.stem, "unassigned"]) - (1 - sums["superkingdom"] / 100)))
        species = [(row[3].split("|")[-1], float(row[4])) for row in rows
                   if row[1] == "species" and not row[3].split("|")[-1].lower().startswith("uncultured ")]
        grouped: dict[str, float] = {}
        for name, value in species:
            grouped[name] = grouped.get(name, 0.0) + value
        shares = np.array([v for v in grouped.values() if v > 0])
        shares = shares / shares.sum()
        worst_shannon = max(worst_shannon, abs(float(shannon(shares)) - float(scores.loc[path.stem, "shannon"])))
        worst_simpson = max(worst_simpson, abs(float(1 - (shares**2).sum()) - float(scores.loc[path.stem, "simpson"])))
        if len(shares) != scores.loc[path.stem, "richness"]:
            richness_differ.append(path.stem)
    say(f"shapes zeller2014 mOTUs 3 CAMI: {len(scores)} of {len(files)} runs read and scored in {seconds:.1f} s; "
        f"largest |rank sum - 100| {rank_sum:.2g}; unassigned vs 100 % minus the superkingdom rows {unassigned:.2g}; "
        f"species Shannon vs scikit-bio over the file's rows without 'uncultured' ones {worst_shannon:.2g}, "
        f"Gini-Simpson (numpy) {worst_simpson:.2g}; richness differs in {len(richness_differ)} {richness_differ[:3]}")


SINGLEM = "singlem_hrgm_gut/pipe"
#: Species the lineage table knows under a newer name than GTDB r214's in the SingleM runs.
_SINGLEM_RENAMED = {"Prevotella copri": "Segatella copri", "Ruminococcus gnavus": "Mediterraneibacter gnavus"}


def _check_singlem(root: Path) -> None:
    """The SingleM microbial-fraction paper's 20 human faecal profiles (10
    people at 5 and 0.5 Gbp): every domain and species share against pandas'
    filled coverage (the row and every row beneath it) over the file's total
    coverage (GTDB suffixes merged, two species under the lineage table's
    newer names), species Shannon against scikit-bio and richness against a
    count over the same rows, and each OTU table refused."""
    folder = root / SINGLEM
    if not folder.is_dir():
        say(f"shapes singlem: skipped, {SINGLEM} absent")
        return
    worst = {"domain": 0.0, "species": 0.0, "shannon": 0.0}
    richness_differ: list[str] = []
    profiles = sorted(folder.glob("*_pipe_profile.tsv.gz"))
    for path in profiles:
        table = pd.read_csv(path, sep="\t")
        parts = table["taxonomy"].str.split("; ")
        total = table["coverage"].sum()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cohort = gutbalance.read(path)
            scores = score(cohort)
        long = cohort.to_long()
        long.index = cohort.taxa.loc[long["taxon"], "name"].to_numpy()  # ids of unplaced taxa are their path
        for rank, depth in (("domain", 1), ("species", 7)):
            deep = parts.str.len() > depth
            names = parts[deep].str[depth].str[3:].map(_gtdb_plain).replace(_SINGLEM_RENAMED)
            expected = table.loc[deep, "coverage"].groupby(names.to_numpy()).sum() / total
            ours = long.loc[long["rank"] == rank, "abundance"]
            both = pd.concat([expected, ours], axis=1).fillna(0.0)
            worst[rank] = max(worst[rank], float((both.iloc[:, 0] - both.iloc[:, 1]).abs().max()))
            if rank == "species":
                shares = expected.to_numpy() / expected.sum()
                worst["shannon"] = max(worst["shannon"], abs(float(shannon(shares)) - float(scores["shannon"].iloc[0])))
                if len(expected) != scores["richness"].iloc[0]:
                    richness_differ.append(path.name)
    refused = 0
    otu_tables = sorted(p for p in folder.glob("*_pipe.tsv.gz"))
    for path in otu_tables:
        try:
            gutbalance.read(path)
        except gutbalance.GutBalanceError as exc:
            refused += "SingleM OTU table" in str(exc)
    say(f"shapes singlem: {len(profiles)} profiles read; largest difference against pandas' filled coverage over the "
        f"total: domains {worst['domain']:.2g}, species {worst['species']:.2g}; species Shannon vs scikit-bio "
        f"{worst['shannon']:.2g}; richness differs in {len(richness_differ)}; {refused} of {len(otu_tables)} OTU "
        "tables refused as SingleM OTU tables")


def _check_mothur(name: str, shared: Path, taxonomy: Path) -> None:
    table = pd.read_csv(shared, sep="\t", dtype={"Group": str}).set_index("Group").drop(columns=["label", "numOtus"])
    table = table.loc[:, ~table.columns.str.startswith("Unnamed")]  # the empty column after a trailing tab
    taxa = pd.read_csv(taxonomy, sep="\t").set_index("OTU")
    if set(taxa.index) == set(table.columns):
        sizes = f"OTU sizes equal the shared file's totals: {bool((table.sum(axis=0) == taxa.loc[table.columns, 'Size']).all())}"
    else:
        sizes = f"taxonomy names every OTU of the shared file: {set(table.columns) <= set(taxa.index)}"

    def phylum(text: str) -> str | None:
        parts = [p.split("(")[0] for p in text.rstrip(";").split(";")]
        if len(parts) < 2 or any(p.lower().endswith("unclassified") or p.lower() == "unknown" for p in parts[:2]):
            return None
        return parts[1]

    expected = (table.div(table.sum(axis=1), axis=0).T.groupby(taxa.loc[table.columns, "Taxonomy"].map(phylum).to_numpy())
                .sum().T)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cohort = gutbalance.read([shared, taxonomy])
        scores = score(cohort)
    phyla = cohort.at_rank("phylum")
    phyla = phyla.T.groupby(cohort.taxa.loc[phyla.columns, "original"].to_numpy()).sum().T
    common = [p for p in expected.columns if p in phyla.columns]
    moved = sorted(set(phyla.columns) - set(expected.columns))
    diff = float(np.abs(expected.loc[phyla.index, common].to_numpy() - phyla[common].to_numpy()).max())
    worst = 0.0
    for sample in scores.index:
        rank = scores.loc[sample, "diversity_rank"]
        vector = cohort.at_rank(rank).loc[sample]
        vector = vector[(vector > 0) & ~cohort.taxa.loc[vector.index, "name"].map(is_unclassified).to_numpy()]
        worst = max(worst, abs(_shannon_by_rows(list(vector.items())) - float(scores.loc[sample, "shannon"])))
    say(f"shapes {name}: {len(scores)} samples; {sizes}; phyla vs "
        f"pandas sums by the taxonomy's phylum: {diff:.2g} (phyla the lineage table moved them to: {moved}); "
        f"Shannon vs scikit-bio at each sample's rank: {worst:.2g}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", type=Path, help="folder with the fetched public data")
    parser.add_argument("--out", type=Path, default=Path("/tmp/gutbalance-public-check"))
    parser.add_argument("--skip-cli", action="store_true", help="reuse the analyze outputs of a previous run")
    parser.add_argument("--only", choices=["time", "readers", "shapes"], default=None, help="run only this check")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only == "time":
        check_time(args.root, args.out)
        return 0
    if args.only == "readers":
        check_readers(args.root, args.out)
        return 0
    if args.only == "shapes":
        check_shapes(args.root)
        return 0
    if not args.skip_cli:
        check_cli(args.root, args.out)
    check_gmwi2(args.root)
    check_gmhi(args.root, args.out)
    check_auc(args.root, args.out)
    check_batch(args.root)
    check_amplicon(args.root)
    check_readers(args.root, args.out)
    check_shapes(args.root)
    check_time(args.root, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
