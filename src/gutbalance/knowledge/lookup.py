"""Looking traits up for taxa, with rank fallback and confidence.

For each trait, a taxon gets the value of the most specific rank that has a
row for it: its species row, else its genus row, else family, order, class,
phylum.  The confidence of a call is ``RANK_CONFIDENCE[rank] *
EVIDENCE_WEIGHT[evidence]`` (both assumed ordinal weights, documented in
``docs/knowledge-base.md``).  Where one node has several rows for a trait, the
strongest evidence level wins and rows of equal strength are averaged.

The *weight* of a call is how much it counts in the scores
(:meth:`TraitMatrix.weighted`): evidence level x rank fallback (only above the
rank the trait is conserved to) x host of the evidence (for effects on a
host) x strain-specificity (a strain's effect credited to a whole species),
with the factors in ``data/evidence_weights.tsv``.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import DataError
from ..taxonomy import (
    PREFIX_RANK,
    RANKS,
    canonical_name,
    is_unclassified,
    looks_like_genus,
    names_a_virus,
    names_of,
    parse_lineage,
)
from ..taxonomy import taxon as _node_of
from ..taxonomy.placement import lineage_table, named_above_genus, table_lineage
from .loading import EvidenceWeights, KnowledgeBase, evidence_weights, load_knowledge
from .schema import EVIDENCE_LEVELS, EVIDENCE_WEIGHT, KB_RANKS, PILLARS, RANK_CONFIDENCE, TRAITS

#: Traits whose value is not a 0..1 share (never weighted).
UNWEIGHTED_TRAITS = {"pathogenicity_class"}

#: Ranks whose rows count as "annotated" for the coverage figure.
COVERAGE_RANKS: tuple[str, ...] = ("species", "genus")


@dataclass(frozen=True)
class Call:
    """One trait resolved at one node of the tree."""

    value: float
    evidence: str
    sources: tuple[str, ...]
    qualifier: str
    note: str
    host: str = ""
    strain_specific: str = ""
    effect: str = ""
    #: bugphyzz's curation level of the rows behind the call ("high", "medium", "low"; "" for curated rows)
    curation: str = ""
    #: evidence x host x strain x curation factor of the rows behind the call (rank comes in at lookup).
    factor: float = 1.0


def _merged_strain_flag(flags: list[str]) -> str:
    """The strain flag of rows merged into one call: "yes" or "no" where they
    agree, else how many say "yes" ("1 of 2 rows"): "yes if any row is" hid
    that M. gnavus's pro-inflammatory rows disagree while the weight averaged
    them (an outside review).

    >>> _merged_strain_flag(["yes", "no"]), _merged_strain_flag(["yes", "yes"]), _merged_strain_flag(["", ""])
    ('1 of 2 rows', 'yes', '')
    """
    given = [f for f in flags if f]
    if not given:
        return ""
    yes = sum(f == "yes" for f in given)
    if yes in (0, len(given)):
        return "yes" if yes else "no"
    return f"{yes} of {len(given)} rows"


def call_weight(trait: str, at_rank: str, call: Call, weights: EvidenceWeights | None = None) -> float:
    """How much ``call`` (resolved at ``at_rank``) counts in the scores, 0..1."""
    if trait in UNWEIGHTED_TRAITS:
        return 1.0
    w = weights or evidence_weights()
    conserved = TRAITS[trait].conserved
    rank_w = min(1.0, w.rank[at_rank] / w.rank[conserved]) if at_rank in w.rank and conserved in w.rank else 1.0
    return call.factor * rank_w


def _row_factor(trait: str, evidence: str, host: str, strain_specific: str, at_strain: bool, w: EvidenceWeights,
                curation: str = "") -> float:
    f = w.evidence[evidence] * (w.curation[curation] if curation else 1.0)
    if TRAITS[trait].host_effect and host:
        f *= w.host[host]
    if strain_specific == "yes" and not at_strain:
        f *= w.strain["yes"]
    return f


def _resolved_nodes(kb: KnowledgeBase) -> dict[tuple[str, str], dict[str, Call]]:
    """Per (rank, taxon): per trait, the call after evidence ranking (cached on the KB)."""
    cached = getattr(kb, "_resolved", None)
    if cached is not None:
        return cached
    order = {level: i for i, level in enumerate(EVIDENCE_LEVELS)}
    out: dict[tuple[str, str], dict[str, Call]] = {}
    facts = kb.facts
    # Plain Python over the rows: a pandas groupby with one small frame per
    # (taxon, trait) took seconds for 10,000 facts, paid by every worker.
    groups: dict[tuple[str, str, str], list[tuple]] = {}
    columns = ["rank", "taxon", "trait", "value", "evidence", "source", "qualifier", "note", "host", "strain_specific",
               "effect", "curation"]
    data = {c: (facts[c].tolist() if c in facts.columns else [""] * len(facts)) for c in columns}
    for row in zip(*(data[c] for c in columns), strict=True):
        groups.setdefault(row[:3], []).append(row)
    w = evidence_weights()
    for (rank, taxon, trait), rows in groups.items():
        strongest = min(order[r[4]] for r in rows)
        best = [r for r in rows if order[r[4]] == strongest]
        factors = [_row_factor(trait, r[4], r[8], r[9], rank == "strain", w, r[11]) for r in best]
        call = Call(
            value=float(sum(float(r[3]) for r in best) / len(best)),
            evidence=str(best[0][4]),
            sources=tuple(dict.fromkeys(r[5] for r in best)),
            qualifier="; ".join(q for q in dict.fromkeys(r[6] for r in best) if q),
            note=" | ".join(n for n in dict.fromkeys(r[7] for r in best) if n),
            host=", ".join(h for h in dict.fromkeys(r[8] for r in best) if h),
            strain_specific=_merged_strain_flag([r[9] for r in best]),
            effect="; ".join(e for e in dict.fromkeys(r[10] for r in best) if e),
            curation=", ".join(c for c in dict.fromkeys(r[11] for r in best) if c),
            factor=float(sum(factors) / len(factors)),
        )
        out.setdefault((rank, taxon), {})[trait] = call
    object.__setattr__(kb, "_resolved", out)
    return out


def preload(kb: KnowledgeBase | None = None) -> KnowledgeBase:
    """The knowledge base (the shipped one when ``kb`` is None) with every
    taxon's calls already resolved and cached on it.

    A batch run calls this before it starts worker processes, so the forked
    workers inherit the resolved calls instead of each resolving them again.
    """
    kb = load_knowledge() if kb is None else kb
    _resolved_nodes(kb)
    return kb


def lineage_of(name: str, rank: str = "species") -> dict[str, str]:
    """Ranks -> canonical names for a taxon given by name or by full lineage.

    A full lineage (``k__Bacteria|...|s__Escherichia_coli``) gives every rank;
    a bare species name gives the species and, from its first word, the genus.
    """
    if "|" in name or ";" in name or "__" in name:
        return {t.rank: t.name for t in parse_lineage(name) if not t.unclassified}
    if rank not in RANKS:
        raise DataError(f"unknown rank {rank!r}")
    if is_unclassified(name):
        return {}
    current = canonical_name(rank, name)
    out = {rank: current}
    if rank == "strain" and len(current.split(" ")) > 2:
        # "Escherichia coli Nissle 1917": the binomial is the species.
        out["species"] = canonical_name("species", " ".join(current.split(" ")[:2]))
        current = out["species"]
    if rank in ("species", "strain"):
        first = current.split(" ", 1)[0]
        if looks_like_genus(first) and " " in current and not names_a_virus(current):
            out["genus"] = canonical_name("genus", first)
    return out


#: How a species group is written: NCBI's "species group" rank (Pseudomonas
#: aeruginosa group, taxid 136841), which MetaPhlAn 3 reports as a species
#: where its markers cannot tell the members apart.
_GROUP_SUFFIX = " group"
_BINOMIAL = re.compile(r"[A-Z][a-z]+ [a-z]+")
#: How MetaPhlAn 4 writes the clades of a species complex that its database
#: keeps apart: s__Prevotella_copri_clade_A ... _G (the P. copri complex of
#: Tett et al. 2019, doi:10.1016/j.chom.2019.08.018).  Each clade is a species
#: of its own for diversity, and takes the complex's rows, which come from
#: studies that could not tell the clades apart.
_CLADE = re.compile(r"([A-Z][a-z]+ [a-z]+) clade [A-Za-z0-9]+")


def species_group_namesake(name: str) -> str:
    """The species a species group or a clade of a species complex is named
    after (``""`` for any other name).

    >>> species_group_namesake("Pseudomonas aeruginosa group")
    'Pseudomonas aeruginosa'
    >>> species_group_namesake("Segatella copri clade A")
    'Segatella copri'
    >>> species_group_namesake("Pseudomonas aeruginosa")
    ''
    """
    clade = _CLADE.fullmatch(name)
    if clade:
        return canonical_name("species", clade.group(1))
    if not name.endswith(_GROUP_SUFFIX):
        return ""
    base = name[: -len(_GROUP_SUFFIX)].strip()
    if not _BINOMIAL.fullmatch(base):  # "Clostridia vadinBB60 group" is a SILVA order, not a species group
        return ""
    return canonical_name("species", base)


def _genus_word(name: str) -> str:
    """The genus a species name carries: the first word of a binomial, canonical at genus rank ("" for none)."""
    first, _, rest = name.partition(" ")
    if not rest or not looks_like_genus(first):
        return ""
    return canonical_name("genus", first)


def _genus_within(genus: str, placed_in: str) -> bool:
    """Whether the lineage table files ``genus`` under ``placed_in`` (a
    feature id such as ``f__Lachnospiraceae``); a genus the table does not
    know, or knows without that rank, is taken to be."""
    feature_id = _node_of("genus", genus).id
    if not placed_in or feature_id not in lineage_table():
        return True
    ancestors = table_lineage(feature_id)
    rank = PREFIX_RANK[placed_in.split("__", 1)[0]]
    at_rank = [t.id for t in ancestors if t.rank == rank and not t.unclassified]
    return not at_rank or placed_in in at_rank


@lru_cache(maxsize=1 << 16)
def name_genera(species: str, filed_genus: str = "", placed_in: str = "") -> tuple[str, ...]:
    """The genera whose rows a species inherits: the genus of its binomial
    under each of its names, the current name's first, then each former
    name's in the synonym table's order, each only where it belongs to the
    species' own family (``placed_in``: the feature id of the species'
    family, or of the nearest rank above it its lineage names, such as
    ``o__Clostridiales``; a genus the lineage table does not know is taken
    as it is).  ``filed_genus``, the genus a
    profiler or the lineage table files the species under, counts only as
    one of these.

    A genus row means the genus as its source meant it.  No source about a
    genus meant a species that never carried its name: *Mediterraneibacter
    gnavus*, filed under *Blautia* by MetaPhlAn 3, never takes *Blautia*'s
    rows.  Nor did a source mean a species whose name put it in a genus of
    another family ("[Clostridium] scindens" and "[Ruminococcus] gnavus",
    both Lachnospiraceae, are not the Clostridiaceae and Ruminococcaceae
    their genus names stand for; "[Bacteroides] pectinophilus" is no
    Bacteroidaceae nor even a Bacteroidales).  *Phocaeicola vulgatus* takes *Phocaeicola*'s rows, then
    *Bacteroides*'s (same family: a *Bacteroides* row of before 2020 meant
    it).  A name whose first word is no genus ("Lachnospiraceae bacterium
    3_1_46FAA", "Firmicutes bacterium CAG:41", "Escherichia virus P1")
    claims none, and the genus it is filed under stands; a name with more
    than a binomial ("Amedibacillus dolichus CAG 375") carries the genera of
    its binomial's former names too.

    >>> name_genera("Mediterraneibacter gnavus", "Blautia", "f__Lachnospiraceae")
    ('Mediterraneibacter',)
    >>> name_genera("Phocaeicola vulgatus", "Bacteroides", "f__Bacteroidaceae")
    ('Phocaeicola', 'Bacteroides')
    >>> name_genera("Firmicutes bacterium CAG 41", "Blautia", "f__Lachnospiraceae")
    ('Blautia',)
    >>> name_genera("Escherichia virus P1", "P1virus", "f__Myoviridae")
    ('P1virus',)
    """
    words = species.split(" ")
    if names_a_virus(species):  # a virus named after its host carries no genus of the host
        return (filed_genus,) if filed_genus else ()
    names = names_of("species", species)
    if len(words) > 2:  # "Amedibacillus dolichus CAG 375": the binomial's former names too
        names = (*names, *(" ".join([old, *words[2:]]) for old in names_of("species", " ".join(words[:2]))[1:]))
    carried: list[str] = []
    for name in names:
        genus = _genus_word(name)
        if genus and genus not in carried and not named_above_genus(name.split(" ", 1)[0]):
            carried.append(genus)
    if not carried:
        return (filed_genus,) if filed_genus else ()
    return tuple(g for g in carried if _genus_within(g, placed_in))


def _named_ranks(feature_id: str) -> dict[str, str]:
    return {t.rank: t.name for t in table_lineage(feature_id) if not t.unclassified}


@lru_cache(maxsize=1 << 16)
def renamed_into(species: str, family: str) -> dict[str, str]:
    """The family and higher ranks of a species' current genus, where the
    species was moved into that genus by a published combination and the
    lineage table files the species in another family (``family``, a feature
    id): a profiler's legacy placement.  Empty otherwise.

    MetaPhlAn 3 files *Lachnospira eligens* under *Eubacterium*,
    Eubacteriaceae, because NCBI did when the species was "[Eubacterium]
    eligens"; the combination into *Lachnospira* places it in the
    Lachnospiraceae (so does GTDB), and GMWI2 still reads the clade as it
    was fitted (the lineage table is not changed).  A species whose current
    name carries a misapplied genus name (*Clostridium scindens*, never
    renamed) has no published combination, so its lineage's family stands.

    >>> renamed_into("Lachnospira eligens", "f__Eubacteriaceae")["family"]
    'Lachnospiraceae'
    >>> renamed_into("Clostridium scindens", "f__Lachnospiraceae")
    {}
    """
    if len(names_of("species", species)) < 2:  # no former name: no published combination
        return {}
    genus = _genus_word(species)
    genus_id = _node_of("genus", genus).id if genus else ""
    if not genus_id or genus_id not in lineage_table():
        return {}
    ranks = _named_ranks(genus_id)
    current = ranks.get("family")
    if not current or not family.startswith("f__") or _node_of("family", current).id == family:
        return {}
    return {r: n for r, n in ranks.items() if r in KB_RANKS and KB_RANKS.index(r) >= KB_RANKS.index("family")}


def _table_placed(lineage: dict[str, str]) -> dict[str, str]:
    """``lineage`` as the lineage table places its species where it knows it."""
    species = lineage.get("species", "")
    if species and _node_of("species", species).id in lineage_table():
        return _named_ranks(_node_of("species", species).id)
    return lineage


def _family_of(lineage: dict[str, str]) -> str:
    """Feature id of the family the lineage table (or ``lineage``) files a species in ("" for none)."""
    family = _table_placed(lineage).get("family", "")
    return _node_of("family", family).id if family else ""


def placed_in(lineage: dict[str, str]) -> str:
    """Feature id of a species' family, else of the nearest rank above it
    that is named ("" for none): as the lineage table places the species
    where it knows it (so a genus is compared with the species in one
    taxonomy: a hand-written Morganellaceae *Providencia stuartii* and the
    table's Enterobacteriaceae *Providencia*), else as ``lineage`` gives it;
    the family of its current genus where that placement is a legacy one
    (:func:`renamed_into`)."""
    placed = _table_placed(lineage)
    found = next((_node_of(r, placed[r]).id for r in KB_RANKS[KB_RANKS.index("family"):] if placed.get(r)), "")
    species = lineage.get("species", "")
    moved = renamed_into(species, found) if species else {}
    return _node_of("family", moved["family"]).id if moved else found


def inheritance_path(lineage: dict[str, str], max_rank: str = "phylum") -> tuple[tuple[str, str], ...]:
    """The (rank, taxon) nodes whose rows a taxon with ``lineage`` takes, most
    specific first: for each trait the first node with a row for it wins.

    A species (or strain) takes its genus rows from :func:`name_genera`,
    not simply from the genus of its lineage; every other rank from its
    lineage, except that a species moved by a published combination into a
    genus of another family than the one it is filed in takes the family and
    higher ranks of its current genus (:func:`renamed_into`: *Lachnospira
    eligens*, filed under Eubacteriaceae, takes the Lachnospiraceae rows).
    A species group without rows of its own takes its namesake's
    (assumed: the group is named after the species whose markers the
    profiler found, in stool nearly always the namesake); its own rows come
    first.
    """
    stop = KB_RANKS.index(max_rank)
    species = lineage.get("species", "")
    family = placed_in(lineage) if species else ""
    moved = renamed_into(species, _family_of(lineage)) if species else {}
    path: list[tuple[str, str]] = []
    for rank in KB_RANKS[: stop + 1]:
        written = moved.get(rank) or lineage.get(rank)
        if rank == "genus" and species:
            genera = name_genera(species_group_namesake(species) or species, written or "", family)
            path.extend(("genus", genus) for genus in genera)
            continue
        if not written:
            continue
        path.append((rank, written))
        if rank == "species":
            namesake = species_group_namesake(written)
            if namesake:
                path.append((rank, namesake))
    return tuple(path)


def _resolve(lineage: dict[str, str], traits: list[str], nodes, max_rank: str) -> dict[str, tuple[str, str, Call]]:
    found: dict[str, tuple[str, str, Call]] = {}
    for rank, taxon in inheritance_path(lineage, max_rank):
        calls = nodes.get((rank, taxon))
        if not calls:
            continue
        for trait in traits:
            if trait not in found and trait in calls:
                found[trait] = (rank, taxon, calls[trait])
        if len(found) == len(traits):
            break
    return found


def lookup(
    name: str,
    rank: str = "species",
    *,
    traits: list[str] | None = None,
    max_rank: str = "phylum",
    kb: KnowledgeBase | None = None,
) -> pd.DataFrame:
    """Every trait known for one taxon, with the rank it was resolved at.

    Parameters
    ----------
    name
        A taxon name in any spelling (synonyms are followed) or a full
        lineage such as ``k__Bacteria|...|s__Escherichia_coli`` (enables the
        family-and-above fallback).
    rank
        Rank of ``name`` when it is a bare name.
    traits
        Restrict to these traits (default: all).
    max_rank
        Highest rank to fall back to (``"genus"`` = species or genus only).

    Returns
    -------
    DataFrame
        One row per trait found: ``trait, pillar, value, confidence, weight,
        resolved_rank, resolved_taxon, evidence, host, strain_specific,
        effect, sources, qualifier, note`` (``weight``: how much the call
        counts in the scores, see :func:`call_weight`).
    """
    kb = kb or load_knowledge()
    wanted = list(traits) if traits else list(TRAITS)
    unknown = [t for t in wanted if t not in TRAITS]
    if unknown:
        raise DataError(f"unknown trait(s): {', '.join(unknown)}")
    found = _resolve(lineage_of(name, rank), wanted, _resolved_nodes(kb), max_rank)
    rows = []
    for trait in wanted:
        if trait not in found:
            continue
        at_rank, taxon, call = found[trait]
        rows.append(
            {
                "trait": trait,
                "pillar": TRAITS[trait].pillar,
                "value": call.value,
                "confidence": RANK_CONFIDENCE[at_rank] * EVIDENCE_WEIGHT[call.evidence],
                "weight": call_weight(trait, at_rank, call),
                "resolved_rank": at_rank,
                "resolved_taxon": taxon,
                "evidence": call.evidence,
                "host": call.host,
                "strain_specific": call.strain_specific,
                "effect": call.effect,
                "curation": call.curation,
                "sources": ", ".join(call.sources),
                "qualifier": call.qualifier,
                "note": call.note,
            }
        )
    columns = ["trait", "pillar", "value", "confidence", "weight", "resolved_rank", "resolved_taxon", "evidence", "host",
               "strain_specific", "effect", "curation", "sources", "qualifier", "note"]
    return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class TraitMatrix:
    """Trait values for a set of taxa (taxa x traits; NaN = unknown) and the
    confidence and rank of every call."""

    values: pd.DataFrame
    confidence: pd.DataFrame
    resolved_rank: pd.DataFrame
    #: How much each call counts (evidence x rank x host x strain, 0..1; 0 where unknown).
    weight: pd.DataFrame | None = None

    def filled(self, fill: float = 0.0) -> pd.DataFrame:
        """Values with unknowns replaced (for matrix products)."""
        return self.values.fillna(fill)

    def weighted(self) -> pd.DataFrame:
        """Values multiplied by their evidence weight (NaN stays unknown).

        What the scores use: a genus-level extension, a mouse-only immune
        effect or a strain's effect credited to its species counts less than
        a species fact shown in people (``docs/knowledge-base.md``).
        """
        if self.weight is None:
            return self.values
        return self.values * self.weight

    def annotated(self, ranks: tuple[str, ...] = COVERAGE_RANKS) -> pd.DataFrame:
        """Boolean taxa x traits: a value was found at one of ``ranks``."""
        return self.resolved_rank.isin(list(ranks))


def _taxa_lineages(taxa: pd.DataFrame) -> list[dict[str, str]]:
    out = []
    rank_columns = [r for r in KB_RANKS if r in taxa.columns]
    has_lineage = bool(rank_columns)
    for idx, row in zip(taxa.index, taxa.itertuples(index=False), strict=True):
        rec = dict(zip(taxa.columns, row, strict=True))
        if has_lineage:
            lineage = {}
            for r in rank_columns:
                value = rec.get(r)
                if isinstance(value, str) and value and not is_unclassified(value):
                    lineage[r] = value
            # A species-level id whose genus column is a placeholder
            # ("g__Lachnospiraceae_unclassified") has no genus to fall back on.
            out.append(lineage)
        else:
            rank = rec.get("rank", "species") or "species"
            name = str(idx).split("__", 1)[-1] if "__" in str(idx) else str(idx)
            out.append(lineage_of(name, rank))
    return out


_MATRIX_CACHE: OrderedDict[tuple, TraitMatrix] = OrderedDict()
_MATRIX_CACHE_SIZE = 16


def trait_matrix(
    taxa: pd.DataFrame,
    traits: list[str] | None = None,
    *,
    max_rank: str = "phylum",
    kb: KnowledgeBase | None = None,
) -> TraitMatrix:
    """Values, confidences and resolution ranks for every taxon in ``taxa``.

    ``taxa`` is a Cohort's ``taxa`` table (one column per rank) or any frame
    indexed by taxon name with an optional ``rank`` column.  The result is
    cached per unique taxon set and trait list, so scoring many cohorts that
    share taxa costs one lookup per taxon; scores are then a sparse product
    ``cohort.X[:, cols] @ matrix.filled()``.
    """
    kb = kb or load_knowledge()
    wanted = list(traits) if traits else list(TRAITS)
    unknown = [t for t in wanted if t not in TRAITS]
    if unknown:
        raise DataError(f"unknown trait(s): {', '.join(unknown)}")
    rank_columns = [c for c in ("rank", *KB_RANKS) if c in taxa.columns]
    key = (
        id(kb),
        tuple(wanted),
        max_rank,
        tuple(taxa.index.astype(str)),
        tuple(map(tuple, taxa[rank_columns].astype(str).to_numpy())) if rank_columns else (),
    )
    hit = _MATRIX_CACHE.get(key)
    if hit is not None:
        _MATRIX_CACHE.move_to_end(key)
        return hit
    nodes = _resolved_nodes(kb)
    n, m = len(taxa), len(wanted)
    values = np.full((n, m), np.nan)
    conf = np.zeros((n, m))
    weight = np.zeros((n, m))
    ranks = np.full((n, m), "", dtype=object)
    col = {t: j for j, t in enumerate(wanted)}
    for i, lineage in enumerate(_taxa_lineages(taxa)):
        for trait, (at_rank, _taxon, call) in _resolve(lineage, wanted, nodes, max_rank).items():
            j = col[trait]
            values[i, j] = call.value
            conf[i, j] = RANK_CONFIDENCE[at_rank] * EVIDENCE_WEIGHT[call.evidence]
            weight[i, j] = call_weight(trait, at_rank, call)
            ranks[i, j] = at_rank
    result = TraitMatrix(
        values=pd.DataFrame(values, index=taxa.index, columns=wanted),
        confidence=pd.DataFrame(conf, index=taxa.index, columns=wanted),
        resolved_rank=pd.DataFrame(ranks, index=taxa.index, columns=wanted),
        weight=pd.DataFrame(weight, index=taxa.index, columns=wanted),
    )
    _MATRIX_CACHE[key] = result
    if len(_MATRIX_CACHE) > _MATRIX_CACHE_SIZE:
        _MATRIX_CACHE.popitem(last=False)
    return result


@dataclass(frozen=True)
class CitedCall:
    """A taxon's call on one trait as scoring resolved it, with what a report
    says of it: the value, its sources, the rank of the row it came from (a
    species may take its genus's row) and the evidence's level, host and
    strain-specificity."""

    value: float
    sources: tuple[str, ...]
    rank: str = ""
    evidence: str = ""
    host: str = ""
    strain_specific: str = ""


def trait_calls(
    taxa: pd.DataFrame,
    traits: list[str] | None = None,
    *,
    max_rank: str = "phylum",
    kb: KnowledgeBase | None = None,
) -> dict[str, dict[str, CitedCall]]:
    """``{taxon: {trait: CitedCall}}`` for every taxon of ``taxa`` and every
    trait it is annotated with, resolved exactly as :func:`trait_matrix`
    resolves it for scoring (same lineage, same fallback): what a report
    cites and names beside a taxon's effect on a score."""
    kb = kb or load_knowledge()
    wanted = list(traits) if traits else list(TRAITS)
    nodes = _resolved_nodes(kb)
    return {
        str(taxon): {
            trait: CitedCall(call.value, call.sources, rank, call.evidence, call.host, call.strain_specific)
            for trait, (rank, _name, call) in _resolve(lineage, wanted, nodes, max_rank).items()
        }
        for taxon, lineage in zip(taxa.index, _taxa_lineages(taxa), strict=True)
    }


def trait_sources(
    taxa: pd.DataFrame,
    traits: list[str] | None = None,
    *,
    max_rank: str = "phylum",
    kb: KnowledgeBase | None = None,
) -> dict[str, dict[str, tuple[float, tuple[str, ...]]]]:
    """``{taxon: {trait: (value, sources)}}``: :func:`trait_calls` without
    the rank and the evidence's details."""
    return {taxon: {trait: (c.value, c.sources) for trait, c in calls.items()}
            for taxon, calls in trait_calls(taxa, traits, max_rank=max_rank, kb=kb).items()}


def annotate(taxa: pd.DataFrame, traits: list[str] | None = None, *, kb: KnowledgeBase | None = None) -> pd.DataFrame:
    """``taxa`` with one column per trait value and ``<trait>_confidence``.

    Convenient for inspection; scorers should use :func:`trait_matrix`.
    """
    matrix = trait_matrix(taxa, traits, kb=kb)
    conf = matrix.confidence.add_suffix("_confidence")
    return pd.concat([taxa, matrix.values, conf], axis=1)


def coverage_matrix(
    species_abundance: sp.spmatrix | np.ndarray,
    species_taxa: pd.DataFrame,
    *,
    kb: KnowledgeBase | None = None,
    ranks: tuple[str, ...] = COVERAGE_RANKS,
) -> pd.DataFrame:
    """Annotated share of species-level abundance per sample, overall and per pillar.

    Parameters
    ----------
    species_abundance
        Samples x species abundances (any scale; each row is divided by its sum).
    species_taxa
        The species' taxa table (same column order).
    ranks
        Ranks whose rows count as annotation (species and genus by default).

    Returns
    -------
    DataFrame
        Columns ``annotated`` (any pillar) and one per pillar, values 0..1;
        rows in the order of ``species_abundance``.
    """
    matrix = trait_matrix(species_taxa, kb=kb)
    annotated = matrix.annotated(ranks)
    flags = {"annotated": annotated.any(axis=1).to_numpy(dtype=float)}
    for pillar in PILLARS:
        cols = [t for t in annotated.columns if TRAITS[t].pillar == pillar]
        flags[pillar] = annotated[cols].any(axis=1).to_numpy(dtype=float)
    weights = np.column_stack(list(flags.values()))
    # cast: scipy-stubs take an ndarray only when its shape is known to be 2-D
    X = sp.csr_matrix(cast(Any, species_abundance), dtype=float)
    totals = np.asarray(X.sum(axis=1)).ravel()
    covered = np.asarray(X @ weights)
    share = np.divide(covered, totals[:, None], out=np.full_like(covered, np.nan), where=totals[:, None] > 0)
    return pd.DataFrame(share, columns=list(flags))


def cohort_coverage(cohort, *, include_viruses: bool = False, kb: KnowledgeBase | None = None) -> pd.DataFrame:
    """Coverage of every sample of a :class:`~gutbalance.Cohort` (see :func:`coverage_matrix`).

    The denominator is the sample's species-level abundance of Bacteria,
    Archaea and Eukaryota; viruses (phages) are outside the knowledge base's
    scope and are excluded unless ``include_viruses``.  ``viral_share`` reports
    how much was excluded.
    """
    matrix, taxa = cohort.rank_matrix("species", include_unclassified=True)
    domain = taxa["domain"].astype(str).to_numpy() if "domain" in taxa else np.full(len(taxa), "")
    viral = np.isin(domain, ["Viruses", "Viridae"])
    all_total = np.asarray(matrix.sum(axis=1)).ravel()
    viral_total = np.asarray(matrix[:, np.flatnonzero(viral)].sum(axis=1)).ravel()
    keep = np.ones(len(taxa), dtype=bool) if include_viruses else ~viral
    cols = np.flatnonzero(keep)
    out = coverage_matrix(matrix[:, cols], taxa.iloc[cols], kb=kb)
    out.index = cohort.samples.index
    out.index.name = "sample"
    out["viral_share"] = np.divide(viral_total, all_total, out=np.zeros_like(all_total), where=all_total > 0)
    return out
