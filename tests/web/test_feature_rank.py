"""The rank of bare taxon names in the web app: the upload form's select and
the API's ``feature_rank`` field, stored with the job, validated, and the
refusal of an undeclared table naming the field (docs/web.md).  On SQLite and
PostgreSQL like the other API tests; the browser test is in test_browser.py.

The independent calculation is the command line: ``gutbalance analyze
--feature-rank genus`` on the same file writes the same scores."""

from __future__ import annotations

import io
from pathlib import Path

import h5py
import pandas as pd
import pytest
from alembic import command
from alembic.config import Config
from biom import Table
from click.testing import CliRunner
from sqlalchemy import inspect, select, text

import gutbalance
from gutbalance.cli import main
from gutbalance.io.archive import artifact_bytes
from gutbalance.web import crud, jobs
from gutbalance.web.db import make_engine
from gutbalance.web.models import Job, User
from tests.web.conftest import register, single_profile, upload
from tests.web.test_api import zip_of
from tests.web.test_pages import csrf_of, page_register, page_upload

#: Upload formats and pages over the same queries as test_api: SQLite alone (conftest.py).
DATABASES = ("sqlite",)

#: A samples x genera table of read counts with bare SILVA 138 genus names,
#: shaped as the CRC study's genus.csv (SampleID, then one column per genus):
#: nothing in it says what rank the names are.
BARE_GENUS_CSV = (
    "SampleID,Bacteroides,Faecalibacterium,Blautia,Prevotella_9,Fusobacterium,UCG-002,Clostridium_sensu_stricto_1,"
    "Escherichia-Shigella,Akkermansia,Roseburia\n"
    "P01,4120,1830,960,12,0,210,45,88,310,402\n"
    "P02,250,2210,1420,3900,3,180,0,15,0,610\n"
    "P03,3010,95,410,0,620,40,230,1450,5,30\n"
)


def cli_scores(tmp_path: Path, content: str | bytes, filename: str = "genus.csv") -> pd.DataFrame:
    """``gutbalance analyze FILE --feature-rank genus``'s scores.tsv, every cell as written."""
    path = tmp_path / filename
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    out = tmp_path / "cli"
    done = CliRunner().invoke(main, ["analyze", str(path), "-o", str(out), "--reports", "none", "--feature-rank", "genus", "-j", "1"])
    assert done.exit_code == 0, done.output
    return pd.read_csv(out / "scores.tsv", sep="\t", dtype=str, keep_default_na=False, index_col=0)


def assert_same_as_cli(web_tsv: str, expected: pd.DataFrame) -> None:
    """The web app's scores.tsv (id, sample, subject, collected, then the
    scores) holds the command line's cells, to the character."""
    web = pd.read_csv(io.StringIO(web_tsv), sep="\t", dtype=str, keep_default_na=False).set_index("sample")
    assert sorted(web.index) == sorted(expected.index)
    common = [c for c in expected.columns if c in web.columns]
    assert "immune_support" in common
    assert "chao1" in common
    assert len(common) >= 20
    assert web.loc[expected.index, common].equals(expected[common])


def _refusal(message: str) -> None:
    assert "cannot tell the rank of 'Bacteroides'" in message
    assert "Rank of bare taxon names" in message
    assert "feature_rank=genus" in message
    assert "--feature-rank" not in message
    assert "gutbalance.read" not in message


def test_an_undeclared_bare_genus_table_is_refused_naming_the_field_then_scored_as_the_cli(client, tmp_path):
    headers = register(client, "lab")
    refused = upload(client, headers, BARE_GENUS_CSV, filename="genus.csv")
    assert refused.status_code == 422
    _refusal(refused.json()["detail"])
    assert client.get("/api/samples", headers=headers).json() == []

    created = upload(client, headers, BARE_GENUS_CSV, filename="genus.csv", feature_rank="genus")
    assert created.status_code == 201, created.text
    samples = created.json()
    assert [s["name"] for s in samples] == ["P01", "P02", "P03"]
    assert all(s["scores"]["immune_support"] is not None for s in samples)
    assert samples[0]["scores"]["chao1"] is not None  # read counts, kept as such
    tsv = client.get("/api/samples/" + samples[0]["id"] + "/scores.tsv", headers=headers)
    assert tsv.status_code == 200
    expected = cli_scores(tmp_path, BARE_GENUS_CSV)
    assert_same_as_cli(tsv.text, expected.loc[["P01"]])
    for s in samples:
        one = client.get(f"/api/samples/{s['id']}/scores.tsv", headers=headers).text
        assert_same_as_cli(one, expected.loc[[s["name"]]])
    # the report is rendered again from the stored profile: its genera stay genera
    report = client.get(f"/api/samples/{samples[0]['id']}/report", headers=headers)
    assert report.status_code == 200
    assert "Faecalibacterium" in report.text


