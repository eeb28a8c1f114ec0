#!/usr/bin/env python3
"""Derive gutbalance knowledge-base tables from public trait resources.

Reads ``../shared/data`` (never copied into the repo) and writes, each with its
provenance in the header:

- ``knowledge/data/bugphyzz.tsv``   Gram stain, aerophilicity, COGEM pathogenicity,
  animal pathogen, Barcenilla 2000 SCFA measurements and Asnicar 2021 health
  association, from the bugphyzz 2024-02-19 export (CC-BY 4.0).  Each row keeps
  bugphyzz's own per-row source, mapped to that source's DOI; rows whose
  source has no DOI we could verify (BacMap) are left out.  A taxon is kept when
  its genus reaches human stool under any of its names (``in_stool_genus``);
  calls that contradict each other are settled by the conflict rule
  (``resolve_conflicts``, docs/knowledge-base.md, "Renamed species and
  contradicting bugphyzz calls"); a genus call its own species all contradict
  is left out (``drop_contradicted_genus_calls``).
- ``knowledge/data/vital2014.tsv``  butyrate-pathway genomes (Vital et al. 2014).
- ``knowledge/data/braccia2021_h2s.tsv``  H2S production (any route) and dissimilatory
  sulfate/sulfite reduction calls (Braccia et al. 2021).
- ``knowledge/data/gmhi.tsv``  the 7 health-prevalent and 43 health-scarce GMHI species.

Run from the repository root: ``python scripts/build_traits.py``.  The outputs
are committed; rerunning with the same inputs gives identical files.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bugphyzz_names import repair_name  # noqa: E402
from shared_data import add_shared_argument  # noqa: E402

from gutbalance.taxonomy import canonical_name, is_unclassified, names_of, normalize_name  # noqa: E402

OUT = ROOT / "src" / "gutbalance" / "knowledge" / "data"
COLUMNS = ["taxon", "rank", "ncbi_taxid", "trait", "value", "qualifier", "evidence", "source", "note", "host",
           "strain_specific", "curation"]

# bugphyzz "Frequency": how often the attribute holds within the taxon.  A
# presence call is scaled by it (assumed fractions of the categories; bugphyzz
# gives them as words, docs/knowledge-base.md).
FREQUENCY = {"always": 1.0, "usually": 0.8, "sometimes": 0.5, "rarely": 0.2, "never": 0.0}

# Host of the evidence by evidence level, for bugphyzz rows: culture phenotypes
# (Bergey's, Barcenilla) are in vitro, ProTraits predictions in silico,
# compilations of literature statements mixed; Asnicar 2021 is a human cohort.
HOST_OF_EVIDENCE = {"experiment": "in_vitro", "model_prediction": "in_silico", "genome_analysis": "in_silico",
                    "review_consensus": "mixed"}

BUGPHYZZ_VERSION = "bugphyzz 2024-02-19 export (waldronlab/bugphyzzExports, CC-BY 4.0)"

# bugphyzz Attribute_source -> (DOI of that source, evidence level when
# bugphyzz's own code is 'unknown').  BacMap is absent on purpose: no DOI for it
# was verified, so its rows are not imported.
BAT_SOURCE = "https://github.com/bacteria-archaea-traits/bacteria-archaea-traits/tree/master/output/prepared_data"
SOURCE_DOI = {
    "Bergey's Manual": "doi:10.1002/9781118960608",
    "ProTraits": "doi:10.1093/nar/gkw964",
    "The Microbe Directory": "doi:10.12688/gatesopenres.12772.1",
    BAT_SOURCE: "doi:10.1038/s41597-020-0497-4",
    "Barcenilla_2000": "doi:10.1128/AEM.66.4.1654-1661.2000",
    "Asnicar_2021": "doi:10.1038/s41591-020-01183-8",
    "HeaverS_2018": "doi:10.1016/j.mib.2017.12.011",
}


def bugphyzz_evidence(code: str, source: str) -> str:
    """Map bugphyzz evidence codes onto our four levels.

    exp -> experiment.  igc ("inferred from genomic context"): ProTraits calls are
    machine predictions, so model_prediction; Asnicar's are metagenomic
    associations, so genome_analysis.  'unknown'/missing evidence comes from
    curated compilations (The Microbe Directory, bacteria-archaea-traits) of
    literature statements: review_consensus.
    """
    code = (code or "").strip().lower()
    if code == "exp":
        return "experiment"
    if code == "igc":
        return "model_prediction" if source == "ProTraits" else "genome_analysis"
    return "review_consensus"


def _taxon(rank: str, raw: str) -> str | None:
    name = normalize_name(str(raw))
    if not name or is_unclassified(name):
        return None
    if rank == "species":
        parts = name.split(" ")
        if len(parts) < 2 or not parts[1][:1].islower():
            return None
        if parts[1] in {"sp.", "sp", "bacterium"}:
            # "Clostridium sp CAG 58": an unnamed species as MetaPhlAn labels it;
            # the whole label is the name profiles use, so keep it all.
            if len(parts) < 3:
                return None
            name = " ".join(p.rstrip(".") if i == 1 else p for i, p in enumerate(parts))
        elif len(parts) > 2:
            name = " ".join(parts[:2])  # strain designations and subspecies after the binomial
    return canonical_name(rank, name)


# Which claim a bugphyzz row makes, for the conflict rule (resolve_conflicts):
# the claims of one group exclude each other.  Aerophilicity: an anaerobe
# ("anaerobic", "obligately anaerobic") against an oxygen-tolerant organism
# (facultatively anaerobic, aerobic, microaerophilic), the split the
# obligate_anaerobe call makes; a bacteria-archaea-traits "anaerobic", which
# writes no strict-anaerobe call (below), still says the taxon is neither a
# facultative anaerobe nor an aerobe, so it still conflicts with them.  "Aerobic"
# next to "facultatively anaerobic" is no conflict: compilations call many
# facultative anaerobes that grow in air aerobic (E. coli has both), and the
# scores read both as oxygen-tolerant.  Pathogen: the animal pathogen flag, and
# COGEM class 1, which means no known risk to humans or animals (the
# pathogenicity_class trait, knowledge/schema.py), so "not a pathogen".
# bacteria-archaea-traits (Madin et al. 2020, doi:10.1038/s41597-020-0497-4)
# keeps "anaerobic" (its sources' "anaerobe", "Anaerobic", "AN") apart from
# "obligate anaerobic" ("Obligate anaerobe", "Strict anaerobe", "strictanaero")
# and "facultative" (data/conversion_tables/renaming_metabolism.csv of its
# repository).  The bugphyzz export names only "anaerobic", "aerobic" and
# "microaerophilic" for it: its "anaerobic" says the taxon is an anaerobe
# (strict or aerotolerant, as *Cutibacterium acnes*), not that it is a strict
# one, and its "aerobic" takes in the facultative anaerobes (129 of the 140
# species ProTraits calls facultatively anaerobic that it also covers, E. coli
# among them).  docs/knowledge-base.md, "bacteria-archaea-traits' anaerobic".
# Bergey's Manual in bugphyzz keeps the same two words apart ("anaerobic" 309
# rows, "obligately anaerobic" 104) and its "anaerobic" carries descriptions
# such as Propionibacterium's "anaerobic to aerotolerant"; bugphyzz's own
# vocabulary (inst/extdata/attributes.tsv of waldronlab/bugphyzz) defines
# "anaerobic" as growth without oxygen and only "obligately anaerobic" as
# unable to live with it.  So "anaerobic" is read alike from every source:
# anaerobe, strictness not stated (docs/knowledge-base.md, "Bergey's anaerobic").
AERO_CLAIM = {"anaerobic": "anaerobe", "obligately anaerobic": "anaerobe", "facultatively anaerobic": "tolerant",
              "aerobic": "tolerant", "obligately aerobic": "tolerant", "microaerophilic": "tolerant"}
GRAM_CLAIM = {"gram stain negative": "negative", "gram stain positive": "positive"}
CURATION_RANK = {"high": 3, "medium": 2, "low": 1}
PARTIAL = {"usually", "sometimes", "rarely"}


def _rows_from_bugphyzz(frame: pd.DataFrame, to_trait, claim=None, *, class_of_taxon: bool = False) -> list[dict]:
    """Rows of one bugphyzz file; ``claim(rec)`` gives the (group, claim) a row
    makes for the conflict rule, or None when it makes no exclusive claim.
    ``class_of_taxon``: the value is a class of the whole taxon (COGEM), so
    bugphyzz's Frequency word does not apply to it."""
    rows = []
    for rec in frame.itertuples(index=False):
        rank = str(rec.Rank)
        name = repair_name(str(rec.Taxon_name))
        taxid = "" if pd.isna(rec.NCBI_ID) else str(int(rec.NCBI_ID))
        if rank == "strain" and str(getattr(rec, "Parent_rank", "")) == "species":
            rank, name, taxid = "species", repair_name(str(rec.Parent_name)), str(int(rec.Parent_NCBI_ID))
        if rank not in {"species", "genus"}:
            continue
        source = str(rec.Attribute_source)
        if source not in SOURCE_DOI:
            continue
        taxon = _taxon(rank, name)
        if taxon is None or taxon.lower().startswith("butyrate-producing"):
            continue
        evidence = bugphyzz_evidence(str(rec.Evidence), source)
        frequency = str(getattr(rec, "Frequency", "") or "").strip().lower()
        curation = str(getattr(rec, "Confidence_in_curation", "") or "").strip().lower()
        # Only a call said of the whole taxon is an exclusive claim: "usually",
        # "sometimes" or "rarely" already says the taxon is mixed (a genus
        # whose species differ), so it contradicts no other call.
        made = claim(rec) if claim is not None and (class_of_taxon or frequency not in PARTIAL) else None
        group, said = made if made is not None else ("", "")
        for trait, value, qualifier, note in to_trait(rec):
            extra = ""
            if trait != "pathogenicity_class" and value > 0 and frequency in FREQUENCY:
                value = value * FREQUENCY[frequency]
                extra = f"; frequency {frequency}"
            rows.append(
                {
                    "taxon": taxon,
                    "rank": rank,
                    "ncbi_taxid": taxid,
                    "trait": trait,
                    "value": value,
                    "qualifier": qualifier,
                    "evidence": evidence,
                    "source": SOURCE_DOI[source],
                    "note": f"{note}bugphyzz: {rec.Attribute}={rec.Attribute_value}{extra}",
                    "host": "human" if source == "Asnicar_2021" else HOST_OF_EVIDENCE[evidence],
                    "strain_specific": "no",
                    "curation": curation if curation in {"high", "medium", "low"} else "",
                    "claim_group": group,
                    "claim": said,
                }
            )
    return rows


