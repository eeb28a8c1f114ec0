"""A person's measured profile -> starting guild abundances of the gut-immune model.

Each species (or, for profiles without species, each genus) of the sample is
put in one guild, in this order of precedence:

1. the model's pathogens by name (``guild_taxonomy.tsv``: C. difficile,
   Salmonella), because the model has pathogen-specific parameters;
2. the knowledge base (:mod:`gutbalance.knowledge`) traits, where the taxon has a
   call: ``enterobacteriaceae`` -> enterobacteriaceae, ``akkermansia`` ->
   akkermansia, ``butyrate_producer`` -> butyrate_producers, ``probiotic`` ->
   bifido_lab;
3. the taxonomy rule in ``guild_taxonomy.tsv`` (most specific listed ancestor:
   species, genus, family, order), which also supplies bacteroidales;
4. everything else -> other_commensals.

Abundances are renormalised over the classified taxa at that rank (the
unassigned share is assumed to be composed like the assigned one) and taken as
fractions of a healthy total load (absolute load is not measured).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..cohort import Cohort
from ..errors import KnowledgeBaseError, SimulationError
from .gut_immune import GUILDS, MICROBES
from .parameters import guild_taxonomy

#: knowledge-base traits that decide a guild, in order of precedence
KB_TRAIT_GUILDS = [
    ("enterobacteriaceae", "enterobacteriaceae"),
    ("akkermansia", "akkermansia"),
    ("butyrate_producer", "butyrate_producers"),
    ("probiotic", "bifido_lab"),
]


def _taxonomy_rules() -> dict[tuple[str, str], str]:
    table = guild_taxonomy()
    return {(r.rank, r.taxon.lower()): r.guild for r in table.itertuples()}


def _kb_traits(taxa: pd.DataFrame) -> pd.DataFrame | None:
    try:
        from .. import knowledge
    except ImportError:  # the knowledge base is optional for this module
        return None
    matrix = knowledge.trait_matrix(taxa, [t for t, _ in KB_TRAIT_GUILDS])
    return matrix.values


def assign_guilds(taxa: pd.DataFrame, *, use_knowledge: bool = True) -> pd.DataFrame:
    """Guild of every taxon of a Cohort ``taxa`` table.

    Returns a frame indexed like ``taxa`` with ``guild`` (one of the model's
    guilds or ``pathogen:<name>``) and ``basis`` (``taxonomy``, ``knowledge:<trait>``
    or ``default``).
    """
    rules = _taxonomy_rules()
    kb, problem = None, None
    if use_knowledge:
        try:
            kb = _kb_traits(taxa)
        except KnowledgeBaseError as exc:  # a broken knowledge base must not stop a simulation
            problem = str(exc)
    guilds, basis = [], []
    order = ["species", "genus", "family", "order"]
    for tid, row in taxa.iterrows():
        by_taxonomy = None
        for rank in order:
            name = row.get(rank)
            hit = rules.get((rank, name.lower())) if isinstance(name, str) and name else None
            if hit is not None:
                by_taxonomy = hit
                break
        found = None
        if by_taxonomy is not None and by_taxonomy.startswith("pathogen:"):
            found = (by_taxonomy, "taxonomy")
        if found is None and kb is not None and tid in kb.index:
            for trait, guild in KB_TRAIT_GUILDS:
                if kb.at[tid, trait] == 1:
                    found = (guild, f"knowledge:{trait}")
                    break
        if found is None and by_taxonomy is not None:
            found = (by_taxonomy, "taxonomy")
        if found is None:
            found = ("other_commensals", "default")
        guilds.append(found[0])
        basis.append(found[1])
    out = pd.DataFrame({"guild": guilds, "basis": basis}, index=taxa.index)
    out.attrs["knowledge_problem"] = problem
    return out


def guild_abundances(cohort: Cohort, sample: str | None = None, *, use_knowledge: bool = True):
    """Starting guild vector (7 microbes, pathogen last) and the pathogen name found.

    Returns
    -------
    (numpy.ndarray, str | None, pandas.DataFrame)
        Abundances in :data:`~.gut_immune.MICROBES` order (summing to 1), the
        pathogen the profile carries (or None) and the per-taxon assignment.
    """
    if cohort.n_samples == 0:
        raise SimulationError("the profile has no samples")
    if sample is None:
        if cohort.n_samples > 1:
            raise SimulationError(
                f"the profile has {cohort.n_samples} samples; choose one with --sample "
                f"({', '.join(cohort.sample_names[:5])}{', ...' if cohort.n_samples > 5 else ''})"
            )
        sample = cohort.sample_names[0]
    if sample not in cohort.sample_names:
        raise SimulationError(f"no sample {sample!r} in the profile")
    i = cohort.sample_names.index(sample)
    for rank in ("species", "genus"):
        matrix, taxa = cohort.rank_matrix(rank, include_unclassified=False, renormalize=True)
        row = np.asarray(matrix[i].toarray()).ravel()
        if "domain" in taxa:  # the model is about bacteria (and archaea): no phages or eukaryotes
            keep = taxa["domain"].fillna("").isin(["Bacteria", "Archaea", ""]).to_numpy()
            row = np.where(keep, row, 0.0)
        if row.sum() > 0:
            break
    else:
        raise SimulationError(f"sample {sample!r} has no classified species or genera to start from")
    present = row > 0
    taxa = taxa.loc[present]
    values = row[present]
    assignment = assign_guilds(taxa, use_knowledge=use_knowledge)
    assignment["abundance"] = values  # (attrs, incl. knowledge_problem, are kept)
    x = np.zeros(len(MICROBES))
    pathogen = None
    for guild, value in zip(assignment["guild"], values):
        if guild.startswith("pathogen:"):
            name = guild.split(":", 1)[1]
            if pathogen not in (None, name):
                # only one pathogen slot: the less abundant one stays with the commensals
                x[GUILDS.index("other_commensals")] += value
                continue
            pathogen = name
            x[-1] += value
        else:
            x[GUILDS.index(guild)] += value
    x /= x.sum()  # renormalised over the bacteria and archaea
    return x, pathogen, assignment
