"""``kb_reach`` in the web app: the sample page says in words what the scores
rest on, the API, the downloads and the account export carry the column, and
samples stored before it existed get it missing with the reason (migration
0008, up and down on SQLite and PostgreSQL), never a value of today's
knowledge base beside pillars scored with another day's."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import zipfile

import sqlalchemy as sa
from alembic import command

from gutbalance.web.db import make_engine
from tests.helpers import metaphlan_text
from tests.pillars.test_reach_floor import _digester
from tests.web.conftest import register, upload
from tests.web.test_declared_rank_page import _alembic, _sample_ids
from tests.web.test_pages import page_register, page_upload

#: Upload formats and pages over the same queries as test_api: SQLite alone (conftest.py).
DATABASES = ("sqlite",)

#: 40 % of a gut species the knowledge base describes, 60 % of a digester's genus it cannot.
DIGESTER40 = metaphlan_text(_digester(40.0))
SAID = ("The immune-support scores rest on the 40 % of this sample's bacteria and archaea that the knowledge base "
        "describes (a fact at least one of the scores reads, known for the microbe itself, its genus or its family); of the other "
        "60 % it knows nothing the scores use.")
OLDER = ("How much of this sample the immune-support scores rest on is not known: the sample was scored before "
         "gutbalance recorded how much of it the knowledge base reaches; upload its file again to see it.")


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _tsv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


def test_the_page_the_api_and_the_exports_carry_it(client):
    headers = register(client, "lab")
    (stored,) = upload(client, headers, DIGESTER40, filename="digester_metaphlan.txt").json()
    assert abs(stored["scores"]["kb_reach"] - 0.40) < 1e-12
    assert client.get(f"/api/samples/{stored['id']}", headers=headers).json()["scores"]["kb_reach"] == stored["scores"]["kb_reach"]
    (row,) = _tsv_rows(client.get(f"/api/samples/{stored['id']}/scores.tsv", headers=headers).text)
    assert float(row["kb_reach"]) == stored["scores"]["kb_reach"]
    archive = zipfile.ZipFile(io.BytesIO(client.get("/api/account/export", headers=headers).content))
    assert json.loads(archive.read("samples.json"))[0]["scores"]["kb_reach"] == stored["scores"]["kb_reach"]
    assert float(_tsv_rows(archive.read("scores.tsv").decode())[0]["kb_reach"]) == stored["scores"]["kb_reach"]

    client.cookies.clear()
    page_register(client)
    assert page_upload(client, DIGESTER40, filename="digester_metaphlan.txt").status_code == 303
    sample = _sample_ids(client)["digester"]
    page = _text(client.get(f"/samples/{sample}").text)
    assert SAID in page
    assert page.index(SAID) < page.index("Immune support")  # before the scores it is about
    assert re.search(r"Reached by the knowledge base kb_ ?reach 0\.40 ", page)
    assert SAID in _text(client.get(f"/samples/{sample}/report").text)


def test_migration_0008_gives_older_samples_it_missing_with_the_reason(client, database_url):
    page_register(client)
    assert page_upload(client, DIGESTER40, filename="digester_metaphlan.txt").status_code == 303
    sample = _sample_ids(client)["digester"]
    engine = make_engine(database_url)
    select = sa.text("SELECT scores FROM samples WHERE id = :id").bindparams(id=sample)
    try:
        with engine.begin() as connection:
            command.downgrade(_alembic(connection), "0007")
            scored = connection.execute(select).scalar_one()
            scored = json.loads(scored) if isinstance(scored, str) else scored
            assert abs(scored["kb_reach"] - 0.40) < 1e-12  # a row scored with it keeps it
            # a row stored before kb_reach existed
            older = {k: v for k, v in scored.items() if k != "kb_reach"}
            connection.execute(sa.text("UPDATE samples SET scores = :s WHERE id = :id")
                               .bindparams(sa.bindparam("s", type_=sa.JSON), s=older, id=sample))
        with engine.begin() as connection:
            command.upgrade(_alembic(connection), "head")
            got = connection.execute(select).scalar_one()
            got = json.loads(got) if isinstance(got, str) else got
        keys = list(got)
        assert got["kb_reach"] is None
        assert keys.index("kb_reach") == keys.index("coverage") + 1
        assert got["missing"] == (older["missing"] + " | " if older["missing"] else "") + (
            "kb_reach: the sample was scored before gutbalance recorded how much of it the knowledge base reaches; "
            "upload its file again to see it")
        assert {k: v for k, v in got.items() if k not in ("kb_reach", "missing")} == {
            k: v for k, v in older.items() if k != "missing"}
        page = _text(client.get(f"/samples/{sample}").text)
        assert OLDER in page
        assert re.search(r"Reached by the knowledge base kb_ ?reach missing ", page)
        with engine.begin() as connection:
            command.downgrade(_alembic(connection), "0007")
            back = connection.execute(select).scalar_one()
            back = json.loads(back) if isinstance(back, str) else back
            assert back == older
            assert list(back) == list(older)
            command.upgrade(_alembic(connection), "head")
    finally:
        engine.dispose()
