"""The warnings about the input itself that ``gutbalance.scores`` writes beside the scores."""

from __future__ import annotations

import gutbalance
from tests.helpers import SMALL_COMMUNITY, metaphlan_text


def test_a_mostly_unclassified_profile_of_any_profiler_is_warned_about(tmp_path):
    """MetaPhlAn's UNCLASSIFIED share of a river metagenome (95 %) was scored
    without a word; only Kraken reports got this warning (an outside check)."""
    (tmp_path / "mostly.txt").write_text(metaphlan_text(SMALL_COMMUNITY, unknown=85.0))
    # MetaPhlAn's estimate is commonly half of a stool run: not warned about
    (tmp_path / "some.txt").write_text(metaphlan_text(SMALL_COMMUNITY, unknown=60.0))
    scores = gutbalance.score(gutbalance.read([tmp_path / "mostly.txt", tmp_path / "some.txt"]))
    assert ("85% of the profile is unclassified by its profiler: the scores describe only the classified 15%"
            in scores.loc["mostly", "warnings"])
    assert "unclassified" not in scores.loc["some", "warnings"]
