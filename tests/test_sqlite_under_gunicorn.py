"""The embedded database under real concurrency: gunicorn with 4 workers, 8 clients writing audit events.

Each client signs in, then opens pages it may not see (403: a GET that writes a denial to the audit
trail), posts forms without a valid token (400, audited) and fails to sign in (audited). Before
write transactions began IMMEDIATE, about a third of such requests ended in 500 "database is
locked" without waiting for the busy timeout. Loopback only; bounded in count and time.
"""
from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from contracts_app import create_app
from models import Role, User, db
from tests.factories import TEST_PASSWORD, TEST_PASSWORD_HASH

PROJECT = Path(__file__).resolve().parent.parent
GUNICORN = PROJECT / ".venv" / "bin" / "gunicorn"
CLIENTS = 8
ROUNDS = 10  # each round: 4 requests that write an audit event
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')

pytestmark = pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed in .venv")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """A cookie-keeping HTTP client over one keep-alive connection to the local server."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text_body = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, text_body

    def token(self, path: str) -> str:
        _status, body = self.request("GET", path)
        match = TOKEN_RE.search(body)
        assert match, f"no CSRF token on {path}"
        return match.group(1) or match.group(2)


@pytest.fixture
def served_database(tmp_path):
    """A fresh SQLite database with CLIENTS finance users, served by gunicorn with 4 workers."""
    database = tmp_path / "outcomes.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "gunicorn-test-secret",
           "SESSION_COOKIE_SECURE": "0", "UPLOAD_FOLDER": str(tmp_path / "uploads"),
           # Every client comes from 127.0.0.1: the address lock would refuse the last clients' real sign-in.
           "SIGN_IN_ADDRESS_LOCK_AFTER": "100000"}
    seeding = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SECRET_KEY": "seeding"})
    with seeding.app_context():
        upgrade()
        for n in range(CLIENTS):
            db.session.add(User(email=f"finance{n}@city.test", name=f"Manager {n}", role=Role.CONTRACT_MANAGER,
                                password_hash=TEST_PASSWORD_HASH))
        db.session.commit()
        db.engine.dispose()
    engine = create_engine(f"sqlite:///{database}")
    port = _free_port()
    server = subprocess.Popen(
        [str(GUNICORN), "-w", "4", "-b", f"127.0.0.1:{port}", "--timeout", "60", "wsgi:app"],
        cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, "gunicorn exited: " + (server.stderr.read() if server.stderr else "")
            assert time.monotonic() < deadline, "gunicorn did not answer /healthz within 60 s"
            time.sleep(0.3)
        yield port, engine
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        engine.dispose()


def _client_session(port: int, n: int, statuses: list[int], problems: list[str]) -> None:
    try:
        browser = Browser(port)
        token = browser.token("/auth/sign-in")
        status, _ = browser.request("POST", "/auth/sign-in", {"email": f"finance{n}@city.test",
                                                              "password": TEST_PASSWORD,
                                                              "csrf_token": token})
        assert status == 302, f"client {n} could not sign in: {status}"
        token = browser.token("/")
        anonymous = Browser(port)
        anonymous_token = anonymous.token("/auth/sign-in")
        for _round in range(ROUNDS):
            for method, path, form, who in (
                ("GET", "/admin/users", None, browser),  # 403 for a contract manager: a denial written by a GET
                ("POST", "/vendors/new", {"name": "X", "csrf_token": token}, browser),  # 403 on a POST
                ("POST", "/payments/invoice", {"csrf_token": "not-a-token"}, browser),  # CSRF refused, audited
                ("POST", "/auth/sign-in", {"email": f"nobody{n}@city.test", "password": "wrong",
                                           "csrf_token": anonymous_token}, anonymous),  # failed sign-in, counted
            ):
                status, body = who.request(method, path, form)
                statuses.append(status)
                if status >= 500:
                    problems.append(f"client {n} {method} {path}: {status}")
    except Exception as exc:  # a dropped connection counts as a failure too
        problems.append(f"client {n}: {type(exc).__name__}: {exc}")


def test_eight_clients_writing_audit_events_under_four_workers_get_no_server_error(served_database):
    port, engine = served_database
    statuses: list[int] = []
    problems: list[str] = []
    threads = [threading.Thread(target=_client_session, args=(port, n, statuses, problems)) for n in range(CLIENTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    elapsed = time.monotonic() - started
    assert not any(thread.is_alive() for thread in threads), "clients still waiting after 240 s"
    print(f"{len(statuses)} requests in {elapsed:.1f} s")
    assert not problems, f"{len(problems)} failures in {len(statuses)} requests ({elapsed:.1f} s):\n" + "\n".join(
        problems[:30])
    assert len(statuses) == CLIENTS * ROUNDS * 4
    assert set(statuses) <= {400, 401, 403, 429} and {400, 401, 403} <= set(statuses)
    with engine.connect() as connection:
        denied = connection.scalar(text("SELECT count(*) FROM audit_events WHERE action = 'request_denied'"))
        failed = connection.scalar(text("SELECT coalesce(sum(failures), 0) FROM sign_in_throttles "
                                        "WHERE kind = 'account' AND key LIKE 'nobody%'"))
    assert denied == CLIENTS * ROUNDS * 3, "every denied request is in the audit trail"
    assert failed == statuses.count(401), "every failed sign-in is counted, in aggregate (429s were not tried)"
