"""Placing every taxon into one lineage: the bundled lineage table.

``data/lineages.tsv.gz`` (built by ``scripts/build_lineage_table.py``, see
``docs/lineage-table.md``) gives each known taxon one parent.  A lineage read
from any input is *resolved* against it: the deepest taxon the table knows
takes the table's lineage above it, whatever the input wrote there, so the
same taxon has the same ancestors whichever file, format or batch it came
from.  Species-only and genus-only names get their full lineage this way.

Taxa the table does not know are placed by name where the name says where
they belong (``Gemella unclassified`` under *Gemella*; an unknown
``Bacteroides foo`` under *Bacteroides*), else under the input's own parents.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..errors import TaxonomyError
from .lineage import Taxon, names_a_virus, parse_lineage, taxon, with_binomial_genus
from .ranks import PREFIX_RANK, RANK_INDEX, RANKS
from .synonyms import canonical_name, synonym_table

Lineage = tuple[Taxon, ...]
__all__ = ["LineageTable", "is_placed", "lineage_table", "parse_lineage", "resolve_lineage", "table_lineage"]

# Words a profiler appends to a parent's name for "something below it, name
# unknown": "Gemella unclassified", "Erysipelotrichaceae noname".
_PLACEHOLDER_WORDS = (" unclassified", " noname")


@dataclass(frozen=True)
class LineageTable:
    """Feature id -> parent feature id ("" for a root), with the version of
    the table and of the synonym table its names were made with."""

    version: str
    synonyms_version: str
    parents: dict[str, str]

    def __contains__(self, feature_id: str) -> bool:
        return feature_id in self.parents

    def __len__(self) -> int:
        return len(self.parents)


def _parse(text: str, origin: str) -> LineageTable:
    version = synonyms = "unversioned"
    parents: dict[str, str] = {}
    header_seen = False
    for lineno, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#"):
            key, _, value = line[1:].partition(":")
            if key.strip().lower() == "version":
                version = value.strip()
            elif key.strip().lower() == "synonyms":
                synonyms = value.strip()
            continue
        if not line.strip():
            continue
        if not header_seen:
            header_seen = True
            if line.split("\t")[:3] != ["rank", "name", "parent"]:
                raise TaxonomyError(f"{origin}: line {lineno}: expected the header rank, name, parent")
            continue
        fields = line.split("\t")
        if len(fields) < 3 or fields[0] not in RANK_INDEX:
            raise TaxonomyError(f"{origin}: line {lineno}: not a rank, name, parent row")
        rank, name, parent = fields[0], fields[1], fields[2]
        feature_id = taxon(rank, name).id
        if parent:
            prank = PREFIX_RANK.get(parent[:1])
            if prank is None or RANK_INDEX[prank] >= RANK_INDEX[rank]:
                raise TaxonomyError(f"{origin}: line {lineno}: parent {parent!r} is not above {rank} {name!r}")
        parents[feature_id] = parent
    return LineageTable(version, synonyms, parents)


@lru_cache(maxsize=1)
def lineage_table() -> LineageTable:
    """The lineage table shipped with gutbalance (loaded once)."""
    raw = resources.files("gutbalance.taxonomy").joinpath("data/lineages.tsv.gz").read_bytes()
    return _parse(gzip.decompress(raw).decode("utf-8"), "lineages.tsv.gz")


def _node(feature_id: str) -> Taxon:
    prefix, _, name = feature_id.partition("__")
    return taxon(PREFIX_RANK[prefix], name)


@lru_cache(maxsize=1 << 16)
def table_lineage(feature_id: str) -> Lineage:
    """The table's lineage of a known taxon, from its root down to itself."""
    parents = lineage_table().parents
    chain = [feature_id]
    parent = parents.get(feature_id, "")
    while parent:
        chain.append(parent)
        parent = parents.get(parent, "")
    return tuple(_node(t) for t in reversed(chain))


@lru_cache(maxsize=1 << 16)
def name_anchor(node: Taxon) -> str:
    """The known taxon a name places an unknown taxon under, or ``""``.

    A placeholder (``Gemella unclassified`` at species) hangs from the taxon
    its name carries, at the nearest rank above; an unknown species
    (``Bacteroides foo``) from the genus of its binomial."""
    if node.id in lineage_table():
        return ""
    name = node.name
    base = ""
    if node.unclassified:
        low = name.lower()
        for word in _PLACEHOLDER_WORDS:
            if low.endswith(word):
                base = name[: -len(word)].strip()
                break
    elif node.rank in ("species", "strain"):
        first, _, rest = name.partition(" ")
        # "Escherichia virus V5", "Lactococcus phage jm3": viruses named after
        # their host's genus, not species of it.
        if first[:1].isupper() and rest and not names_a_virus(name):
            base = first
    if not base:
        return ""
    parents = lineage_table().parents
    if node.rank == "strain" and not node.unclassified:
        # A named strain (Escherichia coli Nissle 1917) hangs from the species
        # of its first two words when the table knows it, not from the genus:
        # strains without rows of their own are scored as their species.
        # The species may be unknown to the table but placed by its own name
        # (Kraken's "Acetivibrio thermocellus ATCC 27405" under "Acetivibrio
        # thermocellus", which the table knows only as Clostridium
        # thermocellum): its reads still count under that species.
        words = name.split()
        if len(words) > 2:
            species = taxon("species", canonical_name("species", " ".join(words[:2])))
            if species.id in parents or name_anchor(species):
                return species.id
    depth = RANK_INDEX[node.rank]
    ranks = ("genus",) if node.rank in ("species", "strain") and not node.unclassified else RANKS[:depth][::-1]
    for rank in ranks:
        if RANK_INDEX[rank] >= depth:
            continue
        candidate = taxon(rank, canonical_name(rank, base)).id
        if candidate in parents:
            return candidate
    return ""


