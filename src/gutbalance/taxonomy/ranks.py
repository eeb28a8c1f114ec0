"""The standard ranks every lineage is mapped onto."""

from __future__ import annotations

#: Standard ranks from the root down.  ``domain`` holds what MetaPhlAn writes as
#: ``k__`` (Bacteria, Archaea, Eukaryota, Viruses) and NCBI calls superkingdom.
RANKS: tuple[str, ...] = (
    "domain",
    "phylum",
    "class",
    "order",
    "family",
    "genus",
    "species",
    "strain",
)

#: One-letter prefix per rank, as MetaPhlAn and Greengenes write them.
RANK_PREFIX: dict[str, str] = {
    "domain": "k",
    "phylum": "p",
    "class": "c",
    "order": "o",
    "family": "f",
    "genus": "g",
    "species": "s",
    "strain": "t",
}

#: Prefixes found in the wild, mapped to a standard rank (``d__`` is GTDB/SILVA).
PREFIX_RANK: dict[str, str] = {v: k for k, v in RANK_PREFIX.items()} | {"d": "domain"}

RANK_INDEX: dict[str, int] = {rank: i for i, rank in enumerate(RANKS)}

#: Aliases users and tools use for the standard ranks.
RANK_ALIASES: dict[str, str] = {
    "superkingdom": "domain",
    "kingdom": "domain",
    "domain": "domain",
    "realm": "domain",
    "phylum": "phylum",
    "class": "class",
    "order": "order",
    "family": "family",
    "genus": "genus",
    "species": "species",
    "strain": "strain",
    "sgb": "strain",
    "subspecies": "strain",
}


def standard_rank(name: str) -> str | None:
    """Return the standard rank for a rank name or alias, else ``None``.

    >>> standard_rank("Superkingdom"), standard_rank("SGB"), standard_rank("clade")
    ('domain', 'strain', None)
    """
    return RANK_ALIASES.get(name.strip().lower())
