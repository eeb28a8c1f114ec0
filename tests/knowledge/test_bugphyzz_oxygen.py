"""bugphyzz oxygen and Gram calls read as their sources mean them (issue 12,
item 2 of the knowledge-base corrections): bacteria-archaea-traits'
"anaerobic" is no strict-anaerobe call, and a genus call that the genus's
own species contradict is left out (docs/knowledge-base.md,
"bacteria-archaea-traits' anaerobic" and "Genus calls contradicted by their
species")."""

from __future__ import annotations

import pandas as pd

from gutbalance.knowledge import load_knowledge, lookup
from tests.helpers import claim_rows, import_script

build_traits = import_script("build_traits")

BAT = "doi:10.1038/s41597-020-0497-4"
PROTRAITS = "doi:10.1093/nar/gkw964"
BERGEY = "doi:10.1002/9781118960608"


def _rows(taxon: str, rank: str = "species", source: str | None = None) -> pd.DataFrame:
    facts = load_knowledge().facts
    rows = facts[(facts["taxon"] == taxon) & (facts["rank"] == rank)]
    return rows if source is None else rows[rows["source"] == source]


def test_bacteria_archaea_traits_anaerobic_is_no_strict_anaerobe_call():
    # Cutibacterium acnes is an aerotolerant anaerobe; the database's
    # "anaerobic" says anaerobe, not strict anaerobe.
    acnes = _rows("Cutibacterium acnes", source=BAT)
    assert "obligate_anaerobe" not in set(acnes["trait"])
    calls = dict(zip(acnes["trait"], acnes["value"], strict=True))
    assert (calls["facultative_anaerobe"], calls["aerobe"]) == (0.0, 0.0)
    resolved = lookup("Cutibacterium acnes", traits=["obligate_anaerobe"])
    assert resolved["resolved_rank"].tolist() != ["species"]


def test_a_strict_anaerobe_call_of_another_source_now_decides():
    # Schaalia meyeri had only the database's "anaerobic": it has no
    # strict-anaerobe call left, and its genus (Schaalia) has none either.
    meyeri = _rows("Schaalia meyeri")
    assert "obligate_anaerobe" not in set(meyeri["trait"])
    assert lookup("Schaalia meyeri", traits=["obligate_anaerobe"]).empty
    # Where ProTraits calls the species obligately anaerobic, that call is read.
    facts = load_knowledge().facts
    strict = facts[(facts["trait"] == "obligate_anaerobe") & (facts["rank"] == "species")]
    assert ((strict["source"] == BAT) & (strict["value"] == 1.0)).sum() == 0
    assert ((strict["source"] == PROTRAITS) & (strict["value"] == 1.0)).sum() > 0


