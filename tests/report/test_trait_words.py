"""Each bar of a pillar's microbes names the taxon's own trait that made it,
not every trait its component reads (issue 12 item 5: "one bar per taxon per
pillar with the trait named"; an outside reading found *M. gnavus* labelled
"pathogens, pathobionts, Enterobacterales" where it is a pathobiont only)."""

from __future__ import annotations

import html as _html
import re

from gutbalance.knowledge import TRAITS, CitedCall, trait_calls
from gutbalance.knowledge.schema import TRAIT_PHRASES
from gutbalance.pillars import COMPONENTS, component_directions
from gutbalance.report.render import lineages_of_ids, render_sample_report
from gutbalance.report.trait_words import own_traits
from gutbalance.scores import score_with_contributions
from tests.helpers import SMALL_COMMUNITY, make_cohort


def _calls(*ids: str):
    return trait_calls(lineages_of_ids(list(ids)), list(TRAITS))


def test_every_trait_has_a_plain_name():
    assert set(TRAIT_PHRASES) == set(TRAITS)


def test_directions_follow_the_literature_signs_of_the_components():
    """A reward is raised by its favourable traits and lowered only by the
    harmful gate; a penalty is raised by nothing it names."""
    directions = component_directions()
    for c in COMPONENTS:
        raising, lowering = directions[c.key]
        if c.kind == "penalty":
            assert not raising - {"pathobiont", "enteric_pathogen"}, c.key
            assert lowering, c.key
        elif c.kind in ("reward", "capacity"):
            assert raising, c.key
            assert lowering <= {"pathobiont", "enteric_pathogen"}, c.key
    assert directions["defense.harm"][1] == {"enteric_pathogen", "pathobiont", "enterobacteriaceae"}
    assert "butyrate_producer" in directions["homeostasis.shared_response"][0]
    assert "pathobiont" in directions["homeostasis.shared_response"][1]


def test_a_pathobiont_is_named_as_one_and_not_as_an_enterobacterales():
    gnavus, coli = "s__Mediterraneibacter gnavus", "s__Escherichia coli"
    calls = _calls(gnavus, coli)
    said = own_traits(gnavus, "defense.harm", -5.0, calls)
    assert said.startswith("pathobiont")
    assert "Enterobacterales" not in said
    assert "enteric pathogen" not in said
    coli_said = own_traits(coli, "defense.harm", -20.0, calls)
    assert "pathobiont" in coli_said
    assert "Enterobacterales" in coli_said
    # an order's trait read at the order is not a lower-confidence fallback
    assert "Enterobacterales (from" not in coli_said


def test_credit_names_the_favourable_trait_never_the_gate_that_lowered_it():
    fragilis = "s__Bacteroides fragilis"
    calls = _calls(fragilis)
    said = own_traits(fragilis, "defense.obligate_anaerobes", 0.4, calls)
    assert said == "strict anaerobe"
    assert own_traits(fragilis, "defense.obligate_anaerobes", 0.0, calls) == ""


def test_where_the_evidence_comes_from_is_said():
    calls = {"s__X": {"treg_induction": CitedCall(1.0, ("doi:1",), "genus", "experiment", "mouse", "yes"),
                      "butyrate_producer": CitedCall(0.5, ("doi:2",), "genus", "experiment", "in_vitro", "no")}}
    said = own_traits("s__X", "training.immunomodulatory", 1.0, calls)
    assert said == "induces regulatory T cells (in mice; shown for some strains; from its genus)"
    # a metabolic trait is not an effect on the host: no host words, and a genus row of a genus-conserved trait is no fallback
    assert own_traits("s__X", "barrier.butyrate", 1.0, calls) == "makes butyrate (call 0.5 of 1)"


def _visible(page: str) -> str:
    return " ".join(_html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_sample_page_names_each_bars_own_trait():
    profile = {k: v * 0.9 for k, v in SMALL_COMMUNITY.items()}
    profile["k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Ruminococcus|"
            "s__Ruminococcus_gnavus"] = 10.0
    cohort = make_cohort({"S1": profile})
    scores, contributions = score_with_contributions(cohort)
    page = render_sample_report("S1", scores, cohort=cohort, contributions=contributions)
    titles = [_html.unescape(t) for t in re.findall(r"<title>([^<]*)</title>", page)]
    gnavus = [t for t in titles if t.startswith("Mediterraneibacter gnavus: ") and "Enterobacterales (the" in t]
    assert gnavus
    assert all(t.startswith("Mediterraneibacter gnavus: pathobiont") for t in gnavus)
    # the table says it too, after the part it counts in
    text = _visible(re.sub(r"<svg.*?</svg>", " ", page, flags=re.S))
    assert re.search(r"Mediterraneibacter gnavus -\d+\.\d points pathogens, pathobionts, Enterobacterales "
                     r"\(the Enterobacteriaceae of before 2016\): pathobiont", text)
