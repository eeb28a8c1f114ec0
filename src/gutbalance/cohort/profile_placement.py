"""Placing a profile's taxa in the lineages they have in any cohort
(:func:`place_profile`): the fast path for a profile already where the
lineage table puts every taxon, the rebuild (own abundances, resolved
lineages, clades summed again) for any other, tree completion, and the
process's catalogue of lineages met by the batch reader (:data:`LINEAGES`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from ..clade_nesting import NESTED_FORMATS, written_twice
from ..taxonomy.placement import canonical_parent, is_placed, lineage_table, resolve_lineage
from .model import Lineage, SampleProfile
from .taxon_columns import column_key


def _reported_ids(profile: SampleProfile) -> set[str]:
    """Ids of the taxa a profile reports (computed once per profile: both
    validation and tree completion need them)."""
    key = (id(profile.lineages), len(profile.lineages))
    cached = profile.__dict__.get("_reported_ids")
    if cached is None or cached[0] != key:
        cached = (key, {lin[-1].id for lin in profile.lineages})
        profile.__dict__["_reported_ids"] = cached
    return cached[1]


def _complete_tree(profile: SampleProfile) -> tuple[list[Lineage], list[float], list[float] | None]:
    """Add every unreported ancestor, summing the reported clades beneath it."""
    # Keyed by feature id (cheap to hash); a complete profile (MetaPhlAn,
    # Kraken) finds every parent at the first look and adds nothing.
    counts = profile.counts
    if profile.__dict__.get("_tree_complete"):
        return profile.lineages, profile.abundance, counts  # place_profile checked it
    reported = _reported_ids(profile)
    if all(len(lin) == 1 or lin[-2].id in reported for lin in profile.lineages):
        return profile.lineages, profile.abundance, counts  # already a complete tree
    extra: dict[str, list] = {}
    for i, lin in enumerate(profile.lineages):
        for depth in range(len(lin) - 1, 0, -1):
            parent = lin[depth - 1]
            if parent.id in reported:
                break
            slot = extra.get(parent.id)
            if slot is None:
                slot = extra[parent.id] = [lin[:depth], 0.0, 0.0]
            slot[1] += profile.abundance[i]
            if counts is not None:
                slot[2] += counts[i]
    if not extra:
        return profile.lineages, profile.abundance, counts
    lineages = list(profile.lineages) + [slot[0] for slot in extra.values()]
    abundance = list(profile.abundance) + [slot[1] for slot in extra.values()]
    new_counts = None if counts is None else list(counts) + [slot[2] for slot in extra.values()]
    return lineages, abundance, new_counts


def place_profile(profile: SampleProfile) -> SampleProfile:
    """The profile with every taxon in the lineage it has in any cohort.

    Each lineage is resolved against the bundled lineage table
    (:func:`gutbalance.taxonomy.placement.resolve_lineage`), so species-only
    and genus-only names get their full lineage and a taxon gets the same
    ancestors whatever file, format or batch it came from.  The reported
    abundances are first split into each taxon's *own* share (its clade minus
    the clades the input reported beneath it); the clade of every ancestor is
    then summed again over the resolved tree, in an order fixed by feature id.

    A profile that already lists every taxon under the parent the table gives
    it (MetaPhlAn 3, most Kraken reports) is returned as it is, with
    ``placed`` filled in.  The result depends on this profile alone.
    """
    lineages = profile.lineages
    if not lineages:
        return _with_placed(profile, float("nan"))
    if profile.placed_before and profile.placed == profile.placed:
        return _with_placed(profile, profile.placed)
    if profile.source_format in NESTED_FORMATS:
        aside, _ = written_twice(lineages)
        if aside:
            # Clades MetaPhlAn 4 writes under two lineages: summed again from
            # the species rows beneath them (clade_nesting.written_twice).
            profile = _without_rows(profile, aside)
            profile.placed_again = True
            lineages = profile.lineages
    reported = _reported_ids(profile)
    # Fast path: every parent is reported and is the parent the table gives.
    # This runs for every file of a cohort, so the verdict on each lineage is
    # cached by the lineage object (readers share them through parse_lineage's
    # cache); the entry keeps the object alive, so its id cannot be reused.
    cache = _ROW_VERDICTS
    cache_get = cache.get
    canonical = True
    total = placed = 0.0
    for lin, value in zip(lineages, profile.abundance, strict=True):
        hit = cache_get(id(lin))
        if hit is None or hit[0] is not lin:
            if len(cache) >= _ROW_VERDICTS_MAX:
                cache.clear()
            hit = cache[id(lin)] = (lin, *_row_verdict(lin))
        _, ok, parent, kind = hit
        if not ok or (parent and parent not in reported):
            canonical = False
            break
        if kind == 1:
            total += value
        elif kind == 2:
            placed += value
    if canonical:
        if profile.placed == profile.placed:
            # A reader that knows the share (h5ad: a cohort placed before) gave it.
            return _with_placed(profile, profile.placed)
        return _with_placed(profile, placed / total if total > 0 else float("nan"))
    return _rebuild(profile, reported)


_ROW_VERDICTS: dict[int, tuple] = {}
_ROW_VERDICTS_MAX = 1 << 18


def _without_rows(profile: SampleProfile, rows: Sequence[int]) -> SampleProfile:
    """A copy of ``profile`` without the rows ``rows``."""
    drop = set(rows)
    keep = [i for i in range(len(profile.lineages)) if i not in drop]
    out = _copy(profile)
    out.lineages = [profile.lineages[i] for i in keep]
    out.abundance = [profile.abundance[i] for i in keep]
    if profile.counts is not None:
        out.counts = [profile.counts[i] for i in keep]
    if profile.taxids:
        out.taxids = [profile.taxids[i] for i in keep]
    return out


def _row_verdict(lin: Lineage) -> tuple[bool, str, int]:
    """Whether a reported lineage already hangs where the lineage table puts
    it; the id of its parent ("" for a root); 1 for a root, 2 for a named
    phylum under a domain, else 0."""
    leaf = lin[-1]
    if len(lin) == 1:
        return canonical_parent(leaf, "") == "", "", 1
    parent = lin[-2].id
    return canonical_parent(leaf, parent) == parent, parent, 2 if len(lin) == 2 and is_placed(lin) else 0


class LineageCatalog:
    """Lineages met by the batch reader's fast path, each under an integer
    code, with what placing and indexing a row of it needs, as arrays over
    the codes: the ids of its taxon, parent and root (as codes of
    :attr:`ids`; -1 for a root's parent), :func:`_row_verdict` (``ok``,
    ``kind``) and its column key in :meth:`CohortBuilder.add`.  Per process;
    :meth:`clear` only between batches (a builder holds codes)."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget every lineage (the caller holds no code)."""
        self.lineages: list[Lineage] = []
        self.keys: list[str] = []
        self.ids: dict[str, int] = {}
        self._facts: list[tuple[int, int, int, bool, int]] = []
        self._arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.lineages)

    def code(self, lin: Lineage) -> int:
        """A new code for ``lin`` (the caller keeps its own cache of texts)."""
        ids = self.ids
        leaf = lin[-1]
        ok, parent, kind = _row_verdict(lin)
        facts = (
            ids.setdefault(leaf.id, len(ids)),
            ids.setdefault(parent, len(ids)) if parent else -1,
            ids.setdefault(lin[0].id, len(ids)),
            ok,
            kind,
        )
        table = lineage_table().parents
        self.lineages.append(lin)
        self.keys.append(leaf.id if leaf.id in table else column_key(lin))
        self._facts.append(facts)
        self._arrays = None
        return len(self.lineages) - 1

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per code: taxon id, parent id (-1: none), root id, ok, kind."""
        if self._arrays is None:
            facts = np.array(self._facts, dtype=np.int64).reshape(len(self._facts), 5)
            leaf, parent, root, ok, kind = facts.T
            self._arrays = (leaf, parent, root, ok.astype(bool), kind.astype(np.int8))
        return self._arrays


#: The process's :class:`LineageCatalog`.
LINEAGES = LineageCatalog()


def _with_placed(profile: SampleProfile, placed: float) -> SampleProfile:
    out = _copy(profile)
    out.placed = placed if placed != placed else min(1.0, placed)  # NaN stays NaN
    out.__dict__["_tree_complete"] = True  # every parent checked as reported above
    return out


def _copy(profile: SampleProfile) -> SampleProfile:
    """A new profile of the same fields (so none is missed when one is added),
    with its own list of notes and no cached tree check."""
    return dataclasses.replace(profile, notes=list(profile.notes))


# How far the reported children of a clade may exceed it before the profile
# is read as per-rank estimates rather than one tree: MetaPhlAn rounds each
# of hundreds of rows to 1e-7 of the sample; mOTUs estimates each rank apart.
_TREE_EXCESS = 1e-4


_RESOLVED: dict[int, tuple] = {}


def _resolved_info(lin: Lineage) -> tuple[Lineage, tuple[tuple[str, Lineage], ...], bool]:
    """The resolved lineage, each of its clades with its own lineage, and
    whether it reaches a named phylum (cached by lineage object in _rebuild)."""
    resolved = resolve_lineage(lin)
    prefixes = tuple((resolved[d - 1].id, resolved[:d]) for d in range(1, len(resolved) + 1))
    return resolved, prefixes, is_placed(resolved)


def _strains_within_their_species(lineages: list[Lineage], values: list[float], holder: list[int]) -> list[float]:
    """``values`` with the strain rows under a species row scaled to its value
    where they add up to more by a rounding hair (up to :data:`_TREE_EXCESS`).

    MetaPhlAn rounds every row on its own, so a species' ``t__`` rows may sum
    a little above the species row; summed again, the species took their sum
    and GMHI and Shannon, which the published tools compute from the species
    rows, were off by up to 1.1e-5 on MetAML's MetaPhlAn 2 profiles (an
    outside check).  The species row is what the profiler reported for the
    species, and every score reads the species, so it is kept exactly; the
    strains keep their proportions."""
    excess: dict[int, float] = {}
    for i, j in enumerate(holder):
        if j >= 0 and lineages[i][-1].rank == "strain" and lineages[j][-1].rank == "species":
            excess[j] = excess.get(j, 0.0) + values[i]
    factor = {j: values[j] / total for j, total in excess.items()
              if values[j] < total <= values[j] + _TREE_EXCESS and values[j] > 0}
    if not factor:
        return values
    out = list(values)
    for i, j in enumerate(holder):
        if j in factor and lineages[i][-1].rank == "strain":
            out[i] = values[i] * factor[j]
    return out


def _rebuild(profile: SampleProfile, reported: set[str]) -> SampleProfile:
    """Own abundances, resolved lineages, clades summed again (see :func:`place_profile`)."""
    lineages = profile.lineages
    values = [float(v) for v in profile.abundance]
    # Keyed by the whole path of ids, not the leaf's: one input may use a name
    # under two parents (Greengenes' g__Clostridium in five families, SILVA's
    # g__uncultured in dozens), and those are different clades here.
    paths = [tuple(t.id for t in lin) for lin in lineages]
    position = {path: i for i, path in enumerate(paths)}
    counts = profile.counts
    own_counts = None if counts is None else [float(v) for v in counts]
    holder = [-1] * len(paths)  # the nearest ancestor the input reported
    for i, path in enumerate(paths):
        for depth in range(len(path) - 1, 0, -1):
            j = position.get(path[:depth])
            if j is not None and j != i:
                holder[i] = j
                break
    values = _strains_within_their_species(lineages, values, holder)
    own = list(values)
    for i, j in enumerate(holder):
        # The nearest ancestor the input reported holds this clade too.
        if j >= 0:
            own[j] -= values[i]
            if own_counts is not None and counts is not None:
                own_counts[j] -= float(counts[i])
    if min(own) < -_TREE_EXCESS:
        # Per-rank estimates (mOTUs, some CAMI profiles): a clade is not the
        # sum of what is reported beneath it.  Keep every reported value and
        # move each taxon to its resolved lineage.
        own, own_counts = values, None if counts is None else [float(v) for v in counts]
        leaves_only = False
    else:
        leaves_only = True
    written = {lin[-1].id: lin[-1] for lin in lineages}
    taxids = profile.taxids or []
    taxid_of = {lin[-1].id: taxids[i] for i, lin in enumerate(lineages) if i < len(taxids) and taxids[i]}
    # (leaf id, path of clade ids) -> [resolved info, abundance, count]
    leaves: dict[tuple[str, tuple[str, ...]], list] = {}
    moved = False
    for i, lin in enumerate(lineages):
        value = own[i]
        n = own_counts[i] if own_counts is not None else 0.0
        # Round-off: a parent reported a hair below its children.
        if value <= 1e-12 and n <= 0:
            continue
        value = max(value, 0.0)
        n = max(n, 0.0)
        info = _RESOLVED.get(id(lin))
        if info is None or info[0] is not lin:
            if len(_RESOLVED) >= _ROW_VERDICTS_MAX:
                _RESOLVED.clear()
            info = _RESOLVED[id(lin)] = (lin, *_resolved_info(lin))
        # The resolved leaf and its path: the same name under two resolved
        # parents stays two leaves; sorted by leaf id first, as ever.
        key = (info[1][-1].id, tuple(node_id for node_id, _ in info[2]))
        # a taxon hung elsewhere than its file put it (not only an ancestor row added)
        moved = moved or key[1] != paths[i]
        slot = leaves.get(key)
        if slot is None:
            leaves[key] = [info, value, n]
        else:
            slot[1] += value
            slot[2] += n
    out = _copy(profile)
    out.placed_again = profile.placed_again or moved
    if not leaves_only:
        kept = [[leaves[k][0][1], *leaves[k][1:]] for k in sorted(leaves)]
        out.lineages = [slot[0] for slot in kept]
        out.abundance = [slot[1] for slot in kept]
        out.counts = None if own_counts is None else [slot[2] for slot in kept]
        out.taxids = [taxid_of.get(slot[0][-1].id, "") for slot in kept] if profile.taxids else None
        # Each rank is an estimate of the whole: placed = classified phyla
        # under a domain, as a share of the domains.
        total = sum(slot[1] for slot in kept if len(slot[0]) == 1 and slot[0][0].rank == "domain")
        placed = sum(slot[1] for slot in kept if len(slot[0]) == 2 and is_placed(slot[0]))
        out.placed = min(1.0, placed / total) if total > 0 else float("nan")
        return out
    clade: dict[tuple[str, ...], list] = {}  # path of clade ids -> [lineage, abundance, count]
    total = placed = 0.0
    clade_get = clade.get
    for key in sorted(leaves):
        (_, _, prefixes, is_placed_), value, n = leaves[key]
        total += value
        if is_placed_:
            placed += value
        for depth, (_, path) in enumerate(prefixes, start=1):
            node_key = key[1][:depth]
            slot = clade_get(node_key)
            if slot is None:
                clade[node_key] = [path, value, n]
            else:
                slot[1] += value
                slot[2] += n
    for node_key, slot in clade.items():
        # Keep the spelling this input used for the taxa it reported.
        taxon_written = written.get(node_key[-1])
        if taxon_written is not None and slot[0][-1] is not taxon_written:
            slot[0] = (*slot[0][:-1], taxon_written)
    out.lineages = [slot[0] for slot in clade.values()]
    out.abundance = [slot[1] for slot in clade.values()]
    out.counts = None if own_counts is None else [slot[2] for slot in clade.values()]
    out.taxids = [taxid_of.get(key[-1], "") for key in clade] if profile.taxids else None
    out.placed = placed / total if total > 0 else float("nan")
    out.__dict__["_tree_complete"] = True  # every ancestor of every leaf was emitted
    return out
