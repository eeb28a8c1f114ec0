"""Clades above their parent in profiles whose clades hold their children.

A MetaPhlAn profile (single or merged) and a sylph-tax profile write every
clade with the abundance of everything beneath it, so no clade can exceed
its parent, and the children of one clade cannot add up to more than it.
A file that breaks this was edited or damaged (taxpasta's test file
``mpa_invalid_abundance_sum.tsv`` has *Rothia* at 34.74 % under
Micrococcaceae at 12 %); its total over the roots can still be 100 %, so
the total check of :func:`gutbalance.cohort.validate_profile` does not see it.

Such a sample is warned about and still scored, as its rows were written:
that is how the project treats other readable but inconsistent input (a
total far from 100 % is a warning in ``problems.tsv``, not a refusal).

Not for profiles whose ranks are estimated one by one: mOTUs (and CAMI
profiles in general) normalise each rank on its own, and a species above
its genus is normal there (396 of Zeller's real mOTUs 3 CAMI profiles have
one), so only :data:`NESTED_FORMATS` are checked.

Both ways MetaPhlAn files are read use :func:`nesting_warnings`: the
per-file path through :func:`profile_nesting_warnings` (called by
``validate_profile``) and the batch fast path (``io.formats.metaphlan.scan``).

One inconsistency is MetaPhlAn 4's own, not an edit: its ``mpa_vOct22``
database names some clades (``c__CFGB3069``, ``f__FGB2107``, ``g__Lawsonibacter``)
under more than one lineage, and a profile writes the clade's rows above the
species under one of them, with abundances that need not be those of the
species rows beneath (each species row keeps its own lineage).  In a real merged table of 113
stool profiles (Ladakis et al. 2024's TUDCA trial; docs/tried-on-public-data.md)
``k__Bacteria|p__Proteobacteria|c__CFGB3069`` holds 50.8 % of one sample
under a phylum of 0.4 %, all of it in ``p__Firmicutes|c__CFGB3069|...|
s__GGB9770_SGB15390``; the phylum rows agree with the species rows' own
lineages.  :func:`written_twice` finds such clades in one sample (a name
written under two parent lineages among its rows, as written), and the rows
above the species that pass through one are set aside: the clades are summed
again from the species rows beneath them (``cohort.place_profile``), and the
sample is warned about once (``validate_profile``) instead of as a damaged file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from .taxonomy import RANK_INDEX, RANK_PREFIX, RANKS, Taxon, lineage_string

#: ``source_format`` of the profiles whose clades hold their children.
NESTED_FORMATS = frozenset({"metaphlan", "metaphlan-merged", "sylph"})

#: How far (as a fraction: 1e-4 is 0.01 percentage point) a clade, or the sum
#: of a clade's children, may exceed the clade before a warning.  MetaPhlAn
#: writes each clade rounded on its own to 1e-5 %, so a child equal to its
#: parent can be written up to 1e-5 % above it, and n children's sum up to
#: (n + 1) x 0.5e-5 % above: 0.01 % allows 2,000 children.  Measured on the
#: real MetaPhlAn profiles of ../shared/data and /work/outside-data
#: (``scripts/check_clade_nesting.py``), the largest excess of a consistent
#: profile is far below it (docs/formats.md).
NESTING_TOLERANCE = 1e-4


def _percent(value: float) -> str:
    return f"{100 * value:.10g} %"


def nesting_warnings(
    where: str,
    sample: str,
    values: np.ndarray,
    parent_row: np.ndarray,
    name: Callable[[int], str],
) -> list[str]:
    """The warnings for one sample's rows: ``values`` the fractions,
    ``parent_row`` the row of each row's parent (-1: none reported), ``name``
    the clade name of a row.  At most two messages, each naming the first
    offending row (in file order) and how many more there are."""
    values = np.asarray(values, dtype=float)
    parent_row = np.asarray(parent_row, dtype=np.int64)
    rows = np.flatnonzero(parent_row >= 0)
    parents = parent_row[rows]
    above = rows[values[rows] > values[parents] + NESTING_TOLERANCE]
    sums = np.bincount(parents, weights=values[rows], minlength=len(values))
    over = np.flatnonzero(sums > values + NESTING_TOLERANCE)
    # A parent with a child above it is named by the first message already.
    over = over[~np.isin(over, parent_row[above])]
    out = []
    if len(above):
        child = int(above[0])
        parent = int(parent_row[child])
        more = f"; {len(above) - 1} more clades are above their parents" if len(above) > 1 else ""
        out.append(
            f"{where}: sample {sample!r}: clade {name(child)} ({_percent(values[child])}) is above its parent "
            f"{name(parent)} ({_percent(values[parent])}){more}. In this format a clade holds its children, "
            "so the profile contradicts itself (an edited or damaged file?); it is scored as written"
        )
    if len(over):
        parent = int(over[0])
        n_children = int(np.count_nonzero(parents == parent))
        more = f"; the children of {len(over) - 1} more clades too" if len(over) > 1 else ""
        out.append(
            f"{where}: sample {sample!r}: the {n_children} clades under {name(parent)} add up to "
            f"{_percent(sums[parent])}, more than its {_percent(values[parent])}{more}. In this format a clade "
            "holds its children, so the profile contradicts itself (an edited or damaged file?); "
            "it is scored as written"
        )
    return out


def leaf_name(lineage: Sequence[Taxon]) -> str:
    """A clade's name as the input wrote it, with its rank (``g__Rothia``)."""
    return lineage_string(tuple(lineage[-1:]), original=True)


