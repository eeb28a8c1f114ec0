"""Profiles that name each taxon at one rank only (mOTUs at ``-k mOTU``,
kaiju2table at ``-r``, KMCP's ``rank`` and ``taxname``): the lineage of such a
name, of such a name with its path of unranked names (KMCP's ``taxpath``,
kaiju2table's ``-p``/``-l``), and the sum of the rows that name one taxon."""

from __future__ import annotations

from ..cohort import Lineage
from ..errors import TaxonomyError
from ..taxonomy import RANK_INDEX, RANKS, Taxon, parse_lineage, taxon
from ..taxonomy.placement import lineage_table


def one_rank_lineage(rank: str, name: str) -> Lineage:
    """A species as every reader spells a species-only name (with the genus
    its binomial names, as ``s__Halobacterium_hubeiense`` parses), so it has
    one column whichever format it came in; other ranks as they are."""
    if rank == "species":
        try:
            lineage = parse_lineage(f"s__{name}")
        except TaxonomyError:
            pass
        else:
            if lineage[-1].rank == "species":  # not a name parse_lineage reads as something else ("\n0")
                return lineage
    return (taxon(rank, name),)


class TaxonSums:
    """Values of rows summed per taxon (rows naming one taxon twice, e.g. two
    reference genomes of one species), in the order first seen, with the
    first row's taxid."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, ...], tuple[Lineage, float, str]] = {}

    def add(self, lineage: Lineage, value: float, taxid: str) -> None:
        """Add one row's value to its taxon."""
        key = tuple(t.id for t in lineage)
        before = self._found.get(key)
        self._found[key] = (lineage, value + (before[1] if before else 0.0), before[2] if before else taxid)

    @property
    def lineages(self) -> list[Lineage]:
        """One lineage per taxon."""
        return [v[0] for v in self._found.values()]

    @property
    def values(self) -> list[float]:
        """Each taxon's summed value."""
        return [v[1] for v in self._found.values()]

    @property
    def taxids(self) -> list[str]:
        """Each taxon's taxid (its first row's)."""
        return [v[2] for v in self._found.values()]


#: Entries of a profiler's path of names above every domain (kaiju2table -p
#: starts at NCBI's "cellular organisms").
_ABOVE_DOMAINS = frozenset({"root", "cellular organisms"})


def _table_ranks(name: str) -> set[str]:
    """The standard ranks the lineage table knows ``name`` at."""
    known = lineage_table().parents
    return {rank for rank in RANKS if taxon(rank, name).id in known}


def path_lineage(path: list[str], rank: str | None, name: str) -> Lineage:
    """The lineage of a row named ``name`` at ``rank`` (``None``: no standard
    rank) whose profiler also wrote its path of names from the root down,
    without their ranks (KMCP's ``taxpath``, kaiju2table's ``-p``/``-l``).

    Empty and ``NA`` entries (a rank missing from ``-l``) are skipped.  The
    path's names take the standard ranks from the domain down, one each, when
    the path says so: its last entry's rank is known (the row's own taxon at
    ``rank``, else the one rank the lineage table knows that name at), the path
    has exactly one entry per rank down to it, and no entry is a name the
    lineage table knows at another rank.  Otherwise (a rank missing from the
    taxonomy, NCBI's unranked groups in a full path) only the entries the
    lineage table knows at one rank, in order, are kept: the others' ranks
    cannot be told.  The row's own taxon comes last; a row without a standard
    rank ends at the deepest entry placed (its clade); ``()`` when nothing is
    placed."""
    names = [n.strip() for n in path]
    names = [n for n in names if n and n != "NA" and n.lower() not in _ABOVE_DOMAINS]
    if rank is None and name and len(told := _table_ranks(name)) == 1:
        rank = next(iter(told))
    own = rank is not None and bool(names) and names[-1] == name
    deepest: str | None = rank if own else None
    if names and deepest is None and len(told := _table_ranks(names[-1])) == 1:
        deepest = next(iter(told))
        if rank is not None and RANK_INDEX[deepest] >= RANK_INDEX[rank]:
            deepest = None  # a path reaching below the row's own rank is no path of its ancestors
    above: list[Taxon] = []
    if deepest is not None and len(names) == RANK_INDEX[deepest] + 1 and all(
            not (known := _table_ranks(n)) or r in known for r, n in zip(RANKS, names, strict=False)):
        above = [taxon(r, n) for r, n in zip(RANKS, names[:-1] if own else names, strict=False)]
    else:
        for n in names[:-1] if own else names:
            told = _table_ranks(n)
            if len(told) != 1:
                continue
            (r,) = told
            if (not above or RANK_INDEX[r] > RANK_INDEX[above[-1].rank]) and (
                    rank is None or RANK_INDEX[r] < RANK_INDEX[rank]):
                above.append(taxon(r, n))
    if rank is None or not name:
        return tuple(above)
    depth = RANK_INDEX[above[-1].rank] if above else -1
    return (*above, *(t for t in one_rank_lineage(rank, name) if RANK_INDEX[t.rank] > depth))
