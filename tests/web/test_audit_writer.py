"""The audit writer: views and downloads wait a moment and are written
together, in the order and at the times they happened; an account deleted
meanwhile takes its waiting events along; a failed write keeps them; the
app reads its log only after writing what waits; shutdown writes the rest."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event, func, select, text

from gutbalance.web import crud
from gutbalance.web.audit_writer import AuditWriter
from gutbalance.web.db import make_engine, migrate, session_factory
from gutbalance.web.models import AuditEvent, User
from tests.web.conftest import register, upload
from tests.web.test_audit import FIRST, KEFIR

#: Long enough that the thread never writes during a test that flushes by hand.
NEVER = 3600.0


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


def _user(engine, name: str) -> str:
    with session_factory(engine)() as session:
        user = User(username=name, password_hash="x")
        session.add(user)
        session.commit()
        return user.id


def _stored(engine) -> list[tuple]:
    with engine.connect() as connection:
        rows = connection.execute(select(AuditEvent.owner_id, AuditEvent.action, AuditEvent.detail, AuditEvent.at)
                                  .order_by(AuditEvent.at, AuditEvent.id))
        return [tuple(row) for row in rows]


def test_views_wait_and_are_written_in_one_transaction_in_order(engine):
    owner = _user(engine, "clinic")
    writer = AuditWriter(engine, every=NEVER)
    for i in range(200):
        writer.add(owner_id=owner, action=crud.VIEW, via="page", sample_id="s", sample_name="S", detail=f"view {i}")
    assert _stored(engine) == []  # nothing written yet: a view is not a transaction of its own
    transactions = []

    def begun(connection) -> None:
        transactions.append(connection)

    event.listen(engine, "begin", begun)
    writer.flush()
    event.remove(engine, "begin", begun)
    assert len(transactions) == 1
    stored = _stored(engine)
    assert [detail for _, _, detail, _ in stored] == [f"view {i}" for i in range(200)]
    writer.flush()  # nothing waits: nothing more
    assert len(_stored(engine)) == 200
    writer.close()


def test_a_deleted_account_takes_its_waiting_events_along(engine):
    kept, forgotten, gone = _user(engine, "kept"), _user(engine, "forgotten"), _user(engine, "gone")
    writer = AuditWriter(engine, every=NEVER)
    for owner in (kept, forgotten, gone):
        writer.add(owner_id=owner, action=crud.VIEW, via="api")
    writer.forget(forgotten)
    with engine.begin() as connection:  # deleted without forget(): the flush checks the owners
        connection.execute(text("DELETE FROM users WHERE id = :id"), {"id": gone})
    writer.flush()
    assert [owner for owner, *_ in _stored(engine)] == [kept]
    writer.close()


def test_a_failed_write_keeps_the_events_for_the_next(engine, caplog):
    owner = _user(engine, "clinic")
    writer = AuditWriter(engine, every=NEVER)
    writer.add(owner_id=owner, action=crud.DOWNLOAD, via="api", detail="scores.tsv")
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE audit_events RENAME TO audit_events_away"))
    writer.flush()
    assert "1 audit events could not be written yet" in caplog.text
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE audit_events_away RENAME TO audit_events"))
    writer.flush()
    assert [(action, detail) for _, action, detail, _ in _stored(engine)] == [("download", "scores.tsv")]
    writer.close()


def test_the_thread_writes_without_being_asked_and_close_writes_the_rest(engine):
    owner = _user(engine, "clinic")
    writer = AuditWriter(engine, every=0.05)
    writer.add(owner_id=owner, action=crud.VIEW, via="page")
    deadline = time.monotonic() + 30
    while not _stored(engine) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(_stored(engine)) == 1
    slow = AuditWriter(engine, every=NEVER)
    slow.add(owner_id=owner, action=crud.VIEW, via="page")
    slow.close()
    assert len(_stored(engine)) == 2


def test_the_app_reads_its_log_after_writing_what_waits(client, app, shared_data):
    headers = register(client, "clinic")
    sid = upload(client, headers, (shared_data / KEFIR / FIRST).read_bytes(), filename=FIRST).json()[0]["id"]
    assert app.state.sessions.kw["info"][crud.AUDIT_WRITER] is app.state.audit
    for _ in range(3):
        assert client.get(f"/api/samples/{sid}/report", headers=headers).status_code == 200
    events = client.get("/api/account/audit", headers=headers).json()
    assert [e["action"] for e in events] == ["view", "view", "view", "upload"]
    with app.state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 4
