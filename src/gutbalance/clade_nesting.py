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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from .taxonomy import Taxon, lineage_string

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
