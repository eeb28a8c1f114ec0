"""Issue 15, items 2-5: throttles that hold under concurrency, sessions that
end, control characters refused, strict tokens, the password policy, deleted
data gone from SQLite's files, error pages after a failed commit.

The concurrency tests run a real uvicorn server in a thread and hit it from
many client threads at once, on SQLite and (with GUTBALANCE_TEST_POSTGRES_URL)
PostgreSQL.
"""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.testclient import TestClient

import gutbalance
from gutbalance.web import create_app, crud, load_settings
from gutbalance.web.core.security import (
    HashingBusy,
    PasswordHashing,
    csrf_token,
    make_token,
    new_session_id,
    password_problem,
    read_token,
)
from tests.helpers import SMALL_COMMUNITY, make_cohort
from tests.web.conftest import CHEAP_HASHING, PASSWORD, WAIT_FOR_SCORING, count_rows, register, single_profile, upload
from tests.web.test_pages import csrf_of, page_register

# --- helpers -------------------------------------------------------------------


class CountingHasher:
    """Counts the passwords actually checked (argon2 verifications) by the app."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.verified = 0
        self._lock = threading.Lock()

    def verify(self, stored, password):
        with self._lock:
            self.verified += 1
        return self.inner.verify(stored, password)

    def hash(self, password):
        return self.inner.hash(password)


class LiveServer:
    """The app served by uvicorn on a free port, in a thread."""

    def __init__(self, app) -> None:
        # Idle connections stay open for the whole test: with uvicorn's 5 s
        # default, a loaded machine let the server close a kept-alive
        # connection just as the client reused it (httpx.ReadError), the
        # ordinary keep-alive race of HTTP/1.1, not what these tests check.
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", timeout_keep_alive=600)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            self.thread.join(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def _all_at_once(url: str, n: int, call) -> list:
    """``await call(client, i)`` for i in range(n), all at once on ``n``
    connections of their own (asyncio: many threads in the test process would
    fight the server for the interpreter lock)."""

    async def run() -> list:
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
        async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as client:
            return await asyncio.gather(*(call(client, i) for i in range(n)))

    return asyncio.run(run())


def _count_hashes(app) -> CountingHasher:
    hashing = app.state.guards.hashing
    counter = hashing._hasher = CountingHasher(hashing._hasher)
    return counter


# --- item 2: throttles that hold under concurrency -----------------------------


def test_concurrent_wrong_passwords_get_at_most_the_limit_checked(app):
    counter = _count_hashes(app)
    with LiveServer(app) as url, httpx.Client(base_url=url, timeout=120) as client:
        assert client.post("/api/register", json={"username": "alice", "password": PASSWORD}).status_code == 201

        async def guess(own, i):
            return (await own.post("/api/login", json={"username": "alice", "password": f"wrong guess {i}"})).status_code

        counter.verified = 0
        statuses = Counter(_all_at_once(url, 150, guess))
        assert set(statuses) <= {401, 429, 503}, statuses
        assert counter.verified <= 5, (counter.verified, statuses)
        assert statuses[401] <= 5
        assert statuses[429] >= 145 - statuses[503]
        # the limit is used up: the right password now waits too, and is not checked
        before = counter.verified
        response = client.post("/api/login", json={"username": "alice", "password": PASSWORD})
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) > 0
        assert counter.verified == before


def test_login_flood_for_random_users_is_shed_and_the_server_stays_up(app):
    counter = _count_hashes(app)
    allowed = app.state.settings.login_address_failures_allowed
    health: list[int] = []
    with LiveServer(app) as url:

        async def login(own, i):
            if i % 30 == 0:  # a few liveness probes among the logins
                health.append((await own.get("/healthz")).status_code)
            return (await own.post("/api/login", json={"username": f"u{uuid.uuid4().hex[:12]}", "password": "a guess"})).status_code

        statuses = Counter(_all_at_once(url, 300, login))
        assert set(statuses) <= {401, 429, 503}, statuses
        assert counter.verified <= allowed, (counter.verified, statuses)
        assert statuses[429] >= 300 - allowed - statuses[503]
        assert health == [200] * 10


def test_healthz_is_answered_before_the_app_and_its_database(client, app):
    """/healthz needs neither a thread nor a query: it answers with the
    database gone, and carries the security headers."""
    app.state.engine.dispose()
    app.state.sessions.configure(bind=None)  # any query would now fail
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


def test_account_actions_beyond_the_hashing_slots_are_shed_before_their_body_is_read():
    """The front door admits at most max_in_flight logins or registrations;
    the next is 503 with Retry-After at once, its body never read and the app
    never called; other paths pass."""
    from gutbalance.web.core.security import AddressRefusals
    from gutbalance.web.middleware import FrontDoor

    release = asyncio.Event()
    entered: list[str] = []

    async def app(scope, receive, send):
        entered.append(scope["path"])
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    class Guards:
        refusals = AddressRefusals()

    door = FrontDoor(app, guards=Guards(), max_in_flight=1, hsts=False)

    async def call(path: str) -> tuple[list[dict], int]:
        sent: list[dict] = []
        reads = 0

        async def receive():
            nonlocal reads
            reads += 1
            return {"type": "http.request", "body": b'{"username":"a","password":"b"}', "more_body": False}

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": path, "client": ("198.51.100.7", 1), "scheme": "http", "headers": []}
        await door(scope, receive, send)
        return sent, reads

    async def run():
        first = asyncio.create_task(call("/api/login"))
        await asyncio.sleep(0.01)
        shed, reads = await call("/login")
        other = asyncio.create_task(call("/api/samples"))
        await asyncio.sleep(0.01)
        release.set()
        return await first, (shed, reads), await other

    (first, _), (shed, reads), (other, _) = asyncio.run(run())
    assert first[0]["status"] == 200
    assert other[0]["status"] == 200
    assert entered == ["/api/login", "/api/samples"]
    assert shed[0]["status"] == 503
    assert reads == 0
    headers = dict(shed[0]["headers"])
    assert headers[b"retry-after"] == b"1"
    assert headers[b"content-type"].startswith(b"text/html")  # the page's form gets a page
    assert b"busy" in shed[1]["body"]


@pytest.mark.parametrize("settings_overrides", [{**CHEAP_HASHING, "login_address_failures_allowed": 3}])
def test_an_address_refused_by_the_database_is_refused_from_memory_for_its_window(client, app, settings_overrides, monkeypatch):
    from gutbalance.web import throttles

    for i in range(3):
        assert client.post("/api/login", json={"username": f"nobody{i}", "password": "a guess"}).status_code == 401
    refused = client.post("/api/login", json={"username": "nobody9", "password": "a guess"})
    assert refused.status_code == 429  # by the database: the address used its 3 failures
    window = int(refused.headers["retry-after"])
    calls = []
    monkeypatch.setattr(throttles, "reserve", lambda *a, **k: calls.append(a) or 0)
    again = client.post("/api/login", json={"username": "somebody", "password": "a guess"})
    assert again.status_code == 429
    assert "from this address" in again.json()["detail"]
    assert 0 < int(again.headers["retry-after"]) <= window
    assert calls == []  # answered without the database
    # the page's form is refused the same way; registrations are a limit of their own
    assert client.post("/login", data={"username": "x", "password": "y"}).status_code == 429
    assert client.post("/api/register", json={"username": "newcomer", "password": PASSWORD}).status_code == 201


@pytest.mark.parametrize("settings_overrides", [{**CHEAP_HASHING, **WAIT_FOR_SCORING, "uploads_per_window": 2}])
def test_the_upload_rate_is_counted_in_the_database_across_server_processes(client, app, settings_overrides):
    """Two apps on one database (two server processes) share a user's upload count."""
    alice = register(client, "alice")
    assert upload(client, alice, single_profile()).status_code == 201
    with TestClient(create_app(app.state.settings), raise_server_exceptions=False) as second:
        assert upload(second, alice, single_profile()).status_code == 201
        response = upload(second, alice, single_profile())
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert upload(client, alice, single_profile()).status_code == 429