def parent_rows(lineages: Sequence[Sequence[Taxon]]) -> list[int]:
    """Each row's parent row: the row whose lineage, as written, is the
    row's less its last taxon (-1: none).  As written, not by taxon id:
    GTDB's ``p__Firmicutes`` and ``p__Firmicutes_A`` are one id in
    gutbalance, but two clades of a converted MetaPhlAn 4 or a sylph profile."""
    keys = [tuple((t.rank, t.original) for t in lin) for lin in lineages]
    first: dict[tuple[tuple[str, str], ...], int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    return [first.get(key[:-1], -1) if len(key) > 1 else -1 for key in keys]


def profile_nesting_warnings(
    where: str, sample: str, lineages: Sequence[Sequence[Taxon]], abundance: Iterable[float]
) -> list[str]:
    """:func:`nesting_warnings` for a profile read file by file (a first pass
    in plain Python: most profiles are consistent, and a merged table gives
    thousands of small ones)."""
    parent_row = parent_rows(lineages)
    values = [float(v) for v in abundance]
    sums = [0.0] * len(values)
    flagged = False
    for i, p in enumerate(parent_row):
        if p >= 0:
            flagged = flagged or values[i] > values[p] + NESTING_TOLERANCE
            sums[p] += values[i]
    if not flagged and not any(s > v + NESTING_TOLERANCE for s, v in zip(sums, values, strict=True)):
        return []
    return nesting_warnings(where, sample, np.asarray(values, dtype=float), np.asarray(parent_row, dtype=np.int64),
                            lambda i: leaf_name(lineages[i]))


def written_twice(lineages: Sequence[Sequence[Taxon]]) -> tuple[list[int], list[tuple[str, list[str]]]]:
    """The rows to set aside because the profile writes a clade above the
    species under two parent lineages (see the module docstring), and each
    such clade with its parent lineages as written (in file order).

    A clade is its rank and name as written; its parent lineage is the row's
    lineage (as written) above it, for the row itself and for every taxon
    the row passes through.  Rows of the species and strain ranks are never
    set aside: they are the leaves the clades are summed from.  Empty for
    every consistent profile."""
    keys = [tuple((t.rank, t.original) for t in lin) for lin in lineages]
    rows = set(keys)
    # Fast answer for the usual profile: every row's parent lineage is a row
    # and no clade is a row twice, so no clade can hang under two lineages.
    leaves = [key[-1] for key in keys if key]
    if len(set(leaves)) == len(leaves) and all(len(key) < 2 or key[:-1] in rows for key in keys):
        return [], []
    parents: dict[tuple[str, str], list[tuple[tuple[str, str], ...]]] = {}
    for key in keys:
        for depth in range(len(key)):
            if key[depth][0] in _LEAF_RANKS:
                break
            seen = parents.setdefault(key[depth], [])
            if key[:depth] not in seen:
                seen.append(key[:depth])
    twice = {name for name, above in parents.items() if len(above) > 1}
    if not twice:
        return [], []
    aside = [i for i, key in enumerate(keys)
             if key and key[-1][0] not in _LEAF_RANKS and any(node in twice for node in key)]
    named = [
        (f"{RANK_PREFIX[name[0]]}__{name[1]}", ["|".join(f"{RANK_PREFIX[r]}__{o}" for r, o in above)
                                                for above in parents[name]])
        for name in parents if name in twice
    ]
    return aside, named


#: Ranks whose rows are leaves to :func:`written_twice`: never set aside.
_LEAF_RANKS = frozenset({"species", "strain"})


def written_twice_warning(where: str, sample: str, named: list[tuple[str, list[str]]], n_aside: int) -> str:
    """The warning for a sample with clades written under two lineages."""
    name, above = named[0]
    more = f" ({len(named) - 1} more clades so)" if len(named) > 1 else ""
    return (
        f"{where}: sample {sample!r}: clade {name} is written under {len(above)} lineages "
        f"({' and '.join(above)}){more}, as MetaPhlAn 4's database names some clades under more than one "
        f"lineage; the rows above the species of such clades disagree with the species rows' own lineages, so "
        f"{n_aside} of them are set aside and those clades are summed from the species rows, each under its own "
        "lineage (not a damaged file)"
    )


#: Share of a sample's bacterial and archaeal abundance that its deepest rows
#: (its species) may fall short of its top clades before a warning
#: (:func:`lost_rows_warnings`).  MetaPhlAn writes every clade down to its
#: species, so in a whole profile the species rows add up to the domains but
#: for rounding and a placeholder genus without species (MetaPhlAn 2's
#: ``g__Propionibacteriaceae_unclassified``, not counted).  Measured on 1,926
#: real profiles of ../shared/data and /work/outside-data (MetaPhlAn 2, 3 and
#: 4, single and merged): the largest shortfall was 3e-6.  MetaPhlAn writes
#: each rank's rows largest first, so a cut loses the smallest clades of a
#: rank; 0.1 % keeps quiet about a cut that lost only traces.
LOST_ROWS_TOLERANCE = 1e-3

_SPECIES = RANK_INDEX["species"]
_GENUS = RANK_INDEX["genus"]
#: The domains the lost-rows check counts (MetaPhlAn's viruses skip ranks).
COUNTED_DOMAINS = ("Bacteria", "Archaea")


#: How the MetaPhlAn writers (``gutbalance convert``) head a profile that no
#: MetaPhlAn made (``#written_by_gutbalance_from_kraken``): the profiler's
#: format follows.  Such a file nests its clades, but a Kraken clade holds reads
#: of its own, with no species beneath, so the lost-rows check does not apply
#: to it; and its percentiles are its profiler's, not MetaPhlAn's
#: (:func:`gutbalance.reference.comparability.profiler_family`).
WRITTEN_FROM = "written_by_gutbalance_from_"


def written_from_another_profiler(database: str) -> bool:
    """Whether ``database`` is :data:`WRITTEN_FROM`'s marker: a MetaPhlAn-style
    file gutbalance wrote from another profiler's profile."""
    return str(database or "").startswith(WRITTEN_FROM)


def lost_share(
    values: np.ndarray, level: np.ndarray, bacterial: np.ndarray, domain_row: np.ndarray, root: np.ndarray,
    placeholder: np.ndarray, has_below: np.ndarray, *, expects_species: bool,
) -> tuple[float, float, int]:
    """One sample's shortfall: (lost, top, target rank index), ``lost`` the
    bacterial and archaeal abundance of its top clades that no row at the
    target rank accounts for.  The target is the species where the sample
    reaches them or where its file is a profiler's that always does
    (``expects_species``: MetaPhlAn, sylph) and its rows reach the genus,
    else the deepest rank reached (a genus table).  The top is the domain rows where written, else the rows
    with no parent.  (0, 0, -1) for a sample not judged: nothing in it, or
    rows at one rank only (MetaPhlAn's ``--tax_lev g``)."""
    present = (values > 0) & bacterial
    if not present.any():
        return 0.0, 0.0, -1
    # strains hang under their species rows: they count as reaching the species, not on top of it
    reached = np.unique(np.minimum(level, _SPECIES)[present])
    if len(reached) < 2:
        return 0.0, 0.0, -1
    # A profiler that always writes the species (expects_species) is judged at
    # them once its rows reach the genus: a file of kingdom-to-genus rows is a
    # cut one.  Above the genus the deepest rank reached is judged, so a hand-made
    # table of phyla under a MetaPhlAn header is not called cut.
    target = _SPECIES if expects_species and reached.max() >= _GENUS else int(reached.max())
    tops = domain_row & bacterial
    if not (tops & (values > 0)).any():
        tops = root & bacterial
    top = float(values[tops].sum())
    if top <= 0:
        return 0.0, 0.0, -1
    counted = float(values[present & (level == target)].sum())
    # A placeholder one rank up with nothing beneath is how MetaPhlAn 2 writes
    # a genus of no species ("g__Propionibacteriaceae_unclassified").
    early = float(values[present & placeholder & ~has_below & (level == target - 1)].sum())
    return max(0.0, top - counted - early), top, target


def lost_rows_warnings(
    where: str,
    sample: str,
    values: np.ndarray,
    parent_row: np.ndarray,
    has_below: Callable[[], np.ndarray],
    lineages: Callable[[int], Sequence[Taxon]],
    *,
    expects_species: bool = False,
) -> list[str]:
    """The warning for a sample whose deepest rows (its species, or its
    genera in a table that stops there) do not add up to its top clades, by
    more than :data:`LOST_ROWS_TOLERANCE`.  That is what a profile cut at a
    line boundary looks like (MetaPhlAn writes rank after rank, so the rows
    lost are the deepest; a merged table loses whole subtrees), and the total
    check cannot see it because the top clades are all there.

    ``values`` the fractions, ``parent_row`` each row's parent row as written
    (-1: none), ``has_below`` gives whether any row's lineage passes through
    the row (as written; asked only of a sample that falls short, since
    every whole profile passes without it), ``lineages`` a row's lineage, ``expects_species`` as
    for :func:`lost_share`.  Only Bacteria and Archaea count (MetaPhlAn's
    viruses skip ranks)."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    if not n:
        return []
    rows = [lineages(i) for i in range(n)]
    level = np.fromiter((RANK_INDEX[lin[-1].rank] for lin in rows), dtype=np.int64, count=n)
    bacterial = np.fromiter((lin[0].name in COUNTED_DOMAINS for lin in rows), dtype=bool, count=n)
    domain_row = np.fromiter((len(lin) == 1 for lin in rows), dtype=bool, count=n)
    placeholder = np.fromiter((lin[-1].unclassified for lin in rows), dtype=bool, count=n)
    root = np.asarray(parent_row, dtype=np.int64) < 0
    # First as if every row had rows beneath (the largest shortfall it can be):
    # a whole profile passes here without the lineage walk of has_below.
    lost, top, target = lost_share(values, level, bacterial, domain_row, root, placeholder,
                                   np.ones(n, dtype=bool), expects_species=expects_species)
    if target < 0 or lost <= LOST_ROWS_TOLERANCE * top:
        return []
    below = np.asarray(has_below(), dtype=bool)
    lost, top, target = lost_share(values, level, bacterial, domain_row, root, placeholder, below,
                                   expects_species=expects_species)
    if lost <= LOST_ROWS_TOLERANCE * top:
        return []
    rank = RANKS[target]
    stuck = np.flatnonzero((values > 0) & bacterial & ~below & ~placeholder & (np.minimum(level, _SPECIES) < target))
    if len(stuck):
        first = int(stuck[np.argmax(values[stuck])])  # the largest, the first in file order among equals
        more = f" and {len(stuck) - 1} more clades" if len(stuck) > 1 else ""
        detail = f"{leaf_name(rows[first])} ({_percent(values[first])}){more} with no row beneath"
    else:
        detail = f"its {rank} rows add up to {_percent(top - lost)} where its top clades hold {_percent(top)}"
    return [
        f"{where}: sample {sample!r}: {100 * lost / top:.2f} % of the bacterial and archaeal abundance has no "
        f"{rank} row beneath it: {detail}. This format writes every clade down to the {rank}, so rows look "
        f"lost (a file cut short?); it is scored as written, and scores that read the {rank} miss that share"
    ]


def rows_below(lineages: Sequence[Sequence[Taxon]], values: Iterable[float]) -> np.ndarray:
    """Whether some row of positive abundance lies beneath each row, its
    lineage (as written) passing through the row's: MetaPhlAn 4 writes some
    species under a lineage whose middle rows are written under another
    (:func:`written_twice`), so a direct child is not always a row."""
    keys = [tuple((t.rank, t.original) for t in lin) for lin in lineages]
    through = {key[:depth] for key, v in zip(keys, values, strict=True) if v > 0 for depth in range(1, len(key))}
    return np.fromiter((key in through for key in keys), dtype=bool, count=len(keys))
