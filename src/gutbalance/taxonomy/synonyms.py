"""The versioned table of renamed taxa (``data/synonyms.tsv``).

Each row maps a normalised old name at one rank to the current name and cites
the publication of the change.  Ranks matter: *Actinobacteria* the phylum is
now Actinomycetota, while *Actinobacteria* the class is a different rename.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..errors import TaxonomyError
from .names import normalize_name
from .ranks import RANKS

# A citation is a DOI (Crossref form: "10.", a registrant code, "/", a suffix)
# or a PubMed id; a bare "doi:" or a URL is not a citation a reader can resolve.
SOURCE_PATTERN = re.compile(r"doi:10\.\d{4,9}/\S+|pmid:[1-9]\d{0,8}")


@dataclass(frozen=True)
class Synonym:
    """One renamed taxon: ``name`` at ``rank`` is now ``canonical``, as published in ``source`` (a DOI)."""

    rank: str
    name: str
    canonical: str
    source: str
    note: str


@dataclass(frozen=True)
class SynonymTable:
    """The synonym table: its ``version`` and its rows."""

    version: str
    rows: tuple[Synonym, ...]

    def mapping(self) -> dict[tuple[str, str], str]:
        """``{(rank, name): canonical}`` for every row."""
        return {(row.rank, row.name): row.canonical for row in self.rows}


def _parse(text: str, origin: str) -> SynonymTable:
    version = "unversioned"
    body = []
    for line in text.splitlines():
        if line.startswith("#"):
            if line.lower().startswith("# version:"):
                version = line.split(":", 1)[1].strip()
            continue
        if line.strip():
            body.append(line)
    reader = csv.DictReader(body, delimiter="\t")
    rows = []
    seen: dict[tuple[str, str], int] = {}
    for lineno, rec in enumerate(reader, start=2):
        rank = (rec.get("rank") or "").strip()
        if rank not in RANKS:
            raise TaxonomyError(f"{origin}: row {lineno}: unknown rank {rank!r}")
        source = (rec.get("source") or "").strip()
        if not SOURCE_PATTERN.fullmatch(source):
            raise TaxonomyError(
                f"{origin}: row {lineno}: source {source!r} is not a citation; "
                "a synonym needs doi:10.NNNN/... or pmid:NNN"
            )
        name = normalize_name(rec["name"])
        key = (rank, name)
        if key in seen:
            raise TaxonomyError(f"{origin}: row {lineno}: {rank} {name!r} repeats row {seen[key]}")
        seen[key] = lineno
        rows.append(Synonym(rank, name, normalize_name(rec["canonical"]), source, (rec.get("note") or "").strip()))
    return SynonymTable(version, tuple(rows))


@lru_cache(maxsize=1)
def synonym_table() -> SynonymTable:
    """The synonym table shipped with gutbalance."""
    text = resources.files("gutbalance.taxonomy").joinpath("data/synonyms.tsv").read_text("utf-8")
    return _parse(text, "synonyms.tsv")


@lru_cache(maxsize=1)
def _mapping() -> dict[tuple[str, str], str]:
    return synonym_table().mapping()


@lru_cache(maxsize=1)
def _former_names() -> dict[tuple[str, str], tuple[str, ...]]:
    out: dict[tuple[str, str], list[str]] = {}
    for row in synonym_table().rows:
        out.setdefault((row.rank, row.canonical), []).append(row.name)
    return {key: tuple(names) for key, names in out.items()}


def names_of(rank: str, canonical: str) -> tuple[str, ...]:
    """Every name of one taxon: its current name, then each former name the
    synonym table maps to it, in the table's order.

    >>> names_of("species", "Phocaeicola vulgatus")
    ('Phocaeicola vulgatus', 'Bacteroides vulgatus')
    """
    return (canonical, *_former_names().get((rank, canonical), ()))


@lru_cache(maxsize=1 << 18)
def canonical_name(rank: str, raw: str) -> str:
    """Normalise ``raw`` and map it to its current name at ``rank``.

    >>> canonical_name("species", "s__Eubacterium_rectale".removeprefix("s__"))
    'Agathobacter rectalis'
    >>> canonical_name("phylum", "Firmicutes_A")
    'Bacillota'
    """
    name = normalize_name(raw)
    mapping = _mapping()
    current = mapping.get((rank, name), name)
    if rank == "species" and current == name and " unclassified" not in name:
        # Strain designations and subspecies after the binomial do not change
        # the species: "Bacteroides vulgatus ATCC 8482" is still renamed.
        parts = name.split(" ")
        if len(parts) > 2:
            head = " ".join(parts[:2])
            if (rank, head) in mapping:
                current = " ".join([mapping[(rank, head)], *parts[2:]])
    return current
