"""The sample page says, beside the scores, how far they have been tested
(the shipped validation summary, in short; the report has the full section)."""

from __future__ import annotations

import html
import re

from gutbalance.report.validity import validity_view
from tests.web.conftest import single_profile
from tests.web.test_declared_rank_page import _sample_ids
from tests.web.test_pages import page_register, page_upload


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