def said_both_ways(table: pd.DataFrame) -> pd.Series:
    """Rows of a bugphyzz table whose source says the attribute both holds and
    does not hold for the same taxon (ProTraits gives "gram stain positive"
    TRUE and FALSE for *Veillonella parvula*): such a source makes no call."""
    said = table["Attribute_value"].astype(str).str.upper()
    key = [table["Taxon_name"], table["Attribute"], table["Attribute_source"]]
    return said.groupby(key).transform("nunique") > 1


def build_bugphyzz(shared: Path) -> pd.DataFrame:
    base = shared / "traits" / "bugphyzz"
    rows: list[dict] = []

    gram = pd.read_csv(base / "gram_stain.csv")
    gram = gram[(gram["Attribute_value"].astype(str).str.upper() == "TRUE") & ~said_both_ways(gram)]

    def gram_trait(rec):
        if rec.Attribute == "gram stain negative":
            yield "gram_negative", 1.0, "", ""
        elif rec.Attribute == "gram stain positive":
            yield "gram_negative", 0.0, "", ""

    rows += _rows_from_bugphyzz(gram, gram_trait, lambda rec: ("gram", GRAM_CLAIM[rec.Attribute])
                                if rec.Attribute in GRAM_CLAIM else None)

    aero = pd.read_csv(base / "aerophilicity.csv")
    aero = aero[(aero["Attribute_value"].astype(str).str.upper() == "TRUE") & ~said_both_ways(aero)]

    def aero_trait(rec):
        kind = rec.Attribute
        # 'aerobe' is kept as its own call: aerobes (Acinetobacter, Pseudomonas)
        # are oxygen-tolerant bloomers as much as facultative anaerobes are
        # (Rigottier-Gois 2013), and 'not obligately anaerobic' alone left them
        # out of every oxygen penalty.  Microaerophiles (Campylobacter) need
        # reduced oxygen and get no aerobe call.
        if kind == "anaerobic":
            # bugphyzz's "anaerobic" is any anaerobe whose strictness its
            # source did not state (above AERO_CLAIM), from every source that
            # uses it (Bergey's Manual and bacteria-archaea-traits; ProTraits
            # says only "obligately anaerobic"): not a facultative anaerobe,
            # not an aerobe, but no strict-anaerobe call.
            yield "facultative_anaerobe", 0.0, "", ""
            yield "aerobe", 0.0, "", ""
        elif kind == "obligately anaerobic":
            yield "obligate_anaerobe", 1.0, "", ""
            yield "facultative_anaerobe", 0.0, "", ""
            yield "aerobe", 0.0, "", ""
        elif kind == "facultatively anaerobic":
            yield "obligate_anaerobe", 0.0, "", ""
            yield "facultative_anaerobe", 1.0, "", ""
        elif kind in {"aerobic", "obligately aerobic"}:
            yield "obligate_anaerobe", 0.0, "", ""
            yield "aerobe", 1.0, "", ""
        elif kind == "microaerophilic":
            yield "obligate_anaerobe", 0.0, "", ""

    rows += _rows_from_bugphyzz(aero, aero_trait, lambda rec: ("oxygen", AERO_CLAIM[rec.Attribute])
                                if rec.Attribute in AERO_CLAIM else None)

    cogem = pd.read_csv(base / "COGEM_pathogenicity_rating.csv")

    def cogem_trait(rec):
        level = int(rec.Attribute_value)
        # COGEM class 1 = no known risk; 2-4 = increasing risk for humans and
        # animals.  Kept as a class, not turned into a yes/no: many class-2
        # taxa are ordinary commensals that are opportunistic at most.
        yield "pathogenicity_class", float(level), "", ""

    rows += _rows_from_bugphyzz(cogem, cogem_trait, lambda rec: ("pathogen", "no")
                                if int(rec.Attribute_value) == 1 else None, class_of_taxon=True)

    animal = pd.read_csv(base / "animal_pathogen.csv")

    def animal_trait(rec):
        yield "pathogen", 1.0 if str(rec.Attribute_value).upper() == "TRUE" else 0.0, "", "animal pathogen; "

    rows += _rows_from_bugphyzz(animal, animal_trait, lambda rec: (
        "pathogen", "yes" if str(rec.Attribute_value).upper() == "TRUE" else "no"))

    for fname, trait in (("butyrate_producing.csv", "butyrate_producer"), ("acetate_producing.csv", "acetate_producer"),
                         ("lactate_producing.csv", "lactate_producer")):
        table = pd.read_csv(base / fname)

        def scfa_trait(rec, trait=trait):
            mm = float(rec.Attribute_value)
            # Barcenilla 2000 Table 2: net production (mM) in M2GSC medium;
            # negative = net consumption.  Producer = net production > 0.
            yield trait, 1.0 if mm > 0 else 0.0, f"mM={mm:g}", ""

        rows += _rows_from_bugphyzz(table, scfa_trait)

    # Sphingolipid producers (Bacteroidetes and a few others): Bacteroides
    # sphingolipids keep the colon uninflamed in gnotobiotic mice and are lower
    # in IBD stool (Brown 2019, doi:10.1016/j.chom.2019.04.002).  Rows citing
    # Olsen 2001 are left out: its DOI could not be verified.
    sphingo = pd.read_csv(base / "sphingolipid_producing.csv")
    sphingo = sphingo[sphingo["Attribute_value"].astype(str).str.upper() == "TRUE"]

    def sphingo_trait(rec):
        yield "sphingolipid_producer", 1.0, "", ""

    rows += _rows_from_bugphyzz(sphingo, sphingo_trait)

    health = pd.read_csv(base / "health_associated.csv")

    def health_trait(rec):
        favourable = str(rec.Attribute_value).upper() == "TRUE"
        yield ("asnicar_favourable" if favourable else "asnicar_unfavourable"), 1.0, "", ""

    rows += _rows_from_bugphyzz(health, health_trait)
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "claim_group", "claim"])
    frame = frame.drop_duplicates(subset=["taxon", "rank", "trait", "value", "evidence", "source"])
    # Keep genera that reach human stool: bugphyzz's 'host-associated' genus
    # set, every genus seen in the 5,026 stool metagenomes of the GMWI web tool
    # (Chang et al. 2023; the set alone misses Bacteroides), and every genus
    # with a gut-relevant trait row.  Soil and marine taxa would only bloat a
    # table that is reviewed.  A taxon passes under any of its names: the
    # sets name genera as bugphyzz and GMWI do, often the genus a species
    # has left (Actinomyces for Schaalia meyeri, Lactobacillus for the 2020
    # lactobacilli genera), and reading only the current genus dropped 86
    # rows of 20 renamed species.
    host = host_associated_genera(shared) | stool_genera(shared) | set(frame.loc[frame["trait"].isin(
        ["butyrate_producer", "acetate_producer", "lactate_producer", "asnicar_favourable",
         "asnicar_unfavourable"]), "taxon"].str.split(" ").str[0])
    frame = frame[[in_stool_genus(taxon, rank, host) for taxon, rank in zip(frame["taxon"], frame["rank"], strict=True)]]
    frame, contested = resolve_conflicts(frame)
    for (taxon, rank, group), claims in sorted(contested.items()):
        print(f"bugphyzz: {rank} {taxon}: {group} contested ({claims}); no call kept")
    frame, overruled = drop_contradicted_genus_calls(frame)
    for (genus, group), (claim, n) in sorted(overruled.items()):
        print(f"bugphyzz: genus {genus}: {group} call '{claim}' contradicted by {n} of its species; no call kept")
    frame = frame[COLUMNS]
    # Lookup uses only the strongest evidence level of a (taxon, trait); weaker
    # rows would never be read, so they are not written.
    order = {"experiment": 0, "genome_analysis": 1, "review_consensus": 2, "model_prediction": 3}
    strength = frame["evidence"].map(order)
    best = strength.groupby([frame["taxon"], frame["rank"], frame["trait"]]).transform("min")
    return frame[strength == best]


