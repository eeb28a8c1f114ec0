"""Derive the published-index tables in src/gutbalance/indices/data/ from ../shared/data.

Run from the repository root (needs ../shared/data; no network)::

    python scripts/build_reference_tables.py [--shared ../shared/data]

Writes, each with its citation in the header:

* ``gmhi_species.tsv``: the 7 health-prevalent (MH) and 43 health-scarce (MN)
  species of GMHI, as MetaPhlAn 2 names (Gupta et al. 2020).
* ``gmwi2_coefficients.tsv``: the 95 non-zero coefficients of GMWI2 over
  MetaPhlAn 3 clades (Chang, Gupta et al. 2024).
* ``healthy_reference_genus.tsv``: the genus-level healthy reference profile for
  the dysbiosis score: per-genus median relative abundance over the healthy
  stool metagenomes of the GMWI web tool (Chang et al. 2023), placeholders
  (``_noname``, ``_unclassified``) removed, renormalised to sum 1.
* ``mpa2_species_genus.tsv``: the genus MetaPhlAn 2 files each species under,
  from the MetaPhlAn 2 lineages of the Franzosa 2019 and iHMP species tables
  (``../shared/data/labelled``), so that dysbiosis compares a sample with the
  healthy reference in the reference's own genera.

The tables are facts from the papers (lists, coefficients, medians); the script
only reshapes them, so re-running it gives byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

from shared_data import add_shared_argument

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "gutbalance" / "indices" / "data"

GMHI_HEADER = """\
# GMHI marker species (Gut Microbiome Health Index)
# source: Gupta VK, Kim M, Bakshi U, et al. A predictive index for health status using species-level gut microbiome
#   profiling. Nat Commun 2020;11:4635. doi:10.1038/s41467-020-18476-8 (lists as in repository jaeyunsung/GMHI_2020:
#   MH_species.txt, MN_species.txt). evidence: published model (pooled 4,347 stool metagenomes, 34 studies).
# group: MH = health-prevalent (7), MN = health-scarce (43). species: MetaPhlAn 2 name exactly as published;
#   gutbalance matches it to cohort species through gutbalance.taxonomy.canonical_name on both sides.
# parameters (same source, GMHI.R): R'_MH = 7, R'_MN = 31, presence cutoff 0.00001, pseudocount 0.00001.
"""

GMWI2_HEADER = """\
# GMWI2 coefficients (Gut Microbiome Wellness Index 2)
# source: Chang D, Gupta VK, Hur B, et al. Gut Microbiome Wellness Index 2 enhances health status prediction from gut
#   microbiome taxonomic profiles. Nat Commun 2024;15:7447. doi:10.1038/s41467-024-51651-9 (the 95 non-zero
#   coefficients of GMWI2_model.joblib, repository danielchang2002/GMWI2, MIT licence).
# evidence: published model (L1-penalised logistic regression, 8,069 stool metagenomes, 54 studies).
# model: score = intercept + sum(coefficient * present); intercept 0; present = relative abundance / (100 - UNKNOWN)
#   > 0.00001 (strict, as in the reference gmwi2_metaphlan_output.py). Calibrated for MetaPhlAn 3 (mpa_v30) clades.
"""

HEALTHY_HEADER = """\
# Healthy reference profile at genus rank for the dysbiosis score
# source: Chang D, Gupta VK, Hur B, et al. GMWI-webtool: a user-friendly browser application for assessing health
#   through metagenomic gut microbiome profiling. Bioinformatics 2023;39:btad061. doi:10.1093/bioinformatics/btad061
#   (preprint doi:10.1101/2022.06.30.498296); per-taxon medians of MetaPhlAn 2 relative abundance over the
#   healthy stool metagenomes of the pooled GMHI data (repository danielchang2002/GMWI-webtool, MIT licence).
# evidence: population statistic (median over healthy samples); derived by scripts/build_reference_tables.py:
#   genera with a non-zero healthy median, placeholders (noname/unclassified) removed, renormalised to sum 1.
# genus: MetaPhlAn 2 name as published; median: healthy median (fraction of sample); reference: renormalised share.
"""


def _write(path: Path, header: str, fields: list[str], rows: list[list[str]]) -> None:
    buf = io.StringIO()
    buf.write(header)
    writer = csv.writer(buf, delimiter="\t", lineterminator="\n")
    writer.writerow(fields)
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)} ({len(rows)} rows)")


def _lines(path: Path) -> list[str]:
    return [ln.strip() for ln in path.read_text(encoding="utf-8-sig").splitlines() if ln.strip()]


def build_gmhi(shared: Path) -> None:
    rows = [["MH", s.removeprefix("s__")] for s in _lines(shared / "gmhi" / "MH_species.txt")]
    rows += [["MN", s.removeprefix("s__")] for s in _lines(shared / "gmhi" / "MN_species.txt")]
    _write(OUT / "gmhi_species.tsv", GMHI_HEADER, ["group", "species"], rows)


def build_gmwi2(shared: Path) -> None:
    with open(shared / "gmwi2" / "GMWI2_coefficients.tsv", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        # repr() keeps every digit of the published float64.
        rows = [[rec["taxon"], repr(float(rec["coefficient"]))] for rec in reader]
    _write(OUT / "gmwi2_coefficients.tsv", GMWI2_HEADER, ["clade", "coefficient"], rows)


def build_healthy_reference(shared: Path) -> None:
    import pandas as pd

    from gutbalance.taxonomy import is_unclassified

    medians = pd.read_csv(shared / "population" / "gmwi_webtool_medians.csv", index_col=0).T
    genus = medians.loc[medians.index.str.startswith("g__"), "Healthy"]
    genus = genus[genus > 0]
    genus = genus[[not is_unclassified(g.removeprefix("g__")) for g in genus.index]]
    genus = genus.sort_values(ascending=False, kind="stable")
    share = genus / genus.sum()
    rows = [[g.removeprefix("g__"), repr(float(m)), repr(float(s))] for g, m, s in zip(genus.index, genus, share)]
    _write(OUT / "healthy_reference_genus.tsv", HEALTHY_HEADER, ["genus", "median", "reference"], rows)


MPA2_GENUS_HEADER = """\
# The genus MetaPhlAn 2 files each species under, for the dysbiosis score
# source: the MetaPhlAn 2 lineages (k__...|g__...|s__...) of the species tables of Franzosa EA, Sirota-Madi A,
#   Avila-Pacheco J, et al. Gut microbiome structure and metabolic activity in inflammatory bowel disease.
#   Nat Microbiol 2019;4:293-305. doi:10.1038/s41564-018-0306-4 and Lloyd-Price J, Arze C, Ananthakrishnan AN, et al.
#   Multi-omics of the gut microbial ecosystem in inflammatory bowel diseases. Nature 2019;569:655-662.
#   doi:10.1038/s41586-019-1237-9 (borenstein-lab/microbiome-metabolome-curated-data, MIT licence).
# evidence: database fact (MetaPhlAn 2's taxonomy); derived by scripts/build_reference_tables.py.
# The healthy reference of healthy_reference_genus.tsv is in MetaPhlAn 2's genera: Eubacterium rectale under
#   g__Eubacterium, Ruminococcus gnavus under g__Blautia, species of no named genus under a placeholder
#   (g__Lachnospiraceae_noname), which the reference leaves out. Later databases and profilers file many of
#   these species elsewhere (MetaPhlAn 3: E. rectale under g__Lachnospiraceae_unclassified).
# species, genus: MetaPhlAn 2 names as written (without s__ and g__).
"""


def build_mpa2_species_genus(shared: Path) -> None:
    genus_of: dict[str, str] = {}
    for study in ("franzosa2019_ibd", "ihmp_ibdmdb2019"):
        with open(shared / "labelled" / study / "species.tsv", encoding="utf-8") as handle:
            header = handle.readline().rstrip("\n").split("\t")
        for clade in header[1:]:
            ranks = dict(part.split("__", 1) for part in clade.split("|") if "__" in part)
            if "s" not in ranks or "g" not in ranks:
                continue
            known = genus_of.setdefault(ranks["s"], ranks["g"])
            if known != ranks["g"]:
                raise SystemExit(f"{ranks['s']} is under g__{known} and g__{ranks['g']} in MetaPhlAn 2's lineages")
    rows = [[species, genus_of[species]] for species in sorted(genus_of)]
    _write(OUT / "mpa2_species_genus.tsv", MPA2_GENUS_HEADER, ["species", "genus"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shared_argument(parser)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    build_gmhi(args.shared)
    build_gmwi2(args.shared)
    build_healthy_reference(args.shared)
    build_mpa2_species_genus(args.shared)


if __name__ == "__main__":
    main()
