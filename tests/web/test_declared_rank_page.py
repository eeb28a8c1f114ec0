"""The rank declared at upload for bare taxon names, shown on the sample's page.

A clinic reading a sample page weeks later should see how the file's names
were read, beside the file's provenance: kept with each sample
(``samples.feature_rank``, migration 0006) for a table whose format reads it,
never for a profile that names its ranks itself.  On SQLite and on the tests'
PostgreSQL like the other web tests.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

import gutbalance
from gutbalance.web.db import make_engine
from gutbalance.web.reporting import declared_rank_text
from tests.web.conftest import register, single_profile, upload
from tests.web.test_api import zip_of
from tests.web.test_feature_rank import BARE_GENUS_CSV
from tests.web.test_pages import page_register, page_upload

READ_AS_GENERA = ("Read as a table of genera: the taxa the file names without a rank were read as genera "
                  "(rank declared at upload: genus).")


def _facts(page: str) -> dict[str, str]:
    """The sample page's provenance list: ``{term: text}``."""
    block = page[page.index('<dl class="facts">'): page.index("</dl>")]
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block, flags=re.DOTALL)
    return {html.unescape(re.sub(r"<[^>]+>", "", k)).strip(): " ".join(html.unescape(re.sub(r"<[^>]+>", "", v)).split())
            for k, v in pairs}


def _sample_ids(client) -> dict[str, str]:
    """``{sample name: id}`` from the samples list."""
    listing = client.get("/samples").text
    return {html.unescape(name): sid for sid, name in re.findall(r'<a href="/samples/([0-9a-f]+)">([^<]+)</a>', listing)}


def test_a_table_read_at_the_declared_rank_says_so_beside_its_file(client):
    page_register(client)
    assert page_upload(client, BARE_GENUS_CSV, filename="genus.csv", feature_rank="genus").status_code == 303
    archive = zip_of({"run1/genus2.csv": BARE_GENUS_CSV.replace("P0", "Q0").encode(),
                      "run1/S1_metaphlan.txt": single_profile().encode()})
    assert page_upload(client, archive, filename="run1.zip", feature_rank="genus").status_code == 303
    assert page_upload(client, single_profile(), filename="S2_metaphlan.txt").status_code == 303
    ids = _sample_ids(client)
    facts = _facts(client.get(f"/samples/{ids['P01']}").text)
    assert facts["File"] == "genus.csv (table)"
    assert facts["Taxon names"] == READ_AS_GENERA
    # a zip's table was read at the rank, its MetaPhlAn profile named its own ranks: only the table says it
    assert _facts(client.get(f"/samples/{ids['Q01']}").text)["Taxon names"] == READ_AS_GENERA
    assert "Taxon names" not in _facts(client.get(f"/samples/{ids['S1']}").text)
    # nothing declared, nothing said
    assert "Taxon names" not in _facts(client.get(f"/samples/{ids['S2']}").text)


def test_the_api_gives_the_declared_rank_of_each_sample(client):
    headers = register(client, "lab")
    (first, *_) = upload(client, headers, BARE_GENUS_CSV, filename="genus.csv", feature_rank="genus").json()
    assert first["feature_rank"] == "genus"
    assert client.get(f"/api/samples/{first['id']}", headers=headers).json()["feature_rank"] == "genus"
    (plain,) = upload(client, headers, single_profile(), feature_rank="genus").json()
    assert plain["feature_rank"] is None


def test_declared_rank_text_names_each_rank_in_its_plural():
    assert declared_rank_text(None) == ""
    assert declared_rank_text("") == ""
    assert declared_rank_text("family").startswith("Read as a table of families: ")
    assert declared_rank_text("species").startswith("Read as a table of species: ")
    assert declared_rank_text("phylum").endswith("(rank declared at upload: phylum).")


def _alembic(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(gutbalance.web.__file__).parent / "migrations"))
    config.attributes["connection"] = connection
    return config


USERS = sa.table("users", sa.column("id", sa.String), sa.column("username", sa.String),
                 sa.column("password_hash", sa.String), sa.column("created_at", sa.DateTime(timezone=True)))
SAMPLES = sa.table("samples", *(sa.column(c, sa.String) for c in ("id", "owner_id", "name", "source_file", "source_format",
                                                                   "database")),
                   sa.column("scores", sa.JSON), sa.column("profile", sa.LargeBinary),
                   sa.column("created_at", sa.DateTime(timezone=True)))
JOBS = sa.table("jobs", *(sa.column(c, sa.String) for c in ("id", "owner_id", "status", "filename", "feature_rank")),
                sa.column("attempts", sa.Integer), sa.column("sample_ids", sa.JSON),
                sa.column("created_at", sa.DateTime(timezone=True)))


def test_the_migration_gives_samples_of_earlier_uploads_their_declared_rank(database_url):
    """0005 -> 0006 fills the rank of the samples of done jobs that declared one (tables only), and back."""
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    try:
        with engine.begin() as connection:  # from whatever the database holds (PostgreSQL's is shared by the session)
            command.upgrade(_alembic(connection), "head")
            command.downgrade(_alembic(connection), "0005")
        with engine.begin() as connection:
            connection.execute(sa.insert(USERS).values(id="u1", username="old", password_hash="x", created_at=now))
            for sid, fmt in (("s1", "table"), ("s2", "metaphlan"), ("s3", "biom")):
                connection.execute(sa.insert(SAMPLES).values(id=sid, owner_id="u1", name=sid, source_file="f",
                                                             source_format=fmt, database="", scores={}, profile=b"x",
                                                             created_at=now))
            connection.execute(sa.insert(JOBS).values(id="j1", owner_id="u1", status="done", filename="run.zip",
                                                      feature_rank="genus", attempts=1, sample_ids=["s1", "s2"],
                                                      created_at=now))
            connection.execute(sa.insert(JOBS).values(id="j2", owner_id="u1", status="done", filename="t.biom",
                                                      feature_rank=None, attempts=1, sample_ids=["s3"], created_at=now))
        with engine.begin() as connection:
            command.upgrade(_alembic(connection), "head")
        with engine.begin() as connection:
            got = dict(connection.execute(sa.text("SELECT id, feature_rank FROM samples")).all())
            assert got == {"s1": "genus", "s2": None, "s3": None}
            command.downgrade(_alembic(connection), "0005")
        with engine.begin() as connection:
            assert "feature_rank" not in {c["name"] for c in sa.inspect(connection).get_columns("samples")}
            assert connection.execute(sa.text("SELECT count(*) FROM samples")).scalar() == 3
        with engine.begin() as connection:
            command.upgrade(_alembic(connection), "head")
            connection.execute(sa.text("DELETE FROM jobs"))
            connection.execute(sa.text("DELETE FROM samples"))
            connection.execute(sa.text("DELETE FROM users"))
    finally:
        engine.dispose()


def test_a_subject_timeline_says_why_a_score_has_no_value(client):
    """Chao1 of MetaPhlAn profiles (relative abundances, no read counts): the web timeline says why, as the CLI's does."""
    page_register(client)
    for name, day in (("A_metaphlan.txt", "2024-01-01"), ("B_metaphlan.txt", "2024-02-01")):
        assert page_upload(client, single_profile(), filename=name, subject="P1", collected=day).status_code == 303
    page = client.get("/subject/timeline", params={"name": "P1"}).text
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert ("No value at any time point: the input gives relative abundances, not read counts: Chao1 needs the "
            "singletons and doubletons.") in text
    assert "Chao1 richness estimate of species over time" in text  # the rank named, as the CLI's timeline
