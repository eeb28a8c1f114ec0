r"""The five pillar scores: how the microbiome supports immunity, 0 to 100.

Every pillar is a weighted mean of *components*, each a literature-defined
quantity between 0 (worst) and 1 (best), oriented so that higher is what the
literature calls favourable:

- a **reward** :math:`h(F_k; K) = F_k / (F_k + K)` of the share :math:`F_k` of
  the community carrying a favourable trait :math:`k`;
- a **penalty** :math:`1 - h(F_k; K)` of the share carrying a harmful trait;
- a **community** quantity (similarity to the healthy reference, the
  published GMHI and GMWI2 mapped to 0-1, the balance of the shared response
  to disease).

Diversity is not a component: floored Shannon separated health from disease
in some studies and reversed in others (below 0.5 in Qin 2012 and Karlsson
2013; in the held-out cohort richness alone had 0.35), so it is reported as
its own index (``shannon``, ``richness``) and not folded into a pillar.

With :math:`p_t` the own abundance of taxon :math:`t` at its most resolved
rank (:meth:`Cohort.terminal_matrix`, renormalised over Bacteria and Archaea)
and :math:`v_{tk}` its value for trait :math:`k` (species row, else genus,
else family ...), :math:`F_k = \sum_t p_t v_{tk}` is one sparse product for
the whole cohort.  Then

.. math::

    \text{pillar} = 100 \sum_j w_j c_j, \qquad w_j \ge 0,\ \sum_j w_j = 1,
    \qquad \text{immune\_support} = \sum_p u_p\, \text{pillar}_p

so 0 means every component at its worst and 100 every component at its
best.  Which components feed which pillar, and their direction, come from the
literature (``docs/scoring.md``); the weights :math:`w` and :math:`u` are
calibrated on labelled cohorts with those signs fixed, chosen by
leave-one-study-out performance, and shipped in ``data/calibration.json``
with their provenance (``scripts/calibrate_pillars.py``).  The
half-saturation constants are in ``data/parameters.tsv``.

Every score is a function of one sample (and the shipped files) alone.

This package is the public face; the work is done in its modules, one job
each: ``constants`` (``data/parameters.tsv``, the saturation :math:`h`, the
diversity floor), ``inputs`` (the trait shares and community inputs prepared
from a cohort and the knowledge base), ``components`` (what each component is
and its value), ``weights`` (the calibration and the weighted means),
``reach`` (the traits the pillars read and how much of a sample they reach),
``explain`` (each taxon's effect in points) and ``contribution_text`` (those
effects as JSON text).  Names that scripts and tests use are re-exported here
(``name as name``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..cohort import Cohort
from ..json_text import RawJSON
from ..knowledge.schema import PILLARS
from .components import COMPONENT_KEYS as COMPONENT_KEYS
from .components import COMPONENTS, Component, _components, component_labels, component_values
from .components import NEUTRAL_LABEL as NEUTRAL_LABEL
from .components import TRAIT_LABELS as TRAIT_LABELS
from .components import shared_response as shared_response
from .constants import B_VITAMINS as B_VITAMINS
from .constants import DIVERSITY_FLOOR as DIVERSITY_FLOOR
from .constants import INDEX_FLOOR as INDEX_FLOOR
from .constants import PARAMETER_CITATIONS as PARAMETER_CITATIONS
from .constants import QUINONES as QUINONES
from .constants import _h as _h
from .constants import parameters
from .explain import _contributions
from .inputs import PROBIOTIC_IMMUNE_RANKS as PROBIOTIC_IMMUNE_RANKS
from .inputs import SCORED_DOMAINS as SCORED_DOMAINS
from .inputs import SHALLOW_PROFILE_WARNING as SHALLOW_PROFILE_WARNING
from .inputs import _composite_table as _composite_table
from .inputs import _composite_traits as _composite_traits
from .inputs import _Inputs as _Inputs
from .inputs import _own_abundance as _own_abundance
from .inputs import _prepare, species_probiotic_calls
from .inputs import crossfeeding_gate as crossfeeding_gate
from .inputs import floored_cohort as floored_cohort
from .inputs import gmhi_unit as gmhi_unit
from .inputs import gmwi2_unit as gmwi2_unit
from .inputs import present_producers as present_producers
from .inputs import shallow_profile_warnings as shallow_profile_warnings
from .reach import REACH_RANKS as REACH_RANKS
from .reach import component_directions, component_traits, pillar_traits, reach_floor, reached_taxa
from .weights import calibration, weigh
from .weights import prior_calibration as prior_calibration
from .weights import reweighting as reweighting
from .weights import with_literature_share as with_literature_share

__all__ = [
    "COMPONENTS",
    "PILLARS",
    "Component",
    "PillarResult",
    "calibration",
    "component_directions",
    "component_traits",
    "component_labels",
    "component_values",
    "parameters",
    "pillar_scores",
    "pillar_traits",
    "reach_floor",
    "reached_taxa",
]


@dataclass
class PillarResult:
    """Scores (samples x pillars, 0-100, plus ``immune_support``, confidences
    and ``coverage``), the trait shares behind them, the components (0-1)
    and per-taxon effects in points."""

    scores: pd.DataFrame
    shares: pd.DataFrame
    #: ``{sample: {score: [entries]}}``; each list a
    #: :class:`~gutbalance.json_text.RawJSON` when asked for as text.
    contributions: dict[str, dict[str, Any]]
    components: pd.DataFrame | None = None
    #: Per sample, the share of the bacterial and archaeal abundance the
    #: pillars' knowledge reaches (:func:`reached_taxa`); 0 for an empty sample.
    reach: pd.Series | None = None
    #: Per sample, why its pillars and immune_support are missing ("" where scored).
    missing: pd.Series | None = None


def _scant_reason(reach: float, floor: float) -> str:
    return (
        f"the knowledge base reaches only {reach:.2%} of the bacterial and archaeal abundance (a trait a pillar "
        f"reads, known for the taxon itself or its genus or family; the pillars need {floor:.0%}, a tenth of the "
        "least of real stool): too little of the sample to score"
    )


#: Why the pillars of a sample with nothing bacterial or archaeal are missing.
EMPTY_REASON = "no bacterial or archaeal abundance to score"


def pillar_scores(
    cohort: Cohort,
    *,
    shannon: np.ndarray | None = None,
    dysbiosis: np.ndarray | None = None,
    top: int = 10,
    contributions: bool = True,
    raw_json: bool = False,
) -> PillarResult:
    """Score every sample of ``cohort`` on the five pillars.

    Parameters
    ----------
    cohort
        The samples.
    shannon
        Unused (kept for callers of earlier versions): diversity is no
        pillar component (it is reported as its own index).
    dysbiosis
        The dysbiosis score per sample (computed if not given).
    top
        How many taxa to list per pillar and sample in the contributions.
    contributions
        Whether to list each taxon's effect in points (a per-sample step;
        batch scoring of large cohorts turns it off).
    raw_json
        Keep each contribution list as the JSON text it is made as (a
        :class:`~gutbalance.json_text.RawJSON`, which
        :func:`gutbalance.json_text.dumps` splices into ``scores.json``)
        instead of reading it back into dictionaries.

    Returns
    -------
    PillarResult
        ``scores`` has ``immune_support`` (the calibrated weighted mean of
        the pillars) and ``training`` ... ``defense``, each 0-100,
        ``<pillar>_confidence`` (0-1: the share of abundance whose traits
        read by that pillar's components, :func:`pillar_traits`, are known,
        weighted by how specific the knowledge is) and
        ``coverage`` (share of abundance with any trait known at species or
        genus level).  A sample with nothing bacterial or archaeal gets NaN
        (there is nothing to score); so do the pillars and immune_support of
        a sample whose ``reach`` (the share of its abundance the pillars'
        knowledge reaches, :func:`reached_taxa`) is below
        :func:`reach_floor`, whose confidences and coverage stay.  ``reach``
        and ``missing`` (the reason, "" where scored) are per sample.
    """
    prm = parameters()
    cal = calibration()
    inputs, taxa, traits = _prepare(cohort, dysbiosis=dysbiosis)
    comps = _components(inputs, prm)
    scores = weigh(comps, cal)
    P = inputs.P

    # Confidence: abundance-weighted best confidence over the traits each
    # pillar's components read, wherever the knowledge base files them
    # (training's pathobiont penalty reads enteric_pathogen, a defense trait).
    # A genus probiotic row feeds no score, so it lends training no confidence either.
    conf = species_probiotic_calls(traits.confidence, traits.resolved_rank)
    reads = pillar_traits()
    for pillar in PILLARS:
        cols = [t for t in conf.columns if t in reads[pillar]]
        best = conf[cols].max(axis=1).to_numpy(dtype=float)
        # shares are at most 1: a sum over a normalised row can exceed it by an ulp (BIOM CD_4: 1.0000000000000002)
        scores[f"{pillar}_confidence"] = np.minimum(np.asarray(P @ best).ravel(), 1.0)
    annotated = traits.annotated().any(axis=1).to_numpy(dtype=float)
    scores["coverage"] = np.minimum(np.asarray(P @ annotated).ravel(), 1.0)
    # An empty sample (nothing bacterial) has no evidence for any score: its
    # pillars are missing, not 0, and so is its coverage, a share of nothing
    # (it read 0.0, as if the knowledge base knew none of a sample that held none).
    empty = np.asarray(P.sum(axis=1)).ravel() == 0
    if empty.any():
        scores.loc[empty, :] = np.nan
    # Too little of the sample reached by the knowledge base (below the floor
    # measured on real stool, data/sample_checks.tsv min_reach): the pillars
    # would describe a sliver of it, so they are missing, not scored.
    reach = np.asarray(P @ reached_taxa(taxa, traits).astype(float)).ravel()
    floor = reach_floor()
    scant = ~empty & (reach < floor)
    if scant.any():
        scores.loc[scant, ["immune_support", *PILLARS]] = np.nan
    missing = np.where(empty, EMPTY_REASON, "").astype(object)
    for i in np.flatnonzero(scant):
        missing[i] = _scant_reason(float(reach[i]), floor)

    listed = (
        _contributions(inputs, comps, taxa, cohort.sample_names, cal, prm, top=top, raw=raw_json)
        if contributions else {}
    )
    # No score, no taxa listed as moving it.
    for sample in np.asarray(cohort.sample_names, dtype=object)[scant] if listed else []:
        listed[sample] = {key: RawJSON(b"[]") if raw_json else [] for key in listed[sample]}
    index = scores.index
    return PillarResult(scores=scores, shares=inputs.F, contributions=listed, components=comps,
                        reach=pd.Series(reach, index=index, name="reach"),
                        missing=pd.Series(missing, index=index, name="missing", dtype=object))
