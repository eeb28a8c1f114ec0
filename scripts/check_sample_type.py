"""Is this a sample gutbalance can describe?  The stool check, the read-depth
check and Chao1's inputs on every real profile we have.

    python scripts/check_sample_type.py [DATA_ROOT]

``DATA_ROOT`` (default ``/work/outside-data``) holds the public data fetched as
docs/tried-on-public-data.md lists; ``../shared/data`` is read from the
project.  Each missing input is skipped with a line saying so.  Prints, per
data set: how many samples are called stool (``stool_like``), not stool, or
missing; the samples only the gut-evidence rule flags (less than
``min_gut_evidence_share`` in the gut core, no other site ahead); the least
gut-core share of the samples called stool (the derivation of
``min_gut_evidence_share`` in ``data/sample_checks.tsv``: a tenth of the least
of the stool of ../shared/data, rounded to the nearest half percent), the least
pillar ``coverage`` and the least ``reach`` (the share of the abundance the
pillars' knowledge reaches, ``gutbalance.pillars.reached_taxa``) with the
samples whose pillars go missing below ``min_reach``; at the end, the least
reach of the stool of ../shared/data (the MDSINE2 mice's 16S table cut at
genus and at family rank included, without the germ-free days 0 and 0.5 before
colonisation) and a tenth of it rounded down to the percent (the derivation of
``min_reach``);
for the Moving Pictures data (gut, tongue, palms of two people) and
David et al. 2014 (stool of people, foods, ITS runs) the confusion by what the
sample is; how many are warned for too few classified reads; and, per input
kind with read counts, how many samples get a Chao1.  Run it on an older
checkout (``PYTHONPATH=that/src``) for the "before" column: only
``stool_like`` is read there.
"""

from __future__ import annotations

import io
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from shared_data import shared_data

import gutbalance
from gutbalance.indices import sample_type
from gutbalance.indices.diversity import chao1
from gutbalance.pillars import pillar_scores

#: ../shared/data from the project root; GUTBALANCE_SHARED_DATA points elsewhere (a worktree), as for the tests.
SHARED = shared_data()
DAVID = "mlrepo_david/datasets/david"
#: Six HMP samples (SRS014459-Stool ... SRS014494-Posterior_fornix) profiled by the MetaPhlAn tutorial,
#: EcoJulia/BiobakeryUtils.jl @ 5baaedc4 : test/files/metaphlan/.
HMP_SITES = "biobakeryutils_jl/test/files/metaphlan"
#: MetaPhlAn test profiles of taxpasta (taxprofiler/taxpasta : tests/data/metaphlan/).
TAXPASTA = "taxpasta/tests/data/metaphlan"
#: MDSINE2's healthy-donor gnotobiotic mice (16S ASV counts, SILVA lineages), under ../shared/data.
MDSINE2 = "dynamics/mdsine2_gibson_healthy"
#: name -> (root, paths): "shared" under ../shared/data, "mdsine2" (paths: the rank its lineages are cut at)
#: there too, else under DATA_ROOT.
SETS: dict[str, tuple[str, list[str]]] = {
    "kefir (MetaPhlAn 3, stool)": ("shared", ["profiles/kefir_metaphlan3"]),
    "prebiotics (in vitro faecal fermentation)": ("shared", ["profiles/prebiotics_metaphlan3"]),
    "Zeller controls (mOTUs, stool)": ("shared", ["profiles/zeller2014_motus3_controls"]),
    "GMHI 25 (stool)": ("shared", ["gmhi/species_relative_abundances.csv"]),
    "Franzosa 2019 IBD (stool)": ("shared", ["labelled/franzosa2019_ibd/species.tsv"]),
    "iHMP IBDMDB (stool)": ("shared", ["labelled/ihmp_ibdmdb2019/species.tsv"]),
    "MetAML 4 studies (stool)": ("shared", ["labelled/metaml_pasolli2016/abundance.csv"]),
    "GMWI2 example SRR1761667 (stool)": ("shared", ["gmwi2/SRR1761667_metaphlan.txt"]),
    "MDSINE2 mice, 16S cut at genus (stool)": ("mdsine2", ["Genus"]),
    "MDSINE2 mice, 16S cut at family (stool)": ("mdsine2", ["Family"]),
    "GAN-GMHI validation (stool)": ("outside", ["gan_gmhi/tables/validation_abundance.csv"]),
    "bioBakery HMP2 (stool)": ("outside", ["biobakery_workflows/examples/tutorial/stats_vis/input/"
                                           "metaphlan_taxonomic_profiles.tsv"]),
    "CRC 16S SILVA (stool)": ("outside", ["crc16s/table.qza", "crc16s/taxonomy.qza"]),
    "David 2014 16S (stool, foods, ITS runs)": ("outside", [f"{DAVID}/gg/taxatable.txt"]),
    "Moving Pictures (gut, tongue, palms)": ("outside", ["movingpictures/table-dada2.qza",
                                                         "movingpictures/taxonomy.qza"]),
    "HMP body sites (MetaPhlAn 3, BiobakeryUtils.jl's test profiles)": ("outside", [HMP_SITES]),
    "seafood DADA2 (salmon, not stool)": ("outside", ["seafood_dada2/seqtab.nochim.csv",
                                                      "seafood_dada2/taxa_sf2.csv"]),
    "wastewater Kraken 2 (influent, not stool)": ("outside", ["wastewater_kraken2/10170_kraken2_report.txt",
                                                              "wastewater_kraken2/10331_kraken2_report.txt",
                                                              "wastewater_kraken2/10336_kraken2_report.txt"]),
    "Kraken report (Bracken's example)": ("outside", ["bracken_repo/sample_data/sample_test.report"]),
    "Bracken species table (same run)": ("outside", ["bracken_repo/sample_data/sample_output_species_abundance.txt"]),
    "mOTUs 3 -c counts (taxpasta)": ("outside", ["taxpasta/tests/data/motus/2612_pe-ERR5766176-db_mOTU.out"]),
    "taxpasta MetaPhlAn profiles (ERR7569997: mostly Cloacimonas, not gut; ERR7569998; 3 mock communities)": (
        "outside", [f"{TAXPASTA}/{name}" for name in ("ERR7569997.txt", "ERR7569998.txt", *(
            f"MOCK_00{i}_{run}_se_metaphlan3-db.metaphlan3_profile.txt"
            for i in (1, 2, 3) for run in ("Illumina_Hiseq_3000",)))]),
}


