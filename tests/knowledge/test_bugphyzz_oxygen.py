"""bugphyzz oxygen and Gram calls read as their sources mean them (issue 12,
item 2 of the knowledge-base corrections): bacteria-archaea-traits'
"anaerobic" is no strict-anaerobe call (docs/knowledge-base.md,
"bacteria-archaea-traits' anaerobic")."""

from __future__ import annotations

import pandas as pd

from gutbalance.knowledge import load_knowledge, lookup
from tests.helpers import import_script

build_traits = import_script("build_traits")

BAT = "doi:10.1038/s41597-020-0497-4"
PROTRAITS = "doi:10.1093/nar/gkw964"


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
