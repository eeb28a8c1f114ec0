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
4. the knowledge base's oxygen and pathobiont calls: a taxon the knowledge
   base calls an obligate anaerobe -> other_commensals (a pathobiont such as
   *R. gnavus* or *Bilophila* is no facultative bloomer); else a pathobiont,
   an enteric pathogen, a facultative anaerobe or a taxon known not to be an
   obligate anaerobe -> facultative_pathobionts;
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
from .parameters import gram_stain_lineage, guild_taxonomy

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
#: the genus whose members of the facultative guild's Gram-positive part take the ``<drug>:enterococci`` rows
ENTEROCOCCUS = "Enterococcus"
#: the guild whose LPS potency comes from its members
LPS_GUILD = "facultative_pathobionts"
#: scored domains (as gutbalance.pillars)
DOMAINS = ("Bacteria", "Archaea")


def _taxonomy_rules() -> dict[tuple[str, str], str]:
    table = guild_taxonomy()
    return {(str(rank), str(taxon).lower()): str(guild)
            for rank, taxon, guild in zip(table["rank"], table["taxon"], table["guild"], strict=True)}


def _kb_traits(taxa: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The knowledge base's calls, and the rank each taxon's ``gram_negative`` call was resolved at."""
    traits = list(dict.fromkeys([t for t, _ in KB_TRAIT_GUILDS] + KB_FACULTATIVE + KB_LPS))
    matrix = knowledge.trait_matrix(taxa, traits)
    return matrix.values, matrix.resolved_rank["gram_negative"]


def lps_call(kb: pd.DataFrame | None, tid: str, gram_negative: float = np.nan) -> float:
    """LPS potency of one taxon from its knowledge-base calls (0-1).

    ``gram_negative`` is the taxon's Gram call where the knowledge base has
    none (:func:`gram_call`: the lineage table's), so a member of a
    Gram-positive phylum brings no LPS.
    """
    if kb is None or tid not in kb.index:
        return 0.0 if gram_negative == 0 else 0.5
    row = kb.loc[tid]
    if pd.notna(row["lps_tlr4_agonist"]):
        return float(np.clip(row["lps_tlr4_agonist"], 0.0, 1.0))
    gram = row["gram_negative"] if pd.notna(row["gram_negative"]) else gram_negative
    if gram == 1 or row["lps_producer"] == 1:
        return 0.5  # LPS of unknown acylation
    if gram == 0:
        return 0.0  # Gram-positive
    return 0.5


def gram_call(lineage: pd.Series, kb_value: float, kb_rank: str) -> tuple[float, str]:
    """A taxon's Gram stain (1 negative, 0 positive, NaN unknown) and how it was made.

    The call of its nearest ranked ancestor with a cited row: the knowledge
    base's ``gram_negative`` (resolved at ``kb_rank``) or the lineage table
    ``gram_stain_lineage.tsv`` (phylum and class rows, e.g. Bacillota 0,
    Negativicutes 1), whichever is keyed at the more specific rank (the
    knowledge base on a tie).  Basis ``knowledge:<rank>``, ``lineage:<rank>``,
    ``unknown:lineage:<rank>`` (a cited row that makes no call: the wall-less
    mollicutes) or ``unknown``: an unknown member is never counted as
    Gram-negative.

    >>> gram_call(pd.Series({"phylum": "Bacillota", "class": "Negativicutes", "genus": "Veillonella"}), np.nan, "")
    (1.0, 'lineage:class')
    >>> gram_call(pd.Series({"phylum": "Bacillota", "genus": "Enterococcus"}), 0.0, "genus")
    (0.0, 'knowledge:genus')
    >>> gram_call(pd.Series({"phylum": "Bacillota", "order": "Acholeplasmatales"}), np.nan, "")
    (nan, 'unknown:lineage:order')
    >>> gram_call(pd.Series({"phylum": "Chloroflexota", "genus": "Chloroflexus"}), np.nan, "")
    (nan, 'unknown')
    """
    table = gram_stain_lineage()
    ranks = knowledge.KB_RANKS
    depth = {rank: i for i, rank in enumerate(ranks)}
    for rank in ranks:
        if pd.notna(kb_value) and depth.get(kb_rank, len(ranks)) <= depth[rank]:
            return float(kb_value), f"knowledge:{kb_rank}"
        name = lineage.get(rank)
        hit = table.get((rank, name.lower())) if isinstance(name, str) and name else None
        if hit is not None:
            # a cited "no call" (wall-less mollicutes) stops the walk: the member stays unknown
            return (hit, f"lineage:{rank}") if pd.notna(hit) else (np.nan, f"unknown:lineage:{rank}")
    if pd.notna(kb_value):
        return float(kb_value), f"knowledge:{kb_rank}"
    return np.nan, "unknown"


def assign_guilds(taxa: pd.DataFrame, *, use_knowledge: bool = True) -> pd.DataFrame:
    """Guild of every taxon of a Cohort ``taxa`` table.

    Returns a frame indexed like ``taxa`` with ``guild`` (one of the model's
    guilds or ``pathogen:<name>``), ``basis`` (``taxonomy``,
    ``knowledge:<trait>`` or ``default``), ``lps`` (the taxon's LPS
    potency, 0-1) and ``gram_positive`` (the knowledge base calls it not
    Gram-negative; unknown is False).
    """
    rules = _taxonomy_rules()
    kb, gram_rank, problem = None, None, None
    if use_knowledge:
        try:
            kb, gram_rank = _kb_traits(taxa)
        except (DataTableError, KnowledgeBaseError) as exc:  # a broken knowledge base must not stop a simulation
            problem = str(exc)
    guilds, basis, lps, negative, gram_basis = [], [], [], [], []
    order = ["species", "genus", "family", "order"]
    for key, row in taxa.iterrows():
        tid = str(key)  # taxon ids are lineage strings
        # the knowledge base's calls (one row) and resolved Gram rank of this taxon, when it has it
        kb_calls = kb.loc[tid] if kb is not None and tid in kb.index else None
        kb_gram_rank = gram_rank if kb_calls is not None else None
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
        if found is None and kb_calls is not None:
            for trait, guild in KB_TRAIT_GUILDS:
                if kb_calls[trait] == 1:
                    found = (guild, f"knowledge:{trait}")
                    break
        if found is None and by_taxonomy is not None:
            found = (by_taxonomy, "taxonomy")
        if found is None and kb_calls is not None:
            if kb_calls["obligate_anaerobe"] == 1:
                # an obligate anaerobe is no facultative bloomer, pathobiont or not (R. gnavus, Bilophila):
                # the guild's rows are those of facultative anaerobes (Stein's Enterobacteriaceae bloom
                # under clindamycin, the oxygen response of Byndloss 2017), which it cannot share
                found = ("other_commensals", "knowledge:obligate_anaerobe")
            for trait in ("pathobiont", "enteric_pathogen", "facultative_anaerobe"):
                if found is None and kb_calls[trait] == 1:
                    found = (LPS_GUILD, f"knowledge:{trait}")
            if found is None and kb_calls["obligate_anaerobe"] == 0:
                found = (LPS_GUILD, "knowledge:not_obligate_anaerobe")
        if found is None:
            found = ("other_commensals", "default")
        guilds.append(found[0])
        basis.append(found[1])
        gram, how = gram_call(row, float(kb_calls["gram_negative"]) if kb_calls is not None else np.nan,
                              kb_gram_rank[tid] if kb_gram_rank is not None else "")
        lps.append(lps_call(kb, tid, gram) if use_knowledge and problem is None else np.nan)
        negative.append(gram)
        gram_basis.append(how)
    out = pd.DataFrame({"guild": guilds, "basis": basis, "lps": lps, "gram_negative": negative,
                        "gram_positive": [g == 0 for g in negative], "gram_basis": gram_basis}, index=taxa.index)
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
    # the representative E. coli that shows its growth).  A member of unknown Gram stain is in neither
    # part: it is taken to be made like the members whose stain is known, so it follows the guild.
    called = members[members["gram_negative"].notna()]
    for part, rows in (("gram_negative", called[called["gram_negative"] == 1]),
                       ("gram_positive", called[called["gram_negative"] == 0])):
        assignment.attrs[f"lps_potency_{part}"] = (
            float(np.average(rows["lps"], weights=rows["abundance"])) if usable and len(rows) else None)
    # the guild's susceptibility to a drug that spares its Gram-positive members is its members' too
    # (None when no member's stain is known: the model's default, the representative E. coli's part)
    assignment.attrs["gram_positive_share"] = (
        float(np.average(called["gram_negative"] == 0, weights=called["abundance"])) if len(called) else None)
    # the Gram-positive part's enterococci: intrinsically resistant to clindamycin where streptococci are
    # not (EUCAST expert rules, Leclercq 2013), so the part's response to such a drug is its make-up's
    positive = called[called["gram_negative"] == 0]
    assignment.attrs["enterococcal_share"] = (
        float(np.average(taxa.loc[positive.index, "genus"].eq(ENTEROCOCCUS).to_numpy(), weights=positive["abundance"]))
        if len(positive) else None)
    assignment.attrs["gram_unknown_share"] = (
        float(members.loc[members["gram_negative"].isna(), "abundance"].sum() / members["abundance"].sum())
        if len(members) else None)
    x /= x.sum()  # renormalised over the bacteria and archaea
    return x, pathogen, assignment