def say(*parts: object) -> None:
    print(*parts, flush=True)


def _read(paths: list[Path]) -> gutbalance.Cohort:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
        if len(paths) == 1 and paths[0].is_dir():
            return gutbalance.read(sorted(p for p in paths[0].iterdir() if p.name != "metadata.tsv"))
        return gutbalance.read(paths)


def _mdsine2(rank: str) -> gutbalance.Cohort:
    """MDSINE2's mice with each ASV's SILVA lineage cut at ``rank`` (a 16S genus
    or family table of stool; the family one is what the simulator's family-rank
    forecasts score), without days 0 and 0.5: germ-free mice before
    colonisation, which MDSINE2's protocol leaves out too."""
    folder = SHARED / MDSINE2
    taxonomy = pd.read_csv(folder / "silva_species.tsv", sep="\t", index_col=0, dtype=str)
    with tempfile.TemporaryDirectory() as tmp:
        cut = Path(tmp) / "taxonomy.tsv"
        taxonomy.loc[:, "Kingdom":rank].to_csv(cut, sep="\t", index_label="")
        cohort = _read([folder / "counts.tsv", cut])
    days = pd.read_csv(folder / "metadata.tsv", sep="\t", index_col=0)["time"].reindex(cohort.sample_names)
    return cohort.subset(list(days.index[days >= 1]))


def _what_it_is(name: str, samples: pd.Index, root: Path) -> pd.Series | None:
    """What each sample is, where the data say so."""
    if name.startswith("Moving Pictures"):
        # QIIME 2 tutorial metadata: L1 gut, L2-L4 palms, L5-L6 tongue.
        return pd.Series(["gut" if s.startswith("L1") else "tongue" if s.startswith(("L5", "L6")) else "palm"
                          for s in samples], index=samples)
    if name.startswith("HMP body sites"):
        return pd.Series([s.split("-", 1)[1] for s in samples], index=samples)
    if name.startswith("David"):
        text = (root / DAVID / "mapping-orig.txt").read_text().replace("\r", "\n")
        mapping = pd.read_csv(io.StringIO(text), sep="\t", index_col=0, dtype=str)
        who = mapping["SubjectFood"].reindex(samples).fillna("")
        kind = np.where(samples.str.startswith("ITS3."), "ITS run",
                        np.where(who.str.fullmatch(r"\d+"), "stool", "food"))
        return pd.Series(kind, index=samples)
    return None


def _names(index: pd.Index) -> str:
    return ", ".join(map(str, index[:6])) + (" ..." if len(index) > 6 else "")