def resolve_conflicts(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[tuple[str, str, str], str]]:
    """The conflict rule for bugphyzz calls that exclude each other.

    Groups of exclusive claims: aerophilicity (strict anaerobe or
    oxygen-tolerant), Gram stain (positive or negative), pathogen of animals
    (yes or no).  A claim is a call said of the whole taxon (frequency
    "always" or not given).  When the claims about one taxon disagree:

    1. claims of high ``Confidence_in_curation`` (bugphyzz's own field) that
       agree among themselves win, and the contradicting lower-curation rows
       are dropped;
    2. otherwise the taxon gets no call of that group from bugphyzz: its value
       is missing, not a guess, and the lookup falls back on its genus (Gram
       stain and aerophilicity count fully from a genus row) or a curated row.

    Medium does not overrule low: between the medium-curation compilations
    and predictions (bacteria-archaea-traits, ProTraits) and the low-curation
    Microbe Directory nothing in bugphyzz says which is right, and either
    is wrong in the returned rows (ProTraits, medium, predicts *Alcaligenes
    faecalis* Gram-positive against The Microbe Directory's Gram-negative;
    bacteria-archaea-traits, medium, calls *Lacticaseibacillus paracasei*
    anaerobic against ProTraits' facultatively anaerobic).  The evidence level
    breaks no tie either: ours is mapped from bugphyzz's codes.  A species is
    not weighed against its genus's rows: bugphyzz's genus rows have errors of
    their own (*Bacillus* "anaerobic, always"), and letting them overrule
    species calls dropped 470 rows, most of them right (the species judge
    the genus instead, drop_contradicted_genus_calls).  Rows under a taxon's
    former names are pooled with its current name's (one taxon).

    Returns the kept rows and, per (taxon, rank, group) left without a call,
    the claims that disagreed.
    """
    keyed = frame[frame["claim_group"] != ""].assign(level=lambda f: f["curation"].map(CURATION_RANK).fillna(0))
    drop: set = set()
    contested: dict[tuple[str, str, str], str] = {}
    for (taxon, rank, group), rows in keyed.groupby(["taxon", "rank", "claim_group"], sort=False):
        if rows["claim"].nunique() < 2:
            continue
        top = rows[rows["level"] == CURATION_RANK["high"]]
        if top["claim"].nunique() == 1:
            drop.update(rows.index[rows["claim"] != top["claim"].iloc[0]])
        else:
            drop.update(rows.index)
            contested[(taxon, rank, group)] = ", ".join(sorted(set(rows["claim"])))
    return frame.drop(index=sorted(drop)), contested


