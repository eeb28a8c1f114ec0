"""Evidence-backed knowledge of how gut taxa support immunity.

Facts live in ``knowledge/data/*.tsv``: one row per taxon x trait with a value,
an evidence level and a DOI/PMID source (the bibliography is
``data/sources.tsv``).  Tables derived from public trait resources are built by
``scripts/build_traits.py``; ``curated.tsv`` is written by hand from the papers.

>>> from gutbalance import knowledge
>>> kb = knowledge.load_knowledge()
>>> calls = knowledge.lookup("Faecalibacterium prausnitzii")
>>> bool((calls["trait"] == "butyrate_producer").any())
True

Public API
----------
load_knowledge
    The validated knowledge base (cached).
lookup
    All traits of one taxon, with rank fallback (species, genus, family, ...).
inheritance_path
    The nodes whose rows a taxon takes, in order (a species' genera are those its names carry).
trait_matrix
    Taxa x traits values + confidence for a Cohort's taxa (cached per taxon set).
annotate
    A taxa table with trait columns appended.
coverage_matrix, cohort_coverage
    Share of each sample's abundance annotated at species or genus level, per pillar.
preload
    Resolve every taxon's calls once, before forking worker processes.
"""

from __future__ import annotations

from .loading import KnowledgeBase, Source, load_knowledge, load_tables, read_bibliography, read_facts
from .lookup import (
    COVERAGE_RANKS,
    CitedCall,
    TraitMatrix,
    annotate,
    cohort_coverage,
    coverage_matrix,
    inheritance_path,
    lineage_of,
    lookup,
    preload,
    trait_calls,
    trait_matrix,
    trait_sources,
)
from .schema import EVIDENCE_LEVELS, EVIDENCE_WEIGHT, KB_RANKS, PILLARS, RANK_CONFIDENCE, TRAITS, Trait, pillar_traits

__all__ = [
    "COVERAGE_RANKS",
    "CitedCall",
    "EVIDENCE_LEVELS",
    "EVIDENCE_WEIGHT",
    "KB_RANKS",
    "PILLARS",
    "RANK_CONFIDENCE",
    "TRAITS",
    "KnowledgeBase",
    "Source",
    "Trait",
    "TraitMatrix",
    "annotate",
    "cohort_coverage",
    "coverage_matrix",
    "inheritance_path",
    "lineage_of",
    "load_knowledge",
    "load_tables",
    "lookup",
    "pillar_traits",
    "preload",
    "read_bibliography",
    "read_facts",
    "trait_calls",
    "trait_matrix",
    "trait_sources",
]
