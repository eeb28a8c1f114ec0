"""Lineages on standard ranks, normalised names and the synonym table."""

from .lineage import (
    Taxon,
    lineage_string,
    lineage_to_write,
    lineages_to_write,
    looks_like_genus,
    names_a_virus,
    parse_lineage,
    taxon,
)
from .names import is_unclassified, normalize_name
from .ranks import PREFIX_RANK, RANK_INDEX, RANK_PREFIX, RANKS, standard_rank
from .synonyms import SynonymTable, canonical_name, names_of, synonym_table

__all__ = [
    "PREFIX_RANK",
    "RANKS",
    "RANK_INDEX",
    "RANK_PREFIX",
    "SynonymTable",
    "Taxon",
    "canonical_name",
    "is_unclassified",
    "lineage_string",
    "lineage_to_write",
    "lineages_to_write",
    "looks_like_genus",
    "names_a_virus",
    "names_of",
    "normalize_name",
    "parse_lineage",
    "standard_rank",
    "synonym_table",
    "taxon",
]
