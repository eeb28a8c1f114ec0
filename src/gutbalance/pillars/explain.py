"""Each taxon's effect on every score, in points: the contribution lists of
``scores.json`` (:func:`_contributions`), computed as arrays over the
cohort's stored entries and written as text by :mod:`.contribution_text`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..cohort import feature_ids
from ..knowledge.schema import PILLARS
from .components import COMPONENTS, NEUTRAL_AT_HALF, component_labels
from .constants import B_VITAMINS, DIVERSITY_FLOOR, QUINONES
from .contribution_text import expanded, listed_json
from .inputs import _Inputs
from .weights import reweighting


def _contributions(
    inputs: _Inputs,
    comps: pd.DataFrame,
    taxa: pd.DataFrame,
    samples: list[str],
    cal: dict,
    prm: dict[str, float],
    *,
    top: int,
    raw: bool = False,
) -> dict[str, dict]:
    r"""Per sample and pillar, each taxon's effect on the score in points.

    A reward or penalty component is :math:`f(F)` of a trait share
    :math:`F = \sum_t x_t` (:math:`x_t = p_t v_t`, taxon :math:`t`'s part of
    it), with :math:`f(0) = 0`.  Taxon :math:`t` gets
    :math:`100\, w\, (x_t / F)\, f(F)`: its share of the component's points,
    the Aumann-Shapley (integrated-gradient) attribution of a function of a
    sum along the path from none of the trait to the sample, so the bars of a
    component add up exactly to its points.  For a penalty the points are
    lost (negative) from the full marks a community without harmful taxa
    would have.  Capacity components (a saturating function of each
    vitamin's producer share) share each vitamin's points the same way.  The
    shared response, :math:`1/2 + (G - D) / (2 (G + D + 2\varepsilon))`, is
    split exactly over the taxa of its health side (positive) and disease
    side (negative).  Community components (the healthy-reference similarity,
    GMHI, GMWI2) are properties of the whole community and are listed once, as
    ``"taxon": "Whole community"``; GMHI and GMWI2, balances at 0.5 where
    neither side wins, signed from that midpoint.  The midpoints of the
    balances (:data:`~gutbalance.pillars.components.NEUTRAL_AT_HALF`) are one
    whole-community entry per pillar, ``"<pillar>.neutral"``, the same for
    every sample that has them all.

    Each pillar's list holds the ``top`` taxa with the largest effects either
    way (one entry per taxon: its effects through every component summed,
    each named in ``parts``), plus every community entry; the effects of all
    taxa and community entries and the full-marks baseline of the penalties
    add up to the score.  ``immune_support`` gets the pillar-weighted sums.

    Vectorised over the cohort: every (sample, taxon) effect is one entry of
    an array aligned with the stored entries of ``P``; one lexsort orders each
    sample's entries by size and only the ``top`` are written, as JSON text
    (:func:`~gutbalance.pillars.contribution_text.listed_json`; effects to
    1e-6 points).  With ``raw`` each list stays that lean text (a
    :class:`~gutbalance.json_text.RawJSON`, for ``scores.json``, whose
    ``"components"`` names each component key once: :func:`component_labels`);
    otherwise it is read back into dictionaries that name every component's
    trait (:func:`~gutbalance.pillars.contribution_text.expanded`).
    """
    names = taxa["name"].to_numpy()
    # scores.json names each taxon by its feature id, not its column key (an
    # unknown taxon's key holds its parents; one sample has one of each id).
    ids = feature_ids(taxa.index)
    composite, F, N, P = inputs.composite, inputs.F, inputs.N, inputs.P
    per_row = np.diff(P.indptr)
    rows = np.repeat(np.arange(P.shape[0]), per_row)
    cols, p = P.indices, P.data

    def spread(per_sample: np.ndarray) -> np.ndarray:
        """A value per sample at each of its stored entries (``per_sample[rows]``, faster)."""
        return np.repeat(per_sample, per_row)

    # A part is (per-sample factor)[rows] * x_t with x_t = v_t p_t (the
    # taxon's part of its sample's trait share): x_t is gathered once per
    # trait, and every per-sample factor (1/F included) is formed over the
    # samples before it is spread over the entries: a pass over all the
    # cohort's entries is what costs here.
    x_of: dict[str, np.ndarray] = {}

    def share(trait: str) -> np.ndarray:
        if trait not in x_of:
            if trait == "butyrate_supply":
                # a cross-feeder's part is gated by its sample's producers, as F's (_prepare)
                producer = composite["butyrate_producer"].to_numpy()[cols]
                feeder = np.maximum(0.0, composite[trait].to_numpy()[cols] - producer)
                x_of[trait] = (producer + spread(inputs.gate) * feeder) * p
            else:
                x_of[trait] = composite[trait].to_numpy()[cols] * p
        return x_of[trait]

    def per_total(trait: str, factor: np.ndarray) -> np.ndarray:
        """``factor / F`` per sample (0 where the sample has none of the trait)."""
        total = F[trait].to_numpy()
        return np.divide(factor, total, out=np.zeros(len(total)), where=total > 0)

    # per pillar: {component: points per stored entry}, and community points per sample
    taxon_points: dict[str, dict[str, np.ndarray]] = {}
    community_points: dict[str, dict[str, np.ndarray]] = {}
    for pillar in PILLARS:
        weights = cal["components"][pillar]
        taxon_points[pillar], community_points[pillar] = {}, {}
        # a component that cannot describe a sample (NaN) lends its weight to
        # the others (weigh): their points grow by the same factor
        renorm = reweighting(comps, cal, pillar)
        neutral = None
        for c in COMPONENTS:
            w = weights.get(c.name, 0.0)
            if c.pillar != pillar or w <= 0:
                continue
            value = comps[c.key].to_numpy()
            if c.name in NEUTRAL_AT_HALF:
                # a balance, 0.5 where neither side wins: its midpoint goes to the one constant
                # entry, and what the community moves it from there is signed (a GMWI2 below 0
                # was a bar raising the score by 7 points; an outside check)
                half = np.where(np.isnan(value), 0.0, 50.0 * w)
                neutral = half if neutral is None else neutral + half
            if c.name == "shared_response":
                # (G + e) / (G + D + 2e) = 1/2 + (G - D) / (2 (G + D + 2e)): given the sample's
                # totals, linear in each taxon's part of G - D, so a taxon's bar is its exact
                # share of the points above (health side) or below (disease side) the midpoint.
                half_span = 2.0 * (F["health_response"].to_numpy() + F["disease_response"].to_numpy()
                                   + 2.0 * DIVERSITY_FLOOR)
                side = composite["health_response"].to_numpy() - composite["disease_response"].to_numpy()
                taxon_points[pillar][c.name] = spread(100.0 * w / half_span) * (side[cols] * p)
                continue
            if c.kind == "community":
                signed = value - 0.5 if c.name in NEUTRAL_AT_HALF else value
                community_points[pillar][c.name] = 100.0 * w * signed
                continue
            if c.kind == "capacity":
                group = B_VITAMINS if c.name == "vitamins" else QUINONES
                factor = 100.0 * w / len(group)
                points = sum(spread(per_total(t, factor * N[t].to_numpy())) * share(t) for t in group)
            elif c.kind == "penalty":
                points = spread(per_total(c.trait, -100.0 * w * (1.0 - value))) * share(c.trait)
            else:
                points = spread(per_total(c.trait, 100.0 * w * value)) * share(c.trait)
            taxon_points[pillar][c.name] = points
        if neutral is not None:
            community_points[pillar]["neutral"] = neutral
        if renorm is not None:
            spread_renorm = spread(renorm)
            taxon_points[pillar] = {k: v * spread_renorm for k, v in taxon_points[pillar].items()}
            community_points[pillar] = {k: v * renorm for k, v in community_points[pillar].items()}
    labels = component_labels()

    out: dict[str, dict] = {s: {} for s in samples}

    def emit(key: str, parts: dict[str, np.ndarray], community: dict[str, np.ndarray], *,
             effect: np.ndarray, scale: dict[str, float] | None = None) -> None:
        listed = listed_json(parts, community, rows=rows, cols=cols, names=names, ids=ids,
                             n_samples=len(samples), top=top, effect=effect, scale=scale)
        for sample, text in zip(samples, listed, strict=True):
            out[sample][key] = text if raw else expanded(text.load(), labels)

    pillar_effect = {}
    for pillar in PILLARS:
        # a taxon's effect: its parts added left to right onto zeros
        pillar_effect[pillar] = sum(taxon_points[pillar].values(), np.zeros(len(rows)))
        emit(pillar, {f"{pillar}.{k}": v for k, v in taxon_points[pillar].items()},
             {f"{pillar}.{k}": v for k, v in community_points[pillar].items()}, effect=pillar_effect[pillar])
    # immune_support = sum_p u_p pillar_p: a taxon's effect is the u-weighted
    # sum of its effects on the pillars (exact), each part its pillar part times u_p.
    u = cal["pillars"]
    emit(
        "immune_support",
        {f"{pl}.{k}": v for pl in PILLARS for k, v in taxon_points[pl].items()},
        {f"{pl}.{k}": u[pl] * v for pl in PILLARS for k, v in community_points[pl].items()},
        effect=sum((u[pl] * pillar_effect[pl] for pl in PILLARS), np.zeros(len(rows))),
        scale={f"{pl}.{k}": u[pl] for pl in PILLARS for k in taxon_points[pl]},
    )
    return out
