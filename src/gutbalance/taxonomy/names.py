"""Normalising the way profilers and databases spell taxon names.

The same organism arrives as ``s__Eubacterium_rectale`` (MetaPhlAn),
``[Eubacterium] rectale`` (NCBI), ``Agathobacter rectalis`` (LPSN) or
``s__Agathobacter rectalis_A`` (GTDB).  :func:`normalize_name` removes the
spelling differences; the synonym table (:mod:`.synonyms`) then maps old names
onto current ones.  The original spelling is always kept by the caller.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Placeholders profilers write for "something at this rank, name unknown".
_UNCLASSIFIED_SUFFIXES = ("_unclassified", " unclassified", "_noname", " noname")
_UNCLASSIFIED_WORDS = {
    "unclassified",
    "unknown",
    "uncultured",
    "unidentified",
    "metagenome",
    "noname",
    "unassigned",
    "ambiguous_taxa",
    "ambiguous taxa",
    "incertae sedis",
    "incertae_sedis",
    # QIIME 1's summarize_taxa.py writes "Other" for a level the lineage does
    # not reach (Bacteria;Firmicutes;Clostridia;Clostridiales;Lachnospiraceae;Other
    # is a Lachnospiraceae of no known genus), and reports "Other(s)" for the
    # rest of the abundance; no taxon is called Other.
    "other",
    "others",
}

_BRACKETS = re.compile(r"[\[\]]")
_SPACES = re.compile(r"\s+")
_CANDIDATUS = re.compile(r"^(candidatus|ca\.)\s+", re.IGNORECASE)

# GTDB splits polyphyletic groups with alphabetic suffixes: Firmicutes_A,
# Clostridium_AQ, Faecalibacterium prausnitzii_C.  One or two capitals after an
# underscore that ends a word; numbers (strain designations) are left alone.
# GTDB puts them on a genus (or higher) name and on a species epithet only, so
# only the first two words of a name can carry one.  The same letters elsewhere
# name different organisms and are kept: MetaPhlAn 4's four Prevotella copri
# clades (s__Prevotella_copri_clade_A ... _G, Tett et al. 2019,
# doi:10.1016/j.chom.2019.08.018), unnamed species (Streptococcus_sp_NM) and
# viruses (Pseudomonas_virus_EL, Human_mastadenovirus_C, Rotavirus_A).
_GTDB_SUFFIX = re.compile(r"(?<=[a-z])_[A-Z]{1,2}(?=$|\s)")
_WORD = re.compile(r"[^\s_]+")
_SUFFIX_WORD = re.compile(r"[A-Z]{1,2}")
_NOT_GTDB_SUFFIXED = frozenset({"sp", "spp", "clade", "group", "cluster", "complex", "virus", "phage", "bacterium", "str"})


def _drop_gtdb_suffixes(name: str) -> str:
    def drop(match: re.Match[str]) -> str:
        head = _GTDB_SUFFIX.sub("", name[: match.start()]).replace("_", " ").strip()
        # A suffix inside an underscore-joined name (Bacillus_A_cereus_AD) is
        # not a word of the name.
        words = [w for w in _WORD.findall(_CANDIDATUS.sub("", head)) if not _SUFFIX_WORD.fullmatch(w)]
        last = words[-1].lower() if words else ""
        # ICTV names letter their species: Human mastadenovirus C, Rotavirus A.
        if len(words) > 2 or last in _NOT_GTDB_SUFFIXED or last.endswith(("virus", "phage")):
            return match.group(0)
        return ""

    return _GTDB_SUFFIX.sub(drop, name)


@lru_cache(maxsize=1 << 18)
def normalize_name(raw: str) -> str:
    """Return the comparable spelling of a taxon name.

    Underscores become spaces, NCBI brackets (``[Eubacterium]``), quotes, the
    ``Candidatus`` prefix and GTDB's alphabetic suffixes are removed, and
    whitespace is collapsed.  Placeholders stay recognisable
    (``Firmicutes_unclassified`` becomes ``Firmicutes unclassified``).

    >>> normalize_name("[Eubacterium]_rectale")
    'Eubacterium rectale'
    >>> normalize_name("Firmicutes_A")
    'Firmicutes'
    >>> normalize_name("Candidatus_Saccharibacteria")
    'Saccharibacteria'
    >>> normalize_name("Prevotella_copri_clade_A")
    'Prevotella copri clade A'
    """
    name = raw.strip().strip("\"'")
    name = _drop_gtdb_suffixes(name)
    name = _BRACKETS.sub("", name)
    name = name.replace("_", " ")
    name = _SPACES.sub(" ", name).strip()
    name = _CANDIDATUS.sub("", name)
    return name


def is_unclassified(name: str) -> bool:
    """Whether a (raw or normalised) name is a placeholder, not a taxon."""
    low = name.strip().lower()
    if not low:
        return True
    if low in _UNCLASSIFIED_WORDS:
        return True
    if low.endswith(_UNCLASSIFIED_SUFFIXES):
        return True
    first = low.replace("_", " ").split(" ", 1)[0]
    return first in {"uncultured", "unidentified", "unknown", "metagenome"}
