#!/usr/bin/env python3
"""Build ``src/gutbalance/pillars/data/validation_summary.json``: how well each
score has been shown to separate healthy people from patients, from measured
figures only, for the reports' "How far these scores have been tested".

Nothing here is typed in: every figure is measured by this run.

1. ``labelled.held_out``: the six labelled studies (``../shared/data/labelled``),
   each scored with the pillar weights fitted on the other five only (the
   shipped penalties of ``calibration.json``; ``scripts/calibrate_pillars.py``'s
   own functions), AUC of healthy vs disease with a 95 % bootstrap interval
   over people, per study and pooled (leave one study out). GMHI, GMWI2 and
   Shannon are fixed (nothing fitted), so theirs are the same as in-sample.
2. ``labelled.in_sample``: ``gutbalance validate`` on the shipped scores
   (``scripts/validate_labelled.py``, the table of docs/validation.md).
3. ``public_within_study`` (report only; nothing was chosen on it): the
   comparisons of ``scripts/validate_public_cohorts.py``, patients against the
   same study's controls, when ``--outside`` holds the fetched cohorts.
4. ``cross_study`` (report only): the GAN-GMHI validation table, healthy
   people of three studies against AS, RA and CD patients of three others
   (``gutbalance analyze`` + ``gutbalance validate``), when ``--outside``
   holds ``gan_gmhi``.

Each part's provenance (commit, command, date, data files with their
SHA-256) is in ``provenance``. A cohort absent from ``--outside`` is left out
and named in ``provenance.skipped``.

    python scripts/build_validation_summary.py [--shared ../shared/data] [--outside /work/outside-data]
        [--work /tmp/gutbalance-validation-summary] [-o src/gutbalance/pillars/data/validation_summary.json]

About 4 minutes on this 2-core machine at load average 7 (the labelled part alone, ``--outside
none``, about one minute). ``tests/pillars/test_validation_summary.py``
re-measures Franzosa 2019 in-sample and every held-out figure and checks the
shipped file agrees.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "src"))

import calibrate_pillars as cp  # noqa: E402
import validate_labelled as vl  # noqa: E402
import validate_public_cohorts as vpc  # noqa: E402
from labelled_sets import METAML_DISEASE, METAML_STUDIES, STUDIES  # noqa: E402
from shared_data import add_shared_argument  # noqa: E402

from gutbalance import pillars  # noqa: E402

OUT = ROOT / "src" / "gutbalance" / "pillars" / "data" / "validation_summary.json"
SCORES = list(cp.HELD_OUT_COLUMNS)
#: The labelled studies as the two scripts name them, with who was compared (from the studies' papers and the
#: sets' metadata: docs/validation.md, "The labelled sets").
LABELLED = {
    "franzosa2019": {"label": "Franzosa 2019", "disease": "inflammatory bowel disease (Crohn's disease, "
                                                            "ulcerative colitis)", "country": "USA and Netherlands"},
    "ihmp2019": {"label": "iHMP 2019", "disease": "inflammatory bowel disease (Crohn's disease, ulcerative colitis)",
                 "country": "USA"},
    "qin2012": {"label": "Qin 2012", "disease": "type 2 diabetes", "country": "China"},
    "lechatelier2013": {"label": "Le Chatelier 2013", "disease": "obesity", "country": "Denmark"},
    "karlsson2013": {"label": "Karlsson 2013", "disease": "type 2 diabetes", "country": "Sweden"},
    "zeller2014": {"label": "Zeller 2014", "disease": "colorectal cancer", "country": "France"},
}
GAN_LABEL = "GAN-GMHI validation set: healthy (3 studies) vs AS, RA, CD (3 other studies)"
GAN_DISEASES = ("AS", "RA", "CD")
ROUND = 4


def rows(table: pd.DataFrame, names: dict[str, str] | None = None) -> list[dict]:
    """``validation.tsv`` rows (score, study, auc, low, high, n_label, n_against, note) as JSON records of
    SCORES, AUC and interval to ROUND decimals, missing as null."""
    def num(v: float) -> float | None:
        return None if pd.isna(v) else round(float(v), ROUND)

    out = []
    for r in table[table["score"].isin(SCORES)].itertuples(index=False):
        out.append({"score": r.score, "study": (names or {}).get(r.study, r.study), "auc": num(r.auc),
                    "low": num(r.low), "high": num(r.high), "n_healthy": int(r.n_label),
                    "n_disease": int(r.n_against), "note": "" if pd.isna(r.note) else str(r.note)})
    return out


def held_out(shared: Path) -> pd.DataFrame:
    """Step 1: the held-out ``auc_table`` (``study`` as labelled_sets names it), with the shipped penalties."""
    _, labels, table, components = cp.labelled_components(shared)
    provenance = pillars.calibration()["provenance"]
    held = cp.leave_one_study_out(components, labels, provenance["lambda_components"], provenance["lambda_pillars"])
    return cp.held_out_table(held.join(table[["gmhi", "gmwi2", "shannon"]]), labels)


def who(shared: Path) -> dict[str, dict]:
    """Per labelled study: disease, country, and the ages of the people compared (the sets' metadata)."""
    labelled = shared / "labelled"
    meta = pd.read_csv(labelled / "metaml_pasolli2016" / "metadata.csv")
    ages = {}
    for country, study in METAML_STUDIES.items():
        here = meta[(meta["country"] == country) & meta["disease"].isin({"Healthy", *METAML_DISEASE[country]})]
        ages[study] = here["age"]
    ages["franzosa2019"] = pd.read_csv(labelled / "franzosa2019_ibd" / "metadata.tsv", sep="\t")["Age"]
    ihmp = pd.read_csv(labelled / "ihmp_ibdmdb2019" / "metadata.tsv", sep="\t")
    ages["ihmp2019"] = ihmp.drop_duplicates("Subject")["consent_age"]  # one age per person
    out = {}
    for study in STUDIES:
        known = pd.to_numeric(ages[study], errors="coerce").dropna()
        out[study] = {**LABELLED[study], "sample": "stool, shotgun metagenome (MetaPhlAn 2)",
                      "age_min": None if known.empty else int(known.min()),
                      "age_max": None if known.empty else int(known.max()),
                      "people_with_age": int(len(known))}
    return out


def public(outside: Path, work: Path, shared: Path, bootstrap: str) -> tuple[list[dict], list[str], list[str]]:
    """Step 3: every comparison of validate_public_cohorts.py whose cohort is under OUTSIDE."""
    out, used, skipped = [], [], []
    for cohort in vpc.COHORTS:
        if not (outside / cohort.folder).is_dir():
            skipped.append(f"{cohort.name}: no folder {outside / cohort.folder}")
            continue
        table, _ = vpc.run_cohort(cohort, outside, work / "public", bootstrap, shared)
        diseases = {c.label: list(c.diseases) for c in cohort.comparisons}
        for row in rows(table):
            row["diseases"] = diseases[row["study"]]
            row["population_only"] = vpc.HEALTHY in diseases[row["study"]]  # healthy against healthy
            out.append(row)
        used.append(cohort.folder)
    return out, used, skipped


def cross_study(outside: Path, work: Path, bootstrap: str) -> list[dict]:
    """Step 4: healthy vs AS, RA and CD on the GAN-GMHI validation table, shipped scores."""
    here = work / "gan_gmhi"
    here.mkdir(parents=True, exist_ok=True)
    meta = pd.read_csv(outside / "gan_gmhi" / "tables" / "validation_metadata1.csv", encoding="utf-8-sig")
    health = pd.Series("", index=meta.index, dtype=object)
    health[meta["Phenotype"].str.strip() == "Healthy"] = "healthy"
    health[meta["Phenotype_all"].str.strip().isin(GAN_DISEASES)] = "disease"  # some labels end in a space
    pd.DataFrame({"sample": meta["Sample_Ids"], "health": health,
                  "study": (health != "").map({True: GAN_LABEL, False: ""})}).to_csv(
        here / "metadata.tsv", sep="\t", index=False)
    vl._gutbalance("analyze", str(outside / "gan_gmhi" / "tables" / "validation_abundance.csv"), "-o",
                   str(here / "results"), "--reports", "none", "--no-contributions")
    vl._gutbalance("validate", str(here / "results"), "--metadata", str(here / "metadata.tsv"), "--label",
                   "health=healthy", "--against", "disease", "--study", "study", "--bootstrap", bootstrap,
                   "-o", str(here / "validation"))
    table = pd.read_csv(here / "validation" / "validation.tsv", sep="\t")
    return rows(table[table["study"] == GAN_LABEL])


def _sources(folder: Path) -> list[str]:
    """The repository lines of a fetched cohort's SOURCE.txt (repository @ commit : path)."""
    source = folder / "SOURCE.txt"
    lines = source.read_text("utf-8").splitlines() if source.is_file() else []
    return [line[2:] for line in lines if line.startswith("- https://")]


def labelled_part(shared: Path, work: Path, bootstrap: str) -> dict:
    """Steps 1 and 2, with the studies' descriptions."""
    names = {s: LABELLED[s]["label"] for s in STUDIES}
    return {
        "studies": who(shared),
        "held_out": rows(held_out(shared), names),
        "in_sample": rows(vl.run(shared, work / "labelled", bootstrap)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shared_argument(parser)
    parser.add_argument("--outside", default="/work/outside-data",
                        help="folder of the fetched public cohorts (report only), or 'none'")
    parser.add_argument("--work", type=Path, default=Path("/tmp/gutbalance-validation-summary"))
    parser.add_argument("--bootstrap", default="1000")
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    summary: dict = {"scores": SCORES, "labelled": labelled_part(args.shared, args.work, args.bootstrap),
                     "public_within_study": [], "cross_study": []}
    used, skipped = [], []
    if args.outside != "none":
        outside = Path(args.outside)
        summary["public_within_study"], used, skipped = public(outside, args.work, args.shared, args.bootstrap)
        if (outside / "gan_gmhi").is_dir():
            summary["cross_study"] = cross_study(outside, args.work, args.bootstrap)
            used.append("gan_gmhi")
        else:
            skipped.append(f"GAN-GMHI: no folder {outside / 'gan_gmhi'}")
    data = [args.shared / "labelled" / f for f in cp.LABELLED_FILES]
    summary["provenance"] = {
        "script": "scripts/build_validation_summary.py",
        "command": "python scripts/build_validation_summary.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_commit": cp._git("rev-parse", "HEAD"),
        "git_dirty": bool(cp._git("status", "--porcelain", "--untracked-files=no")),
        "bootstrap": int(args.bootstrap),
        "labelled_data": {str(p.relative_to(args.shared.parent)): cp._sha256(p) for p in data},
        "calibration_fitted": pillars.calibration()["provenance"]["date"],
        "public_cohorts": {folder: _sources(Path(args.outside) / folder) for folder in used},
        "skipped": skipped,
        "held_out": "each labelled study scored with weights fitted on the other five (calibrate_pillars.py's "
                    "fit, the shipped penalties); GMHI, GMWI2 and Shannon are not fitted",
        "in_sample": "gutbalance validate on the shipped scores (scripts/validate_labelled.py)",
        "public_within_study": "scripts/validate_public_cohorts.py's comparisons (report only)",
        "cross_study": "gutbalance analyze + validate on GAN-GMHI's validation_abundance.csv, Phenotype Healthy "
                       "against Phenotype_all AS, RA, CD (report only)",
    }
    args.output.write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
