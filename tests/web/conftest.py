"""Fixtures for the web app: an app on SQLite (always) and on PostgreSQL
(when GUTBALANCE_TEST_POSTGRES_URL names a server), a client, and helpers
that register users and upload profiles through the real API."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from starlette.testclient import TestClient

import gutbalance
from gutbalance.web import create_app, load_settings
from gutbalance.web.models import Sample, User
from tests.helpers import SMALL_COMMUNITY, make_cohort, metaphlan_text

POSTGRES_ENV = "GUTBALANCE_TEST_POSTGRES_URL"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (dropped afterwards)."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    name = f"gutbalance_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that uses the database runs on SQLite and PostgreSQL, but
    for a module whose ``DATABASES`` names SQLite alone: one that reads
    uploads and renders pages through the same queries as the others
    (``test_api``, ``test_jobs``, ``test_pages``, ``test_paging``, the
    migrations and the security tests keep both), so that the second database
    does not double the CI time of tests of file formats."""
    if "database_url" in metafunc.fixturenames:
        kinds = getattr(metafunc.module, "DATABASES", ("sqlite", "postgres"))
        metafunc.parametrize("database_url", [k if k == "sqlite" else pytest.param(k, marks=pytest.mark.postgres)
                                              for k in kinds], indirect=True)


@pytest.fixture
def database_url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    with engine.begin() as conn:  # each test starts empty (the schema stays: migrations are idempotent)
        if conn.execute(text("SELECT to_regclass('samples')")).scalar() is not None:
            conn.execute(text("DELETE FROM samples"))
            if conn.execute(text("SELECT to_regclass('auth_sessions')")).scalar() is not None:
                conn.execute(text("DELETE FROM auth_sessions"))
                conn.execute(text("DELETE FROM throttles"))
            if conn.execute(text("SELECT to_regclass('jobs')")).scalar() is not None:
                conn.execute(text("DELETE FROM jobs"))
            if conn.execute(text("SELECT to_regclass('audit_events')")).scalar() is not None:
                conn.execute(text("DELETE FROM audit_events"))
            conn.execute(text("DELETE FROM users"))
    engine.dispose()
    return url


#: Argon2 at its cheapest: the same code path, without a fifth of a second per login.
CHEAP_HASHING = {"password_hash_memory_kib": 1024, "password_hash_time_cost": 1}


#: Uploads wait for their job long enough to answer 201 (the 202 path has its own tests).
WAIT_FOR_SCORING = {"upload_wait_seconds": 120.0}


@pytest.fixture
def settings_overrides() -> dict:
    """Per-test changes to the settings (override in a test module or with parametrize)."""
    return {**CHEAP_HASHING, **WAIT_FOR_SCORING}


@pytest.fixture
def app(tmp_path: Path, database_url: str, settings_overrides: dict):
    settings = load_settings(data_dir=tmp_path / "data", database_url=database_url, **settings_overrides)
    return create_app(settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    # Server errors must come back as the app's 500 page, not as exceptions in the test.
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def register(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Register and log in through the API; the Authorization header."""
    response = client.post("/api/register", json={"username": username, "password": password})
    assert response.status_code == 201, response.text
    response = client.post("/api/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def upload(client: TestClient, headers: dict[str, str], content: str | bytes, *, filename: str = "S1_metaphlan.txt", **fields):
    return client.post("/api/samples", headers=headers, files={"file": (filename, content)}, data=fields)


def merged_metaphlan(tmp_path: Path, samples: list[str]) -> bytes:
    """A merged MetaPhlAn table of several samples, written by the library."""
    path = tmp_path / "merged.tsv"
    gutbalance.write(make_cohort(dict.fromkeys(samples, SMALL_COMMUNITY)), path)
    return path.read_bytes()


def single_profile() -> str:
    return metaphlan_text(SMALL_COMMUNITY)


def count_rows(app) -> dict[str, int]:
    """Rows in each table, read straight from the database."""
    with app.state.sessions() as session:
        return {
            "users": session.scalar(select(func.count()).select_from(User)),
            "samples": session.scalar(select(func.count()).select_from(Sample)),
        }
