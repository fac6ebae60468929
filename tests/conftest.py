"""Fixtures: the app on SQLite always, and again on PostgreSQL when TEST_DATABASE_URL is set.

Each test runs inside one outer transaction that is rolled back afterwards; the app's own commits
become savepoints, so tests see real commits and constraints without leaking rows to each other.

No test may depend on the calendar: `--clock=2031-06-15` (or OUTCOMES_TEST_CLOCK=2031-06-15) runs the
whole session as if today were that date (time-machine moves the process's clock; CI runs the suite so too).
"""
from __future__ import annotations

import contextvars
import os
import re
from datetime import UTC, date, datetime, time

import pyotp
import pytest
import time_machine
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, make_url, select, text

from contracts_app import create_app
from contracts_app.config import normalise_database_url
from contracts_app.rankings.cache import rendered_rankings
from models import db
from tests.factories import TEST_TOTP_SECRET

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


class FreshContextClient(FlaskClient):
    """Runs each request in a fresh context, so the test's own app context (and `g`) never leaks in."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)

    def csrf_token(self, path: str = "/auth/sign-in") -> str:
        html = self.get(path).get_data(as_text=True)
        match = CSRF_RE.search(html)
        assert match, f"no CSRF token on {path}"
        return match.group(1) or match.group(2)

    def sign_in(self, email: str, password: str, totp_secret: str | None = None, complete_mfa: bool = True):
        """Signs in through the form; when the app asks for the second step, types the current TOTP code
        (of `totp_secret`, by default the key the user is enrolled with), unless complete_mfa=False."""
        token = self.csrf_token()
        response = self.post("/auth/sign-in", data={"email": email, "password": password, "csrf_token": token})
        if complete_mfa and self.asks_for_code(response):
            response = self.enter_code(pyotp.TOTP(totp_secret or self._enrolled_secret(email)).now())
        return response

    def _enrolled_secret(self, email: str) -> str:
        """The TOTP key the user is enrolled with (factory users: TEST_TOTP_SECRET; demo users: the demo key)."""
        from flask import has_app_context

        from models import User

        query = select(User.totp_secret).where(func.lower(User.email) == email.strip().lower())
        if has_app_context():
            secret = db.session.scalar(query)
        else:  # a test driving an app of its own from outside any context
            with self.application.app_context():
                secret = db.session.scalar(query)
        return secret or TEST_TOTP_SECRET

    @staticmethod
    def asks_for_code(response) -> bool:
        """The password was right and the app now wants the code (a redirect back to the sign-in page)."""
        return response.status_code == 302 and response.headers["Location"] == "/auth/sign-in"

    def enter_code(self, code: str):
        return self.post("/auth/sign-in", data={"code": code, "csrf_token": self.csrf_token()})

    def post_form(self, path: str, data: dict, token_from: str | None = None, **kwargs):
        """POST a form with the CSRF token a browser would have got from the page."""
        token = self.csrf_token(token_from or path)
        return self.post(path, data={**data, "csrf_token": token}, **kwargs)


def pytest_addoption(parser):
    parser.addoption("--clock", default=os.environ.get("OUTCOMES_TEST_CLOCK") or None, metavar="YYYY-MM-DD",
                     help="run the whole session as if today were this date (UTC); env OUTCOMES_TEST_CLOCK")


def _database_of_this_worker() -> None:
    """Under pytest-xdist each worker gets a PostgreSQL database of its own (TEST_DATABASE_URL + _gwN): the
    fixtures drop and recreate a database's public schema, so two workers must never share one."""
    worker, url = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get("TEST_DATABASE_URL")
    if not worker or not url:
        return
    base = make_url(normalise_database_url(url))
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}) is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    os.environ["TEST_DATABASE_URL"] = base.set(database=name).render_as_string(hide_password=False)


def pytest_configure(config):
    _database_of_this_worker()
    clock = config.getoption("--clock")
    if not clock:
        return
    try:
        day = date.fromisoformat(clock)
    except ValueError:
        raise pytest.UsageError(f"--clock={clock}: write the date as YYYY-MM-DD, e.g. 2031-06-15") from None
    traveller = time_machine.travel(datetime.combine(day, time(9, 0), tzinfo=UTC), tick=True)
    traveller.start()
    config.stash[_CLOCK] = traveller


def pytest_unconfigure(config):
    traveller = config.stash.get(_CLOCK, None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config):
    clock = config.getoption("--clock")
    return [f"clock: the session runs as if today were {clock} (UTC)"] if clock else []


_CLOCK = pytest.StashKey[time_machine.travel]()


def _reset_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    url = normalise_database_url(os.environ["TEST_DATABASE_URL"])
    _reset_postgres(url)
    return url


@pytest.fixture(scope="session")
def base_app(database_url, tmp_path_factory):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
            "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
            "JOBS_REDIS_URL": "",
            "JOBS_SQLITE_PATH": str(tmp_path_factory.mktemp("jobs") / "queue.sqlite3"),
            # Tests sign the same user in several times within one 30-second TOTP step; the replay
            # guard has its own test (tests/test_accounts.py), with it switched back on.
            "MFA_REPLAY_PROTECTION": False,
        }
    )
    app.test_client_class = FreshContextClient
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return app


@pytest.fixture
def app(base_app):
    """The app with an app context pushed and every change rolled back after the test."""
    with base_app.app_context():
        engines = db.engines  # Flask-SQLAlchemy picks the bind from here, for every session
        engine = engines[None]
        connection = engine.connect()
        outer = connection.begin()
        original_session = db.session
        engines[None] = connection
        db.session = db._make_scoped_session({"join_transaction_mode": "create_savepoint"})
        rendered_rankings.clear()  # the rollback below may reuse data versions with other data
        try:
            yield base_app
        finally:
            rendered_rankings.clear()
            db.session.remove()
            db.session = original_session
            engines[None] = engine
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app) -> FreshContextClient:
    return app.test_client()


class CliRunner:
    """`flask` commands as a user runs them, each in a fresh context like a new process."""

    def __init__(self, app):
        self._runner = app.test_cli_runner()

    def invoke(self, *args, **kwargs):
        return contextvars.Context().run(self._runner.invoke, *args, **kwargs)


@pytest.fixture
def cli(app) -> CliRunner:
    return CliRunner(app)


@pytest.fixture
def session(app):
    return db.session
