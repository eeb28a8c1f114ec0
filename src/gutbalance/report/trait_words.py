"""What a report says a listed taxon *is* beside its effect on a score: the
taxon's own traits that gave each part of its effect, with where their
evidence comes from (:func:`own_traits`).

A component reads several traits (the defense harm index: enteric
pathogens, pathobionts and Enterobacterales), so its name alone does not
say why one taxon counts in it; an outside reading of the reports found
*Mediterraneibacter gnavus* labelled "pathogens, pathobionts,
Enterobacterales" where it is a pathobiont only.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..knowledge import KB_RANKS, TRAITS, CitedCall
from ..knowledge.schema import TRAIT_PHRASES
from ..pillars import PROBIOTIC_IMMUNE_RANKS, component_directions
from ..taxonomy.ranks import PREFIX_RANK

#: ``{taxon id: {trait: CitedCall}}``: the knowledge base's calls for the
#: taxa a report lists (:func:`gutbalance.knowledge.trait_calls`).
TraitCalls = Mapping[str, Mapping[str, CitedCall]]

#: Where the evidence for an effect on the host comes from, when not from people.
_HOST_WORDS = {"mouse": "in mice", "in_vitro": "in vitro", "other_animal": "in animals", "in_silico": "predicted"}


def _beyond(rank: str, conserved: str) -> bool:
    """Whether a call from a row at ``rank`` comes from above ``conserved``,
    the rank its trait is held to be shared at (weighted down in the scores)."""
    return rank in KB_RANKS and conserved in KB_RANKS and KB_RANKS.index(rank) > KB_RANKS.index(conserved)


def own_traits(taxon: str, component: str, effect: float, calls: TraitCalls) -> str:
    """The traits of ``taxon`` (a feature id, ``s__Klebsiella pneumoniae``)
    that gave its ``effect`` through ``component`` (``defense.harm``), in
    plain words: a raising part names the taxon's traits that raise the
    component (:func:`gutbalance.pillars.component_directions`), a lowering
    part those that lower it.  Each is qualified where the call is partial
    (a 0.5 "only some strains or an opportunist"), rests on mice, cells or a
    prediction (for effects on the host), was shown for particular strains
    only, or is its genus's or family's row.  Empty where the knowledge base
    holds none (a whole-community entry, an older file's taxon).

    >>> from gutbalance.knowledge import CitedCall
    >>> calls = {"s__X": {"pathobiont": CitedCall(1.0, ("doi:1",), "species", "experiment", "mouse", "yes"),
    ...                   "enterobacteriaceae": CitedCall(0.0, (), "order")}}
    >>> own_traits("s__X", "defense.harm", -2.0, calls)
    'pathobiont (in mice; shown for some strains)'
    """
    if not effect or effect != effect:
        return ""
    raising, lowering = component_directions().get(component, (frozenset(), frozenset()))
    known = calls.get(taxon, {})
    prefix = taxon.split("__", 1)[0] if "__" in taxon else ""
    own_rank = PREFIX_RANK.get(prefix, "")
    words = []
    for trait in TRAITS:  # the schema's order: the same on every page
        if trait not in (raising if effect > 0 else lowering):
            continue
        call = known.get(trait)
        if call is None or call.value != call.value or call.value == 0:
            continue
        if trait == "probiotic" and call.rank not in PROBIOTIC_IMMUNE_RANKS:
            continue  # a genus row gives no immune-training credit (pillars.inputs.species_probiotic_calls)
        notes = []
        if 0 < call.value < 1:
            # a 0.5 of "only some strains", a genus's share of genomes, or a graded
            # value (F. prausnitzii's butyrate 0.8): the call's own number, not "partly"
            notes.append(f"call {call.value:.2g} of 1")
        if TRAITS[trait].host_effect and call.host in _HOST_WORDS:
            notes.append(_HOST_WORDS[call.host])
        if call.strain_specific and call.strain_specific != "no" and own_rank != "strain":
            notes.append("shown for some strains" + ("" if call.strain_specific == "yes"
                                                      else f" in {call.strain_specific}"))
        if _beyond(call.rank, TRAITS[trait].conserved) and own_rank != call.rank:
            # a genus's or family's row above the rank the trait holds at (not
            # Enterobacterales, an order's trait, nor a genus's anaerobiosis)
            notes.append(f"from its {call.rank}")
        phrase = TRAIT_PHRASES.get(trait, trait.replace("_", " "))
        words.append(phrase + (f" ({'; '.join(notes)})" if notes else ""))
    return ", ".join(words)
