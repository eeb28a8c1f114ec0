#!/usr/bin/env python3
"""Find organisms that reach gutbalance under two names the synonym table does not link.

The same species is ``Eubacterium eligens`` in MetaPhlAn and bugphyzz (NCBI
names of their day) and ``Lachnospira eligens`` in GTDB (Braccia 2021): unless
``taxonomy/data/synonyms.tsv`` has a row linking them, its traits and lineage
depend on which profiler named it.  A rename moves a species to another genus
and keeps its epithet (changing at most the Latin ending to agree with the new
genus: *dolichum* -> *dolichus*), so this script lists every pair of species
names, after the synonym table is applied, that share an epithet stem under
two genera, among the names of

- the real profiles in ../shared/data: the labelled MetaPhlAn 2 sets
  (Franzosa 2019, iHMP 2019, MetAML), the MetaPhlAn 3 kefir and prebiotics
  profiles, GMWI2's coefficients and GMHI's species table, the mOTUs 3 Zeller
  2014 controls;
- the knowledge base's own tables (bugphyzz, curated, braccia2021 GTDB names,
  vital2014, gmhi, duvallet2017), whose taxa are stored canonical.

Each pair is a candidate, not a verdict: two species of different genera may
share an epithet (*Bacteroides clarus*, *Paraprevotella clara*), so the list is
read by a person; a pair that is one organism gets a cited row in the synonym
table when a published rename exists, or goes into ``GTDB_ONLY`` when the
other name is only GTDB's placement.  Genus-level names are reported only when a
genus of the profiles is nowhere else: whole-genus renames are rare (genera
are split, not renamed) and the table maps species.

    python scripts/audit_synonyms.py [--shared ../shared/data] [--all]

``--all`` also prints the pairs already linked or dismissed.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from collections import defaultdict
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from shared_data import add_shared_argument  # noqa: E402

import gutbalance  # noqa: E402
from gutbalance.taxonomy import canonical_name, is_unclassified, normalize_name, synonym_table  # noqa: E402

KB = ROOT / "src" / "gutbalance" / "knowledge" / "data"

# Pairs that are one organism, but whose other name is GTDB's placement with
# no published rename behind it: left out of the synonym table by its rule
# (only published renames go in).  Checked by hand for synonym table 2026.11.2.
GTDB_ONLY: dict[frozenset[str], str] = {
    frozenset(pair): why for pair, why in [
        (("Mediterraneibacter torques", "Faecalicatena torques"), "GTDB r202 genus placement"),
        (("Mediterraneibacter gnavus", "Faecalicatena gnavus"), "GTDB r202 genus placement"),
        (("Mediterraneibacter lactaris", "Faecalicatena lactaris"), "GTDB r202 genus placement"),
        (("Clostridium scindens", "Dorea scindens"), "GTDB genus placement"),
        (("Clostridium hylemonae", "Dorea hylemonae"), "GTDB genus placement"),
        (("Megasphaera micronuciformis", "Anaeroglobus micronuciformis"), "GTDB genus placement"),
        (("Clostridium methylpentosum", "Massilioclostridium methylpentosum"), "GTDB genus placement"),
        (("Alistipes inops", "Tidjanibacter inops"), "GTDB genus placement"),
        (("Gemmiger variabile", "Subdoligranulum variabile"), "GTDB genus placement"),
    ]
}

# Pairs still to check or to add (a published rename the table may lack);
# named so the audit says what is left, not to silence it.
NOT_YET_CHECKED_NOTE = ("Clostridium hathewayi -> Hungatella hathewayi, Clostridium nexile -> Tyzzerella nexilis, "
                        "Clostridium phytofermentans -> Lachnoclostridium phytofermentans, Arcobacter butzleri -> "
                        "Aliarcobacter butzleri, Clostridium glycyrrhizinilyticum -> Faecalicatena: no DOI of the "
                        "proposal verified offline for synonym table 2026.11.2")

# Latin endings that change when a species moves to a genus of another gender.
_ENDINGS = ("iformis", "iforme", "ensis", "ense", "is", "us", "um", "a", "e", "ii", "i")


def epithet_stem(epithet: str) -> str:
    for ending in _ENDINGS:
        if epithet.endswith(ending) and len(epithet) - len(ending) >= 4:
            return epithet[: -len(ending)]
    return epithet


def _species(name: str) -> str | None:
    """A binomial ``Genus epithet`` (canonical), or None for placeholders and GTDB codes."""
    name = normalize_name(name)
    if is_unclassified(name):
        return None
    words = name.split(" ")
    if len(words) < 2 or not words[0][:1].isupper() or not words[1].isalpha() or not words[1].islower():
        return None  # 'Blautia sp900066165', 'MGYG-HGUT-00001', 'CAG-41 sp..'
    if words[1] in {"sp", "spp", "bacterium", "genomosp", "phage", "virus"}:
        return None
    return canonical_name("species", " ".join(words[:2]))


def profile_names(shared: Path) -> dict[str, set[str]]:
    """Canonical species names per data set of ../shared/data."""
    out: dict[str, set[str]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for label, path in [
            ("franzosa2019 (MetaPhlAn 2)", shared / "labelled" / "franzosa2019_ibd" / "species.tsv"),
            ("ihmp2019 (MetaPhlAn 2)", shared / "labelled" / "ihmp_ibdmdb2019" / "species.tsv"),
            ("kefir (MetaPhlAn 3)", shared / "profiles" / "kefir_metaphlan3"),
            ("prebiotics (MetaPhlAn 3)", shared / "profiles" / "prebiotics_metaphlan3"),
            ("zeller2014 (mOTUs 3)", shared / "profiles" / "zeller2014_motus3_controls" / "profiles"),
        ]:
            if not path.exists():
                continue
            if path.suffix == ".tsv":
                # the IBD tables: samples as rows, lineages as columns (empty ranks '|__|')
                header = pd.read_csv(path, sep="\t", nrows=0).columns[1:]
                raw = [c.rsplit("|", 1)[-1].removeprefix("s__") for c in header if "|s__" in c]
            else:
                taxa = gutbalance.read(path).taxa
                raw = list(taxa.loc[taxa["rank"] == "species", "original"].astype(str))
            out[label] = {s for s in map(_species, raw) if s}
    metaml = shared / "labelled" / "metaml_pasolli2016" / "abundance.csv"
    if metaml.exists():
        cols = pd.read_csv(metaml, nrows=0).columns
        out["metaml (MetaPhlAn 2)"] = {s for c in cols if c.startswith("s__") and (s := _species(c[3:]))}
    gmhi = shared / "gmhi" / "species_relative_abundances.csv"
    if gmhi.exists():
        rows = pd.read_csv(gmhi, index_col=0, encoding="utf-8-sig").index
        out["gmhi table (MetaPhlAn 2)"] = {s for r in rows if (s := _species(str(r).removeprefix("s__")))}
    gmwi2 = shared / "gmwi2" / "GMWI2_coefficients.tsv"
    if gmwi2.exists():
        text = gmwi2.read_text("utf-8")
        out["gmwi2 (MetaPhlAn 3)"] = {s for m in re.finditer(r"s__([A-Za-z_\[\]]+)", text) if (s := _species(m.group(1)))}
    return out


def knowledge_names() -> dict[str, set[str]]:
    out = {}
    for path in sorted(KB.glob("*.tsv")):
        if path.name in {"sources.tsv", "evidence_weights.tsv"}:
            continue
        frame = pd.read_csv(path, sep="\t", comment="#", dtype=str)
        names = frame.loc[frame["rank"] == "species", "taxon"]
        out[f"kb {path.stem}"] = {s for s in map(_species, names) if s}
    return out


def candidate_pairs(names: dict[str, set[str]], *, everything: bool = False
                    ) -> list[tuple[str, str, list[str], list[str]]]:
    """Pairs of species sharing an epithet stem under two genera.  Unless
    ``everything``, only stems shared by exactly two names (a common epithet
    such as *hominis* or *massiliensis* names dozens of unrelated species) of
    which at least one occurs in a real profile (not only in a knowledge
    table)."""
    where: dict[str, list[str]] = defaultdict(list)
    for label, species in names.items():
        for s in species:
            where[s].append(label)
    by_stem: dict[str, set[str]] = defaultdict(set)
    for s in where:
        by_stem[epithet_stem(s.split(" ")[1])].add(s)
    pairs = []
    for group in by_stem.values():
        if not everything and len(group) != 2:
            continue
        ordered = sorted(group)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                in_profile = any(not label.startswith("kb ") for label in where[a] + where[b])
                if a.split(" ")[0] != b.split(" ")[0] and (everything or in_profile):
                    pairs.append((a, b, where[a], where[b]))
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shared_argument(parser)
    parser.add_argument("--all", action="store_true", help="also print the GTDB-only pairs")
    parser.add_argument("--everything", action="store_true",
                        help="every pair sharing an epithet stem (thousands, mostly unrelated species)")
    args = parser.parse_args(argv)
    names = profile_names(args.shared)
    names.update(knowledge_names())
    table = synonym_table()
    print(f"synonym table {table.version}: {len(table.rows)} rows")
    for label, species in names.items():
        print(f"  {label}: {len(species)} species names")
    pairs = candidate_pairs(names, everything=args.everything)
    unlinked = [p for p in pairs if frozenset(p[:2]) not in GTDB_ONLY]
    print(f"\n{len(pairs)} candidate pairs (one epithet under two genera, after the synonym table); "
          f"{len(pairs) - len(unlinked)} are GTDB-only placements (no published rename), {len(unlinked)} to judge")
    for a, b, wa, wb in unlinked:
        print(f"candidate\t{a}\t[{'; '.join(wa)}]\t{b}\t[{'; '.join(wb)}]")
    print(f"\nknown published renames not yet in the table: {NOT_YET_CHECKED_NOTE}")
    if args.all:
        for a, b, _, _ in pairs:
            why = GTDB_ONLY.get(frozenset((a, b)))
            if why:
                print(f"gtdb-only\t{a}\t{b}\t{why}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
