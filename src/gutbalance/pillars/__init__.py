r"""The five pillar scores: how the microbiome supports immunity, 0 to 100.

Every pillar is a function of *trait shares*: the share of a sample's
bacterial and archaeal abundance carried by taxa with a trait of the knowledge
base (:mod:`gutbalance.knowledge`).  With :math:`p_t` the own abundance of
taxon :math:`t` at its most resolved rank (:meth:`Cohort.terminal_matrix`,
renormalised over Bacteria and Archaea) and :math:`v_{tk}` its value for trait
:math:`k` (species row, else genus, else family ...),

.. math::

    F_k = \sum_t p_t v_{tk}, \qquad h(x; K) = \frac{x}{x + K}

and each pillar combines saturating rewards :math:`h(F; K)` with penalties
:math:`1 - h(F; K)`.  The formulas, the half-saturation constants
(``data/parameters.tsv``, each sourced or marked assumed) and their reasons
are in ``docs/scoring.md``.  Nothing was fitted to outcome labels.

Everything is vectorised: one sparse product ``P @ V`` gives every trait share
of every sample.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..cohort import Cohort, normalize_rows
from ..knowledge import trait_matrix
from ..knowledge.schema import PILLARS, TRAITS

__all__ = ["PILLARS", "PillarResult", "parameters", "pillar_scores"]

#: Domains the knowledge base describes; viruses and eukaryotes are left out
#: of the denominator (their share is reported as not covered).
SCORED_DOMAINS = ("Bacteria", "Archaea")

B_VITAMINS = tuple(f"vitamin_{v}_synthesis" for v in ("b1", "b2", "b3", "b5", "b6", "b7", "b9", "b12"))
QUINONES = ("menaquinone_synthesis", "ubiquinone_synthesis")


@lru_cache(maxsize=1)
def parameters() -> dict[str, float]:
    """The pillar parameters from ``data/parameters.tsv``."""
    text = resources.files("gutbalance.pillars").joinpath("data/parameters.tsv").read_text("utf-8")
    rows = csv.DictReader((ln for ln in text.splitlines() if ln and not ln.startswith("#")), delimiter="\t")
    out = {}
    for row in rows:
        if row["status"] not in {"sourced", "assumed"}:
            raise ValueError(f"parameter {row['parameter']}: status must be sourced or assumed")
        if row["status"] == "sourced" and not row["source"].startswith(("doi:", "pmid:")):
            raise ValueError(f"parameter {row['parameter']}: a sourced value needs a doi: or pmid:")
        out[row["parameter"]] = float(row["value"])
    return out


def _h(x: np.ndarray, k: float) -> np.ndarray:
    return x / (x + k)


@dataclass
class PillarResult:
    """Scores (samples x pillars, 0-100, plus ``immune_support``, confidences
    and ``coverage``), the trait shares behind them, and per-taxon effects."""

    scores: pd.DataFrame
    shares: pd.DataFrame
    contributions: dict[str, dict[str, list[dict]]]


#: Which traits raise (+) or lower (-) which pillar, for the per-taxon
#: contributions a report lists.  The formulas below are the authority.
EFFECTS: dict[str, list[tuple[str, int]]] = {
    "training": [("immunomodulatory", +1), ("pathobiont_or_pathogen", -1)],
    "homeostasis": [("anti_inflammatory_set", +1), ("pro_inflammatory_set", -1)],
    "nutrients": [("butyrate_producer", +1), ("scfa_producer", +1)],
    "barrier": [("butyrate_producer", +1), ("obligate_anaerobe", +1), ("akkermansia", +1),
                ("lps_tlr4_agonist", -1), ("sulfate_reducer", -1), ("facultative_anaerobe", -1), ("mucin_degrader", -1)],
    "defense": [("obligate_anaerobe_harmless", +1), ("colonisation_resistance_harmless", +1),
                ("defense_harm", -1)],
}


#: Plain-language names of the traits behind each contribution (reports show them).
TRAIT_LABELS: dict[str, str] = {
    "immunomodulatory": "trains regulatory immune cells (Treg inducer, probiotic or SCFA producer)",
    "pathobiont_or_pathogen": "pathobiont or pathogen",
    "anti_inflammatory_set": "anti-inflammatory or health-associated",
    "pro_inflammatory_set": "pro-inflammatory or disease-associated",
    "butyrate_producer": "makes butyrate",
    "scfa_producer": "makes butyrate or propionate",
    "obligate_anaerobe": "strict anaerobe (thrives in a healthy, oxygen-free gut)",
    "akkermansia": "Akkermansia (mucus-layer specialist)",
    "lps_tlr4_agonist": "strongly inflammatory LPS",
    "sulfate_reducer": "makes hydrogen sulfide from sulfate",
    "facultative_anaerobe": "tolerates oxygen (blooms when the gut lining is stressed)",
    "mucin_degrader": "feeds on the mucus layer",
    "obligate_anaerobe_harmless": "strict anaerobe that occupies the niche pathogens need",
    "colonisation_resistance_harmless": "shown to keep pathogens out",
    "defense_harm": "pathogen, pathobiont, Enterobacteriaceae or oral taxon",
}


def _composite_traits(values: pd.DataFrame) -> pd.DataFrame:
    """Per-taxon values of the composite traits the formulas use (0..1)."""
    v = values.fillna(0.0).clip(0.0, 1.0)
    # The curated enteric-pathogen and pathobiont calls decide who is harmful;
    # bugphyzz's broad "animal pathogen" flag also marks dominant commensals
    # (Phocaeicola vulgatus) and is left out of the scores.
    harmful = v[["pathobiont", "enteric_pathogen"]].max(axis=1)
    harmless = 1.0 - harmful  # a strain-dependent (0.5) call keeps half its credit
    out = pd.DataFrame(index=values.index)
    # Immune training: Treg/IgA-inducing and probiotic commensals, and SCFA
    # producers, whose butyrate and propionate induce colonic Treg cells
    # (Furusawa 2013, Arpaia 2013, Smith 2013; docs/scoring.md).
    out["immunomodulatory"] = (
        v[["treg_induction", "beneficial_commensal", "probiotic", "butyrate_producer", "propionate_producer"]].max(axis=1)
        * harmless
    )
    out["pathobiont_or_pathogen"] = harmful
    out["harmless"] = harmless
    out["anti_inflammatory_set"] = v[["anti_inflammatory", "asnicar_favourable", "gmhi_health_prevalent"]].max(axis=1)
    out["pro_inflammatory_set"] = v[["pro_inflammatory", "asnicar_unfavourable", "gmhi_health_scarce"]].max(axis=1)
    out["butyrate_producer"] = v["butyrate_producer"]
    out["scfa_producer"] = v[["butyrate_producer", "propionate_producer"]].max(axis=1)
    out["obligate_anaerobe"] = v["obligate_anaerobe"]
    out["akkermansia"] = v["akkermansia"]
    out["lps_tlr4_agonist"] = v["lps_tlr4_agonist"] * v["lps_producer"].where(values["lps_producer"].notna(), 1.0)
    out["sulfate_reducer"] = v["sulfate_reducer"]
    out["facultative_anaerobe"] = v["facultative_anaerobe"]
    out["mucin_degrader"] = v["mucin_degrader"]
    out["obligate_anaerobe_harmless"] = v["obligate_anaerobe"] * harmless
    out["colonisation_resistance_harmless"] = v["colonisation_resistance"] * harmless
    out["enteric_pathogen"] = v["enteric_pathogen"]
    out["pathobiont"] = v["pathobiont"]
    out["enterobacteriaceae"] = v["enterobacteriaceae"]
    out["oral_taxon"] = v["oral_taxon"]
    prm = parameters()
    out["defense_harm"] = pd.concat(
        [
            v["enteric_pathogen"],
            prm["harm_pathobiont"] * v["pathobiont"],
            prm["harm_enterobacteriaceae"] * v["enterobacteriaceae"],
            prm["harm_oral"] * v["oral_taxon"],
        ],
        axis=1,
    ).max(axis=1)
    # Capacity traits count as present in a sample when any carrier is present.
    for trait in (*B_VITAMINS, *QUINONES):
        out[trait] = v[trait]
    return out


def _shannon_rows(P: sp.csr_matrix) -> np.ndarray:
    """Shannon diversity (natural log) of each row of a non-negative matrix."""
    Q = normalize_rows(P).tocsr()
    Q.eliminate_zeros()
    rows = np.repeat(np.arange(Q.shape[0]), np.diff(Q.indptr))
    return -np.bincount(rows, weights=Q.data * np.log(Q.data), minlength=Q.shape[0]) + 0.0


def _pillar_formulas(
    F: pd.DataFrame,
    N: pd.DataFrame,
    shannon: np.ndarray,
    dysbiosis: np.ndarray,
    harmless_shannon: np.ndarray,
    prm: dict[str, float],
) -> pd.DataFrame:
    """The five pillars from trait shares ``F``, capacity presence ``N``,
    species Shannon diversity and the dysbiosis score (0 = like the healthy
    reference, 1 = nothing in common)."""
    training = _h(F["immunomodulatory"], prm["k_beneficial"]) * (1 - _h(F["pathobiont_or_pathogen"], prm["k_pathobiont"]))

    diversity = np.minimum(1.0, shannon / prm["shannon_reference"])
    balance = _h(F["anti_inflammatory_set"], prm["k_balance"]) * (1 - _h(F["pro_inflammatory_set"], prm["k_balance"]))
    homeostasis = (diversity + balance + (1.0 - np.clip(dysbiosis, 0.0, 1.0))) / 3.0

    vitamins = N[list(B_VITAMINS)].mean(axis=1)
    quinones = N[list(QUINONES)].mean(axis=1)
    nutrients = (
        0.4 * _h(F["butyrate_producer"], prm["k_butyrate"])
        + 0.2 * _h(F["scfa_producer"], prm["k_scfa"])
        + 0.3 * vitamins
        + 0.1 * quinones
    )

    mucin_excess = np.maximum(0.0, F["mucin_degrader"] - prm["mucin_excess_threshold"])
    barrier_support = (
        0.5 * _h(F["butyrate_producer"], prm["k_butyrate"])
        + 0.3 * _h(F["obligate_anaerobe"], prm["k_obligate_anaerobe"])
        + 0.2 * _h(F["akkermansia"], prm["k_akkermansia"])
    )
    barrier = (
        barrier_support
        * (1 - _h(F["lps_tlr4_agonist"], prm["k_lps"]))
        * (1 - _h(F["sulfate_reducer"], prm["k_h2s"]))
        * (1 - _h(F["facultative_anaerobe"], prm["k_facultative"]))
        * (1 - _h(mucin_excess, prm["k_mucin_excess"]))
    )

    # Colonisation resistance is a community property (Buffie & Pamer 2013):
    # obligate anaerobes, shown mechanisms, and the diversity of the harmless
    # community (a pathogen's arrival leaves that diversity unchanged).
    resistance = (
        0.5 * _h(F["obligate_anaerobe_harmless"], prm["k_obligate_anaerobe"])
        + 0.25 * _h(F["colonisation_resistance_harmless"], prm["k_colonisation_resistance"])
        + 0.25 * np.minimum(1.0, harmless_shannon / prm["shannon_reference"])
    )
    # One harm index per taxon (a recognised pathogen is the most harmful, 1),
    # so a taxon's arrival can only raise it: separate penalties would let a
    # pathogen dilute an Enterobacteriaceae bloom and look like an improvement.
    defense = resistance * (1 - _h(F["defense_harm"], prm["k_pathogen"]))
    table = pd.DataFrame(
        {
            "training": training,
            "homeostasis": homeostasis,
            "nutrients": nutrients,
            "barrier": barrier,
            "defense": defense,
        }
    )
    return 100.0 * table.clip(0.0, 1.0)


def pillar_scores(
    cohort: Cohort,
    *,
    shannon: np.ndarray | None = None,
    dysbiosis: np.ndarray | None = None,
    top: int = 10,
    contributions: bool = True,
) -> PillarResult:
    """Score every sample of ``cohort`` on the five pillars.

    Parameters
    ----------
    cohort
        The samples.
    shannon
        Species-level Shannon diversity per sample (computed if not given).
    dysbiosis
        Dysbiosis score per sample, 0-1 (computed if not given; see
        :func:`gutbalance.indices.dysbiosis.dysbiosis`).
    top
        How many taxa to list per pillar and sample in the contributions.
    contributions
        Whether to list the contributing taxa (a per-sample step; batch
        scoring of large cohorts turns it off).

    Returns
    -------
    PillarResult
        ``scores`` has ``training`` ... ``defense`` and ``immune_support``
        (their mean), each 0-100, ``<pillar>_confidence`` (0-1: the share of
        abundance whose traits for that pillar are known, weighted by how
        specific the knowledge is) and ``coverage`` (share of abundance with
        any trait known at species or genus level).
    """
    prm = parameters()
    own, taxa = cohort.terminal_matrix(max_rank="species", domains=SCORED_DOMAINS)
    present = np.flatnonzero(np.asarray((own != 0).sum(axis=0)).ravel() > 0)
    own = own[:, present]
    taxa = taxa.iloc[present]
    P = normalize_rows(own)
    if shannon is None:
        from ..indices.diversity import alpha_diversity

        shannon = alpha_diversity(cohort, metrics=("shannon",))["shannon"].to_numpy()
    if dysbiosis is None:
        from ..indices.dysbiosis import dysbiosis as dysbiosis_score

        dysbiosis = dysbiosis_score(cohort).to_numpy()
    traits = trait_matrix(taxa, list(TRAITS))
    composite = _composite_traits(traits.values)
    V = composite.to_numpy(dtype=float)
    F = pd.DataFrame(np.asarray(P @ V), index=cohort.samples.index, columns=composite.columns)
    presence = (P > 0).astype(float)
    capacity_cols = [*B_VITAMINS, *QUINONES]
    N = pd.DataFrame(
        np.minimum(1.0, np.asarray(presence @ composite[capacity_cols].to_numpy(dtype=float))),
        index=cohort.samples.index,
        columns=capacity_cols,
    )
    harmless = sp.csr_matrix(P.multiply(composite["harmless"].to_numpy()[None, :]))
    scores = _pillar_formulas(
        F, N, np.asarray(shannon, dtype=float), np.asarray(dysbiosis, dtype=float), _shannon_rows(harmless), prm
    )
    scores.index = cohort.samples.index
    scores.insert(0, "immune_support", scores[list(PILLARS)].mean(axis=1))

    # Confidence: abundance-weighted best confidence over each pillar's traits.
    conf = traits.confidence
    for pillar in PILLARS:
        cols = [t for t in conf.columns if TRAITS[t].pillar == pillar]
        best = conf[cols].max(axis=1).to_numpy(dtype=float)
        scores[f"{pillar}_confidence"] = np.asarray(P @ best).ravel()
    annotated = traits.annotated().any(axis=1).to_numpy(dtype=float)
    scores["coverage"] = np.asarray(P @ annotated).ravel()
    # An empty sample (nothing bacterial) has no evidence for any score: missing, not 0.
    empty = np.asarray(P.sum(axis=1)).ravel() == 0
    if empty.any():
        scores.loc[empty, :] = np.nan

    listed = _contributions(P, taxa, composite, cohort.sample_names, top=top) if contributions else {}
    return PillarResult(scores=scores, shares=F, contributions=listed)


def _contributions(
    P: sp.csr_matrix,
    taxa: pd.DataFrame,
    composite: pd.DataFrame,
    samples: list[str],
    *,
    top: int,
) -> dict[str, dict[str, list[dict]]]:
    """Per sample and pillar, the taxa that raised or lowered it most: each
    taxon's share of the community carrying a trait, signed.

    Vectorised over the whole cohort: every (sample, taxon, trait) effect of a
    pillar is one array entry; one lexsort orders them by sample, then by size
    (ties in trait order, then column order, as a stable sort of each sample's
    list would), and only the ``top`` entries per sample become dictionaries.
    """
    names = taxa["name"].to_numpy()
    ids = taxa.index.to_numpy()
    P = P.tocsr()
    rows = np.repeat(np.arange(P.shape[0]), np.diff(P.indptr))
    cols, p = P.indices, P.data
    position = np.arange(len(p))
    out: dict[str, dict[str, list[dict]]] = {s: {pillar: [] for pillar in EFFECTS} for s in samples}
    for pillar, effects in EFFECTS.items():
        parts = []
        for k, (trait, sign) in enumerate(effects):
            values = composite[trait].to_numpy()[cols] * p
            nz = np.flatnonzero(values > 0)
            parts.append((rows[nz], position[nz], np.full(len(nz), k), sign * values[nz]))
        r, pos, t, effect = (np.concatenate(a) for a in zip(*parts, strict=True))
        order = np.lexsort((pos, t, -np.abs(effect), r))
        sorted_rows = r[order]
        rank = np.arange(len(order)) - np.searchsorted(sorted_rows, sorted_rows, side="left")
        keep = order[rank < top]
        labels = [TRAIT_LABELS.get(trait, trait) for trait, _ in effects]
        entries = [
            {"taxon": n, "id": d, "trait": labels[k], "effect": e}
            for n, d, k, e in zip(names[cols[pos[keep]]].tolist(), ids[cols[pos[keep]]].tolist(), t[keep].tolist(),
                                  effect[keep].tolist(), strict=True)
        ]
        # keep is in sample order: cut the entries at each sample's first one.
        kept_rows = r[keep]
        bounds = np.searchsorted(kept_rows, np.arange(len(samples) + 1), side="left").tolist()
        for i in np.unique(kept_rows).tolist():
            out[samples[i]][pillar] = entries[bounds[i]:bounds[i + 1]]
    return out
