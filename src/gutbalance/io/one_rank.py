"""Profiles that name each taxon at one rank only (mOTUs at ``-k mOTU``,
kaiju2table at ``-r``, KMCP's ``rank`` and ``taxname``): the lineage of such a
name, and the sum of the rows that name one taxon."""

from __future__ import annotations

from ..cohort import Lineage
from ..errors import TaxonomyError
from ..taxonomy import parse_lineage, taxon


def one_rank_lineage(rank: str, name: str) -> Lineage:
    """A species as every reader spells a species-only name (with the genus
    its binomial names, as ``s__Halobacterium_hubeiense`` parses), so it has
    one column whichever format it came in; other ranks as they are."""
    if rank == "species":
        try:
            return parse_lineage(f"s__{name}")
        except TaxonomyError:
            pass
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