@pytest.mark.parametrize("value", ["genera", "Bacteroides", "kingdom_x", "genus;species", "7"])
def test_a_feature_rank_that_is_no_rank_is_422_naming_the_field(client, value):
    headers = register(client, "lab")
    refused = upload(client, headers, BARE_GENUS_CSV, filename="genus.csv", feature_rank=value)
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert detail.startswith("feature_rank (rank of bare taxon names) is not a rank: give one of domain, phylum")
    assert value not in detail  # errors never echo the input
    assert client.get("/api/samples", headers=headers).json() == []


def test_the_rank_is_taken_as_written_and_empty_means_not_declared(client):
    headers = register(client, "lab")
    assert upload(client, headers, BARE_GENUS_CSV, filename="genus.csv", feature_rank=" Genus ").status_code == 201
    refused = upload(client, headers, BARE_GENUS_CSV, filename="genus.csv", feature_rank="")
    assert refused.status_code == 422
    _refusal(refused.json()["detail"])
    # a profile whose taxa name their ranks reads the same with or without it
    (plain,) = upload(client, headers, single_profile()).json()
    (declared,) = upload(client, headers, single_profile(), feature_rank="genus").json()
    assert plain["scores"] == declared["scores"]


def test_the_rank_is_stored_with_the_job_and_a_job_run_again_reads_it(client, app):
    headers = register(client, "lab")
    (first, *_) = upload(client, headers, BARE_GENUS_CSV, filename="genus.csv", feature_rank="genus").json()
    with app.state.sessions() as session:
        (job,) = session.scalars(select(Job)).all()
        assert job.feature_rank == "genus"
        assert job.status == jobs.DONE
        record = client.get(f"/api/jobs/{job.id}", headers=headers).json()
        assert record["feature_rank"] == "genus"
        # a job left queued by a server process that died: whoever runs it reads the rank from its row
        owner = session.scalar(select(User))
        queued = crud.create_job(session, owner=owner, upload=BARE_GENUS_CSV.encode(), filename="genus.csv",
                                 subject=None, collected=None, feature_rank="genus")
        session.commit()
        queued_id = queued.id
    app.state.jobs.run(queued_id, jobs.shared_pool(app.state.settings))
    again = client.get(f"/api/jobs/{queued_id}", headers=headers).json()
    assert again["status"] == "done", again
    redone = client.get(f"/api/samples/{again['samples'][0]}", headers=headers).json()
    assert redone["name"] == "P01"
    assert redone["scores"] == first["scores"]


def _bare_tables() -> dict[str, bytes]:
    """The fixture as BIOM 2.1 and as a QIIME 2 FeatureTable[Frequency] whose
    feature ids are the bare genus names (built with biom-format's API)."""
    frame = pd.read_csv(io.StringIO(BARE_GENUS_CSV), index_col=0)
    table = Table(frame.to_numpy(dtype=float).T, list(frame.columns), list(frame.index), type="OTU table")
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        table.to_hdf5(f, "test")
    biom = buffer.getvalue()
    return {"genus.biom": biom, "genus.qza": artifact_bytes("FeatureTable[Frequency]", "BIOMV210DirFmt", {"feature-table.biom": biom})}


def test_bare_genus_biom_and_qza_uploads_score_as_the_csv(client, tmp_path):
    headers = register(client, "lab")
    expected = upload(client, headers, BARE_GENUS_CSV, filename="genus.csv", feature_rank="genus").json()
    for name, data in _bare_tables().items():
        refused = upload(client, headers, data, filename=name)
        assert refused.status_code == 422, name
        _refusal(refused.json()["detail"])
        got = upload(client, headers, data, filename=name, feature_rank="genus")
        assert got.status_code == 201, got.text
        assert [s["scores"] for s in got.json()] == [s["scores"] for s in expected], name
        assert {s["source_format"] for s in got.json()} == {name.rsplit(".", 1)[1]}


