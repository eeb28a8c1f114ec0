#!/usr/bin/env python3
"""Validate the scores on the labelled sets in ../shared/data/labelled: healthy vs disease, per study.

Six studies, healthy people against people with the study's disease:

| study | set | healthy | disease |
|---|---|---|---|
| Franzosa 2019 | franzosa2019_ibd | Study.Group Control | CD, UC |
| iHMP 2019 | ihmp_ibdmdb2019 | nonIBD | CD, UC (several samples per person) |
| Qin 2012 | metaml_pasolli2016, country china | Healthy | t2d |
| Le Chatelier 2013 | metaml, denmark | Healthy | obesity |
| Karlsson 2013 | metaml, sweden | Healthy | t2d |
| Zeller 2014 | metaml, france | Healthy | cancer (small adenomas left out) |

Samples outside these (the metaml samples of other countries, Danish t2d,
French small adenomas) get no label and are not compared.

Steps (each a public command; the tables are written to WORK, never into the project):

1. the two IBD tables are written with their empty ranks (``|__|``) dropped
   from the lineages, when gutbalance cannot read them as shipped;
2. one metadata table (``sample``, ``study``, ``health``, ``subject``);
3. ``gutbalance analyze`` of the three tables into WORK/results;
4. ``gutbalance validate WORK/results --metadata WORK/metadata.tsv
   --label health=healthy --against disease --study study --cluster subject
   -o WORK/validation``;
5. prints the table of docs/validation.md (immune_support, the pillars, GMHI,
   GMWI2, Shannon; AUC and 95 % interval per study and pooled).

    python scripts/validate_labelled.py [--work /tmp/gutbalance-validation] [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from shared_data import add_shared_argument

ROOT = Path(__file__).resolve().parents[1]

METAML_STUDIES = {
    "china": ("Qin 2012", "t2d"),
    "denmark": ("Le Chatelier 2013", "obesity"),
    "sweden": ("Karlsson 2013", "t2d"),
    "france": ("Zeller 2014", "cancer"),
}
METAML_SET = "metaml_pasolli2016"
IBD_SETS = {
    "franzosa2019_ibd": ("Franzosa 2019", "Control"),
    "ihmp_ibdmdb2019": ("iHMP 2019", "nonIBD"),
}
SHOWN = ("immune_support", "training", "homeostasis", "nutrients", "barrier", "defense", "gmhi", "gmwi2", "shannon")
STUDY_ORDER = ("Franzosa 2019", "iHMP 2019", "Qin 2012", "Le Chatelier 2013", "Karlsson 2013", "Zeller 2014", "pooled")


def _gutbalance(*args: str) -> None:
    cmd = [sys.executable, "-m", "gutbalance", *args]
    print("$ gutbalance " + " ".join(args), file=sys.stderr)
    done = subprocess.run(cmd, check=False)
    if done.returncode not in (0, 1):  # 1 = some inputs unreadable (listed in problems.tsv)
        raise SystemExit(f"gutbalance {args[0]} failed with status {done.returncode}")


def _readable_ibd_table(path: Path, work: Path) -> Path:
    """The shipped table if gutbalance reads it, else a copy in WORK with empty ranks dropped."""
    sys.path.insert(0, str(ROOT / "src"))
    import gutbalance
    from gutbalance.errors import FormatError

    try:
        gutbalance.read(path)
        return path
    except FormatError:
        pass
    table = pd.read_csv(path, sep="\t", index_col=0)
    table.columns = ["|".join(p for p in c.split("|") if p != "__") for c in table.columns]
    table = table.T.groupby(level=0).sum().T  # dropping a rank can make two columns one lineage
    out = work / f"{path.parent.name}.tsv"
    table.to_csv(out, sep="\t")
    return out


def build_inputs(shared: Path, work: Path) -> tuple[list[Path], Path]:
    labelled = shared / "labelled"
    inputs, meta = [], []
    for name, (study, healthy) in IBD_SETS.items():
        inputs.append(_readable_ibd_table(labelled / name / "species.tsv", work))
        m = pd.read_csv(labelled / name / "metadata.tsv", sep="\t", dtype=str)
        meta.append(pd.DataFrame({
            "sample": m["Sample"],
            "study": study,
            "health": m["Study.Group"].map(lambda g, h=healthy: "healthy" if g == h else "disease"),
            "subject": m["Subject"],
            "group": m["Study.Group"],
        }))
    inputs.append(labelled / METAML_SET / "abundance.csv")
    m = pd.read_csv(labelled / METAML_SET / "metadata.csv", dtype=str)
    study = m["country"].map(lambda c: METAML_STUDIES.get(c, ("", ""))[0])
    disease = m["country"].map(lambda c: METAML_STUDIES.get(c, ("", ""))[1])
    health = pd.Series("", index=m.index)
    health[(study != "") & (m["disease"] == "Healthy")] = "healthy"
    health[(study != "") & (m["disease"] == disease)] = "disease"
    meta.append(pd.DataFrame({"sample": m["sample-id"], "study": study.where(health != "", ""), "health": health,
                              "subject": m["sample-id"], "group": m["disease"]}))
    metadata = pd.concat(meta, ignore_index=True)
    if metadata["sample"].duplicated().any():
        raise SystemExit(f"sample names repeat across sets: {metadata.loc[metadata['sample'].duplicated(), 'sample'].tolist()[:5]}")
    path = work / "metadata.tsv"
    metadata.to_csv(path, sep="\t", index=False)
    return inputs, path


def markdown(table: pd.DataFrame) -> str:
    shown = table[table["score"].isin(SHOWN)]
    studies = [s for s in STUDY_ORDER if s in set(shown["study"])]
    head = "| score | " + " | ".join(studies) + " |"
    lines = [head, "|---|" + "---|" * len(studies)]
    for score in SHOWN:
        cells = []
        for study in studies:
            row = shown[(shown["score"] == score) & (shown["study"] == study)]
            if row.empty or pd.isna(row["auc"].iloc[0]):
                cells.append("–")
            else:
                r = row.iloc[0]
                cells.append(f"{r.auc:.2f} ({r.low:.2f}–{r.high:.2f})")
        lines.append(f"| {score} | " + " | ".join(cells) + " |")
    counts = shown[shown["score"] == "immune_support"].set_index("study")
    lines.append("| n healthy / disease | " + " | ".join(
        f"{int(counts.at[s, 'n_label'])} / {int(counts.at[s, 'n_against'])}" for s in studies) + " |")
    return "\n".join(lines)


def run(shared: Path, work: Path, bootstrap: str = "1000", sets: Sequence[str] | None = None) -> pd.DataFrame:
    """Steps 1-4: the ``validation.tsv`` of ``gutbalance validate`` on the labelled sets (files in WORK).

    ``sets``: analyse only these sets (folder names; a study's rows depend on its own samples only, the
    ``pooled`` rows on every set analysed)."""
    if not (shared / "labelled").is_dir():
        raise SystemExit(f"no labelled sets at {shared / 'labelled'} (give --shared)")
    work.mkdir(parents=True, exist_ok=True)
    inputs, metadata = build_inputs(shared, work)
    if sets is not None:
        inputs = [path for name, path in zip([*IBD_SETS, METAML_SET], inputs, strict=True) if name in sets]
    results = work / "results"
    _gutbalance("analyze", *map(str, inputs), "-o", str(results), "--reports", "none", "--no-contributions")
    _gutbalance("validate", str(results), "--metadata", str(metadata), "--label", "health=healthy", "--against",
                "disease", "--study", "study", "--cluster", "subject", "--bootstrap", bootstrap,
                "-o", str(work / "validation"))
    return pd.read_csv(work / "validation" / "validation.tsv", sep="\t")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/gutbalance-validation"))
    add_shared_argument(parser)
    parser.add_argument("--bootstrap", default="1000")
    args = parser.parse_args()
    print(markdown(run(args.shared, args.work, args.bootstrap)))


if __name__ == "__main__":
    main()