# A genus call is left out when at least this many of the genus's species
# make a call of the same group and none of them agrees (drop_contradicted_genus_calls).
GENUS_CONTRADICTED_BY = 3

# Genus calls of bugphyzz that the genus's own description contradicts and
# that the species rule cannot reach (too few species with a call).  Each is
# dropped, so the genus has no call of that group from bugphyzz; the source
# is the genus description, read as an abstract (no DOI of it was verified,
# so it is named here, not written as a row).
GENUS_CALLS_DROPPED = {
    # Bergey's row: "obligately aerobic, always".  Cai & Dong 2010, Int J Syst
    # Evol Microbiol 60:845-849 (the genus description; abstract): "an
    # obligate anaerobic ... bacterium"; its one species with a bugphyzz call
    # (C. lentocellum, ProTraits) is obligately anaerobic too.
    ("Cellulosilyticum", "oxygen"): "Cai & Dong 2010, IJSEM 60:845-849: obligately anaerobic",
}


def drop_contradicted_genus_calls(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[tuple[str, str], tuple[str, int]]]:
    """Leave out bugphyzz genus calls that the genus's own species contradict.

    Genus rows are the fallback of every species without a call of its own,
    so a wrong genus row spreads (bugphyzz's *Bacillus* row says "anaerobic,
    always").  A genus call of an exclusive group (aerophilicity, Gram stain)
    is dropped when at least ``GENUS_CONTRADICTED_BY`` species of the genus
    (by current name, after the conflict rule) make a whole-taxon call of the
    same group and none agrees with the genus: then the genus has no call of
    that group from bugphyzz (missing, not the species' majority written in
    its place).  The calls of ``GENUS_CALLS_DROPPED`` are dropped by their
    cited description.  Returns the kept rows and, per (genus, group)
    dropped, the genus's claim and the number of species that contradict it.
    """
    claims = frame[frame["claim_group"] != ""]
    species = claims[claims["rank"] == "species"].drop_duplicates(["taxon", "claim_group", "claim"])
    species = species.assign(genus=species["taxon"].str.split(" ").str[0])
    genera = claims[claims["rank"] == "genus"].drop_duplicates(["taxon", "claim_group", "claim"])
    drop: set = set()
    overruled: dict[tuple[str, str], tuple[str, int]] = {}
    for (genus, group), rows in genera.groupby(["taxon", "claim_group"], sort=False):
        if rows["claim"].nunique() != 1:
            continue
        claim = rows["claim"].iloc[0]
        said = species[(species["genus"] == genus) & (species["claim_group"] == group)]
        against = int((said["claim"] != claim).sum())
        if (genus, group) in GENUS_CALLS_DROPPED or (against >= GENUS_CONTRADICTED_BY and against == len(said)):
            overruled[(genus, group)] = (claim, against)
            drop.update(frame.index[(frame["rank"] == "genus") & (frame["taxon"] == genus)
                                    & (frame["claim_group"] == group)])
    return frame.drop(index=sorted(drop)), overruled


