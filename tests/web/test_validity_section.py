"""The sample page says, beside the scores, how far they have been tested
(the shipped validation summary, in short; the report has the full section)."""

from __future__ import annotations

import html
import re

from gutbalance.report.validity import validity_view
from tests.helpers import metaphlan_text
from tests.web.conftest import single_profile
from tests.web.test_declared_rank_page import _sample_ids
from tests.web.test_pages import page_register, page_upload

#: Upload formats and pages over the same queries as test_api: SQLite alone (conftest.py).
DATABASES = ("sqlite",)


def _section(page: str) -> str:
    start = page.index('<h2 id="validity-heading">')
    block = page[start: page.index("</section>", start)]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", block)).split())


def test_the_sample_page_says_how_far_the_scores_were_tested(client):
    page_register(client)
    assert page_upload(client, single_profile(), filename="S1_metaphlan.txt").status_code == 303
    page = client.get(f"/samples/{_sample_ids(client)['S1']}").text
    view = validity_view()
    text = _section(page)
    assert text.startswith("How far these scores have been tested")
    assert f"{view['worst']['auc']:.2f} to {view['best']['auc']:.2f}" in text
    assert view["pooled"] in text
    assert "they never diagnose" in text
    # after the scores, before the delete button
    assert page.index('<table class="scores">') < page.index('id="validity-heading"') < page.index('/delete" class="danger"')


#: A MetaPhlAn profile of a phage alone: nothing bacterial, so the pillars and immune_support are missing.
PHAGE_ONLY = metaphlan_text({"k__Viruses|p__Viruses_unclassified|c__Viruses_unclassified|o__Caudovirales|"
                             "f__Siphoviridae|g__Lambdavirus|s__Escherichia_virus_Lambda": 100.0})


def test_a_sample_without_pillar_scores_has_no_section_on_the_page_nor_in_its_report(client):
    """The section tells how well the scores separate groups: a sample with none
    had it on the web page (the report left it out); now neither shows it."""
    page_register(client)
    assert page_upload(client, PHAGE_ONLY, filename="phage_metaphlan.txt").status_code == 303
    assert page_upload(client, single_profile(), filename="S1_metaphlan.txt").status_code == 303
    ids = _sample_ids(client)
    phage = client.get(f"/samples/{ids['phage']}").text
    assert "Immune support" in phage
    assert "Why: " in phage  # the cards say why there is no score
    assert 'id="validity-heading"' not in phage
    assert "How far these scores have been tested" not in client.get(f"/samples/{ids['phage']}/report").text
    # a scored sample keeps both
    assert 'id="validity-heading"' in client.get(f"/samples/{ids['S1']}").text
    assert 'id="sec-validity"' in client.get(f"/samples/{ids['S1']}/report").text