def _frame(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """Rows of (taxon, rank, group, claim) in the builder's frame layout."""
    return claim_rows(("taxon", "rank", "claim_group", "claim"), rows, trait="t", value=1.0)


def test_a_genus_call_every_one_of_three_species_contradicts_is_dropped():
    frame = _frame([
        ("Wrong", "genus", "oxygen", "anaerobe"),
        ("Wrong a", "species", "oxygen", "tolerant"),
        ("Wrong b", "species", "oxygen", "tolerant"),
        ("Wrong c", "species", "oxygen", "tolerant"),
        ("Wrong c", "species", "gram", "positive"),
        ("Wrong", "genus", "gram", "positive"),
        ("Two", "genus", "oxygen", "tolerant"),
        ("Two a", "species", "oxygen", "anaerobe"),
        ("Two b", "species", "oxygen", "anaerobe"),
        ("Mixed", "genus", "gram", "negative"),
        ("Mixed a", "species", "gram", "positive"),
        ("Mixed b", "species", "gram", "positive"),
        ("Mixed c", "species", "gram", "positive"),
        ("Mixed d", "species", "gram", "negative"),
    ])
    kept, overruled = build_traits.drop_contradicted_genus_calls(frame)
    assert overruled == {("Wrong", "oxygen"): ("anaerobe", 3)}
    genus = kept[kept["rank"] == "genus"]
    assert set(zip(genus["taxon"], genus["claim_group"], strict=True)) == {
        ("Wrong", "gram"), ("Two", "oxygen"), ("Mixed", "gram")}
    assert len(kept[kept["rank"] == "species"]) == 10


def test_wrong_bugphyzz_genus_oxygen_calls_are_gone():
    # Bergey's rows: Bacillus "anaerobic, always" against 130 of its species,
    # Halomonas "anaerobic" against 43; Cellulosilyticum "obligately aerobic"
    # against its genus description (Cai & Dong 2010: obligately anaerobic).
    for genus in ("Bacillus", "Halomonas", "Cellulosilyticum", "Atopobium", "Leptotrichia"):
        oxygen = _rows(genus, "genus", BERGEY)
        assert not set(oxygen["trait"]) & {"obligate_anaerobe", "facultative_anaerobe", "aerobe"}, genus
    # The genus's Gram call is another group and stays.
    assert _rows("Bacillus", "genus", BERGEY).set_index("trait").loc["gram_negative", "value"] == 0.0
    # A genus call its species agree with stays (Alistipes: obligately anaerobic).
    assert _rows("Alistipes", "genus", BERGEY).set_index("trait").loc["obligate_anaerobe", "value"] == 1.0


def test_bergeys_anaerobic_is_no_strict_anaerobe_call():
    # Bergey's Manual keeps "anaerobic" apart from "obligately anaerobic" in
    # bugphyzz (309 and 104 rows); its Propionibacterium is "anaerobic to
    # aerotolerant", which bugphyzz carries as "anaerobic".  The genus row
    # says anaerobe (neither facultative nor aerobe), not strict anaerobe.
    for genus in ("Propionibacterium", "Bacteroides", "Bifidobacterium"):
        calls = _rows(genus, "genus", BERGEY).set_index("trait")["value"]
        assert "obligate_anaerobe" not in calls.index, genus
        assert (calls["facultative_anaerobe"], calls["aerobe"]) == (0.0, 0.0), genus
    # Bergey's "obligately anaerobic" is still a strict-anaerobe call.
    assert _rows("Eubacterium", "genus", BERGEY).set_index("trait").loc["obligate_anaerobe", "value"] == 1.0


def test_cutibacterium_acnes_is_no_strict_anaerobe_through_its_former_genus():
    # C. acnes is aerotolerant; the Propionibacterium genus row made it a
    # strict anaerobe.  No source here gives it a strict-anaerobe call now.
    assert lookup("Cutibacterium acnes", traits=["obligate_anaerobe"]).empty
    assert lookup("Propionibacterium acnes", traits=["obligate_anaerobe"]).empty
    assert lookup("Propionibacterium freudenreichii", traits=["obligate_anaerobe"]).empty


def test_capnocytophaga_is_no_strict_anaerobe_by_its_genus_description():
    # Leadbetter et al. 1979 (the genus description): CO2-dependent growth
    # under either anaerobic or aerobic conditions.  The bugphyzz genus call
    # stays dropped (4 species "anaerobic" in bacteria-archaea-traits); the
    # curated rows give the call instead, for the three described species too.
    leadbetter = "doi:10.1007/BF00408040"
    for name in ("Capnocytophaga", "Capnocytophaga ochracea", "Capnocytophaga sputigena", "Capnocytophaga gingivalis"):
        rank = "genus" if " " not in name else "species"
        calls = lookup(name, rank, traits=["obligate_anaerobe", "facultative_anaerobe"]).set_index("trait")
        assert (calls.loc["obligate_anaerobe", "value"], calls.loc["facultative_anaerobe", "value"]) == (0.0, 1.0), name
        assert calls["resolved_rank"].eq(rank).all(), name
        assert set(calls["sources"]) == {leadbetter}, name
    assert _rows("Capnocytophaga", "genus", BERGEY)["trait"].tolist() == ["gram_negative"]
    # A species without rows of its own takes the genus call.
    oral = lookup("Capnocytophaga sp oral taxon 332", traits=["obligate_anaerobe"])
    assert oral["value"].tolist() == [0.0]
    assert oral["resolved_rank"].tolist() == ["genus"]


def test_strict_anaerobes_get_their_call_back_from_their_descriptions():
    # kbfix6 read Bergey's "anaerobic" as strictness not stated, so species
    # whose genus row said only "anaerobic" lost their strict-anaerobe call.
    # The Roseburia and Allobaculum genus descriptions say "Strictly
    # anaerobic." (Bergey's Manual of Systematic Bacteriology vol. 3), the Oxalobacter genus
    # description "obligately anaerobic", the species descriptions of
    # P. salivae, T. sanguinis and the genital-tract Megasphaera "obligately"
    # or "strictly anaerobic": curated rows (docs/knowledge-base.md).
    cases = {
        "Roseburia": ("genus", "genus", "doi:10.1007/b92997"),
        "Roseburia intestinalis": ("species", "genus", "doi:10.1007/b92997"),
        "Roseburia inulinivorans": ("species", "genus", "doi:10.1007/b92997"),
        "Prevotella salivae": ("species", "species", "doi:10.1099/ijs.0.02876-0"),
        "Oxalobacter": ("genus", "genus", "doi:10.1007/BF00446731"),
        "Oxalobacter formigenes": ("species", "genus", "doi:10.1007/BF00446731"),
        "Turicibacter sanguinis": ("species", "species", "doi:10.1099/00207713-52-4-1263"),
        "Megasphaera sp BV3C16 1": ("species", "species", "doi:10.1099/ijsem.0.004702"),
        "Megasphaera genomosp type 1": ("species", "species", "doi:10.1099/ijsem.0.004702"),
        "Allobaculum stercoricanis": ("species", "genus", "doi:10.1007/b92997"),
    }
    for name, (rank, resolved, source) in cases.items():
        call = lookup(name, rank, traits=["obligate_anaerobe"])
        assert call["value"].tolist() == [1.0], name
        assert call["resolved_rank"].tolist() == [resolved], name
        assert call["sources"].tolist() == [source], name
    # The Bergey's genus rows still say "anaerobic" only: no strict call of
    # their own, and species without a description of their own stay missing.
    for genus in ("Roseburia", "Oxalobacter", "Turicibacter", "Megasphaera", "Allobaculum"):
        assert "obligate_anaerobe" not in set(_rows(genus, "genus", BERGEY)["trait"]), genus
    assert lookup("Turicibacter", "genus", traits=["obligate_anaerobe"]).empty
    assert lookup("Prevotella buccalis", traits=["obligate_anaerobe"]).empty


def test_anaerococcus_is_a_strict_anaerobe_by_its_genus_description():
    # The Anaerococcus chapter of Bergey's Manual of Systematics of Archaea
    # and Bacteria says "Strictly anaerobic."; bugphyzz carries the same
    # manual's genus row as "anaerobic" only. A curated genus row gives the
    # three stool species of the GMWI table their strict call back.
    chapter = "doi:10.1002/9781118960608.gbm00712"
    genus = lookup("Anaerococcus", "genus", traits=["obligate_anaerobe"])
    assert genus["value"].tolist() == [1.0]
    assert genus["sources"].tolist() == [chapter]
    for name in ("Anaerococcus lactolyticus", "Anaerococcus obesiensis", "Anaerococcus tetradius"):
        call = lookup(name, traits=["obligate_anaerobe"])
        assert call["value"].tolist() == [1.0], name
        assert call["resolved_rank"].tolist() == ["genus"], name
        assert call["sources"].tolist() == [chapter], name
    # The bugphyzz row of the same manual still makes no strict call.
    assert "obligate_anaerobe" not in set(_rows("Anaerococcus", "genus", BERGEY)["trait"])
    # Bacteroides stays missing: its chapter says only "Anaerobic."
    assert lookup("Bacteroides", "genus", traits=["obligate_anaerobe"]).empty


def test_selenomonas_is_a_strict_anaerobe_by_its_genus_description():
    # Bergey's genus description of Selenomonas says "Strictly anaerobic."
    # (vol. 3, and the first edition before it); bugphyzz carries the online
    # manual's genus row as "anaerobic" only. Species without a call of their
    # own take the genus row; those with one keep it (ProTraits, strict too).
    vol3 = "doi:10.1007/b92997"
    for name in ("Selenomonas artemidis", "Selenomonas bovis", "Selenomonas infelix"):
        call = lookup(name, traits=["obligate_anaerobe"])
        assert call["value"].tolist() == [1.0], name
        assert call["resolved_rank"].tolist() == ["genus"], name
        assert call["sources"].tolist() == [vol3], name
    own = lookup("Selenomonas sputigena", traits=["obligate_anaerobe"])
    assert own["resolved_rank"].tolist() == ["species"]
    assert own["sources"].tolist() == [PROTRAITS]
    assert "obligate_anaerobe" not in set(_rows("Selenomonas", "genus", BERGEY)["trait"])