def in_stool_genus(taxon: str, rank: str, genera: set[str]) -> bool:
    """Whether ``taxon`` belongs to one of ``genera`` under its current name or
    any former name the synonym table gives it.

    The filter's purpose is to keep the taxa of genera that reach human stool;
    a renamed species is the same organism whatever genus its current name
    carries, so *Schaalia odontolytica* passes as *Actinomyces odontolyticus*
    and *Lacticaseibacillus paracasei* as *Lactobacillus paracasei*.  Reading
    the current genus only dropped the rows of every species moved to a genus
    the sets do not name (docs/knowledge-base.md, "Renamed species").
    """
    return any(name.split(" ")[0] in genera for name in names_of(rank, taxon))


def stool_genera(shared: Path) -> set[str]:
    """Genera detected in the GMWI web tool's 5,026 stool metagenomes
    (population/gmwi_webtool_medians.csv columns, Chang et al. 2023,
    doi:10.1093/bioinformatics/btad061)."""
    header = (shared / "population" / "gmwi_webtool_medians.csv").read_text("utf-8").splitlines()[0].split(",")
    return {
        canonical_name("genus", normalize_name(c[3:]))
        for c in header
        if c.startswith("g__") and not is_unclassified(c[3:])
    }


def host_associated_genera(shared: Path) -> set[str]:
    """Genera bugphyzz lists as host-associated (the .gmt genus sets)."""
    for line in (shared / "traits" / "bugphyzz" / "bugphyzz-genus-Taxon_name.gmt").read_text("utf-8").splitlines():
        fields = line.split("\t")
        if fields[0] == "bugphyzz:host-associated|TRUE":
            return {canonical_name("genus", normalize_name(g)) for g in fields[2:] if g}
    raise SystemExit("bugphyzz .gmt has no host-associated|TRUE set")