def test_a_zip_of_bare_genus_tables_is_read_at_the_declared_rank(client):
    headers = register(client, "lab")
    archive = zip_of({"run1/genus.csv": BARE_GENUS_CSV.encode(), "run1/S1_metaphlan.txt": _metaphlan()})
    partly = upload(client, headers, archive, filename="run1.zip")
    assert partly.status_code == 207
    (problem,) = partly.json()["problems"]
    assert problem["file"] == "run1/genus.csv"
    _refusal(problem["problem"])
    whole = upload(client, headers, archive, filename="run1.zip", feature_rank="genus")
    assert whole.status_code == 201, whole.text
    assert sorted(s["name"] for s in whole.json()) == ["P01", "P02", "P03", "S1"]


def _metaphlan() -> bytes:
    return single_profile().encode()


def test_the_upload_form_offers_the_rank_and_keeps_it_when_refused(client):
    page_register(client)
    form = client.get("/samples").text
    assert '<select name="feature_rank"' in form
    assert '<option value="" selected>not declared</option>' in form
    for rank in ("domain", "phylum", "class", "order", "family", "genus", "species", "strain"):
        assert f'<option value="{rank}">{rank}</option>' in form
    refused = page_upload(client, BARE_GENUS_CSV, filename="genus.csv")
    assert refused.status_code == 422
    assert "Rank of bare taxon names" in refused.text
    assert "--feature-rank" not in refused.text
    bad = page_upload(client, BARE_GENUS_CSV, filename="genus.csv", feature_rank="genera")
    assert bad.status_code == 422
    assert "feature_rank (rank of bare taxon names) is not a rank" in bad.text
    done = page_upload(client, BARE_GENUS_CSV, filename="genus.csv", feature_rank="genus")
    assert done.status_code == 303
    assert done.headers["location"] == "/samples?notice=uploaded"
    listing = client.get("/samples").text
    assert all(name in listing for name in ("P01", "P02", "P03"))
    assert csrf_of(listing)


def _alembic(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(gutbalance.web.__file__).parent / "migrations"))
    config.attributes["connection"] = connection
    return config


def test_the_feature_rank_migration_up_and_down(database_url):
    """0004 -> 0005 keeps the jobs there were (their rank NULL: not declared),
    and back; on SQLite and on the tests' PostgreSQL."""
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:  # from whatever the database holds (PostgreSQL's is shared by the session)
            command.upgrade(_alembic(connection), "head")
            command.downgrade(_alembic(connection), "0004")
        with engine.begin() as connection:
            assert "feature_rank" not in {c["name"] for c in inspect(connection).get_columns("jobs")}
            connection.execute(text("INSERT INTO users (id, username, password_hash, created_at) VALUES ('u1', 'old', 'x', CURRENT_TIMESTAMP)"))
            connection.execute(text("INSERT INTO jobs (id, owner_id, status, filename, attempts, created_at) "
                                    "VALUES ('j1', 'u1', 'done', 'old.txt', 1, CURRENT_TIMESTAMP)"))
        with engine.begin() as connection:
            command.upgrade(_alembic(connection), "head")
        with engine.begin() as connection:
            assert "feature_rank" in {c["name"] for c in inspect(connection).get_columns("jobs")}
            assert connection.execute(text("SELECT filename, feature_rank FROM jobs")).all() == [("old.txt", None)]
            connection.execute(text("UPDATE jobs SET feature_rank = 'genus'"))
            assert connection.execute(text("SELECT feature_rank FROM jobs")).scalar() == "genus"
        with engine.begin() as connection:
            command.downgrade(_alembic(connection), "0004")
        with engine.begin() as connection:
            assert "feature_rank" not in {c["name"] for c in inspect(connection).get_columns("jobs")}
            assert connection.execute(text("SELECT filename FROM jobs")).scalar() == "old.txt"
        with engine.begin() as connection:
            command.upgrade(_alembic(connection), "head")
            connection.execute(text("DELETE FROM jobs"))
            connection.execute(text("DELETE FROM users"))
    finally:
        engine.dispose()
