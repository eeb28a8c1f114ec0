"""A person's measured profile -> starting guild abundances of the gut-immune model.

The taxa are those the pillar scores of :mod:`gutbalance.pillars` use: each
bacterial or archaeal taxon's own abundance at its most resolved rank down to
species (:meth:`~gutbalance.Cohort.terminal_matrix`), so that every taxon the
scores see has a guild whose simulated fold change it follows
(:mod:`.pillars`).  Each is put in one guild, in this order of precedence:

1. the model's pathogens by name (``guild_taxonomy.tsv``: C. difficile,
   Salmonella), because the model has pathogen-specific parameters;
2. the knowledge base (:mod:`gutbalance.knowledge`) traits that name a guild:
   ``enterobacteriaceae`` -> facultative_pathobionts, ``akkermansia`` ->
   akkermansia, ``butyrate_producer`` -> butyrate_producers, ``probiotic`` ->
   bifido_lab;
3. the taxonomy rule in ``guild_taxonomy.tsv`` (most specific listed ancestor:
   species, genus, family, order), which also supplies bacteroidales, lactic
   acid bacteria and the facultative genera (Acinetobacter, Enterococcus,
   Streptococcus);
4. the knowledge base's oxygen and pathobiont calls: a pathobiont, an enteric
   pathogen, a facultative anaerobe or a taxon known not to be an obligate
   anaerobe -> facultative_pathobionts;
5. everything else -> other_commensals.

The facultative guild's LPS potency is this person's: the abundance-weighted
LPS call of its members (``lps_tlr4_agonist`` where known, else 0.5 for a
Gram-negative or LPS producer, else 0), so *Acinetobacter* brings LPS and
*Enterococcus* none; taken per part (Gram-negative, Gram-positive), so the
guild's LPS follows its make-up while a drug changes it.  So is its susceptibility to a drug whose spectrum
separates its Gram-positive members (enterococci, streptococci) from the
Enterobacteriaceae (ciprofloxacin): the abundance-weighted mean over the
members (``attrs["gram_positive_share"]``).

Abundances are renormalised over the classified bacteria and archaea (the
unassigned share is assumed to be composed like the assigned one) and taken as
fractions of a healthy total load (absolute load is not measured).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import knowledge
from ..cohort import Cohort
from ..errors import DataTableError, KnowledgeBaseError, SimulationError
from .gut_immune import GUILDS, MICROBES
from .parameters import guild_taxonomy

#: knowledge-base traits that name a guild, in order of precedence
KB_TRAIT_GUILDS = [
    ("enterobacteriaceae", "facultative_pathobionts"),
    ("akkermansia", "akkermansia"),
    ("butyrate_producer", "butyrate_producers"),
    ("probiotic", "bifido_lab"),
]
#: knowledge-base calls that make a taxon without a more specific guild a facultative pathobiont
KB_FACULTATIVE = ["pathobiont", "enteric_pathogen", "facultative_anaerobe", "obligate_anaerobe"]
KB_LPS = ["lps_tlr4_agonist", "gram_negative", "lps_producer"]
#: the guild whose LPS potency comes from its members
LPS_GUILD = "facultative_pathobionts"
#: scored domains (as gutbalance.pillars)
DOMAINS = ("Bacteria", "Archaea")


def _taxonomy_rules() -> dict[tuple[str, str], str]:
    table = guild_taxonomy()
    return {(r.rank, r.taxon.lower()): r.guild for r in table.itertuples()}


def _kb_traits(taxa: pd.DataFrame) -> pd.DataFrame:
    traits = list(dict.fromkeys([t for t, _ in KB_TRAIT_GUILDS] + KB_FACULTATIVE + KB_LPS))
    return knowledge.trait_matrix(taxa, traits).values


def lps_call(kb: pd.DataFrame | None, tid: str) -> float:
    """LPS potency of one taxon from its knowledge-base calls (0-1)."""
    if kb is None or tid not in kb.index:
        return 0.5
    row = kb.loc[tid]
    if pd.notna(row["lps_tlr4_agonist"]):
        return float(np.clip(row["lps_tlr4_agonist"], 0.0, 1.0))
    if row["gram_negative"] == 1 or row["lps_producer"] == 1:
        return 0.5  # LPS of unknown acylation
    if row["gram_negative"] == 0:
        return 0.0  # Gram-positive
    return 0.5


def assign_guilds(taxa: pd.DataFrame, *, use_knowledge: bool = True) -> pd.DataFrame:
    """Guild of every taxon of a Cohort ``taxa`` table.

    Returns a frame indexed like ``taxa`` with ``guild`` (one of the model's
    guilds or ``pathogen:<name>``), ``basis`` (``taxonomy``,
    ``knowledge:<trait>`` or ``default``), ``lps`` (the taxon's LPS
    potency, 0-1) and ``gram_positive`` (the knowledge base calls it not
    Gram-negative; unknown is False).
    """
    rules = _taxonomy_rules()
    kb, problem = None, None
    if use_knowledge:
        try:
            kb = _kb_traits(taxa)
        except (DataTableError, KnowledgeBaseError) as exc:  # a broken knowledge base must not stop a simulation
            problem = str(exc)
    guilds, basis, lps, positive = [], [], [], []
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
        known = kb is not None and tid in kb.index
        if found is None and known:
            for trait, guild in KB_TRAIT_GUILDS:
                if kb.at[tid, trait] == 1:
                    found = (guild, f"knowledge:{trait}")
                    break
        if found is None and by_taxonomy is not None:
            found = (by_taxonomy, "taxonomy")
        if found is None and known:
            calls = kb.loc[tid]
            for trait in ("pathobiont", "enteric_pathogen", "facultative_anaerobe"):
                if calls[trait] == 1:
                    found = (LPS_GUILD, f"knowledge:{trait}")
                    break
            if found is None and calls["obligate_anaerobe"] == 0:
                found = (LPS_GUILD, "knowledge:not_obligate_anaerobe")
        if found is None:
            found = ("other_commensals", "default")
        guilds.append(found[0])
        basis.append(found[1])
        lps.append(lps_call(kb, tid) if use_knowledge and problem is None else np.nan)
        positive.append(bool(known and kb.at[tid, "gram_negative"] == 0))
    out = pd.DataFrame({"guild": guilds, "basis": basis, "lps": lps, "gram_positive": positive}, index=taxa.index)
    out.attrs["knowledge_problem"] = problem
    return out


def guild_abundances(cohort: Cohort, sample: str | None = None, *, use_knowledge: bool = True,
                     slot: str | None = None):
    """Starting guild vector (7 microbes, pathogen last) and the pathogen name found.

    The model has one pathogen slot.  It goes to ``slot`` (the pathogen a
    scenario exposes the person to) when given, else to the first pathogen
    the profile carries; any other pathogen's reads stay with the commensals
    and are listed, as shares of the bacteria, in ``attrs["displaced"]``.

    Returns
    -------
    (numpy.ndarray, str | None, pandas.DataFrame)
        Abundances in :data:`~.gut_immune.MICROBES` order (summing to 1), the
        pathogen the profile carries (or None) and the per-taxon assignment
        (``guild``, ``model_guild`` = the model state it follows, ``basis``,
        ``lps``, ``abundance`` = own abundance in the sample); its
        ``attrs["lps_potency"]`` holds the facultative guild's LPS potency
        and ``attrs["lps_potency_gram_negative"]``, ``["lps_potency_gram_positive"]``
        those of its two parts (None when the guild or the part is absent or
        the knowledge base is unusable).
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
    own, taxa = cohort.subset([sample]).terminal_matrix(max_rank="species", domains=DOMAINS)
    row = np.asarray(own[0].toarray()).ravel()
    if not row.sum() > 0:
        raise SimulationError(f"sample {cohort.sample_names[i]!r} has no classified bacteria or archaea to start from")
    present = row > 0
    taxa = taxa.loc[present]
    values = row[present]
    assignment = assign_guilds(taxa, use_knowledge=use_knowledge)
    assignment["abundance"] = values  # (attrs, incl. knowledge_problem, are kept)
    x = np.zeros(len(MICROBES))
    pathogen = None
    model_guild = []
    displaced: dict[str, float] = {}
    for guild, value in zip(assignment["guild"], values, strict=True):
        if guild.startswith("pathogen:"):
            name = guild.split(":", 1)[1]
            if name == slot or (slot is None and pathogen in (None, name)):
                pathogen = name
                x[-1] += value
                model_guild.append("pathogen")
                continue
            # only one pathogen slot: the other pathogen's reads stay with the commensals
            guild = "other_commensals"
            displaced[name] = displaced.get(name, 0.0) + float(value)
        x[GUILDS.index(guild)] += value
        model_guild.append(guild)
    assignment["model_guild"] = model_guild
    assignment.attrs["displaced"] = {name: value / float(x.sum()) for name, value in displaced.items()}
    members = assignment[assignment["model_guild"] == LPS_GUILD]
    usable = len(members) > 0 and bool(members["lps"].notna().all())
    assignment.attrs["lps_potency"] = (
        float(np.average(members["lps"], weights=members["abundance"])) if usable else None)
    # the potency of each part, which the simulation weights by the part's share as the share changes
    # (None: the part has no member; a missing Gram-negative part takes the table's value, that of
    # the representative E. coli that shows its growth)
    for part, rows in (("gram_negative", members[~members["gram_positive"]]),
                       ("gram_positive", members[members["gram_positive"]])):
        assignment.attrs[f"lps_potency_{part}"] = (
            float(np.average(rows["lps"], weights=rows["abundance"])) if usable and len(rows) else None)
    # the guild's susceptibility to a drug that spares its Gram-positive members is its members' too
    assignment.attrs["gram_positive_share"] = (
        float(np.average(members["gram_positive"], weights=members["abundance"])) if len(members) else None)
    x /= x.sum()  # renormalised over the bacteria and archaea
    return x, pathogen, assignment