def build_vital(shared: Path) -> pd.DataFrame:
    table = pd.read_csv(shared / "traits" / "vital2014" / "Vital_etal_butyrate_producing_microbes.csv")
    rows = []
    # Known misspellings in the list as distributed; the corrected name is noted.
    fixes = {"Anaerostipes cacae": "Anaerostipes caccae", "Allstipes putredenis": "Alistipes putredinis",
             "Eubacterium celluloloysens": "Eubacterium cellulosolvens", "Acetomena longum": "Acetonema longum",
             "Thermosipho aficanus": "Thermosipho africanus", "Stimatella aurantiaca": "Stigmatella aurantiaca"}
    for rec in table.itertuples(index=False):
        raw = str(rec.Name).replace(",", " ")
        words = raw.split()
        if len(words) < 2:
            continue
        binomial = " ".join(words[:2])
        note = f"genome {rec.Name!s} (family as listed: {rec.Family})"
        if binomial in fixes:
            note += f"; listed as '{binomial}'"
            binomial = fixes[binomial]
        taxon = _taxon("species", binomial)
        if taxon is None:
            continue
        rows.append({"taxon": taxon, "rank": "species", "ncbi_taxid": "", "trait": "butyrate_producer", "value": 1.0,
                     "qualifier": "route=unspecified", "evidence": "genome_analysis",
                     "source": "doi:10.1128/mBio.00889-14", "note": note})
    frame = pd.DataFrame(rows, columns=COLUMNS)
    # One row per species; the genomes behind it are listed in the note.
    return (frame.groupby(["taxon"], sort=True, as_index=False)
            .agg({c: "first" for c in COLUMNS if c not in {"taxon", "note"}} | {"note": "; ".join})[COLUMNS])