def test_registration_is_throttled_per_address_in_the_database(client, app):
    settings = app.state.settings
    # the count lives in the database: a second app on the same database (another
    # server process) sees the first one's registrations
    limit = settings.registrations_per_window
    with app.state.sessions() as session:
        from gutbalance.web.accounts import Limit, _key, reserve

        for _ in range(limit - 1):
            reserve(session, [Limit(_key("register", "testclient"), limit, settings.registration_window_seconds)], what="x")
    other = create_app(settings)
    with TestClient(other, raise_server_exceptions=False) as second:
        assert second.post("/api/register", json={"username": "alice", "password": PASSWORD}).status_code == 201
        response = second.post("/api/register", json={"username": "bob", "password": PASSWORD})
    assert response.status_code == 429
    assert client.post("/api/register", json={"username": "carol", "password": PASSWORD}).status_code == 429


def test_throttle_counter_windows_and_refunds(client, app):
    with app.state.sessions() as session:
        got = [crud.reserve_attempt(session, key="k", limit=3, window=60, now=1000) for _ in range(4)]
        assert got == [True, True, True, False]
        assert crud.retry_after(session, key="k", now=1010) == 50
        crud.refund_attempt(session, key="k", now=1010)
        assert crud.reserve_attempt(session, key="k", limit=3, window=60, now=1010)
        assert not crud.reserve_attempt(session, key="k", limit=3, window=60, now=1059)
        assert crud.reserve_attempt(session, key="k", limit=3, window=60, now=1060)  # a new window
        assert crud.reserve_attempt(session, key="other", limit=1, window=60, now=1060)
        assert crud.purge_throttles(session, now=1200) == 2
        session.commit()


