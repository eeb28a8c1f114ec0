"""A small scored cohort with hostile sample names, groups and subjects, as report input."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.helpers import SMALL_COMMUNITY, make_cohort, scored

XSS_NAME = "<img src=x onerror=alert(1)>"


def _variant(k: int) -> dict[str, float]:
    names = list(SMALL_COMMUNITY)
    out = dict(SMALL_COMMUNITY)
    move = min(1.5 * k, out[names[3]] - 0.5)
    out[names[3]] -= move
    out[names[k % 3]] += move
    return out


@pytest.fixture(scope="session")
def report_input():
    samples = [XSS_NAME, "p1_t1", "p1_t2", "p1_t3", 'q"uote & <b>bold</b>', "s6", "s7", "../../etc/passwd"]
    cohort = make_cohort({name: _variant(i) for i, name in enumerate(samples)})
    meta = pd.DataFrame(
        {
            "arm": ["kefir", "kefir", "kefir", "kefir", "milk", "milk", "milk", "milk"],
            "person": ["x", "p1", "p1", "p1", "y", "z", "w", "v"],
            "visit": ["1", "1", "2", "3", "1", "1", "1", "1"],
            "note": ["<script>alert(2)</script>", "", "", "", "", "", "", ""],
        },
        index=samples,
    )
    cohort = cohort.with_metadata(meta)
    scores = scored(cohort)
    contributions = {
        XSS_NAME: {
            "shannon": [
                {"taxon": "s__<svg onload=alert(3)>", "effect": 0.4, "trait": "<i>butyrate</i>", "source": "doi:10.1/x\"><script>"},
                {"taxon": "s__Escherichia coli", "effect": -0.2, "trait": "pathobiont", "source": "PMID:123"},
            ]
        }
    }
    return cohort, scores, contributions
