"""A QIIME 2 table of ASV ids needs its taxonomy, which the web app does not
pair with it (the library does for files read together): uploaded alone, or
zipped with its taxonomy, the refusal says what a clinic can do, in the web
app's terms. Before, it said ``gutbalance.read([table, taxonomy])`` (Python),
and a zip of the two said "upload it on its own", which is refused too."""

from __future__ import annotations

from tests.web.conftest import register, upload
from tests.web.test_api import zip_of

QIIME2 = "formats/qiime2"
WAYS = ("collapse the table to taxa (qiime taxa collapse, to genus or species level) and upload that artifact, "
        "or score the pair on the command line (gutbalance analyze table.qza taxonomy.qza)")


def test_a_table_of_asv_ids_alone_says_what_to_do_in_the_web_apps_terms(client, shared_data):
    headers = register(client, "clinic")
    table = (shared_data / QIIME2 / "dada2_table.qza").read_bytes()
    response = upload(client, headers, table, filename="table-dada2.qza")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "the web app reads one table at a time and cannot pair it with its taxonomy yet: " + WAYS in detail
    assert "gutbalance.read(" not in detail


def test_a_zip_of_qiime2_artifacts_is_refused_with_the_way_out(client, shared_data):
    headers = register(client, "clinic")
    archive = zip_of({"table-dada2.qza": (shared_data / QIIME2 / "dada2_table.qza").read_bytes(),
                      "other.qza": (shared_data / QIIME2 / "simple_relative_abundances.qza").read_bytes()})
    response = upload(client, headers, archive, filename="pair.zip")
    assert response.status_code in (413, 422)
    detail = response.json()["detail"]
    assert "member 'table-dada2.qza' is a QIIME 2 artifact, which is read only uploaded on its own" in detail
    assert WAYS in detail
    assert "upload it on its own" not in detail