def test_hashing_slots_shed_instead_of_queueing():
    hashing = PasswordHashing(concurrency=1, queue=0, wait=5, memory_kib=1024, time_cost=1)
    inside, release = threading.Event(), threading.Event()

    def hold():
        inside.set()
        release.wait(10)

    holder = threading.Thread(target=hashing._run, args=(hold,))
    holder.start()
    assert inside.wait(10)
    with pytest.raises(HashingBusy):
        hashing.verify(None, "anything")
    release.set()
    holder.join()
    stored = hashing.hash(PASSWORD)
    assert hashing.verify(stored, PASSWORD)


def _login_status(client, username: str, password: str, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post("/api/login", json={"username": username, "password": password}, headers=headers).status_code


@pytest.mark.parametrize(
    ("overrides", "believed"),
    [
        ({}, False),  # no --behind-tls-proxy: X-Forwarded-For is ignored, even from loopback
        ({"behind_tls_proxy": True, "forwarded_allow_ips": "10.0.0.9"}, False),  # not from the proxy
        ({"behind_tls_proxy": True, "forwarded_allow_ips": "127.0.0.1"}, True),
    ],
)
def test_forwarded_for_is_believed_only_from_the_configured_proxy(tmp_path, database_url, overrides, believed):
    settings = load_settings(data_dir=tmp_path / "data", database_url=database_url, **CHEAP_HASHING, **overrides)
    app = create_app(settings)
    with TestClient(app, client=("127.0.0.1", 40000), raise_server_exceptions=False) as client:
        register(client, "alice")
        for i in range(5):
            assert _login_status(client, "alice", "wrong password", forwarded_for=f"203.0.113.{i}" if i == 0 else "203.0.113.0") == 401
        assert _login_status(client, "alice", PASSWORD, forwarded_for="203.0.113.0") == 429
        # rotating the header is a new client only when the proxy is trusted
        assert _login_status(client, "alice", PASSWORD, forwarded_for="198.51.100.7") == (200 if believed else 429)


def test_the_data_folder_is_created_private(tmp_path):
    # The SQLite database (uploads, password hashes, sessions) is created
    # 0644 by SQLite: the folder around it must keep other users out.
    load_settings(data_dir=tmp_path / "new" / "data", **CHEAP_HASHING)
    assert (tmp_path / "new" / "data").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "new" / "data" / "secret_key").stat().st_mode & 0o777 == 0o600



