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
of the stool of ../shared/data, rounded down to the half percent) and the least
pillar ``coverage``;
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
#: name -> (root, paths): "shared" under ../shared/data, else under DATA_ROOT.
SETS: dict[str, tuple[str, list[str]]] = {
    "kefir (MetaPhlAn 3, stool)": ("shared", ["profiles/kefir_metaphlan3"]),
    "prebiotics (in vitro faecal fermentation)": ("shared", ["profiles/prebiotics_metaphlan3"]),
    "Zeller controls (mOTUs, stool)": ("shared", ["profiles/zeller2014_motus3_controls"]),
    "GMHI 25 (stool)": ("shared", ["gmhi/species_relative_abundances.csv"]),
    "Franzosa 2019 IBD (stool)": ("shared", ["labelled/franzosa2019_ibd/species.tsv"]),
    "iHMP IBDMDB (stool)": ("shared", ["labelled/ihmp_ibdmdb2019/species.tsv"]),
    "MetAML 4 studies (stool)": ("shared", ["labelled/metaml_pasolli2016/abundance.csv"]),
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


def _evidence(cohort: gutbalance.Cohort, flag: pd.Series) -> tuple[str, pd.Index]:
    """The gut-evidence and coverage figures of one data set (this checkout only)."""
    limits = sample_type.thresholds()
    shares = sample_type.site_shares(cohort)
    gut = shares["gut"]
    elsewhere = shares[list(sample_type.SITES)].max(axis=1)
    alone = gut.index[(gut < limits["min_gut_evidence_share"]) & ~(elsewhere > gut)]
    stool = gut[flag.fillna(False).astype(bool)]
    coverage = pillar_scores(cohort, contributions=False).scores["coverage"]
    text = f"flagged by the gut-evidence rule alone: {len(alone)}" + (f" ({_names(alone)})" if len(alone) else "")
    if len(stool):
        text += f"; least gut-core share of those called stool {stool.min():.4f} ({stool.idxmin()})"
    return text + f"; least coverage {coverage.min():.4f} ({coverage.idxmin()})", alone


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/outside-data")
    depth = getattr(sample_type, "classified_reads", None)
    for name, (where, relative) in SETS.items():
        base = SHARED if where == "shared" else root
        paths = [base / r for r in relative]
        if not all(p.exists() for p in paths):
            say(f"{name}: skipped, {relative[0]} absent")
            continue
        cohort = _read(paths)
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
            text, alone = _evidence(cohort, flag)
            say("  " + text)
            if kinds is not None:
                say(f"  by what the sample is, flagged by the gut-evidence rule alone: "
                    f"{kinds[alone].value_counts().to_dict()}")
        if kinds is not None:
            table = pd.crosstab(kinds, flag.astype("object").where(flag.notna(), "missing"), dropna=False)
            say("  called stool_like, by what the sample is:\n  " + table.to_string().replace("\n", "\n  "))
            if depth is not None:
                reads = depth(cohort)
                below = (reads < sample_type.thresholds()["min_classified_reads"]).astype(object)
                warned = pd.crosstab(kinds, below.where(reads.notna(), "not checked (no observed reads)"))
                say("  fewer than the least classified reads (True), by what the sample is:\n  "
                    + warned.to_string().replace("\n", "\n  "))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
