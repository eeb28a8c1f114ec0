"""Parsing lineage strings of every common spelling onto the standard ranks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..errors import TaxonomyError
from .names import is_unclassified
from .ranks import PREFIX_RANK, RANK_INDEX, RANK_PREFIX, RANKS
from .synonyms import canonical_name

# "k__Bacteria", "D_0__Bacteria" (SILVA 132), " p__Firmicutes"
_PREFIXED = re.compile(r"^\s*(?:([a-zA-Z])|D_(\d))__(.*)$")
_ROOT_NAMES = {"root", "cellular organisms", "r__root", "life"}
# A rank slot written without its letter (MetaPhlAn 2 curated tables:
# ``o__Clostridiales|__|__|s__Clostridiales_bacterium_1_7_47FAA``).
_EMPTY_SLOT = re.compile(r"^_+$")
# QIIME 2's Kraken 2 taxonomy (q2-moshpit/q2-annotate) fills a rank the NCBI
# lineage lacks with the taxon below it: ``o__containing g__Myrnavirus``,
# ``f__containing s__Gordonia phage Trax``. No taxon is named at that rank.
_CONTAINING = re.compile(r"^containing [a-zA-Z]__")


@dataclass(frozen=True, slots=True)
class Taxon:
    """One node of a lineage: a standard rank, the current name and the
    name exactly as the input wrote it."""

    rank: str
    name: str
    original: str
    unclassified: bool
    #: Feature id used across gutbalance: rank prefix and current name.
    id: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", f"{RANK_PREFIX[self.rank]}__{self.name}")


def taxon(rank: str, original: str) -> Taxon:
    """Build a :class:`Taxon` from a rank and a name as written."""
    return _taxon(rank, original)


@lru_cache(maxsize=1 << 18)
def _taxon(rank: str, original: str) -> Taxon:
    return Taxon(rank, canonical_name(rank, original), original, is_unclassified(original))


def _split(text: str) -> list[str]:
    if "|" in text:
        return text.split("|")
    if ";" in text:
        return text.split(";")
    if "," in text and "__" in text:
        return text.split(",")
    return [text]


#: Longest lineage text parsed (characters): eight ranks of the longest names
#: :data:`gutbalance.io.limits.MAX_NAME_CHARACTERS` allows (a leaf of taxonomy,
#: which gutbalance.io imports, so the figure is written here).
MAX_LINEAGE_CHARACTERS = 8 * 10_000


@lru_cache(maxsize=1 << 18)
def parse_lineage(text: str) -> tuple[Taxon, ...]:
    """Parse a lineage written the MetaPhlAn (``k__A|p__B``), Greengenes
    (``k__A; p__B``), SILVA/GTDB (``d__A;p__B``, ``D_0__A;D_1__B``) or plain
    (``Bacteria;Bacillota;...``) way.

    A ``k__`` after a ``d__`` is NCBI's kingdom (``d__Bacteria;k__Bacillati;
    p__Bacillota``, QIIME 2's Kraken 2 taxonomy) and is left out; alone,
    ``k__`` is the domain, as MetaPhlAn and Greengenes write it. That
    taxonomy's ``containing`` placeholders (``f__containing g__X``: no family
    in NCBI's lineage of X) name no taxon and are skipped as empty ranks are.

    Ranks without a name (``g__``, or ``__`` with no letter) are skipped: the
    taxon hangs from the nearest named rank above it, and no genus is guessed
    from the species name where the input said the genus is not known.
    Greengenes writes only the species epithet (``g__Bacteroides;
    s__fragilis``): the binomial is rebuilt; an epithet under an empty genus
    is dropped (there is no binomial to rebuild).

    >>> [t.id for t in parse_lineage("k__Bacteria|p__Firmicutes|g__Eubacterium|s__Eubacterium_rectale")]
    ['k__Bacteria', 'p__Bacillota', 'g__Eubacterium', 's__Agathobacter rectalis']
    >>> [t.id for t in parse_lineage("d__Bacteria;k__Bacillati;p__Bacillota;g__Faecalibacterium")]
    ['k__Bacteria', 'p__Bacillota', 'g__Faecalibacterium']
    """
    if len(text) > MAX_LINEAGE_CHARACTERS:
        raise TaxonomyError(f"a lineage of {len(text):,} characters ({text[:40]!r}...), over the limit of "
                            f"{MAX_LINEAGE_CHARACTERS:,}: the file looks broken")
    parts = [p.strip() for p in _split(text.strip().strip('"'))]
    parts = [p for p in parts if p]
    if not parts:
        raise TaxonomyError(f"empty lineage {text!r}")
    out: list[Taxon] = []
    prefixed = [_PREFIXED.match(p) for p in parts]
    empty_slot = False
    if any(prefixed):
        last_index = -1
        domain_letter = False
        for part, m in zip(parts, prefixed, strict=True):
            if m is None:
                if part.lower() in _ROOT_NAMES:
                    continue
                if _EMPTY_SLOT.match(part) or is_unclassified(part):
                    # QIIME 1's summarize_taxa.py: k__Bacteria;p__Firmicutes;Other;Other
                    empty_slot = True
                    continue
                raise TaxonomyError(f"lineage {text!r}: {part!r} has no rank prefix")
            letter, silva_level, name = m.groups()
            if letter is not None and letter.lower() == "k" and domain_letter:
                # NCBI's rank "kingdom" under a d__ domain, as QIIME 2's
                # Kraken 2 plugin writes its taxonomy (q2-moshpit/q2-annotate:
                # d__Bacteria;k__Bacteria;p__... and, on the NCBI taxonomy of
                # 2025, k__Bacillati): not a standard rank, left out as Kraken's
                # K rows are (Kraken reports, kreport2mpa's k__).
                continue
            if letter is not None and letter.lower() == "d":
                domain_letter = True
            if silva_level is not None:
                level = int(silva_level)
                rank = RANKS[level] if level < len(RANKS) else None
            else:
                rank = PREFIX_RANK.get(letter.lower())
            name = name.strip()
            if rank is None:
                continue  # r__root, or a rank outside the standard ones
            if not name or _CONTAINING.match(name):
                empty_slot = True
                continue
            index = RANK_INDEX[rank]
            if index <= last_index:
                raise TaxonomyError(f"lineage {text!r}: rank {rank} out of order")
            last_index = index
            if rank == "species":
                name = _binomial(out, name)
                if _is_epithet(name):
                    break  # "g__; s__fragilis": an epithet of an unknown genus
            out.append(_taxon(rank, name))
    else:
        names = [p for p in parts if p.lower() not in _ROOT_NAMES]
        if len(names) > len(RANKS):
            raise TaxonomyError(f"lineage {text!r}: more levels ({len(names)}) than standard ranks")
        for rank, name in zip(RANKS, names, strict=False):
            if rank == "species":
                name = _binomial(out, name)
            out.append(_taxon(rank, name))
    if not out:
        raise TaxonomyError(f"lineage {text!r} names no taxon at a standard rank")
    if empty_slot:
        return tuple(out)
    return tuple(with_binomial_genus(out))


def _is_epithet(name: str) -> bool:
    return " " not in name and "_" not in name and name[:1].islower()


# Words that end a virus's name word: "Escherichia virus V5", "Propionibacterium
# phage P100_A", "Streptococcus prophage", "Human alphaherpesvirus 1".
_VIRUS_ENDINGS = ("virus", "phage")


def looks_like_genus(word: str) -> bool:
    """Whether the first word of a species name can be a genus: capitalised,
    and not a family, an order or a placeholder word ("Lachnospiraceae
    bacterium 8_1_57FAA", "Clostridiales bacterium", "uncultured bacterium").

    >>> looks_like_genus("Blautia"), looks_like_genus("Lachnospiraceae")
    (True, False)
    """
    low = word.lower()
    return bool(word) and word[0].isupper() and not low.endswith(("aceae", "ales", "ia bacterium")) and low not in {
        "candidate", "uncultured", "unclassified", "unknown", "bacterium"}


def names_a_virus(name: str) -> bool:
    """Whether a species name is a virus's named after its host or its host's
    kind: a word after the first ends in "virus" or "phage", so the first
    word is no genus of the virus ("Escherichia virus V5", "Human
    alphaherpesvirus 1", "Lactococcus bacteriophage jm3").

    >>> names_a_virus("Human alphaherpesvirus 1"), names_a_virus("Escherichia coli")
    (True, False)
    """
    return any(word.lower().endswith(_VIRUS_ENDINGS) for word in name.replace("_", " ").split()[1:])


def binomial_genus(species: Taxon) -> Taxon | None:
    """The genus a species' binomial names (``Nostoc`` of ``Nostoc
    punctiforme``), or ``None``: a placeholder, a one-word name, a lower-case
    first word or a virus named after its host names no genus of its own.

    >>> binomial_genus(taxon("species", "Nostoc_punctiforme")).id
    'g__Nostoc'
    >>> binomial_genus(taxon("species", "Propionibacterium phage P100_A")) is None
    True
    >>> binomial_genus(taxon("species", "Human alphaherpesvirus 1")) is None
    True
    """
    if species.rank != "species" or species.unclassified:
        return None
    word, _, rest = species.name.partition(" ")
    if not rest or not looks_like_genus(word) or names_a_virus(species.name):
        return None
    return _taxon("genus", word)


def with_binomial_genus(out: list[Taxon] | tuple[Taxon, ...]) -> list[Taxon]:
    """A species named without its genus rank (``s__Abiotrophia_defectiva``
    alone, as in GMHI's table, a Bracken table or a bare-name CSV) gets the
    genus its binomial names, so genus-level views and the knowledge base's
    genus rows apply, whichever format carried the name."""
    out = list(out)
    species = next((t for t in out if t.rank == "species"), None)
    if species is None or any(t.rank == "genus" for t in out):
        return out
    genus = binomial_genus(species)
    if genus is None:
        return out
    position = next(i for i, t in enumerate(out) if t.rank == "species")
    return [*out[:position], genus, *out[position:]]


def _binomial(parents: list[Taxon], name: str) -> str:
    """Rebuild ``Genus epithet`` where only the epithet was written."""
    if " " in name or "_" in name or not name[:1].islower():
        return name
    genus = next((t for t in reversed(parents) if t.rank == "genus"), None)
    if genus is None or genus.unclassified:
        return name
    return f"{genus.original.replace(' ', '_')}_{name}"


def lineage_to_write(text: str) -> str:
    """``text`` (a lineage the MetaPhlAn way) as a writer must write it for
    :func:`parse_lineage` to read back the same taxa.

    A species placed without a genus (MetaPhlAn 2's ``g__Clostridiales_noname|
    s__Bacteroides_pectinophilus`` is placed under its order, the placeholder
    naming no genus) would come back under the genus its binomial names
    (``g__Bacteroides``), a second ``g__Bacteroides`` beside the real one; an
    empty ``g__`` slot says the genus is not known, so none is guessed.

    >>> lineage_to_write("k__Bacteria|o__Clostridiales|s__Bacteroides_pectinophilus")
    'k__Bacteria|o__Clostridiales|g__|s__Bacteroides_pectinophilus'
    >>> lineage_to_write("k__Bacteria|g__Blautia|s__Blautia_obeum")
    'k__Bacteria|g__Blautia|s__Blautia_obeum'
    """
    parts = text.split("|")
    at = next((i for i, part in enumerate(parts) if part.startswith("s__")), None)
    if at is None or any(part.startswith("g__") for part in parts):
        return text
    if not any(t.rank == "genus" for t in parse_lineage(text)):
        return text
    return "|".join([*parts[:at], "g__", *parts[at:]])


def lineages_to_write(texts) -> np.ndarray:
    """:func:`lineage_to_write` of each lineage text (a cohort's
    ``taxa["lineage"]``), for the writers of every format that carries a
    lineage (MetaPhlAn, BIOM, the long CSV): a species placed without a genus
    came back from BIOM and CSV under a genus guessed from its name
    (Kraken's "Coxiella-like endosymbiont" under g__Coxiella-like; an outside check)."""
    return np.array([lineage_to_write(str(text)) for text in texts], dtype=object)


def lineage_string(taxa: tuple[Taxon, ...], *, original: bool = False, sep: str = "|") -> str:
    """Write a lineage the MetaPhlAn way (``k__Bacteria|p__Bacillota``)."""
    if original:
        return sep.join(f"{RANK_PREFIX[t.rank]}__{t.original.replace(' ', '_')}" for t in taxa)
    return sep.join(f"{RANK_PREFIX[t.rank]}__{t.name.replace(' ', '_')}" for t in taxa)