def _anchor_lineage(anchor: str) -> Lineage:
    """The lineage of a name's anchor: the table's, or for a species the table
    does not know (a strain's species placed by its own binomial) the table's
    lineage of its genus and the species."""
    if anchor in lineage_table() or not anchor.startswith("s__"):
        return table_lineage(anchor)
    species = _node(anchor)
    return (*table_lineage(name_anchor(species)), species)


def canonical_parent(node: Taxon, input_parent: str) -> str:
    """The parent a node gets in any cohort: the table's for a known taxon,
    the one its name gives, else the input's (``input_parent``)."""
    parents = lineage_table().parents
    known = parents.get(node.id)
    if known is not None:
        return known
    return name_anchor(node) or input_parent


def named_above_genus(word: str) -> bool:
    """Whether the lineage table knows ``word`` as a taxon above genus
    ("Firmicutes" of "Firmicutes bacterium CAG:41"): a species name that
    starts with it carries no genus."""
    known = lineage_table().parents
    return any(taxon(rank, word).id in known for rank in RANKS[: RANK_INDEX["genus"]])


def kept_under_its_input_species(lineage: Lineage, depth: int) -> bool:
    """Whether ``lineage[depth]`` is a strain its input files under a species,
    where it stays whatever its name or the lineage table says: NCBI (so Kraken 2) keeps old names
    for strains, "[Clostridium] saccharolyticum WM1" under Lacrimispora
    saccharolytica, whose first two words name another species of the table.
    Its parents are then its input's (:func:`resolve_lineage`), and part of
    its column (:func:`gutbalance.cohort.column_key`)."""
    return lineage[depth].rank == "strain" and depth > 0 and lineage[depth - 1].rank == "species"


def resolve_lineage(lineage: Lineage) -> Lineage:
    """The lineage a taxon gets in every cohort.

    The deepest taxon of ``lineage`` the table knows (or can place by name)
    takes the table's ancestors; the input's unknown taxa below it keep their
    order.  The taxa of ``lineage`` keep their spelling as written.

    >>> [t.id for t in resolve_lineage(parse_lineage("s__Escherichia_coli"))][:3]
    ['k__Bacteria', 'p__Pseudomonadota', 'c__Gammaproteobacteria']
    """
    parents = lineage_table().parents
    if len(lineage) == 1 and lineage[0].id not in parents and not named_above_genus(lineage[0].name.split(" ", 1)[0]):
        # A bare species name (a Bracken table, a CSV of names) gets the genus
        # of its binomial, as parse_lineage gives a lone s__ id: one name, one
        # place, whichever format carries it.
        lineage = tuple(with_binomial_genus(lineage))
    for i in range(len(lineage) - 1, -1, -1):
        node = lineage[i]
        # A strain stays under the species its input files it under, also one
        # the table knows under another species: Kraken's "Leuconostoc
        # gasicomitatum LMG 18811" indented under L. gasicomitatum went to the
        # table's L. gelidum, taking its reads from the species (an outside check)
        if kept_under_its_input_species(lineage, i):
            continue
        if node.id in parents:
            head = table_lineage(node.id)
        else:
            anchor = name_anchor(node)
            if not anchor:
                continue
            head = (*_anchor_lineage(anchor), node)
        if i == 0 and len(lineage) == 1 and len(head) == 1:
            return lineage
        written = {t.id: t for t in lineage[: i + 1]}
        return tuple(written.get(t.id, t) for t in head) + lineage[i + 1 :]
    return lineage


def is_placed(lineage: Lineage) -> bool:
    """Whether a (resolved) lineage reaches from a domain to a named phylum."""
    return (
        len(lineage) > 1
        and lineage[0].rank == "domain"
        and lineage[1].rank == "phylum"
        and not lineage[1].unclassified
    )


def table_versions() -> dict[str, str]:
    """Versions of the lineage table and of the synonym table it was built with."""
    table = lineage_table()
    return {"lineages": table.version, "synonyms": table.synonyms_version, "synonyms_now": synonym_table().version}


def placed_with() -> str:
    """One text naming the tables a cohort is placed with (:func:`table_versions`):
    a cohort saved under the same text is placed as it would be now."""
    return ";".join(f"{k}={v}" for k, v in sorted(table_versions().items()))