_GTDB_RANK = re.compile(r"^([dpcofgs])__(.*)$")


def _gtdb_ranks(lineage: str) -> dict[str, str]:
    ranks = {}
    for part in str(lineage).split(";"):
        m = _GTDB_RANK.match(part.strip())
        if m:
            ranks[m.group(1)] = m.group(2)
    return ranks


def _gtdb_genus(raw: str) -> str | None:
    genus = canonical_name("genus", normalize_name(raw))
    if not genus[:1].isupper() or "-" in genus or any(ch.isdigit() for ch in genus):
        return None  # GTDB placeholder genera (UBA7185, CAG-...) are not names profiles use
    return genus


BRACCIA = "doi:10.3389/fmicb.2021.705583"


def build_braccia(shared: Path) -> pd.DataFrame:
    """H2S producers and sulfate reducers from Braccia et al. 2021.

    The cysteine table classifies every UHGG species-representative genome
    (4,644): ``primary``/``secondary`` = cysteine-degrading genes found,
    ``absent`` = none found, ``erroneous`` = unusable call (skipped).  The
    dissimilatory sulfite reductase (dsrAB) table lists the genomes with the
    sulfate/sulfite-reduction pathway.  Per named species:

    - ``h2s_producer`` = 1 with one row per route found; 0 (``route=none``)
      when the genome has neither cysteine-degrading nor dsr genes.  ``absent``
      is never a producer call.
    - ``sulfate_reducer`` = 1 with dsr genes, 0 without.

    Per genus, the value is the share of the genus's species representatives
    (named or not) carrying the trait, so a genus where 1 of 30 genomes has
    dsr genes (Alistipes) is not called a sulfate reducer.
    """
    base = shared / "traits" / "h2s_braccia2021"
    cys = pd.read_csv(base / "Cysteine_Degradation_hmm.taxa_hits_hmm.tsv", sep="\t")
    dsr = pd.read_csv(base / "Dissimilatory_Sulf_Reduction.taxa_hits.txt", sep="\t", header=None, names=["taxa_name"])
    dsr_lineages = set(dsr["taxa_name"])
    cys = cys[cys["output_type"] != "erroneous"]
    route_name = {"primary": "cysteine_primary", "secondary": "cysteine_secondary"}
    # species -> set of routes; species -> [genomes, dsr genomes]
    species_routes: dict[str, set[str]] = {}
    species_dsr: dict[str, list[int]] = {}
    genus_h2s: dict[str, list[int]] = {}
    genus_dsr: dict[str, list[int]] = {}
    for lineage, call in zip(cys["taxa_name"], cys["output_type"], strict=True):
        ranks = _gtdb_ranks(lineage)
        has_dsr = lineage in dsr_lineages
        routes = set()
        if call in route_name:
            routes.add(route_name[call])
        if has_dsr:
            routes.add("sulfate_reduction")
        genus = _gtdb_genus(ranks["g"]) if ranks.get("g") else None
        if genus:
            counts = genus_h2s.setdefault(genus, [0, 0])
            counts[0] += 1
            counts[1] += bool(routes)
            counts = genus_dsr.setdefault(genus, [0, 0])
            counts[0] += 1
            counts[1] += has_dsr
        species = ranks.get("s", "")
        if species and not species.startswith("MGYG"):
            taxon = _taxon("species", species)
            if taxon:
                species_routes.setdefault(taxon, set()).update(routes)
                counts = species_dsr.setdefault(taxon, [0, 0])
                counts[0] += 1
                counts[1] += has_dsr

    def row(taxon, rank, trait, value, qualifier, note):
        return {"taxon": taxon, "rank": rank, "ncbi_taxid": "", "trait": trait, "value": value,
                "qualifier": qualifier, "evidence": "genome_analysis", "source": BRACCIA, "note": note}

    rows = []
    for taxon, routes in sorted(species_routes.items()):
        n = species_dsr[taxon][0]
        if routes:
            for route in sorted(routes):
                rows.append(row(taxon, "species", "h2s_producer", 1.0, f"route={route}",
                                f"{n} UHGG species-representative genome(s); {route} genes found"))
        else:
            rows.append(row(taxon, "species", "h2s_producer", 0.0, "route=none",
                            f"{n} UHGG genome(s): no cysteine-degrading and no dsrAB genes (Braccia call 'absent')"))
    for taxon, (n, k) in sorted(species_dsr.items()):
        value = k / n
        rows.append(row(taxon, "species", "sulfate_reducer", round(value, 3), "",
                        f"dissimilatory sulfite reductase (dsrAB) genes in {k} of {n} UHGG genome(s)"))
    for genus, (n, k) in sorted(genus_h2s.items()):
        rows.append(row(genus, "genus", "h2s_producer", round(k / n, 3), "",
                        f"share of the genus's UHGG species representatives with any H2S route: {k} of {n}"))
    for genus, (n, k) in sorted(genus_dsr.items()):
        rows.append(row(genus, "genus", "sulfate_reducer", round(k / n, 3), "",
                        f"share of the genus's UHGG species representatives with dsrAB genes: {k} of {n}"))
    return pd.DataFrame(rows, columns=COLUMNS)