def test_the_database_is_private_in_a_folder_made_beforehand(tmp_path):
    # fault: a data folder the clinic made in advance (0755) kept the SQLite
    # database and its write-ahead log readable by every user of the machine
    folder = tmp_path / "srv" / "gutbalance"
    folder.mkdir(parents=True)
    folder.chmod(0o755)
    settings = load_settings(data_dir=folder, **CHEAP_HASHING)
    with TestClient(create_app(settings)) as client:
        response = upload(client, register(client, "alice"), single_profile())
        assert response.status_code in (201, 202), response.text
        files = {path.name: path.stat().st_mode & 0o777 for path in folder.iterdir()}
    assert files["gutbalance.sqlite3"] == 0o600
    assert all(mode & 0o077 == 0 for mode in files.values()), files


# --- item 3: sessions that end ---------------------------------------------------


def test_a_cookie_saved_before_logout_is_refused_after_it(client):
    page_register(client)
    saved = client.cookies.get("gb_session")
    assert client.get("/samples", follow_redirects=False).status_code == 200
    token = csrf_of(client.get("/samples").text)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    client.cookies.set("gb_session", saved)
    response = client.get("/samples", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_api_logout_revokes_the_token(client):
    alice = register(client, "alice")
    other = {"Authorization": "Bearer " + client.post("/api/login", json={"username": "alice", "password": PASSWORD}).json()["access_token"]}
    assert client.post("/api/logout", headers=alice).status_code == 204
    assert client.get("/api/samples", headers=alice).status_code == 401
    assert client.get("/api/samples", headers=other).status_code == 200  # only that token


def test_logout_everywhere_ends_cookies_and_tokens(client, app):
    page_register(client)
    token_header = register_api_token(client)
    with TestClient(app, raise_server_exceptions=False) as second_browser:
        page_login(second_browser)
        assert second_browser.get("/samples", follow_redirects=False).status_code == 200
        token = csrf_of(client.get("/account").text)
        assert client.post("/logout/everywhere", data={"csrf_token": token}, follow_redirects=False).status_code == 303
        assert second_browser.get("/samples", follow_redirects=False).status_code == 303
    assert client.get("/samples", follow_redirects=False).status_code == 303
    assert client.get("/api/samples", headers=token_header).status_code == 401


def test_api_logout_everywhere(client):
    alice = register(client, "alice")
    second = register_api_token(client)
    assert client.post("/api/logout/everywhere", headers=alice).status_code == 204
    assert client.get("/api/samples", headers=alice).status_code == 401
    assert client.get("/api/samples", headers=second).status_code == 401


def register_api_token(client, username: str = "alice") -> dict[str, str]:
    response = client.post("/api/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def page_login(browser, username: str = "alice", password: str = PASSWORD):
    token = csrf_of(browser.get("/login").text)
    response = browser.post("/login", data={"username": username, "password": password, "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response


NEW_PASSWORD = "violet tractor midnight"


def test_password_change_through_the_api_ends_every_session(client):
    alice = register(client, "alice")
    other = register_api_token(client)
    body = {"current_password": "not the password", "new_password": NEW_PASSWORD}
    assert client.post("/api/account/password", headers=alice, json=body).status_code == 403
    weak = {"current_password": PASSWORD, "new_password": "password1"}
    response = client.post("/api/account/password", headers=alice, json=weak)
    assert response.status_code == 422
    assert "guess" in response.json()["detail"]
    response = client.post("/api/account/password", headers=alice, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 200
    fresh = {"Authorization": f"Bearer {response.json()['access_token']}"}
    assert client.get("/api/samples", headers=alice).status_code == 401
    assert client.get("/api/samples", headers=other).status_code == 401
    assert client.get("/api/samples", headers=fresh).status_code == 200
    assert _login_status(client, "alice", PASSWORD) == 401
    assert _login_status(client, "alice", NEW_PASSWORD) == 200


def test_password_change_through_the_page(client, app):
    page_register(client)
    api = register_api_token(client)
    with TestClient(app, raise_server_exceptions=False) as second_browser:
        page_login(second_browser)
        page = client.get("/account")
        assert 'action="/account/password"' in page.text
        form = {"csrf_token": csrf_of(page.text), "current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": "different"}
        assert client.post("/account/password", data=form).status_code == 422
        form["confirm_password"] = NEW_PASSWORD
        old_cookie = client.cookies.get("gb_session")
        response = client.post("/account/password", data=form, follow_redirects=False)
        assert response.status_code == 303
        assert client.cookies.get("gb_session") != old_cookie
        assert "password was changed" in client.get("/account?notice=password-changed").text
        assert client.get("/samples", follow_redirects=False).status_code == 200  # this browser goes on
        assert second_browser.get("/samples", follow_redirects=False).status_code == 303
    assert client.get("/api/samples", headers=api).status_code == 401


def test_csrf_token_is_bound_to_the_session_and_renewed_at_login(client, app):
    before = csrf_of(client.get("/login").text)
    seed_before = client.cookies.get("gb_csrf")
    page_login_after_register(client)
    assert client.cookies.get("gb_csrf") != seed_before  # reseeded at login
    # a token from before the login no longer works for the logged-in session
    response = client.post("/logout", data={"csrf_token": before}, follow_redirects=False)
    assert response.status_code == 403
    # nor does one computed for the same cookie without the session, or for another session
    secret = app.state.settings.secret
    seed = client.cookies.get("gb_csrf")
    for forged in (csrf_token(secret, seed), csrf_token(secret, seed, new_session_id())):
        assert client.post("/logout", data={"csrf_token": forged}, follow_redirects=False).status_code == 403
    token = csrf_of(client.get("/samples").text)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303


def page_login_after_register(client):
    assert client.post("/api/register", json={"username": "alice", "password": PASSWORD}).status_code == 201
    page_login(client)


def test_token_decoding_is_strict():
    secret = b"k" * 32
    token = make_token(secret, session_id="abc", audience="api", lifetime=600)
    assert read_token(secret, token, audience="api") == "abc"
    payload, signature = token.split(".")
    last = signature[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # a 32-byte signature is 43 characters whose last carries 2 unused bits:
    # the other spellings of the same bytes are refused
    twins = [c for c in alphabet if c != last and alphabet.index(c) >> 2 == alphabet.index(last) >> 2]
    assert len(twins) == 3
    for forged in (
        f"{payload}.{signature}=",
        f"{payload}.{signature}==",
        f"{payload}=.{signature}",
        f"{payload}.{signature[:-1]}{twins[0]}",
        f"{payload}.{signature} ",
        f" {payload}.{signature}",
        f"{payload}.{signature.replace('-', '+').replace('_', '/')}" if re.search(r"[-_]", signature) else f"{payload}.{signature}+",
        f"{payload}..{signature}",
    ):
        assert read_token(secret, forged, audience="api") is None, forged


# --- item 4: input hygiene --------------------------------------------------------


def _raw_upload(filename: str) -> bytes:
    head = f'--xx\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n\r\n'
    return head.encode() + single_profile().encode() + b"\r\n--xx--\r\n"


def test_control_characters_are_refused_everywhere(client, app):
    alice = register(client, "alice")
    (sample,) = upload(client, alice, single_profile(), subject="P-01").json()
    rows = count_rows(app)
    requests = [
        ("post", "/api/login", {"json": {"username": "a\u0000b", "password": PASSWORD}}),
        ("post", "/api/login", {"json": {"username": "alice", "password": "pass\u0000word"}}),
        ("post", "/api/register", {"json": {"username": "bob", "password": "long \u0007 password here"}}),
        # a lone surrogate, as JSON may spell it (not encodable in UTF-8, so not storable)
        ("post", "/api/login", {"content": b'{"username": "\\ud800alice", "password": "x"}', "headers": {"content-type": "application/json"}}),
        ("get", "/api/samples?subject=%00", {"headers": alice}),
        ("get", "/api/samples?subject=a%1Bb", {"headers": alice}),
        ("get", "/api/samples/ab%00cd", {"headers": alice}),
        ("get", "/api/samples/ab%00cd/report", {"headers": alice}),
        ("delete", "/api/samples/ab%00cd", {"headers": alice}),
        ("delete", "/api/account", {"headers": alice, "json": {"password": "\u0000"}}),
        ("post", "/api/samples", {"headers": alice, "files": {"file": ("S1.txt", single_profile())}, "data": {"subject": "P\u000001"}}),
        # httpx would percent-encode a NUL in a file name: the raw form, as a hostile client sends it
        ("post", "/api/samples", {"headers": {**alice, "content-type": "multipart/form-data; boundary=xx"}, "content": _raw_upload("S1\x00.txt")}),
        ("post", "/api/samples", {"headers": alice, "files": {"file": ("S1.txt", single_profile())}, "data": {"collected": "2024\u0000-01-01"}}),
        ("get", "/subject?name=%00", {}),
        ("get", "/samples/ab%00cd", {}),
        ("post", "/login", {"data": {"username": "al\u0000ice", "password": PASSWORD, "csrf_token": "x"}}),
    ]
    for method, url, kwargs in requests:
        response = client.request(method, url, **kwargs)
        assert response.status_code == 422, (url, kwargs, response.status_code, response.text[:200])
        assert "content-security-policy" in response.headers
    # nothing was stored, nothing was deleted, and the database connection still works
    assert count_rows(app) == rows
    assert client.get(f"/api/samples/{sample['id']}", headers=alice).status_code == 200
    assert client.get("/api/samples?subject=P-01", headers=alice).json()[0]["id"] == sample["id"]
    # the same requests without the control character are served
    raw = {**alice, "content-type": "multipart/form-data; boundary=xx"}
    assert client.post("/api/samples", headers=raw, content=_raw_upload("S1.txt")).status_code == 201
    assert upload(client, alice, single_profile(), subject="P-02 (second)").status_code == 201


def test_error_page_after_a_failed_commit_is_a_page_with_security_headers(client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    page_register(client)
    headers = register_api_token(client)
    (sample,) = upload(client, headers, single_profile()).json()
    token = csrf_of(client.get("/samples").text)

    def failing_delete(session, *, owner, sample_id):
        session.rollback()  # what a failed commit leaves behind: every loaded object expired
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(crud, "delete_sample", failing_delete)
    response = client.post(f"/samples/{sample['id']}/delete", data={"csrf_token": token})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>500</h1>" in response.text
    assert "disk I/O" not in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert "alice" in response.text  # the page still knows who is logged in


def test_corrupt_biom_upload_is_named_corrupt(client, tmp_path):
    alice = register(client, "alice")
    path = tmp_path / "table.biom"
    gutbalance.write(make_cohort({"S1": SMALL_COMMUNITY}), path)
    data = path.read_bytes()
    response = upload(client, alice, data[: len(data) // 2], filename="table.biom")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "corrupt or truncated" in detail
    assert "BIOM" in detail
    assert "not a recognised profile format" not in detail


# --- item 5: passwords and deleted data ----------------------------------------------


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [
        ("alice", "short", "at least 8"),
        ("alice", "password", "guess"),
        ("alice", "12345678", "guess"),
        ("alice", "qwertyuiop", "guess"),
        ("alice", "iloveyou123", "guess"),
        ("alice.smith", "alice.smith", "username"),
        ("alice.smith", "ALICE.SMITH-2024!", "username"),
    ],
)
def test_weak_passwords_are_refused(client, username, password, reason):
    response = client.post("/api/register", json={"username": username, "password": password})
    assert response.status_code == 422
    if len(password) >= 8:
        assert reason in response.json()["detail"]
    assert password_problem(password, username=username, min_length=8, min_score=3) is not None


def test_weak_password_refused_on_the_register_page(client):
    token = csrf_of(client.get("/register").text)
    response = client.post("/register", data={"username": "alice", "password": "password1", "csrf_token": token})
    assert response.status_code == 422
    assert "too easy to guess" in response.text


def test_a_long_enough_password_registers_through_the_api_and_the_form(client):
    # the reported 422 for this password was never the policy's: it is accepted both ways
    assert client.post("/api/register", json={"username": "ana", "password": "a long enough password"}).status_code == 201
    token = csrf_of(client.get("/register").text)
    response = client.post(
        "/register", data={"username": "bea", "password": "a long enough password", "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/samples"


@pytest.mark.parametrize(
    ("request_kwargs", "reason"),
    [
        ({"json": {"username": "Ana Smith", "password": "a long enough password"}},
         "a username has 3-64 letters, digits or _ . @ + - (no spaces)"),
        ({"json": {"username": "an", "password": "a long enough password"}}, "a username has 3-64 letters"),
        ({"json": {"username": "ana", "password": "short"}}, "a password has at least 8 characters"),
        ({"json": {"username": "ana"}}, "a password is missing"),
        ({"json": {"user": "ana", "password": "a long enough password"}}, "a username is missing; 'user' is not a field of this request"),
        # curl -d '{...}' without -H 'content-type: application/json' sends it form-encoded
        ({"content": '{"username": "ana", "password": "a long enough password"}',
          "headers": {"content-type": "application/x-www-form-urlencoded"}},
         "the body must be a JSON object sent with Content-Type: application/json (this one was sent as application/x-www-form-urlencoded)"),
        ({"data": {"username": "ana", "password": "a long enough password"}}, "sent with Content-Type: application/json"),
        ({"content": '{"username": "ana", "password": "a long enough password"', "headers": {"content-type": "application/json"}},
         "the body is not valid JSON (Expecting ',' delimiter at character"),
    ],
)
def test_a_refused_registration_says_which_rule_in_plain_words(client, request_kwargs, reason):
    response = client.post("/api/register", **request_kwargs)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert reason in detail
    assert "invalid or missing" not in detail
    assert "a long enough password" not in detail  # nothing sent is echoed back
    assert count_rows(client.app)["users"] == 0


def test_the_register_page_states_the_username_rule(client):
    page = client.get("/register").text
    assert 'id="username-rule"' in page
    assert "3-64 letters, digits or _ . @ + - (no spaces)" in page
    token = csrf_of(page)
    # a browser that skips the pattern check gets the same rule from the server
    response = client.post("/register", data={"username": "Ana Smith", "password": "a long enough password", "csrf_token": token})
    assert response.status_code == 422
    assert "a username has 3-64 letters, digits or _ . @ + - (no spaces)" in response.text


@pytest.mark.parametrize(
    "password",
    [PASSWORD, "violet tractor midnight", "a long enough password", "Tr0ub4dor&3xq", "lantern orchid seventy " * 40],
)
def test_strong_passwords_are_accepted(password):
    assert password_problem(password, username="alice", min_length=8, min_score=3) is None


def test_long_passwords_are_rated_not_refused_by_the_rater():
    # zxcvbn raises for more than 72 characters; the policy rates a prefix
    assert "guess" in password_problem("a" * 1024, username="alice", min_length=8, min_score=3)
    assert password_problem("4@8({[<3691!|70$5%+7vx2" * 40, username="alice", min_length=8, min_score=3) is None


def test_deleted_account_leaves_no_bytes_in_the_sqlite_files(client, app):
    if app.state.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write-ahead log only")
    marker = "zq" + uuid.uuid4().hex[:10]
    headers = register(client, f"{marker}-user")
    assert upload(client, headers, single_profile(), subject=f"{marker}-subject").status_code == 201
    database = Path(app.state.engine.url.database)
    files = [database, database.with_name(database.name + "-wal")]

    def held() -> bool:
        return any(marker.encode() in p.read_bytes() for p in files if p.exists())

    assert held()  # so that the test can fail
    assert client.request("DELETE", "/api/account", headers=headers, json={"password": PASSWORD}).status_code == 204
    assert not held()
    assert not files[1].exists() or files[1].stat().st_size == 0


def test_gutbalance_serve_ignores_forwarded_for_without_the_proxy_flag(tmp_path):
    """Through the real command: uvicorn trusted X-Forwarded-For from loopback
    by default, so rotating it reset the per-address login limits."""
    import os
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "GUTBALANCE_PASSWORD_HASH_MEMORY_KIB": "1024", "GUTBALANCE_PASSWORD_HASH_TIME_COST": "1"}
    command = [sys.executable, "-c", "from gutbalance.cli import main; main()", "serve", "--port", str(port), "--data-dir", str(tmp_path / "data")]
    with (tmp_path / "server.log").open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None, (tmp_path / "server.log").read_text()
                assert time.monotonic() < deadline, "the server did not start within 120 s"
                time.sleep(0.2)
            with httpx.Client(base_url=url, timeout=60) as client:
                register(client, "alice")
                statuses = [_login_status(client, "alice", "wrong password", forwarded_for=f"203.0.113.{i}") for i in range(7)]
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert statuses == [401] * 5 + [429] * 2
