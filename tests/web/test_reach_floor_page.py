"""The web sample page of a profile the knowledge base barely reaches: the
pillars are missing with the reason, not a score drawn from a sliver of it."""

from __future__ import annotations

import html
import re

from tests.helpers import metaphlan_text
from tests.web.test_declared_rank_page import _sample_ids
from tests.web.test_pages import page_register, page_upload

#: Upload formats and pages over the same queries as test_api: SQLite alone (conftest.py).
DATABASES = ("sqlite",)

#: An anaerobic digester's community: Cloacimonas, which no trait names, and 1 % of a gut species.
DIGESTER = metaphlan_text({
    "k__Bacteria|p__Candidatus_Cloacimonetes|c__Candidatus_Cloacimonetes_unclassified|"
    "o__Candidatus_Cloacimonetes_unclassified|f__Candidatus_Cloacimonadaceae|g__Candidatus_Cloacimonas|"
    "s__Candidatus_Cloacimonas_acidaminovorans": 99.0,
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|"
    "s__Bacteroides_vulgatus": 1.0,
})


def test_the_sample_page_shows_the_pillars_missing_with_the_reason(client):
    page_register(client)
    assert page_upload(client, DIGESTER, filename="digester_metaphlan.txt").status_code == 303
    sample = _sample_ids(client)["digester"]
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", client.get(f"/samples/{sample}").text)).split())
    assert "the knowledge base reaches only 1.00% of the bacterial and archaeal abundance" in text
    for label in ("Immune support", "Training", "Homeostasis", "Nutrients", "Barrier", "Defense"):
        assert label in text
    assert not re.search(r"\b0(\.0+)? / 100", text)  # no pillar shown as a made-up 0
    report = client.get(f"/samples/{sample}/report").text
    assert "reaches only 1.00%" in html.unescape(report)