def _evidence(cohort: gutbalance.Cohort, flag: pd.Series) -> tuple[str, pd.Index, pd.Series | None, pd.Index]:
    """The gut-evidence, coverage and reach figures of one data set (this checkout only)."""
    limits = sample_type.thresholds()
    shares = sample_type.site_shares(cohort)
    gut = shares["gut"]
    elsewhere = shares[list(sample_type.SITES)].max(axis=1)
    alone = gut.index[(gut < limits["min_gut_evidence_share"]) & ~(elsewhere > gut)]
    stool = gut[flag.fillna(False).astype(bool)]
    result = pillar_scores(cohort, contributions=False)
    coverage = result.scores["coverage"]
    text = f"flagged by the gut-evidence rule alone: {len(alone)}" + (f" ({_names(alone)})" if len(alone) else "")
    if len(stool):
        text += f"; least gut-core share of those called stool {stool.min():.4f} ({stool.idxmin()})"
    text += f"; least coverage {coverage.min():.4f} ({coverage.idxmin()})"
    reach = getattr(result, "reach", None)
    if reach is None:  # an older checkout
        return text, alone, None, pd.Index([])
    # An empty sample (nothing bacterial) was missing already, for that reason.
    scant = reach.index[(reach < limits["min_reach"]) & result.scores["training_confidence"].notna()]
    text += (f"; least reach {reach.min():.4f} ({reach.idxmin()}); pillars missing below min_reach: {len(scant)}"
             + (f" ({_names(scant)})" if len(scant) else ""))
    return text, alone, reach, scant


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/outside-data")
    depth = getattr(sample_type, "classified_reads", None)
    stool_reach: list[tuple[float, str, str]] = []
    for name, (where, relative) in SETS.items():
        base = root if where == "outside" else SHARED
        paths = [base / MDSINE2] if where == "mdsine2" else [base / r for r in relative]
        if not all(p.exists() for p in paths):
            say(f"{name}: skipped, {paths[0]} absent")
            continue
        cohort = _mdsine2(relative[0]) if where == "mdsine2" else _read(paths)
        flag = sample_type.stool_like(cohort)["stool_like"]
        line = (f"{name}: {cohort.n_samples} samples; stool_like True {int((flag == True).sum())}, "  # noqa: E712
                f"False {int((flag == False).sum())}, missing {int(flag.isna().sum())}")  # noqa: E712
        if depth is not None:
            reads = depth(cohort)
            least = sample_type.thresholds()["min_classified_reads"]
            if reads.notna().any():
                line += (f"; observed reads in {int(reads.notna().sum())}, fewer than {least:,.0f} classified in "
                         f"{int((reads < least).sum())}")
        if cohort.counts is not None:
            values = chao1(cohort, rank="species" if name.startswith(("Kraken", "Bracken", "mOTUs")) else "genus")
            line += f"; Chao1 in {int(values.notna().sum())} of {int(cohort.counted_samples().sum())} read with counts"
        say(line)
        kinds = _what_it_is(name, flag.index, root)
        if "min_gut_evidence_share" in sample_type.thresholds():
            text, alone, reach, scant = _evidence(cohort, flag)
            say("  " + text)
            if reach is not None and where != "outside" and "stool" in name:
                stool_reach.append((float(reach.min()), str(reach.idxmin()), name))
            if kinds is not None:
                say(f"  by what the sample is, flagged by the gut-evidence rule alone: "
                    f"{kinds[alone].value_counts().to_dict()}, pillars missing below min_reach: "
                    f"{kinds[scant].value_counts().to_dict()}")
        if kinds is not None:
            table = pd.crosstab(kinds, flag.astype("object").where(flag.notna(), "missing"), dropna=False)
            say("  called stool_like, by what the sample is:\n  " + table.to_string().replace("\n", "\n  "))
            if depth is not None:
                reads = depth(cohort)
                below = (reads < sample_type.thresholds()["min_classified_reads"]).astype(object)
                warned = pd.crosstab(kinds, below.where(reads.notna(), "not checked (no observed reads)"))
                say("  fewer than the least classified reads (True), by what the sample is:\n  "
                    + warned.to_string().replace("\n", "\n  "))
    if stool_reach:
        value, sample, name = min(stool_reach)
        say(f"least reach of the stool of ../shared/data: {value:.4f} ({sample}, {name}); a tenth of it rounded "
            f"down to the percent: {np.floor(value / 10 * 100) / 100:.2f} (min_reach in data/sample_checks.tsv: "
            f"{sample_type.thresholds()['min_reach']:.2f}); then "
            + ", ".join(f"{v:.3f} ({s}, {n})" for v, s, n in sorted(stool_reach)[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
