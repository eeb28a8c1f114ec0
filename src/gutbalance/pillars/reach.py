"""Which knowledge-base traits the pillars read, and how much of a sample
that knowledge reaches: the traits of each component and pillar (what a
pillar's confidence is taken over), the taxa the pillars' knowledge reaches,
and the least reach for which the pillars are scored.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..indices.sample_type import thresholds as sample_thresholds
from ..knowledge import TraitMatrix
from ..knowledge.schema import PILLARS, TRAITS
from .components import COMPONENT_KEYS, COMPONENTS, _components
from .constants import B_VITAMINS, QUINONES, parameters
from .inputs import _community, _composite_table, _Inputs

#: Sample rows per probe block of :func:`component_traits` (random shares; a
#: trait hidden behind a larger one in a max is missed with odds about
#: ``(1 - 1/k)**rows`` for a max over ``k``: below 1e-6 here).
_PROBE_ROWS = 64


def _probe_blocks(base: np.ndarray, *, with_base: bool = True) -> np.ndarray:
    """Blocks of probe rows: the base rows (unless ``with_base`` is False),
    then per column the base with that column set to 0, then to 1."""
    blocks = [base] if with_base else []
    for j in range(base.shape[1]):
        for value in (0.0, 1.0):
            block = base.copy()
            block[:, j] = value
            blocks.append(block)
    return np.vstack(blocks)


def _probed_components(F: pd.DataFrame, composite: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Every component (columns in :data:`COMPONENT_KEYS` order) of probe rows
    whose trait shares are ``F``; the same community values in every block of
    :data:`_PROBE_ROWS` rows (community components read no share)."""
    n = len(F)
    community = _community(*np.tile(rng.uniform(0.05, 0.95, (3, _PROBE_ROWS)), n // _PROBE_ROWS))
    inputs = _Inputs(P=sp.csr_matrix((n, 0)), composite=composite, F=F, N=F[[*B_VITAMINS, *QUINONES]],
                     community=community, gate=np.ones(n))
    return _components(inputs, parameters())[list(COMPONENT_KEYS)].to_numpy(dtype=float)


@lru_cache(maxsize=1)
def component_traits() -> dict[str, frozenset[str]]:
    """The knowledge-base traits each component reads, ``{pillar.name: traits}``.

    Derived from the formulas themselves, so a new component or composite
    trait declares its traits once (in the code that computes it): every
    knowledge-base trait is set in turn to 0 and to 1 over random values of
    the others, and a trait is read by a composite trait
    (:func:`_composite_table`) if that changes it; a component reads the
    traits of the composite shares whose change changes it (:func:`_components`,
    shares probed the same way).  Community components (reference
    similarity, GMHI, GMWI2) read no trait.  What ``<pillar>_confidence``
    is taken over (:func:`pillar_traits`).
    """
    rng = np.random.default_rng(0)
    rows = _PROBE_ROWS

    def changed(out: np.ndarray, n_inputs: int) -> np.ndarray:
        """inputs x outputs: whether setting the input changed the output in any row."""
        blocks = out.reshape(1 + 2 * n_inputs, rows, out.shape[1])
        moved = ~np.isclose(blocks[1:], blocks[0], rtol=0.0, atol=1e-12)
        return moved.reshape(n_inputs, 2 * rows, out.shape[1]).any(axis=1)

    traits = list(TRAITS)
    values = pd.DataFrame(_probe_blocks(rng.uniform(0.05, 0.95, (rows, len(traits)))), columns=traits)
    composite = _composite_table(values, values)
    reads_trait = changed(composite.to_numpy(dtype=float), len(traits))  # traits x composite
    shares = list(composite.columns)
    F = pd.DataFrame(_probe_blocks(rng.uniform(0.05, 0.95, (rows, len(shares)))), columns=shares)
    comps = _probed_components(F, composite, rng)
    reads_share = changed(comps, len(shares))  # shares x components
    uses = (reads_trait.astype(int) @ reads_share.astype(int)) > 0  # traits x components
    return {key: frozenset(t for t, used in zip(traits, uses[:, j], strict=True) if used)
            for j, key in enumerate(COMPONENT_KEYS)}


@lru_cache(maxsize=1)
def component_directions() -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """Per component, ``(raising, lowering)``: the knowledge-base traits that
    raise its value when a taxon has them, and those that lower it.

    A contribution bar names the traits of its taxon that gave its effect:
    a positive part the taxon's raising traits, a negative part its lowering
    ones, so a harmful taxon's bar in the harm penalty says "pathobiont" or
    "Enterobacterales" rather than every trait the component reads, and a
    pathobiont's own gate on a reward (which lowers it) is not named as the
    reason for credit.  Probed like :func:`component_traits`, one taxon per
    sample holding half of it: each trait set to 0 and to 1 over random
    values of the others, the sign of the change of the component."""
    rng = np.random.default_rng(1)
    rows = _PROBE_ROWS
    traits = list(TRAITS)
    values = pd.DataFrame(_probe_blocks(rng.uniform(0.05, 0.95, (rows, len(traits))), with_base=False),
                          columns=traits)
    F = _composite_table(values, values) * 0.5
    comps = _probed_components(F, F, rng)
    change = comps.reshape(len(traits), 2, rows, len(COMPONENT_KEYS))
    step = change[:, 1] - change[:, 0]  # traits x rows x components: trait 1 minus trait 0
    raises = (step > 1e-12).any(axis=1)
    lowers = (step < -1e-12).any(axis=1)
    return {key: (frozenset(t for t, r in zip(traits, raises[:, j], strict=True) if r),
                  frozenset(t for t, r in zip(traits, lowers[:, j], strict=True) if r))
            for j, key in enumerate(COMPONENT_KEYS)}


def pillar_traits() -> dict[str, frozenset[str]]:
    """The knowledge-base traits each pillar's score reads (over all its
    components, whatever their calibrated weight): what its confidence covers."""
    reads = component_traits()
    return {p: frozenset().union(*(reads[c.key] for c in COMPONENTS if c.pillar == p)) for p in PILLARS}


#: Ranks through which the pillars' knowledge reaches a taxon besides its own:
#: the fallbacks the pillars lean on (a species' genus and family rows; a
#: strain's species row).  An order, class or phylum row is a fallback too,
#: but one that says little of a taxon below it (RANK_CONFIDENCE 0.3-0.1).
REACH_RANKS: tuple[str, ...] = ("strain", "species", "genus", "family")


def reached_taxa(taxa: pd.DataFrame, traits: TraitMatrix, *, reads: frozenset[str] | None = None) -> np.ndarray:
    """Per taxon (rows of ``traits``), whether the pillars' knowledge reaches it:
    a trait some pillar's components read (:func:`pillar_traits`; ``reads``:
    these traits instead, one pillar's) is known for it at its own rank or
    through its genus or family (:data:`REACH_RANKS`).

    Unlike ``coverage`` (any trait, found at species or genus rank), this
    follows the rank of the input: a family-rank profile (a 16S family table,
    the simulator's MDSINE2 forecasts) is reached through its families' rows.
    """
    reads = frozenset().union(*pillar_traits().values()) if reads is None else reads
    at = traits.resolved_rank[[t for t in traits.resolved_rank.columns if t in reads]].to_numpy(dtype=object)
    own = taxa["rank"].reindex(traits.resolved_rank.index).to_numpy(dtype=object)[:, None]
    known = at != ""
    return (known & (np.isin(at, REACH_RANKS) | (at == own))).any(axis=1)


def reach_floor() -> float:
    """Least share of a sample's abundance the pillars' knowledge must reach
    for its pillars and immune_support to be scored (``min_reach`` of
    ``indices/data/sample_checks.tsv``: a tenth of the least reach of the real
    stool of ../shared/data, rounded down to the percent)."""
    return sample_thresholds()["min_reach"]