def build_gmhi(shared: Path) -> pd.DataFrame:
    rows = []
    for fname, trait in (("MH_species.txt", "gmhi_health_prevalent"), ("MN_species.txt", "gmhi_health_scarce")):
        for line in (shared / "gmhi" / fname).read_text("utf-8").split():
            raw = line.strip().removeprefix("s__")
            if not raw:
                continue
            taxon = canonical_name("species", raw)
            rows.append({"taxon": taxon, "rank": "species", "ncbi_taxid": "", "trait": trait, "value": 1.0,
                         "qualifier": "", "evidence": "genome_analysis", "source": "doi:10.1038/s41467-020-18476-8",
                         "note": f"MetaPhlAn2 name {line.strip()}"})
    return pd.DataFrame(rows, columns=COLUMNS)


def write(frame: pd.DataFrame, path: Path, header: list[str], *, host: str | None = None) -> None:
    """Write one table; ``host`` fills the host of the evidence where the builder left it empty."""
    frame = frame.copy()
    for col, default in (("host", host or ""), ("strain_specific", "no"), ("curation", "")):
        frame[col] = frame[col].fillna(default).replace("", default) if col in frame else default
    frame = frame.sort_values(["rank", "taxon", "trait", "source", "value"], kind="stable")
    lines = [f"# {h}" for h in header]
    lines.append("\t".join(COLUMNS))
    for rec in frame.itertuples(index=False):
        values = []
        for col, v in zip(COLUMNS, rec, strict=True):
            text = f"{v:g}" if col == "value" else str(v)
            values.append(text.replace("\t", " ").replace("\n", " "))
        lines.append("\t".join(values))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{path.relative_to(ROOT)}: {len(frame)} rows")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shared_argument(parser)
    args = parser.parse_args()
    shared = args.shared
    generated = "generated by scripts/build_traits.py from ../shared/data; do not edit by hand"
    write(build_bugphyzz(shared), OUT / "bugphyzz.tsv",
          [f"{BUGPHYZZ_VERSION}: traits/bugphyzz/*.csv", generated,
           "source = the DOI of bugphyzz's own per-row source; the note keeps its raw attribute and value",
           "value = the call x bugphyzz Frequency (always 1, usually 0.8, sometimes 0.5, rarely 0.2; assumed);"
           " curation = bugphyzz Confidence_in_curation"])
    write(build_vital(shared), OUT / "vital2014.tsv",
          ["Vital et al. 2014 butyrate-producing genomes (traits/vital2014, list as kept in bsantan/kg-microbe-paper)",
           generated], host="in_silico")
    write(build_braccia(shared), OUT / "braccia2021_h2s.tsv",
          ["Braccia et al. 2021 H2S production (cysteine degradation, dsrAB) calls on UHGG genomes (traits/h2s_braccia2021)",
           "species rows: 1/0 per genome call; genus rows: share of the genus's UHGG species representatives", generated],
          host="in_silico")
    write(build_gmhi(shared), OUT / "gmhi.tsv",
          ["Gupta et al. 2020 GMHI marker species (gmhi/MH_species.txt, MN_species.txt), renamed to current names",
           generated], host="human")


if __name__ == "__main__":
    main()
